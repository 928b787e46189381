from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

from ..models.debt_collection_facts import OPEN_PAYMENT_STATES
from ..models.debt_contact_log import CHANNELS


class DebtContactWizard(models.TransientModel):
    """Log a contact with a customer: a call made, an email received, a meeting."""

    _name = "debt.contact.wizard"
    _description = "Log a Collection Contact"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), "
        "('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    channel = fields.Selection(CHANNELS, required=True, default="call")
    direction = fields.Selection(
        [("outbound", "Outbound"), ("inbound", "Inbound")],
        required=True,
        default="outbound",
    )
    summary = fields.Char(required=True)
    outcome = fields.Text()
    is_promise = fields.Boolean(
        string="Outcome Is a Promise to Pay",
        help="The customer promised to pay: its invoices are not chased until "
        "the promised date (plus a grace period).",
    )
    promise_amount = fields.Monetary(
        string="Promised Amount",
        currency_field="promise_currency_id",
        compute="_compute_promise_amount",
        store=True,
        readonly=False,
        help="What the customer promises to pay: by default, what the chosen "
        "invoices still owe.",
    )
    promise_date = fields.Date(string="Promised By")
    promise_currency_id = fields.Many2one(
        "res.currency", compute="_compute_promise_currency_id"
    )
    log_id = fields.Many2one(
        "debt.contact.log", string="Logged Entry", readonly=True, copy=False
    )
    handoff_id = fields.Many2one(
        "debt.handoff",
        string="Hand-off",
        check_company=True,
        domain="[('partner_id', '=', partner_id)]",
        help="The hand-off the contact is about: an answer of its mediator, "
        "agency or lawyer.",
    )

    @api.depends("move_ids")
    def _compute_promise_amount(self):
        # What the chosen invoices still owe, as a promise starts; an amount
        # typed stays until the invoices change.
        for wizard in self:
            wizard.promise_amount = sum(wizard.move_ids.mapped("amount_residual"))

    @api.depends("move_ids", "company_id")
    def _compute_promise_currency_id(self):
        for wizard in self:
            wizard.promise_currency_id = (
                wizard.move_ids[:1].currency_id or wizard.company_id.currency_id
            )

    @api.model
    def _action_open(self, partner, moves=None):
        """The dialog about ``moves``, or else about the customer's overdue
        invoices in the current company (what a contact is usually about)."""
        if not moves:
            moves = self.env["account.move"].search(
                [
                    ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                    ("company_id", "=", self.env.company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", OPEN_PAYMENT_STATES),
                    ("invoice_date_due", "<", fields.Date.context_today(self)),
                ],
                order="invoice_date_due, id",
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a Contact"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_move_ids": (moves or self.env["account.move"]).ids,
            },
        }

    def action_log(self):
        self.ensure_one()
        if self.date > fields.Date.context_today(self):
            raise UserError(
                self.env._(
                    "A contact cannot be logged in the future (%(date)s).",
                    date=fields.Date.to_string(self.date),
                )
            )
        log = self.env["debt.contact.log"].create(
            {
                "partner_id": self.partner_id.id,
                "move_ids": [fields.Command.set(self.move_ids.ids)],
                "date": self.date,
                "channel": self.channel,
                "direction": self.direction,
                "summary": self.summary,
                "outcome": self.outcome,
                "stage_id": self.partner_id.with_company(
                    self.company_id
                ).debt_stage_id.id,
                "company_id": self.company_id.id,
                "handoff_id": self.handoff_id.id,
            }
        )
        self.log_id = log
        if self.handoff_id:
            self.handoff_id.message_post(
                body=plaintext2html(
                    self.summary + (f"\n{self.outcome}" if self.outcome else "")
                )
            )
        if self.is_promise:
            self._create_promise(log)
        if self.channel == "call":
            self._close_call_activity()
        return {"type": "ir.actions.act_window_close"}

    def _close_call_activity(self):
        """The call logged answers the customer's open collection calls: the
        one due nearest the day of the call (today's rather than an old one,
        the logging user's first) is marked done with the summary as its
        feedback; older ones are done too, answered by this call."""
        self.ensure_one()
        call_type = self.env.ref(
            "debt_relations.mail_activity_type_debt_call", raise_if_not_found=False
        )
        if not call_type:
            return
        # sudo: the call activity is on the customer, which a collector may
        # only read; marking it done is what logging the call means. The
        # feedback is still posted as the current user (sudo keeps the user).
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", self.partner_id.commercial_partner_id.id),
                    ("activity_type_id", "=", call_type.id),
                ],
                order="date_deadline, id",
            )
        )
        if not activities:
            return
        mine = activities.filtered(lambda a: a.user_id == self.env.user)
        candidates = mine or activities
        due = candidates.filtered(lambda a: a.date_deadline <= self.date)
        # The latest due by the call's day, else the next one to come.
        answered = due[-1:] or candidates[:1]
        older = activities.filtered(lambda a: a.date_deadline < answered.date_deadline)
        answered.action_feedback(
            feedback=self.summary + (f"\n{self.outcome}" if self.outcome else "")
        )
        if older:
            older._action_done(
                feedback=self.env._(
                    "Answered by the call logged on %(date)s: %(summary)s",
                    date=fields.Date.to_string(self.date),
                    summary=self.summary,
                )
            )

    def _create_promise(self, log):
        """The outcome is a promise to pay: record it on the logged invoices."""
        self.ensure_one()
        currency = self.promise_currency_id
        if (
            not self.promise_date
            or currency.compare_amounts(self.promise_amount, 0.0) <= 0
        ):
            raise UserError(
                self.env._("A promise to pay needs a positive amount and a date.")
            )
        if self.promise_date < self.date:
            raise UserError(
                self.env._(
                    "A promise to pay cannot be due before the contact (%(date)s).",
                    date=fields.Date.to_string(self.date),
                )
            )
        moves = self.move_ids or self.env["account.move"].search(
            [
                (
                    "commercial_partner_id",
                    "=",
                    self.partner_id.commercial_partner_id.id,
                ),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("company_id", "=", self.company_id.id),
            ]
        )
        if not moves:
            raise UserError(
                self.env._("A promise to pay covers at least one open invoice.")
            )
        return self.env["debt.promise"].create(
            {
                "partner_id": self.partner_id.id,
                "move_ids": [fields.Command.set(moves.ids)],
                "amount": self.promise_amount,
                "date": self.date,
                "date_promised": self.promise_date,
                "company_id": self.company_id.id,
                "contact_log_id": log.id,
            }
        )
