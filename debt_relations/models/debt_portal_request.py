from odoo import fields, models

from .mail_thread import company_sender


class DebtPortalRequest(models.AbstractModel):
    """What the customer asks for from the portal (a payment claim, a pause,
    a plan): the customer and company, the collector's to-do, the answer."""

    _name = "debt.portal.request"
    _description = "Request from the Portal"
    _inherit = ["mail.thread", "mail.activity.mixin", "debt.owned.mixin"]
    _check_company_auto = True
    _rec_name = "partner_id"
    _debt_owned_fields = ("partner_id", "company_id", "state")
    """What the customer asked, in its own words, and where the request stands:
    written by the portal and the request's buttons; a collector writes the
    reply."""

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

    def _reply_customer(self, body):
        """Write to the customer's billing contact about the request."""
        self.ensure_one()
        recipient = self.partner_id._debt_billing_contact()
        # From the company's sender when the collector has no address.
        return company_sender(self).message_post(
            body=body,
            partner_ids=recipient.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _log_reply(self, summary, reply, message, **values):
        """The answer, in the customer's contact log."""
        self.ensure_one()
        return self.env["debt.contact.log"].create(
            {
                "partner_id": self.partner_id.id,
                "company_id": self.company_id.id,
                "channel": "email",
                "summary": summary,
                "outcome": reply,
                "message_id": message.id,
                # An answer to what the customer asked: not counted by the
                # contact limit.
                "confirmation": True,
                **values,
            }
        )

    def _close_portal_activity(self):
        """The collector's to-do about the request is done."""
        self.activity_unlink(["debt_relations.mail_activity_type_debt_portal"])
