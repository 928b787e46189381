"""18.0.1.2.0: the invoices a collection action lists are kept on its row.

They were rows of the relation table ``debt_action_move_rel``; they become the
action's ``move_keys`` (the ids, as a jsonb array of text), from which the
field ``move_ids`` is now computed. The relation table is then dropped.
"""

from odoo.tools import SQL, sql

LEGACY_TABLE = "debt_action_move_rel"


def migrate(cr, version):
    if not sql.table_exists(cr, LEGACY_TABLE):
        return
    cr.execute(
        SQL(
            """
        UPDATE debt_action a
           SET move_keys = l.keys
          FROM (SELECT action_id, jsonb_agg(move_id::text ORDER BY move_id) AS keys
                  FROM %s GROUP BY action_id) l
         WHERE a.id = l.action_id
            """,
            SQL.identifier(LEGACY_TABLE),
        )
    )
    cr.execute(SQL("DROP TABLE %s", SQL.identifier(LEGACY_TABLE)))
    cr.execute("DELETE FROM ir_model_relation WHERE name = %s", [LEGACY_TABLE])
