from odoo import api, fields, models

from ..services import eligibility
from ..services import portal as portal_service
from .debt_sender import NOTICE


class DebtPortalClaim(models.Model):
    """The customer says from the portal that invoices are already paid.

    They are not chased while accounting looks for the payment, for the
    company's number of days. Found: nothing more to do. Not found by then:
    the hold ends, the customer is told kindly, and the chase resumes at the
    rung where it stopped.
    """

    _name = "debt.portal.claim"
    _description = "Payment Claimed by the Customer"
    _inherit = ["debt.portal.request", "debt.agreement.mixin"]
    _order = "id desc"
    _debt_hold_reason = eligibility.PAYMENT_CLAIMED
    _debt_hold_states = ("checking",)
    _debt_hold_field = "hold"
    _debt_owned_fields = (
        "hold",
        "partner_id",
        "company_id",
        "state",
        "date_done",
        "move_ids",
        "date_paid",
        "amount",
        "reference",
        "attachment_ids",
        "date_until",
    )

    move_ids = fields.Many2many(
        "account.move",
        "debt_portal_claim_move_rel",
        "claim_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_paid = fields.Date(string="Paid On", required=True)
    amount = fields.Monetary(required=True)
    reference = fields.Char(string="Payment Reference")
    attachment_ids = fields.Many2many(
        "ir.attachment", string="Proof", help="What the customer sent as proof."
    )
    date_until = fields.Date(
        string="Held Until",
        required=True,
        help="The invoices are not chased until this day while the payment is "
        "looked for.",
    )
    hold = fields.Boolean(
        string="Holds the Reminders",
        default=True,
        readonly=True,
        copy=False,
        tracking=True,
        help="Off for a payment said to be made soon after a broken promise or "
        "a payment not found: the reminders go on until a collector holds "
        "them.",
    )
    state = fields.Selection(
        [
            ("checking", "Being Checked"),
            ("found", "Payment Found"),
            ("not_found", "Not Found"),
        ],
        required=True,
        default="checking",
        index=True,
        tracking=True,
        copy=False,
    )
    date_done = fields.Date(string="Settled On", readonly=True, copy=False)

    def action_found(self):
        """The payment is there: the invoices wait for it to be matched."""
        self._transition(
            {"state": "found", "date_done": fields.Date.context_today(self)}
        )
        self._close_portal_activity()
        return True

    def action_not_found(self):
        """No such payment: the hold ends today."""
        self._end_claim(fields.Date.context_today(self))
        return True

    @api.model
    def _settle(self, company, as_of):
        """Claims whose invoices are paid are found; those past their day end."""
        claims = self.search(
            [("company_id", "=", company.id), ("state", "=", "checking")]
        )
        for claim in claims:
            open_moves = claim.move_ids.filtered(
                lambda m: (
                    not m.currency_id.is_zero(m.amount_residual)
                    and m.payment_state not in ("paid", "in_payment", "reversed")
                )
            )
            if not open_moves:
                claim._transition({"state": "found", "date_done": as_of})
                claim._close_portal_activity()
            elif as_of > claim.date_until:
                claim._end_claim(as_of)

    def _debt_notify_amount(self):
        return self.amount

    def _end_claim(self, as_of):
        template = self.env.ref("debt_relations.mail_template_debt_portal_claim_ended")
        for claim in self:
            claim._transition({"state": "not_found", "date_done": as_of})
            claim._debt_notify(
                template,
                self.env._("Payment said to be made not found: the reminders resume"),
                kind=NOTICE,
                date=as_of,
            )
            claim._close_portal_activity()

    @api.model
    def _not_found_since(self, company, partner):
        """The last day a payment ``partner`` said was made was not found, or
        ``None``."""
        claim = self.search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "=", partner.id),
                ("state", "=", "not_found"),
                ("date_done", "!=", False),
            ],
            order="date_done desc",
            limit=1,
        )
        return claim.date_done or None

    @api.model
    def _hold_reasons(self, company, move_ids=None):
        """Only claims still within their days hold (also on a day the run
        has not settled them yet)."""
        today = fields.Date.context_today(self)
        domain = [
            ("company_id", "=", company.id),
            ("state", "=", "checking"),
            ("hold", "=", True),
            ("date_until", ">=", today),
        ]
        if move_ids is not None:
            domain.append(("move_ids", "in", list(move_ids)))
        return dict.fromkeys(self.search(domain).move_ids.ids, self._debt_hold_reason)

    # ------------------------------------------------------------------
    # From the portal
    # ------------------------------------------------------------------

    @api.model
    def _portal_claim(self, statement, values):
        """ "I have already paid": the invoices are held while accounting looks
        for the payment, and a collector gets an activity.

        :param values: ``move_id``, ``date_paid``, ``amount``, ``reference``,
            ``files``
        """
        portal = self.env["debt.portal"]
        moves, owed = portal._pick_moves(statement, values.get("move_id"))
        day = values.get("date_paid")
        amount = values.get("amount")
        portal._refuse(
            portal_service.check_paid_claim(
                day,
                amount,
                owed,
                statement["today"],
                statement["currency"].rounding,
            ),
            statement,
            owed=owed,
        )
        files = portal._check_files(values.get("files") or [])
        claim = portal._writer(self._name).create(
            {
                "partner_id": statement["partner"].id,
                "company_id": statement["company"].id,
                "move_ids": [fields.Command.set(moves.ids)],
                "date_paid": day,
                "amount": amount,
                "reference": (values.get("reference") or "").strip()[:200],
                "date_until": portal_service.claim_hold_until(
                    statement["today"], statement["limits"]
                ),
                # Soon after a broken promise or a payment not found, a
                # person decides whether it holds the reminders.
                "hold": statement["holds"],
            }
        )
        claim.attachment_ids = portal._attach(files, claim)
        summary = self.env._(
            "Said from the portal to have paid %(amount)s on %(date)s",
            amount=statement["currency"].format(amount),
            date=fields.Date.to_string(day),
        )
        portal._inbound(
            statement,
            summary,
            moves,
            claim,
            activity=self.env._(
                "Look for the payment the customer says was made (reference: "
                "%(reference)s)",
                reference=claim.reference or "-",
            )
            if claim.hold
            else self.env._(
                "Look for the payment the customer says was made (reference: "
                "%(reference)s); said soon after a broken promise or a payment "
                "not found, it does not hold the reminders unless you hold them",
                reference=claim.reference or "-",
            ),
            outcome=claim.reference,
        )
        return "paid" if claim.hold else "asked"
