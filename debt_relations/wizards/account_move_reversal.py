from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    debt_dispute_id = fields.Many2one(
        "debt.dispute",
        string="Dispute",
        readonly=True,
        help="The dispute this credit note resolves (Resolve on the dispute).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        wizards._check_debt_dispute()
        return wizards

    def _check_debt_dispute(self):
        """The dispute is open, about an invoice this wizard credits, and the
        user may settle it: checked before anything is written."""
        for wizard in self.filtered("debt_dispute_id"):
            dispute = wizard.debt_dispute_id
            # The same rights as the dispute's own Resolve button.
            dispute.check_access("write")
            dispute._check_open()
            if dispute.move_id not in wizard.move_ids:
                raise UserError(
                    self.env._(
                        "Dispute %(dispute)s is about invoice %(invoice)s, which "
                        "this credit note does not credit (%(credited)s).",
                        dispute=dispute.display_name,
                        invoice=dispute.move_id.display_name,
                        credited=", ".join(wizard.move_ids.mapped("display_name"))
                        or "-",
                    )
                )

    def reverse_moves(self, is_modify=False):
        """A credit note made for a dispute resolves it: the customer is told."""
        self._check_debt_dispute()
        action = super().reverse_moves(is_modify=is_modify)
        disputes = self.debt_dispute_id.filtered(lambda d: d.state == "open")
        if disputes:
            disputes._close_as("resolved")
        return action
