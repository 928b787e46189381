from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestPromise(DebtRelationsCase):
    def _promise_from_wizard(self, moves, amount, date_promised):
        action = moves[:1].action_debt_log_contact()
        with freeze_time(self.today):
            wizard = (
                self.env["debt.contact.wizard"]
                .with_context(**action["context"])
                .create(
                    {
                        "channel": "call",
                        "direction": "inbound",
                        "summary": "Customer called: will pay",
                        "is_promise": True,
                        "promise_amount": amount,
                        "promise_date": date_promised,
                    }
                )
            )
            wizard.action_log()
        log = wizard.log_id
        return self.env["debt.promise"].search([("contact_log_id", "=", log.id)])

    def test_promise_from_the_contact_wizard_holds_the_invoices(self):
        promised = self._create_invoice(self.customer, self.today - timedelta(days=8))
        other = self._create_invoice(self.customer, self.today - timedelta(days=9))
        promise = self._promise_from_wizard(
            promised, 100.0, self.today + timedelta(days=5)
        )
        self.assertRecordValues(
            promise,
            [
                {
                    "partner_id": self.customer.id,
                    "amount": 100.0,
                    "date_promised": self.today + timedelta(days=5),
                    "state": "open",
                }
            ],
        )
        self.assertEqual(promise.move_ids, promised)
        self._run(self.today)
        mail = self._mails(self.customer)
        self.assertEqual(len(mail), 1, "The other invoice keeps its course")
        self.assertIn(other.name, mail.body_html)
        self.assertNotIn(promised.name, mail.body_html)
        self.assertEqual(promised.debt_skip_reason, "promised")
        self.assertFalse(promised.debt_stage_id)

    def test_kept_promise_is_thanked(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=8))
        promise = self.env["debt.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 60.0,
                "date": self.today,
                "date_promised": self.today + timedelta(days=5),
            }
        )
        self.assertEqual(promise.state, "open")
        self._pay(invoice, amount=40.0, pay_date=self.today)
        self._run(self.today + timedelta(days=1))
        self.assertEqual(promise.state, "open", "Partly paid: still waiting")
        self._pay(invoice, amount=20.0, pay_date=self.today)
        self._run(self.today + timedelta(days=2))
        self.assertEqual(promise.state, "kept")
        thanks = self.env["mail.mail"].search(
            [("model", "=", promise._name), ("res_id", "=", promise.id)]
        )
        self.assertEqual(len(thanks), 1)
        self.assertIn("thank you", thanks.subject.lower())
        log = self._logs(self.customer, message_id=thanks.mail_message_id.id)
        self.assertTrue(log.courtesy, "A thank-you delays no reminder")
        self.assertEqual(self.customer.debt_promise_kept_count, 1)
        self.assertEqual(self.customer.debt_promise_broken_count, 0)

    def test_broken_promise_is_acknowledged_without_climbing(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=30))
        invoice.sudo().debt_stage_id = self.stage_friendly
        partner = self.customer.with_company(self.company)
        partner.sudo().debt_stage_id = self.stage_friendly
        self.company.debt_promise_grace_days = 2
        promise = self.env["debt.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 100.0,
                "date": self.today,
                "date_promised": self.today + timedelta(days=3),
            }
        )
        # Held until the promised date plus the grace period.
        self._run(self.today + timedelta(days=5))
        self.assertEqual(promise.state, "open")
        self.assertEqual(invoice.debt_skip_reason, "promised")
        self.assertFalse(self._mails(self.customer))

        self._run(self.today + timedelta(days=6))
        self.assertEqual(promise.state, "broken")
        self.assertEqual(partner.debt_promise_broken_count, 1)
        # 36 days overdue: the firm rung would be due, but the broken promise is
        # acknowledged at the customer's current rung.
        action = self.env["debt.action"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(action.stage_id, self.stage_friendly)
        self.assertTrue(action.agreement_broken, "The reminder acknowledges it")
        self.assertIn("arrangement has now ended", self._mails(self.customer).body_html)
        self.assertEqual(invoice.debt_stage_id, self.stage_friendly)
        self.assertEqual(len(self._mails(self.customer)), 1)

        # Once acknowledged, the ladder resumes.
        self._run(self.today + timedelta(days=6 + 10))
        self.assertEqual(invoice.debt_stage_id, self.stage_firm)
        self.assertNotIn(
            "arrangement has now ended", self._mails(self.customer)[-1].body_html
        )

    def test_promise_needs_amount_and_date(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=8))
        wizard = self.env["debt.contact.wizard"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "summary": "Call",
                "is_promise": True,
                "promise_amount": 0.0,
                "promise_date": self.today,
            }
        )
        with self.assertRaisesRegex(UserError, "positive amount"):
            wizard.action_log()
        wizard.write(
            {"promise_amount": 10.0, "promise_date": self.today - timedelta(days=1)}
        )
        with freeze_time(self.today), self.assertRaisesRegex(UserError, "before"):
            wizard.write({"date": self.today})
            wizard.action_log()

    def test_promise_cannot_exceed_what_is_owed(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=8))
        other = self._create_invoice(self.customer, self.today - timedelta(days=4))
        # assertRaises (not ...Regex) rolls back to a savepoint, as a request
        # would roll back its transaction.
        with self.assertRaises(ValidationError) as refused:
            self.env["debt.promise"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "amount": 100.01,
                    "date_promised": self.today + timedelta(days=5),
                }
            )
        self.assertIn("more than the invoices", str(refused.exception))
        self.assertFalse(
            self.env["debt.promise"].search([("partner_id", "=", self.customer.id)])
        )
        promise = self.env["debt.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 100.0,
                "date_promised": self.today + timedelta(days=5),
            }
        )
        # Another invoice added later: what was owed is taken again.
        promise.move_ids = [Command.link(other.id)]
        self.assertEqual(promise.residual_start, 200.0)
        self.assertEqual(promise.amount_paid, 0.0)

    def test_wizard_promise_amount_defaults_to_what_is_owed(self):
        first = self._create_invoice(self.customer, self.today - timedelta(days=8))
        second = self._create_invoice(
            self.customer, self.today - timedelta(days=9), amount=250.0
        )
        self._pay(second, amount=50.0)
        action = first.action_debt_log_contact()
        wizard = Form(self.env["debt.contact.wizard"].with_context(**action["context"]))
        wizard.move_ids.add(second)
        wizard.summary = "Will pay both"
        wizard.is_promise = True
        self.assertEqual(wizard.promise_amount, 300.0)
        wizard.promise_amount = 120.0
        self.assertEqual(wizard.promise_amount, 120.0, "an amount typed stays")
