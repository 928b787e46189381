from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    debt_policy_id = fields.Many2one(
        related="company_id.debt_policy_id",
        readonly=False,
        domain="[('company_id', '=', company_id)]",
    )
    debt_plan_reminder_days = fields.Integer(
        string="Instalment Reminder (days before)",
        config_parameter="debt_relations.plan_reminder_days",
        default=3,
    )
    debt_plan_grace_days = fields.Integer(
        string="Payment Plan Grace (days)",
        config_parameter="debt_relations.plan_grace_days",
        default=7,
    )
    debt_promise_grace_days = fields.Integer(
        string="Promise Grace (days)",
        config_parameter="debt_relations.promise_grace_days",
        default=3,
    )
