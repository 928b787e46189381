"""18.0.1.6.0: fill the cash-in forecast's new table from the expected
payment dates the invoices already have (see the pre-migration)."""

from odoo import SUPERUSER_ID, api, fields


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Forecast = env["debt.cashin.forecast"]
    for company in env["res.company"].search([]):
        Forecast._refresh(company, fields.Date.context_today(Forecast))
