import logging

from odoo import models

_logger = logging.getLogger(__name__)

DELIVERED = ("pending", "sent")
"""SMS states (``sms.sms``) in which the provider has the message: the
customer is reached, as an email is once the mail server accepts it."""
FAILED = ("error", "canceled")


class SmsTracker(models.Model):
    """Delivery of collection SMS: the contact log and the ladder follow the
    SMS's state, at sending and from the provider's delivery reports."""

    _inherit = "sms.tracker"

    def _action_update_from_sms_state(
        self, sms_state, failure_type=False, failure_reason=False
    ):
        result = super()._action_update_from_sms_state(
            sms_state, failure_type=failure_type, failure_reason=failure_reason
        )
        self._debt_follow(sms_state, failure_type, failure_reason)
        return result

    def _action_update_from_provider_error(self, provider_error):
        result = super()._action_update_from_provider_error(provider_error)
        _status, failure_type, failure_reason = result
        self._debt_follow("error", failure_type, failure_reason or provider_error)
        return result

    def _debt_follow(self, sms_state, failure_type, failure_reason):
        """Record the SMS's new state on the collection entries it carries."""
        if sms_state not in DELIVERED + FAILED or not self:
            return
        # sudo: delivery is bookkeeping of the run, whoever sends the queue.
        logs = (
            self.env["debt.contact.log"]
            .sudo()
            .search(
                [
                    ("sms_uuid", "in", self.mapped("sms_uuid")),
                    ("delivery_state", "in", ("queued", "sent")),
                ]
            )
        )
        for log in logs:
            # Whatever happens here must not stop Odoo's SMS queue for the
            # other messages: contained per entry, logged.
            try:
                with self.env.cr.savepoint():
                    if sms_state in DELIVERED and log.delivery_state == "queued":
                        log._sms_delivered()
                    elif sms_state in FAILED:
                        log._sms_delivery_failed(
                            log._sms_error_text(sms_state, failure_type, failure_reason)
                        )
            except Exception:  # noqa: BLE001 - logged, the queue goes on
                _logger.exception(
                    "Delivery of collection SMS %s could not be recorded", log.sms_uuid
                )
