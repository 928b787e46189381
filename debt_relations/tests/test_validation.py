from datetime import timedelta

from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestValidation(DebtRelationsCase):
    """Bad input is refused by name, and nothing is half-written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = new_test_user(
            cls.env,
            login="validation_collector",
            groups="account.group_account_invoice,debt_relations.group_debt_user",
        )

    def _refused(self, make, *expected, error=ValidationError):
        """``make()`` raises ``error`` whose message contains ``expected``."""
        with self.assertRaises(error) as refused:
            make()
        for text in expected:
            self.assertIn(text, str(refused.exception))
        return refused.exception

    def _count(self, model):
        return self.env[model].with_context(active_test=False).search_count([])

    # ------------------------------------------------------------------
    # Disputes
    # ------------------------------------------------------------------

    def _dispute_vals(self, invoice, **values):
        return {
            "move_id": invoice.id,
            "reason": self.env.ref("debt_relations.debt_dispute_reason_pricing").id,
            "description": "Wrong price",
            **values,
        }

    def test_dispute_on_a_paid_draft_or_vendor_invoice(self):
        Dispute = self.env["debt.dispute"].with_user(self.collector)
        paid = self._create_invoice(self.customer, self.today)
        self._pay(paid)
        draft = self._create_invoice(self.customer, self.today, post=False)
        bill = self.init_invoice(
            "in_invoice", partner=self.customer, amounts=[80.0], post=True
        )
        disputes, logs, activities = (
            self._count("debt.dispute"),
            self._count("debt.contact.log"),
            self._count("mail.activity"),
        )
        self._refused(
            lambda: Dispute.create(self._dispute_vals(paid)),
            paid.name,
            "nothing left to pay",
        )
        self._refused(
            lambda: Dispute.create(self._dispute_vals(draft)),
            "posted customer invoice",
            "Draft invoice of Azure Interior",
        )
        self._refused(
            lambda: Dispute.create(self._dispute_vals(bill)),
            "posted customer invoice",
            bill.name,
        )
        self.assertEqual(
            (
                self._count("debt.dispute"),
                self._count("debt.contact.log"),
                self._count("mail.activity"),
            ),
            (disputes, logs, activities),
            "Nothing half-written: no dispute, log entry or activity",
        )

    def test_dispute_with_an_unknown_or_archived_reason(self):
        Dispute = self.env["debt.dispute"].with_user(self.collector)
        invoice = self._create_invoice(self.customer, self.today)
        self._refused(
            lambda: Dispute.create(self._dispute_vals(invoice, reason="no-such-code")),
            "Unknown or archived dispute reason",
            "no-such-code",
        )
        self._refused(
            lambda: Dispute.create(self._dispute_vals(invoice, reason=999999)),
            "Unknown or archived dispute reason",
        )
        archived = self.env["debt.dispute.reason"].create(
            {"name": "Old reason", "code": "old_reason", "active": False}
        )
        self._refused(
            lambda: Dispute.create(self._dispute_vals(invoice, reason="old_reason")),
            "old_reason",
        )
        self._refused(
            lambda: Dispute.create(self._dispute_vals(invoice, reason=archived.id)),
            "Old reason",
            "archived",
        )
        self.assertFalse(
            self.env["debt.dispute"].search([("move_id", "=", invoice.id)])
        )
        dispute = Dispute.create(self._dispute_vals(invoice, reason="quality"))
        self.assertEqual(
            dispute.reason, self.env.ref("debt_relations.debt_dispute_reason_quality")
        )

    def test_dispute_reopened_on_a_paid_invoice(self):
        invoice = self._create_invoice(self.customer, self.today)
        dispute = self.env["debt.dispute"].create(self._dispute_vals(invoice))
        dispute.action_reject()
        self._pay(invoice)
        self._refused(dispute.action_reopen, "nothing left to pay")
        self.assertEqual(dispute.state, "rejected")

    # ------------------------------------------------------------------
    # Promises
    # ------------------------------------------------------------------

    def _promise(self, invoice, user=None, as_superuser=False, **values):
        Promise = self.env["debt.promise"]
        if user:
            Promise = Promise.with_user(user)
        if as_superuser:
            Promise = Promise.sudo()
        return Promise.create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "date_promised": self.today + timedelta(days=5),
                **values,
            }
        )

    def test_promise_dates(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=9))
        yesterday = self.today - timedelta(days=1)
        with freeze_time(self.today):
            self._refused(
                lambda: self._promise(
                    invoice, self.collector, date_promised=yesterday, date=yesterday
                ),
                "cannot be due in the past",
                str(yesterday),
            )
            # Recorded after the fact (superuser: a data file, an import).
            self._refused(
                lambda: self._promise(
                    invoice,
                    as_superuser=True,
                    date=self.today - timedelta(days=3),
                    date_promised=self.today - timedelta(days=5),
                ),
                "before the day it is made",
                str(self.today - timedelta(days=3)),
            )
            self._refused(
                lambda: self._promise(
                    invoice,
                    date=self.today + timedelta(days=2),
                    date_promised=self.today + timedelta(days=5),
                ),
                "not ahead",
            )
            self.assertFalse(
                self.env["debt.promise"].search([("move_ids", "in", invoice.ids)])
            )
            promise = self._promise(invoice, self.collector)
            self._refused(
                lambda: promise.write({"date_promised": yesterday}),
                "cannot be due in the past",
            )
        self.assertEqual(promise.date_promised, self.today + timedelta(days=5))

    def test_promise_on_a_draft_or_paid_invoice(self):
        paid = self._create_invoice(self.customer, self.today)
        self._pay(paid)
        # Created after a posted one, a draft has no number yet.
        draft = self._create_invoice(self.customer, self.today, post=False)
        with freeze_time(self.today):
            self._refused(
                lambda: self._promise(draft, self.collector, amount=50.0),
                "posted customer invoices only",
                "Draft invoice of Azure Interior",
            )
            self._refused(
                lambda: self._promise(paid, self.collector),
                paid.name,
                "nothing left to pay",
            )
        self.assertFalse(self.env["debt.promise"].search([]).move_ids & (draft | paid))

    def test_promise_amount_zero_or_negative_is_a_clear_error(self):
        invoice = self._create_invoice(self.customer, self.today)
        with freeze_time(self.today):
            for amount in (0.0, -10.0):
                with self.subTest(amount=amount):
                    self._refused(
                        lambda amount=amount: self._promise(invoice, amount=amount),
                        "positive amount",
                    )
            promise = self._promise(invoice, amount=40.0)
            self._refused(lambda: promise.write({"amount": 0.0}), "positive amount")
        self.assertEqual(promise.amount, 40.0)

    def test_promise_amount_defaults_to_what_is_owed(self):
        invoice = self._create_invoice(self.customer, self.today, 300.0)
        other = self._create_invoice(self.customer, self.today, 200.0)
        self._pay(invoice, amount=120.0)
        with freeze_time(self.today):
            promise = self._promise(invoice | other, self.collector)
        self.assertEqual(promise.amount, 380.0, "What the invoices still owe")
        # A default, not a link: the amount promised stays when invoices change.
        with freeze_time(self.today):
            promise.write({"amount": 150.0})
            promise.write({"move_ids": [Command.unlink(other.id)]})
        self.assertEqual(promise.amount, 150.0)
        # The form proposes it too, before anything is saved.
        with freeze_time(self.today):
            form_values = (
                self.env["debt.promise"]
                .with_user(self.collector)
                .onchange(
                    {
                        "partner_id": self.customer.id,
                        "move_ids": [Command.set(other.ids)],
                        "amount": 0.0,
                    },
                    ["move_ids"],
                    {"partner_id": {}, "move_ids": {}, "amount": {}},
                )
            )
        self.assertEqual(form_values["value"]["amount"], 200.0)

    # ------------------------------------------------------------------
    # Payment plans
    # ------------------------------------------------------------------

    def _wizard(self, invoices, **values):
        action = invoices[:1].action_debt_offer_plan()
        return (
            self.env["debt.payment.plan.wizard"]
            .with_user(self.collector)
            .with_context(**action["context"])
            .create(
                {
                    "move_ids": [Command.set(invoices.ids)],
                    "first_date": self.today + timedelta(days=7),
                    **values,
                }
            )
        )

    def test_plan_dated_in_the_past_through_the_wizard(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=9))
        with freeze_time(self.today):
            wizard = self._wizard(invoice, date=self.today - timedelta(days=3))
            self._refused(
                wizard.action_create_plan,
                "cannot be dated in the past",
                str(self.today - timedelta(days=3)),
            )
        self.assertFalse(
            self.env["debt.payment.plan"].search([("move_ids", "in", invoice.ids)])
        )

    def test_plan_on_a_paid_invoice_says_nothing_is_left_to_pay(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=9))
        self._pay(invoice)
        with freeze_time(self.today):
            wizard = self._wizard(invoice, date=self.today)
            error = self._refused(
                wizard.action_create_plan, invoice.name, "nothing left to pay"
            )
        self.assertNotIn("add up to", str(error))
        # By hand, or paid after the plan was drafted: the same words.
        self._refused(
            lambda: self.env["debt.payment.plan"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "installment_ids": [
                        Command.create({"date_due": self.today, "amount": 100.0})
                    ],
                }
            ),
            "nothing left to pay",
        )
        unpaid = self._create_invoice(self.customer, self.today - timedelta(days=9))
        with freeze_time(self.today):
            plan = self.env["debt.payment.plan"].browse(
                self._wizard(unpaid, date=self.today).action_create_plan()["res_id"]
            )
        self._pay(unpaid)
        with freeze_time(self.today):
            error = self._refused(plan.action_propose, unpaid.name, "nothing left")
        self.assertNotIn("add up to", str(error))
        self.assertEqual(plan.state, "draft")

    def test_cancelled_invoice_is_named(self):
        # An invoice without a number (a draft never posted) is named by its
        # customer and amount; a cancelled one by its number.
        self._create_invoice(self.customer, self.today)
        draft = self._create_invoice(self.customer, self.today, 70.0, post=False)
        self.assertIn(draft.name, (False, "/"), "Created after a posted one")
        error = self._refused(
            lambda: self.env["debt.payment.plan"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(draft.ids)],
                }
            ),
            "posted customer invoices only",
            "Draft invoice of Azure Interior",
            "70.00",
        )
        self.assertNotIn("only: .", str(error))
        draft.button_cancel()
        self.assertEqual(draft.state, "cancel")
        label = self.env["debt.payment.plan"]._invoice_names(draft)
        self.assertTrue(label.strip(" ."), "Never an empty name")
        self._refused(
            lambda: self.env["debt.payment.plan"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(draft.ids)],
                }
            ),
            label,
        )
        numbered = self._create_invoice(self.customer, self.today)
        numbered.button_draft()
        numbered.button_cancel()
        self._refused(
            lambda: self.env["debt.promise"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(numbered.ids)],
                    "amount": 10.0,
                    "date": self.today,
                    "date_promised": self.today,
                }
            ),
            numbered.name,
        )

    def test_cancelling_a_plan_whose_invoice_was_cancelled(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=9))
        with freeze_time(self.today):
            plan = self.env["debt.payment.plan"].browse(
                self._wizard(invoice, date=self.today).action_create_plan()["res_id"]
            )
            plan.with_user(self.collector).action_propose()
        invoice.button_draft()
        invoice.button_cancel()
        plan.with_user(self.collector).action_cancel()
        self.assertEqual(plan.state, "cancelled")

    # ------------------------------------------------------------------
    # Ladders
    # ------------------------------------------------------------------

    def test_ladder_days_never_decrease_up_the_rungs(self):
        # Firm (14 days) put below friendly (5 days), on a stage...
        error = self._refused(
            lambda: self.stage_firm.write(
                {"sequence": self.stage_friendly.sequence - 1}
            ),
            self.stage_firm.name,
            self.stage_friendly.name,
            self.policy.name,
        )
        self.assertIn("cannot decrease", str(error))
        self._refused(
            lambda: self.stage_formal.write({"offset_days": 1}),
            self.stage_formal.name,
        )
        self._refused(
            lambda: self.env["debt.stage"].create(
                {
                    "name": "Too late to be last",
                    "policy_id": self.policy.id,
                    "sequence": 10000,
                    "offset_days": 0,
                    "send_email": False,
                    "schedule_call": True,
                }
            ),
            "Too late to be last",
        )
        # ...and on the policy form, saved with its stages at once.
        template = self.stage_friendly.mail_template_id
        self._refused(
            lambda: self.env["debt.policy"].create(
                {
                    "name": "Upside down",
                    "stage_ids": [
                        Command.create(
                            {
                                "name": "Rung one",
                                "sequence": 1,
                                "offset_days": 30,
                                "mail_template_id": template.id,
                            }
                        ),
                        Command.create(
                            {
                                "name": "Rung two",
                                "sequence": 2,
                                "offset_days": 10,
                                "mail_template_id": template.id,
                            }
                        ),
                    ],
                }
            ),
            "Rung one",
            "Rung two",
            "Upside down",
        )
        self.assertFalse(self.env["debt.policy"].search([("name", "=", "Upside down")]))
        # Moving both in one save of the policy is checked once, at the end
        # (friendly at 25 days is above firm's 21 only until firm moves too).
        friendly, firm = self.stage_friendly, self.stage_firm
        self.policy.write(
            {
                "stage_ids": [
                    Command.update(friendly.id, {"offset_days": 25}),
                    Command.update(firm.id, {"offset_days": 30}),
                ]
            }
        )
        self.assertEqual((friendly.offset_days, firm.offset_days), (25, 30))
        self.assertEqual(
            self.policy._get_ladder_stages()[1:3], friendly | firm, "Same order"
        )

    def test_plan_instalment_dates_refused_in_propose(self):
        # An existing check, now a ValidationError like the others.
        invoice = self._create_invoice(self.customer, self.today)
        with freeze_time(self.today):
            plan = self.env["debt.payment.plan"].browse(
                self._wizard(invoice, date=self.today).action_create_plan()["res_id"]
            )
        plan.installment_ids[-1].amount = 1.0
        with freeze_time(self.today):
            self._refused(plan.action_propose, "add up to", error=UserError)

    # ------------------------------------------------------------------
    # The dispute dialog
    # ------------------------------------------------------------------

    def test_dispute_dialog_asks_only_what_opens_one(self):
        """A new dispute shows the invoice, the amount disputed (all it owes
        unless changed), the reason and the customer's words; owner, dates,
        resolution and the buttons come once it exists."""
        arch = self.env["debt.dispute"].get_views([(False, "form")])["views"]["form"][
            "arch"
        ]
        form = etree.fromstring(arch)
        self.assertEqual(form.find("header").get("invisible"), "not id")
        shown_when_new = {
            node.get("name")
            for node in form.iter("field")
            if not any(
                (ancestor.get("invisible") or "") not in ("", "False")
                for ancestor in [node, *node.iterancestors()]
                if ancestor.tag != "form"
            )
        }
        self.assertEqual(
            shown_when_new, {"move_id", "amount_disputed", "reason", "description"}
        )
