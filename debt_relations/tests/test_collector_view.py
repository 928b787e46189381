from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestWhyAndWhatNext(DebtRelationsCase):
    """The invoice and the partner say which policy chases them, from where,
    how late they are, what comes next and when, and why an open invoice is
    not chased."""

    def _read(self, record, day):
        """Computed as of ``day``, as a collector opening the form that day."""
        with freeze_time(day):
            record.invalidate_recordset()
            return record.read(
                [
                    "debt_policy_in_force_id",
                    "debt_policy_source",
                    "debt_days_overdue",
                    "debt_next_step",
                    "debt_next_step_date",
                ]
            )[0]

    def test_next_step_after_a_friendly_reminder(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        self._run(self.today)
        self.assertEqual(invoice.debt_stage_id, self.stage_friendly)
        # Firm comes 21 days after due (03/13), its 10-day gap is reached on
        # 03/12: both are reached on 03/13.
        expected = {
            "debt_policy_in_force_id": (self.policy.id, self.policy.display_name),
            "debt_policy_source": "company",
            "debt_days_overdue": 10,
            "debt_next_step": "Firm reminder and call on 03/13/2026 unless paid",
            "debt_next_step_date": date(2026, 3, 13),
        }
        values = self._read(invoice, self.today)
        self.assertEqual({key: values[key] for key in expected}, expected)
        values = self._read(self.customer, self.today)
        self.assertEqual({key: values[key] for key in expected}, expected)
        with freeze_time(self.today):
            invoice.invalidate_recordset()
            self.assertEqual(
                invoice.debt_not_chased_reason, "Waiting for the next step"
            )
        # The day it is due, nothing is "not chased" any more.
        with freeze_time(date(2026, 3, 13)):
            invoice.invalidate_recordset()
            self.assertFalse(invoice.debt_not_chased_reason)
            self.assertEqual(invoice.debt_next_step_date, date(2026, 3, 13))

    def test_policy_source_by_hand_and_from_the_tier(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=3))
        partner = self.customer.with_company(self.company)
        watch = self.policy.copy({"name": "Watch"})
        tier = self.env["debt.relationship.tier"].create(
            {"name": "Watch", "policy_id": watch.id}
        )
        partner.sudo().debt_tier_id = tier
        values = self._read(invoice, self.today)
        self.assertEqual(values["debt_policy_in_force_id"][0], watch.id)
        self.assertEqual(values["debt_policy_source"], "tier")
        by_hand = self.policy.copy({"name": "By hand"})
        partner.debt_policy_id = by_hand
        values = self._read(partner, self.today)
        self.assertEqual(values["debt_policy_in_force_id"][0], by_hand.id)
        self.assertEqual(values["debt_policy_source"], "manual")
        # Friendly reminder (7 days after due) in 4 days.
        self.assertEqual(
            values["debt_next_step"],
            "Friendly reminder on 03/06/2026 unless paid",
        )

    def test_nothing_due_says_nothing(self):
        self.assertFalse(self._read(self.customer, self.today)["debt_next_step"])
        paid = self._create_invoice(self.customer, self.today - timedelta(days=10))
        self._pay(paid)
        values = self._read(paid, self.today)
        self.assertFalse(values["debt_next_step"])
        self.assertFalse(values["debt_policy_in_force_id"])

    def test_do_not_contact_says_why(self):
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        self.customer.debt_do_not_contact = True
        values = self._read(self.customer, self.today)
        self.assertEqual(values["debt_next_step"], "None: Do not contact")
        self.assertFalse(values["debt_next_step_date"])

    def test_top_of_the_ladder_still_has_a_reason(self):
        # 70 days overdue, already handed off: the run decides no contact and,
        # before, recorded no reason either. The file is the mediator's now.
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=70))
        invoice.sudo().debt_stage_id = self.stage_handoff
        self.customer.with_company(
            self.company
        ).sudo().debt_stage_id = self.stage_handoff
        self._create_handoff(invoice)
        self._run(self.today)
        self.assertFalse(self._mails(self.customer))
        with freeze_time(self.today):
            invoice.invalidate_recordset()
            self.assertEqual(
                invoice.debt_not_chased_reason,
                "Handed over (mediation, agency or lawyer)",
            )
            self.assertEqual(invoice.debt_days_overdue, 70)
            self.assertFalse(invoice.debt_next_step)
            self.customer.invalidate_recordset()
            self.assertEqual(
                self.customer.debt_not_chased,
                f"{invoice.name}: Handed over (mediation, agency or lawyer)",
            )

    def test_broken_plan_invoice_has_a_reason_and_a_next_step(self):
        self.company.debt_plan_grace_days = 12
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=40))
        other = self._create_invoice(self.customer, self.today + timedelta(days=30))
        invoice.sudo().debt_stage_id = self.stage_firm
        self.customer.with_company(self.company).sudo().debt_stage_id = self.stage_firm
        action = invoice.action_debt_offer_plan()
        wizard = (
            self.env["debt.payment.plan.wizard"]
            .with_context(**action["context"])
            .create(
                {
                    "date": self.today,
                    "first_date": self.today + timedelta(days=7),
                    "installment_count": 2,
                    "frequency": "monthly",
                }
            )
        )
        plan = self.env["debt.payment.plan"].browse(
            wizard.action_create_plan()["res_id"]
        )
        with freeze_time(self.today):
            plan.action_propose()
            plan.action_activate()
        with freeze_time(self.today):
            invoice.invalidate_recordset()
            self.assertEqual(invoice.debt_not_chased_reason, "Under payment plan")
            self.assertFalse(invoice.debt_next_step)
        due = plan.installment_ids[0].date_due
        for day in (due, due + timedelta(days=1), due + timedelta(days=13)):
            self._run(day)
        self.assertEqual(plan.state, "broken")
        broken_on = due + timedelta(days=13)
        # Acknowledged at the firm rung on the day it broke; the formal letter
        # waits for its 14-day gap.
        next_day = broken_on + timedelta(days=14)
        step = f"Formal reminder and letter on {next_day:%m/%d/%Y} unless paid"
        day = broken_on + timedelta(days=1)
        with freeze_time(day):
            (invoice | other).invalidate_recordset()
            self.customer.invalidate_recordset()
            self.assertEqual(invoice.debt_not_chased_reason, "Contacted recently")
            self.assertEqual(invoice.debt_next_step, step)
            self.assertEqual(
                invoice.debt_days_overdue, (day - invoice.invoice_date_due).days
            )
            self.assertEqual(self.customer.debt_next_step, step)
            self.assertEqual(other.debt_not_chased_reason, "Not due yet")
            self.assertIn(
                f"{invoice.name}: Contacted recently (next: {step})",
                self.customer.debt_not_chased,
            )
            self.assertIn(f"{other.name}: Not due yet", self.customer.debt_not_chased)


@tagged("post_install", "-at_install")
class TestReminderedInvoiceKept(DebtRelationsCase):
    def test_reminded_invoice_cannot_be_deleted_but_can_be_cancelled(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        self._run(self.today)
        self.assertEqual(self._logs(self.customer).move_ids, invoice)
        invoice.button_draft()
        with self.assertRaises(UserError) as refused:
            invoice.unlink()
        self.assertIn("cancel it instead", str(refused.exception))
        self.assertIn(invoice.name, str(refused.exception))
        self.assertTrue(invoice.exists())
        invoice.button_cancel()
        self.assertEqual(invoice.state, "cancel")
        self.assertEqual(self._logs(self.customer).move_ids, invoice)

    def test_invoice_in_a_prepared_action_cannot_be_deleted(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=70))
        invoice.sudo().debt_stage_id = self.stage_formal
        action = self._run(self.today).action_ids
        self.assertEqual(action.state, "to_review")
        invoice.button_draft()
        with self.assertRaises(UserError):
            invoice.unlink()
        self.assertTrue(invoice.exists())

    def test_invoice_never_reminded_can_be_deleted(self):
        invoice = self._create_invoice(self.customer, self.today, post=False)
        invoice.unlink()
        self.assertFalse(invoice.exists())


@tagged("post_install", "-at_install")
class TestCollectorButtons(DebtRelationsCase, HttpCase):
    """Buttons pressed the way the web client presses them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = {
            "collector": "account.group_account_invoice,debt_relations.group_debt_user",
            "manager": "account.group_account_invoice,"
            "debt_relations.group_debt_manager",
        }
        cls.users = {
            login: new_test_user(
                cls.env,
                login=login,
                groups=group_list,
                company_id=cls.company.id,
                company_ids=[cls.company.id],
            )
            for login, group_list in groups.items()
        }

    def _call_button(self, login, model, method, ids):
        self.authenticate(login, login)
        return self.make_jsonrpc_request(
            "/web/dataset/call_button",
            {
                "model": model,
                "method": method,
                "args": [ids],
                "kwargs": {"context": {}},
            },
        )

    def test_email_fixed_clears_the_warning(self):
        for login in self.users:
            self.customer.sudo().write(
                {
                    "debt_email_failing": True,
                    "debt_email_failure": "550 Mailbox does not exist",
                }
            )
            self._call_button(
                login, "res.partner", "action_debt_email_fixed", self.customer.ids
            )
            self.customer.invalidate_recordset()
            self.assertFalse(self.customer.debt_email_failing, login)
            self.assertFalse(self.customer.debt_email_failure, login)
        # A billing clerk without the collections groups does not see it.
        clerk = new_test_user(
            self.env,
            login="clerk",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.customer.sudo().debt_email_failing = True
        with self.assertRaises(UserError):
            self.customer.with_user(clerk).action_debt_email_fixed()
        self.assertTrue(self.customer.debt_email_failing)

    def test_log_a_call_closes_its_activity_without_warning(self):
        call_type = self.env.ref("debt_relations.mail_activity_type_debt_call")
        for login, user in self.users.items():
            activity = self.customer.activity_schedule(
                "debt_relations.mail_activity_type_debt_call",
                summary="Collection call",
                user_id=user.id,
            )
            other = self.customer.activity_schedule(
                "mail.mail_activity_data_todo", summary="Unrelated", user_id=user.id
            )
            wizard = (
                self.env["debt.contact.wizard"]
                .with_user(user)
                .create(
                    {
                        "partner_id": self.customer.id,
                        "channel": "call",
                        "summary": f"Called ({login})",
                    }
                )
            )
            with self.assertNoLogs("odoo.addons.web.controllers.utils", "WARNING"):
                result = self._call_button(
                    login, "debt.contact.wizard", "action_log", wizard.ids
                )
            self.assertEqual(result, {"type": "ir.actions.act_window_close"})
            self.assertFalse(activity.exists(), login)
            self.assertTrue(other.exists(), login)
            log = self._logs(self.customer, summary=f"Called ({login})")
            self.assertEqual(log.user_id, user)
            done = self.customer.message_ids.filtered(
                lambda m, user=user: (
                    m.mail_activity_type_id == call_type
                    and m.author_id == user.partner_id
                )
            )
            self.assertTrue(done, f"{login}: the call is marked done by its caller")
            other.unlink()

    def test_every_shipped_template_is_in_the_collections_menu(self):
        action = self.env.ref("debt_relations.debt_mail_template_menu").action
        listed = self.env["mail.template"].search(safe_eval(action.domain))
        shipped = self.env["ir.model.data"].search(
            [("module", "=", "debt_relations"), ("model", "=", "mail.template")]
        )
        self.assertTrue(shipped)
        self.assertFalse(
            self.env["mail.template"].browse(shipped.mapped("res_id")) - listed
        )
        self.authenticate("manager", "manager")
        loaded = self.make_jsonrpc_request("/web/action/load", {"action_id": action.id})
        self.assertEqual(loaded["res_model"], "mail.template")
