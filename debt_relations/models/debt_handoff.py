from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, plaintext2html

from ..services import eligibility
from ..services import handoff as handoff_service
from .debt_collection_facts import OPEN_PAYMENT_STATES
from .debt_sender import HANDOFF, Contact

KINDS = [
    (handoff_service.MEDIATION, "Mediation"),
    (handoff_service.AGENCY, "Collection agency"),
    (handoff_service.LEGAL, "Lawyer"),
]
PROVIDER_KINDS = [
    ("mediator", "Mediator"),
    ("agency", "Collection agency"),
    ("law_firm", "Law firm"),
]
STATES = [
    ("draft", "Draft"),
    ("sent", "Sent"),
    ("accepted", "Accepted"),
    ("settled", "Settled"),
    ("returned", "Returned"),
    ("written_off", "Written Off"),
]
OUTCOMES = [
    ("agreement", "Agreement reached"),
    ("paid", "Paid in full"),
    (handoff_service.NO_AGREEMENT, "No agreement"),
    ("unreachable", "Customer unreachable"),
    ("other", "Other"),
]
FIXED_ONCE_SENT = ("partner_id", "move_ids", "kind", "provider_id", "company_id")
"""What the provider was sent: fixed once the hand-off is sent."""
REPORT = "debt_relations.action_report_debt_handoff_dossier"


class DebtHandoff(models.Model):
    """A customer's file handed over to a mediator, an agency or a lawyer.

    Mediation first: an agency or legal hand-off comes after a mediation of
    the customer that ended without agreement, unless a manager overrides it
    with a reason (logged). While it is prepared, sent or accepted, the run
    leaves its invoices to the provider (skip reason ``handed_off``); the
    customer's other invoices are reminded on their own rungs.
    """

    _name = "debt.handoff"
    _description = "Collection Hand-off"
    _inherit = ["mail.thread", "mail.activity.mixin", "debt.agreement.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _debt_hold_reason = eligibility.HANDED_OFF
    # A draft holds too: the customer was told the file goes to a mediator,
    # and the collector reviews it before it is sent.
    _debt_hold_states = ("draft", *handoff_service.OPEN_STATES)
    _debt_owned_fields = (
        "state",
        "amount",
        "amount_recovered",
        "amount_reported",
        "date_sent",
        "date_accepted",
        "date_closed",
        "override_by_id",
        "previous_stages",
        "previous_partner_stage_id",
        "dossier_attachment_id",
        "stage_id",
    )

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", store=True, precompute=True
    )
    move_ids = fields.Many2many(
        "account.move",
        "debt_handoff_move_rel",
        "handoff_id",
        "move_id",
        string="Invoices",
        check_company=True,
        tracking=True,
        domain="[('commercial_partner_id', '=', partner_id), "
        "('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    kind = fields.Selection(
        KINDS,
        required=True,
        default=handoff_service.MEDIATION,
        tracking=True,
        help="Mediation first: an agency or a lawyer only after a mediation of "
        "the customer ended without agreement (or a manager's override).",
    )
    provider_kind = fields.Selection(PROVIDER_KINDS, compute="_compute_provider_kind")
    provider_id = fields.Many2one(
        "res.partner",
        string="Handed To",
        tracking=True,
        check_company=True,
        domain="[('debt_handoff_provider', '=', provider_kind)]",
        help="The mediator, agency or law firm (a contact marked as such in its "
        "Collections tab).",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        tracking=True,
        default=lambda self: self.env.user,
        help="Who follows the file with the provider.",
    )
    fee_type = fields.Selection(
        [("percentage", "Percentage of the amount recovered"), ("fixed", "Fixed")],
        default="percentage",
        tracking=True,
    )
    fee_value = fields.Float(
        string="Fee",
        tracking=True,
        help="The provider's fee, for the record: a percentage or a fixed amount.",
    )
    state = fields.Selection(
        STATES,
        required=True,
        default="draft",
        index=True,
        tracking=True,
        copy=False,
        readonly=True,
    )
    outcome = fields.Selection(
        OUTCOMES,
        tracking=True,
        copy=False,
        help="How it ended, as the provider reports it. A mediation returned or "
        "written off with no agreement opens the way to an agency or a lawyer.",
    )
    outcome_note = fields.Text(copy=False)
    amount = fields.Monetary(
        string="Amount Handed Over",
        readonly=True,
        copy=False,
        help="What the invoices still owed when the file was sent.",
    )
    amount_due = fields.Monetary(
        string="Still Owed",
        compute="_compute_amount_due",
        help="What the invoices still owe today.",
    )
    amount_recovered = fields.Monetary(
        readonly=True,
        copy=False,
        help="Payments matched with the invoices since the file was sent.",
    )
    amount_reported = fields.Monetary(
        readonly=True,
        copy=False,
        help="Payments the collector was asked to report to the provider.",
    )
    date_sent = fields.Date(readonly=True, copy=False)
    date_accepted = fields.Date(readonly=True, copy=False)
    date_closed = fields.Date(readonly=True, copy=False)
    override_reason = fields.Text(
        tracking=True,
        copy=False,
        help="Why this agency or legal hand-off goes ahead without a mediation "
        "that failed first (managers only).",
    )
    override_by_id = fields.Many2one(
        "res.users", string="Overridden By", readonly=True, copy=False
    )
    needs_override = fields.Boolean(compute="_compute_needs_override")
    stage_id = fields.Many2one(
        "debt.stage",
        string="Prepared At",
        readonly=True,
        ondelete="set null",
        help="The hand-off rung of the ladder that prepared it.",
    )
    previous_stages = fields.Json(
        readonly=True,
        copy=False,
        help="The rung each invoice had before it was handed over (move id -> "
        "stage id): where a return puts it back.",
    )
    previous_partner_stage_id = fields.Many2one(
        "debt.stage", readonly=True, copy=False, ondelete="set null"
    )
    dossier_attachment_id = fields.Many2one(
        "ir.attachment",
        string="Dossier Sent",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    contact_log_ids = fields.One2many(
        "debt.contact.log", "handoff_id", string="Log", readonly=True
    )

    _sql_constraints = [
        (
            "fee_positive",
            "CHECK(fee_value IS NULL OR fee_value >= 0)",
            "A hand-off's fee cannot be negative.",
        ),
    ]

    @api.depends("kind", "partner_id")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for handoff in self:
            handoff.display_name = self.env._(
                "%(kind)s: %(customer)s",
                kind=kinds.get(handoff.kind, ""),
                customer=handoff.partner_id.display_name or "",
            )

    @api.depends("move_ids", "company_id")
    def _compute_currency_id(self):
        for handoff in self:
            currencies = handoff.move_ids.currency_id
            handoff.currency_id = (
                currencies if len(currencies) == 1 else handoff.company_id.currency_id
            )

    @api.depends("kind")
    def _compute_provider_kind(self):
        for handoff in self:
            handoff.provider_kind = handoff_service.PROVIDER_OF_KIND.get(handoff.kind)

    @api.depends("move_ids.amount_residual", "currency_id")
    def _compute_amount_due(self):
        for handoff in self:
            handoff.amount_due = handoff._residual()

    @api.depends("kind", "partner_id", "state")
    def _compute_needs_override(self):
        for handoff in self:
            handoff.needs_override = handoff_service.needs_override(
                handoff.kind, handoff._past()
            )

    @api.constrains("provider_id", "kind")
    def _check_provider(self):
        for handoff in self:
            wanted = handoff_service.PROVIDER_OF_KIND[handoff.kind]
            provider = handoff.provider_id
            if provider and provider.debt_handoff_provider != wanted:
                kinds = dict(
                    provider._fields["debt_handoff_provider"]._description_selection(
                        self.env
                    )
                )
                raise ValidationError(
                    self.env._(
                        "%(provider)s is not marked as a %(kind)s: a hand-off for "
                        "%(handoff)s goes to a contact marked so in its "
                        "Collections tab.",
                        provider=provider.display_name,
                        kind=kinds[wanted],
                        handoff=handoff.display_name,
                    )
                )

    @api.constrains("partner_id", "move_ids", "state")
    def _check_moves(self):
        holding = ("draft", *handoff_service.OPEN_STATES)
        for handoff in self:
            wrong = handoff.move_ids.filtered(
                lambda m: m.move_type != "out_invoice" or m.state != "posted"
            )
            if wrong:
                raise ValidationError(
                    self.env._(
                        "A hand-off covers posted customer invoices only, not "
                        "%(invoices)s.",
                        invoices=self._invoice_names(wrong),
                    )
                )
            others = handoff.move_ids.commercial_partner_id - (
                handoff.partner_id.commercial_partner_id
            )
            if others:
                raise ValidationError(
                    self.env._(
                        "A hand-off covers invoices of its own customer only, not "
                        "of %(customers)s.",
                        customers=", ".join(others.mapped("display_name")),
                    )
                )
            if handoff.state not in holding:
                continue
            # sudo: another company's or collector's hand-off counts as well.
            twice = (
                self.sudo()
                .search(
                    [
                        ("id", "!=", handoff.id),
                        ("state", "in", holding),
                        ("move_ids", "in", handoff.move_ids.ids),
                    ]
                )
                .move_ids
                & handoff.move_ids.sudo()
            )
            if twice:
                raise ValidationError(
                    self.env._(
                        "Invoice %(invoices)s is already in another hand-off that "
                        "is not closed.",
                        invoices=self._invoice_names(twice),
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        handoffs = super().create(vals_list)
        handoffs._remember_stages()
        for handoff, vals in zip(handoffs, vals_list, strict=True):
            handoff._check_kind_rule(vals)
        return handoffs

    def write(self, vals):
        if not self._debt_is_owner():
            fixed = [f for f in FIXED_ONCE_SENT if f in vals]
            if fixed and any(h.state != "draft" for h in self):
                raise UserError(
                    self.env._(
                        "%(fields)s of a hand-off are what the provider was sent: "
                        "they cannot change once it is sent.",
                        fields=self._debt_field_labels(fixed),
                    )
                )
            closed = self.filtered(lambda h: h.state in handoff_service.CLOSED_STATES)
            if closed and {"outcome", "override_reason"} & set(vals):
                raise UserError(
                    self.env._(
                        "Hand-off %(handoffs)s is closed: its outcome is kept as it "
                        "was recorded.",
                        handoffs=", ".join(closed.mapped("display_name")),
                    )
                )
        result = super().write(vals)
        if "move_ids" in vals:
            self._remember_stages()
        if {"kind", "override_reason", "partner_id"} & set(vals):
            for handoff in self:
                handoff._check_kind_rule(vals)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        sent = self.filtered(lambda h: h.state != "draft")
        if sent:
            raise UserError(
                self.env._(
                    "Hand-off %(handoffs)s was sent to its provider: it is kept "
                    "in the customer's history. Return or write it off instead.",
                    handoffs=", ".join(sent.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------
    # Mediation first
    # ------------------------------------------------------------------

    def _past(self):
        """The customer's other hand-offs, as the rule needs them."""
        self.ensure_one()
        if not self.partner_id:
            return []
        # sudo: every hand-off of the customer in the company counts,
        # whoever follows it.
        others = (
            self.sudo()
            .search(
                [
                    ("partner_id", "=", self.partner_id.commercial_partner_id.id),
                    ("company_id", "=", self.company_id.id),
                    ("id", "!=", self._origin.id or 0),
                ]
            )
            .filtered(lambda h: h.id != self.id)
        )
        return [
            handoff_service.PastHandoff(h.kind, h.state, h.outcome or None)
            for h in others
        ]

    def _is_manager(self):
        return self.env.su or self.env.user.has_group(
            "debt_relations.group_debt_manager"
        )

    def _check_kind_rule(self, vals=None):
        """Mediation first: refuse an agency or legal hand-off without a
        failed mediation, unless a manager gives a reason; log the override.

        :param vals: the values being written (the rule is checked when the
            kind, the customer or the reason change, and before sending)
        """
        self.ensure_one()
        vals = vals or {}
        if (
            "override_reason" in vals
            and vals["override_reason"]
            and (not self._is_manager())
        ):
            raise UserError(
                self.env._(
                    "Only a collections manager can override the mediation-first "
                    "rule (hand-off %(handoff)s).",
                    handoff=self.display_name,
                )
            )
        refusal = handoff_service.kind_refusal(
            self.kind, self._past(), self._is_manager(), self.override_reason
        )
        if refusal == handoff_service.MEDIATION_FIRST and not self.override_by_id:
            raise UserError(
                self.env._(
                    "%(customer)s has had no mediation that ended without "
                    "agreement: hand the file to a mediator first. Only a "
                    "collections manager can send it to an agency or a lawyer "
                    "before, giving the reason.",
                    customer=self.partner_id.display_name,
                )
            )
        if refusal == handoff_service.REASON_REQUIRED:
            raise ValidationError(
                self.env._(
                    "Hand-off %(handoff)s skips mediation: say why in its "
                    "override reason.",
                    handoff=self.display_name,
                )
            )
        needed = handoff_service.needs_override(self.kind, self._past())
        if (
            needed
            and refusal is None
            and (not self.override_by_id or "override_reason" in vals or "kind" in vals)
        ):
            self._debt_as_owner().write({"override_by_id": self.env.user.id})
            self._log(
                self.env._(
                    "Mediation-first rule overridden by %(user)s: %(reason)s",
                    user=self.env.user.name,
                    reason=self.override_reason,
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _check_collector(self):
        if not (
            self.env.su or self.env.user.has_group("debt_relations.group_debt_user")
        ):
            raise UserError(
                self.env._("Only collectors can send, accept or close a hand-off.")
            )

    def _check_state(self, states, verb):
        wrong = self.filtered(lambda h: h.state not in states)
        if wrong:
            labels = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "Hand-off %(handoffs)s is %(state)s: it cannot be %(verb)s.",
                    handoffs=", ".join(wrong.mapped("display_name")),
                    state=labels.get(wrong[0].state, wrong[0].state),
                    verb=verb,
                )
            )

    def action_preview_dossier(self):
        """The dossier as the provider will receive it (HTML, in a new tab)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/report/html/debt_relations.report_debt_handoff_dossier/{self.id}",
            "target": "new",
        }

    def action_send(self):
        """Mail the provider the dossier (PDF attached) and mark it sent."""
        self._check_collector()
        self._check_state(("draft",), self.env._("sent"))
        today = fields.Date.context_today(self)
        for handoff in self:
            handoff._check_sendable()
            handoff._check_kind_rule()
            amount = handoff.currency_id.round(handoff._residual())
            # The dossier holds the state of the file as of the day it is sent.
            handoff._transition({"date_sent": today, "amount": amount})
            attachment = handoff._print_dossier()
            template = self.env.ref("debt_relations.mail_template_debt_handoff_dossier")
            handoff._transition(
                {"state": "sent", "dossier_attachment_id": attachment.id}
            )
            # To the provider, about the customer: not a contact with the
            # customer, it delays no reminder of its other invoices.
            logs = self.env["debt.sender"]._debt_send(
                [
                    Contact(
                        handoff.partner_id,
                        HANDOFF,
                        handoff,
                        template=template,
                        thread=handoff,
                        stage=handoff.stage_id,
                        moves=handoff.move_ids,
                        amount=amount,
                        currency=handoff.currency_id,
                        summary=self.env._(
                            "File handed over to %(provider)s (%(kind)s): %(amount)s",
                            provider=handoff.provider_id.display_name,
                            kind=handoff._kind_label(),
                            amount=handoff.currency_id.format(amount),
                        ),
                        recipients=handoff.provider_id,
                        attachments=attachment,
                        layout="debt_relations.mail_layout_debt_plain",
                        log={
                            "handoff_id": handoff.id,
                            "user_id": handoff._log_user().id,
                            "courtesy": True,
                        },
                    )
                ]
            )
            if not logs:
                raise UserError(
                    self.env._(
                        "%(provider)s has no valid email address: the dossier "
                        "cannot be sent.",
                        provider=handoff.provider_id.display_name,
                    )
                )
        return True

    def _check_sendable(self):
        self.ensure_one()
        if not self.provider_id:
            raise UserError(
                self.env._(
                    "Choose who hand-off %(handoff)s goes to before sending it.",
                    handoff=self.display_name,
                )
            )
        if not self.provider_id.email:
            raise UserError(
                self.env._(
                    "%(provider)s has no email address: the dossier cannot be sent.",
                    provider=self.provider_id.display_name,
                )
            )
        if not self.move_ids:
            raise UserError(
                self.env._(
                    "Hand-off %(handoff)s holds no invoice: add the invoices to "
                    "hand over.",
                    handoff=self.display_name,
                )
            )
        settled = self.move_ids.filtered(
            lambda m: m.payment_state not in ("not_paid", "partial")
        )
        if settled:
            raise UserError(
                self.env._(
                    "Invoice %(invoices)s has nothing left to collect: remove it "
                    "from the hand-off before sending.",
                    invoices=self._invoice_names(settled),
                )
            )

    def action_accept(self):
        """The provider took the file."""
        self._check_collector()
        self._check_state(("sent",), self.env._("accepted"))
        for handoff in self:
            handoff._transition(
                {"state": "accepted", "date_accepted": fields.Date.context_today(self)}
            )
            handoff._log(
                self.env._(
                    "%(provider)s accepted the file",
                    provider=handoff.provider_id.display_name,
                )
            )
        return True

    def action_return(self):
        """The provider gives the file back: its invoices return to the
        ladder at the rung they had before the hand-off."""
        self._check_collector()
        self._check_state(("draft", "sent", "accepted"), self.env._("returned"))
        for handoff in self:
            if handoff.state != "draft":
                handoff._check_outcome()
            handoff._transition(
                {"state": "returned", "date_closed": fields.Date.context_today(self)}
            )
            handoff._restore_stages()
            handoff._log(
                self.env._(
                    "File returned by %(provider)s: %(outcome)s",
                    provider=handoff.provider_id.display_name or "-",
                    outcome=handoff._outcome_label(),
                )
            )
        return True

    def action_write_off(self):
        """The debt is given up: its invoices are no longer reminded."""
        self._check_collector()
        self._check_state(("sent", "accepted"), self.env._("written off"))
        for handoff in self:
            handoff._check_outcome()
            handoff._transition(
                {
                    "state": "written_off",
                    "date_closed": fields.Date.context_today(self),
                }
            )
            still_open = handoff.move_ids.filtered(
                lambda m: m.payment_state in OPEN_PAYMENT_STATES
            )
            if still_open:
                # sudo: excluding them from reminders is the collections'
                # bookkeeping, not an accounting change.
                still_open.sudo().write(
                    {
                        "debt_excluded": True,
                        "debt_exclusion_reason": self.env._(
                            "Written off after %(handoff)s",
                            handoff=handoff.display_name,
                        ),
                    }
                )
            handoff._log(
                self.env._(
                    "Written off after %(kind)s: %(outcome)s",
                    kind=handoff._kind_label(),
                    outcome=handoff._outcome_label(),
                )
            )
        return True

    def _check_outcome(self):
        self.ensure_one()
        if not self.outcome:
            raise UserError(
                self.env._(
                    "Say how hand-off %(handoff)s ended (its outcome) before "
                    "closing it.",
                    handoff=self.display_name,
                )
            )

    def action_report_payment(self):
        """The composer, prepared with the mail reporting the payments
        received to the provider."""
        self.ensure_one()
        template = self.env.ref("debt_relations.mail_template_debt_handoff_payment")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Report a Payment"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "debt_relations.mail_layout_debt_plain",
            },
        }

    def action_log_contact(self):
        """Log the provider's answer with the contact wizard."""
        self.ensure_one()
        action = self.env["debt.contact.wizard"]._action_open(
            self.partner_id, self.move_ids
        )
        action["context"].update(
            {
                "default_handoff_id": self.id,
                "default_direction": "inbound",
                "default_channel": "email",
            }
        )
        return action

    @api.model
    def _action_new(self, partner, moves=None):
        """The form of a new hand-off of ``partner``: ``moves``, or else its
        overdue invoices in the current company not yet handed over."""
        if not moves:
            moves = self.env["account.move"].search(
                [
                    ("commercial_partner_id", "=", partner.id),
                    ("company_id", "=", self.env.company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", fields.Date.context_today(self)),
                ],
                order="invoice_date_due, id",
            )
        held = self.search(
            [
                ("state", "in", ("draft", *handoff_service.OPEN_STATES)),
                ("move_ids", "in", moves.ids),
            ]
        ).move_ids
        past = [
            handoff_service.PastHandoff(h.kind, h.state, h.outcome or None)
            for h in self.search(
                [
                    ("partner_id", "=", partner.id),
                    ("company_id", "=", self.env.company.id),
                ]
            )
        ]
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Hand Off"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_partner_id": partner.id,
                "default_move_ids": (moves - held).ids,
                "default_kind": handoff_service.first_kind(past),
            },
        }

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.move_ids.ids)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _kind_label(self):
        self.ensure_one()
        return dict(self._fields["kind"]._description_selection(self.env)).get(
            self.kind, ""
        )

    def _outcome_label(self):
        self.ensure_one()
        return dict(self._fields["outcome"]._description_selection(self.env)).get(
            self.outcome, "-"
        )

    def _residual(self):
        """What the invoices owe now, in the hand-off's currency."""
        self.ensure_one()
        moves = self.move_ids
        if self.currency_id == self.company_id.currency_id and (
            moves.currency_id != self.currency_id
        ):
            return sum(moves.mapped("amount_residual_signed"))
        return sum(moves.mapped("amount_residual"))

    def _log(self, summary, channel="note", direction="outbound"):
        """A state change or exchange with the provider, in the contact log
        and the chatter. Not a contact with the customer: it delays no
        reminder of the customer's other invoices."""
        self.ensure_one()
        log = self.env["debt.contact.log"].create(
            {
                "partner_id": self.partner_id.id,
                "move_ids": [fields.Command.set(self.move_ids.ids)],
                "date": fields.Date.context_today(self),
                "channel": channel,
                "direction": direction,
                "summary": summary,
                "stage_id": self.stage_id.id,
                "company_id": self.company_id.id,
                "user_id": self._log_user().id,
                "handoff_id": self.id,
                "courtesy": True,
            }
        )
        self.message_post(body=plaintext2html(summary))
        return log

    def _log_user(self):
        user = self.env.user
        if user._is_superuser() or not user._is_internal():
            return self.user_id or self.partner_id._debt_collector()
        return user

    def _remember_stages(self):
        """Keep the rung each newly added invoice had: a return puts it back."""
        for handoff in self:
            known = dict(handoff.previous_stages or {})
            added = [m for m in handoff.move_ids if str(m.id) not in known]
            values = {}
            if added:
                known.update({str(m.id): m.debt_stage_id.id or None for m in added})
                values["previous_stages"] = known
            partner = handoff.partner_id.with_company(handoff.company_id)
            if not handoff.previous_partner_stage_id and (
                partner.debt_stage_id and not partner.debt_stage_id.is_handoff
            ):
                values["previous_partner_stage_id"] = partner.debt_stage_id.id
            if values:
                handoff._debt_as_owner().write(values)

    def _restore_stages(self):
        """Put the invoices (and the customer) back on the rung they had."""
        self.ensure_one()
        Move = self.env["account.move"]
        by_stage = {}
        for key, stage_id in (self.previous_stages or {}).items():
            if int(key) in self.move_ids.ids:
                by_stage.setdefault(stage_id or False, []).append(int(key))
        for stage_id, move_ids in by_stage.items():
            Move._debt_write_tracking(move_ids, {"debt_stage_id": stage_id})
        partner = self.partner_id.with_company(self.company_id)
        if partner.debt_stage_id.is_handoff:
            # sudo: the customer's rung is the run's bookkeeping.
            partner.sudo().write(
                {"debt_stage_id": self.previous_partner_stage_id.id or False}
            )

    def _print_dossier(self):
        """The dossier as a PDF (HTML when wkhtmltopdf is missing), kept on
        the hand-off."""
        self.ensure_one()
        Report = self.env["ir.actions.report"].sudo()
        if Report.get_wkhtmltopdf_state() == "install":
            content, kind = Report._render_qweb_html(REPORT, self.ids)
        else:
            # A real PDF also under tests: the provider's copy is the file.
            content, kind = Report.with_context(
                force_report_rendering=True
            )._render_qweb_pdf(REPORT, res_ids=self.ids)
        is_pdf = kind == "pdf"
        name = self.env._(
            "Dossier %(customer)s %(date)s",
            customer=self.partner_id.display_name,
            date=fields.Date.to_string(
                self.date_sent or fields.Date.context_today(self)
            ),
        )
        # sudo: the dossier is the hand-off's document; collectors need not
        # manage attachments.
        return (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"{name}.pdf" if is_pdf else f"{name}.html",
                    "raw": content,
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "application/pdf" if is_pdf else "text/html",
                }
            )
        )

    @api.model
    def _prepare_from_actions(self, actions):
        """The run reached a hand-off rung: a draft hand-off per customer
        (the one waiting for review, reused, its invoices added), for the
        collector to review and send.

        :returns: the contact log values of the actions
        """
        logs = []
        for action in actions:
            partner = action.partner_id.commercial_partner_id
            draft = self.search(
                [
                    ("partner_id", "=", partner.id),
                    ("company_id", "=", action.company_id.id),
                    ("state", "=", "draft"),
                ],
                limit=1,
            )
            owner = self._debt_as_owner()
            if draft:
                new = action.move_ids - draft.move_ids
                if new:
                    draft.write({"move_ids": [fields.Command.link(m.id) for m in new]})
            else:
                draft = owner.create(
                    {
                        "partner_id": partner.id,
                        "company_id": action.company_id.id,
                        "move_ids": [fields.Command.set(action.move_ids.ids)],
                        "user_id": partner._debt_collector(
                            action.stage_id.policy_id
                        ).id,
                        "stage_id": action.stage_id.id,
                    }
                )
                draft._prefill()
            logs.append(
                action._log_vals(
                    "note",
                    self.env._(
                        "Hand-off prepared for review: %(handoff)s",
                        handoff=draft.display_name,
                    ),
                    handoff_id=draft.id,
                )
            )
        return logs

    def _prefill(self):
        """A new draft's kind (mediation, or an agency once a mediation
        failed) and its provider when only one is known."""
        self.ensure_one()
        kind = handoff_service.first_kind(self._past())
        values = {"kind": kind}
        providers = self.env["res.partner"].search(
            [
                ("debt_handoff_provider", "=", handoff_service.PROVIDER_OF_KIND[kind]),
                ("company_id", "in", (False, self.company_id.id)),
            ],
            limit=2,
        )
        if len(providers) == 1:
            values["provider_id"] = providers.id
        self.write(values)

    def _payments(self):
        """``(date, amount)`` of the payments matched with the invoices (not
        credit notes), in the hand-off's currency."""
        self.ensure_one()
        lines = self.move_ids.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        company_currency = self.currency_id == self.company_id.currency_id
        payments = []
        for partial in lines.matched_credit_ids:
            if partial.credit_move_id.move_id.move_type != "entry":
                continue  # a credit note reduces the debt, nobody paid it
            amount = (
                partial.amount if company_currency else partial.debit_amount_currency
            )
            payments.append((partial.max_date, amount))
        return payments

    def _check_payments(self):
        """Record what was paid since sending; ask the collector to report
        new payments to the provider; close the hand-off when nothing is
        left to pay. Idempotent: called on reconciliation and by the run."""
        for handoff in self.filtered(lambda h: h.state in handoff_service.OPEN_STATES):
            currency = handoff.currency_id
            recovered = currency.round(
                handoff_service.recovered(handoff._payments(), handoff.date_sent)
            )
            values = {}
            if currency.compare_amounts(recovered, handoff.amount_recovered):
                values["amount_recovered"] = recovered
            if currency.compare_amounts(recovered, handoff.amount_reported) > 0:
                values["amount_reported"] = recovered
                handoff._ask_to_report(recovered - handoff.amount_reported)
            if values:
                handoff._transition(values)
            residuals = [
                0.0
                if m.payment_state not in ("not_paid", "partial")
                else m.amount_residual
                for m in handoff.move_ids
            ]
            if handoff_service.is_settled(residuals, currency.rounding):
                handoff._settle_paid()

    def _ask_to_report(self, amount):
        """An activity for the collector: tell the provider of the payment
        (the activity's type offers the prepared mail)."""
        self.ensure_one()
        self.activity_schedule(
            "debt_relations.mail_activity_type_debt_handoff_payment",
            date_deadline=fields.Date.context_today(self),
            summary=self.env._(
                "Report a payment of %(amount)s to %(provider)s",
                amount=self.currency_id.format(amount),
                provider=self.provider_id.display_name,
            ),
            note=plaintext2html(
                self.env._(
                    "%(customer)s paid %(amount)s on the invoices handed over. "
                    "Tell %(provider)s with the prepared mail (Report a payment); "
                    "the payment is allocated to the invoices as usual.",
                    customer=self.partner_id.display_name,
                    amount=self.currency_id.format(amount),
                    provider=self.provider_id.display_name,
                )
            ),
            user_id=(self.user_id or self.partner_id._debt_collector()).id,
        )

    def _settle_paid(self):
        self.ensure_one()
        values = {"state": "settled", "date_closed": fields.Date.context_today(self)}
        self._transition(values)
        if not self.outcome:
            self._debt_as_owner().write({"outcome": "paid"})
        self._log(
            self.env._(
                "Everything handed over to %(provider)s is paid: the hand-off is "
                "settled.",
                provider=self.provider_id.display_name,
            )
        )

    @api.model
    def _settle(self, company, as_of):
        """The run's check of the open hand-offs (payments matched since)."""
        self.search(
            [
                ("company_id", "=", company.id),
                ("state", "in", handoff_service.OPEN_STATES),
            ]
        )._check_payments()

    @api.model
    def _hold_reasons(self, company, move_ids=None):
        # sudo: the facts of the run, the portal's statement and the forecast
        # hold these invoices whoever asks; they show no hand-off.
        return super(DebtHandoff, self.sudo())._hold_reasons(company, move_ids)

    @api.model
    def _on_reconciled(self, moves):
        """Payments were matched with ``moves``: the hand-offs holding them
        record it (as the company's bookkeeping, whoever registered them)."""
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
        if not invoices:
            return
        # sudo: the accountant registering a payment need not be a collector.
        self.sudo().search(
            [
                ("state", "in", handoff_service.OPEN_STATES),
                ("move_ids", "in", invoices.ids),
            ]
        )._check_payments()

    # ------------------------------------------------------------------
    # The collector's worklist
    # ------------------------------------------------------------------

    @api.model
    def _worklist_query(self, as_of):
        """The hand-offs that need their collector on ``as_of`` (a date, or an
        SQL expression of one), as SQL rows ``(partner_id, company_id,
        user_id)``: the reason ``handoff`` of the collector's worklist
        (``debt.worklist``).

        A draft to review and send; a hand-off sent the company's
        ``debt_handoff_answer_days`` ago or more without any answer logged from
        the provider; one accepted with nothing logged about it for the
        company's ``debt_handoff_quiet_days``; one with a payment still to
        report to its provider (an open activity).
        """
        self.flush_model()
        self.env["debt.contact.log"].flush_model(["handoff_id", "date", "direction"])
        self.env["mail.activity"].flush_model(["res_model", "res_id"])
        self.env["res.company"].flush_model(
            ["debt_handoff_answer_days", "debt_handoff_quiet_days"]
        )
        return SQL(
            """
            SELECT h.partner_id, h.company_id, h.user_id
              FROM debt_handoff h
              JOIN res_company c ON c.id = h.company_id
             WHERE h.state = 'draft'
                OR (h.state = 'sent'
                    AND h.date_sent <= %(today)s - c.debt_handoff_answer_days
                    AND NOT EXISTS (
                        SELECT 1 FROM debt_contact_log l
                         WHERE l.handoff_id = h.id AND l.direction = 'inbound'))
                OR (h.state = 'accepted'
                    AND COALESCE((SELECT MAX(l.date) FROM debt_contact_log l
                                   WHERE l.handoff_id = h.id),
                                 h.date_accepted)
                        <= %(today)s - c.debt_handoff_quiet_days)
                OR (h.state IN ('sent', 'accepted')
                    AND EXISTS (
                        SELECT 1 FROM mail_activity a
                         WHERE a.res_model = 'debt.handoff' AND a.res_id = h.id))
            """,
            today=as_of if isinstance(as_of, SQL) else SQL("%s::date", as_of),
        )

    # ------------------------------------------------------------------
    # The dossier
    # ------------------------------------------------------------------

    def _dossier_values(self):
        """What the dossier shows, read as the company's records (sudo: the
        provider's copy holds the whole file, whoever prints it)."""
        self.ensure_one()
        handoff = self.sudo()
        partner = handoff.partner_id
        company = handoff.company_id
        as_of = handoff.date_sent or fields.Date.context_today(self)
        domain = [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
        logs = self.env["debt.contact.log"].sudo().search(domain, order="date, id")
        plans = self.env["debt.payment.plan"].sudo().search(domain, order="id")
        promises = self.env["debt.promise"].sudo().search(domain, order="date, id")
        disputes = self.env["debt.dispute"].sudo().search(domain, order="date, id")
        others = self.sudo().search(domain + [("id", "!=", handoff.id)], order="id")
        statement = self._statement(partner, company, as_of)
        return {
            "handoff": handoff,
            "partner": partner,
            "company": company,
            "as_of": as_of,
            "billing": partner._debt_billing_contact(),
            "contacts": partner.child_ids.filtered("active"),
            "invoices": [
                {
                    "move": move,
                    "paid": move.amount_total - move.amount_residual,
                    "days_overdue": max(
                        (as_of - (move.invoice_date_due or as_of)).days, 0
                    ),
                }
                for move in handoff.move_ids.sorted(
                    lambda m: (m.invoice_date_due or as_of, m.id)
                )
            ],
            "logs": logs,
            "plans": plans,
            "promises": promises,
            "disputes": disputes,
            "other_handoffs": others,
            "statement": statement,
            "labels": {
                name: dict(
                    self.env[model]._fields[fname]._description_selection(self.env)
                )
                for name, model, fname in (
                    ("channel", "debt.contact.log", "channel"),
                    ("direction", "debt.contact.log", "direction"),
                    ("delivery", "debt.contact.log", "delivery_state"),
                    ("plan_state", "debt.payment.plan", "state"),
                    ("promise_state", "debt.promise", "state"),
                    ("dispute_state", "debt.dispute", "state"),
                    ("handoff_state", "debt.handoff", "state"),
                    ("kind", "debt.handoff", "kind"),
                    ("outcome", "debt.handoff", "outcome"),
                )
            },
        }

    @api.model
    def _statement(self, partner, company, as_of):
        """The customer's account on its receivable as of ``as_of``: every
        posted entry (invoices, credit notes, payments) with a running
        balance, in company currency."""
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", partner.id),
                    ("company_id", "=", company.id),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("date", "<=", as_of),
                ],
                order="date, id",
            )
        )
        rows, balance = [], 0.0
        for line in lines:
            balance += line.balance
            rows.append(
                {
                    "date": line.date,
                    "ref": line.move_id.name,
                    "label": line.move_id.ref or line.name or "",
                    "debit": line.debit,
                    "credit": line.credit,
                    "balance": balance,
                }
            )
        return {"rows": rows, "balance": balance, "currency": company.currency_id}
