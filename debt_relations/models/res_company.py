from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    debt_policy_id = fields.Many2one(
        "debt.policy",
        string="Default Collection Policy",
        check_company=True,
        help="The escalation ladder for customers without a policy of their own.",
    )
    debt_profile_date = fields.Date(
        string="Profiles As Of",
        readonly=True,
        help="As-of date of the collection run that last refreshed the "
        "customers' relationship profiles.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._debt_ensure_default_policy()
        return companies

    def _debt_ensure_default_policy(self):
        """Give each company without one a copy of the shipped default policy."""
        # sudo: the shipped policy belongs to the main company, which the user
        # creating a company may not be allowed to read.
        source = self.env.ref(
            "debt_relations.debt_policy_default", raise_if_not_found=False
        )
        if not source:
            return
        source = source.sudo()
        for company in self.filtered(lambda c: not c.debt_policy_id):
            if source.company_id == company:
                policy = source
            else:
                policy = source.copy({"company_id": company.id, "name": source.name})
            company.sudo().debt_policy_id = policy
