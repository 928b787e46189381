import logging
import re
from datetime import timedelta

from odoo import fields, models

_logger = logging.getLogger(__name__)

RETRY_DELAYS_MINUTES = (5, 15, 45, 120, 360, 720)
"""Back-off between attempts after a temporary failure (then every 12 hours)."""

SMTP_CODE = re.compile(r"\b([245])\d\d\b")
PERMANENT_FAILURE_TYPES = ("mail_email_invalid", "mail_email_missing")


def is_permanent(failure_type, failure_reason):
    """Whether a delivery failure will not heal by retrying.

    Invalid or missing addresses, and SMTP replies of class 5 (``550 no such
    user``), are permanent; a refused connection, a ``421`` greeting or a
    ``451`` reply are temporary.
    """
    if failure_type in PERMANENT_FAILURE_TYPES:
        return True
    codes = SMTP_CODE.findall(failure_reason or "")
    return bool(codes) and codes[0] == "5"


def retry_delay(attempts):
    """Minutes to wait before the next attempt, after ``attempts`` failures."""
    index = min(max(attempts, 1), len(RETRY_DELAYS_MINUTES)) - 1
    return RETRY_DELAYS_MINUTES[index]


class MailMail(models.Model):
    """Delivery of collection emails: the contact log and the ladder follow it."""

    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        logs = (
            self.env["debt.contact.log"]
            .sudo()
            .search([("mail_id", "in", self.ids), ("delivery_state", "=", "queued")])
        )
        if logs:
            # Read before super(), which may delete auto-deleted mails.
            outcome = {mail.id: (mail.state, mail.failure_reason) for mail in self}
            for log in logs:
                state, reason = outcome.get(log.mail_id.id, (None, None))
                # Whatever happens here must not stop Odoo's mail queue for
                # the other mails: contained per entry, logged.
                try:
                    with self.env.cr.savepoint():
                        if state == "sent":
                            log._delivered()
                        elif state == "exception":
                            log._delivery_failed(
                                failure_type, reason or failure_reason or failure_type
                            )
                except Exception:  # noqa: BLE001 - logged, the queue goes on
                    _logger.exception(
                        "Delivery of collection email %s could not be recorded",
                        log.mail_id.id,
                    )
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )

    def _debt_retry_later(self, attempts):
        """Put a mail that failed for a temporary reason back in the queue,
        for a later attempt (Odoo's queue never retries a failed mail)."""
        at = fields.Datetime.now() + timedelta(minutes=retry_delay(attempts))
        self.sudo().write({"state": "outgoing", "scheduled_date": at})
        cron = self.env.ref(
            "mail.ir_cron_mail_scheduler_action", raise_if_not_found=False
        )
        if cron:
            cron.sudo()._trigger(at=at)
        return at
