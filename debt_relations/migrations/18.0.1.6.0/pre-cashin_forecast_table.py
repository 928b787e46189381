"""18.0.1.6.0: the cash-in forecast is kept in a table, no longer a view.

The view summed every open invoice at each read; the table is written with
the expected payment dates. The view goes before Odoo creates the table of
the same name; the post-migration fills it.
"""

from odoo.tools import sql


def migrate(cr, version):
    sql.drop_view_if_exists(cr, "debt_cashin_forecast")
