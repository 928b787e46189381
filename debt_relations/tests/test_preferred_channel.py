from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestPreferredChannel(DebtRelationsCase):
    """The customer's preferred channel wins where the stage offers it; the
    stage's channels are used otherwise, and the action says why."""

    def setUp(self):
        super().setUp()
        self.invoice = self._create_invoice(
            self.customer, self.today - timedelta(days=10)
        )

    def _action(self):
        return self.env["debt.action"].search([("partner_id", "=", self.customer.id)])

    def test_prefers_letter_where_the_stage_writes_and_mails(self):
        self.stage_friendly.send_letter = True
        self.customer.debt_portal_channel = "letter"
        self._run(self.today)
        action = self._action()
        self.assertEqual(action.stage_id, self.stage_friendly)
        self.assertEqual(action.state, "done")
        self.assertEqual(action.channels_used, "letter")
        self.assertFalse(action.note)
        self.assertFalse(self._mails(self.customer), "no email: a letter only")
        self.assertEqual(self._logs(self.customer).mapped("channel"), ["letter"])
        self.assertIn(self.invoice.name, action.letter_attachment_id.raw.decode())
        self.assertEqual(self.invoice.debt_stage_id, self.stage_friendly)

    def test_prefers_phone_where_the_stage_only_mails(self):
        self.customer.debt_portal_channel = "phone"
        self._run(self.today)
        action = self._action()
        self.assertEqual(action.state, "done")
        self.assertEqual(action.channels_used, "email")
        self.assertEqual(
            action.note, "Prefers Phone Call; this stage has no Phone Call."
        )
        self.assertEqual(len(self._mails(self.customer)), 1)
        self.assertEqual(self._logs(self.customer).mapped("channel"), ["email"])
        self.assertFalse(self.customer.activity_ids, "no call: never widened")

    def test_without_a_preference_every_channel_of_the_stage(self):
        self.stage_friendly.send_letter = True
        self._run(self.today)
        action = self._action()
        self.assertEqual(action.channels_used, "email,letter")
        self.assertEqual(
            sorted(self._logs(self.customer).mapped("channel")), ["email", "letter"]
        )

    def test_preferred_email_unusable_falls_back_with_the_reason(self):
        self.stage_friendly.send_letter = True
        self.customer.write({"debt_portal_channel": "email", "email": "not-an-email"})
        self._run(self.today)
        action = self._action()
        self.assertEqual(action.state, "done")
        self.assertEqual(action.channels_used, "letter")
        self.assertIn("Prefers Email", action.note)
        self.assertIn("no valid email address", action.note)
        self.assertFalse(self._mails(self.customer))

    def test_unreachable_everywhere_fails_with_the_reason(self):
        # Decided while the address worked; it no longer does when approved.
        self.stage_friendly.requires_review = True
        self.customer.debt_portal_channel = "letter"
        self._run(self.today)
        action = self._action()
        self.assertEqual(action.state, "to_review")
        self.customer.email = "not-an-email"
        action.action_approve()
        self.assertEqual(action.state, "failed")
        self.assertFalse(action.channels_used)
        self.assertIn("cannot be reached", action.note)
        self.assertIn("Prefers Letter; this stage has no Letter.", action.note)
        self.assertIn("no valid email address", action.note)
        self.assertFalse(self._logs(self.customer))

    def test_a_stage_needs_a_channel(self):
        with self.assertRaisesRegex(ValidationError, "at least one channel"):
            self.stage_firm.write({"send_email": False, "schedule_call": False})
        self.assertEqual(
            self.stage_friendly._debt_channels() & {"email", "letter", "call"},
            {"email"},
        )
