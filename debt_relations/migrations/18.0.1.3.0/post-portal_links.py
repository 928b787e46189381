"""18.0.1.3.0: statement links expire a number of days after the last message
that carried them (``res.partner.debt_portal_link_date``).

Links made before had no such date: they count as sent on the day of the
update, so that none stops working at once; each expires the company's number
of days after it, or after the next message that carries it.
"""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """
        UPDATE res_partner
           SET debt_portal_link_date = (now() AT TIME ZONE 'UTC')::date
         WHERE debt_portal_token IS NOT NULL
           AND debt_portal_link_date IS NULL
            """
        )
    )
