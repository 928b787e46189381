"""18.0.1.4.0: a plan or promise broken in the last 12 months counts in the tier.

``debt.relationship.tier.no_broken_agreement`` is new (off by default). The
shipped tiers that ask for a payment history (key account, reliable,
standard, and their copies per company) now ask for no broken agreement as
well, so that such a customer falls to the tier for late payers (watch),
which asks for nothing. Tiers are noupdate data: set it here on every tier
that asks for some history, as the shipped data now does.
"""

from odoo.tools import SQL


def mark_history_tiers(cr):
    cr.execute(
        SQL(
            "UPDATE debt_relationship_tier SET no_broken_agreement = TRUE "
            "WHERE COALESCE(min_tenure_months, 0) > 0"
            " OR COALESCE(min_paid_count, 0) > 0"
            " OR COALESCE(min_on_time_ratio, 0) > 0"
            " OR COALESCE(min_revenue, 0) > 0"
            " OR COALESCE(max_avg_days_late, 0) > 0"
        )
    )
    return cr.rowcount


def migrate(cr, version):
    if version:
        mark_history_tiers(cr)
