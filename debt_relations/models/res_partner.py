from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date, plaintext2html

from ..services import credit, eligibility, forecast
from ..services import portal as portal_service
from . import debt_owned_mixin as owned
from .debt_collection_facts import OPEN_PAYMENT_STATES
from .debt_partner_profile import RUN_FIELDS as PROFILE_RUN_FIELDS
from .debt_portal import key_hash

POLICY_SOURCES = [
    ("manual", "Set by hand"),
    ("tier", "From the relationship tier"),
    ("company", "Company default"),
]

PORTAL_CHANNELS = [
    ("email", "Email"),
    ("letter", "Letter"),
    ("phone", "Phone"),
]
"""How a customer may ask to be reached, from the portal."""


class ResPartner(models.Model):
    _inherit = "res.partner"
    _debt_owned_fields = (
        "debt_stage_id",
        "debt_email_failing",
        "debt_email_failure",
        "debt_portal_token",
        "debt_portal_link_date",
    )
    """The run's bookkeeping on a customer, and its statement link's key,
    protected as in ``debt.owned.mixin``."""

    debt_policy_id = fields.Many2one(
        "debt.policy",
        string="Collection Policy",
        company_dependent=True,
        check_company=True,
        help="Escalation ladder for this customer; empty: the company's default.",
    )
    debt_stage_id = fields.Many2one(
        "debt.stage",
        string="Collection Stage",
        company_dependent=True,
        readonly=True,
        help="The rung of the escalation ladder this customer has reached.",
    )
    debt_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        check_company=True,
        help="Who calls this customer; empty: its salesperson.",
    )
    debt_paused_until = fields.Date(
        string="Reminders Paused Until",
        help="No reminder is sent to this customer until this date has passed.",
    )
    debt_pause_reason = fields.Char(string="Pause Reason")
    debt_do_not_contact = fields.Boolean(
        string="Do Not Contact",
        help="Never send collection reminders to this customer.",
    )
    debt_contact_log_ids = fields.One2many(
        "debt.contact.log", "partner_id", string="Contact History"
    )
    debt_contact_log_count = fields.Integer(compute="_compute_debt_contact_log_count")
    debt_payment_plan_count = fields.Integer(compute="_compute_debt_agreement_counts")
    debt_promise_kept_count = fields.Integer(
        string="Promises Kept", compute="_compute_debt_agreement_counts"
    )
    debt_promise_broken_count = fields.Integer(
        string="Promises Broken", compute="_compute_debt_agreement_counts"
    )
    debt_promise_count = fields.Integer(compute="_compute_debt_agreement_counts")
    debt_dispute_count = fields.Integer(compute="_compute_debt_agreement_counts")
    # Late-payment charges (debt.charge)
    debt_charge_exempt = fields.Boolean(
        string="Exempt from Late-Payment Charges",
        help="Nothing accrues on this customer's invoices, whatever the "
        "company's rule: reminders state no charges.",
    )
    debt_charge_contract_rate = fields.Float(
        string="Contract Late-Payment Rate (% a year)",
        digits=(6, 2),
        help="A rate agreed in the customer's contract: it replaces the "
        "company's rule (as a custom rate). 0: the company's rule.",
    )
    debt_charges_stated = fields.Monetary(
        string="Charges Stated",
        currency_field="debt_currency_id",
        compute="_compute_debt_charges",
        help="Late-payment charges accrued today on the invoices the reminders "
        "listed, in the company's currency.",
    )
    debt_charges_applied = fields.Monetary(
        string="Charges Applied",
        currency_field="debt_currency_id",
        compute="_compute_debt_charges",
    )
    debt_charges_waived = fields.Monetary(
        string="Charges Waived (goodwill)",
        currency_field="debt_currency_id",
        compute="_compute_debt_charges",
    )
    # Relationship profile: the commercial partner's debt.partner.profile in
    # the current company (a partner shared by companies has a history, and a
    # tier, in each of them), kept by the collection run.
    debt_profile_ids = fields.One2many(
        "debt.partner.profile", "partner_id", string="Relationship Profiles"
    )
    debt_tier_id = fields.Many2one(
        "debt.relationship.tier",
        string="Relationship Tier",
        compute="_compute_debt_profile",
        inverse="_inverse_debt_profile",
        search="_search_debt_tier_id",
        readonly=True,
        help="Earned from the payment history; its policy chases the customer "
        "unless a collection policy is set by hand.",
    )
    debt_tier_reason = fields.Char(
        string="Why This Tier", compute="_compute_debt_profile"
    )
    debt_on_time_ratio = fields.Float(
        string="Paid on Time", compute="_compute_debt_profile", digits=(3, 2)
    )
    debt_avg_days_late = fields.Float(
        string="Average Days Late", compute="_compute_debt_profile", digits=(16, 1)
    )
    debt_customer_since = fields.Date(
        string="Customer Since", compute="_compute_debt_profile"
    )
    debt_paid_count = fields.Integer(
        string="Invoices Paid", compute="_compute_debt_profile"
    )
    debt_on_time_count = fields.Integer(
        string="Invoices Paid on Time", compute="_compute_debt_profile"
    )
    # In the current company's currency, as that company's profile keeps them.
    debt_currency_id = fields.Many2one(
        "res.currency", string="Profile Currency", compute="_compute_debt_currency_id"
    )
    debt_revenue_12m = fields.Monetary(
        string="Revenue (12 months)",
        compute="_compute_debt_profile",
        currency_field="debt_currency_id",
    )
    debt_overdue_amount = fields.Monetary(
        string="Overdue",
        compute="_compute_debt_profile",
        currency_field="debt_currency_id",
    )
    debt_profile_date = fields.Date(
        string="Profile As Of",
        compute="_compute_debt_profile_date",
        help="As-of date of the collection run that last refreshed the profiles.",
    )
    debt_thanked_on = fields.Date(
        string="Last Thanked",
        compute="_compute_debt_profile",
        inverse="_inverse_debt_profile",
        readonly=True,
    )
    debt_replied_until = fields.Date(
        string="Replied: Reminders Paused Until",
        compute="_compute_debt_profile",
        readonly=True,
        help="The customer answered a collection message by email: no "
        "reminder until this day has passed (set by the mail gateway).",
    )
    debt_reward_ids = fields.One2many("debt.reward", "partner_id", string="Rewards")
    debt_reward_count = fields.Integer(compute="_compute_debt_reward_count")
    debt_handoff_provider = fields.Selection(
        [
            ("mediator", "Mediator"),
            ("agency", "Collection agency"),
            ("law_firm", "Law firm"),
        ],
        string="Hand-off Provider",
        help="Files of overdue customers can be handed over to this contact: "
        "mediators first, then collection agencies or law firms.",
    )
    debt_handoff_count = fields.Integer(compute="_compute_debt_handoff_count")
    debt_email_failing = fields.Boolean(
        string="Email Failing",
        readonly=True,
        copy=False,
        help="A reminder to this customer could not be delivered for good.",
    )
    debt_email_failure = fields.Char(
        string="Email Failure",
        readonly=True,
        copy=False,
        help="The last permanent delivery error, in plain words.",
    )
    # "Why, and what next": not stored, computed as of today from the facts
    # the collection run reads, by the run's own ladder (services.forecast).
    debt_policy_in_force_id = fields.Many2one(
        "debt.policy",
        string="Policy in Force",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
    )
    debt_policy_source = fields.Selection(
        POLICY_SOURCES,
        string="Policy From",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
    )
    debt_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
        help="Days past the oldest unpaid due date of the open invoices.",
    )
    debt_next_step = fields.Char(
        string="Next Step",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
        help="What the collection run does next, and when, unless paid.",
    )
    debt_next_step_date = fields.Date(
        string="Next Step On",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
    )
    debt_not_chased = fields.Text(
        string="Not Chased",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
        help="Each open invoice not reminded today, and why.",
    )
    # Credit assessment: Odoo's credit limit in force beside the one the
    # customer's tier suggests (services.credit), in the current company.
    debt_credit_limit = fields.Monetary(
        string="Credit Limit in Force",
        compute="_compute_debt_credit",
        currency_field="debt_currency_id",
        groups="account.group_account_invoice",
        help="Odoo's credit limit of the customer (its own, else the company's "
        "default); 0: no limit.",
    )
    debt_credit_suggested = fields.Monetary(
        string="Suggested Credit Limit",
        compute="_compute_debt_credit",
        currency_field="debt_currency_id",
        groups="account.group_account_invoice",
        help="The limit the customer's relationship tier suggests; 0: none "
        "suggested. A collector applies it, nothing changes by itself.",
    )
    debt_credit_basis = fields.Char(
        string="Suggested By",
        compute="_compute_debt_credit",
        groups="account.group_account_invoice",
    )
    debt_credit_average = fields.Monetary(
        string="Average Monthly Invoicing",
        compute="_compute_debt_credit",
        currency_field="debt_currency_id",
        groups="account.group_account_invoice",
        help="Invoiced over the last 12 months (taxed, credit notes deducted), "
        "per month the customer was invoiced in them.",
    )
    debt_credit_exposure = fields.Monetary(
        string="Credit Exposure",
        compute="_compute_debt_credit",
        currency_field="debt_currency_id",
        groups="account.group_account_invoice",
        help="What the customer owes (open receivables) plus its confirmed "
        "sales orders not invoiced yet, as Odoo's credit limit warning counts "
        "them (the orders with the Sales app, when credit limits are on).",
    )

    debt_cashin_ids = fields.One2many(
        "debt.cashin.forecast",
        string="Expected Receipts",
        compute="_compute_debt_cashin_ids",
        groups="debt_relations.group_debt_user",
        help="The customer's open invoices in this company by the week their "
        "payment is expected in, and the part at risk.",
    )

    @api.constrains("debt_policy_id", "debt_collector_id")
    def _check_debt_company(self):
        # Both are set per company: a policy or collector of another company
        # would chase the customer by rules that company's run never reads.
        self._check_company(["debt_policy_id", "debt_collector_id"])

    @api.depends_context("company")
    def _compute_debt_cashin_ids(self):
        Forecast = self.env["debt.cashin.forecast"]
        self.debt_cashin_ids = Forecast
        partners = self.filtered(lambda p: p._origin.id)
        if not partners:
            return
        # One search for all the customers shown, with the fields the tab
        # reads.
        rows = Forecast.search_fetch(
            [
                ("partner_id", "in", partners._origin.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ],
            [
                "week_start",
                "company_id",
                "partner_id",
                "user_id",
                "tier_id",
                "currency_id",
                "amount_expected",
                "amount_at_risk",
            ],
        )
        for partner in partners:
            partner.debt_cashin_ids = rows.filtered(
                lambda r, p=partner: r.partner_id == p._origin.commercial_partner_id
            )

    @api.depends_context("company")
    def _compute_debt_currency_id(self):
        self.debt_currency_id = self.env.company.currency_id

    @api.model
    def _debt_profile_fields(self):
        """Partner field -> the profile field it shows."""
        return {f"debt_{name}": name for name in PROFILE_RUN_FIELDS}

    def _debt_profiles(self):
        """Commercial partner id -> its profile in the current company."""
        # sudo: the profile is shown wherever the partner is (the figures are
        # the partner's own payment history); reading it is not editing it.
        profiles = (
            self.env["debt.partner.profile"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                ]
            )
        )
        return {profile.partner_id.id: profile for profile in profiles}

    @api.depends(
        "commercial_partner_id",
        *(f"debt_profile_ids.{name}" for name in PROFILE_RUN_FIELDS),
    )
    @api.depends_context("company")
    def _compute_debt_profile(self):
        profiles = self._debt_profiles()
        empty = self.env["debt.partner.profile"]
        names = self._debt_profile_fields()
        for partner in self:
            profile = profiles.get(partner.commercial_partner_id.id, empty)
            for partner_field, profile_field in names.items():
                partner[partner_field] = profile[profile_field]

    def _inverse_debt_profile(self):
        # The run's bookkeeping (tests and data set it as the superuser).
        Profile = self.env["debt.partner.profile"]
        if not Profile._debt_is_owner():
            Profile._debt_refuse_owned(["tier_id"])
        Profile._upsert(
            self.env.company,
            {
                partner.commercial_partner_id.id: {
                    "tier_id": partner.debt_tier_id.id,
                    "thanked_on": partner.debt_thanked_on,
                }
                for partner in self
            },
        )

    @api.model
    def _search_debt_tier_id(self, operator, value):
        return [
            (
                "debt_profile_ids",
                "any",
                [
                    ("company_id", "=", self.env.company.id),
                    ("tier_id", operator, value),
                ],
            )
        ]

    @api.depends("debt_tier_reason")
    @api.depends_context("company")
    def _compute_debt_profile_date(self):
        for partner in self:
            partner.debt_profile_date = (
                partner.debt_tier_reason and self.env.company.debt_profile_date
            )

    def _compute_debt_contact_log_count(self):
        counts = dict(
            self.env["debt.contact.log"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.debt_contact_log_count = counts.get(
                partner.commercial_partner_id, 0
            )

    def _compute_debt_agreement_counts(self):
        commercial_ids = self.commercial_partner_id.ids
        plans = dict(
            self.env["debt.payment.plan"]._read_group(
                [("partner_id", "in", commercial_ids)], ["partner_id"], ["__count"]
            )
        )
        promises = {
            (partner, state): count
            for partner, state, count in self.env["debt.promise"]._read_group(
                [("partner_id", "in", commercial_ids)],
                ["partner_id", "state"],
                ["__count"],
            )
        }
        disputes = dict(
            self.env["debt.dispute"]._read_group(
                [("partner_id", "in", commercial_ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            commercial = partner.commercial_partner_id
            partner.debt_payment_plan_count = plans.get(commercial, 0)
            partner.debt_promise_kept_count = promises.get((commercial, "kept"), 0)
            partner.debt_promise_broken_count = promises.get((commercial, "broken"), 0)
            partner.debt_promise_count = sum(
                promises.get((commercial, state), 0)
                for state in ("open", "kept", "broken")
            )
            partner.debt_dispute_count = disputes.get(commercial, 0)

    def _compute_debt_reward_count(self):
        counts = dict(
            self.env["debt.reward"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.debt_reward_count = counts.get(partner.commercial_partner_id, 0)

    def _compute_debt_handoff_count(self):
        counts = dict(
            self.env["debt.handoff"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.debt_handoff_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("company")
    def _compute_debt_forecast(self):
        today = fields.Date.context_today(self)
        for partner in self:
            facts = partner.commercial_partner_id._debt_forecast(today)
            partner.debt_policy_in_force_id = facts["policy"]
            partner.debt_policy_source = facts["source"]
            result = facts["forecast"]
            ages = [age for age in result.days_overdue.values() if age > 0]
            partner.debt_days_overdue = max(ages, default=0)
            partner.debt_next_step = facts["next_step"]
            partner.debt_next_step_date = (
                result.next_step.date if result.next_step else False
            )
            moves = facts["moves"]
            partner.debt_not_chased = "\n".join(
                self.env._(
                    "%(invoice)s: %(reason)s",
                    invoice=move.name,
                    reason=partner._debt_reason_text(result, move.id),
                )
                for move in moves.sorted(lambda m: (m.invoice_date_due, m.id))
                if move.id in result.reasons
            )

    @api.depends_context("company")
    def _compute_debt_credit(self):
        company = self.env.company
        facts = self._debt_credit_facts(company, fields.Date.context_today(self))
        for partner in self:
            # sudo: Odoo's receivable and credit limit, read for the figures
            # beside the suggestion (the fields are the billing group's).
            commercial = partner.commercial_partner_id._origin.sudo()
            found = facts.get(commercial.id) or {}
            partner.debt_credit_limit = commercial.credit_limit
            partner.debt_credit_exposure = (
                commercial.credit + commercial.credit_to_invoice if commercial else 0.0
            )
            partner.debt_credit_suggested = found.get("suggested") or 0.0
            partner.debt_credit_basis = found.get("basis") or False
            partner.debt_credit_average = found.get("average") or 0.0

    @api.model_create_multi
    def create(self, vals_list):
        owned.refuse(
            self, owned.refused_on_create(self, vals_list, self._debt_owned_fields)
        )
        return super().create(vals_list)

    def write(self, vals):
        owned.refuse(self, owned.refused_on_write(self, vals, self._debt_owned_fields))
        result = super().write(vals)
        if {"user_id", "debt_collector_id"} & set(vals):
            # The cash-in forecast groups customers by collector: at once.
            self.env["debt.cashin.forecast"]._refresh_collectors(
                self.commercial_partner_id.ids
            )
        return result

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "debt_paused_until",
            "debt_pause_reason",
            "debt_do_not_contact",
            "debt_charge_exempt",
            "debt_charge_contract_rate",
        ]

    def _debt_next_allowed_moment(self, company=None, now=None):
        """The first moment (naive UTC, at or after ``now``) the company's
        contact calendar allows reaching this customer, in its time zone, on
        the first day the contact cap has room: when any channel (mail,
        SMS) may send it a collection message."""
        self.ensure_one()
        company = company or self.env.company
        return self.env["debt.contact.governor"]._postponed_moment(
            company, self.commercial_partner_id, now=now
        )

    def _debt_billing_contact(self):
        """The contact reminders go to: the invoice address with an email, if any."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        billing = commercial.child_ids.filtered(
            lambda c: c.type == "invoice" and c.email
        )[:1]
        return billing or commercial

    def _debt_lang(self, company=None):
        """The language of what this customer reads (mails, letters, PDFs):
        the contact's own, else its company's, else the sending company's,
        whoever prints or sends (an installed language only)."""
        self.ensure_one()
        installed = dict(self.env["res.lang"].get_installed())
        company = company or self.env.company
        for lang in (
            self.lang,
            self.commercial_partner_id.lang,
            company.partner_id.lang,
        ):
            if lang in installed:
                return lang
        return self.env.lang or "en_US"

    def _debt_greeting_name(self):
        """Whom a letter or a mail greets: this contact by its name, else its
        company."""
        self.ensure_one()
        return self.name or self.commercial_partner_id.name or ""

    @api.model
    def _debt_collector_sql(self, partner, company):
        """SQL: the collector of the customer ``partner`` (an SQL alias of a
        ``res_partner`` row) in ``company`` (an SQL expression of a company
        id): its collector in that company, else its salesperson, as the
        worklist, the forecast and the figures group customers."""
        key = SQL("(%s)::text", company)
        return SQL(
            """COALESCE(
                   CASE WHEN jsonb_typeof(%(p)s.debt_collector_id -> %(key)s)
                             = 'number'
                        THEN (%(p)s.debt_collector_id ->> %(key)s)::int
                   END,
                   %(p)s.user_id)""",
            p=SQL.identifier(partner),
            key=key,
        )

    def _debt_collector(self, policy=None):
        """The user who calls this customer."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        # The scheduled run acts as the superuser (OdooBot): a call assigned
        # to it would be seen by nobody; the administrator gets it instead.
        fallback = self.env.user
        if fallback._is_superuser() or not fallback._is_internal():
            # The cached xmlid lookup, not env.ref: no query per customer when
            # a batch of reminders is logged.
            fallback = self.env["res.users"].browse(
                self.env["ir.model.data"]._xmlid_to_res_id(
                    "base.user_admin", raise_if_not_found=False
                )
            )
        return (
            commercial.debt_collector_id
            or commercial.user_id
            or (policy and policy.collector_id)
            or fallback
            or self.env.user
        )

    def _debt_forecast(self, as_of):
        """What happens next to this commercial partner in the current company.

        :returns: dict with ``policy`` (in force), ``source`` (see
            :data:`POLICY_SOURCES`), ``moves`` (its open invoices),
            ``forecast`` (:class:`~..services.forecast.Forecast`) and
            ``next_step`` (the next step in plain words, or False)
        """
        self.ensure_one()
        company = self.env.company
        # sudo: the forecast reads what the run reads (actions, contact log,
        # agreements) to explain a decision; it shows none of them.
        Facts = self.env["debt.collection.facts"].sudo().with_company(company)
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "=", self.id),
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", OPEN_PAYMENT_STATES),
                ]
            )
        )
        result = {
            "policy": self.env["debt.policy"],
            "source": False,
            "moves": moves,
            "forecast": forecast.Forecast(),
            "next_step": False,
        }
        if not self.id:
            return result
        partners, policies, offsets = Facts._gather_partner_facts(
            company, as_of, [self.id]
        )
        policy = next(
            (policy for policy, ids in policies.items() if self.id in ids),
            company.debt_policy_id,
        )
        partner = self.with_company(company)
        result["policy"] = policy
        if policy and policy == partner.debt_policy_id:
            result["source"] = "manual"
        elif policy and policy == partner.debt_tier_id.policy_id:
            result["source"] = "tier"
        elif policy:
            result["source"] = "company"
        if not moves:
            return result
        invoices = Facts._gather_invoice_facts(company, moves.ids)
        ladder = Facts._policy_ladder(policy) if policy else []
        found = forecast.forecast_partner(
            ladder,
            partners.get(self.id) or eligibility.PartnerFacts(self.id),
            invoices,
            as_of,
            policy.tolerance_amount if policy else 0.0,
            company.currency_id.rounding,
            offsets,
        )
        result["forecast"] = found
        result["next_step"] = self._debt_step_text(found)
        return result

    def _debt_step_text(self, found, step=None):
        """A step in plain words: "Firm reminder and call on 03/23/2026 unless
        paid"; False when nothing is due."""
        step = step or found.next_step
        if not step:
            if found.stopped_by == eligibility.PENDING_ACTION:
                return self.env._("A reminder is waiting for review or sending")
            if found.stopped_by:
                return self.env._(
                    "None: %(reason)s", reason=self._debt_reason_label(found.stopped_by)
                )
            return False
        stage = self.env["debt.stage"].sudo().browse(step.stage_id)
        day = format_date(self.env, step.date)
        if stage.is_handoff:
            what = stage.name
        else:
            channels = []
            if stage.send_email:
                channels.append(self.env._("reminder"))
            if stage.send_letter:
                channels.append(self.env._("letter"))
            if stage.schedule_call:
                channels.append(self.env._("call"))
            tone = dict(stage._fields["tone"]._description_selection(self.env))
            what = self.env._(
                "%(tone)s %(channels)s",
                tone=tone.get(stage.tone, ""),
                channels=self.env._(" and ").join(channels),
            )
        if step.requires_review:
            return self.env._(
                "%(step)s on %(date)s unless paid (after review)", step=what, date=day
            )
        return self.env._("%(step)s on %(date)s unless paid", step=what, date=day)

    @api.model
    def _debt_reason_label(self, code):
        """A reason code (the run's or the forecast's) in plain words."""
        labels = {
            forecast.NOT_DUE_YET: self.env._("Not due yet"),
            forecast.WAITING: self.env._("Waiting for the next step"),
            forecast.LADDER_END: self.env._(
                "Last step of the ladder reached: nothing more is sent"
            ),
        }
        if code in labels:
            return labels[code]
        Move = self.env["account.move"]
        return dict(
            Move._fields["debt_skip_reason"]._description_selection(self.env)
        ).get(code, code)

    def _debt_reason_text(self, found, move_id):
        """Why an open invoice is not chased today, with its next step if any."""
        code = found.reasons.get(move_id)
        if not code:
            return False
        label = self._debt_reason_label(code)
        step = found.invoice_steps.get(move_id)
        if step:
            return self.env._(
                "%(reason)s (next: %(step)s)",
                reason=label,
                step=self._debt_step_text(found, step),
            )
        return label

    def action_debt_email_fixed(self):
        """The customer's address works again: clear the delivery warning."""
        self.ensure_one()
        if not self.env.user.has_group("debt_relations.group_debt_user"):
            raise UserError(
                self.env._("Only collectors can mark a customer's address as fixed.")
            )
        # sudo: collectors may only read customers; these two fields are the
        # collections' own delivery warning, nothing else is written.
        self.sudo().write({"debt_email_failing": False, "debt_email_failure": False})
        return True

    # ------------------------------------------------------------------
    # Credit assessment (services.credit)
    # ------------------------------------------------------------------

    def _debt_credit_facts(self, company, as_of):
        """Commercial partner id -> ``average`` (monthly invoicing),
        ``tier``, ``basis`` (the tier's rule in plain words) and
        ``suggested`` (the limit its rule suggests, or None), in ``company``
        as of ``as_of``. Two grouped reads for all of ``self``."""
        customers = self.commercial_partner_id._origin.with_company(company)
        if not customers:
            return {}
        # sudo: the customer's own invoicing, summed for its limit; nothing
        # of the invoices is shown.
        Move = self.env["account.move"].sudo()
        domain = [
            ("company_id", "=", company.id),
            ("commercial_partner_id", "in", customers.ids),
            ("state", "=", "posted"),
            ("invoice_date", "<=", as_of),
        ]
        since = fields.Date.subtract(as_of, months=credit.WINDOW_MONTHS)
        invoiced = dict(
            Move._read_group(
                [
                    *domain,
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("invoice_date", ">", since),
                ],
                ["commercial_partner_id"],
                ["amount_total_signed:sum"],
            )
        )
        first = dict(
            Move._read_group(
                [*domain, ("move_type", "=", "out_invoice")],
                ["commercial_partner_id"],
                ["invoice_date:min"],
            )
        )
        rounding = company.currency_id.rounding
        facts = {}
        for customer in customers:
            average = credit.average_monthly(
                invoiced.get(customer, 0.0), first.get(customer), as_of
            )
            # sudo: the tier's rule is read for the suggestion, by whoever
            # sees the customer.
            tier = customer.debt_tier_id.sudo()
            facts[customer.id] = {
                "average": average,
                "tier": tier,
                "basis": tier._credit_rule_text() if tier else False,
                "suggested": (
                    credit.suggest(tier._credit_rule(), average, rounding)
                    if tier
                    else None
                ),
            }
        return facts

    def _debt_credit_amount(self, amount):
        """A credit limit in words: the amount, or "no limit" for 0."""
        currency = self.env.company.currency_id
        if currency.is_zero(amount or 0.0):
            return self.env._("no limit")
        return currency.format(amount)

    def _debt_credit_no_suggestion(self, found):
        """Why nothing is suggested for the customer, in plain words."""
        tier = found.get("tier")
        if not tier:
            return self.env._(
                "%(customer)s has no relationship tier yet: no credit limit is "
                "suggested.",
                customer=self.display_name,
            )
        if tier.credit_limit_rule == credit.NONE:
            return self.env._(
                "The tier of %(customer)s, %(tier)s, suggests no credit limit.",
                customer=self.display_name,
                tier=tier.name,
            )
        return self.env._(
            "The rule of %(rule)s gives no credit limit for %(customer)s: not "
            "enough invoiced over the last 12 months.",
            rule=found["basis"],
            customer=self.display_name,
        )

    def action_debt_apply_credit_limit(self):
        """Set the customer's Odoo credit limit to the one its tier suggests,
        and log who did it, from what to what, and by which rule."""
        self.ensure_one()
        if not self.env.user.has_group("debt_relations.group_debt_user"):
            raise AccessError(
                self.env._(
                    "Only collectors and collections managers apply a suggested "
                    "credit limit."
                )
            )
        company = self.env.company
        if not company.account_use_credit_limit:
            raise UserError(
                self.env._(
                    "Credit limits are off in %(company)s: turn on Sales Credit "
                    "Limit in the Invoicing settings before applying one.",
                    company=company.name,
                )
            )
        customer = self.commercial_partner_id.with_company(company)
        today = fields.Date.context_today(self)
        found = customer._debt_credit_facts(company, today).get(customer.id, {})
        suggested = found.get("suggested")
        if suggested is None:
            raise UserError(customer._debt_credit_no_suggestion(found))
        # sudo: collectors may not edit customers; this writes the credit
        # limit only, a person's decision, logged below.
        customer = customer.sudo()
        old = customer.credit_limit
        currency = company.currency_id
        if (
            customer.use_partner_credit_limit
            and currency.compare_amounts(old, suggested) == 0
        ):
            raise UserError(
                self.env._(
                    "The credit limit of %(customer)s is already %(limit)s.",
                    customer=customer.display_name,
                    limit=currency.format(suggested),
                )
            )
        exposure = customer.credit + customer.credit_to_invoice
        customer.write({"use_partner_credit_limit": True, "credit_limit": suggested})
        customer.message_post(
            author_id=self.env.user.partner_id.id,
            body=self.env._(
                "Credit limit changed from %(old)s to %(new)s by %(user)s, as "
                "suggested by the relationship tier (%(rule)s; average monthly "
                "invoicing %(average)s, exposure %(exposure)s).",
                old=self._debt_credit_amount(old),
                new=currency.format(suggested),
                user=self.env.user.name,
                rule=found["basis"],
                average=currency.format(found["average"]),
                exposure=currency.format(exposure),
            ),
        )
        reviews = customer._debt_credit_reviews(company)
        if reviews:
            reviews.action_feedback(
                feedback=self.env._(
                    "Suggested credit limit applied: %(limit)s",
                    limit=currency.format(suggested),
                )
            )
        return True

    def _debt_credit_reviews(self, company):
        """The open credit limit reviews of the customers of ``self`` in
        ``company`` (their collectors' in that company)."""
        review_type = self.env.ref(
            "debt_relations.mail_activity_type_debt_credit_review",
            raise_if_not_found=False,
        )
        if not review_type or not self:
            return self.env["mail.activity"]
        # sudo: the reviews are the run's to-dos on the customers.
        reviews = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.commercial_partner_id.ids),
                    ("activity_type_id", "=", review_type.id),
                ]
            )
        )
        # A customer shared with another company keeps that company's reviews.
        return reviews.filtered(lambda a: company in a.user_id.company_ids)

    @api.model
    def _debt_credit_review(self, company, as_of, reasons):
        """Ask the collectors of the customers of ``reasons`` (commercial
        partner id -> why, in plain words) to review their credit limit: one
        open review per customer, its note giving the limit in force, the
        suggested one and the exposure; a new reason is added on top of an
        open review rather than making a second one. Nothing when the company
        does not use credit limits."""
        if not reasons or not company.account_use_credit_limit:
            return
        # sudo: the run (a collections manager's "Run now" too) gives the
        # collectors their to-dos; collectors may not edit customers.
        customers = self.sudo().with_company(company).browse(list(reasons))
        open_reviews = {}
        for review in customers._debt_credit_reviews(company):
            open_reviews.setdefault(review.res_id, review)
        facts = customers._debt_credit_facts(company, as_of)
        currency = company.currency_id
        for customer in customers:
            found = facts.get(customer.id, {})
            suggested = found.get("suggested")
            lines = [
                reasons[customer.id],
                self.env._(
                    "Credit limit in force: %(limit)s.",
                    limit=customer._debt_credit_amount(customer.credit_limit),
                ),
                (
                    self.env._(
                        "Suggested: %(limit)s (%(rule)s).",
                        limit=currency.format(suggested),
                        rule=found["basis"],
                    )
                    if suggested is not None
                    else customer._debt_credit_no_suggestion(found)
                ),
                self.env._(
                    "Exposure: %(amount)s.",
                    amount=currency.format(
                        customer.credit + customer.credit_to_invoice
                    ),
                ),
            ]
            note = plaintext2html("\n".join(lines))
            review = open_reviews.get(customer.id)
            if review:
                review.note = note + (review.note or Markup())
                continue
            customer.activity_schedule(
                "debt_relations.mail_activity_type_debt_credit_review",
                date_deadline=as_of,
                summary=self.env._("Review the credit limit"),
                note=note,
                user_id=customer._debt_collector().id,
            )

    def action_view_debt_contact_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "debt_relations.debt_contact_log_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    @api.ondelete(at_uninstall=False)
    def _unlink_except_debt_history(self):
        """A customer with a contact history (or collection actions) is kept:
        the history is whole, and the database would refuse it anyway."""
        # sudo: every company's history counts, whoever deletes.
        logs = self.env["debt.contact.log"].sudo()
        actions = self.env["debt.action"].sudo()
        kept = self.filtered(
            lambda p: (
                logs.search_count([("partner_id", "=", p.id)], limit=1)
                or actions.search_count([("partner_id", "=", p.id)], limit=1)
            )
        )
        if kept:
            raise UserError(
                self.env._(
                    "%(customers)s cannot be deleted: collections keep their "
                    "contact history. Archive them instead.",
                    customers=", ".join(kept.mapped("display_name")),
                )
            )

    def action_debt_log_contact(self):
        self.ensure_one()
        return self.env["debt.contact.wizard"]._action_open(
            partner=self.commercial_partner_id
        )

    def action_debt_offer_plan(self):
        self.ensure_one()
        return self.env["debt.payment.plan.wizard"]._action_open(
            partner=self.commercial_partner_id
        )

    def action_debt_call_sheet(self):
        """The call sheet of the customer, on screen (printable as a PDF)."""
        self.ensure_one()
        # A plain page, no letterhead: no layout to configure first.
        return (
            self.env.ref("debt_relations.action_report_debt_call_sheet_html")
            .with_context(discard_logo_check=True)
            .report_action(self.commercial_partner_id)
        )

    def _debt_open_agreements(self, xmlid):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_debt_payment_plans(self):
        return self._debt_open_agreements("debt_relations.debt_payment_plan_action")

    def action_view_debt_promises(self):
        return self._debt_open_agreements("debt_relations.debt_promise_action")

    def action_view_debt_disputes(self):
        return self._debt_open_agreements("debt_relations.debt_dispute_action")

    def action_view_debt_rewards(self):
        return self._debt_open_agreements("debt_relations.debt_reward_action")

    def action_view_debt_handoffs(self):
        return self._debt_open_agreements("debt_relations.debt_handoff_action")

    def action_debt_hand_off(self):
        """A new hand-off of the customer's overdue invoices, to review."""
        self.ensure_one()
        return self.env["debt.handoff"]._action_new(self.commercial_partner_id)

    def _debt_kept_terms(self, moves=None, as_of=None):
        """Early-payment terms the customer keeps by paying on time, or False.

        Used by reminder templates: ``{'term', 'percentage', 'date'}`` where
        ``date`` is the last day to pay the oldest of ``moves`` and keep them,
        or False when that day is already before ``as_of`` (a reminder never
        asks for the impossible).
        """
        self.ensure_one()
        reward = self.commercial_partner_id.debt_reward_ids.filtered(
            lambda r: (
                r.state == "granted"
                and r.kind == "payment_term"
                and not r.revoke_date
                and r.company_id == self.env.company
            )
        )[:1]
        if not reward:
            return False
        moves = moves or self.env["account.move"]
        dues = [day for day in moves.mapped("invoice_date_due") if day]
        last_day = dues and fields.Date.add(
            min(dues), days=reward.rule_id.tolerance_days
        )
        if last_day and as_of and last_day < as_of:
            last_day = False
        return {
            "term": reward.payment_term_id,
            "percentage": reward.payment_term_id.discount_percentage,
            "date": last_day,
        }

    def _debt_rewards_ending(self):
        """Granted rewards whose end is announced (streak lost)."""
        self.ensure_one()
        return self.commercial_partner_id.debt_reward_ids.filtered(
            lambda r: r.state == "granted" and r.revoke_date
        )

    # Portal
    debt_portal_token = fields.Char(
        string="Statement Link Key",
        copy=False,
        readonly=True,
        index="btree_not_null",
        groups="base.group_system",
        help="The key in the customer's statement link; a new link revokes it.",
    )
    debt_portal_link_date = fields.Date(
        string="Statement Link Last Sent",
        copy=False,
        readonly=True,
        help="The day a message last carried the customer's statement link; "
        "the link stops working the company's number of days after it.",
    )
    debt_portal_channel = fields.Selection(
        PORTAL_CHANNELS,
        string="Preferred Channel",
        help="How the customer asked to be reached (on the portal, or as a "
        "collector noted it): a reminder goes out by this channel only where its "
        "stage uses it, by the stage's channels otherwise.",
    )

    def _debt_portal_channel_choices(self):
        """The channels a customer may prefer, as ``(value, label)`` pairs
        in the reader's language (a bridge adding a channel adds its own)."""
        return self._fields["debt_portal_channel"]._description_selection(self.env)

    def _debt_portal_url(self):
        """The customer's statement link, as a message carries it: the key is
        made when first needed, and the link counts as sent today (it expires
        the company's number of days after the last message that carried
        it). With ``debt_portal_link_unsent`` in the context (a preview, the
        collector opening the statement) the link is shown, not sent: its
        date stays (the key only ever turns the dating off)."""
        self.ensure_one()
        # sudo: the key is the customer's own; mails rendered by the run and
        # collectors read it, nobody edits it.
        partner = self.commercial_partner_id.sudo()
        today = fields.Date.context_today(partner)
        if not partner.debt_portal_token:
            partner.write(
                {
                    "debt_portal_token": self.env["debt.portal"]._new_key(),
                    "debt_portal_link_date": today,
                }
            )
        elif (
            partner.debt_portal_link_date != today
            and not self.env.context.get("debt_portal_link_unsent")
            # A document shown again on a read-only cursor (a letter printed
            # from the web client) was dated when it was made.
            and not self.env.cr.readonly
        ):
            partner.debt_portal_link_date = today
        return (
            f"{partner.get_base_url()}/collections/{partner.id}"
            f"?access_token={partner.debt_portal_token}"
        )

    def _debt_portal_ensure_tokens(self):
        """Give the customers of ``self`` without a statement link key one,
        and date their links today (a batch of reminders carries every
        customer's link), all in one query (``_debt_portal_url`` one customer
        at a time is one write each)."""
        partners = self.commercial_partner_id.sudo()
        if not partners:
            return
        today = fields.Date.context_today(self)
        partners.flush_model(["debt_portal_token", "debt_portal_link_date"])
        self.env.execute_query(
            SQL(
                "UPDATE res_partner SET "
                # a key made meanwhile (another sending worker) is kept
                "debt_portal_token = COALESCE(res_partner.debt_portal_token, t.token), "
                "debt_portal_link_date = %s "
                "FROM UNNEST(%s::int[], %s::varchar[]) AS t(id, token) "
                "WHERE res_partner.id = t.id",
                today,
                partners.ids,
                [self.env["debt.portal"]._new_key() for _partner in partners],
            )
        )
        partners.invalidate_recordset(["debt_portal_token", "debt_portal_link_date"])

    def _debt_portal_link_state(self, company):
        """``services.portal`` ``VALID`` or ``EXPIRED``: whether the last
        message that carried the link is recent enough for ``company``'s
        setting."""
        self.ensure_one()
        partner = self.commercial_partner_id.sudo()
        return portal_service.link_state(
            partner.debt_portal_link_date,
            fields.Date.context_today(partner),
            company.debt_portal_link_days,
        )

    def _debt_portal_new_key(self, kind="revoked"):
        """A new statement link key: the old one is remembered (hashed) as
        ``kind`` (revoked, expired), so that its holder is told the link is
        out of date; it opens nothing any more."""
        events = self.env["debt.portal.link.event"].sudo()
        for partner in self.commercial_partner_id.sudo():
            if partner.debt_portal_token:
                events.create(
                    {
                        "partner_id": partner.id,
                        "kind": kind,
                        "key_hash": key_hash(partner.debt_portal_token),
                    }
                )
            partner.write(
                {
                    "debt_portal_token": self.env["debt.portal"]._new_key(),
                    "debt_portal_link_date": fields.Date.context_today(partner),
                }
            )

    def action_debt_portal_new_link(self):
        """A new statement link: the old one stops working at once."""
        if not self.env.user.has_group("debt_relations.group_debt_manager"):
            raise AccessError(
                self.env._("Only collections managers make a new statement link.")
            )
        for partner in self.commercial_partner_id:
            # sudo: only system administrators read the key itself, and
            # collections staff may not edit customers.
            partner.sudo()._debt_portal_new_key("revoked")
            partner.sudo().message_post(
                author_id=self.env.user.partner_id.id,
                body=self.env._(
                    "A new statement link was made: the previous link no longer "
                    "opens the statement."
                ),
            )
        return True

    def action_debt_portal_open(self):
        """Open the customer's statement as the customer sees it."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            # Shown to the collector, sent to no one: the link's date stays.
            "url": self.with_context(debt_portal_link_unsent=True)._debt_portal_url(),
            "target": "new",
        }

    @api.constrains("debt_charge_contract_rate")
    def _check_debt_charge_contract_rate(self):
        for partner in self:
            if partner.debt_charge_contract_rate < 0:
                raise ValidationError(
                    self.env._(
                        "The contract late-payment rate of %(customer)s cannot be "
                        "negative.",
                        customer=partner.display_name,
                    )
                )

    @api.depends_context("company")
    def _compute_debt_charges(self):
        company = self.env.company
        figures = self.env["debt.charge"]._figures(company, self.commercial_partner_id)
        for partner in self:
            found = figures.get(partner.commercial_partner_id.id, {})
            partner.debt_charges_stated = found.get("stated", 0.0)
            partner.debt_charges_applied = found.get("applied", 0.0)
            partner.debt_charges_waived = found.get("waived", 0.0)

    def action_debt_apply_charges(self):
        """Apply or waive the late-payment charges of the customer's invoices."""
        return self.env["debt.charge.wizard"]._action_open(
            self.env["account.move"], self.commercial_partner_id
        )
