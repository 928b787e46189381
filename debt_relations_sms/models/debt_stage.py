from odoo import api, fields, models
from odoo.exceptions import ValidationError


class DebtStage(models.Model):
    _inherit = "debt.stage"

    send_sms = fields.Boolean(
        string="SMS",
        help="Send a short text message to the billing contact's mobile (else "
        "phone) number. A customer without a usable number is reached by the "
        "stage's other channels.",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain="[('model', '=', 'debt.action')]",
    )

    @api.model
    def _debt_channel_fields(self):
        return {**super()._debt_channel_fields(), "sms": "send_sms"}

    @api.constrains("send_sms", "sms_template_id")
    def _check_sms_template(self):
        for stage in self:
            if stage.send_sms and not stage.sms_template_id:
                raise ValidationError(
                    self.env._(
                        "Stage %(stage)s sends an SMS: choose its SMS template.",
                        stage=stage.name,
                    )
                )
