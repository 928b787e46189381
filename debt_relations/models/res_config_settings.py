from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    debt_policy_id = fields.Many2one(
        related="company_id.debt_policy_id",
        readonly=False,
        domain="[('company_id', '=', company_id)]",
    )
    debt_plan_reminder_days = fields.Integer(
        related="company_id.debt_plan_reminder_days", readonly=False
    )
    debt_plan_grace_days = fields.Integer(
        related="company_id.debt_plan_grace_days", readonly=False
    )
    debt_promise_grace_days = fields.Integer(
        related="company_id.debt_promise_grace_days", readonly=False
    )
    debt_review_stale_days = fields.Integer(
        related="company_id.debt_review_stale_days", readonly=False
    )
    debt_mail_retry_hours = fields.Integer(
        related="company_id.debt_mail_retry_hours", readonly=False
    )
    debt_dispute_target_days = fields.Integer(
        related="company_id.debt_dispute_target_days", readonly=False
    )
    debt_handoff_answer_days = fields.Integer(
        related="company_id.debt_handoff_answer_days", readonly=False
    )
    debt_handoff_quiet_days = fields.Integer(
        related="company_id.debt_handoff_quiet_days", readonly=False
    )

    # The contact governor
    debt_contact_calendar_id = fields.Many2one(
        related="company_id.debt_contact_calendar_id",
        readonly=False,
        domain="[('company_id', 'in', (company_id, False))]",
    )
    debt_contact_cap = fields.Integer(
        related="company_id.debt_contact_cap", readonly=False
    )
    debt_contact_cap_days = fields.Integer(
        related="company_id.debt_contact_cap_days", readonly=False
    )
    debt_reply_pause_days = fields.Integer(
        related="company_id.debt_reply_pause_days", readonly=False
    )
    debt_forecast_risk_days = fields.Integer(
        related="company_id.debt_forecast_risk_days", readonly=False
    )

    # Portal
    debt_portal_promise_days = fields.Integer(
        related="company_id.debt_portal_promise_days", readonly=False
    )
    debt_portal_plan_months = fields.Integer(
        related="company_id.debt_portal_plan_months", readonly=False
    )
    debt_portal_plan_min_amount = fields.Monetary(
        related="company_id.debt_portal_plan_min_amount",
        currency_field="currency_id",
        readonly=False,
    )
    debt_portal_plan_down_payment = fields.Float(
        related="company_id.debt_portal_plan_down_payment", readonly=False
    )
    debt_portal_paid_hold_days = fields.Integer(
        related="company_id.debt_portal_paid_hold_days", readonly=False
    )
    debt_portal_plan_auto = fields.Boolean(
        related="company_id.debt_portal_plan_auto", readonly=False
    )
    debt_portal_pay = fields.Boolean(
        related="company_id.debt_portal_pay", readonly=False
    )
    debt_portal_promise = fields.Boolean(
        related="company_id.debt_portal_promise", readonly=False
    )
    debt_portal_dispute = fields.Boolean(
        related="company_id.debt_portal_dispute", readonly=False
    )
    debt_portal_paid = fields.Boolean(
        related="company_id.debt_portal_paid", readonly=False
    )
    debt_portal_plan = fields.Boolean(
        related="company_id.debt_portal_plan", readonly=False
    )
    debt_portal_contact = fields.Boolean(
        related="company_id.debt_portal_contact", readonly=False
    )
    debt_portal_rate_limit = fields.Integer(
        related="company_id.debt_portal_rate_limit", readonly=False
    )
    debt_portal_link_days = fields.Integer(
        related="company_id.debt_portal_link_days", readonly=False
    )
    debt_portal_confirm_hours = fields.Integer(
        related="company_id.debt_portal_confirm_hours", readonly=False
    )
    debt_portal_resign_months = fields.Integer(
        related="company_id.debt_portal_resign_months", readonly=False
    )
    debt_portal_stall_days = fields.Integer(
        related="company_id.debt_portal_stall_days", readonly=False
    )

    # Late-payment charges
    debt_charge_rule = fields.Selection(
        related="company_id.debt_charge_rule", readonly=False
    )
    debt_charge_rate = fields.Float(
        related="company_id.debt_charge_rate", readonly=False
    )
    debt_charge_fixed_amount = fields.Monetary(
        related="company_id.debt_charge_fixed_amount",
        currency_field="currency_id",
        readonly=False,
    )
    debt_charge_stage_id = fields.Many2one(
        related="company_id.debt_charge_stage_id",
        readonly=False,
        domain="[('company_id', '=', company_id)]",
    )
    debt_charge_product_id = fields.Many2one(
        related="company_id.debt_charge_product_id",
        readonly=False,
        domain="[('type', '=', 'service'), ('company_id', 'in', (company_id, False))]",
    )
