from . import models
from . import wizards
from . import controllers


def post_init_hook(env):
    """Every company existing at install time gets a default collection policy,
    the relationship tiers and the incentive rules; its open invoices get
    their expected payment dates."""
    env["res.company"].search([])._debt_ensure_defaults()
    env["debt.payment.date"]._refresh_all()
