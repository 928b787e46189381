from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestReview(DebtRelationsCase):
    def _at_final_rung(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=70))
        invoice.sudo().debt_stage_id = self.stage_formal
        self.customer.with_company(
            self.company
        ).sudo().debt_stage_id = self.stage_formal
        run = self._run(self.today)
        return invoice, run.action_ids

    def test_final_notice_waits_for_review(self):
        invoice, action = self._at_final_rung()
        self.assertEqual(action.state, "to_review")
        self.assertEqual(action.stage_id, self.stage_final)
        self.assertEqual(action.run_id.review_count, 1)
        self.assertFalse(self._mails(self.customer), "Nothing sent before approval")
        self.assertEqual(invoice.debt_stage_id, self.stage_formal)

        # A second run, while it still waits, does not prepare it twice.
        self._run(self.today + timedelta(days=10))
        self.assertEqual(
            self.env["debt.action"].search_count(
                [("partner_id", "=", self.customer.id)]
            ),
            1,
        )

        action.action_approve()
        self.assertEqual(action.state, "done")
        self.assertEqual(action.reviewed_by_id, self.env.user)
        self.assertEqual(len(self._mails(self.customer)), 1)
        self.assertIn("final notice", self._mails(self.customer).body_html)
        self.assertEqual(invoice.debt_stage_id, self.stage_final)
        self.assertEqual(
            self._logs(self.customer).mapped("channel"), ["email", "letter"]
        )
        with self.assertRaises(UserError):
            action.action_approve()

    def test_skip(self):
        invoice, action = self._at_final_rung()
        action.action_skip()
        self.assertEqual(action.state, "skipped")
        self.assertFalse(self._mails(self.customer))
        self.assertFalse(self._logs(self.customer))
        self.assertEqual(invoice.debt_stage_id, self.stage_formal)

    def test_paid_before_approval_is_not_sent(self):
        invoice, action = self._at_final_rung()
        self._pay(invoice)
        action.action_approve()
        self.assertEqual(action.state, "cancelled")
        self.assertFalse(self._mails(self.customer))
        self.assertFalse(self._logs(self.customer))

    def test_handoff_prepares_a_draft_handoff(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=90))
        invoice.sudo().debt_stage_id = self.stage_final
        run = self._run(self.today)
        action = run.action_ids
        self.assertEqual(action.stage_id, self.stage_handoff)
        action.action_approve()
        self.assertIn("mediator", self._mails(self.customer).body_html)
        handoff = self.env["debt.handoff"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(
            (handoff.state, handoff.kind, handoff.move_ids),
            ("draft", "mediation", invoice),
        )
        self.assertFalse(self.customer.activity_ids)
        self.assertEqual(invoice.debt_stage_id, self.stage_handoff)

    def test_customer_asked_for_quiet_before_approval(self):
        invoice, action = self._at_final_rung()
        self.customer.debt_do_not_contact = True
        action.action_approve()
        self.assertEqual(action.state, "cancelled")
        self.assertIn("not to be contacted", action.note)
        self.assertFalse(self._mails(self.customer))
        self.assertFalse(self._logs(self.customer))
        self.assertEqual(invoice.debt_stage_id, self.stage_formal, "No climb")

    def test_collector_approves_a_handoff(self):
        collector = new_test_user(
            self.env,
            login="collector.handoff",
            groups="account.group_account_invoice,debt_relations.group_debt_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=90))
        invoice.sudo().debt_stage_id = self.stage_final
        self.customer.with_company(self.company).sudo().debt_stage_id = self.stage_final
        action = self._run(self.today).action_ids
        self.assertEqual(action.stage_id, self.stage_handoff)
        action.with_user(collector).action_approve()
        self.assertEqual(action.state, "done")
        handoff = self.env["debt.handoff"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual((handoff.state, handoff.move_ids), ("draft", invoice))
        self.assertTrue(self._logs(self.customer, channel="note"))
