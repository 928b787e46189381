from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    debt_policy_id = fields.Many2one(
        "debt.policy",
        string="Collection Policy",
        company_dependent=True,
        help="Escalation ladder for this customer; empty: the company's default.",
    )
    debt_stage_id = fields.Many2one(
        "debt.stage",
        string="Collection Stage",
        company_dependent=True,
        readonly=True,
        help="The rung of the escalation ladder this customer has reached.",
    )
    debt_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        help="Who calls this customer; empty: its salesperson.",
    )
    debt_paused_until = fields.Date(
        string="Reminders Paused Until",
        help="No reminder is sent to this customer until this date has passed.",
    )
    debt_pause_reason = fields.Char(string="Pause Reason")
    debt_do_not_contact = fields.Boolean(
        string="Do Not Contact",
        help="Never send collection reminders to this customer.",
    )
    debt_contact_log_ids = fields.One2many(
        "debt.contact.log", "partner_id", string="Contact History"
    )
    debt_contact_log_count = fields.Integer(compute="_compute_debt_contact_log_count")

    def _compute_debt_contact_log_count(self):
        counts = dict(
            self.env["debt.contact.log"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.debt_contact_log_count = counts.get(
                partner.commercial_partner_id, 0
            )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "debt_paused_until",
            "debt_pause_reason",
            "debt_do_not_contact",
        ]

    def _debt_billing_contact(self):
        """The contact reminders go to: the invoice address with an email, if any."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        billing = commercial.child_ids.filtered(
            lambda c: c.type == "invoice" and c.email
        )[:1]
        return billing or commercial

    def _debt_collector(self, policy=None):
        """The user who calls this customer."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        return (
            commercial.debt_collector_id
            or commercial.user_id
            or (policy and policy.collector_id)
            or self.env.user
        )

    def action_view_debt_contact_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "debt_relations.debt_contact_log_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_debt_log_contact(self):
        self.ensure_one()
        return self.env["debt.contact.wizard"]._action_open(
            partner=self.commercial_partner_id
        )
