"""Late-payment charges: stated before they are applied, never charged by a
run, applied or waived by a collector (services.charges does the sums)."""

from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DebtHttpCase, DebtRelationsCase

DUE = date(2026, 1, 1)
"""Due date of the invoice of 1,000.00 the formal reminder is about."""


class ChargesMixin:
    @classmethod
    def _charges_setup(cls):
        cls.env["debt.reference.rate"].search([]).write({"confirmed": True})
        cls.usd = cls.company.currency_id
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        # 1 USD = 0.8 EUR: the EUR 40 compensation is USD 50.00.
        cls.env["res.currency.rate"].create(
            [
                {
                    "name": "2025-12-31",
                    "rate": rate,
                    "currency_id": currency.id,
                    "company_id": cls.company.id,
                }
                for currency, rate in ((cls.eur, 0.8), (cls.usd, 1.0))
            ]
        )

    def _set_rule(self, rule, rate=0.0, fixed=0.0):
        self.company.write(
            {
                "debt_charge_rule": rule,
                "debt_charge_rate": rate,
                "debt_charge_fixed_amount": fixed,
            }
        )


@tagged("post_install", "-at_install")
class TestChargesStated(ChargesMixin, DebtRelationsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._charges_setup()
        assert cls.usd == cls.env.ref("base.USD"), "the figures below are in USD"

    def test_first_overdue_reminder_says_what_the_law_allows(self):
        self._set_rule("eu_statutory")
        self._create_invoice(self.customer, date(2026, 2, 22), 400.0)
        self._run(self.today)  # 8 days late: the friendly reminder
        [mail] = self._mails(self.customer)
        self.assertIn(
            "If they stay unpaid, the law on late payment allows us to charge "
            "interest at the reference rate plus 8 points (currently 10.15 % a "
            "year) and a compensation of",
            " ".join(mail.body_html.split()),
        )
        self.assertIn("40.00", mail.body_html)
        self.assertNotIn("o_debt_charges_accrued", mail.body_html)

    def test_no_sentence_without_a_rule_or_for_an_exempt_customer(self):
        self._create_invoice(self.customer, date(2026, 2, 22), 400.0)
        exempt = self._create_customer("Exempt Ltd", debt_charge_exempt=True)
        self._create_invoice(exempt, date(2026, 2, 22), 400.0)
        self._set_rule("custom", rate=8.0)
        self.company.debt_charge_rule = "none"
        self._run(self.today)
        for partner in (self.customer, exempt):
            [mail] = self._mails(partner)
            self.assertNotIn("If they stay unpaid", mail.body_html)

    def test_formal_reminder_states_the_accrued_charges_under_each_rule(self):
        self._set_rule("eu_statutory")
        invoice = self._create_invoice(self.customer, DUE, 1000.0)
        runs = [
            self._run(day)
            for day in (date(2026, 1, 8), date(2026, 1, 22), date(2026, 2, 12))
        ]
        self.assertEqual(invoice.debt_stage_id, self.stage_formal)
        mails = self._mails(self.customer)
        self.assertEqual(len(mails), 3)
        friendly, firm, formal = mails
        self.assertIn("If they stay unpaid", friendly.body_html)
        self.assertNotIn("o_debt_charges_accrued", firm.body_html)
        # 42 days at 2.15 + 8 = 10.15 %: 11.68, and EUR 40 = USD 50.00; by
        # the final notice's date (1 March, 60 days): 16.68 + 50.00.
        body = formal.body_html
        self.assertIn("o_debt_charges_accrued", body)
        self.assertIn("61.68", body)
        self.assertIn("66.68", body)
        self.assertIn("1,000.00", body, "The residual stays as it is")
        self.assertNotIn("1,061.68", body, "Never added into the residual")
        # The formal letter, printed for the same reminder, states them too.
        action = runs[-1].action_ids
        letter = (
            self.env["ir.actions.report"]
            ._render_qweb_html("debt_relations.report_debt_letter", action.ids)[0]
            .decode()
        )
        self.assertIn("o_debt_charges_accrued", letter)
        self.assertIn("61.68", letter)

        # Nothing charged by any run, across the charge rung.
        self.assertFalse(self.env["debt.charge"].search([]))
        self.assertEqual(
            self.env["account.move"].search(
                [
                    ("partner_id", "=", self.customer.id),
                    ("move_type", "=", "out_invoice"),
                ]
            ),
            invoice,
        )
        self.assertEqual(runs[-1].charges_stated, 61.68)
        self.assertEqual(runs[-1].charges_applied, 0.0)

        # The same formal reminder under each rule.
        template = self.stage_formal.mail_template_id
        expected = {
            "fixed": "25.00",
            "eu_statutory": "61.68",
            # first day 2 January: base rate of 31 December 3.75 + 8 = 11.75 %,
            # 42 days 13.52, and GBP 70 (a debt of 1,000 or more)
            "uk_statutory": "83.52",
            # 8 % for 42 days
            "custom": "9.21",
        }
        for rule, amount in expected.items():
            self._set_rule(rule, rate=8.0 if rule == "custom" else 0.0, fixed=25.0)
            if rule == "custom":
                self.company.debt_charge_fixed_amount = 0.0
            body = template._render_field("body_html", action.ids)[action.id]
            self.assertIn("o_debt_charges_accrued", body, rule)
            self.assertIn(amount, body, rule)
        self._set_rule("none")
        body = template._render_field("body_html", action.ids)[action.id]
        self.assertNotIn("o_debt_charges", body)

    def test_contract_rate_and_suspension(self):
        self._set_rule("eu_statutory")
        self.customer.debt_charge_contract_rate = 8.0
        invoice = self._create_invoice(self.customer, DUE, 1000.0)
        accrued = invoice._debt_charges_by(date(2026, 2, 12))[invoice]
        self.assertEqual(accrued[date(2026, 2, 12)], 9.21)
        # An open dispute from 1 February: 30 days accrue, then nothing.
        self.env["debt.dispute"].create(
            {
                "move_id": invoice.id,
                "date": date(2026, 2, 1),
                "reason": self.env["debt.dispute.reason"].search([], limit=1).id,
                "description": "Wrong quantity",
            }
        )
        accrued = invoice._debt_charges_by(date(2026, 2, 12))[invoice]
        self.assertEqual(accrued[date(2026, 2, 12)], 6.58)  # 30 days at 8 %

    def test_missing_rate_is_a_message_never_zero(self):
        self._set_rule("eu_statutory")
        # The rate in force on a day is the latest one confirmed: none at all.
        self.env["debt.reference.rate"].search([("rule", "=", "eu_statutory")]).write(
            {"confirmed": False}
        )
        invoice = self._create_invoice(self.customer, DUE, 1000.0)
        with self.assertRaises(UserError) as caught:
            invoice._debt_charges_by(self.today)
        message = str(caught.exception)
        self.assertIn("EU statutory", message)
        self.assertIn("2026-01-01", message)
        invoice.invalidate_recordset()
        self.assertIn("2026-01-01", invoice.debt_charges_error)
        self.assertEqual(invoice.debt_charges_accrued, 0.0)

    def test_settings_are_checked(self):
        with self.assertRaises(UserError):
            self._set_rule("custom")
        with self.assertRaises(UserError):
            self._set_rule("custom", rate=-1.0)
        with self.assertRaises(UserError):
            self._set_rule("fixed")
        with self.assertRaises(UserError):
            self.customer.debt_charge_contract_rate = -2.0


@tagged("post_install", "-at_install")
class TestChargesApplied(ChargesMixin, DebtHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._charges_setup()
        cls.collector = cls._collections_user("charges_collector")
        cls.company.debt_charge_rule = "eu_statutory"

    def _open_wizard(self, user, model, ids):
        wizard_id, error = self._call_kw(
            user,
            "debt.charge.wizard",
            "create",
            [{}],
            {"context": {"active_model": model, "active_ids": ids}},
        )
        self.assertIsNone(error)
        return self.env["debt.charge.wizard"].browse(wizard_id)

    def test_wizard_applies_one_line_and_waives_another(self):
        first = self._create_invoice(self.customer, DUE, 1000.0)
        second = self._create_invoice(self.customer, DUE, 500.0)
        wizard = self._open_wizard(self.collector, "res.partner", self.customer.ids)
        lines = {line.move_id: line for line in wizard.line_ids}
        # 60 days at 10.15 %, and EUR 40 = USD 50.00 each
        self.assertEqual(lines[first].amount, 66.68)
        self.assertEqual(lines[second].amount, 58.34)

        # A waiver needs a reason: refused, nothing written.
        lines[second].write({"waive": True})
        _result, error = self._press(
            self.collector, "debt.charge.wizard", "action_apply", wizard.ids
        )
        self.assertIn("Say why", error["message"])
        self.assertFalse(self.env["debt.charge"].search([]))

        _result, error = self._call_kw(
            self.collector,
            "debt.charge.wizard",
            "write",
            [
                wizard.ids,
                {
                    "line_ids": [
                        Command.update(
                            lines[second].id, {"waive_reason": "Long-standing order"}
                        )
                    ]
                },
            ],
        )
        self.assertIsNone(error)
        result, error = self._press(
            self.collector, "debt.charge.wizard", "action_apply", wizard.ids
        )
        self.assertIsNone(error)
        self.assertEqual(result["res_model"], "account.move")
        charge_invoice = self.env["account.move"].browse(result["res_id"])
        self.assertEqual(charge_invoice.move_type, "out_invoice")
        self.assertEqual(charge_invoice.partner_id, self.customer)
        self.assertEqual(charge_invoice.state, "draft")
        self.assertEqual(charge_invoice.amount_total, 66.68)
        self.assertEqual(len(charge_invoice.invoice_line_ids), 1)
        self.assertIn(first.name, charge_invoice.invoice_line_ids.name)
        self.assertEqual(
            charge_invoice.invoice_line_ids.product_id,
            self.env.ref("debt_relations.product_debt_charge"),
        )

        charges = self.env["debt.charge"].search([])
        self.assertRecordValues(
            charges.sorted("amount"),
            [
                {
                    "move_id": second.id,
                    "amount": 58.34,
                    "waived": True,
                    "charge_move_id": False,
                },
                {
                    "move_id": first.id,
                    "amount": 66.68,
                    "waived": False,
                    "charge_move_id": charge_invoice.id,
                },
            ],
        )
        [log] = self._logs(self.customer)
        self.assertIn("58.34", log.summary)
        self.assertIn("Long-standing order", log.outcome)
        self.assertEqual(log.move_ids, second)
        self.assertEqual(log.user_id, self.collector)
        self.assertIn("58.34", self.customer.message_ids[:1].body)
        self.assertEqual(self.customer.debt_charges_applied, 66.68)
        self.assertEqual(self.customer.debt_charges_waived, 58.34)

        # Applied or waived: not proposed again.
        again = self._open_wizard(self.collector, "account.move", (first | second).ids)
        self.assertFalse(again.line_ids)

    def test_good_tier_waives_by_default_and_says_so(self):
        tier = self.env["debt.relationship.tier"].create(
            {"name": "Key account", "waive_charges": True}
        )
        invoice = self._create_invoice(self.customer, date(2026, 2, 22), 400.0)
        self._run(self.today)  # the run gives every customer the only tier
        self.assertEqual(self.customer.with_company(self.company).debt_tier_id, tier)
        [mail] = self._mails(self.customer)
        self.assertIn(
            "As a valued customer, we have waived the late-payment compensation of",
            " ".join(mail.body_html.split()),
        )
        self.assertNotIn("If they stay unpaid", mail.body_html)

        wizard = self._open_wizard(self.collector, "account.move", invoice.ids)
        self.assertTrue(wizard.line_ids.waive)
        self.assertIn("Key account", wizard.line_ids.waive_reason)
        result, error = self._press(
            self.collector, "debt.charge.wizard", "action_apply", wizard.ids
        )
        self.assertIsNone(error)
        self.assertEqual(result["type"], "ir.actions.act_window_close")
        self.assertTrue(self.env["debt.charge"].search([]).waived)

    def test_portal_statement_shows_charges_apart_from_the_residual(self):
        self.company.write({"debt_charge_rule": "custom", "debt_charge_rate": 8.0})
        overdue = self._create_invoice(self.customer, date(2026, 2, 1), 300.0)
        self.env["account.move"]._debt_write_tracking(
            overdue.ids, {"debt_stage_id": self.stage_formal.id}
        )
        self.authenticate(None, None)
        response = self.url_open(self.customer._debt_portal_url())
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn(f'data-charges-invoice="{overdue.name}"', page)
        # 29 days at 8 % on 300.00; by the final notice (2 April, 60 days): 3.95
        self.assertIn("1.91", page)
        self.assertIn("3.95", page)
        self.assertIn("not included in the amounts due", page)
        self.assertNotIn("301.91", page)
