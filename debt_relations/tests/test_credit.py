from datetime import date, timedelta
from html import unescape
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools.mail import html_to_inner_content

from .common import DebtHttpCase, load_migration


@tagged("post_install", "-at_install")
class TestCreditAssessment(DebtHttpCase):
    """Odoo's credit limit beside the one the customer's tier suggests; a
    collector applies it (logged), and a customer who drops a tier or breaks
    an agreement gets its collector a review.

    The Sales app is not installed in the test database: the exposure's
    confirmed orders come from Odoo's own ``credit_to_invoice``, which the
    Sales app fills; its place in the exposure is tested by filling it as the
    Sales app does.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.account_use_credit_limit = True
        Tier = cls.env["debt.relationship.tier"]
        cls.key = Tier.create(
            {
                "name": "Key",
                "sequence": 10,
                "min_paid_count": 1,
                "no_broken_agreement": True,
                "credit_limit_rule": "months",
                "credit_limit_months": 3,
                "credit_limit_rounding": 500,
            }
        )
        cls.watch = Tier.create(
            {
                "name": "Watch",
                "sequence": 40,
                "credit_limit_rule": "months",
                "credit_limit_months": 0.5,
                "credit_limit_rounding": 100,
            }
        )
        cls.collector = cls._collections_user("credit_collector")
        cls.billing = new_test_user(
            cls.env,
            login="credit_billing",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.customer.with_company(cls.company).debt_collector_id = cls.collector
        cls.review_type = cls.env.ref(
            "debt_relations.mail_activity_type_debt_credit_review"
        )
        cls.usd = cls.company.currency_id

    def _invoice_on(self, partner, invoice_date, amount, move_type="out_invoice"):
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_date_due": invoice_date + timedelta(days=30),
                "invoice_payment_term_id": False,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Shelving",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _hand_worked_ledger(self):
        """A customer of more than a year, invoiced 11,400 net over the last
        12 months (as of 2026-03-02): 950 a month."""
        customer = self.customer
        self._invoice_on(customer, date(2024, 11, 15), 5000.0)  # before the window
        # Exactly twelve months before: the window starts the day after.
        self._invoice_on(customer, date(2025, 3, 2), 999.0)
        for day, amount in (
            (date(2025, 4, 10), 2500.0),
            (date(2025, 7, 15), 3100.0),
            (date(2025, 11, 20), 4000.0),
            (date(2026, 2, 10), 2800.0),
        ):
            self._invoice_on(customer, day, amount)
        self._invoice_on(customer, date(2026, 1, 5), 1000.0, "out_refund")
        # A draft counts for nothing.
        self._create_invoice(customer, self.today, 10000.0, post=False)
        customer.sudo().debt_tier_id = self.key
        return customer

    @staticmethod
    def _text(html):
        """An activity note as its reader sees it (``&nbsp;`` as a space)."""
        return unescape(str(html))

    def _reviews(self, partner):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.review_type.id),
            ]
        )

    # ------------------------------------------------------------------
    # The suggestion, the exposure
    # ------------------------------------------------------------------

    def test_suggested_limit_from_average_monthly_invoicing(self):
        customer = self._hand_worked_ledger()
        # 2,500 + 3,100 + 4,000 + 2,800 - 1,000 = 11,400 over 12 months: 950
        # a month; 3 months: 2,850, rounded down to 500s: 2,500.
        self.assertEqual(customer.debt_credit_average, 950.0)
        self.assertEqual(customer.debt_credit_suggested, 2500.0)
        self.assertEqual(
            customer.debt_credit_basis,
            "Key: 3 months of average monthly invoicing, rounded down to "
            f"{self.usd.format(500.0)}",
        )
        self.assertEqual(customer.debt_credit_limit, 0.0, "No limit yet")
        # A contact of the customer shows the customer's figures.
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": customer.id}
        )
        self.assertEqual(contact.debt_credit_suggested, 2500.0)

        # A customer of three months is averaged over three months.
        newcomer = self._create_customer("Newcomer")
        self._invoice_on(newcomer, date(2025, 12, 15), 3000.0)
        newcomer.sudo().debt_tier_id = self.key
        self.assertEqual(newcomer.debt_credit_average, 1000.0)
        self.assertEqual(newcomer.debt_credit_suggested, 3000.0)

        # A tier that suggests nothing, a customer without a tier: nothing.
        self.key.credit_limit_rule = "none"
        self.env.invalidate_all()  # as the next request reads the form
        self.assertEqual(customer.debt_credit_suggested, 0.0)
        self.assertEqual(customer.debt_credit_basis, "Key: no credit limit suggested")
        stranger = self._create_customer("Stranger")
        self._invoice_on(stranger, date(2026, 2, 1), 3000.0)
        self.assertEqual(stranger.debt_credit_suggested, 0.0)
        self.assertFalse(stranger.debt_credit_basis)

    def test_exposure_is_what_the_customer_owes_plus_orders_to_invoice(self):
        partly = self._create_invoice(self.customer, self.today, 2800.0)
        self._create_invoice(self.customer, self.today, 4000.0)
        paid = self._create_invoice(self.customer, self.today, 1500.0)
        self._pay(partly, amount=800.0)
        self._pay(paid)
        self.assertEqual(self.customer.debt_credit_exposure, 6000.0)

        self.assertNotIn("sale.order", self.env, "the Sales app is not installed")
        Partner = type(self.env["res.partner"])
        customer_id = self.customer.id

        def orders_to_invoice(partners):
            # As the Sales app does: confirmed orders not invoiced yet.
            for partner in partners:
                partner.credit_to_invoice = 700.0 if partner.id == customer_id else 0

        with patch.object(Partner, "_compute_credit_to_invoice", orders_to_invoice):
            self.env.invalidate_all()
            self.assertEqual(self.customer.debt_credit_exposure, 6700.0)

    # ------------------------------------------------------------------
    # A person applies it
    # ------------------------------------------------------------------

    def test_collector_applies_the_suggested_limit_and_it_is_logged(self):
        customer = self._hand_worked_ledger()
        review = customer.activity_schedule(
            "debt_relations.mail_activity_type_debt_credit_review",
            user_id=self.collector.id,
        )
        result, error = self._press(
            self.collector,
            "res.partner",
            "action_debt_apply_credit_limit",
            customer.ids,
        )
        self.assertIsNone(error)
        self.assertFalse(result, "the form reloads")
        customer.invalidate_recordset()
        self.assertEqual(customer.with_company(self.company).credit_limit, 2500.0)
        self.assertTrue(customer.with_company(self.company).use_partner_credit_limit)
        self.assertEqual(customer.debt_credit_limit, 2500.0)
        message = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("body", "ilike", "Credit limit changed"),
            ]
        )
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.collector.partner_id)
        # The exposure: what the ledger still owes (every invoice is open).
        owed = 5000 + 999 + 2500 + 3100 + 4000 + 2800 - 1000
        self.assertEqual(
            html_to_inner_content(message.body),
            f"Credit limit changed from no limit to {self.usd.format(2500.0)} by "
            f"{self.collector.name}, as suggested by the relationship tier (Key: "
            "3 months of average monthly invoicing, rounded down to "
            f"{self.usd.format(500.0)}; average monthly invoicing "
            f"{self.usd.format(950.0)}, exposure {self.usd.format(owed)}).",
        )
        # The review is done, with what was decided.
        self.assertFalse(review.exists())
        done = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("mail_activity_type_id", "=", self.review_type.id),
            ]
        )
        self.assertIn("Suggested credit limit applied", done.body)

        # Pressed again: nothing to change, and it says so.
        _result, error = self._press(
            self.collector,
            "res.partner",
            "action_debt_apply_credit_limit",
            customer.ids,
        )
        self.assertIn("is already", error["message"])

    def test_apply_refused_without_rights_feature_or_suggestion(self):
        customer = self._hand_worked_ledger()
        _result, error = self._press(
            self.billing,
            "res.partner",
            "action_debt_apply_credit_limit",
            customer.ids,
        )
        self.assertEqual(error["name"], "odoo.exceptions.AccessError")
        self.assertIn("Only collectors and collections managers", error["message"])

        self.company.account_use_credit_limit = False
        _result, error = self._press(
            self.collector,
            "res.partner",
            "action_debt_apply_credit_limit",
            customer.ids,
        )
        self.assertEqual(error["name"], "odoo.exceptions.UserError")
        self.assertIn("Credit limits are off", error["message"])

        self.company.account_use_credit_limit = True
        self.key.credit_limit_rule = "none"
        _result, error = self._press(
            self.collector,
            "res.partner",
            "action_debt_apply_credit_limit",
            customer.ids,
        )
        self.assertIn("Key, suggests no credit limit", error["message"])
        customer.invalidate_recordset()
        self.assertEqual(customer.with_company(self.company).credit_limit, 0.0)
        self.assertFalse(
            self.env["mail.message"].search(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "=", customer.id),
                    ("body", "ilike", "Credit limit changed"),
                ]
            )
        )

    # ------------------------------------------------------------------
    # Reviews
    # ------------------------------------------------------------------

    def test_a_tier_drop_gives_the_collector_one_review(self):
        customer = self.customer
        # Invoiced 4,000 two months and a bit ago: 3 months, 1,333.33 a month;
        # half a month (Watch) is 666.67, down to 600.
        self._create_invoice(customer, self.today - timedelta(days=40), 4000.0)
        customer.sudo().debt_tier_id = self.key
        # Nothing paid yet: Key (one invoice paid) is not met any more.
        self._run(self.today)
        self.assertEqual(customer.debt_tier_id, self.watch)
        review = self._reviews(customer)
        self.assertEqual(len(review), 1)
        self.assertEqual(review.user_id, self.collector)
        self.assertEqual(review.date_deadline, self.today)
        note = self._text(review.note)
        self.assertIn("Relationship tier dropped: Key → Watch.", note)
        self.assertIn("Credit limit in force: no limit.", note)
        self.assertIn(f"Suggested: {self.usd.format(600.0)} (Watch: 0.5 months", note)
        self.assertIn(f"Exposure: {self.usd.format(4000.0)}.", note)

        # The next day, nothing changed: nothing new.
        self._run(self.today + timedelta(days=1))
        self.assertEqual(self._reviews(customer), review)
        # Dropping again while the review is open adds to it.
        customer.sudo().debt_tier_id = self.key
        self._run(self.today + timedelta(days=2))
        self.assertEqual(self._reviews(customer), review)
        self.assertEqual(self._text(review.note).count("Relationship tier dropped"), 2)

        # Moving up is no drop.
        other = self._create_customer("Climber")
        self._pay(self._create_invoice(other, self.today - timedelta(days=5)))
        other.sudo().debt_tier_id = self.watch
        self._run(self.today + timedelta(days=3))
        self.assertEqual(other.debt_tier_id, self.key)
        self.assertFalse(self._reviews(other))

    def test_a_broken_promise_gives_the_collector_one_review(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=30))
        self._pay(self._create_invoice(self.customer, self.today - timedelta(days=60)))
        self.company.debt_promise_grace_days = 2
        promise = self.env["debt.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 100.0,
                "date": self.today,
                "date_promised": self.today + timedelta(days=3),
            }
        )
        self._run(self.today)
        self.assertEqual(self.customer.debt_tier_id, self.key)
        self.assertFalse(self._reviews(self.customer))

        self._run(self.today + timedelta(days=6))
        self.assertEqual(promise.state, "broken")
        review = self._reviews(self.customer)
        self.assertEqual(len(review), 1, "One review for the promise and the drop")
        self.assertEqual(review.user_id, self.collector)
        self.assertIn(
            f"Promise to pay {self.usd.format(100.0)} by 2026-03-05 broken.",
            self._text(review.note),
        )
        # The broken promise also costs the customer its tier (Key asks for
        # none broken): the same review says so.
        self.assertEqual(self.customer.debt_tier_id, self.watch)
        self.assertIn(
            "Relationship tier dropped: Key → Watch.", self._text(review.note)
        )

    def test_no_review_when_credit_limits_are_off(self):
        self.company.account_use_credit_limit = False
        self._create_invoice(self.customer, self.today - timedelta(days=40), 4000.0)
        self.customer.sudo().debt_tier_id = self.key
        self._run(self.today)
        self.assertEqual(self.customer.debt_tier_id, self.watch)
        self.assertFalse(self._reviews(self.customer))

    # ------------------------------------------------------------------
    # The rules
    # ------------------------------------------------------------------

    def test_bad_rules_are_refused(self):
        Tier = self.env["debt.relationship.tier"]
        for values, text in (
            ({"credit_limit_months": -1}, "cannot have a negative"),
            ({"credit_limit_rounding": -100}, "cannot have a negative"),
            (
                {"credit_limit_rule": "fixed", "credit_limit_amount": -5},
                "cannot have a negative",
            ),
            ({"credit_limit_rule": "months"}, "give the number of months"),
            ({"credit_limit_rule": "fixed"}, "give the amount"),
        ):
            with self.assertRaises(ValidationError) as refused:
                Tier.create({"name": "Bad", **values})
            self.assertIn(text, str(refused.exception))
            self.assertIn("Bad", str(refused.exception))

    def test_migration_gives_the_shipped_tiers_their_rules(self):
        migration = load_migration("18.0.1.5.0", "post-credit_rules.py")
        # sudo: the shipped tiers are the main company's.
        shipped = self.env.ref("debt_relations.debt_tier_key_account").sudo()
        copy = shipped.copy({"company_id": self.company.id, "policy_id": False})
        kept = (
            self.env.ref("debt_relations.debt_tier_watch")
            .sudo()
            .copy(
                {
                    "company_id": self.company.id,
                    "policy_id": False,
                    "credit_limit_rule": "fixed",
                    "credit_limit_amount": 800.0,
                }
            )
        )
        (shipped | copy).write({"credit_limit_rule": "none"})
        self.env.flush_all()
        migration.migrate(self.env.cr, "18.0.1.4.0")
        self.env.invalidate_all()
        for tier in (shipped, copy):
            self.assertEqual(
                (
                    tier.credit_limit_rule,
                    tier.credit_limit_months,
                    tier.credit_limit_rounding,
                ),
                ("months", 3.0, 1000.0),
            )
        self.assertEqual(kept.credit_limit_rule, "fixed", "a rule set since stays")
        self.assertEqual(kept.credit_limit_amount, 800.0)
