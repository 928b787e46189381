from odoo import fields, models


class DebtContactLog(models.Model):
    _inherit = "debt.contact.log"

    # The SMS itself is deleted once sent (Odoo's SMS queue): its delivery is
    # followed by its UUID, as Odoo's own trackers follow it.
    sms_uuid = fields.Char(
        string="SMS UUID", readonly=True, index="btree_not_null", copy=False
    )

    def _sms_delivered(self):
        """The SMS provider accepted (or delivered) the SMS."""
        self._delivered()

    def _sms_delivery_failed(self, error):
        """The SMS could not be sent: the entry and its action say so."""
        for log in self.sudo():
            log._write_delivery({"delivery_state": "failed", "delivery_error": error})
            log.action_id._on_sms_failed(error)

    def _sms_error_text(self, sms_state, failure_type, failure_reason):
        """The SMS's failure in words a collector understands."""
        if sms_state == "canceled":
            return self.env._("The SMS was cancelled before it was sent.")
        labels = dict(
            self.env["mail.notification"]
            ._fields["failure_type"]
            ._description_selection(self.env)
        )
        label = labels.get(failure_type) or failure_type or ""
        detail = " ".join(str(failure_reason or "").split())[:300]
        return self.env._(
            "The SMS could not be sent: %(error)s",
            error=" ".join(filter(None, (label, detail))) or sms_state,
        )
