from odoo import fields, models


class DebtStage(models.Model):
    _inherit = "debt.stage"

    post_letter = fields.Boolean(
        string="Send by Post (Snailmail)",
        help="Post the stage's letters (and those printed when its email "
        "fails) through Odoo's Snailmail service, paid with IAP credits, "
        "instead of leaving them to the post room.",
    )
