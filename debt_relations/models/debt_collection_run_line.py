from odoo import fields, models

from ..services.eligibility import SKIP_REASONS


class DebtCollectionRunLine(models.Model):
    """A figure of a run: reminders sent at a stage, or invoices skipped."""

    _name = "debt.collection.run.line"
    _description = "Collection Run Figure"
    _order = "kind, id"

    run_id = fields.Many2one(
        "debt.collection.run", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    kind = fields.Selection(
        [("stage", "Reminders sent or queued"), ("skip", "Invoices skipped")],
        required=True,
    )
    stage_id = fields.Many2one("debt.stage", ondelete="set null")
    reason = fields.Selection(SKIP_REASONS)
    count = fields.Integer()
    currency_id = fields.Many2one(related="run_id.company_id.currency_id")
    amount = fields.Monetary(
        currency_field="currency_id",
        help="Reminders: what they asked for (the open amount of the invoices "
        "they listed when sent). Invoices skipped: their open amount.",
    )
