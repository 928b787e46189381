from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def reconcile(self):
        """Payments matched with invoices handed over to a mediator, an
        agency or a lawyer are recorded on their hand-offs (the collector
        is asked to report them; nothing left to pay settles the hand-off)."""
        result = super().reconcile()
        self.env["debt.handoff"]._on_reconciled(self.move_id)
        # A payment moves its invoices' and their customers' expected dates.
        self.env["debt.payment.date"]._refresh_moves(self.move_id)
        return result
