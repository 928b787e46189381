from odoo import api, fields, models

DEFAULT_TIERS = (
    "debt_relations.debt_tier_key_account",
    "debt_relations.debt_tier_reliable",
    "debt_relations.debt_tier_standard",
    "debt_relations.debt_tier_watch",
)
"""Shipped relationship tiers, copied for each company (data/debt_tier_data.xml)."""
DEFAULT_INCENTIVE_RULES = (
    "debt_relations.debt_incentive_rule_thanks",
    "debt_relations.debt_incentive_rule_early_terms",
    "debt_relations.debt_incentive_rule_recognition",
)
"""Shipped thank-you and reward rules, copied for each company."""


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
        companies._debt_ensure_defaults()
        return companies

    def _debt_ensure_defaults(self):
        """Everything a company needs to collect: a default policy, the
        relationship tiers (with their policies) and the incentive rules."""
        self._debt_ensure_default_policy()
        self._debt_ensure_default_tiers()
        self._debt_ensure_default_incentive_rules()

    def _debt_shipped(self, xmlids):
        # sudo: the shipped records belong to the main company, which the user
        # creating a company may not be allowed to read.
        records = [self.env.ref(xmlid, raise_if_not_found=False) for xmlid in xmlids]
        return [record.sudo() for record in records if record]

    def _debt_ensure_default_tiers(self):
        """Give each company without tiers a copy of the shipped ones; a tier's
        own policy (key account, watch) is copied for the company too."""
        sources = self._debt_shipped(DEFAULT_TIERS)
        default_policy = self.env.ref(
            "debt_relations.debt_policy_default", raise_if_not_found=False
        )
        Tier = self.env["debt.relationship.tier"].sudo().with_context(active_test=False)
        for company in self:
            if Tier.search_count([("company_id", "=", company.id)], limit=1):
                continue
            policies = {}
            for tier in sources:
                if tier.company_id == company:
                    continue
                policy = tier.policy_id
                if policy and policy == default_policy:
                    policy = company.debt_policy_id
                elif policy:
                    if policy not in policies:
                        policies[policy] = policy.copy({"company_id": company.id})
                    policy = policies[policy]
                tier.copy({"company_id": company.id, "policy_id": policy.id})

    def _debt_ensure_default_incentive_rules(self):
        """Give each company without incentive rules a copy of the shipped ones."""
        sources = self._debt_shipped(DEFAULT_INCENTIVE_RULES)
        Rule = self.env["debt.incentive.rule"].sudo().with_context(active_test=False)
        for company in self:
            if Rule.search_count([("company_id", "=", company.id)], limit=1):
                continue
            for rule in sources:
                if rule.company_id == company:
                    continue
                term = rule.payment_term_id
                if term.company_id and term.company_id != company:
                    continue  # terms of another company cannot be granted here
                rule.copy({"company_id": company.id})

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
