from datetime import timedelta

from odoo import fields, models


class DebtPortalPause(models.Model):
    """The customer asked from the portal for a pause in the reminders.

    A collector approves (the customer is paused for the days asked, from the
    day of the approval) or declines; the customer is told either way.
    """

    _name = "debt.portal.pause"
    _description = "Pause Asked by the Customer"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    days = fields.Integer(required=True)
    reason = fields.Text(required=True)
    state = fields.Selection(
        [
            ("requested", "Requested"),
            ("approved", "Approved"),
            ("declined", "Declined"),
        ],
        required=True,
        default="requested",
        readonly=True,
        tracking=True,
        copy=False,
    )
    reply = fields.Text(help="What the customer is told.")

    def action_approve(self):
        today = fields.Date.context_today(self)
        for pause in self.filtered(lambda p: p.state == "requested"):
            # sudo: collectors may not edit customers; the pause is theirs to give.
            pause.partner_id.sudo().write(
                {
                    "debt_paused_until": today + timedelta(days=pause.days),
                    "debt_pause_reason": pause.reason[:200],
                }
            )
            pause._answer_request(
                "approved",
                self.env._(
                    "Your request is approved: we will not send reminders for "
                    "%(days)s days.",
                    days=pause.days,
                ),
            )
        return True

    def action_decline(self):
        for pause in self.filtered(lambda p: p.state == "requested"):
            pause._answer_request(
                "declined",
                self.env._(
                    "We cannot pause the reminders this time. Please tell us how "
                    "we can help."
                ),
            )
        return True

    def _answer_request(self, state, default_reply):
        self.ensure_one()
        self.sudo().state = state
        reply = self.reply or default_reply
        recipient = self.partner_id._debt_billing_contact()
        message = self.message_post(
            body=reply,
            partner_ids=recipient.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.env["debt.contact.log"].create(
            {
                "partner_id": self.partner_id.id,
                "company_id": self.company_id.id,
                "channel": "email",
                "direction": "outbound",
                "courtesy": True,
                "summary": self.env._(
                    "Answer to the pause asked for: %(state)s",
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        state
                    ],
                ),
                "outcome": reply,
                "message_id": message.id,
            }
        )
        self.activity_unlink(["debt_relations.mail_activity_type_debt_portal"])
