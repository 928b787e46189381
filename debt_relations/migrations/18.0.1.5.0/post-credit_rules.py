"""18.0.1.5.0: the shipped relationship tiers suggest a credit limit.

``debt.relationship.tier.credit_limit_rule`` is new: existing tiers got "No
suggestion", its default. Tiers are noupdate data: the shipped ones (key
account, reliable, standard, watch) and their copies in the other companies
(same English name and sequence) get the rules the shipped data now has,
unless a rule was set since. Nothing is applied to any customer: a collector
applies a suggested limit.
"""

from odoo.tools import SQL

RULES = {
    "debt_tier_key_account": (3.0, 1000.0),
    "debt_tier_reliable": (2.0, 500.0),
    "debt_tier_standard": (1.0, 100.0),
    "debt_tier_watch": (0.5, 100.0),
}
"""Shipped tier -> (months of average monthly invoicing, rounding)."""


def set_shipped_rules(cr):
    """Give the shipped tiers and their copies their credit limit rule;
    returns the number of tiers changed."""
    changed = 0
    for xmlid, (months, rounding) in RULES.items():
        cr.execute(
            SQL(
                """
            UPDATE debt_relationship_tier tier
               SET credit_limit_rule = 'months',
                   credit_limit_months = %(months)s,
                   credit_limit_rounding = %(rounding)s
              FROM debt_relationship_tier shipped
              JOIN ir_model_data imd
                ON imd.model = 'debt.relationship.tier'
               AND imd.module = 'debt_relations'
               AND imd.name = %(name)s
               AND imd.res_id = shipped.id
             WHERE (tier.id = shipped.id
                    OR (tier.name->>'en_US' = shipped.name->>'en_US'
                        AND tier.sequence = shipped.sequence))
               AND COALESCE(tier.credit_limit_rule, 'none') = 'none'
                """,
                months=months,
                rounding=rounding,
                name=xmlid,
            )
        )
        changed += cr.rowcount
    return changed


def migrate(cr, version):
    if version:
        set_shipped_rules(cr)
