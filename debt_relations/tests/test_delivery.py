from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.modules import module
from odoo.tests import tagged

from .common import DebtRelationsCase
from .smtp_stub import SmtpStub, closed_port


@tagged("post_install", "-at_install")
class TestDelivery(DebtRelationsCase):
    """The contact log and the ladder follow delivery, not queueing: a real
    SMTP conversation with a local server that refuses, then accepts."""

    def setUp(self):
        super().setUp()
        self.server = self.env["ir.mail_server"].create(
            {
                "name": "Local stub",
                "smtp_host": "127.0.0.1",
                "smtp_port": closed_port(),
                "smtp_encryption": "none",
            }
        )
        self.invoice = self._create_invoice(
            self.customer, self.today - timedelta(days=10)
        )
        self.action_date = datetime.combine(self.today, datetime.min.time())

    @contextmanager
    def _smtp(self, mode):
        stub = SmtpStub(mode)
        self.server.smtp_port = stub.port
        try:
            yield stub
        finally:
            stub.stop()

    def _send_queue(self, at=None):
        """Odoo's mail queue, really talking SMTP (tests normally skip it)."""
        with (
            freeze_time(at or self.action_date, tick=True),
            patch.object(module, "current_test", None),
        ):
            self.env["mail.mail"].process_email_queue()
        self.env.invalidate_all()

    def _send_queue_failing(self, at=None):
        # Odoo logs the refused recipients as an error of the mail queue.
        with self.assertLogs("odoo.addons.mail.models.mail_mail", level="ERROR"):
            self._send_queue(at)

    def _decide(self, day=None):
        day = day or self.today
        with freeze_time(day, tick=True):
            return self.env["debt.collection.run"]._run_collection(as_of=day)

    def _email_log(self):
        return self._logs(self.customer, channel="email")

    def _assert_nothing_climbed(self):
        self.assertFalse(self.invoice.debt_stage_id)
        self.assertFalse(self.customer.with_company(self.company).debt_stage_id)

    def test_refused_connection_is_retried_then_delivered(self):
        run = self._decide()
        log = self._email_log()
        self.assertEqual(log.delivery_state, "queued")
        self._send_queue()  # nothing listens: connection refused
        mail = self._mails(self.customer)
        self.assertRecordValues(
            log, [{"delivery_state": "queued", "delivery_attempts": 1}]
        )
        self.assertIn("could not take", log.delivery_error)
        self.assertEqual(mail.state, "outgoing", "back in the queue for a retry")
        self.assertGreater(mail.scheduled_date, self.action_date)
        self.assertEqual(run.action_ids.delivery_state, "queued")
        self._assert_nothing_climbed()
        self.assertFalse(self.customer.debt_email_failing)

        # Before its time, the retry is not attempted.
        with self._smtp("accept") as stub:
            self._send_queue(self.action_date + timedelta(minutes=1))
            self.assertFalse(stub.received)
            self._send_queue(self.action_date + timedelta(minutes=10))
            ours = [m for m in stub.received if self.invoice.name.encode() in m]
            self.assertEqual(len(ours), 1)
        self.assertEqual(log.delivery_state, "sent")
        self.assertEqual(mail.state, "sent")
        self.assertEqual(run.action_ids.delivery_state, "sent")
        self.assertEqual(self.invoice.debt_stage_id, self.stage_friendly)
        self.assertEqual(
            self.customer.with_company(self.company).debt_stage_id,
            self.stage_friendly,
        )

    def test_busy_server_and_temporary_refusal_are_retried(self):
        for mode in ("greeting_421", "rcpt_451"):
            self.env["debt.contact.log"].flush_model()
            customer = self._create_customer(f"Retry {mode}")
            self._create_invoice(customer, self.today - timedelta(days=10))
        self._decide()
        logs = self.env["debt.contact.log"].search(
            [("channel", "=", "email"), ("partner_id.name", "like", "Retry %")]
        )
        self.assertEqual(len(logs), 2)
        for log in logs:
            mode = log.partner_id.name.split()[-1]
            with self._smtp(mode):
                mail = log.mail_id
                mail.scheduled_date = False
                # Only this mail: the others wait for their own server mode.
                (
                    self.env["mail.mail"].search([("state", "=", "outgoing")]) - mail
                ).write({"scheduled_date": self.action_date + timedelta(days=5)})
                if mode == "rcpt_451":
                    self._send_queue_failing()
                else:
                    self._send_queue()
            self.assertRecordValues(
                log, [{"delivery_state": "queued", "delivery_attempts": 1}]
            )
            self.assertEqual(mail.state, "outgoing", mode)
            self.assertFalse(log.partner_id.debt_email_failing, mode)

    def test_permanent_refusal_marks_the_address_tells_the_collector_and_writes(self):
        run = self._decide()
        with self._smtp("rcpt_550"):
            self._send_queue_failing()
        log = self._email_log()
        self.assertEqual(log.delivery_state, "failed")
        self.assertIn("550", log.delivery_error)
        self.assertTrue(self.customer.debt_email_failing)
        self.assertIn("refused", self.customer.debt_email_failure)
        activity = self.customer.activity_ids.filtered(
            lambda a: a.summary == "Reminder not delivered"
        )
        self.assertEqual(len(activity), 1)
        self.assertNotEqual(activity.user_id, self.env.ref("base.user_root"))
        # The stage's letter goes out instead: the customer is reached.
        letter = self._logs(self.customer, channel="letter")
        self.assertEqual(len(letter), 1)
        self.assertTrue(run.action_ids.letter_attachment_id)
        self.assertEqual(run.action_ids.delivery_state, "failed")
        self.assertEqual(self.invoice.debt_stage_id, self.stage_friendly)

        # The next reminder does not use the failing address: the firm stage
        # still calls.
        self._decide(self.today + timedelta(days=20))
        self.assertEqual(len(self._mails(self.customer)), 1)
        self.assertEqual(len(self._logs(self.customer, channel="call")), 1)

    def test_no_fallback_letter_leaves_the_customer_unreached(self):
        self.stage_friendly.letter_fallback = False
        run = self._decide()
        with self._smtp("rcpt_550"):
            self._send_queue_failing()
        action = run.action_ids
        self.assertEqual((action.state, action.delivery_state), ("failed", "failed"))
        self.assertIn("not reached", action.note)
        self._assert_nothing_climbed()
        self.assertFalse(self._logs(self.customer, channel="letter"))

    def test_temporary_failures_give_up_after_the_retry_window(self):
        self._decide()
        log = self._email_log()
        self._send_queue()  # refused: retried later
        self.assertEqual(log.delivery_state, "queued")
        # Still refused a day later: the retry window (24 h) is over.
        self.env["mail.mail"].search([("state", "=", "outgoing")]).write(
            {"scheduled_date": False}
        )
        self._send_queue(self.action_date + timedelta(hours=25))
        self.assertEqual(log.delivery_state, "failed")
        self.assertEqual(log.delivery_attempts, 2)
        self.assertTrue(self.customer.debt_email_failing)
        self.assertEqual(len(self._logs(self.customer, channel="letter")), 1)

    def test_invalid_address_is_a_skip_reason_not_a_send(self):
        self.customer.email = "not an email@@"
        run = self._decide()
        self.assertFalse(run.action_ids)
        self.assertFalse(self._mails(self.customer))
        self.assertEqual(self.invoice.debt_skip_reason, "invalid_email")
        self.assertEqual(
            run.line_ids.filtered(lambda line: line.reason == "invalid_email").count,
            1,
        )
