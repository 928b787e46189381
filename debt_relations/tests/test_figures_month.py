from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from . import test_figures
from .common import DebtHttpCase

MARCH = date(2026, 3, 1)
RATIOS = (
    "dso",
    "cei",
    "add",
    "promise_kept_rate",
    "plan_completion_rate",
    "retained_after_collection",
)


@tagged("post_install", "-at_install")
class TestFiguresMonth(test_figures.TestRelationshipFigures, DebtHttpCase):
    """The pivot's rows (``debt.figures.month``) on the ledger worked out by
    hand in :class:`.test_figures.TestRelationshipFigures` (its own tests are not run
    again here). Alder and Birch are Ines's customers; Cedar has no
    collector (and no salesperson); nobody has a tier yet.

    Ines's row of March, worked out by hand (Alder and Birch only):

    - receivables at 28 Feb: A1 + B1 = 3000; at 31 Mar: A2 = 500, not yet
      due; March sales: A2 = 500. CEI = (3000 + 500 - 500) / (3000 + 500 -
      500) = 1. DSO: March's 500 of sales covers the 500: 31 days; the best
      possible DSO is the same 31 days: ADD 0.
    - promises due in March: Alder's, kept: 1; plans ended in March: Birch's,
      completed: 1; both settled escalated invoices, Alder was invoiced again:
      retained 1 / 2; both had reached firm or beyond: escalated share 1.
    - no dispute (empty); collected 3000 for two contacts: 2 / 3000 * 1000 =
      0.667 contacts per 1,000; nothing overdue on 31 Mar.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = date(2026, 7, 1)
        cls.ines = cls._collections_user("figures_ines")
        cls.manager = cls._collections_user("figures_manager", "manager")
        for partner in cls.alder | cls.birch:
            partner.with_company(cls.company).debt_collector_id = cls.ines

    def _rows(self, **values):
        domain = [("company_id", "=", self.company.id), ("month", "=", MARCH)]
        domain += [(name, "=", value) for name, value in values.items()]
        return self.env["debt.figures.month"].search(domain)

    def _refresh_march(self):
        self.env["debt.figures.month"]._refresh([(self.company, MARCH)])

    def test_company_row_is_the_public_figures(self):
        self._refresh_march()
        row = self._rows(breakdown="company")
        self.assertEqual(len(row), 1)
        self.assertFalse(row.user_id or row.tier_id)
        self.assertEqual(row.customer_count, 3)
        public = self.company._debt_relationship_figures(MARCH, date(2026, 3, 31))
        for name in RATIOS:
            self.assertAlmostEqual(row[name], public[name], msg=name)
        self.assertAlmostEqual(row.dso, 59.0)
        self.assertAlmostEqual(row.cei, 3000 / 3600)
        self.assertAlmostEqual(row.dispute_days_to_resolve, 8.0)
        self.assertAlmostEqual(row.dispute_rate, 0.5)
        self.assertAlmostEqual(row.contacts_per_thousand, 3 / 3000 * 1000)
        self.assertAlmostEqual(row.escalated_share, 1.0)
        self.assertAlmostEqual(row.overdue_amount, 600)

    def test_collector_row_is_scoped_to_his_customers(self):
        self._refresh_march()
        ines = self._rows(breakdown="collector", user_id=self.ines.id)
        self.assertEqual(ines.customer_count, 2)
        self.assertAlmostEqual(ines.cei, 1.0)
        self.assertAlmostEqual(ines.dso, 31.0)
        self.assertAlmostEqual(ines.add, 0.0)
        self.assertEqual(ines.promise_kept_rate, 1.0)
        self.assertEqual(ines.plan_completion_rate, 1.0)
        self.assertEqual(ines.retained_after_collection, 0.5)
        self.assertEqual(ines.escalated_share, 1.0)
        self.assertAlmostEqual(ines.contacts_per_thousand, 2 / 3000 * 1000)
        self.assertEqual(ines.overdue_amount, 0.0)
        # Nothing qualifies: no value (NULL), not a zero.
        self.env.cr.execute(
            "SELECT dispute_rate, dispute_days_to_resolve FROM debt_figures_month"
            " WHERE id = %s",
            [ines.id],
        )
        self.assertEqual(self.env.cr.fetchone(), (None, None))
        # Cedar: the row of customers without a collector.
        nobody = self._rows(breakdown="collector", user_id=False)
        self.assertEqual(nobody.customer_count, 1)
        self.assertEqual(nobody.promise_kept_rate, 0.0)  # its promise broke
        self.assertAlmostEqual(nobody.overdue_amount, 600)
        # No tier yet: one row for everybody, the company's figures.
        tier = self._rows(breakdown="tier")
        self.assertEqual(
            (len(tier), tier.tier_id.id, tier.customer_count), (1, False, 3)
        )
        company = self._rows(breakdown="company")
        for name in RATIOS:
            self.assertAlmostEqual(tier[name], company[name], msg=name)

    def test_refresh_button_replaces_the_month_for_a_manager(self):
        self._refresh_march()
        stale = self._rows(breakdown="company")
        self.env.cr.execute(
            "UPDATE debt_figures_month SET dso = 999 WHERE id = %s", [stale.id]
        )
        before = self._rows().ids
        result, error = self._press(
            self.manager, "debt.figures.month", "action_refresh", stale.ids
        )
        self.assertIsNone(error)
        self.assertEqual(result["tag"], "soft_reload")
        self.env.invalidate_all()
        rows = self._rows()
        self.assertEqual(len(rows), len(before))
        self.assertFalse(set(rows.ids) & set(before), "the month's rows are new")
        self.assertAlmostEqual(self._rows(breakdown="company").dso, 59.0)

    def test_refresh_button_without_selection_refreshes_recent_months(self):
        result, error = self._press(
            self.manager, "debt.figures.month", "action_refresh", []
        )
        self.assertIsNone(error)
        months = set(
            self.env["debt.figures.month"]
            .search([("company_id", "=", self.company.id)])
            .mapped("month")
        )
        self.assertEqual(months, {date(2026, 6, 1), date(2026, 7, 1)})

    def test_collectors_read_but_do_not_refresh(self):
        self._refresh_march()
        rows = self._rows().with_user(self.ines)
        # The company, Ines, no collector, no tier.
        self.assertEqual(len(rows.read(["dso"])), 4)
        _result, error = self._press(
            self.ines, "debt.figures.month", "action_refresh", rows.ids
        )
        self.assertEqual(error["name"], "odoo.exceptions.AccessError")
        with self.assertRaises(AccessError):
            rows.write({"dso": 1.0})
        with self.assertRaises(AccessError):
            rows.unlink()
        billing = new_test_user(
            self.env,
            login="figures_billing",
            groups="base.group_user,account.group_account_invoice",
        )
        with self.assertRaises(AccessError):
            self.env["debt.figures.month"].with_user(billing).search([])

    def test_other_company_rows_are_not_seen(self):
        other = self.setup_other_company()["company"]
        self.env["debt.figures.month"]._refresh([(self.company, MARCH), (other, MARCH)])
        seen = self.env["debt.figures.month"].with_user(self.ines).search([])
        self.assertTrue(seen)
        self.assertEqual(seen.company_id, self.company)

    def test_cron_refreshes_a_few_months_per_call(self):
        cron = self.env.ref("debt_relations.ir_cron_debt_figures_month")
        self.assertEqual(cron.code.strip(), "model._cron_refresh(13)")
        # The demo's figures, made at install, are not this test's.
        self.env.cr.execute("DELETE FROM debt_figures_month")
        companies = self.env["res.company"].search([])
        total = 13 * len(companies)
        Progress = self.env["ir.cron.progress"]
        remaining = []
        for _call in range(total):
            cron.method_direct_trigger()
            progress = Progress.search(
                [("cron_id", "=", cron.id)], order="id desc", limit=1
            )
            remaining.append((progress.done, progress.remaining))
            if not progress.remaining:
                break
        self.assertEqual(remaining[0], (3, total - 3))
        self.assertEqual(remaining[-1][1], 0)
        months = self.env["debt.figures.month"].search(
            [("company_id", "=", self.company.id), ("breakdown", "=", "company")]
        )
        self.assertEqual(len(months), 13)
        self.assertEqual(min(months.mapped("month")), date(2025, 7, 1))
        self.assertAlmostEqual(self._rows(breakdown="company").dso, 59.0)
        # Refreshed today: the next call has nothing to do.
        cron.method_direct_trigger()
        progress = Progress.search(
            [("cron_id", "=", cron.id)], order="id desc", limit=1
        )
        self.assertEqual((progress.done, progress.remaining), (0, 0))

    def test_current_month_runs_up_to_today(self):
        with freeze_time("2026-03-20"):
            self.env["debt.figures.month"]._refresh([(self.company, MARCH)])
            public = self.company._debt_relationship_figures(MARCH, date(2026, 3, 20))
        row = self._rows(breakdown="company")
        for name in RATIOS:
            self.assertAlmostEqual(row[name], public[name], msg=name)
