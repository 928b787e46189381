import json
from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import DebtRelationsCase
from .test_agreement_rights import COLLECTOR, MANAGER


@tagged("post_install", "-at_install")
class TestAgreementButtons(DebtRelationsCase, HttpCase):
    """Every button of the plan, dispute and plan-offer screens, pressed as
    the web client presses it, by each group that sees it; and what JSON-RPC
    users may not do to an agreement's state and schedule.

    Time is frozen to ``today`` (common setUp), in the server's thread too.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.day = cls.today
        cls.logins = {
            "collector": new_test_user(
                cls.env, login="buttons_collector", groups=COLLECTOR
            ).login,
            "manager": new_test_user(
                cls.env, login="buttons_manager", groups=MANAGER
            ).login,
        }
        cls.billing_login = new_test_user(
            cls.env, login="buttons_billing", groups="account.group_account_invoice"
        ).login

    def _rpc(self, route, params):
        """(result, error) of a JSON-RPC call by the authenticated user."""
        response = self.url_open(
            route,
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": 0, "params": params}
            ),
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        body = response.json()
        self.env.invalidate_all()
        error = body.get("error")
        return body.get("result"), error and error["data"]

    def _button(self, record, method):
        return self._rpc(
            "/web/dataset/call_button",
            {
                "model": record._name,
                "method": method,
                "args": [record.ids],
                "kwargs": {"context": {}},
            },
        )

    def _press(self, record, method):
        result, error = self._button(record, method)
        self.assertFalse(error, f"{record._name}.{method}: {error}")
        return result

    def _call_kw(self, model, method, args, kwargs=None):
        return self._rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def _offer_plan(self, invoice):
        """The "Offer a payment plan" dialog, filled in and confirmed."""
        action = self._press(invoice, "action_debt_offer_plan")
        self.assertEqual(action["res_model"], "debt.payment.plan.wizard")
        wizard_id, error = self._call_kw(
            "debt.payment.plan.wizard",
            "create",
            [{"installment_count": 2}],
            {"context": action["context"]},
        )
        self.assertFalse(error, error)
        wizard = self.env["debt.payment.plan.wizard"].browse(wizard_id)
        action = self._press(wizard, "action_create_plan")
        return self.env["debt.payment.plan"].browse(action["res_id"])

    # ------------------------------------------------------------------
    # Payment plans
    # ------------------------------------------------------------------

    def test_plan_buttons(self):
        for role, login in self.logins.items():
            with self.subTest(role=role):
                self.authenticate(login, login)
                invoice = self._create_invoice(self.customer, self.day, 200.0)
                plan = self._offer_plan(invoice)
                self.assertRecordValues(
                    plan, [{"state": "draft", "amount_total": 200.0}]
                )
                self.assertEqual(len(plan.installment_ids), 2)
                self.assertEqual(
                    plan.installment_ids[0].date_due, self.day + timedelta(days=7)
                )
                self._press(plan, "action_propose")
                self.assertEqual(plan.state, "proposed")
                action = self._press(plan, "action_print")
                self.assertEqual(action["type"], "ir.actions.report")
                self.assertEqual(
                    action["report_name"], "debt_relations.report_debt_payment_plan"
                )
                self._press(plan, "action_draft")
                self.assertEqual(plan.state, "draft")
                self._press(plan, "action_activate")  # "Activate", from draft
                self.assertRecordValues(
                    plan,
                    [
                        {
                            "state": "active",
                            "activated_user_id": self.env["res.users"]
                            .search([("login", "=", login)])
                            .id,
                        }
                    ],
                )
                self._press(plan, "action_cancel")
                self.assertEqual(plan.state, "cancelled")
                self._press(plan, "action_draft")
                self._press(plan, "action_propose")
                self._press(plan, "action_activate")  # "Customer Agreed"
                self.assertEqual(plan.state, "active")
                # A button pressed out of turn says why.
                result, error = self._button(plan, "action_propose")
                self.assertEqual(error["name"], "odoo.exceptions.UserError")
                self.assertIn("Only a draft plan can be proposed", error["message"])
                self.assertEqual(plan.state, "active")
                self._press(plan, "action_cancel")

    def test_plan_state_and_schedule_through_json_rpc(self):
        for role, login in self.logins.items():
            with self.subTest(role=role):
                self.authenticate(login, login)
                invoice = self._create_invoice(self.customer, self.day, 200.0)
                plan = self._offer_plan(invoice)
                _result, error = self._call_kw(
                    "debt.payment.plan", "write", [plan.ids, {"state": "active"}]
                )
                self.assertEqual(error["name"], "odoo.exceptions.UserError")
                self.assertIn("set by its buttons", error["message"])
                self.assertEqual(plan.state, "draft")
                other = self._create_invoice(self.customer, self.day, 100.0)
                _result, error = self._call_kw(
                    "debt.payment.plan",
                    "create",
                    [
                        {
                            "partner_id": self.customer.id,
                            "move_ids": [Command.set(other.ids)],
                            "state": "active",
                            "installment_ids": [
                                Command.create(
                                    {
                                        "date_due": str(self.day - timedelta(days=365)),
                                        "amount": -50.0,
                                    }
                                ),
                                Command.create(
                                    {"date_due": str(self.day), "amount": 150.0}
                                ),
                            ],
                        }
                    ],
                )
                self.assertEqual(error["name"], "odoo.exceptions.UserError")
                self.assertFalse(
                    self.env["debt.payment.plan"].search(
                        [("move_ids", "in", other.ids)]
                    )
                )
                self._press(plan, "action_propose")
                self._press(plan, "action_activate")
                first, second = plan.installment_ids
                for method, args in (
                    ("write", [first.ids, {"amount": 1.0}]),
                    ("write", [first.ids, {"date_due": str(self.day)}]),
                    ("unlink", [second.ids]),
                ):
                    _result, error = self._call_kw(
                        "debt.payment.plan.installment", method, args
                    )
                    self.assertEqual(error["name"], "odoo.exceptions.UserError")
                    self.assertIn(plan.name, error["message"])
                self.assertEqual(plan.installment_ids.mapped("amount"), [100.0, 100.0])
                self.assertEqual(plan.state, "active")
                self._press(plan, "action_cancel")

    def test_plan_wizard_refuses_a_past_date_by_rpc(self):
        self.authenticate(self.logins["collector"], self.logins["collector"])
        invoice = self._create_invoice(self.customer, self.day, 200.0)
        action = self._press(invoice, "action_debt_offer_plan")
        wizard_id, error = self._call_kw(
            "debt.payment.plan.wizard",
            "create",
            [{"date": str(self.day - timedelta(days=2))}],
            {"context": action["context"]},
        )
        self.assertFalse(error, error)
        wizard = self.env["debt.payment.plan.wizard"].browse(wizard_id)
        _result, error = self._button(wizard, "action_create_plan")
        self.assertEqual(error["name"], "odoo.exceptions.ValidationError")
        self.assertIn("cannot be dated in the past", error["message"])
        self.assertFalse(
            self.env["debt.payment.plan"].search([("move_ids", "in", invoice.ids)])
        )

    # ------------------------------------------------------------------
    # Disputes
    # ------------------------------------------------------------------

    def test_dispute_buttons(self):
        for role, login in self.logins.items():
            with self.subTest(role=role):
                self.authenticate(login, login)
                invoice = self._create_invoice(self.customer, self.day, 200.0)
                action = self._press(invoice, "action_debt_record_dispute")
                self.assertEqual(action["res_model"], "debt.dispute")
                dispute_id, error = self._call_kw(
                    "debt.dispute",
                    "create",
                    [{"reason": "pricing", "description": "Not the quoted price"}],
                    {"context": action["context"]},
                )
                self.assertFalse(error, error)
                dispute = self.env["debt.dispute"].browse(dispute_id)
                self.assertRecordValues(
                    dispute, [{"move_id": invoice.id, "state": "open"}]
                )
                action = self._press(dispute, "action_resolve")
                self.assertEqual(action["res_model"], "account.move.reversal")
                self.assertEqual(dispute.state, "open", "Until the credit note")
                self._press(dispute, "action_resolve_no_credit_note")
                self.assertEqual(dispute.state, "resolved")
                self._press(dispute, "action_reopen")
                self.assertRecordValues(
                    dispute, [{"state": "open", "date_done": False}]
                )
                self._press(dispute, "action_reject")
                self.assertRecordValues(
                    dispute, [{"state": "rejected", "date_done": self.day}]
                )
                _result, error = self._button(dispute, "action_reject")
                self.assertIn("Only open disputes", error["message"])
                _result, error = self._call_kw(
                    "debt.dispute", "write", [dispute.ids, {"state": "open"}]
                )
                self.assertIn("set by its buttons", error["message"])
                self.assertEqual(dispute.state, "rejected")

    # ------------------------------------------------------------------
    # Billing users: they see the agreements, they press nothing
    # ------------------------------------------------------------------

    def test_billing_user_cannot_press_agreement_buttons(self):
        invoice = self._create_invoice(self.customer, self.day, 200.0)
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "date": self.day,
                "installment_ids": [
                    Command.create(
                        {"date_due": self.day + timedelta(days=7), "amount": 200.0}
                    )
                ],
            }
        )
        disputed = self._create_invoice(self.customer, self.day, 50.0)
        dispute = self.env["debt.dispute"].create(
            {"move_id": disputed.id, "reason": "pricing", "description": "?"}
        )
        self.authenticate(self.billing_login, self.billing_login)
        for record, method in (
            (plan, "action_propose"),
            (plan, "action_activate"),
            (plan, "action_cancel"),
            (dispute, "action_reject"),
            (dispute, "action_resolve_no_credit_note"),
        ):
            with self.subTest(method=method):
                _result, error = self._button(record, method)
                self.assertEqual(error["name"], "odoo.exceptions.AccessError")
        self.assertEqual(plan.state, "draft")
        self.assertEqual(dispute.state, "open")
        # What they may do: read.
        result, error = self._call_kw(
            "debt.payment.plan", "read", [plan.ids, ["state", "amount_total"]]
        )
        self.assertFalse(error, error)
        self.assertEqual(result[0]["amount_total"], 200.0)
