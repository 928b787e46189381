from datetime import date, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DebtHttpCase, load_migration


@tagged("post_install", "-at_install")
class TestPartnerProfile(DebtHttpCase):
    """The relationship profile lives in ``debt.partner.profile``: one row per
    customer and company, upserted by the run, read-only for everyone else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tier = cls.env["debt.relationship.tier"].create({"name": "Everyone"})
        cls.collector = cls._collections_user("profile_collector")
        cls.manager = cls._collections_user("profile_manager", "manager")
        # May edit contacts: only the profile fields are refused.
        cls.manager.groups_id |= cls.env.ref("base.group_partner_manager")
        cls._create_invoice(cls.customer, cls.today - timedelta(days=10))

    def _profiles(self, partner):
        return self.env["debt.partner.profile"].search(
            [("partner_id", "=", partner.id)]
        )

    def test_refresh_upserts_one_profile_per_customer_and_company(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=20))
        self._pay(invoice, pay_date=self.today - timedelta(days=25))
        late = self._create_invoice(
            self.customer, self.today - timedelta(days=3), 250.0
        )
        Tier = self.env["debt.relationship.tier"]
        Tier._refresh_profiles(self.company, self.today)
        profile = self._profiles(self.customer)
        self.assertEqual(len(profile), 1)
        self.assertEqual(profile.company_id, self.company)
        self.assertEqual(profile.tier_id, self.tier)
        self.assertEqual((profile.paid_count, profile.on_time_count), (1, 1))
        # 250 late, and the 100 of the class's invoice.
        self.assertTrue(self.company.currency_id.is_zero(profile.overdue_amount - 350))
        # The partner shows the current company's profile.
        self.assertEqual(self.customer.debt_tier_id, self.tier)
        self.assertEqual(self.customer.debt_paid_count, 1)
        # A second refresh updates the same row, never a second one.
        self._pay(late)
        Tier._refresh_profiles(self.company, self.today)
        self.assertEqual(self._profiles(self.customer), profile)
        self.assertEqual(profile.paid_count, 2)
        self.assertTrue(self.company.currency_id.is_zero(profile.overdue_amount - 100))
        self.assertEqual(self.customer.debt_paid_count, 2)

    def test_nobody_edits_a_profile_through_the_orm(self):
        self.env["debt.relationship.tier"]._refresh_profiles(self.company, self.today)
        other_tier = self.env["debt.relationship.tier"].create({"name": "Other"})
        profile = self._profiles(self.customer)
        for user in (self.collector, self.manager):
            _result, error = self._call_kw(
                user,
                "debt.partner.profile",
                "write",
                [profile.ids, {"tier_id": other_tier.id, "paid_count": 99}],
            )
            self.assertTrue(error, user.login)
            _result, error = self._call_kw(
                user,
                "debt.partner.profile",
                "create",
                [{"partner_id": self.customer.id, "company_id": self.company.id}],
            )
            self.assertTrue(error, user.login)
            _result, error = self._call_kw(
                user,
                "res.partner",
                "write",
                [self.customer.ids, {"debt_tier_id": other_tier.id}],
            )
            self.assertTrue(error, user.login)
        self.assertIn("cannot be edited", error["message"])
        profile.invalidate_recordset()
        self.assertEqual(profile.tier_id, self.tier)
        self.assertEqual(self._profiles(self.customer), profile)
        # What collectors may read of it, they read.
        rows, error = self._call_kw(
            self.collector,
            "res.partner",
            "read",
            [self.customer.ids, ["debt_tier_id", "debt_paid_count"]],
        )
        self.assertIsNone(error)
        self.assertEqual(rows[0]["debt_tier_id"][0], self.tier.id)

    def test_partners_of_a_tier_are_found_through_their_profile(self):
        self.env["debt.relationship.tier"]._refresh_profiles(self.company, self.today)
        found = self.env["res.partner"].search([("debt_tier_id", "=", self.tier.id)])
        self.assertIn(self.customer, found)
        self.assertEqual(self.tier.partner_count, len(found))
        self.assertNotIn(
            self.customer,
            self.env["res.partner"].search([("debt_tier_id", "!=", self.tier.id)]),
        )

    def test_migration_moves_company_dependent_values_into_profiles(self):
        """Databases of 18.0.1.0.0 kept the profile in jsonb columns of
        ``res_partner``; the migration copies them and drops the columns."""
        cr = self.env.cr
        other = self._create_customer("Deco Addict")
        cid = str(self.company.id)
        cr.execute(
            "ALTER TABLE res_partner ADD COLUMN debt_tier_id jsonb, "
            "ADD COLUMN debt_paid_count jsonb, ADD COLUMN debt_on_time_ratio jsonb, "
            "ADD COLUMN debt_thanked_on jsonb, ADD COLUMN debt_tier_reason jsonb"
        )
        cr.execute(
            "UPDATE res_partner SET debt_tier_id = jsonb_build_object(%s, %s), "
            "debt_paid_count = jsonb_build_object(%s, 7), "
            "debt_on_time_ratio = jsonb_build_object(%s, 0.75), "
            "debt_thanked_on = jsonb_build_object(%s, '2026-02-01'), "
            "debt_tier_reason = jsonb_build_object(%s, 'Paid 6 of 7') WHERE id = %s",
            [cid, self.tier.id, cid, cid, cid, cid, self.customer.id],
        )
        # A tier deleted since, and a company key that no longer exists.
        cr.execute(
            "UPDATE res_partner SET debt_tier_id = jsonb_build_object(%s, 999999, "
            "'999998', 1) WHERE id = %s",
            [cid, other.id],
        )
        self.env["ir.config_parameter"].set_param("debt_relations.plan_grace_days", 12)
        self.env["ir.config_parameter"].set_param(
            "debt_relations.review_stale_days", "5"
        )
        load_migration("18.0.1.1.0").migrate(cr, "18.0.1.0.0")
        self.env.invalidate_all()
        profile = self._profiles(self.customer)
        self.assertEqual(len(profile), 1)
        self.assertEqual(profile.tier_id, self.tier)
        self.assertEqual(profile.paid_count, 7)
        self.assertAlmostEqual(profile.on_time_ratio, 0.75)
        self.assertEqual(profile.thanked_on, date(2026, 2, 1))
        self.assertEqual(profile.tier_reason, "Paid 6 of 7")
        self.assertEqual(self.customer.debt_thanked_on, date(2026, 2, 1))
        other_profile = self._profiles(other)
        self.assertEqual(other_profile.company_id, self.company)
        self.assertFalse(other_profile.tier_id)
        cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'res_partner' AND column_name IN "
            "('debt_tier_id', 'debt_paid_count', 'debt_thanked_on')"
        )
        self.assertFalse(cr.fetchall(), "the old columns are dropped")
        self.assertEqual(self.company.debt_plan_grace_days, 12)
        self.assertEqual(self.company.debt_review_stale_days, 5)
        self.assertFalse(
            self.env["ir.config_parameter"].get_param("debt_relations.plan_grace_days")
        )

    def test_settings_are_per_company_with_their_default(self):
        company = self.env["res.company"].create({"name": "Second Company"})
        self.assertEqual(
            (
                company.debt_plan_reminder_days,
                company.debt_plan_grace_days,
                company.debt_promise_grace_days,
                company.debt_review_stale_days,
                company.debt_mail_retry_hours,
            ),
            (3, 7, 3, 14, 24),
        )
        company.debt_plan_grace_days = 20
        self.assertEqual(self.company.debt_plan_grace_days, 7)
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            company.debt_promise_grace_days = -1
