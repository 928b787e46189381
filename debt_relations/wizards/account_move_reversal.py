from odoo import models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def reverse_moves(self, is_modify=False):
        """A credit note made for a dispute resolves it: the customer is told."""
        action = super().reverse_moves(is_modify=is_modify)
        dispute_id = self.env.context.get("debt_dispute_id")
        if dispute_id:
            dispute = self.env["debt.dispute"].browse(dispute_id).exists()
            if dispute.state == "open":
                dispute._close_as("resolved")
        return action
