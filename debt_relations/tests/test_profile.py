from datetime import timedelta

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestProfile(DebtRelationsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Policy = cls.env["debt.policy"]
        cls.key_policy = Policy.create(
            {
                "name": "Key account: personal first",
                "company_id": cls.company.id,
                "stage_ids": [
                    Command.create(
                        {
                            "name": "Personal call",
                            "sequence": 10,
                            "offset_days": 5,
                            "send_email": False,
                            "schedule_call": True,
                            "call_account_manager": True,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Friendly reminder",
                            "sequence": 20,
                            "offset_days": 20,
                            "min_gap_days": 10,
                            "mail_template_id": cls.stage_friendly.mail_template_id.id,
                        }
                    ),
                ],
            }
        )
        cls.watch_policy = Policy.create(
            {
                "name": "Watch",
                "company_id": cls.company.id,
                "stage_ids": [
                    Command.create(
                        {
                            "name": "Reminder",
                            "offset_days": 1,
                            "mail_template_id": cls.stage_friendly.mail_template_id.id,
                        }
                    )
                ],
            }
        )
        Tier = cls.env["debt.relationship.tier"]
        cls.tier_key = Tier.create(
            {
                "name": "Key account",
                "sequence": 10,
                "min_tenure_months": 6,
                "min_paid_count": 3,
                "min_on_time_ratio": 0.9,
                "min_revenue": 1000.0,
                "max_avg_days_late": 2,
                "policy_id": cls.key_policy.id,
            }
        )
        cls.tier_reliable = Tier.create(
            {
                "name": "Reliable",
                "sequence": 20,
                "min_paid_count": 2,
                "min_on_time_ratio": 0.6,
            }
        )
        cls.tier_standard = Tier.create(
            {"name": "Standard", "sequence": 30, "max_avg_days_late": 20}
        )
        cls.tier_watch = Tier.create(
            {"name": "Watch", "sequence": 40, "policy_id": cls.watch_policy.id}
        )

    def _partner(self, partner=None):
        return (partner or self.customer).with_company(self.company)

    def _history(self, partner, count, days_late=0, amount=500.0, start=400):
        """``count`` invoices, 30 days apart from ``start`` days ago, paid."""
        for index in range(count):
            due = self.today - timedelta(days=start - 30 * index)
            invoice = self._create_invoice(partner, due, amount)
            self._pay(invoice, pay_date=due + timedelta(days=days_late))

    def _mixed_history(self, partner):
        """Invoices paid early, on the day, late, in part, in two parts, after
        today, and one not yet due."""
        today = self.today
        early = self._create_invoice(partner, today - timedelta(days=100), 100)
        self._pay(early, pay_date=today - timedelta(days=110))
        on_due = self._create_invoice(partner, today - timedelta(days=80), 200)
        self._pay(on_due, pay_date=today - timedelta(days=80))
        late = self._create_invoice(partner, today - timedelta(days=60), 300)
        self._pay(late, pay_date=today - timedelta(days=51))
        partial = self._create_invoice(partner, today - timedelta(days=20), 400)
        self._pay(partial, amount=150.0, pay_date=today - timedelta(days=25))
        # Paid in two parts, the last one late: late by the last payment.
        split = self._create_invoice(partner, today - timedelta(days=40), 100)
        self._pay(split, amount=50.0, pay_date=today - timedelta(days=45))
        self._pay(split, amount=50.0, pay_date=today - timedelta(days=37))
        # Paid after the as-of date: still open as of then.
        future = self._create_invoice(partner, today - timedelta(days=10), 50)
        self._pay(future, pay_date=today + timedelta(days=3))
        self._create_invoice(partner, today + timedelta(days=10), 70)
        return early

    def test_profile_figures(self):
        today = self.today
        early = self._mixed_history(self.customer)

        self._run(today)
        partner = self._partner()
        self.assertEqual(partner.debt_paid_count, 4)
        self.assertEqual(partner.debt_on_time_count, 2)
        self.assertAlmostEqual(partner.debt_on_time_ratio, 0.5)
        self.assertAlmostEqual(partner.debt_avg_days_late, (9 + 3) / 4)
        self.assertEqual(partner.debt_customer_since, early.invoice_date)
        self.assertTrue(
            self.company.currency_id.is_zero(
                partner.debt_revenue_12m - (100 + 200 + 300 + 400 + 100 + 50 + 70)
            )
        )
        # Overdue: 250 left on the partial invoice and the 50 paid later.
        self.assertTrue(
            self.company.currency_id.is_zero(partner.debt_overdue_amount - 300.0)
        )
        self.assertEqual(partner.debt_profile_date, today)
        self.assertEqual(partner.debt_tier_id, self.tier_standard)
        self.assertIn("Paid 2 of 4 invoices on time", partner.debt_tier_reason)
        self.assertIn("3.0 days late on average", partner.debt_tier_reason)

    def test_profile_figures_as_of_an_earlier_day(self):
        """Read in one pass over the ledger, the figures of a past day count
        only what was invoiced and paid by then."""
        self._mixed_history(self.customer)
        as_of = self.today - timedelta(days=30)
        query = self.env["debt.relationship.tier"]._profile_query(self.company, as_of)
        [(since, revenue, paid, on_time, avg_late, overdue)] = [
            row[1:]
            for row in self.env.execute_query(query)
            if row[0] == self.customer.id
        ]
        # Paid by then: early, on the day, 9 days late, in two parts 3 days
        # late; the partial one and the one paid after today are not.
        self.assertEqual((paid, on_time), (4, 2))
        self.assertAlmostEqual(float(avg_late), (9 + 3) / 4)
        self.assertEqual(since, self.today - timedelta(days=130))
        # Invoiced by then: all but the invoice dated 20 days ago.
        self.assertTrue(
            self.company.currency_id.is_zero(
                revenue - (100 + 200 + 300 + 400 + 100 + 50)
            )
        )
        # Nothing was overdue that day: what fell due before it was paid.
        self.assertTrue(self.company.currency_id.is_zero(overdue or 0.0))

    def test_tiers_and_reasons(self):
        key = self._create_customer("Key Customer")
        self._history(key, 4, start=330)  # 2000 over the last 12 months
        reliable = self._create_customer("Reliable Customer")
        self._history(reliable, 3, amount=100.0, start=100)
        late = self._create_customer("Late Customer")
        self._history(late, 3, days_late=30, start=200)
        new = self._create_customer("New Customer")
        self._create_invoice(new, self.today + timedelta(days=20))

        self._run(self.today)
        self.assertEqual(self._partner(key).debt_tier_id, self.tier_key)
        self.assertEqual(
            self._partner(key).debt_tier_reason,
            "Paid 4 of 4 invoices on time over 11 month(s)",
        )
        self.assertEqual(self._partner(reliable).debt_tier_id, self.tier_reliable)
        self.assertEqual(self._partner(late).debt_tier_id, self.tier_watch)
        self.assertEqual(self._partner(new).debt_tier_id, self.tier_standard)
        self.assertEqual(self.tier_watch.partner_count, 1)
        self.assertEqual(
            self._partner(new).debt_tier_reason, "New customer: no invoice paid yet"
        )

    def test_tier_change_logged_on_chatter(self):
        self._create_invoice(self.customer, self.today + timedelta(days=20))
        before = len(self.customer.message_ids)
        self._run(self.today)
        self.assertEqual(self._partner().debt_tier_id, self.tier_standard)
        self.assertEqual(
            len(self.customer.message_ids), before, "A first profile is no change"
        )
        self._history(self.customer, 3, days_late=40, start=300)
        self._run(self.today + timedelta(days=1))
        self.assertEqual(self._partner().debt_tier_id, self.tier_watch)
        bodies = self.customer.message_ids.mapped("body")
        self.assertTrue(any("Standard → Watch" in body for body in bodies), bodies)
        count = len(self.customer.message_ids)
        self._run(self.today + timedelta(days=2))
        self.assertEqual(len(self.customer.message_ids), count, "Logged on change only")

    def test_tier_policy_drives_the_ladder(self):
        manager = new_test_user(self.env, login="account.manager")
        collector = new_test_user(self.env, login="collector.key")
        key = self._create_customer("Key Customer", user_id=manager.id)
        key.with_company(self.company).debt_collector_id = collector
        self._history(key, 4, start=330)
        self._create_invoice(key, self.today - timedelta(days=6))
        standard = self._create_customer("Standard Customer")
        self._create_invoice(standard, self.today - timedelta(days=8))
        watch = self._create_customer("Watch Customer")
        self._history(watch, 3, days_late=30, start=200)
        self._create_invoice(watch, self.today - timedelta(days=2))

        self._run(self.today)
        self.assertEqual(self._partner(key).debt_tier_id, self.tier_key)
        self.assertFalse(self._mails(key), "A key account gets a call, not a mail")
        self.assertEqual(
            self._partner(key).debt_stage_id, self.key_policy._get_ladder_stages()[0]
        )
        self.assertEqual(
            key.activity_ids.activity_type_id,
            self.env.ref("debt_relations.mail_activity_type_debt_call"),
        )
        self.assertEqual(
            key.activity_ids.user_id, manager, "The account manager calls, personally"
        )
        # sudo: the shipped stage belongs to the main company.
        shipped = self.env.ref("debt_relations.debt_stage_key_call").sudo()
        self.assertTrue(shipped.schedule_call and shipped.call_account_manager)
        self.assertFalse(shipped.send_email)
        self.assertEqual(
            self._partner(standard).debt_stage_id,
            self.stage_friendly,
            "No policy on the tier: the company's default",
        )
        self.assertEqual(
            self._partner(watch).debt_stage_id, self.watch_policy.stage_ids
        )

    def test_policy_set_by_hand_wins_over_the_tier(self):
        key = self._create_customer("Key Customer")
        self._history(key, 4, start=330)
        self._partner(key).debt_policy_id = self.policy
        self._create_invoice(key, self.today - timedelta(days=8))
        self._run(self.today)
        self.assertEqual(self._partner(key).debt_tier_id, self.tier_key)
        self.assertEqual(self._partner(key).debt_stage_id, self.stage_friendly)
        self.assertEqual(len(self._mails(key)), 1)

    def test_profile_is_per_company(self):
        self._history(self.customer, 3, start=100)
        self._run(self.today)
        other = self.setup_other_company()["company"]
        self.assertEqual(self._partner().debt_paid_count, 3)
        self.assertEqual(self._partner().debt_tier_id, self.tier_reliable)
        partner_other = self.customer.with_company(other)
        self.assertEqual(partner_other.debt_paid_count, 0)
        self.assertFalse(partner_other.debt_tier_id)
        self.assertFalse(partner_other.debt_tier_reason)

    def test_query_count_does_not_grow_with_customers(self):
        self.env["debt.incentive.rule"].create(
            [
                {
                    "name": "Thanks",
                    "kind": "thanks",
                    "mail_template_id": self.env.ref(
                        "debt_relations.mail_template_debt_thanks"
                    ).id,
                },
                {"name": "Badge", "kind": "recognition", "streak_length": 5},
            ]
        )

        def build(count, prefix):
            for index in range(count):
                customer = self._create_customer(f"{prefix} {index}")
                self._history(customer, 2, start=200)
                self._create_invoice(customer, self.today - timedelta(days=10))

        self._assert_run_queries_flat(build)
        self.assertEqual(
            self._partner(
                self.env["res.partner"].search([("name", "=", "Large 49")])
            ).debt_tier_id,
            self.tier_reliable,
        )
