from odoo import api, models


class DebtCollectionFacts(models.AbstractModel):
    """The portal's part of the facts: invoices said to be paid are held, and
    a customer who acted on the portal today has answered: no reminder that day.
    """

    _inherit = "debt.collection.facts"

    @api.model
    def _get_hold_reasons(self, company, move_ids=None):
        # The weakest hold: an agreement on the same invoice shows first.
        holds = self.env["debt.portal.claim"]._debt_hold_reasons(company, move_ids)
        holds.update(
            self.env["debt.portal.plan.request"]._debt_hold_reasons(company, move_ids)
        )
        holds.update(super()._get_hold_reasons(company, move_ids))
        return holds

    @api.model
    def _gather_last_contacts(self, company, as_of, partner_ids, since):
        last = super()._gather_last_contacts(company, as_of, partner_ids, since)
        for [partner] in self.env["debt.contact.log"]._read_group(
            [
                ("company_id", "=", company.id),
                ("channel", "=", "portal"),
                ("direction", "=", "inbound"),
                ("date", "=", as_of),
                ("partner_id", "in", list(partner_ids)),
            ],
            ["partner_id"],
        ):
            last[partner.id] = as_of
        return last
