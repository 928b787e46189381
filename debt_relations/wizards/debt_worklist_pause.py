from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class DebtWorklistPause(models.TransientModel):
    """Pause a customer's reminders from the worklist, with the reason."""

    _name = "debt.worklist.pause"
    _description = "Pause a Customer's Reminders"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date_until = fields.Date(
        string="Paused Until",
        required=True,
        default=lambda self: fields.Date.add(fields.Date.context_today(self), days=14),
    )
    reason = fields.Char(required=True)

    @api.constrains("date_until")
    def _check_date_until(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            if wizard.date_until < today:
                raise ValidationError(
                    self.env._(
                        "A pause ends today or later, not on %(date)s.",
                        date=fields.Date.to_string(wizard.date_until),
                    )
                )

    def action_pause(self):
        self.ensure_one()
        if not self.env.user.has_group("debt_relations.group_debt_user"):
            raise UserError(
                self.env._("Only collectors can pause a customer's reminders.")
            )
        partner = self.partner_id.commercial_partner_id
        # sudo: collectors may only read customers; the pause (as a pause
        # granted from the portal) is theirs to give, and only it is written.
        partner.sudo().write(
            {"debt_paused_until": self.date_until, "debt_pause_reason": self.reason}
        )
        partner.sudo().message_post(
            author_id=self.env.user.partner_id.id,
            body=self.env._(
                "Reminders paused until %(date)s: %(reason)s",
                date=fields.Date.to_string(self.date_until),
                reason=self.reason,
            ),
        )
        return {"type": "ir.actions.act_window_close"}
