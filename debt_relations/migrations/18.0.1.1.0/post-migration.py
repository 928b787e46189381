"""18.0.1.1.0: relationship profiles in their own table, settings per company.

1. The profile figures were company-dependent fields of ``res.partner`` (one
   jsonb column each, keyed by company id). They move to
   ``debt.partner.profile``, one row per partner and company found in any of
   the columns; the columns are then dropped (the fields of the same name on
   ``res.partner`` are now computed from the profile).
2. The agreement and sending settings were system parameters; they become
   fields of each company (``res.company.debt_*``), every company taking the
   value the parameter had. The parameters are removed.
"""

from odoo.tools import SQL

LEGACY_PROFILE_COLUMNS = {
    "debt_tier_id": ("tier_id", "int4"),
    "debt_tier_reason": ("tier_reason", "varchar"),
    "debt_on_time_ratio": ("on_time_ratio", "numeric"),
    "debt_avg_days_late": ("avg_days_late", "numeric"),
    "debt_customer_since": ("customer_since", "date"),
    "debt_paid_count": ("paid_count", "int4"),
    "debt_on_time_count": ("on_time_count", "int4"),
    "debt_revenue_12m": ("revenue_12m", "numeric"),
    "debt_overdue_amount": ("overdue_amount", "numeric"),
    "debt_thanked_on": ("thanked_on", "date"),
}
"""Old ``res_partner`` jsonb column -> (profile column, its SQL type)."""

LEGACY_PARAMETERS = {
    "debt_relations.plan_reminder_days": (
        "debt_plan_reminder_days",
        "config_plan_reminder_days",
    ),
    "debt_relations.plan_grace_days": (
        "debt_plan_grace_days",
        "config_plan_grace_days",
    ),
    "debt_relations.promise_grace_days": (
        "debt_promise_grace_days",
        "config_promise_grace_days",
    ),
    "debt_relations.review_stale_days": (
        "debt_review_stale_days",
        "config_review_stale_days",
    ),
    "debt_relations.mail_retry_hours": (
        "debt_mail_retry_hours",
        "config_mail_retry_hours",
    ),
}
"""Old system parameter -> (company field, its former xmlid in this module)."""


def migrate(cr, version):
    if not version:
        return
    move_profiles(cr)
    move_settings(cr)


def _legacy_columns(cr):
    cr.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_name = 'res_partner' AND data_type = 'jsonb'
           AND column_name = ANY(%s)
        """,
        [list(LEGACY_PROFILE_COLUMNS)],
    )
    return [name for (name,) in cr.fetchall()]


def move_profiles(cr):
    """Copy the profile columns of ``res_partner`` into
    ``debt_partner_profile`` (existing profiles are kept), then drop them."""
    columns = _legacy_columns(cr)
    if not columns:
        return
    keys = SQL(" UNION ").join(
        SQL(
            "SELECT jsonb_object_keys(COALESCE(p.%s, '{}'::jsonb))",
            SQL.identifier(name),
        )
        for name in columns
    )
    values = [
        SQL(
            "(p.%s ->> k.company_id::text)::%s",
            SQL.identifier(name),
            SQL(LEGACY_PROFILE_COLUMNS[name][1]),
        )
        for name in columns
    ]
    if "debt_tier_id" in columns:
        # A tier deleted since: no tier (as the many2one's ondelete would do).
        values[columns.index("debt_tier_id")] = SQL(
            "(SELECT t.id FROM debt_relationship_tier t WHERE t.id = %s)",
            values[columns.index("debt_tier_id")],
        )
    targets = [SQL.identifier(LEGACY_PROFILE_COLUMNS[name][0]) for name in columns]
    cr.execute(
        SQL(
            """
        WITH keyed AS (
            SELECT p.id AS partner_id, k.key::int AS company_id
              FROM res_partner p, LATERAL (%(keys)s) AS k(key)
             WHERE k.key ~ '^[0-9]+$'
        ), found AS (
            SELECT k.partner_id, k.company_id, %(values)s
              FROM keyed k
              JOIN res_partner p ON p.id = k.partner_id
              JOIN res_company c ON c.id = k.company_id
        )
        INSERT INTO debt_partner_profile
               (partner_id, company_id, %(targets)s,
                create_uid, write_uid, create_date, write_date)
        SELECT found.*, 1, 1, now() at time zone 'UTC', now() at time zone 'UTC'
          FROM found
        ON CONFLICT (partner_id, company_id) DO NOTHING
            """,
            keys=keys,
            values=SQL(", ").join(values),
            targets=SQL(", ").join(targets),
        )
    )
    for name in columns:
        cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN %s", SQL.identifier(name)))


def move_settings(cr):
    """Every company takes the value each old system parameter had."""
    for key, (field, xmlid) in LEGACY_PARAMETERS.items():
        cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [key])
        row = cr.fetchone()
        if row and (row[0] or "").strip().isdigit():
            cr.execute(
                SQL(
                    "UPDATE res_company SET %s = %s", SQL.identifier(field), int(row[0])
                )
            )
        cr.execute("DELETE FROM ir_config_parameter WHERE key = %s", [key])
        cr.execute(
            "DELETE FROM ir_model_data WHERE module = 'debt_relations' AND name = %s",
            [xmlid],
        )
