from odoo import fields, models
from odoo.tools import plaintext2html

from odoo.addons.debt_relations.models.mail_thread import company_sender


class DebtAction(models.Model):
    """Reminders by SMS: to the billing contact's mobile, else phone number."""

    _inherit = "debt.action"

    send_sms = fields.Boolean(related="stage_id.send_sms")

    def _debt_reachable_channels(self, offered):
        reachable = super()._debt_reachable_channels(offered)
        reachable.discard("sms")
        if "sms" in offered and self._debt_sms_number():
            reachable.add("sms")
        return reachable

    def _debt_unreachable_text(self, channel):
        if channel == "sms":
            return self.env._(
                "No SMS: the billing contact has no usable mobile or phone number."
            )
        return super()._debt_unreachable_text(channel)

    def _debt_sms_number(self):
        """The billing contact's mobile number, else its phone number, in the
        international format Odoo's SMS service needs (``False``: neither
        can be used)."""
        self.ensure_one()
        recipient = self.recipient_id
        if not recipient:
            return False
        return recipient._phone_format(fname="mobile") or recipient._phone_format(
            fname="phone"
        )

    def _send_sms(self):
        """One SMS per action, from its stage's SMS template, posted on the
        customer's chatter and put in Odoo's SMS queue; its entry waits for
        the SMS's delivery (see ``sms.tracker``). Returns the entries' values
        in the order of ``self`` (rendered per template)."""
        logs = {}
        if not self:
            return []
        # The messages link each customer's statement: keys made at once.
        self.partner_id._debt_portal_ensure_tokens()
        moments = self._sms_send_moments()
        SmsSudo = self.env["sms.sms"].sudo()
        for template, actions in self.grouped(
            lambda a: a.stage_id.sms_template_id
        ).items():
            bodies = template._render_field("body", actions.ids, compute_lang=True)
            for action in actions:
                number = action._debt_sms_number()
                recipient = action.recipient_id
                # sudo: the run's message on the customer, whoever approved.
                partner = company_sender(action.partner_id.sudo())
                message = partner._message_sms(
                    bodies[action.id],
                    partner_ids=recipient.ids,
                    sms_pid_to_number={recipient.id: number},
                    author_id=action.company_id.partner_id.id,
                    put_in_queue=True,
                )
                sms = SmsSudo.search([("mail_message_id", "=", message.id)], limit=1)
                if moments[action.id]:  # waits for the customer's hours
                    sms.debt_scheduled_date = moments[action.id]
                logs[action.id] = action._log_vals(
                    "sms",
                    self.env._(
                        "SMS to %(number)s: %(stage)s",
                        number=number,
                        stage=action.stage_id.name,
                    ),
                    message_id=message.id,
                    sms_uuid=sms.uuid,
                    delivery_state="queued",
                )
        if not all(moments.values()):
            self._wake_sms_queue()  # some leave now
        later = sorted({moment for moment in moments.values() if moment})
        if later:
            self._wake_sms_queue(later)
        return [logs[action.id] for action in self]

    def _sms_send_moments(self):
        """Action id -> when the SMS queue may send its SMS: the customer's
        next allowed moment by its company's contact calendar (naive UTC), or
        ``False`` when that is now.

        The one place where the moment of an SMS is chosen.
        """
        now = fields.Datetime.now()
        Governor = self.env["debt.contact.governor"]
        moments = {}
        for company, actions in self.grouped("company_id").items():
            allowed = Governor._next_allowed_moments(
                company, actions.partner_id, now=now
            )
            for action in actions:
                moment = allowed[action.partner_id.id]
                moments[action.id] = moment if moment and moment > now else False
        return moments

    def _wake_sms_queue(self, at=None):
        """Have Odoo's SMS queue send at ``at`` (``None``: now; a moment or a
        list of moments, naive UTC)."""
        cron = self.env.ref(
            "sms.ir_cron_sms_scheduler_action", raise_if_not_found=False
        )
        if cron:
            # sudo: scheduled actions are technical records.
            cron.sudo()._trigger(at=at)

    def _on_sms_failed(self, error):
        """The SMS could not be sent: the collector is told; the action fails
        unless another of its channels reached (or may still reach) the
        customer."""
        for action in self.sudo():
            action = action.with_company(action.company_id)
            partner = company_sender(action.partner_id.commercial_partner_id)
            partner.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.context_today(self),
                summary=self.env._("SMS reminder not sent"),
                note=plaintext2html(
                    self.env._(
                        "The %(stage)s SMS to %(number)s could not be sent: %(error)s",
                        stage=action.stage_id.name,
                        number=action._debt_sms_number() or "",
                        error=error,
                    )
                ),
                user_id=partner._debt_collector(action.stage_id.policy_id).id,
            )
            waiting = action.contact_log_ids.filtered(
                lambda log: log.delivery_state == "queued"
            )
            if action.stages_moved or waiting:
                continue  # reached, or still to be, by another channel
            action.write(
                {
                    "delivery_state": "failed",
                    "state": "failed",
                    "note": self.env._(
                        "Not delivered: %(error)s The customer was not reached.",
                        error=error,
                    ),
                }
            )
