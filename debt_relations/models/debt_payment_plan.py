import json

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, html2plaintext

from ..services import eligibility, schedule
from .debt_sender import COURTESY, NOTICE

PLAN_STATES = [
    ("draft", "Draft"),
    ("proposed", "Proposed"),
    ("active", "Active"),
    ("completed", "Completed"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]


COVERING_STATES = ("proposed", "active")
"""States of a plan that covers its invoices (drafts may be alternatives)."""

AGREED_FIELDS = ("partner_id", "move_ids", "date", "company_id")
"""What the customer agreed to: fixed once the plan leaves the draft."""

SETTLED_PAYMENT_STATES = ("paid", "in_payment", "reversed")


class DebtPaymentPlan(models.Model):
    """An agreed schedule for paying off open invoices of one customer.

    While the plan is active and on schedule the collection run does not chase
    its invoices. Payments are never typed in: what the customer paid on the
    invoices since the plan was made is allocated to the instalments.
    """

    _name = "debt.payment.plan"
    _description = "Payment Plan"
    _inherit = ["mail.thread", "mail.activity.mixin", "debt.agreement.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _debt_hold_reason = eligibility.PAYMENT_PLAN
    _debt_hold_states = ("active",)
    _debt_broken_date = "date_broken"
    _debt_owned_fields = (
        "state",
        "at_risk",
        "date_checked",
        "date_broken",
        "date_done",
        "activated_user_id",
    )

    name = fields.Char(
        required=True, readonly=True, copy=False, default=lambda self: self.env._("New")
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    move_ids = fields.Many2many(
        "account.move",
        "debt_payment_plan_move_rel",
        "plan_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), "
        "('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    date = fields.Date(
        string="Plan Date", required=True, default=fields.Date.context_today
    )
    amount_total = fields.Monetary(
        string="Total",
        compute="_compute_amount_total",
        store=True,
        precompute=True,
        help="What the invoices still owed when the plan was made.",
    )
    amount_paid = fields.Monetary(compute="_compute_amount_paid", store=True)
    amount_due = fields.Monetary(
        string="Left to Pay", compute="_compute_amount_paid", store=True
    )
    installment_ids = fields.One2many(
        "debt.payment.plan.installment", "plan_id", string="Instalments", copy=True
    )
    installment_count = fields.Integer(compute="_compute_installment_count")
    state = fields.Selection(
        PLAN_STATES,
        required=True,
        default="draft",
        index=True,
        tracking=True,
        copy=False,
    )
    at_risk = fields.Boolean(
        readonly=True,
        copy=False,
        tracking=True,
        help="An instalment is late: the plan breaks if the grace period passes.",
    )
    date_checked = fields.Date(
        string="Checked On",
        readonly=True,
        copy=False,
        help="As-of date of the last collection run that settled the plan.",
    )
    agreed_partner_id = fields.Many2one(
        "res.partner",
        string="Agreed By",
        copy=False,
        tracking=True,
        help="The customer's contact who agreed to the plan.",
    )
    date_agreed = fields.Date(string="Agreed On", copy=False, tracking=True)
    activated_user_id = fields.Many2one("res.users", readonly=True, copy=False)
    date_broken = fields.Date(readonly=True, copy=False)
    date_done = fields.Date(string="Completed On", readonly=True, copy=False)
    next_date_due = fields.Date(compute="_compute_next_date_due", store=True)
    # In the plan's mail and PDF: styles kept only as the chatter keeps them.
    terms = fields.Html(
        translate=True,
        sanitize_style=True,
        default=lambda self: self._debt_standard_terms(),
        help="Left as proposed, the standard terms are written to the customer "
        "in the customer's language; terms written for this plan are sent as "
        "written.",
    )
    note = fields.Text(string="Internal Note")

    @api.depends("move_ids")
    def _compute_currency_id(self):
        for plan in self:
            plan.currency_id = (
                plan.move_ids[:1].currency_id or plan.company_id.currency_id
            )

    @api.depends("move_ids")
    def _compute_amount_total(self):
        # Deliberately not depending on the residuals: the total is what was
        # owed when the plan was made; payments after it pay the instalments.
        for plan in self:
            plan.amount_total = sum(plan.move_ids.mapped("amount_residual"))

    @api.depends("amount_total", "move_ids.amount_residual")
    def _compute_amount_paid(self):
        for plan in self:
            residual = sum(plan.move_ids.mapped("amount_residual"))
            paid = max(plan.amount_total - residual, 0.0)
            plan.amount_paid = plan.currency_id.round(paid)
            plan.amount_due = plan.currency_id.round(plan.amount_total - paid)

    @api.depends("installment_ids")
    def _compute_installment_count(self):
        for plan in self:
            plan.installment_count = len(plan.installment_ids)

    @api.depends("installment_ids.date_due", "installment_ids.state")
    def _compute_next_date_due(self):
        for plan in self:
            unpaid = plan.installment_ids.filtered(lambda i: i.state != "paid")
            plan.next_date_due = min(unpaid.mapped("date_due"), default=False)

    @api.constrains("partner_id", "move_ids", "currency_id", "company_id", "state")
    def _check_moves(self):
        for plan in self:
            moves = plan.move_ids
            wrong_kind = moves.filtered(
                lambda m: m.move_type != "out_invoice" or m.state != "posted"
            )
            # A closed plan stays as it was (an invoice cancelled since does
            # not prevent cancelling the plan).
            if wrong_kind and plan.state in ("draft", *COVERING_STATES):
                raise ValidationError(
                    self.env._(
                        "A payment plan covers posted customer invoices only, "
                        "not %(invoices)s.",
                        invoices=self._invoice_names(wrong_kind),
                    )
                )
            partners = moves.commercial_partner_id
            if partners and partners != plan.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "A payment plan covers the invoices of one customer: "
                        "%(customers)s cannot share plan %(plan)s.",
                        customers=", ".join(partners.mapped("display_name")),
                        plan=plan.name,
                    )
                )
            if len(moves.currency_id) > 1 or (
                moves and moves.currency_id != plan.currency_id
            ):
                raise ValidationError(
                    self.env._(
                        "A payment plan is in one currency: its invoices are in "
                        "%(currencies)s.",
                        currencies=", ".join(
                            (moves.currency_id | plan.currency_id).mapped("name")
                        ),
                    )
                )
            if len(moves.company_id) > 1 or (
                moves and moves.company_id != plan.company_id
            ):
                raise ValidationError(
                    self.env._(
                        "A payment plan belongs to one company: its invoices "
                        "belong to %(companies)s.",
                        companies=", ".join(moves.company_id.mapped("name")),
                    )
                )
            if plan.state in COVERING_STATES:
                others = self.search(
                    [
                        ("id", "!=", plan.id),
                        ("state", "in", COVERING_STATES),
                        ("move_ids", "in", moves.ids),
                    ]
                )
                if others:
                    raise ValidationError(
                        self.env._(
                            "An invoice is in one payment plan at a time: "
                            "%(invoices)s already in %(plans)s.",
                            invoices=self._invoice_names(moves & others.move_ids),
                            plans=", ".join(others.mapped("name")),
                        )
                    )

    @api.constrains("state")
    def _check_covering_schedule(self):
        # Whoever makes a plan cover its invoices (the buttons, a data file),
        # its schedule adds up, in positive amounts, from the plan date on.
        for plan in self.filtered(lambda p: p.state in COVERING_STATES):
            plan._check_schedule()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("date"):
                # A plan recorded after the fact starts at its first instalment.
                dates = [
                    fields.Date.to_date(command[2]["date_due"])
                    for command in vals.get("installment_ids") or []
                    if command[0] == fields.Command.CREATE
                    and command[2].get("date_due")
                ]
                vals["date"] = min([fields.Date.context_today(self), *dates])
            if not vals.get("name") or vals["name"] == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code(
                    "debt.payment.plan"
                ) or self.env._("New")
        plans = super().create(vals_list)
        for plan in plans:
            plan._check_open_invoices()
        return plans

    def write(self, vals):
        if not self._debt_is_owner():
            agreed = [
                f
                for f in AGREED_FIELDS
                if f in vals
                and (
                    f == "move_ids"
                    or any(plan._debt_changes(f, vals[f]) for plan in self)
                )
            ]
            fixed = self.filtered(lambda p: p.state != "draft")
            if agreed and fixed:
                raise UserError(
                    self.env._(
                        "Payment plan %(plans)s is no longer a draft: %(fields)s "
                        "cannot change. Cancel it, or set it back to draft, first.",
                        plans=", ".join(fixed.mapped("name")),
                        fields=", ".join(
                            self._fields[f]._description_string(self.env)
                            for f in agreed
                        ),
                    )
                )
        result = super().write(vals)
        if "terms" in vals:
            self._debt_terms_as_written()
        return result

    def _check_schedule_editable(self):
        """Instalments are edited while the plan is a draft, not after."""
        if self._debt_is_owner():
            return
        fixed = self.filtered(lambda p: p.state != "draft")
        if fixed:
            raise UserError(
                self.env._(
                    "The instalments of payment plan %(plans)s (%(state)s) cannot "
                    "be added, changed or deleted: cancel the plan, or set it "
                    "back to draft, first.",
                    plans=", ".join(fixed.mapped("name")),
                    state=", ".join(
                        dict(self._fields["state"]._description_selection(self.env))[
                            state
                        ]
                        for state in set(fixed.mapped("state"))
                    ),
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        kept = self.filtered(lambda p: p.state not in ("draft", "cancelled"))
        if kept:
            raise UserError(
                self.env._(
                    "Only draft or cancelled payment plans can be deleted, not "
                    "%(plans)s: cancel it first, so its invoices return to the "
                    "reminders and the history says why.",
                    plans=", ".join(kept.mapped("name")),
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_propose(self):
        """Check the schedule, send the written agreement, log the contact."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(
                    self.env._(
                        "Only a draft plan can be proposed (%(plan)s).", plan=plan.name
                    )
                )
            plan._check_schedule()
            plan._check_not_late()
        self._transition({"state": "proposed"})
        template = self.env.ref("debt_relations.mail_template_debt_plan_proposal")
        for plan in self:
            # Sent at once; a proposal counts towards the contact limit.
            plan._debt_notify(
                template,
                self.env._("Payment plan %(plan)s proposed", plan=plan.name),
                confirmation=False,
            )
        return True

    def action_activate(self):
        """The customer agreed: the plan starts holding the chase."""
        return self._activate()

    def _activate(self, log=True):
        """Start the plans; ``log``: each writes its contact log entry (the
        portal writes one entry of its own for the customer's signature)."""
        for plan in self:
            if plan.state not in ("draft", "proposed"):
                raise UserError(
                    self.env._(
                        "Only a draft or proposed plan can be activated (%(plan)s).",
                        plan=plan.name,
                    )
                )
            plan._check_schedule()
            plan._check_not_late()
            plan._transition(
                {
                    "state": "active",
                    "agreed_partner_id": (
                        plan.agreed_partner_id
                        or plan.partner_id._debt_billing_contact()
                    ).id,
                    "date_agreed": plan.date_agreed or fields.Date.context_today(plan),
                    "activated_user_id": self.env.uid,
                }
            )
            if not log:
                continue
            plan._log_contact(
                self.env._(
                    "Payment plan %(plan)s agreed by %(contact)s",
                    plan=plan.name,
                    contact=plan.agreed_partner_id.display_name,
                ),
                channel="note",
                direction="inbound",
            )
        return True

    def action_cancel(self):
        closed = self.filtered(lambda p: p.state in ("completed", "broken"))
        if closed:
            raise UserError(
                self.env._(
                    "A completed or broken plan cannot be cancelled: %(plans)s.",
                    plans=", ".join(closed.mapped("name")),
                )
            )
        active = self.filtered(lambda p: p.state == "active")
        self._transition({"state": "cancelled", "at_risk": False})
        self.activity_unlink(["debt_relations.mail_activity_type_debt_plan_at_risk"])
        for plan in active:
            # Its invoices go back to the reminders: the history says why (a
            # note, not a contact: it does not delay the next reminder).
            plan._log_contact(
                self.env._(
                    "Payment plan %(plan)s cancelled: its invoices return to the "
                    "reminders",
                    plan=plan.name,
                ),
                channel="note",
                courtesy=True,
            )
        return True

    def action_draft(self):
        self.filtered(lambda p: p.state in ("proposed", "cancelled"))._transition(
            {"state": "draft"}
        )
        return True

    def action_print(self):
        return self.env.ref(
            "debt_relations.action_report_debt_payment_plan"
        ).report_action(self)

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _check_open_invoices(self):
        """Refuse a plan on invoices that have nothing left to pay."""
        self.ensure_one()
        if self.state not in ("draft", *COVERING_STATES):
            return
        settled = self.move_ids.filtered(
            lambda m: (
                m.payment_state in SETTLED_PAYMENT_STATES
                or m.currency_id.is_zero(m.amount_residual)
            )
        )
        if settled:
            raise ValidationError(
                self.env._(
                    "Invoice %(invoices)s has nothing left to pay: a payment "
                    "plan covers open invoices only.",
                    invoices=self._invoice_names(settled),
                )
            )

    def _check_not_late(self):
        """Refuse to agree on instalments that are already late (a plan
        recorded after the fact by a data file or script runs as superuser)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        late = self.installment_ids.filtered(
            lambda i: i.date_due < today and not i.currency_id.is_zero(i.amount_due)
        )
        if late and not self.env.su:
            raise ValidationError(
                self.env._(
                    "Plan %(plan)s has unpaid instalments due in the past "
                    "(%(dates)s): date them from today (%(today)s) on.",
                    plan=self.name,
                    dates=", ".join(
                        fields.Date.to_string(d)
                        for d in sorted(late.mapped("date_due"))
                    ),
                    today=fields.Date.to_string(today),
                )
            )

    def _check_schedule(self):
        """Refuse a schedule that does not add up, or is not positive."""
        self.ensure_one()
        self._check_open_invoices()
        rounding = self.currency_id.rounding
        lines = [(i.date_due, i.amount) for i in self.installment_ids]
        problems = schedule.check_schedule(
            self.amount_total, lines, self.date, rounding
        )
        messages = {
            schedule.EMPTY: self.env._(
                "Plan %(plan)s has no instalment.", plan=self.name
            ),
            schedule.NON_POSITIVE: self.env._(
                "Every instalment of plan %(plan)s must be a positive amount.",
                plan=self.name,
            ),
            schedule.BEFORE_PLAN_DATE: self.env._(
                "No instalment of plan %(plan)s can be due before the plan "
                "date (%(date)s).",
                plan=self.name,
                date=fields.Date.to_string(self.date),
            ),
            schedule.TOTAL_MISMATCH: self.env._(
                "The instalments of plan %(plan)s add up to %(sum)s, not to the "
                "plan total of %(total)s.",
                plan=self.name,
                sum=self.currency_id.format(sum(self.installment_ids.mapped("amount"))),
                total=self.currency_id.format(self.amount_total),
            ),
        }
        if problems:
            raise ValidationError("\n".join(messages[code] for code in problems))

    def _signature(self):
        """The customer's signature of the plan, as the portal recorded it
        (name typed, time, address), or an empty record."""
        self.ensure_one()
        # sudo: the agreement prints what the customer signed, for whoever
        # may print the plan.
        return (
            self.env["debt.portal.plan.request"]
            .sudo()
            .search(
                [("plan_id", "=", self.id), ("signed_name", "!=", False)],
                order="signed_on desc, id desc",
                limit=1,
            )
        )

    @api.model
    def _debt_standard_terms(self):
        """The standard terms of a plan, in the language of ``self.env``."""
        return self.env._(
            "<p>While the instalments are paid on time, we will not send any "
            "reminder about the invoices covered by this plan. If an instalment "
            "is missed, we will let you know; if it is still unpaid after the "
            "grace period, the plan ends and the remaining balance is due.</p>"
        )

    def _debt_standard_terms_words(self):
        """The words of the standard terms in each installed language."""
        return {
            tuple(
                html2plaintext(
                    self.with_context(lang=code)._debt_standard_terms()
                ).split()
            )
            for code in {"en_US", *dict(self.env["res.lang"].get_installed())}
        }

    def _debt_keeps_standard_terms(self):
        """Whether the plan's terms are the standard ones as proposed (in
        whatever language), not terms written for it."""
        self.ensure_one()
        words = tuple(
            html2plaintext(self.with_context(lang="en_US").terms or "").split()
        )
        return bool(words) and words in self._debt_standard_terms_words()

    def _debt_terms(self):
        """The plan's terms as the customer reads them (in the language of
        ``self.env``): the standard terms in that language while the plan
        keeps them, else the terms written for the plan."""
        self.ensure_one()
        if self._debt_keeps_standard_terms():
            return Markup(self._debt_standard_terms())
        return self.terms

    def _debt_fill_standard_terms(self):
        """Give the plans keeping the standard terms these terms in every
        installed language: the mails, which read the field in the
        customer's language, then write them in it."""
        plans = self.filtered(lambda plan: plan._debt_keeps_standard_terms())
        if not plans:
            return
        codes = {"en_US", *dict(self.env["res.lang"].get_installed())}
        plans.flush_recordset(["terms"])
        for plan in plans:
            english = plan.with_context(lang="en_US").terms
            translations = {
                code: plan.with_context(lang=code)._debt_standard_terms()
                for code in codes
                if code != "en_US"
            }
            # The proposed text stays the source (en_US), as Odoo keeps it.
            translations["en_US"] = english
            self.env.execute_query(
                SQL(
                    "UPDATE debt_payment_plan SET terms = %s::jsonb WHERE id = %s",
                    json.dumps(translations),
                    plan.id,
                )
            )
        plans.invalidate_recordset(["terms"])

    def _debt_terms_as_written(self):
        """Terms just written (in the writer's language) are the plan's own in
        every language: translations of the standard terms are dropped."""
        if not self:
            return
        lang = self.env.lang or "en_US"
        self.flush_recordset(["terms"])
        self.env.execute_query(
            SQL(
                "UPDATE debt_payment_plan "
                "SET terms = jsonb_build_object('en_US', terms->%s) "
                "WHERE id IN %s AND terms ? %s",
                lang,
                tuple(self.ids),
                lang,
            )
        )
        self.invalidate_recordset(["terms"])

    def _debt_notify(self, template, summary, **values):
        self._debt_fill_standard_terms()
        return super()._debt_notify(template, summary, **values)

    def _debt_notify_amount(self):
        return self.amount_total

    def _debt_next_installment(self):
        """The oldest instalment not fully paid (what the next reminder is about)."""
        self.ensure_one()
        return self.installment_ids._sorted_by_due().filtered(
            lambda i: i.state != "paid"
        )[:1]

    def _installment_facts(self):
        self.ensure_one()
        return [
            schedule.Installment(i.date_due, i.amount, i.amount_paid)
            for i in self.installment_ids
        ]

    @api.model
    def _settle(self, company, as_of):
        """Settle the company's active plans as of ``as_of`` (collection run).

        Instalments take their states; a fully paid plan is completed and the
        customer thanked; a late one is flagged at risk (a gentle note and an
        activity for the collector); past the grace period it is broken and its
        invoices go back to the ladder at the rung they had reached.
        """
        grace = company.debt_plan_grace_days
        days_before = company.debt_plan_reminder_days
        plans = self.search([("company_id", "=", company.id), ("state", "=", "active")])
        plans._transition({"date_checked": as_of})
        for plan in plans:
            rounding = plan.currency_id.rounding
            status = schedule.plan_status(
                plan._installment_facts(), as_of, grace, rounding
            )
            if status == schedule.COMPLETED:
                plan._mark_completed()
            elif status == schedule.BROKEN:
                plan._mark_broken(as_of)
            else:
                if status == schedule.AT_RISK and not plan.at_risk:
                    plan._flag_at_risk(as_of, grace)
                elif status == schedule.ON_SCHEDULE and plan.at_risk:
                    plan._transition({"at_risk": False})
                    plan.activity_unlink(
                        ["debt_relations.mail_activity_type_debt_plan_at_risk"]
                    )
                plan.installment_ids._send_reminders(as_of, days_before)

    def _mark_completed(self):
        self.ensure_one()
        self._transition(
            {
                "state": "completed",
                "at_risk": False,
                "date_done": self.date_checked or fields.Date.context_today(self),
            }
        )
        template = self.env.ref("debt_relations.mail_template_debt_plan_completed")
        self._debt_notify(
            template,
            self.env._("Payment plan %(plan)s completed: thanked", plan=self.name),
            kind=COURTESY,
            date=self.date_checked,
        )

    def _flag_at_risk(self, as_of, grace):
        self.ensure_one()
        self._transition({"at_risk": True})
        template = self.env.ref("debt_relations.mail_template_debt_plan_at_risk")
        self._debt_notify(
            template,
            self.env._("Payment plan %(plan)s: instalment missed", plan=self.name),
            kind=NOTICE,
            date=as_of,
            amount=self.amount_due,
        )
        self.activity_schedule(
            "debt_relations.mail_activity_type_debt_plan_at_risk",
            date_deadline=as_of,
            summary=self.env._("Plan at risk: %(plan)s", plan=self.name),
            note=self.env._(
                "An instalment is late. Without payment within %(days)s days of "
                "its due date the plan breaks.",
                days=grace,
            ),
            user_id=self.partner_id._debt_collector().id,
        )

    def _mark_broken(self, as_of):
        """The plan is broken: its invoices return to the ladder."""
        self.ensure_one()
        self._transition({"state": "broken", "at_risk": False, "date_broken": as_of})
        body = self.env._(
            "Payment plan %(plan)s is broken: an instalment is unpaid past the "
            "grace period. Its invoices return to the reminders at the rung they "
            "had reached.",
            plan=self.name,
        )
        self.message_post(body=body)
        # sudo: the run (a collections manager's "Run now" too) writes on the
        # customer's chatter on its behalf; collectors may not edit customers.
        self.partner_id.sudo().message_post(body=body)
        # In the contact history too; inbound: the customer's side of the
        # agreement, which must not delay the reminder that acknowledges it.
        self._log_contact(
            self.env._("Payment plan %(plan)s broken", plan=self.name),
            date=as_of,
            channel="note",
            direction="inbound",
        )
        self.activity_unlink(["debt_relations.mail_activity_type_debt_plan_at_risk"])
        self.env["res.partner"]._debt_credit_review(
            self.company_id,
            as_of,
            {
                self.partner_id.commercial_partner_id.id: self.env._(
                    "Payment plan %(plan)s broken.", plan=self.name
                )
            },
        )

    def _portal_send_agreement(self, note=None):
        """A plan agreed from the portal is confirmed with its written
        agreement (``note``: the collector's answer, its outcome)."""
        template = self.env.ref("debt_relations.mail_template_debt_portal_plan_signed")
        for plan in self:
            plan._debt_notify(
                template,
                self.env._(
                    "Payment plan %(plan)s confirmed in writing", plan=plan.name
                ),
                outcome=note or False,
            )
