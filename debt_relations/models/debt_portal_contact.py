from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq, email_normalize

from .. import fastpath
from ..services import portal as portal_service
from .debt_sender import CONFIRMATION, Contact


class DebtPortalContact(models.Model):
    """A new billing email asked for with a statement link, without logging
    in: it changes nothing until confirmed from the new address.

    A link is forwarded (to an accountant, a colleague, by mistake); its
    holder must not be able to send the reminders, with their amounts and
    invoices, to a mailbox of its own choosing unnoticed. So the new address
    gets a confirmation link (valid the company's number of hours, 48 by
    default), the current billing address is told that a change was asked,
    and the collector sees the request. A logged-in portal user of the
    customer changes the address at once.
    """

    _name = "debt.portal.contact"
    _description = "Contact Change Asked by the Customer"
    _inherit = "debt.portal.request"
    _order = "id desc"
    # Collections staff read the requests, follow up their activities and
    # write in their chatter; only the portal (as superuser) changes them.
    _mail_post_access = "read"
    _debt_owned_fields = (
        "partner_id",
        "company_id",
        "state",
        "billing_id",
        "email_old",
        "email_new",
        "key",
        "expires_at",
        "confirmed_on",
    )

    billing_id = fields.Many2one(
        "res.partner",
        string="Billing Contact",
        required=True,
        readonly=True,
        help="The contact whose email changes once confirmed.",
    )
    email_old = fields.Char(string="Current Email", readonly=True)
    email_new = fields.Char(string="New Email", required=True, readonly=True)
    key = fields.Char(
        string="Confirmation Key",
        required=True,
        readonly=True,
        copy=False,
        groups="base.group_system",
    )
    expires_at = fields.Datetime(string="Confirm Before", required=True, readonly=True)
    confirmed_on = fields.Datetime(readonly=True, copy=False)
    state = fields.Selection(
        [
            ("requested", "Waiting for Confirmation"),
            ("confirmed", "Confirmed"),
            ("expired", "Not Confirmed in Time"),
        ],
        required=True,
        default="requested",
        readonly=True,
        tracking=True,
        copy=False,
    )

    def _confirm_url(self):
        """The link mailed to the new address."""
        self.ensure_one()
        request = self.sudo()
        return (
            f"{request.get_base_url()}/collections/contact/{request.id}/confirm"
            f"?key={request.key}"
        )

    # ------------------------------------------------------------------
    # From the statement
    # ------------------------------------------------------------------

    @api.model
    def _portal_change(self, statement, values):
        """How to reach the customer, from its statement: the preferred
        channel changes at once (it sends nothing anywhere else); a new
        billing email changes at once for a logged-in user of the customer,
        and waits for confirmation from the new address when asked with the
        link alone (``debt.portal._may``).

        :param values: ``email`` and ``channel`` as posted
        :returns: ``"contact"`` (done), or ``"contact_asked"`` (the new email
            waits for its confirmation)
        """
        portal = self.env["debt.portal"]
        partner = statement["partner"]
        email = (values.get("email") or "").strip()
        channel = values.get("channel") or False
        channels = dict(partner._fields["debt_portal_channel"].selection)
        if email and not email_normalize(email):
            raise UserError(
                self.env._("%(email)s is not a valid email address.", email=email)
            )
        if channel and channel not in channels:
            raise UserError(self.env._("Please choose a channel."))
        if not email and not channel:
            raise UserError(self.env._("Please give an email address or a channel."))
        billing = statement["billing"]
        new_email = email and email != billing.email
        how = portal._may(statement, portal_service.CONTACT_EMAIL)
        if new_email and how is None:
            raise UserError(self.env._("Please choose a channel."))
        changes = []
        if channel:
            partner.sudo().debt_portal_channel = channel
            changes.append(
                self.env._(
                    "prefers %(channel)s",
                    channel=dict(
                        partner._fields["debt_portal_channel"]._description_selection(
                            self.env
                        )
                    )[channel],
                )
            )
        if new_email and how == portal_service.CONFIRM:
            self._ask(statement, email, changes)
            return "contact_asked"
        if new_email:
            # sudo: the logged-in user of the customer may not edit contacts.
            billing.sudo().email = email
            changes.insert(0, self.env._("email %(email)s", email=email))
        portal._inbound(
            statement,
            self.env._(
                "Contact details updated from the portal: %(changes)s",
                changes=", ".join(changes),
            ),
            self.env["account.move"],
        )
        return "contact"

    @api.model
    def _ask(self, statement, email, changes=()):
        """The request, the confirmation mailed to ``email``, the notice to
        the current billing address, the collector's to-do, and one log entry
        (with the other ``changes`` made at once)."""
        portal = self.env["debt.portal"]
        partner = statement["partner"]
        billing = statement["billing"]
        limits = statement["limits"]
        request = portal._writer(self._name).create(
            {
                "partner_id": partner.id,
                "company_id": statement["company"].id,
                "billing_id": billing.id,
                "email_old": billing.email or False,
                "email_new": email,
                "key": portal._new_key(),
                "expires_at": portal_service.confirmation_expires(
                    fields.Datetime.now(), limits.confirm_hours
                ),
            }
        )
        request._mail(
            "debt_relations.mail_template_debt_portal_contact_confirm",
            request.email_new,
        )
        if billing.email:
            request._mail(
                "debt_relations.mail_template_debt_portal_contact_notice",
                request.email_old,
            )
        portal._inbound(
            statement,
            self.env._(
                "New billing email %(email)s asked for with the statement link: "
                "it changes once confirmed from that address",
                email=email,
            ),
            self.env["account.move"],
            request,
            activity=self.env._(
                "A new billing email was asked for with the statement link (not "
                "logged in): check it is the customer's"
            ),
            outcome="; ".join(
                [
                    self.env._(
                        "From %(old)s to %(new)s", old=billing.email or "-", new=email
                    ),
                    *changes,
                ]
            ),
        )
        return request

    def _mail(self, xmlid, email_to):
        """The request's mail ``xmlid`` to the address it names (``email_to``:
        the new one, to confirm; the current one, told of the change asked),
        through the sending pipeline (``debt.sender``); its log entry keeps
        the text without the confirmation key (a collector must not be able
        to confirm in the customer's place)."""
        self.ensure_one()
        # sudo: the request's own mails, to the addresses it names; the
        # portal (not logged in) asks for them.
        logs = (
            self.env["debt.sender"]
            .sudo()
            ._debt_send(
                [
                    Contact(
                        self.partner_id,
                        CONFIRMATION,
                        self,
                        template=self.env.ref(xmlid),
                        thread=self,
                        email_to=email_to,
                    )
                ]
            )
        )
        key = self.sudo().key
        for log in logs.sudo():
            if log.body and key in log.body:
                fastpath.write_sanitized(log, "body", [log.body.replace(key, "…")])
                log.invalidate_recordset(["body"])
        return logs

    # ------------------------------------------------------------------
    # From the confirmation link
    # ------------------------------------------------------------------

    @api.model
    def _portal_find(self, request_id, key):
        """The request ``request_id`` whose confirmation key is ``key``
        (compared in constant time), else an empty recordset."""
        request = self.sudo().browse(request_id).exists()
        if not request or not key or not consteq(request.key, str(key)):
            return self.browse()
        return request

    def _portal_confirm(self):
        """Confirmed from the new address: the billing email changes, and the
        change is logged. Used or out-of-date confirmations change nothing.

        :returns: the request's state after it: ``confirmed`` when it changed
            the email now, else ``expired`` or the state it had
        """
        self.ensure_one()
        request = self.sudo()
        if request.state != "requested":
            return "used"
        if not portal_service.confirmation_open(
            request.expires_at, fields.Datetime.now()
        ):
            request.state = "expired"
            return "expired"
        request.billing_id.email = request.email_new
        request.write({"state": "confirmed", "confirmed_on": fields.Datetime.now()})
        summary = self.env._(
            "Billing email changed to %(email)s, confirmed from that address",
            email=request.email_new,
        )
        request.env["debt.contact.log"].create(
            {
                "partner_id": request.partner_id.id,
                "company_id": request.company_id.id,
                "channel": "portal",
                "direction": "inbound",
                "summary": summary,
                "outcome": self.env._(
                    "From %(old)s to %(new)s",
                    old=request.email_old or "-",
                    new=request.email_new,
                ),
            }
        )
        author = self.env["debt.portal"]._author(request.partner_id)
        request.partner_id.message_post(body=summary, author_id=author.id)
        request.message_post(body=summary, author_id=author.id)
        return "confirmed"
