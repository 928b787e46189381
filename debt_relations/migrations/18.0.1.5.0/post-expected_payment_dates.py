"""Open customer invoices get their expected payment date (new) once, from
their customers' payment history and what is agreed with them; the daily
collection run keeps it up to date from then on."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["debt.payment.date"]._refresh_all()
