from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestPaymentPlan(DebtRelationsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = cls.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "type": "invoice",
                "parent_id": cls.customer.id,
                "email": "ap@azure.example.com",
            }
        )

    def _plan_from_wizard(self, moves, **values):
        action = moves[:1].action_debt_offer_plan()
        # Offered on the day the test is about: a plan is not dated in the past.
        with freeze_time(self.today):
            wizard = (
                self.env["debt.payment.plan.wizard"]
                .with_context(**action["context"])
                .create(
                    {
                        "move_ids": [Command.set(moves.ids)],
                        "date": self.today,
                        "first_date": self.today + timedelta(days=7),
                        **values,
                    }
                )
            )
            result = wizard.action_create_plan()
        return self.env["debt.payment.plan"].browse(result["res_id"])

    def _active_plan(self, moves, **values):
        plan = self._plan_from_wizard(moves, **values)
        with freeze_time(self.today):
            plan.action_propose()
            plan.action_activate()
        return plan

    def _comments(self, record):
        """The mails sent to the customer about ``record``, oldest first."""
        return self.env["mail.mail"].search(
            [("model", "=", record._name), ("res_id", "=", record.id)],
            order="id",
        )

    # ------------------------------------------------------------------
    # Building the schedule
    # ------------------------------------------------------------------

    def test_wizard_splits_exactly_with_down_payment(self):
        inv1 = self._create_invoice(self.customer, self.today - timedelta(days=20), 600)
        inv2 = self._create_invoice(self.customer, self.today - timedelta(days=10), 400)
        plan = self._plan_from_wizard(
            inv1 | inv2,
            installment_count=3,
            frequency="monthly",
            down_payment=100.0,
        )
        self.assertRecordValues(
            plan,
            [
                {
                    "partner_id": self.customer.id,
                    "currency_id": inv1.currency_id.id,
                    "amount_total": 1000.0,
                    "state": "draft",
                }
            ],
        )
        self.assertEqual(plan.move_ids, inv1 | inv2)
        first = self.today + timedelta(days=7)
        self.assertEqual(
            [(i.date_due, i.amount) for i in plan.installment_ids],
            [
                (first, 100.0),
                (first + timedelta(days=31), 300.0),
                (first + timedelta(days=61), 300.0),
                (first + timedelta(days=92), 300.0),
            ],
        )
        self.assertTrue(all(i.state == "open" for i in plan.installment_ids))

    def test_wizard_last_instalment_absorbs_the_remainder(self):
        invoice = self._create_invoice(self.customer, self.today, 100.0)
        plan = self._plan_from_wizard(invoice, installment_count=3, frequency="weekly")
        self.assertEqual(plan.installment_ids.mapped("amount"), [33.33, 33.33, 33.34])
        plan = self._plan_from_wizard(
            invoice, split_by="amount", installment_amount=40.0, frequency="biweekly"
        )
        self.assertEqual(plan.installment_ids.mapped("amount"), [40.0, 40.0, 20.0])
        self.assertEqual(
            plan.installment_ids.mapped("date_due"),
            [self.today + timedelta(days=d) for d in (7, 21, 35)],
        )
        with self.assertRaisesRegex(UserError, "positive"):
            self._plan_from_wizard(invoice, installment_count=0)
        with self.assertRaisesRegex(UserError, "before the plan date"):
            self._plan_from_wizard(invoice, first_date=self.today - timedelta(days=1))

    def test_propose_refuses_a_schedule_that_does_not_add_up(self):
        invoice = self._create_invoice(self.customer, self.today, 300.0)
        plan = self._plan_from_wizard(invoice, installment_count=3)
        # The user edits the lines before proposing.
        plan.installment_ids[-1].amount = 90.0
        with self.assertRaisesRegex(UserError, "add up to"):
            plan.action_propose()
        plan.installment_ids[-1].amount = 100.0
        plan.installment_ids[0].amount = 0.0
        plan.installment_ids[1].amount = 200.0
        with self.assertRaisesRegex(UserError, "positive amount"):
            plan.action_propose()
        plan.installment_ids[0].write(
            {"amount": 100.0, "date_due": self.today - timedelta(days=1)}
        )
        plan.installment_ids[1].amount = 100.0
        with self.assertRaisesRegex(UserError, "before the plan date"):
            plan.action_propose()
        self.assertEqual(plan.state, "draft")

    def test_plan_made_by_hand(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=8))
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "installment_ids": [
                    Command.create({"date_due": self.today, "amount": 60.0}),
                    Command.create(
                        {"date_due": self.today + timedelta(days=14), "amount": 40.0}
                    ),
                ],
            }
        )
        self.assertEqual(plan.date, self.today, "Recorded after the fact")
        self.assertEqual(plan.amount_total, 100.0)
        with freeze_time(self.today):
            plan.action_propose()
            plan.action_activate()
        self.assertEqual(plan.state, "active")
        self._run(self.today + timedelta(days=6))
        self.assertEqual(invoice.debt_skip_reason, "payment_plan")

    def test_one_customer_currency_and_company(self):
        other = self._create_customer("Deco Addict")
        inv1 = self._create_invoice(self.customer, self.today)
        inv2 = self._create_invoice(other, self.today)
        with self.assertRaisesRegex(ValidationError, "one customer"):
            self.env["debt.payment.plan"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set((inv1 | inv2).ids)],
                }
            )
        foreign = self._create_invoice(self.customer, self.today)
        foreign.button_draft()
        foreign.currency_id = self.setup_other_currency("EUR")
        foreign.action_post()
        with self.assertRaisesRegex(ValidationError, "one currency"):
            self.env["debt.payment.plan"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set((inv1 | foreign).ids)],
                }
            )

    # ------------------------------------------------------------------
    # Agreement
    # ------------------------------------------------------------------

    def test_propose_sends_the_written_agreement_and_activate_records_who(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=9))
        plan = self._plan_from_wizard(invoice, installment_count=2)
        with freeze_time(self.today):
            plan.action_propose()
        self.assertEqual(plan.state, "proposed")
        message = self._comments(plan)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.recipient_ids, self.billing, "To the billing contact")
        self.assertIn(plan.name, message.subject)
        self.assertIn("50.00", message.body_html)
        self.assertEqual(len(message.attachment_ids), 1, "The agreement is attached")
        log = self._logs(self.customer)
        self.assertRecordValues(
            log,
            [
                {
                    "channel": "email",
                    "direction": "outbound",
                    "date": self.today,
                    "message_id": message.mail_message_id.id,
                }
            ],
        )
        self.assertEqual(log.move_ids, invoice)
        self.assertIn("50.00", log.body, "the full text, in the contact log")

        with freeze_time(self.today + timedelta(days=2)):
            plan.action_activate()
        self.assertRecordValues(
            plan,
            [
                {
                    "state": "active",
                    "agreed_partner_id": self.billing.id,
                    "date_agreed": self.today + timedelta(days=2),
                    "activated_user_id": self.env.uid,
                }
            ],
        )
        plan.action_cancel()
        self.assertEqual(plan.state, "cancelled")

    # ------------------------------------------------------------------
    # The run
    # ------------------------------------------------------------------

    def test_run_skips_plan_invoices_and_reminds_the_others(self):
        covered = self._create_invoice(self.customer, self.today - timedelta(days=10))
        other = self._create_invoice(self.customer, self.today - timedelta(days=9))
        plan = self._active_plan(
            covered, installment_count=2, first_date=self.today + timedelta(days=30)
        )
        # The agreement sent today is a contact: the friendly rung waits 5 days.
        run = self._run(self.today + timedelta(days=6))
        mail = self._mails(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertIn(other.name, mail.body_html)
        self.assertNotIn(covered.name, mail.body_html)
        self.assertEqual(covered.debt_skip_reason, "payment_plan")
        self.assertFalse(covered.debt_stage_id)
        self.assertEqual(other.debt_stage_id, self.stage_friendly)
        self.assertIn("payment_plan", run.line_ids.mapped("reason"))
        self.assertEqual(plan.state, "active")

    def test_payments_through_odoo_are_allocated_oldest_first(self):
        inv1 = self._create_invoice(self.customer, self.today - timedelta(days=20), 600)
        inv2 = self._create_invoice(self.customer, self.today - timedelta(days=10), 300)
        plan = self._active_plan(inv1 | inv2, installment_count=3, frequency="weekly")
        first, second, third = plan.installment_ids
        self.assertEqual(plan.amount_total, 900.0)

        self._pay(inv2, amount=120.0, pay_date=self.today)
        self._pay(inv1, amount=330.0, pay_date=self.today)
        self.assertEqual(plan.amount_paid, 450.0)
        self.assertEqual(
            plan.installment_ids.mapped("amount_paid"), [300.0, 150.0, 0.0]
        )
        self.assertEqual(first.state, "paid")

        self._run(second.date_due + timedelta(days=1))
        self.assertEqual(
            (first.state, second.state, third.state), ("paid", "late", "open")
        )
        self.assertEqual(plan.state, "active")
        self.assertTrue(plan.at_risk)

        self._pay(inv1, pay_date=self.today)
        self._pay(inv2, pay_date=self.today)
        self.assertEqual(plan.installment_ids.mapped("state"), ["paid"] * 3)
        self._run(second.date_due + timedelta(days=2))
        self.assertEqual(plan.state, "completed")
        self.assertFalse(plan.at_risk)
        self.assertIn("thank you", self._comments(plan)[-1].subject.lower())
        thanks = self._logs(
            self.customer, message_id=self._comments(plan)[-1].mail_message_id.id
        )
        self.assertTrue(thanks.courtesy)

    def test_instalment_reminder_a_few_days_before(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=8))
        plan = self._active_plan(invoice, installment_count=2, frequency="monthly")
        first = plan.installment_ids[0]
        self.company.debt_plan_reminder_days = 2
        before = len(self._comments(plan))
        self._run(first.date_due - timedelta(days=3))
        self.assertEqual(len(self._comments(plan)), before, "Not 3 days before")
        self._run(first.date_due - timedelta(days=2))
        reminders = self._comments(plan)[before:]
        self.assertEqual(len(reminders), 1)
        self.assertIn("50.00", reminders.body_html)
        self.assertTrue(first.reminder_sent)
        self._run(first.date_due - timedelta(days=1))
        self.assertEqual(len(self._comments(plan)), before + 1, "Only once")

    def test_missed_instalment_grace_then_broken_back_at_its_rung(self):
        self.company.debt_plan_grace_days = 12
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=40))
        invoice.sudo().debt_stage_id = self.stage_firm
        partner = self.customer.with_company(self.company)
        partner.sudo().debt_stage_id = self.stage_firm
        plan = self._active_plan(invoice, installment_count=2, frequency="monthly")
        due = plan.installment_ids[0].date_due

        self._run(due)
        self.assertFalse(plan.at_risk)
        self._run(due + timedelta(days=1))
        self.assertEqual(plan.state, "active")
        self.assertTrue(plan.at_risk)
        self.assertEqual(plan.installment_ids[0].state, "late")
        self.assertEqual(
            plan.activity_ids.activity_type_id,
            self.env.ref("debt_relations.mail_activity_type_debt_plan_at_risk"),
        )
        self.assertIn("not yet received", self._comments(plan)[-1].body_html)
        self.assertEqual(invoice.debt_skip_reason, "payment_plan", "Still held")
        self.assertFalse(self._mails(self.customer))

        self._run(due + timedelta(days=12))
        self.assertEqual(plan.state, "active", "Within the grace period")
        self._run(due + timedelta(days=13))
        self.assertEqual(plan.state, "broken")
        self.assertEqual(plan.date_broken, due + timedelta(days=13))
        self.assertTrue(
            any(plan.name in m.body for m in self.customer.message_ids),
            "The break is logged on the customer",
        )
        # Back to the ladder at the rung it had reached, although the formal
        # letter (42 days overdue) would be due by now.
        mail = self._mails(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertIn(invoice.name, mail.body_html)
        action = self.env["debt.action"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(action.stage_id, self.stage_firm)
        self.assertTrue(action.agreement_broken)
        self.assertIn("arrangement has now ended", mail.body_html)
        self.assertEqual(invoice.debt_stage_id, self.stage_firm)
        self.assertEqual(partner.debt_stage_id, self.stage_firm)
        self.assertFalse(invoice.debt_skip_reason)

        # The broken plan is acknowledged once; then the ladder resumes.
        self._run(due + timedelta(days=13 + 14))
        self.assertEqual(invoice.debt_stage_id, self.stage_formal)

    # ------------------------------------------------------------------
    # Screens and access
    # ------------------------------------------------------------------

    def test_offer_from_the_customer_covers_its_open_invoices(self):
        inv1 = self._create_invoice(self.customer, self.today - timedelta(days=5))
        inv2 = self._create_invoice(self.customer, self.today - timedelta(days=2))
        paid = self._create_invoice(self.customer, self.today - timedelta(days=9))
        self._pay(paid)
        action = self.customer.action_debt_offer_plan()
        self.assertEqual(action["res_model"], "debt.payment.plan.wizard")
        self.assertEqual(
            set(action["context"]["default_move_ids"]), set((inv1 | inv2).ids)
        )
        plan = self._plan_from_wizard(inv1 | inv2, installment_count=2)
        self.assertEqual(self.customer.debt_payment_plan_count, 1)
        self.assertEqual(inv1.debt_payment_plan_count, 1)
        view = inv1.action_view_debt_payment_plans()
        self.assertEqual(self.env["debt.payment.plan"].search(view["domain"]), plan)
        view = self.customer.action_view_debt_payment_plans()
        self.assertEqual(self.env["debt.payment.plan"].search(view["domain"]), plan)

    def test_plans_are_per_company(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        invoice_b = self._create_invoice(
            self.customer, self.today - timedelta(days=5), company=company_b
        )
        self.env.user.company_ids |= company_b
        plan_b = (
            self.env["debt.payment.plan"]
            .with_company(company_b)
            .create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoice_b.ids)],
                    "company_id": company_b.id,
                }
            )
        )
        invoice_a = self._create_invoice(self.customer, self.today)
        with self.assertRaisesRegex(ValidationError, "one company"):
            self.env["debt.payment.plan"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set((invoice_a | invoice_b).ids)],
                }
            )
        user_a = new_test_user(
            self.env,
            login="collector_a_plans",
            groups="account.group_account_invoice,debt_relations.group_debt_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        Plan = self.env["debt.payment.plan"]
        self.assertFalse(Plan.with_user(user_a).search([("id", "=", plan_b.id)]))
        self.assertEqual(Plan.search([("id", "=", plan_b.id)]), plan_b)

    def test_late_instalment_paid_in_grace_is_back_on_schedule(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=20))
        plan = self._active_plan(invoice, installment_count=2, frequency="monthly")
        first = plan.installment_ids[0]
        at_risk_type = self.env.ref(
            "debt_relations.mail_activity_type_debt_plan_at_risk"
        )
        self._run(first.date_due + timedelta(days=1))
        self.assertTrue(plan.at_risk)
        self.assertEqual(plan.activity_ids.activity_type_id, at_risk_type)
        self._pay(invoice, amount=first.amount, pay_date=first.date_due)
        self._run(first.date_due + timedelta(days=2))
        self.assertEqual(plan.state, "active")
        self.assertFalse(plan.at_risk)
        self.assertEqual(first.state, "paid")
        self.assertFalse(plan.activity_ids, "The collector's activity is gone")

        # Cancelling an active plan sends its invoices back, and says so.
        plan.action_cancel()
        self.assertEqual(plan.state, "cancelled")
        self.assertTrue(
            self._logs(self.customer).filtered(lambda log: "cancelled" in log.summary)
        )
        self._run(first.date_due + timedelta(days=3))
        self.assertNotEqual(invoice.debt_skip_reason, "payment_plan")

    def test_an_invoice_is_in_one_plan_at_a_time(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=20))
        first = self._active_plan(invoice, installment_count=2, frequency="monthly")
        second = self._plan_from_wizard(invoice, installment_count=4)
        self.assertEqual(second.state, "draft", "An alternative may be drafted")
        with self.assertRaises(ValidationError) as refused, freeze_time(self.today):
            second.action_propose()
        self.assertIn(first.name, str(refused.exception))
        self.assertEqual(second.state, "draft")
        first.action_cancel()
        with freeze_time(self.today):
            second.action_propose()
        self.assertEqual(second.state, "proposed")
