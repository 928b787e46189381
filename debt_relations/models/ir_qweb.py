from odoo import models

from .. import fastpath


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        """The templates a batch of reminders calls (``t-call``) are looked up
        once per batch (see :func:`..fastpath.compiled_template`)."""
        return fastpath.compiled_template(self, template, super()._compile)
