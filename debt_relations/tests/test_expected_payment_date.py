import threading
from datetime import date, timedelta
from unittest.mock import patch

import psycopg2.errors
from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import DebtHttpCase, load_migration


@tagged("post_install", "-at_install")
class TestExpectedPaymentDate(DebtHttpCase):
    """Open invoices carry the day their customer will likely pay them, from
    its habits and what is agreed with it; the cash-in forecast sums them by
    week."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 2026-03-02 is a Monday.
        cls.collector = cls._collections_user("expdate_collector")
        cls.company.debt_dispute_target_days = 30
        cls.company.debt_forecast_risk_days = 30
        cls.late = cls._create_customer("Always Late")
        cls.punctual = cls._create_customer("Always Punctual")
        # Three invoices each: the late customer paid 20 days after their due
        # date, the punctual one on the day.
        for days_ago in (100, 70, 40):
            due = cls.today - timedelta(days=days_ago)
            cls._pay(
                cls._create_invoice(cls.late, due, 500.0),
                pay_date=due + timedelta(days=20),
            )
            cls._pay(cls._create_invoice(cls.punctual, due, 300.0), pay_date=due)

    def _day(self, days):
        return self.today + timedelta(days=days)

    def _expected(self, move):
        move.invalidate_recordset()
        return move.debt_expected_payment_date, move.debt_expected_payment_basis

    # ------------------------------------------------------------------
    # The date of one invoice
    # ------------------------------------------------------------------

    def test_habits_give_the_date_as_soon_as_the_invoice_is_posted(self):
        late = self._create_invoice(self.late, self._day(10), 500.0)
        punctual = self._create_invoice(self.punctual, self._day(5), 300.0)
        # Posting alone set them: no run yet.
        self.assertEqual(self._expected(late), (self._day(30), "own_history"))
        self.assertEqual(self._expected(punctual), (self._day(5), "own_history"))
        # Already 10 days late: the punctual customer never paid that late;
        # it is expected now, not in the past.
        overdue = self._create_invoice(self.punctual, self._day(-10), 200.0)
        self.assertEqual(self._expected(overdue), (self.today, "own_history"))
        # Paid: the date is gone.
        self._pay(punctual, pay_date=self.today)
        self.assertEqual(self._expected(punctual), (False, False))

    def test_no_history_falls_back_to_the_tier_and_says_so(self):
        tier = self.env["debt.relationship.tier"].create({"name": "Regular"})
        newcomer = self._create_customer("Newcomer")
        stranger = self._create_customer("Stranger")
        Profile = self.env["debt.partner.profile"].sudo()
        for partner in (self.late, newcomer):
            Profile.search([("partner_id", "=", partner.id)]).unlink()
            Profile.create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "tier_id": tier.id,
                }
            )
        fresh = self._create_invoice(newcomer, self._day(3), 400.0)
        unknown = self._create_invoice(stranger, self._day(3), 400.0)
        self.env["debt.payment.date"]._refresh(self.company, self.today)
        # The tier's only payer is 20 days late.
        self.assertEqual(self._expected(fresh), (self._day(23), "tier_history"))
        self.assertEqual(self._expected(unknown), (self._day(3), "no_history"))
        labels = dict(
            fresh._fields["debt_expected_payment_basis"]._description_selection(
                self.env
            )
        )
        self.assertEqual(labels["tier_history"], "Customers of the same tier")

    def test_a_promise_through_the_contact_dialog_moves_the_date(self):
        invoice = self._create_invoice(self.late, self._day(-5), 500.0)
        self.assertEqual(self._expected(invoice), (self._day(15), "own_history"))
        action = invoice.action_debt_log_contact()
        wizard_id, error = self._call_kw(
            self.collector,
            "debt.contact.wizard",
            "create",
            [
                {
                    "channel": "call",
                    "direction": "inbound",
                    "summary": "Will pay next week",
                    "is_promise": True,
                    "promise_date": str(self._day(7)),
                }
            ],
            {"context": action["context"]},
        )
        self.assertIsNone(error)
        _result, error = self._press(
            self.collector, "debt.contact.wizard", "action_log", [wizard_id]
        )
        self.assertIsNone(error)
        self.assertEqual(invoice.debt_promise_ids.state, "open")
        self.assertEqual(self._expected(invoice), (self._day(7), "promise"))
        # Broken once past its grace: history again, as of that day.
        with freeze_time(self._day(11)):
            self.env["debt.promise"]._settle(self.company, self._day(11))
            self.assertEqual(invoice.debt_promise_ids.state, "broken")
            self.env["debt.payment.date"]._refresh(self.company, self._day(11))
        self.assertEqual(self._expected(invoice), (self._day(15), "own_history"))

    def test_plan_instalments_paying_each_invoice(self):
        older = self._create_invoice(self.late, self._day(-20), 300.0)
        newer = self._create_invoice(self.late, self._day(-10), 200.0)
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": self.late.id,
                "move_ids": [Command.set((older | newer).ids)],
                "date": self.today,
                "installment_ids": [
                    Command.create({"date_due": self._day(7), "amount": 300.0}),
                    Command.create({"date_due": self._day(37), "amount": 100.0}),
                    Command.create({"date_due": self._day(67), "amount": 100.0}),
                ],
            }
        )
        plan.action_propose()
        # Proposed only: history still.
        self.assertEqual(self._expected(older)[1], "own_history")
        plan.action_activate()
        # The oldest invoice is paid by the first instalment, the other by
        # the next two.
        self.assertEqual(self._expected(older), (self._day(7), "plan"))
        self.assertEqual(self._expected(newer), (self._day(67), "plan"))

    def test_daily_run_keeps_the_dates(self):
        self._only_this_company_runs()
        invoice = self._create_invoice(self.late, self._day(10), 500.0)
        self.env["debt.payment.date"]._write({invoice.id: (None, None)})
        self._run(self.today)
        self.assertEqual(self._expected(invoice), (self._day(30), "own_history"))

    def test_migration_gives_existing_invoices_their_dates(self):
        invoice = self._create_invoice(self.late, self._day(10), 500.0)
        self.env["debt.payment.date"]._write({invoice.id: (None, None)})
        self.assertEqual(self._expected(invoice), (False, False))
        load_migration("18.0.1.5.0", "post-expected_payment_dates.py").migrate(
            self.env.cr, "18.0.1.4.0"
        )
        self.assertEqual(self._expected(invoice), (self._day(30), "own_history"))

    def test_expected_date_cannot_be_forged(self):
        invoice = self._create_invoice(self.late, self._day(10), 500.0)
        for fname, value in (
            ("debt_expected_payment_date", str(self._day(1))),
            ("debt_expected_payment_basis", "promise"),
        ):
            for context in ({}, {"debt_owner": ["account.move"]}):
                _result, error = self._call_kw(
                    self.collector,
                    "account.move",
                    "write",
                    [invoice.ids, {fname: value}],
                    {"context": context},
                )
                self.assertEqual(error and error["name"], "odoo.exceptions.UserError")
        self.assertEqual(self._expected(invoice), (self._day(30), "own_history"))

    # ------------------------------------------------------------------
    # The cash-in forecast
    # ------------------------------------------------------------------

    def _forecast(self, day):
        with freeze_time(day):
            rows = self.env["debt.cashin.forecast"].search(
                [
                    ("company_id", "=", self.company.id),
                    ("partner_id", "in", (self.late | self.punctual).ids),
                ]
            )
            return {
                (row.week_start, row.partner_id.name): (
                    row.amount_expected,
                    row.amount_at_risk,
                )
                for row in rows
            }

    def test_cashin_forecast_by_week_with_the_amounts_at_risk(self):
        self.company.debt_forecast_risk_days = 15
        # Late, due 12 March: expected 1 April (20 days after: at risk here).
        self._create_invoice(self.late, self._day(10), 500.0)
        # Handed off: no date, at risk.
        handed = self._create_invoice(self.late, self._day(-40), 80.0)
        self._create_handoff(handed)
        # Punctual: due Saturday 7 March, and one 10 days late, expected today.
        self._create_invoice(self.punctual, self._day(5), 300.0)
        self._create_invoice(self.punctual, self._day(-10), 200.0)
        # Disputed today: answered within 30 days (1 April), paid on the day.
        disputed = self._create_invoice(self.punctual, self._day(1), 100.0)
        self.env["debt.dispute"].create(
            {"move_id": disputed.id, "reason": "quality", "description": "Scratched"}
        )
        self.assertEqual(self._expected(disputed), (self._day(30), "dispute"))
        self.assertEqual(self._expected(handed), (False, "handoff"))
        this_week, week_of_april = date(2026, 3, 2), date(2026, 3, 30)
        self.assertEqual(
            self._forecast(self.today),
            {
                (this_week, "Always Punctual"): (500.0, 0.0),
                (week_of_april, "Always Punctual"): (100.0, 100.0),
                (week_of_april, "Always Late"): (500.0, 500.0),
                (False, "Always Late"): (80.0, 80.0),
            },
        )
        # A week later, nothing paid: that day's run moves what was expected
        # before that day into the new current week, as expected today: the
        # invoice 10 days late is now 18 days late, more than 15: at risk. The
        # disputed one, already 7 days late, is expected 7 days after the
        # dispute's answer (8 April).
        self._run(self._day(8))
        next_week = date(2026, 3, 9)
        self.assertEqual(
            self._forecast(self._day(8)),
            {
                (next_week, "Always Punctual"): (500.0, 200.0),
                (date(2026, 4, 6), "Always Punctual"): (100.0, 100.0),
                (week_of_april, "Always Late"): (500.0, 500.0),
                (False, "Always Late"): (80.0, 80.0),
            },
        )

    def test_an_invoice_expected_now_keeps_its_day_and_counts_today(self):
        self.company.debt_forecast_risk_days = 15
        # 10 days late: the punctual customer is expected to pay it now.
        overdue = self._create_invoice(self.punctual, self._day(-10), 200.0)
        # No history at all: due in 3 days, expected then; once due, now.
        newcomer = self._create_customer("Newcomer")
        fresh = self._create_invoice(newcomer, self._day(3), 60.0)
        self.assertEqual(self._expected(overdue), (self.today, "own_history"))
        self.assertEqual(self._expected(fresh), (self._day(3), "no_history"))
        # Eight days later, still unpaid: the daily recompute writes neither
        # again (each was expected on a day gone by: it is expected now).
        PaymentDate = self.env["debt.payment.date"]
        with freeze_time(self._day(8)):
            written = PaymentDate._refresh(
                self.company, self._day(8), partner_ids=(self.punctual | newcomer).ids
            )
        self.assertEqual(written, 0)
        self.assertEqual(self._expected(overdue), (self.today, "own_history"))
        self.assertEqual(self._expected(fresh), (self._day(3), "no_history"))
        # The forecast reads it as today's: this week, and at risk now that
        # today is more than 15 days after its due date.
        next_week = date(2026, 3, 9)
        forecast = self._forecast(self._day(8))
        self.assertEqual(forecast[(next_week, "Always Punctual")], (200.0, 200.0))
        # What changed is written: a dispute holds the overdue invoice.
        self.env["debt.dispute"].create(
            {"move_id": overdue.id, "reason": "quality", "description": "Dented"}
        )
        self.assertEqual(self._expected(overdue)[1], "dispute")

    def test_cashin_forecast_follows_payments_collectors_and_settings_at_once(self):
        self.company.debt_forecast_risk_days = 0
        first = self._create_invoice(self.late, self._day(10), 500.0)
        self._create_invoice(self.late, self._day(12), 200.0)
        week_of_april = date(2026, 3, 30)
        self.assertEqual(
            self._forecast(self.today), {(week_of_april, "Always Late"): (700.0, 0.0)}
        )
        # A part paid through Odoo's payment wizard: the week shows what is
        # left, before any run.
        self._pay(first, amount=150.0, pay_date=self.today)
        self.assertEqual(
            self._forecast(self.today), {(week_of_april, "Always Late"): (550.0, 0.0)}
        )
        # An administrator sets, in the settings, that an invoice expected 15
        # days after its due date is at risk: the forecast says so at once.
        admin = self._collections_user(
            "expdate_settings_admin",
            role="manager",
            extra_groups="base.group_system,account.group_account_manager",
        )
        settings_id, error = self._call_kw(
            admin, "res.config.settings", "create", [{"debt_forecast_risk_days": 15}]
        )
        self.assertIsNone(error)
        _result, error = self._press(
            admin, "res.config.settings", "execute", [settings_id]
        )
        self.assertIsNone(error)
        self.company.invalidate_recordset()
        self.assertEqual(self.company.debt_forecast_risk_days, 15)
        self.assertEqual(
            self._forecast(self.today),
            {(week_of_april, "Always Late"): (550.0, 550.0)},
        )
        # Another collector takes the customer: its rows follow.
        other = self._collections_user("expdate_other_collector")
        self.late.with_company(self.company).debt_collector_id = other
        row = self.env["debt.cashin.forecast"].search(
            [("partner_id", "=", self.late.id)]
        )
        self.assertEqual(row.user_id, other)
        # A manager refreshes the profiles (outside the run): the rows take
        # the customer's tier as the profile has it.
        stale = self.env["debt.relationship.tier"].create({"name": "Stale"})
        self.env.cr.execute(
            "UPDATE debt_cashin_forecast SET tier_id = %s WHERE partner_id = %s",
            [stale.id, self.late.id],
        )
        row.invalidate_recordset()
        self.assertEqual(row.tier_id, stale)
        manager = self._collections_user("expdate_tier_manager", role="manager")
        _result, error = self._call_kw(
            manager, "debt.relationship.tier", "action_refresh_profiles", []
        )
        self.assertIsNone(error)
        row.invalidate_recordset()
        profile = self.env["debt.partner.profile"].search(
            [("partner_id", "=", self.late.id), ("company_id", "=", self.company.id)]
        )
        self.assertTrue(profile.tier_id)
        self.assertEqual(row.tier_id, profile.tier_id)
        # Paid in full: nothing is expected from it any more.
        self._pay(first, pay_date=self.today)
        self.assertEqual(
            self._forecast(self.today),
            {(week_of_april, "Always Late"): (200.0, 200.0)},
        )

    def test_cashin_forecast_rows_are_only_written_by_the_refresh(self):
        self._create_invoice(self.late, self._day(10), 500.0)
        Forecast = self.env["debt.cashin.forecast"]
        row = Forecast.search([("partner_id", "=", self.late.id)])
        self.assertEqual(row.amount_expected, 500.0)
        manager = self._collections_user("expdate_manager", role="manager")
        for user in (self.collector, manager):
            for method, args in (
                ("write", [row.ids, {"amount_expected": 1.0}]),
                ("create", [{"partner_id": self.late.id, "amount_expected": 1.0}]),
                ("unlink", [row.ids]),
            ):
                _result, error = self._call_kw(user, Forecast._name, method, args)
                self.assertTrue(error, f"{user.login} could {method}")
        # Not even the superuser: the model refuses, whoever asks.
        for call in (
            lambda: row.sudo().write({"amount_expected": 1.0}),
            lambda: Forecast.sudo().create({"partner_id": self.late.id}),
            lambda: row.sudo().unlink(),
        ):
            with self.assertRaises(UserError):
                call()
        self.assertEqual(row.amount_expected, 500.0)
        # Refreshed again, nothing doubles: one row per customer and week.
        PaymentDate = self.env["debt.payment.date"]
        PaymentDate._refresh(self.company, self.today)
        PaymentDate._refresh(self.company, self.today, partner_ids=self.late.ids)
        row = Forecast.search([("partner_id", "=", self.late.id)])
        self.assertEqual(len(row), 1)
        self.assertEqual(row.amount_expected, 500.0)

    def test_two_refreshes_at_once_do_not_both_add_a_customers_rows(self):
        """Two transactions (two real connections, as two workers) refresh
        the same customer, which had no row: the later one fails to
        serialise (Odoo retries it) instead of adding the rows a second
        time. What the refresh finds is fixed here (the invoices it would
        read belong to this test's transaction, which the two cannot see);
        the statement that writes it is the model's."""
        company = self.env.ref("base.main_company")
        partner = self.env.ref("base.main_partner")
        Forecast = type(self.env["debt.cashin.forecast"])

        def rows_query(model, company_, as_of, partner_ids):
            return SQL(
                """SELECT %s::date AS week_start, %s AS company_id,
                          %s AS partner_id, NULL::int AS user_id,
                          NULL::int AS tier_id, %s AS currency_id,
                          %s::numeric AS amount_expected,
                          0::numeric AS amount_at_risk""",
                self.today,
                company.id,
                partner.id,
                company.currency_id.id,
                100.0,
            )

        def connection():
            cr = db_connect(self.env.cr.dbname).cursor()
            cr.execute("SELECT 1")  # the transaction's snapshot
            return cr, api.Environment(cr, SUPERUSER_ID, {})

        (cr1, env1), (cr2, env2) = connection(), connection()
        outcome = {}

        def second_worker():
            try:
                # The failure is logged as a bad query, as Odoo logs it
                # before retrying.
                with mute_logger("odoo.sql_db"):
                    env2["debt.cashin.forecast"]._refresh(
                        company, self.today, partner.ids
                    )
                cr2.commit()
                outcome["second"] = "committed"
            except psycopg2.errors.SerializationFailure:
                cr2.rollback()
                outcome["second"] = "serialization failure"

        try:
            with patch.object(Forecast, "_rows_query", rows_query):
                env1["debt.cashin.forecast"]._refresh(company, self.today, partner.ids)
                worker = threading.Thread(target=second_worker)
                worker.start()
                worker.join(1.0)
                # The second waits on the first's new row.
                self.assertTrue(worker.is_alive())
                cr1.commit()
                worker.join(30)
            self.assertEqual(outcome, {"second": "serialization failure"})
            cr1.execute(
                "SELECT amount_expected FROM debt_cashin_forecast"
                " WHERE partner_id = %s",
                [partner.id],
            )
            self.assertEqual(cr1.fetchall(), [(100.0,)])
        finally:
            cr1.execute(
                "DELETE FROM debt_cashin_forecast WHERE partner_id = %s", [partner.id]
            )
            cr1.commit()
            cr1.close()
            cr2.close()

    def test_migration_turns_the_view_into_a_table(self):
        self._create_invoice(self.late, self._day(10), 500.0)
        cr = self.env.cr
        cr.execute("DROP TABLE debt_cashin_forecast")
        cr.execute(
            "CREATE VIEW debt_cashin_forecast"
            " AS SELECT 1 AS id, NULL::date AS week_start"
        )
        load_migration("18.0.1.6.0", "pre-cashin_forecast_table.py").migrate(
            cr, "18.0.1.5.0"
        )
        # What Odoo does between the two scripts: the model's table.
        self.env.registry.init_models(
            cr, ["debt.cashin.forecast"], {"module": "debt_relations"}
        )
        load_migration("18.0.1.6.0", "post-cashin_forecast_table.py").migrate(
            cr, "18.0.1.5.0"
        )
        self.assertEqual(
            self._forecast(self.today),
            {(date(2026, 3, 30), "Always Late"): (500.0, 0.0)},
        )

    def test_customer_collections_tab_lists_the_expected_receipts(self):
        self._create_invoice(self.late, self._day(10), 500.0)
        self._create_invoice(self.late, self._day(-40), 80.0)
        views, error = self._call_kw(
            self.collector,
            "res.partner",
            "get_views",
            [[[False, "form"]]],
        )
        self.assertIsNone(error)
        arch = views["views"]["form"]["arch"]
        self.assertIn('name="debt_cashin_ids"', arch)
        records, error = self._call_kw(
            self.collector,
            "res.partner",
            "web_read",
            [self.late.ids],
            {
                "specification": {
                    "debt_cashin_ids": {
                        "fields": {
                            "week_start": {},
                            "amount_expected": {},
                            "amount_at_risk": {},
                        }
                    }
                }
            },
        )
        self.assertIsNone(error)
        rows = {
            row["week_start"]: (row["amount_expected"], row["amount_at_risk"])
            for row in records[0]["debt_cashin_ids"]
        }
        # The old one is later than the customer ever paid: expected now, 40
        # days after its due date, at risk.
        self.assertEqual(rows, {"2026-03-02": (80.0, 80.0), "2026-03-30": (500.0, 0.0)})
