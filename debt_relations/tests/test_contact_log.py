from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestContactLog(DebtRelationsCase):
    def test_log_a_contact_from_the_invoice(self):
        invoice = self._create_invoice(self.customer, self.today)
        action = invoice.action_debt_log_contact()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.channel = "call"
        wizard.direction = "inbound"
        wizard.summary = "Customer called about the invoice"
        wizard.outcome = "Will pay on Friday"
        wizard.save().action_log()
        log = self._logs(self.customer)
        self.assertRecordValues(
            log,
            [
                {
                    "channel": "call",
                    "direction": "inbound",
                    "outcome": "Will pay on Friday",
                    "user_id": self.env.user.id,
                }
            ],
        )
        self.assertEqual(log.move_ids, invoice)
        self.assertEqual(invoice.debt_contact_log_count, 1)
        self.assertEqual(self.customer.debt_contact_log_count, 1)

    def test_log_is_append_only(self):
        log = self.env["debt.contact.log"].create(
            {"partner_id": self.customer.id, "summary": "Called", "channel": "call"}
        )
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            log.summary = "Did not call"
        # Nobody has the right to delete an entry; even a superuser is refused.
        with self.assertRaises(AccessError):
            log.unlink()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            log.sudo().unlink()
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            log.sudo().write({"outcome": "x"})
        # Nor through the invoices it concerns.
        invoice = self._create_invoice(self.customer, self.today)
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            invoice.write({"debt_contact_log_ids": [Command.link(log.id)]})
        self.assertFalse(log.move_ids)

    def test_log_goes_to_the_commercial_partner(self):
        contact = self.env["res.partner"].create(
            {"name": "Ann", "parent_id": self.customer.id}
        )
        log = self.env["debt.contact.log"].create(
            {"partner_id": contact.id, "summary": "Met Ann", "channel": "meeting"}
        )
        self.assertEqual(log.partner_id, self.customer)

    def test_no_contact_in_the_future(self):
        action = self.customer.action_debt_log_contact()
        wizard = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .create(
                {
                    "summary": "Time travel",
                    "date": self.today + timedelta(days=3650),
                }
            )
        )
        with self.assertRaisesRegex(UserError, "future"):
            wizard.action_log()
        self.assertFalse(self._logs(self.customer))
