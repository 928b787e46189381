from . import models
from . import wizards
from . import controllers


def post_init_hook(env):
    """Every company existing at install time gets a default collection policy."""
    env["res.company"].search([])._debt_ensure_default_policy()
