"""Every message collections send besides the run's reminders goes the one
way out (``debt.sender``): an agreement's notice, a thank-you, an answer to
what the customer asked on the portal (and a hand-off: test_handoff.py). Each
has one contact log entry holding its full text, its mail holding it in the
company's layout, and a short note on the chatter linking to the entry."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .portal_common import DebtPortalCase


@tagged("post_install", "-at_install")
class TestSendingPaths(DebtPortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.with_company(cls.company).sudo().debt_collector_id = cls.collector

    def _sent_once(self, logs, text, thread, customer=None):
        """The one entry of a message sent by email about ``thread``: its
        full text ``text`` in the entry and in the mail, a short note
        (linking to the entry) on ``thread``'s chatter and the customer's.

        :returns: the mail
        """
        self.assertEqual(len(logs), 1, logs.mapped("summary"))
        log = logs
        self.assertEqual((log.channel, log.direction), ("email", "outbound"))
        self.assertIn(text, str(log.body))
        mail = log.mail_id
        self.assertTrue(mail)
        self.assertEqual(mail.mail_message_id, log.message_id)
        self.assertIn(text, str(mail.body_html))
        self.assertEqual((mail.model, mail.res_id), (thread._name, thread.id))
        link = f"/odoo/debt.contact.log/{log.id}"
        note = str(log.message_id.body)
        self.assertIn(link, note)
        self.assertIn(log.summary.replace("\xa0", "&nbsp;"), note)
        self.assertNotIn(text, note, "the full text is kept once, not in the chatter")
        customer = customer or self.customer
        if thread != customer:
            notes = customer.message_ids.filtered(lambda m: link in str(m.body))
            self.assertEqual(len(notes), 1, "the customer's chatter has its note")
        # An answer to the mail finds its entry (the governor's reply detection).
        self.assertEqual(
            self.env["debt.contact.governor"]._collection_entry(log.message_id), log
        )
        return mail

    def _new_logs(self, before, partner=None):
        return self._logs(partner or self.customer) - before

    def _plan(self):
        """A plan of the customer's overdue invoice, made with the wizard."""
        wizard = (
            self.env["debt.payment.plan.wizard"]
            .with_context(**self.overdue.action_debt_offer_plan()["context"])
            .create(
                {
                    "move_ids": [Command.set(self.overdue.ids)],
                    "date": self.today,
                    "first_date": self.today + timedelta(days=7),
                    "installment_count": 2,
                    "frequency": "monthly",
                }
            )
        )
        return self.env["debt.payment.plan"].browse(
            wizard.action_create_plan()["res_id"]
        )

    def _contact_hours(self):
        """Office hours in Brussels, Monday to Friday, 9 to 17."""
        calendar = self._office_hours(periods=((9, 17, "morning"),))
        self.company.debt_contact_calendar_id = calendar
        self.customer.tz = False  # the calendar's time zone

    # ------------------------------------------------------------------
    # Agreements
    # ------------------------------------------------------------------

    def test_plan_proposal_goes_at_once_the_instalment_notice_waits(self):
        self._contact_hours()
        plan = self._plan()
        before = self._logs(self.customer)
        # Monday 2 March, 7:00 in Brussels: before the contact hours.
        with freeze_time(datetime(2026, 3, 2, 6, 0)):
            _result, error = self._press(
                self.collector, "debt.payment.plan", "action_propose", plan.ids
            )
        self.assertIsNone(error)
        logs = self._new_logs(before)
        mail = self._sent_once(
            logs, "As agreed, here is the payment plan for a total of", plan
        )
        self.assertRecordValues(
            logs,
            [
                {
                    "move_ids": self.overdue.ids,
                    "confirmation": False,  # a proposal counts as a contact
                    "courtesy": False,
                    "delivery_state": "queued",
                }
            ],
        )
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertFalse(mail.scheduled_date, "what the collector sends goes at once")
        self.assertEqual(
            mail.attachment_ids.mapped("res_model"),
            [plan._name],
            "the written agreement is attached, kept on the plan",
        )
        plan.action_activate()

        # Friday 6 March, 19:00 in Brussels, three days before the first
        # instalment: its reminder is a notice the system sends by itself,
        # waiting for Monday 9:00.
        before = self._logs(self.customer)
        with freeze_time(datetime(2026, 3, 6, 18, 0)):
            plan.installment_ids._send_reminders(self.today + timedelta(days=4), 3)
        logs = self._new_logs(before)
        mail = self._sent_once(logs, "the next instalment of your payment plan", plan)
        self.assertRecordValues(logs, [{"confirmation": False, "courtesy": False}])
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.scheduled_date, datetime(2026, 3, 9, 8, 0))

    # ------------------------------------------------------------------
    # Thanks
    # ------------------------------------------------------------------

    def test_thank_you(self):
        self._thanks_rule(10)
        thankful = self._create_customer("Thankful Traders")
        invoice = self._create_invoice(thankful, self.today + timedelta(days=5))
        self._pay(invoice, pay_date=self.today)
        before = self._logs(thankful)
        self._run(self.today)
        logs = self._new_logs(before, thankful)
        mail = self._sent_once(
            logs, "Thank you for settling on time", thankful, thankful
        )
        self.assertRecordValues(logs, [{"courtesy": True, "date": self.today}])
        self.assertEqual(mail.recipient_ids, thankful)

    # ------------------------------------------------------------------
    # Answers to the portal
    # ------------------------------------------------------------------

    def test_answer_to_a_pause_asked_for(self):
        response = self._post(
            "pause", {"days": "14", "reason": "Our accountant is away"}
        )
        self.assertEqual(response.status_code, 200)
        pause = self.env["debt.portal.pause"].search(
            [("partner_id", "=", self.customer.id)]
        )
        pause.reply = "Granted: take the two weeks you need & tell us."
        before = self._logs(self.customer)
        _result, error = self._press(
            self.collector, "debt.portal.pause", "action_approve", pause.ids
        )
        self.assertIsNone(error)
        logs = self._new_logs(before)
        mail = self._sent_once(logs, "take the two weeks you need &amp; tell us", pause)
        self.assertRecordValues(
            logs,
            [
                {
                    "outcome": "Granted: take the two weeks you need & tell us.",
                    "confirmation": True,
                    "courtesy": True,
                }
            ],
        )
        self.assertIn("Approved", logs.summary)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertFalse(mail.scheduled_date, "an answer goes at once")
