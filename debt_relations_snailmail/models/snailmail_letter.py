from odoo import fields, models
from odoo.tools import html2plaintext


class SnailmailLetter(models.Model):
    _inherit = "snailmail.letter"

    debt_action_id = fields.Many2one(
        "debt.action",
        string="Collection Action",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )

    def write(self, vals):
        if "state" not in vals:
            return super().write(vals)
        followed = self.filtered("debt_action_id")
        before = {letter.id: (letter.state, letter.error_code) for letter in followed}
        result = super().write(vals)
        followed.filtered(
            lambda letter: (letter.state, letter.error_code) != before[letter.id]
        )._debt_follow_delivery()
        return result

    def _debt_follow_delivery(self):
        """Snailmail's state, on the letter's contact log entry and action:
        pending is queued, sent is sent; an error or a cancellation is a
        failure, and an error gives the collector an activity with the
        reason."""
        # sudo: the delivery of a letter is the run's bookkeeping, whoever
        # (Snailmail's scheduled action, a user's retry) changes the letter.
        for letter in self.sudo():
            action = letter.debt_action_id
            logs = action.contact_log_ids.filtered(
                lambda log, letter=letter: (
                    log.channel == "letter"
                    and log.attachment_id == letter.attachment_id
                )
            )
            if letter.state == "error":
                reason = letter._debt_error_text()
            elif letter.state == "canceled":
                reason = self.env._("The letter was cancelled before it was posted.")
            else:
                reason = False
            state = {"pending": "queued", "sent": "sent"}.get(letter.state, "failed")
            logs._write_delivery({"delivery_state": state, "delivery_error": reason})
            values = {}
            if not action.mail_message_id:
                # The action's delivery is its email's when it sent one.
                values["delivery_state"] = state
            email_delivered = action.contact_log_ids.filtered(
                lambda log: log.channel == "email" and log.delivery_state == "sent"
            )
            if state == "sent" and action.state == "failed":
                values.update(
                    state="done",
                    note=self.env._("The letter was posted after all."),
                )
            elif state == "failed" and not email_delivered:
                values.update(
                    state="failed",
                    note=self.env._(
                        "Not posted: %(reason)s The customer was not reached.",
                        reason=reason,
                    ),
                )
            if values:
                action.write(values)
            if letter.state == "error":
                action._debt_letter_not_posted(reason)

    def _debt_error_text(self):
        """Snailmail's reason for the error, as text."""
        self.ensure_one()
        text = self.info_msg or self._get_error_message(self.error_code)
        return " ".join(html2plaintext(text).split())
