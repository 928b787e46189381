from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import plaintext2html

from ..services import eligibility
from ..services import portal as portal_service


class DebtDispute(models.Model):
    """The customer says an invoice is wrong: its reminders stop until settled.

    Only the disputed invoice is held; the customer's other invoices keep their
    course on the ladder. A dispute may name the part of the invoice it is
    about (``amount_disputed``, "2 of 10 licences"): the rest stays
    chaseable, and reminders ask for that rest only
    (``services.eligibility.chaseable_residual``). A dispute of the whole open
    amount (the default) holds the whole invoice.
    """

    _name = "debt.dispute"
    _description = "Invoice Dispute"
    _inherit = ["mail.thread", "mail.activity.mixin", "debt.agreement.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _rec_name = "move_id"
    _debt_hold_reason = eligibility.DISPUTED
    _debt_owned_fields = ("state", "date_done", "origin")

    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", store=True, index=True
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        required=True,
        index=True,
        precompute=True,
    )
    currency_id = fields.Many2one(related="move_id.currency_id")
    amount_residual = fields.Monetary(related="move_id.amount_residual")
    # Stored, computed at creation only (it does not follow later payments).
    # Installing the field computes it for the disputes already there: the
    # open amount of their invoice that day, i.e. the whole invoice, as they
    # always held it. An empty amount (0) is read as the whole invoice too.
    amount_disputed = fields.Monetary(
        compute="_compute_amount_disputed",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="The part of the invoice the customer disputes, in the invoice's "
        "currency; by default all it still owes. The rest stays due: reminders "
        "ask for it, and the customer may pay it from the portal.",
    )
    # Named ``reason`` (not ``reason_id``) as the public contract says.
    reason = fields.Many2one(
        "debt.dispute.reason", required=True, tracking=True, ondelete="restrict"
    )
    description = fields.Text()
    origin = fields.Selection(
        [("collector", "A Collector"), ("portal", "Customer Portal")],
        string="Opened Through",
        default="collector",
        required=True,
        readonly=True,
        help="Customer Portal: the customer opened it from its statement.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Who looks into the dispute; by default the invoice's salesperson.",
    )
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved"), ("rejected", "Rejected")],
        required=True,
        default="open",
        index=True,
        tracking=True,
        copy=False,
    )
    resolution = fields.Text(string="Resolution Note", tracking=True)
    date = fields.Date(string="Opened On", default=fields.Date.context_today)
    date_done = fields.Date(string="Settled On", readonly=True, copy=False)
    credit_note_id = fields.Many2one("account.move", compute="_compute_credit_note_id")

    @api.depends("move_id")
    def _compute_company_id(self):
        for dispute in self:
            dispute.company_id = dispute.move_id.company_id or self.env.company

    @api.depends("move_id")
    def _compute_amount_disputed(self):
        for dispute in self:
            dispute.amount_disputed = dispute.move_id.amount_residual

    @api.depends("move_id.reversal_move_ids")
    def _compute_credit_note_id(self):
        for dispute in self:
            dispute.credit_note_id = dispute.move_id.reversal_move_ids[-1:]

    @api.depends("move_id")
    def _compute_user_id(self):
        for dispute in self:
            dispute.user_id = dispute.move_id.invoice_user_id or self.env.user

    @api.constrains("move_id", "state")
    def _check_one_open(self):
        for dispute in self.filtered(lambda d: d.state == "open"):
            if self.search_count(
                [
                    ("move_id", "=", dispute.move_id.id),
                    ("state", "=", "open"),
                    ("id", "!=", dispute.id),
                ],
                limit=1,
            ):
                raise ValidationError(
                    self.env._(
                        "Invoice %(invoice)s already has an open dispute.",
                        invoice=dispute.move_id.display_name,
                    )
                )

    @api.constrains("move_id", "state")
    def _check_invoice(self):
        for dispute in self.filtered(lambda d: d.state == "open"):
            move = dispute.move_id
            if move.move_type != "out_invoice" or move.state != "posted":
                raise ValidationError(
                    self.env._(
                        "A dispute is about a posted customer invoice, not "
                        "%(invoice)s.",
                        invoice=self._invoice_names(move),
                    )
                )
            if move.payment_state in ("paid", "in_payment", "reversed") or (
                move.currency_id.is_zero(move.amount_residual)
            ):
                raise ValidationError(
                    self.env._(
                        "Invoice %(invoice)s has nothing left to pay: there is "
                        "nothing to dispute or to hold.",
                        invoice=self._invoice_names(move),
                    )
                )

    @api.constrains("amount_disputed", "move_id")
    def _check_amount_disputed(self):
        for dispute in self.filtered(lambda d: d.state == "open"):
            currency = dispute.currency_id
            residual = dispute.move_id.amount_residual
            if currency.is_zero(residual):
                continue  # nothing to dispute: _check_invoice says so
            if currency.compare_amounts(dispute.amount_disputed, 0.0) <= 0:
                raise ValidationError(
                    self.env._(
                        "The amount disputed on %(invoice)s must be above zero.",
                        invoice=dispute.move_id.display_name,
                    )
                )
            if currency.compare_amounts(dispute.amount_disputed, residual) > 0:
                raise ValidationError(
                    self.env._(
                        "The amount disputed on %(invoice)s (%(disputed)s) is more "
                        "than the invoice still owes (%(residual)s).",
                        invoice=dispute.move_id.display_name,
                        disputed=currency.format(dispute.amount_disputed),
                        residual=currency.format(residual),
                    )
                )

    @api.constrains("reason", "state")
    def _check_reason(self):
        for dispute in self.filtered(lambda d: d.state == "open"):
            if not dispute.reason.active:
                raise ValidationError(
                    self.env._(
                        "Dispute reason %(reason)s is archived: choose a reason "
                        "in use.",
                        reason=dispute.reason.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._resolve_reason(vals)
        disputes = super().create(vals_list)
        for dispute in disputes:
            dispute.activity_schedule(
                "debt_relations.mail_activity_type_debt_dispute",
                summary=self.env._(
                    "Look into the dispute on %(invoice)s",
                    invoice=dispute.move_id.display_name,
                ),
                # The customer's words, as text: never markup.
                note=(
                    plaintext2html(dispute.description) if dispute.description else ""
                ),
                user_id=dispute.user_id.id,
            )
            dispute._log_contact(
                self.env._(
                    "Dispute opened on %(invoice)s: %(reason)s",
                    invoice=dispute.move_id.display_name,
                    reason=dispute.reason.name,
                ),
                direction="inbound",
                channel="portal" if dispute.origin == "portal" else "note",
            )
        return disputes

    def write(self, vals):
        self._resolve_reason(vals)
        return super().write(vals)

    @api.model
    def _resolve_reason(self, vals):
        """The reason by id or by code ("pricing", "quality"...); an unknown
        or archived one is refused by name, not by a database error."""
        if not vals.get("reason"):
            return
        Reason = self.env["debt.dispute.reason"]
        if isinstance(vals["reason"], str):
            reason = Reason.search([("code", "=", vals["reason"])], limit=1)
        else:
            reason = Reason.browse(vals["reason"]).exists()
        if not reason:
            raise ValidationError(
                self.env._(
                    "Unknown or archived dispute reason: %(reason)s.",
                    reason=vals["reason"],
                )
            )
        vals["reason"] = reason.id

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_resolve(self):
        """The customer was right: open Odoo's credit note wizard.

        The dispute is resolved, and the customer told, when the credit note
        is made (see ``account.move.reversal``); closing the wizard without one
        leaves the dispute open and the invoice held.
        """
        self.ensure_one()
        self._check_open()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit Note"),
            "res_model": "account.move.reversal",
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": "account.move",
                "active_ids": self.move_id.ids,
                "default_reason": self.resolution or self.reason.name,
                "default_debt_dispute_id": self.id,
            },
        }

    def action_resolve_no_credit_note(self):
        """The customer was right, settled without a credit note."""
        self._close_as("resolved")
        return True

    def action_reject(self):
        """The invoice stands: it goes back to the ladder where it was."""
        self._close_as("rejected")
        return True

    def action_reopen(self):
        self._transition({"state": "open", "date_done": False})
        return True

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _check_open(self):
        not_open = self.filtered(lambda d: d.state != "open")
        if not_open:
            raise UserError(
                self.env._(
                    "Only open disputes can be resolved or rejected: %(invoices)s.",
                    invoices=", ".join(not_open.move_id.mapped("display_name")),
                )
            )

    def _close_as(self, state):
        self._check_open()
        template = self.env.ref(
            "debt_relations.mail_template_debt_dispute_resolved"
            if state == "resolved"
            else "debt_relations.mail_template_debt_dispute_rejected"
        )
        today = fields.Date.context_today(self)
        self._transition({"state": state, "date_done": today})
        for dispute in self:
            dispute._debt_notify(
                template,
                self.env._(
                    "Dispute on %(invoice)s %(outcome)s",
                    invoice=dispute.move_id.display_name,
                    outcome=self.env._("resolved")
                    if state == "resolved"
                    else self.env._("rejected"),
                ),
                outcome=dispute.resolution or dispute.description or False,
            )
        self.activity_unlink(["debt_relations.mail_activity_type_debt_dispute"])

    def _agreement_moves(self):
        return self.move_id

    def _debt_notify_amount(self):
        return self.amount_disputed

    def _log_contact(self, summary, **values):
        """Log with the resolution (or the customer's description) as outcome."""
        values.setdefault("outcome", self.resolution or self.description or False)
        return super()._log_contact(summary, **values)

    @api.model
    def _hold_reasons(self, company, move_ids=None):
        """Move id -> hold reason for invoices whose dispute was resolved with
        a credit note still in draft: the customer was right, the invoice is
        about to be credited, it is held as a whole.

        Open disputes hold what they name (:meth:`_disputed_amounts`): the
        whole invoice or a part of it, as the eligibility service decides.
        """
        domain = [
            ("company_id", "=", company.id),
            ("state", "=", "resolved"),
            ("move_id.reversal_move_ids.state", "=", "draft"),
        ]
        if move_ids is not None:
            domain.append(("move_id", "in", list(move_ids)))
        disputes = self.search(domain)
        return dict.fromkeys(disputes.move_id.ids, self._debt_hold_reason)

    @api.model
    def _disputed_amounts(self, company, move_ids=None):
        """Move id -> ``(amount disputed, open amount)`` of the invoices with
        an open dispute, both in the invoice's currency. A dispute without an
        amount (opened before disputes named one) disputes the whole invoice.

        :param move_ids: the invoices to look at; ``None``: all of the company's
        """
        domain = [("company_id", "=", company.id), ("state", "=", "open")]
        if move_ids is not None:
            domain.append(("move_id", "in", list(move_ids)))
        return {
            dispute.move_id.id: (
                dispute._amount_held(),
                dispute.move_id.amount_residual,
            )
            for dispute in self.search(domain)
        }

    def _amount_held(self):
        """What the dispute holds of its invoice, in the invoice's currency:
        its amount, or all the invoice owes when it names none."""
        self.ensure_one()
        if self.currency_id.compare_amounts(self.amount_disputed, 0.0) <= 0:
            return self.move_id.amount_residual
        return self.amount_disputed

    # ------------------------------------------------------------------
    # From the portal
    # ------------------------------------------------------------------

    @api.model
    def _portal_open(self, statement, values):
        """The customer disputes one of its open invoices from its statement:
        a reason, a few words, files (PDF, PNG, JPEG).

        :param values: ``move_id``, ``reason_id``, ``description``, ``files``
            (``[(name, data, mimetype)]``), ``amount_disputed`` (the part of
            the invoice disputed, in its currency; ``amount_disputed_given``
            false: the whole invoice)
        """
        portal = self.env["debt.portal"]
        partner = statement["partner"]
        moves, _owed = portal._pick_moves(statement, values.get("move_id"), False)
        reason = statement["reasons"].filtered(
            lambda r: str(r.id) == str(values.get("reason_id"))
        )
        if not reason:
            raise UserError(self.env._("Please choose what is wrong."))
        description = (values.get("description") or "").strip()
        if not description:
            raise UserError(self.env._("Please tell us in a few words what is wrong."))
        files = portal._check_files(values.get("files") or [])
        vals = {
            "move_id": moves.id,
            "reason": reason.id,
            "description": description[:2000],
            "origin": "portal",
        }
        if values.get("amount_disputed_given"):
            amount = values.get("amount_disputed")
            owed = moves.amount_residual
            portal._refuse(
                portal_service.check_amount(amount, owed, moves.currency_id.rounding),
                statement,
                owed=owed,
            )
            vals["amount_disputed"] = amount
        # sudo: the customer's access was checked. The dispute logs the
        # contact itself (from the portal) and gives its owner an activity.
        dispute = portal._writer(self._name).create(vals)
        attachments = portal._attach(files, dispute)
        currency = dispute.currency_id
        if currency.compare_amounts(dispute.amount_disputed, moves.amount_residual) < 0:
            body = self.env._(
                "The customer disputes %(amount)s of this invoice: %(text)s",
                amount=currency.format(dispute.amount_disputed),
                text=description,
            )
        else:
            body = self.env._(
                "The customer disputes this invoice: %(text)s", text=description
            )
        dispute.message_post(
            body=body,
            attachment_ids=attachments.ids,
            author_id=portal._author(partner).id,
        )
        portal._chatter(
            partner,
            self.env._(
                "Dispute on %(invoice)s from the portal: %(reason)s",
                invoice=moves.display_name,
                reason=reason.name,
            ),
        )
        return (
            "dispute"
            if currency.compare_amounts(dispute.amount_disputed, moves.amount_residual)
            >= 0
            else "dispute_part"
        )
