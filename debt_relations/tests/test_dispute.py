from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestDispute(DebtRelationsCase):
    def _dispute(self, invoice, reason="pricing", **values):
        return self.env["debt.dispute"].create(
            {
                "move_id": invoice.id,
                "reason": self.env.ref(
                    f"debt_relations.debt_dispute_reason_{reason}"
                ).id,
                "description": "The price is not the one quoted.",
                **values,
            }
        )

    def test_open_dispute_holds_that_invoice_only(self):
        disputed = self._create_invoice(self.customer, self.today - timedelta(days=10))
        other = self._create_invoice(self.customer, self.today - timedelta(days=9))
        dispute = self._dispute(disputed)
        self.assertEqual(dispute.state, "open")
        self.assertEqual(dispute.partner_id, self.customer)
        self.assertEqual(dispute.user_id, disputed.invoice_user_id)
        activity = dispute.activity_ids
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("debt_relations.mail_activity_type_debt_dispute"),
        )
        self.assertEqual(activity.user_id, dispute.user_id)

        run = self._run(self.today)
        mail = self._mails(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertIn(other.name, mail.body_html)
        self.assertNotIn(disputed.name, mail.body_html)
        self.assertEqual(disputed.debt_skip_reason, "disputed")
        self.assertIn("disputed", run.line_ids.mapped("reason"))
        self.assertEqual(other.debt_stage_id, self.stage_friendly)
        self.assertFalse(disputed.debt_stage_id)

    def test_dispute_reason_by_code(self):
        invoice = self._create_invoice(self.customer, self.today)
        dispute = self.env["debt.dispute"].create(
            {"move_id": invoice.id, "reason": "quality", "description": "Broken"}
        )
        self.assertEqual(
            dispute.reason, self.env.ref("debt_relations.debt_dispute_reason_quality")
        )

    def _told(self, dispute):
        """The mails telling the customer about ``dispute``."""
        return self.env["mail.mail"].search(
            [("model", "=", dispute._name), ("res_id", "=", dispute.id)]
        )

    def test_rejected_dispute_goes_back_to_the_ladder(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        dispute = self._dispute(invoice, resolution="The quote matches the invoice.")
        self._run(self.today)
        self.assertFalse(self._mails(self.customer))
        with freeze_time(self.today):
            dispute.action_reject()
        self.assertEqual(dispute.state, "rejected")
        told = self._told(dispute)
        self.assertEqual(len(told), 1, "The customer is told")
        self.assertEqual(told.recipient_ids, self.customer)
        self.assertIn("invoice is correct", told.body_html)
        self.assertFalse(dispute.activity_ids)
        log = self._logs(self.customer, message_id=told.mail_message_id.id)
        self.assertIn("invoice is correct", log.body)
        self.assertEqual(log.outcome, "The quote matches the invoice.")
        # Telling the customer was a contact: the friendly rung waits 5 days.
        self._run(self.today + timedelta(days=5))
        self.assertIn(invoice.name, self._mails(self.customer).body_html)
        self.assertEqual(invoice.debt_stage_id, self.stage_friendly)

    def test_customer_right_gets_a_credit_note(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        dispute = self._dispute(invoice, resolution="Price corrected.")
        with freeze_time(self.today):
            action = dispute.action_resolve()
        self.assertEqual(action["res_model"], "account.move.reversal")
        # Closing the wizard without a credit note settles nothing.
        self.assertEqual(dispute.state, "open")
        self.assertFalse(self._told(dispute))
        reversal = (
            self.env["account.move.reversal"]
            .with_context(**action["context"])
            .create({"journal_id": invoice.journal_id.id, "date": self.today})
        )
        with freeze_time(self.today):
            reversal.refund_moves()
        self.assertEqual(dispute.state, "resolved")
        told = self._told(dispute)
        self.assertIn("You were right", told.body_html)
        self.assertTrue(
            self._logs(self.customer).filtered(lambda log: "resolved" in log.summary)
        )
        credit_note = dispute.credit_note_id
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertIn("Price corrected.", credit_note.ref)
        # Not chased while the credit note waits to be posted...
        self._run(self.today + timedelta(days=1))
        self.assertFalse(self._mails(self.customer))
        self.assertEqual(invoice.debt_skip_reason, "disputed")
        # ...nor once it is posted and matched with the invoice.
        credit_note.action_post()  # Odoo matches it with the invoice
        self.assertEqual(invoice.payment_state, "reversed")
        self._run(self.today + timedelta(days=2))
        self.assertFalse(self._mails(self.customer))
