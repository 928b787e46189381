from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestVerifyBeforeChase(DebtRelationsCase):
    def _reason_counts(self, run):
        return {line.reason: line.count for line in run.line_ids if line.kind == "skip"}

    def test_money_not_owed_is_never_chased(self):
        due = self.today - timedelta(days=10)
        paid = self._create_invoice(self.customer, due)
        self._pay(paid)
        in_payment = self._create_invoice(self.customer, due)
        in_payment.payment_state = "in_payment"
        blocked = self._create_invoice(self.customer, due)
        blocked.action_toggle_block_payment()
        excluded = self._create_invoice(self.customer, due)
        excluded.write({"debt_excluded": True, "debt_exclusion_reason": "Goodwill"})
        tiny = self._create_invoice(self.customer, due, amount=0.5)
        reversed_ = self._create_invoice(self.customer, due)
        reversed_._reverse_moves([{"invoice_date": due, "date": due}], cancel=True)
        self.assertEqual(reversed_.payment_state, "reversed")
        chased = self._create_invoice(self.customer, due, amount=80.0)

        run = self._run(self.today)

        mail = self._mails(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertIn(chased.name, mail.body_html)
        for invoice in paid | in_payment | blocked | excluded | tiny | reversed_:
            self.assertNotIn(invoice.name, mail.body_html)
            self.assertFalse(invoice.debt_stage_id)
        self.assertEqual(self._logs(self.customer).move_ids, chased)
        self.assertEqual(
            self._reason_counts(run),
            {"in_payment": 1, "blocked": 1, "excluded": 1, "below_tolerance": 1},
        )
        self.assertEqual(blocked.debt_skip_reason, "blocked")
        self.assertEqual(excluded.debt_skip_reason, "excluded")
        self.assertEqual(tiny.debt_skip_reason, "below_tolerance")
        self.assertFalse(chased.debt_skip_reason)

    def test_closed_invoice_drops_its_old_skip_reason(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        invoice.write({"debt_excluded": True, "debt_exclusion_reason": "Goodwill"})
        other = self._create_invoice(self.customer, self.today - timedelta(days=12))
        other.write({"debt_excluded": True, "debt_exclusion_reason": "Goodwill"})
        self._run(self.today)
        self.assertEqual(invoice.debt_skip_reason, "excluded")
        invoice.button_draft()
        invoice.button_cancel()
        self._run(self.today + timedelta(days=1))
        self.assertFalse(invoice.debt_skip_reason)
        self.assertEqual(other.debt_skip_reason, "excluded")

    def test_exclusion_needs_a_reason(self):
        invoice = self._create_invoice(self.customer, self.today)
        with self.assertRaisesRegex(Exception, "say why"):
            invoice.write({"debt_excluded": True})

    def test_paused_customer_until_date_passes(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        self.customer.write(
            {
                "debt_paused_until": self.today + timedelta(days=2),
                "debt_pause_reason": "Owner on holiday",
            }
        )
        run = self._run(self.today)
        self.assertFalse(self._mails(self.customer))
        self.assertEqual(self._reason_counts(run), {"paused": 1})
        self.assertEqual(invoice.debt_skip_reason, "paused")
        self._run(self.today + timedelta(days=2))
        self.assertFalse(self._mails(self.customer), "Paused through the date itself")
        self._run(self.today + timedelta(days=3))
        self.assertEqual(len(self._mails(self.customer)), 1)
        self.assertFalse(invoice.debt_skip_reason)

    def test_do_not_contact(self):
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        self.customer.debt_do_not_contact = True
        run = self._run(self.today)
        self.assertFalse(self._mails(self.customer))
        self.assertFalse(self._logs(self.customer))
        self.assertEqual(self._reason_counts(run), {"do_not_contact": 1})

    def test_customer_without_email_gets_the_call_only(self):
        silent = self._create_customer("No Mail Ltd", email=False)
        invoice = self._create_invoice(silent, self.today - timedelta(days=25))
        invoice.sudo().debt_stage_id = self.stage_friendly
        silent.with_company(self.company).sudo().debt_stage_id = self.stage_friendly
        self._run(self.today)
        self.assertEqual(invoice.debt_stage_id, self.stage_firm)
        self.assertFalse(self._mails(silent), "No mail without an address")
        self.assertEqual(self._logs(silent).mapped("channel"), ["call"])

    def test_child_contact_flags_follow_the_company(self):
        contact = self.env["res.partner"].create(
            {"name": "Ann", "parent_id": self.customer.id, "email": "ann@example.com"}
        )
        self._create_invoice(contact, self.today - timedelta(days=10))
        self.customer.debt_do_not_contact = True
        self.assertTrue(contact.debt_do_not_contact)
        self._run(self.today)
        self.assertFalse(self._mails(self.customer))

    def test_other_customers_keep_their_course(self):
        other = self._create_customer("Deco Addict")
        self._create_invoice(other, self.today - timedelta(days=10))
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        self.customer.debt_do_not_contact = True
        self._run(self.today)
        self.assertEqual(len(self._mails(other)), 1)

    def test_instalments_are_chased_from_the_oldest_unpaid(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "Two instalments",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 50.0, "nb_days": 0}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 50.0, "nb_days": 60}
                    ),
                ],
            }
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": self.today - timedelta(days=10),
                "invoice_payment_term_id": term.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Work",
                            "quantity": 1,
                            "price_unit": 400,
                            "tax_ids": [],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        # The first half is 10 days overdue although the invoice's last due date
        # is 50 days ahead.
        self._run(self.today)
        self.assertEqual(invoice.debt_stage_id, self.stage_friendly)
        first_due = self.today - timedelta(days=10)
        second_due = first_due + timedelta(days=60)
        self.assertEqual(invoice.debt_open_due_date, first_due)
        action = self.env["debt.action"].search([("move_ids", "=", invoice.id)])
        [line] = action._get_reminder_lines()
        self.assertEqual(
            (line["date_due"], line["days_overdue"], line["residual"]),
            (first_due, 10, 400.0),
        )
        # Once the first half is paid, the invoice is due on its second date.
        self._pay(invoice, amount=200.0, pay_date=self.today)
        self.assertEqual(invoice.debt_open_due_date, second_due)
