from odoo import models


class DebtCollectionRun(models.Model):
    """Claims of payments made from the portal settle with the agreements."""

    _inherit = "debt.collection.run"

    def _settle_agreements(self):
        self.env["debt.portal.claim"]._debt_settle(self.date, self.company_id)
        return super()._settle_agreements()
