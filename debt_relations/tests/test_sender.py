"""The sending pipeline (``debt.sender``): one log entry per channel, a short
note on the chatter linking to it, and delivery followed the same way for
every channel — here the call, made once its to-do is done."""

from datetime import timedelta

from odoo.tests import tagged

from .common import DebtHttpCase


@tagged("post_install", "-at_install")
class TestSendingPipeline(DebtHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("pipe_collector")
        cls.customer.user_id = cls.collector
        cls.stage_friendly.schedule_call = True

    def _call_log(self, partner):
        return self._logs(partner).filtered(lambda log: log.channel == "call")

    def test_one_entry_per_channel_each_with_its_note(self):
        self.stage_friendly.send_letter = True
        self._create_invoice(self.customer, self.today - timedelta(days=9), 250.0)
        self._run(self.today)
        logs = self._logs(self.customer)
        self.assertEqual(sorted(logs.mapped("channel")), ["call", "email", "letter"])
        notes = self.customer.message_ids.mapped(lambda m: str(m.body))
        for log in logs:
            linked = [n for n in notes if f"/odoo/debt.contact.log/{log.id}" in n]
            self.assertEqual(len(linked), 1, log.channel)
            self.assertIn(self.stage_friendly.name, linked[0])
            self.assertIn("250.00", linked[0])
            self.assertLess(len(linked[0]), 600, "a short note, not the message")
        # The full text once: in the email's entry and the mail, not the notes.
        email = logs.filtered(lambda log: log.channel == "email")
        self.assertIn("250.00", str(email.body))
        self.assertIn("250.00", email.mail_id.body_html)

    def test_call_made_when_its_todo_is_marked_done(self):
        self._create_invoice(self.customer, self.today - timedelta(days=9))
        self._run(self.today)
        log = self._call_log(self.customer)
        self.assertEqual(log.delivery_state, "queued")
        self.assertEqual(log.activity_id.user_id, self.collector)
        # The collector marks it done from the web client.
        _result, error = self._call_kw(
            self.collector,
            "mail.activity",
            "action_feedback",
            [log.activity_id.ids],
            {"feedback": "Spoke to the accountant"},
        )
        self.assertIsNone(error)
        self.env.invalidate_all()
        self.assertEqual(log.delivery_state, "sent")
        self.assertFalse(log.activity_id, "done: Odoo deleted the to-do")

    def test_call_cancelled_when_its_todo_is_deleted(self):
        self._create_invoice(self.customer, self.today - timedelta(days=9))
        self._run(self.today)
        log = self._call_log(self.customer)
        _result, error = self._call_kw(
            self.collector, "mail.activity", "unlink", [log.activity_id.ids]
        )
        self.assertIsNone(error)
        self.env.invalidate_all()
        self.assertEqual(log.delivery_state, "failed")
        self.assertIn("cancelled", log.delivery_error)

    def test_call_closed_by_the_run_is_not_made(self):
        self._only_this_company_runs()
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=9))
        self._run(self.today)
        log = self._call_log(self.customer)
        self._pay(invoice, pay_date=self.today + timedelta(days=1))
        self._run(self.today + timedelta(days=1))
        self.env.invalidate_all()
        self.assertEqual(log.delivery_state, "failed")
        self.assertIn("Closed by the collection run", log.delivery_error)
