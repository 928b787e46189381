"""18.0.1.3.0: a dispute records whether the customer opened it from the portal.

``debt.dispute.origin`` (``collector`` by default) replaces a context key
that anyone could set. Disputes opened from the portal logged, at the same
moment, an inbound contact log entry of the portal channel about their
invoice: those become ``portal``.
"""

from odoo.tools import SQL


def mark_portal_disputes(cr):
    cr.execute(
        SQL(
            "UPDATE debt_dispute d SET origin = 'portal' "
            "WHERE EXISTS ("
            " SELECT 1 FROM debt_contact_log l"
            " JOIN debt_contact_log_move_rel r ON r.log_id = l.id"
            " WHERE r.move_id = d.move_id AND l.channel = 'portal'"
            " AND l.direction = 'inbound'"
            " AND ABS(EXTRACT(EPOCH FROM l.create_date - d.create_date)) < 60)"
        )
    )
    return cr.rowcount


def migrate(cr, version):
    if version:
        mark_portal_disputes(cr)
