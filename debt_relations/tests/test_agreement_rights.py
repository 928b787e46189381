from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import DebtRelationsCase

COLLECTOR = "account.group_account_invoice,debt_relations.group_debt_user"
MANAGER = "account.group_account_invoice,debt_relations.group_debt_manager"


class AgreementRightsCase(DebtRelationsCase):
    """A collector and a collections manager, neither an administrator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = new_test_user(
            cls.env, login="rights_collector", groups=COLLECTOR
        )
        cls.manager = new_test_user(cls.env, login="rights_manager", groups=MANAGER)
        cls.billing_user = new_test_user(
            cls.env, login="rights_billing", groups="account.group_account_invoice"
        )
        cls.users = cls.collector | cls.manager

    def _draft_plan(self, invoice, user=None, first=None, date=None):
        """A draft plan of two instalments from ``first`` (default: in a week)."""
        first = first or self.today + timedelta(days=7)
        half = invoice.amount_residual / 2
        Plan = self.env["debt.payment.plan"]
        if user:
            Plan = Plan.with_user(user)
        with freeze_time(self.today):
            return Plan.create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "date": date or self.today,
                    "installment_ids": [
                        Command.create({"date_due": first, "amount": half}),
                        Command.create(
                            {"date_due": first + timedelta(days=30), "amount": half}
                        ),
                    ],
                }
            )

    def _active_plan(self, invoice, user=None):
        plan = self._draft_plan(invoice, user=user)
        with freeze_time(self.today):
            plan.action_propose()
            plan.action_activate()
        return plan


@tagged("post_install", "-at_install")
class TestAgreementRights(AgreementRightsCase):
    # ------------------------------------------------------------------
    # Payment plans: state through the buttons only
    # ------------------------------------------------------------------

    def test_plan_state_changes_only_through_its_buttons(self):
        for user in self.users:
            with self.subTest(user=user.login):
                invoice = self._create_invoice(self.customer, self.today, 200.0)
                plan = self._draft_plan(invoice, user=user)
                for state in ("active", "proposed", "completed"):
                    with self.assertRaises(UserError) as refused:
                        plan.write({"state": state})
                    self.assertIn("set by its buttons", str(refused.exception))
                    self.assertIn(plan.name, str(refused.exception))
                with self.assertRaises(UserError):
                    plan.write({"at_risk": True})
                with self.assertRaises(UserError):
                    plan.write({"activated_user_id": user.id})
                self.assertRecordValues(
                    plan, [{"state": "draft", "at_risk": False, "date_agreed": False}]
                )
                with freeze_time(self.today):
                    plan.action_propose()
                    self.assertEqual(plan.state, "proposed")
                    plan.action_activate()
                self.assertRecordValues(
                    plan, [{"state": "active", "activated_user_id": user.id}]
                )

    def test_plan_is_not_created_active(self):
        invoice = self._create_invoice(self.customer, self.today, 100.0)
        Plan = self.env["debt.payment.plan"]
        for user in self.users:
            with self.subTest(user=user.login), self.assertRaises(UserError) as refused:
                Plan.with_user(user).create(
                    {
                        "partner_id": self.customer.id,
                        "move_ids": [Command.set(invoice.ids)],
                        "state": "active",
                        "installment_ids": [
                            Command.create(
                                {
                                    "date_due": self.today - timedelta(days=365),
                                    "amount": -50.0,
                                }
                            ),
                            Command.create({"date_due": self.today, "amount": 150.0}),
                        ],
                    }
                )
            self.assertIn("not when creating it", str(refused.exception))
        # A draft, as the screens create it, is fine (state given as default).
        plan = self._draft_plan(invoice, user=self.collector)
        self.assertEqual(plan.state, "draft")
        self.assertEqual(
            Plan.search([("move_ids", "in", invoice.ids)]), plan, "Nothing else made"
        )

    def test_active_plan_with_a_bad_schedule_is_refused_even_from_data(self):
        # Data files run as superuser and may record a plan as active: its
        # schedule must still hold.
        invoice = self._create_invoice(self.customer, self.today, 100.0)
        with self.assertRaises(ValidationError) as refused:
            self.env["debt.payment.plan"].sudo().create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "date": self.today,
                    "state": "active",
                    "installment_ids": [
                        Command.create({"date_due": self.today, "amount": -50.0}),
                        Command.create({"date_due": self.today, "amount": 150.0}),
                    ],
                }
            )
        self.assertIn("positive amount", str(refused.exception))
        self.assertFalse(
            self.env["debt.payment.plan"].search([("move_ids", "in", invoice.ids)])
        )

    def test_activating_late_instalments_is_refused(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=20))
        plan = self._draft_plan(
            invoice,
            user=self.collector,
            first=self.today - timedelta(days=1),
            date=self.today - timedelta(days=10),
        )
        with freeze_time(self.today), self.assertRaises(ValidationError) as refused:
            plan.action_activate()
        self.assertIn("due in the past", str(refused.exception))
        self.assertIn(
            str(self.today - timedelta(days=1)), str(refused.exception), "Names it"
        )
        self.assertEqual(plan.state, "draft")

    # ------------------------------------------------------------------
    # Instalments of a plan that is no longer a draft
    # ------------------------------------------------------------------

    def test_active_plan_schedule_cannot_be_changed_or_deleted(self):
        for user in self.users:
            with self.subTest(user=user.login):
                self._assert_schedule_fixed(user)

    def _assert_schedule_fixed(self, user):
        invoice = self._create_invoice(self.customer, self.today, 200.0)
        plan = self._active_plan(invoice, user=user)
        first, second = plan.installment_ids
        other = self._create_customer("Other")
        attempts = {
            "amount": lambda: first.write({"amount": 1.0}),
            "date": lambda: first.write({"date_due": self.today + timedelta(days=300)}),
            "delete": second.unlink,
            "add": lambda: (
                self.env["debt.payment.plan.installment"]
                .with_user(user)
                .create(
                    {
                        "plan_id": plan.id,
                        "date_due": self.today + timedelta(days=90),
                        "amount": 10.0,
                    }
                )
            ),
            "through the plan": lambda: plan.write(
                {"installment_ids": [Command.delete(second.id)]}
            ),
            "invoices": lambda: plan.write({"move_ids": [Command.clear()]}),
            "customer": lambda: plan.write({"partner_id": other.id}),
        }
        for name, attempt in attempts.items():
            with self.subTest(attempt=name), self.assertRaises(UserError):
                attempt()
        self.assertEqual(
            [(i.date_due, i.amount) for i in plan.installment_ids],
            [
                (self.today + timedelta(days=7), 100.0),
                (self.today + timedelta(days=37), 100.0),
            ],
        )
        self.assertEqual(plan.move_ids, invoice)
        self.assertEqual(plan.partner_id, self.customer)
        # Cancelled and back to draft, the schedule can be reworked.
        plan.action_cancel()
        plan.action_draft()
        second.unlink()
        first.amount = 200.0
        self.assertEqual(plan.installment_ids.mapped("amount"), [200.0])

    def test_active_plan_cannot_be_deleted(self):
        invoice = self._create_invoice(self.customer, self.today, 200.0)
        plan = self._active_plan(invoice, user=self.manager)
        with self.assertRaises(UserError) as refused:
            plan.unlink()
        self.assertIn("cancel it first", str(refused.exception))
        self.assertTrue(plan.exists())
        self.assertEqual(len(plan.installment_ids), 2)
        plan.action_cancel()
        plan.unlink()
        self.assertFalse(plan.exists())

    # ------------------------------------------------------------------
    # Promises and disputes: state through their methods only
    # ------------------------------------------------------------------

    def test_promise_and_dispute_state_are_not_edited(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=5))
        other = self._create_invoice(self.customer, self.today - timedelta(days=5))
        for user in self.users:
            with self.subTest(user=user.login):
                with freeze_time(self.today):
                    promise = (
                        self.env["debt.promise"]
                        .with_user(user)
                        .create(
                            {
                                "partner_id": self.customer.id,
                                "move_ids": [Command.set(invoice.ids)],
                                "date_promised": self.today + timedelta(days=3),
                            }
                        )
                    )
                with self.assertRaises(UserError):
                    promise.write({"state": "kept"})
                with self.assertRaises(UserError):
                    promise.write({"residual_start": 0.0})
                self.assertRecordValues(
                    promise, [{"state": "open", "residual_start": 100.0}]
                )
                dispute = (
                    self.env["debt.dispute"]
                    .with_user(user)
                    .create(
                        {"move_id": other.id, "reason": "pricing", "description": "?"}
                    )
                )
                with self.assertRaises(UserError):
                    dispute.write({"state": "resolved"})
                self.assertEqual(dispute.state, "open")
                dispute.action_reject()
                self.assertEqual(dispute.state, "rejected")
                with self.assertRaises(UserError):
                    dispute.write({"state": "open"})
                dispute.action_reopen()
                self.assertEqual(dispute.state, "open")
                dispute.action_reject()

    # ------------------------------------------------------------------
    # A run started by a collections manager without administrator rights
    # ------------------------------------------------------------------

    def test_manager_run_breaks_promise_and_plan_without_error(self):
        self.company.debt_promise_grace_days = 1
        self.company.debt_plan_grace_days = 1
        promised = self._create_invoice(self.customer, self.today - timedelta(days=9))
        planned = self._create_invoice(self.customer, self.today - timedelta(days=9))
        with freeze_time(self.today):
            promise = (
                self.env["debt.promise"]
                .with_user(self.collector)
                .create(
                    {
                        "partner_id": self.customer.id,
                        "move_ids": [Command.set(promised.ids)],
                        "amount": 100.0,
                        "date_promised": self.today + timedelta(days=2),
                    }
                )
            )
        plan = self._active_plan(planned, user=self.collector)
        self.assertFalse(self.manager.has_group("base.group_system"))
        self.assertFalse(self.manager.has_group("base.group_partner_manager"))
        day = self.today + timedelta(days=40)  # both past their grace
        with freeze_time(day):
            self.env["debt.promise"].with_user(self.manager)._settle(self.company, day)
            self.env["debt.payment.plan"].with_user(self.manager)._settle(
                self.company, day
            )
        self.assertRecordValues(promise, [{"state": "broken", "date_done": day}])
        self.assertRecordValues(plan, [{"state": "broken", "date_broken": day}])
        notes = self.customer.message_ids.filtered(
            lambda m: m.author_id == self.manager.partner_id
        )
        self.assertEqual(len(notes), 2, "The breaks are noted on the customer")
        self.assertTrue(any("not kept" in note.body for note in notes))
        self.assertTrue(any(plan.name in note.body for note in notes))
        broken = self._logs(self.customer, channel="note", direction="inbound")
        self.assertEqual(len(broken.filtered(lambda log: "broken" in log.summary)), 2)

    # ------------------------------------------------------------------
    # Billing users without the collections groups: read only
    # ------------------------------------------------------------------

    def test_billing_user_reads_collections_but_changes_nothing(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=9))
        plan = self._active_plan(invoice)
        disputed = self._create_invoice(self.customer, self.today - timedelta(days=9))
        dispute = self.env["debt.dispute"].create(
            {"move_id": disputed.id, "reason": "pricing", "description": "Price"}
        )
        promised = self._create_invoice(self.customer, self.today - timedelta(days=9))
        with freeze_time(self.today):
            promise = self.env["debt.promise"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(promised.ids)],
                    "date_promised": self.today + timedelta(days=5),
                }
            )
        other = self._create_customer("Wood Corner")
        self._create_invoice(other, self.today - timedelta(days=10))
        run = self._run(self.today)
        action = self.env["debt.action"].search([("run_id", "=", run.id)], limit=1)
        log = self._logs(self.customer)[:1]
        self.assertTrue(action and log)
        records = {
            "debt.contact.log": log,
            "debt.action": action,
            "debt.collection.run": run,
            "debt.payment.plan": plan,
            "debt.payment.plan.installment": plan.installment_ids[:1],
            "debt.promise": promise,
            "debt.dispute": dispute,
            "debt.policy": self.policy,
            "debt.stage": self.stage_friendly,
        }
        billing = self.billing_user
        self.assertFalse(billing.has_group("debt_relations.group_debt_user"))
        for model, record in records.items():
            with self.subTest(model=model):
                mine = record.with_user(billing)
                self.assertTrue(mine.read(["display_name"]))
                self.assertEqual(
                    self.env[model].with_user(billing).search([("id", "=", record.id)]),
                    mine,
                )
                with self.assertRaises(AccessError):
                    mine.check_access("write")
                with self.assertRaises(UserError):  # AccessError, or refused before
                    mine.write({"company_id": self.company.id})
                with self.assertRaises(AccessError):
                    self.env[model].with_user(billing).check_access("create")
                with self.assertRaises(UserError):
                    self.env[model].with_user(billing).create({})
                with self.assertRaises(AccessError):
                    mine.unlink()
        # Through the agreements' own screens too.
        with self.assertRaises(AccessError):
            plan.with_user(billing).action_cancel()
        with self.assertRaises(AccessError):
            dispute.with_user(billing).action_reject()
        with self.assertRaises(AccessError):
            self.env["debt.promise"].with_user(billing).create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "date_promised": self.today + timedelta(days=5),
                }
            )
        self.assertEqual(plan.state, "active")
        self.assertEqual(dispute.state, "open")
