from odoo import api, models


class DebtSender(models.AbstractModel):
    """The SMS channel of the sending pipeline: a reminder's SMS."""

    _inherit = "debt.sender"

    @api.model
    def _debt_prepare_sms(self, contacts):
        """One SMS per reminder, from its stage's SMS template, put in Odoo's
        SMS queue; the SMS itself is its note on the customer's chatter, and
        its entry waits for its delivery (``sms.tracker``)."""
        actions = self.env["debt.action"].union(*[c.action for c in contacts])
        return self._dated(contacts, actions._send_sms())

    @api.model
    def _debt_send_sms(self, contacts, logs):
        """Queued when prepared (Odoo posts the SMS on the chatter as it
        queues it): nothing more to send."""
        return logs
