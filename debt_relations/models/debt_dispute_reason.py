from odoo import fields, models


class DebtDisputeReason(models.Model):
    """Why a customer disputes an invoice: an editable list."""

    _name = "debt.dispute.reason"
    _description = "Dispute Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(help="Technical key, for imports and integrations.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    credit_note_expected = fields.Boolean(
        help="When the customer is right, this usually ends in a credit note."
    )

    _sql_constraints = [
        ("code_unique", "UNIQUE(code)", "Two dispute reasons cannot share a code."),
    ]
