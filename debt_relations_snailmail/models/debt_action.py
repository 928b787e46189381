from odoo import fields, models
from odoo.tools import plaintext2html


class DebtAction(models.Model):
    _inherit = "debt.action"

    snailmail_letter_ids = fields.One2many(
        "snailmail.letter", "debt_action_id", string="Posted Letters", readonly=True
    )

    def _post_letters(self, logs):
        """The letters of stages that post them go to Snailmail: one
        ``snailmail.letter`` per action, on the customer, with the letter as
        printed; Odoo's Snailmail queue posts them (its scheduled action,
        woken now) and their state is followed in the contact log."""
        logs = super()._post_letters(logs)
        letters = []
        for action, values in zip(self, logs, strict=True):
            if not action.stage_id.post_letter:
                continue
            attachment = action.letter_attachment_id
            if attachment.mimetype != "application/pdf":
                reason = self.env._(
                    "The letter could not be printed as a PDF (wkhtmltopdf is "
                    "missing): it was not posted. Print it from the run."
                )
                values.update(delivery_state="failed", delivery_error=reason)
                action._debt_letter_not_posted(reason)
                continue
            values.update(
                summary=self.env._(
                    "Letter by post: %(stage)s", stage=action.stage_id.name
                ),
                outcome=self.env._("Sent by post with Odoo's Snailmail service."),
                delivery_state="queued",
            )
            letters.append(
                {
                    "model": "res.partner",
                    "res_id": action.partner_id.id,
                    # The billing contact the letter is addressed to.
                    "partner_id": action.recipient_id.id,
                    "company_id": action.company_id.id,
                    "attachment_id": attachment.id,
                    "user_id": action._log_user().id,
                    "debt_action_id": action.id,
                }
            )
        if letters:
            # sudo: the run posts on behalf of the company; Snailmail's
            # letters and its scheduled action are technical records.
            Letter = self.env["snailmail.letter"].sudo()
            created = Letter.create(letters)
            created.debt_action_id.filtered(lambda a: not a.mail_message_id).write(
                {"delivery_state": "queued"}
            )
            cron = self.env.ref("snailmail.snailmail_print", raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()
        return logs

    def _debt_letter_not_posted(self, reason):
        """The collector learns that the letter did not go by post, and why."""
        for action in self:
            partner = action.partner_id.commercial_partner_id
            partner.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.context_today(self),
                summary=self.env._("Letter not posted"),
                # Text (Snailmail's message among it), not HTML.
                note=plaintext2html(
                    self.env._(
                        "The %(stage)s letter could not be posted: %(reason)s",
                        stage=action.stage_id.name,
                        reason=reason,
                    )
                ),
                user_id=partner._debt_collector(action.stage_id.policy_id).id,
            )
