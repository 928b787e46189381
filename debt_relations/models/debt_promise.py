from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..services import eligibility
from ..services import portal as portal_service
from .debt_sender import COURTESY


class DebtPromise(models.Model):
    """The customer promised to pay an amount by a date.

    Until the date (plus a grace period) its invoices are not chased. Paid in
    time: kept, and thanked; otherwise broken, and the next reminder says so
    politely instead of climbing the ladder.
    """

    _name = "debt.promise"
    _description = "Promise to Pay"
    _inherit = ["mail.thread", "mail.activity.mixin", "debt.agreement.mixin"]
    _order = "date_promised desc, id desc"
    _check_company_auto = True
    _rec_name = "partner_id"
    _debt_hold_reason = eligibility.PROMISED
    _debt_hold_states = ("open",)
    _debt_broken_date = "date_done"
    _debt_hold_field = "hold"
    _debt_owned_fields = ("state", "date_done", "residual_start", "hold")

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        domain="[('parent_id', '=', False)]",
    )
    move_ids = fields.Many2many(
        "account.move",
        "debt_promise_move_rel",
        "promise_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), "
        "('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", store=True, precompute=True
    )
    amount = fields.Monetary(
        compute="_compute_amount",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        tracking=True,
        help="By default what the invoices still owe.",
    )
    date = fields.Date(
        string="Promised On", required=True, default=fields.Date.context_today
    )
    date_promised = fields.Date(string="Pay By", required=True, tracking=True)
    state = fields.Selection(
        [("open", "Open"), ("kept", "Kept"), ("broken", "Broken")],
        required=True,
        default="open",
        index=True,
        tracking=True,
        copy=False,
    )
    residual_start = fields.Monetary(
        string="Owed When Promised",
        readonly=True,
        copy=False,
        help="What the invoices still owed when the promise was made.",
    )
    amount_paid = fields.Monetary(compute="_compute_amount_paid")
    date_done = fields.Date(string="Settled On", readonly=True, copy=False)
    hold = fields.Boolean(
        string="Holds the Reminders",
        default=True,
        readonly=True,
        copy=False,
        tracking=True,
        help="Off for a promise made from the portal soon after a broken one: "
        "the reminders go on until a collector holds them.",
    )
    contact_log_id = fields.Many2one(
        "debt.contact.log", string="Logged In", readonly=True, ondelete="set null"
    )

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "A promise is a positive amount."),
    ]

    @api.depends("move_ids")
    def _compute_currency_id(self):
        for promise in self:
            promise.currency_id = (
                promise.move_ids[:1].currency_id or promise.company_id.currency_id
            )

    @api.depends("move_ids")
    def _compute_amount(self):
        # A default, not a link: an amount already set stays as it was.
        for promise in self:
            if not promise.amount:
                promise.amount = sum(promise.move_ids.mapped("amount_residual"))

    @api.depends("residual_start", "move_ids.amount_residual")
    def _compute_amount_paid(self):
        for promise in self:
            residual = sum(promise.move_ids.mapped("amount_residual"))
            promise.amount_paid = max(promise.residual_start - residual, 0.0)

    @api.constrains("amount")
    def _check_amount(self):
        for promise in self:
            if promise.currency_id.compare_amounts(promise.amount, 0.0) <= 0:
                raise ValidationError(
                    self.env._(
                        "A promise to pay is a positive amount, not %(amount)s "
                        "(customer %(customer)s).",
                        amount=promise.currency_id.format(promise.amount),
                        customer=promise.partner_id.display_name,
                    )
                )

    @api.constrains("date", "date_promised")
    def _check_dates(self):
        today = fields.Date.context_today(self)
        for promise in self:
            if promise.date > today:
                raise ValidationError(
                    self.env._(
                        "A promise to pay is recorded when it is made, not ahead "
                        "(%(date)s is after today, %(today)s).",
                        date=fields.Date.to_string(promise.date),
                        today=fields.Date.to_string(today),
                    )
                )
            if promise.date_promised < promise.date:
                raise ValidationError(
                    self.env._(
                        "A promise to pay by %(pay_by)s cannot be due before the "
                        "day it is made (%(date)s).",
                        pay_by=fields.Date.to_string(promise.date_promised),
                        date=fields.Date.to_string(promise.date),
                    )
                )

    @api.constrains("partner_id", "move_ids")
    def _check_moves(self):
        for promise in self:
            wrong_kind = promise.move_ids.filtered(
                lambda m: m.move_type != "out_invoice" or m.state != "posted"
            )
            if wrong_kind and promise.state == "open":
                raise ValidationError(
                    self.env._(
                        "A promise to pay covers posted customer invoices only, "
                        "not %(invoices)s.",
                        invoices=self._invoice_names(wrong_kind),
                    )
                )
            others = promise.move_ids.commercial_partner_id - (
                promise.partner_id.commercial_partner_id
            )
            if others:
                raise ValidationError(
                    self.env._(
                        "A promise covers invoices of its own customer only, not "
                        "of %(customers)s.",
                        customers=", ".join(others.mapped("display_name")),
                    )
                )
            if len(promise.move_ids.currency_id) > 1:
                raise ValidationError(
                    self.env._("A promise covers invoices in one currency.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_promise_values(vals)
        promises = super().create(vals_list)
        promises._set_residual_start()
        return promises

    def write(self, vals):
        self._check_promise_values(vals)
        result = super().write(vals)
        if "move_ids" in vals:
            self._set_residual_start()
        return result

    def _check_promise_values(self, vals):
        """Refuse what the database or the run would choke on, clearly.

        The amount is checked before the database's own check turns it into
        a bare constraint violation. A new pay-by date is from today on: a
        promise due in the past would hold the invoices for nothing (data
        files recording past promises run as superuser).
        """
        if "move_ids" in vals:
            moves = self.new({"move_ids": vals["move_ids"]}).move_ids._origin
            settled = moves.filtered(
                lambda m: (
                    m.state == "posted" and m.currency_id.is_zero(m.amount_residual)
                )
            )
            if settled:
                raise ValidationError(
                    self.env._(
                        "Invoice %(invoices)s has nothing left to pay: a promise "
                        "to pay covers open invoices only.",
                        invoices=self._invoice_names(settled),
                    )
                )
        if "amount" in vals and (vals["amount"] or 0.0) <= 0.0:
            raise ValidationError(
                self.env._(
                    "A promise to pay is a positive amount, not %(amount)s.",
                    amount=vals["amount"] or 0.0,
                )
            )
        if vals.get("date_promised") and not self.env.su:
            pay_by = fields.Date.to_date(vals["date_promised"])
            today = fields.Date.context_today(self)
            if pay_by < today:
                raise ValidationError(
                    self.env._(
                        "A promise to pay cannot be due in the past (%(pay_by)s, "
                        "today is %(today)s).",
                        pay_by=fields.Date.to_string(pay_by),
                        today=fields.Date.to_string(today),
                    )
                )

    def _set_residual_start(self):
        """What the invoices owe when promised: payments after it count."""
        for promise in self:
            owed = sum(promise.move_ids.mapped("amount_residual"))
            if promise.currency_id.compare_amounts(promise.amount, owed) > 0:
                raise ValidationError(
                    self.env._(
                        "The promise of %(amount)s is more than the invoices still "
                        "owe (%(owed)s).",
                        amount=promise.currency_id.format(promise.amount),
                        owed=promise.currency_id.format(owed),
                    )
                )
            promise._transition({"residual_start": owed})

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    def _settle(self, company, as_of):
        """Kept when the promised amount was paid; broken once past the grace."""
        grace = company.debt_promise_grace_days
        promises = self.search(
            [("company_id", "=", company.id), ("state", "=", "open")]
        )
        for promise in promises:
            currency = promise.currency_id
            if currency.compare_amounts(promise.amount_paid, promise.amount) >= 0:
                promise._mark_kept(as_of)
            elif as_of > promise.date_promised + timedelta(days=grace):
                promise._mark_broken(as_of)

    def _debt_notify_amount(self):
        return self.amount

    def _mark_kept(self, as_of):
        self.ensure_one()
        self._transition({"state": "kept", "date_done": as_of})
        template = self.env.ref("debt_relations.mail_template_debt_promise_kept")
        self._debt_notify(
            template,
            self.env._("Promise to pay kept: thanked"),
            kind=COURTESY,
            date=as_of,
        )

    def _mark_broken(self, as_of):
        self.ensure_one()
        self._transition({"state": "broken", "date_done": as_of})
        body = self.env._(
            "Promise to pay %(amount)s by %(date)s was not kept. The next reminder "
            "acknowledges it rather than climbing the ladder.",
            amount=self.currency_id.format(self.amount),
            date=fields.Date.to_string(self.date_promised),
        )
        self.message_post(body=body)
        # sudo: the run (a collections manager's "Run now" too) writes on the
        # customer's chatter on its behalf; collectors may not edit customers.
        self.partner_id.sudo().message_post(body=body)
        # Inbound: the customer's side; it must not delay the reminder that
        # acknowledges the broken promise.
        self._log_contact(
            self.env._("Promise to pay broken"),
            date=as_of,
            channel="note",
            direction="inbound",
        )
        self.env["res.partner"]._debt_credit_review(
            self.company_id,
            as_of,
            {
                self.partner_id.commercial_partner_id.id: self.env._(
                    "Promise to pay %(amount)s by %(date)s broken.",
                    amount=self.currency_id.format(self.amount),
                    date=fields.Date.to_string(self.date_promised),
                )
            },
        )

    # ------------------------------------------------------------------
    # From the portal
    # ------------------------------------------------------------------

    @api.model
    def _portal_promise(self, statement, values):
        """The customer promises from its statement to pay by a date (within
        the company's longest delay) what it owes on the invoices chosen, or
        part of it.

        :param values: ``move_id`` (an id or ``"all"``), ``date_promised``,
            ``amount`` (``None``: all that is owed)
        """
        portal = self.env["debt.portal"]
        asked = statement["agree"] == portal_service.ASK
        if asked and not values.get("ask"):
            # Posted to be agreed online where only asking is offered.
            portal._refuse(portal_service.RESIGN_REFUSED, statement)
        moves, owed = portal._pick_moves(statement, values.get("move_id"))
        day = values.get("date_promised")
        portal._refuse(
            portal_service.check_promise_date(
                day, statement["today"], statement["limits"]
            ),
            statement,
        )
        amount = values.get("amount")
        if amount is None and not values.get("amount_given"):
            amount = owed
        portal._refuse(
            portal_service.check_amount(amount, owed, statement["currency"].rounding),
            statement,
            owed=owed,
        )
        # sudo: the customer's access was checked; the promise is recorded as
        # a collector records one.
        promise = portal._writer(self._name).create(
            {
                "partner_id": statement["partner"].id,
                "company_id": statement["company"].id,
                "move_ids": [fields.Command.set(moves.ids)],
                "amount": amount,
                "date_promised": day,
                # Soon after a broken agreement, a person decides whether it
                # holds the reminders.
                "hold": not asked and statement["holds"],
            }
        )
        summary = self.env._(
            "Promised from the portal to pay %(amount)s by %(date)s",
            amount=statement["currency"].format(amount),
            date=fields.Date.to_string(day),
        )
        activity = None
        if not promise.hold:
            activity = self.env._(
                "The customer promises a date soon after a broken agreement: "
                "the reminders go on unless you hold them (Hold the reminders "
                "on the promise)"
            )
        promise.contact_log_id = portal._inbound(
            statement, summary, moves, promise, activity=activity
        )
        return "promise" if promise.hold else "asked"
