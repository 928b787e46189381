from odoo import api, fields, models
from odoo.exceptions import ValidationError


class DebtPolicy(models.Model):
    """An escalation ladder: the stages a customer climbs, one at a time."""

    _name = "debt.policy"
    _inherit = "debt.owned.mixin"
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
    note = fields.Html(translate=True, sanitize_style=True)

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

    @api.model_create_multi
    def create(self, vals_list):
        # Its stages are written first; the whole ladder is checked after.
        policies = super(DebtPolicy, self._debt_as_owner()).create(vals_list)
        policies._check_ladder_order()
        return policies.with_env(self.env)

    def write(self, vals):
        result = super(DebtPolicy, self._debt_as_owner()).write(vals)
        self._check_ladder_order()
        return result

    def _check_ladder_order(self):
        """Days after due never decrease up the ladder: a rung above another
        applies no earlier than it."""
        for policy in self:
            stages = policy._get_ladder_stages()
            for lower, upper in zip(stages, stages[1:], strict=False):
                if upper.offset_days < lower.offset_days:
                    raise ValidationError(
                        self.env._(
                            "On ladder %(policy)s, stage %(upper)s (%(upper_days)s "
                            "days after due) comes after stage %(lower)s "
                            "(%(lower_days)s days): days after due cannot "
                            "decrease up the ladder. Reorder the stages or change "
                            "their days.",
                            policy=policy.name,
                            upper=upper.name,
                            upper_days=upper.offset_days,
                            lower=lower.name,
                            lower_days=lower.offset_days,
                        )
                    )

    def _get_ladder_stages(self):
        """The policy's stages in climbing order."""
        self.ensure_one()
        return self.stage_ids.sorted(lambda s: (s.sequence, s.offset_days, s.id))
