from odoo import api, fields, models


class DebtPolicy(models.Model):
    """An escalation ladder: the stages a customer climbs, one at a time."""

    _name = "debt.policy"
    _description = "Collection Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    stage_ids = fields.One2many("debt.stage", "policy_id", string="Stages", copy=True)
    stage_count = fields.Integer(compute="_compute_stage_count")
    tolerance_amount = fields.Monetary(
        string="Tolerance",
        currency_field="currency_id",
        default=1.0,
        help="Open amounts below this (company currency) are never chased.",
    )
    collector_id = fields.Many2one(
        "res.users",
        string="Default Collector",
        help="Who gets the calls of customers without a collector or salesperson.",
    )
    note = fields.Html(translate=True)

    _sql_constraints = [
        (
            "tolerance_positive",
            "CHECK(tolerance_amount >= 0)",
            "The tolerance of a collection policy cannot be negative.",
        ),
    ]

    @api.depends("stage_ids")
    def _compute_stage_count(self):
        for policy in self:
            policy.stage_count = len(policy.stage_ids)

    def _get_ladder_stages(self):
        """The policy's stages in climbing order."""
        self.ensure_one()
        return self.stage_ids.sorted(lambda s: (s.sequence, s.offset_days, s.id))
