from odoo import fields, models
from odoo.exceptions import UserError


class DebtWorklistAssign(models.TransientModel):
    """Give the customers chosen on the worklist to a collector."""

    _name = "debt.worklist.assign"
    _description = "Assign Customers to a Collector"

    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        required=True,
        domain="[('share', '=', False)]",
    )
    # The worklist is an SQL view: its rows are kept by id, not by relation.
    row_ids = fields.Json(string="Worklist Rows")

    def action_assign(self):
        self.ensure_one()
        if not self.env.user.has_group("debt_relations.group_debt_user"):
            raise UserError(
                self.env._("Only collectors can assign customers to a collector.")
            )
        rows = self.env["debt.worklist"].search([("id", "in", self.row_ids or [])])
        if not rows:
            raise UserError(self.env._("Choose the customers to assign first."))
        for row in rows:
            partner = row.partner_id.with_company(row.company_id)
            # sudo: collectors may only read customers; the collector field
            # is the only one written (its company is checked by the partner).
            partner.sudo().debt_collector_id = self.user_id
            partner.sudo().message_post(
                author_id=self.env.user.partner_id.id,
                body=self.env._(
                    "Collector in %(company)s: %(user)s.",
                    company=row.company_id.name,
                    user=self.user_id.name,
                ),
            )
        return {"type": "ir.actions.client", "tag": "soft_reload"}
