from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestCompanyAndAccess(DebtRelationsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]

    def test_new_company_gets_a_default_policy(self):
        policy = self.company_b.debt_policy_id
        self.assertTrue(policy)
        self.assertEqual(policy.company_id, self.company_b)
        self.assertEqual(len(policy.stage_ids), 6)
        self.assertEqual(policy.stage_ids.company_id, self.company_b)
        self.assertNotEqual(policy, self.policy)

    def test_new_company_gets_tiers_rules_and_reasons(self):
        company = self.company_b
        tiers = self.env["debt.relationship.tier"].search(
            [("company_id", "=", company.id)]
        )
        self.assertEqual(
            tiers.mapped("name"), ["Key account", "Reliable", "Standard", "Watch"]
        )
        key_account, reliable, standard, watch = tiers
        self.assertEqual(key_account.policy_id.company_id, company)
        self.assertEqual(watch.policy_id.company_id, company)
        self.assertEqual(len(watch.policy_id.stage_ids), 4)
        self.assertEqual(watch.policy_id.stage_ids.company_id, company)
        self.assertNotEqual(key_account.policy_id, watch.policy_id)
        self.assertFalse(reliable.policy_id | standard.policy_id)
        rules = self.env["debt.incentive.rule"].search(
            [("company_id", "=", company.id)]
        )
        self.assertEqual(
            sorted(rules.mapped("kind")), ["payment_term", "recognition", "thanks"]
        )
        # Dispute reasons are shared by every company.
        user_b = new_test_user(
            self.env,
            login="reasons_b",
            groups="account.group_account_invoice,debt_relations.group_debt_user",
            company_id=company.id,
            company_ids=[company.id],
        )
        self.assertIn(
            "pricing",
            self.env["debt.dispute.reason"].with_user(user_b).search([]).mapped("code"),
        )
        # Creating a company again gives it its own copies, once.
        company_c = self.env["res.company"].create({"name": "Company C"})
        company_c._debt_ensure_defaults()
        self.assertEqual(
            self.env["debt.relationship.tier"].search_count(
                [("company_id", "=", company_c.id)]
            ),
            4,
        )

    def test_new_company_thanks_a_customer_who_paid_on_time(self):
        company = self.company_b
        self.env.user.company_ids |= company
        day = self.today
        invoice = self._create_invoice(
            self.customer, day + timedelta(days=5), company=company
        )
        self.env["account.payment.register"].with_company(company).with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": day})._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self._run(day, company=company)
        thanks = self._mails(self.customer).filtered(
            lambda m: "thank you" in (m.subject or "").lower()
        )
        self.assertEqual(len(thanks), 1)
        self.assertIn("Thank you for settling on time", thanks.body_html)
        self.assertEqual(self.customer.with_company(company).debt_thanked_on, day)
        self.assertFalse(self.customer.with_company(self.company).debt_thanked_on)

    def test_partner_policy_belongs_to_the_company(self):
        # assertRaises (not ...Regex) rolls the refused write back.
        with self.assertRaises(UserError) as refused:
            self.customer.debt_policy_id = self.company_b.debt_policy_id
        self.assertIn("Incompatible companies", str(refused.exception))
        self.env.invalidate_all()
        self.assertFalse(self.customer.debt_policy_id)
        self.customer.with_company(
            self.company_b
        ).debt_policy_id = self.company_b.debt_policy_id
        self.assertFalse(self.customer.debt_policy_id)
        self.assertEqual(
            self.customer.with_company(self.company_b).debt_policy_id,
            self.company_b.debt_policy_id,
        )

    def test_runs_are_per_company(self):
        invoice_a = self._create_invoice(self.customer, self.today - timedelta(days=10))
        invoice_b = self._create_invoice(
            self.customer, self.today - timedelta(days=10), company=self.company_b
        )
        run = self._run(self.today)
        self.assertEqual(invoice_a.debt_stage_id, self.stage_friendly)
        self.assertFalse(invoice_b.debt_stage_id)
        self.assertEqual(run.invoice_count, 1)
        self.env.user.company_ids |= self.company_b
        run_b = self._run(self.today, company=self.company_b)
        self.assertEqual(
            invoice_b.debt_stage_id.policy_id, self.company_b.debt_policy_id
        )
        self.assertEqual(run_b.company_id, self.company_b)
        self.assertEqual(
            self.customer.with_company(self.company_b).debt_stage_id,
            invoice_b.debt_stage_id,
        )
        self.assertEqual(
            self.customer.with_company(self.company).debt_stage_id, self.stage_friendly
        )

    def test_collector_rights(self):
        collector = new_test_user(
            self.env,
            login="collector",
            groups="account.group_account_invoice,debt_relations.group_debt_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=70))
        invoice.sudo().debt_stage_id = self.stage_formal
        action = self._run(self.today).action_ids
        self.assertEqual(action.state, "to_review")
        action.with_user(collector).action_approve()
        self.assertEqual(action.state, "done")
        log = self._logs(self.customer)[:1].with_user(collector)
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            log.summary = "rewritten"
        with self.assertRaisesRegex(UserError, "Only collection managers"):
            self.env["debt.collection.run"].with_user(collector).action_run_now()
        with self.assertRaises(AccessError):
            self.policy.with_user(collector).name = "Mine"

    def test_billing_clerk_cannot_review(self):
        clerk = new_test_user(
            self.env,
            login="clerk",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=70))
        invoice.sudo().debt_stage_id = self.stage_formal
        action = self._run(self.today).action_ids
        with self.assertRaises(UserError):
            action.with_user(clerk).action_approve()
        self.assertEqual(action.state, "to_review")

    def test_company_rules(self):
        user_b = new_test_user(
            self.env,
            login="user_b",
            groups="account.group_account_invoice,debt_relations.group_debt_user",
            company_id=self.company_b.id,
            company_ids=[self.company_b.id],
        )
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        self._run(self.today)
        self.assertTrue(self._logs(self.customer))
        Log = self.env["debt.contact.log"].with_user(user_b)
        self.assertFalse(Log.search([("partner_id", "=", self.customer.id)]))
        self.assertFalse(self.env["debt.collection.run"].with_user(user_b).search([]))
        self.assertFalse(
            self.env["debt.policy"]
            .with_user(user_b)
            .search([("id", "=", self.policy.id)])
        )
