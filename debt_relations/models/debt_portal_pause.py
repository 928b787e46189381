from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services import portal as portal_service


class DebtPortalPause(models.Model):
    """The customer asked from the portal for a pause in the reminders.

    A collector approves (the customer is paused for the days asked, from the
    day of the approval) or declines; the customer is told either way.
    """

    _name = "debt.portal.pause"
    _description = "Pause Asked by the Customer"
    _inherit = "debt.portal.request"
    _order = "id desc"
    _debt_owned_fields = ("partner_id", "company_id", "state", "days", "reason")

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
        self._reply_customer(
            reply,
            self.env._(
                "Answer to the pause asked for: %(state)s",
                state=dict(self._fields["state"]._description_selection(self.env))[
                    state
                ],
            ),
            courtesy=True,
        )
        self._close_portal_activity()

    # ------------------------------------------------------------------
    # From the portal
    # ------------------------------------------------------------------

    @api.model
    def _portal_ask(self, statement, values):
        """The customer asks for a pause of some days, with a reason; a
        collector approves or declines.

        :param values: ``days``, ``reason``
        """
        portal = self.env["debt.portal"]
        days = values.get("days")
        portal._refuse(portal_service.check_pause(days), statement)
        reason = (values.get("reason") or "").strip()
        if not reason:
            raise UserError(self.env._("Please tell us why you would like a pause."))
        pause = portal._writer(self._name).create(
            {
                "partner_id": statement["partner"].id,
                "company_id": statement["company"].id,
                "days": days,
                "reason": reason[:2000],
            }
        )
        portal._inbound(
            statement,
            self.env._("Asked from the portal for a pause of %(days)s days", days=days),
            self.env["account.move"],
            pause,
            activity=self.env._(
                "The customer asks for a pause of %(days)s days: approve or decline",
                days=days,
            ),
            outcome=reason,
        )
        return "pause"
