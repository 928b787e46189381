"""18.0.1.3.0: what a contact log entry says is sanitised HTML.

``debt.contact.log.body`` kept the reminder's text as it was rendered, shown
as HTML without sanitising it. The field now has the rules of the chatter's
bodies (``mail.message.body``): an entry whose chatter message still exists
takes that message's body (the same text, sanitised by those rules when the
reminder was sent); any other is sanitised here with the field's own rules.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, split_every

from odoo.addons.debt_relations import fastpath

BATCH = 1000


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    Log = env["debt.contact.log"]
    cr.execute(
        SQL(
            "UPDATE debt_contact_log l SET body = m.body FROM mail_message m "
            "WHERE l.message_id = m.id AND l.body IS NOT NULL"
        )
    )
    cr.execute(
        SQL(
            "SELECT l.id FROM debt_contact_log l "
            "LEFT JOIN mail_message m ON m.id = l.message_id "
            "WHERE l.body IS NOT NULL AND m.id IS NULL ORDER BY l.id"
        )
    )
    field = Log._fields["body"]
    for ids in split_every(BATCH, [row[0] for row in cr.fetchall()], list):
        rows = env.execute_query(
            SQL("SELECT id, body FROM debt_contact_log WHERE id = ANY(%s)", ids)
        )
        env.execute_query(
            SQL(
                "UPDATE debt_contact_log SET body = d.body "
                "FROM UNNEST(%s::int[], %s::text[]) AS d(id, body) "
                "WHERE debt_contact_log.id = d.id",
                [row[0] for row in rows],
                [fastpath.sanitized_html(Log, field, row[1]) or None for row in rows],
            )
        )
