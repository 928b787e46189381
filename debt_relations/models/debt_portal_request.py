from odoo import fields, models

from .debt_sender import CONFIRMATION, Contact


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

    def _reply_customer(self, reply, summary, **log):
        """Answer the customer's billing contact about the request with the
        collector's text ``reply``, through the sending pipeline
        (``debt.sender``): the mail, one log entry (``summary``, the answer
        as its outcome, ``log``: more values), a short note on the request's
        chatter and the customer's. An answer to what the customer asked: not
        counted by the contact limit."""
        self.ensure_one()
        # Those who may answer the request (its writers, the collectors),
        # not those who only read it.
        self.check_access("write")
        sender = self.env["debt.sender"]
        return sender._debt_send(
            [
                Contact(
                    self.partner_id,
                    CONFIRMATION,
                    self,
                    thread=self,
                    summary=summary,
                    subject=summary,
                    body=sender._debt_text_body(reply),
                    log={"outcome": reply, **log},
                )
            ]
        )

    def _close_portal_activity(self):
        """The collector's to-do about the request is done."""
        self.activity_unlink(["debt_relations.mail_activity_type_debt_portal"])
