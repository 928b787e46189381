from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    debt_portal_channel = fields.Selection(
        selection_add=[("sms", "SMS")], ondelete={"sms": "set null"}
    )
