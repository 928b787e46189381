import urllib.parse

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.mail import formataddr

from ..services import portal as portal_service

DEFAULT_TIERS = (
    "debt_relations.debt_tier_key_account",
    "debt_relations.debt_tier_reliable",
    "debt_relations.debt_tier_standard",
    "debt_relations.debt_tier_watch",
)
"""Shipped relationship tiers, copied for each company (data/debt_tier_data.xml)."""
DEFAULT_INCENTIVE_RULES = (
    "debt_relations.debt_incentive_rule_thanks",
    "debt_relations.debt_incentive_rule_early_terms",
    "debt_relations.debt_incentive_rule_recognition",
)
"""Shipped thank-you and reward rules, copied for each company."""
AGREEMENT_SETTINGS = (
    "debt_plan_reminder_days",
    "debt_plan_grace_days",
    "debt_promise_grace_days",
    "debt_review_stale_days",
    "debt_mail_retry_hours",
    "debt_portal_link_days",
    "debt_portal_confirm_hours",
    "debt_portal_resign_months",
    "debt_portal_stall_days",
    "debt_handoff_answer_days",
    "debt_handoff_quiet_days",
    "debt_contact_cap",
    "debt_contact_cap_days",
    "debt_reply_pause_days",
)
"""Per-company day and hour counts of agreements and sending."""
CHARGE_RULES = [
    ("none", "None"),
    ("fixed", "Fixed fee per invoice"),
    ("eu_statutory", "EU statutory (Directive 2011/7/EU)"),
    ("uk_statutory", "UK statutory (Late Payment Act 1998)"),
    ("custom", "Custom rate"),
]
"""Late-payment rules (see services.charges)."""


class ResCompany(models.Model):
    _inherit = "res.company"

    debt_policy_id = fields.Many2one(
        "debt.policy",
        string="Default Collection Policy",
        check_company=True,
        help="The escalation ladder for customers without a policy of their own.",
    )
    debt_profile_date = fields.Date(
        string="Profiles As Of",
        readonly=True,
        help="As-of date of the collection run that last refreshed the "
        "customers' relationship profiles.",
    )
    # Agreements and sending. The defaults below are the only ones: a company
    # created later gets them, the settings screen shows and edits them.
    debt_plan_reminder_days = fields.Integer(
        string="Instalment Reminder (days before)",
        default=3,
        help="Days before an instalment is due that its reminder is sent.",
    )
    debt_plan_grace_days = fields.Integer(
        string="Payment Plan Grace (days)",
        default=7,
        help="Days a missed instalment is waited for before the plan is broken "
        "and the chase resumes.",
    )
    debt_promise_grace_days = fields.Integer(
        string="Promise Grace (days)",
        default=3,
        help="Days a promised payment is waited for after its date before the "
        "promise is broken.",
    )
    debt_review_stale_days = fields.Integer(
        string="Review Expires After (days)",
        default=14,
        help="A prepared action waiting for review longer than this is not sent "
        "as prepared: the next run decides again with its own day's figures. "
        "0: never.",
    )
    debt_dispute_target_days = fields.Integer(
        string="Dispute Answered Within (days)",
        default=30,
        help="An open dispute older than this is late: it appears on the "
        "collectors' worklist until it is resolved or rejected. 0: never.",
    )
    debt_handoff_answer_days = fields.Integer(
        string="Hand-off Answered Within (days)",
        default=7,
        help="A hand-off sent to a mediator, an agency or a lawyer with no "
        "answer logged from them after this many days appears on the "
        "collector's worklist, to ask for news.",
    )
    debt_handoff_quiet_days = fields.Integer(
        string="Hand-off News Every (days)",
        default=30,
        help="An accepted hand-off with nothing logged about it for this many "
        "days appears on the collector's worklist, to ask the provider for "
        "news.",
    )
    debt_forecast_risk_days = fields.Integer(
        string="At Risk When Expected Later Than (days)",
        default=30,
        help="In the cash-in forecast, an invoice expected to be paid more than "
        "this many days after its due date counts as at risk. 0: never for "
        "that reason alone.",
    )
    debt_mail_retry_hours = fields.Integer(
        string="Retry Failed Mail For (hours)",
        default=24,
        help="How long a reminder whose mail server failed for a temporary "
        "reason (refused connection, 4xx reply) is retried before it counts as "
        "failed.",
    )

    # The contact governor (services.governor, debt.contact.governor)
    debt_contact_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Contact Hours",
        compute="_compute_debt_contact_calendar_id",
        store=True,
        readonly=False,
        check_company=True,
        help="When customers may be reached: its working hours, read in each "
        "customer's time zone, and its public holidays. A mail decided "
        "outside them waits for the next allowed moment; a call falls due on "
        "the next allowed day. Default: the company's working hours; "
        "empty: any hour of any day.",
    )
    debt_contact_cap = fields.Integer(
        string="Contacts at Most",
        default=3,
        help="Most collection contacts (reminders, letters, calls, SMS, "
        "instalment and agreement notices) one customer receives in the "
        "window of days below, across every channel. A contact over the "
        "limit waits for a day with room. Thank-yous and confirmations of "
        "what the customer did are not counted. 0: no limit.",
    )
    debt_contact_cap_days = fields.Integer(
        string="Contact Limit Window (days)",
        default=7,
        help="The window of days of the contact limit.",
    )
    debt_reply_pause_days = fields.Integer(
        string="Pause After a Reply (days)",
        default=5,
        help="A customer who answers a collection message by email gets no "
        "reminder for this many days (from the day of the answer), and its "
        "collector an activity with the answer. Automatic replies (out of "
        "office) pause nothing. 0: a reply pauses nothing.",
    )

    # Portal
    debt_portal_promise_days = fields.Integer(
        string="Longest Promise Delay (days)",
        default=30,
        help="How far ahead a customer may promise to pay from the portal.",
    )
    debt_portal_plan_months = fields.Integer(
        string="Longest Plan (months)",
        default=12,
        help="Longest payment plan a customer may sign online.",
    )
    debt_portal_plan_min_amount = fields.Monetary(
        string="Smallest Instalment",
        currency_field="currency_id",
        default=50.0,
        help="Smallest monthly instalment of a plan signed online.",
    )
    debt_portal_plan_down_payment = fields.Float(
        string="Down Payment (%)",
        default=10.0,
        help="Share of the amount owed the first instalment of a plan signed "
        "online must cover at least.",
    )
    debt_portal_paid_hold_days = fields.Integer(
        string="'Already Paid' Hold (days)",
        default=7,
        help="How long invoices the customer says are paid are not chased while "
        "accounting looks for the payment.",
    )
    debt_portal_plan_auto = fields.Boolean(
        string="Plans Within Limits Start at Once",
        default=True,
        help="A plan the customer signs online within the limits becomes active "
        "without a collector; otherwise it waits for one.",
    )
    debt_portal_pay = fields.Boolean(string="Portal: Pay Now", default=True)
    debt_portal_promise = fields.Boolean(string="Portal: Promise a Date", default=True)
    debt_portal_dispute = fields.Boolean(string="Portal: Dispute", default=True)
    debt_portal_paid = fields.Boolean(string="Portal: Already Paid", default=True)
    debt_portal_plan = fields.Boolean(string="Portal: Ask for a Plan", default=True)
    debt_portal_contact = fields.Boolean(
        string="Portal: Contact Details and Pause", default=True
    )
    debt_portal_rate_limit = fields.Integer(
        string="Portal Actions per Hour",
        default=10,
        help="Most actions one customer may post from the portal in an hour.",
    )
    debt_portal_link_days = fields.Integer(
        string="Statement Links Expire After (days)",
        default=180,
        help="A customer's statement link stops working this many days after "
        "the last message that carried it; the customer may then ask for a "
        "fresh one, sent to the billing address.",
    )
    debt_portal_confirm_hours = fields.Integer(
        string="Confirm a New Address Within (hours)",
        default=48,
        help="A billing email changed with a statement link (without logging "
        "in) changes only once confirmed from the new address, within this "
        "many hours.",
    )
    debt_portal_resign_months = fields.Integer(
        string="No Online Agreement After a Broken One (months)",
        default=6,
        help="For this many months after a customer broke a payment plan or a "
        "promise, the portal does not let it sign a plan or promise a date "
        "online: it may ask for one, and a collector decides. 0: always online.",
    )
    debt_portal_stall_days = fields.Integer(
        string="No Hold After a Broken Promise (days)",
        default=90,
        help="For this many days after a promise was broken or a payment the "
        "customer said was made was not found, a new promise or 'already "
        "paid' from the portal reaches the collector but does not stop the "
        "reminders by itself. 0: it always does.",
    )

    # Late-payment charges (services.charges): stated from a rung, applied
    # only by a collector (debt.charge.wizard), never by the run.
    debt_charge_rule = fields.Selection(
        CHARGE_RULES,
        string="Late-Payment Rule",
        required=True,
        default="none",
        help="What the law or your terms allow on a late invoice: it is stated "
        "in the reminders, and applied only when a collector decides to.",
    )
    debt_charge_rate = fields.Float(
        string="Late-Payment Interest (% a year)",
        digits=(6, 2),
        help="Annual rate of the custom rule.",
    )
    debt_charge_fixed_amount = fields.Monetary(
        string="Late-Payment Fee",
        currency_field="currency_id",
        help="Fee per invoice of the fixed rule; optional fixed amount per "
        "invoice of the custom rule.",
    )
    debt_charge_stage_id = fields.Many2one(
        "debt.stage",
        string="Charges Stated From",
        check_company=True,
        help="From this rung, reminders, letters and the customer's statement "
        "show the charges accrued per invoice; the fixed fee is due once an "
        "invoice reached it. Empty: the default policy's first formal rung.",
    )
    debt_charge_product_id = fields.Many2one(
        "product.product",
        string="Charges Product",
        check_company=True,
        help="The service invoiced for late-payment charges; its income "
        "account receives them.",
    )

    @api.depends("resource_calendar_id")
    def _compute_debt_contact_calendar_id(self):
        for company in self:
            company.debt_contact_calendar_id = (
                company.debt_contact_calendar_id or company.resource_calendar_id
            )

    @api.constrains("debt_charge_rule", "debt_charge_rate", "debt_charge_fixed_amount")
    def _check_debt_charge_rule(self):
        for company in self:
            if company.debt_charge_rate < 0 or company.debt_charge_fixed_amount < 0:
                raise ValidationError(
                    self.env._(
                        "Late-payment interest and fees cannot be negative "
                        "(company %(company)s).",
                        company=company.name,
                    )
                )
            if company.debt_charge_rule == "custom" and not company.debt_charge_rate:
                raise ValidationError(
                    self.env._(
                        "The custom late-payment rule of company %(company)s needs "
                        "an annual interest rate.",
                        company=company.name,
                    )
                )
            if (
                company.debt_charge_rule == "fixed"
                and not company.debt_charge_fixed_amount
            ):
                raise ValidationError(
                    self.env._(
                        "The fixed late-payment rule of company %(company)s needs "
                        "a fee per invoice.",
                        company=company.name,
                    )
                )

    @api.constrains(*AGREEMENT_SETTINGS)
    def _check_debt_settings(self):
        for company in self:
            for name in AGREEMENT_SETTINGS:
                if company[name] < 0:
                    raise ValidationError(
                        self.env._(
                            "%(setting)s cannot be negative (company %(company)s).",
                            setting=self._fields[name].get_description(self.env)[
                                "string"
                            ],
                            company=company.name,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._debt_ensure_defaults()
        return companies

    def write(self, vals):
        risk_days_changed = self.browse()
        if "debt_forecast_risk_days" in vals:
            risk_days_changed = self.filtered(
                lambda c: (
                    c.debt_forecast_risk_days != (vals["debt_forecast_risk_days"] or 0)
                )
            )
        result = super().write(vals)
        # What counts as at risk in the cash-in forecast changed (saving the
        # settings with the same value refreshes nothing).
        Forecast = self.env["debt.cashin.forecast"]
        for company in risk_days_changed:
            Forecast._refresh(company, fields.Date.context_today(self))
        return result

    def _debt_ensure_defaults(self):
        """Everything a company needs to collect: a default policy, the
        relationship tiers (with their policies) and the incentive rules."""
        self._debt_ensure_default_policy()
        self._debt_ensure_default_tiers()
        self._debt_ensure_default_incentive_rules()

    def _debt_shipped(self, xmlids):
        # sudo: the shipped records belong to the main company, which the user
        # creating a company may not be allowed to read.
        records = [self.env.ref(xmlid, raise_if_not_found=False) for xmlid in xmlids]
        return [record.sudo() for record in records if record]

    def _debt_ensure_default_tiers(self):
        """Give each company without tiers a copy of the shipped ones; a tier's
        own policy (key account, watch) is copied for the company too."""
        sources = self._debt_shipped(DEFAULT_TIERS)
        default_policy = self.env.ref(
            "debt_relations.debt_policy_default", raise_if_not_found=False
        )
        Tier = self.env["debt.relationship.tier"].sudo().with_context(active_test=False)
        for company in self:
            if Tier.search_count([("company_id", "=", company.id)], limit=1):
                continue
            policies = {}
            for tier in sources:
                if tier.company_id == company:
                    continue
                policy = tier.policy_id
                if policy and policy == default_policy:
                    policy = company.debt_policy_id
                elif policy:
                    if policy not in policies:
                        policies[policy] = policy.copy({"company_id": company.id})
                    policy = policies[policy]
                tier.copy({"company_id": company.id, "policy_id": policy.id})

    def _debt_ensure_default_incentive_rules(self):
        """Give each company without incentive rules a copy of the shipped ones."""
        sources = self._debt_shipped(DEFAULT_INCENTIVE_RULES)
        Rule = self.env["debt.incentive.rule"].sudo().with_context(active_test=False)
        for company in self:
            if Rule.search_count([("company_id", "=", company.id)], limit=1):
                continue
            for rule in sources:
                if rule.company_id == company:
                    continue
                term = rule.payment_term_id
                if term.company_id and term.company_id != company:
                    continue  # terms of another company cannot be granted here
                rule.copy({"company_id": company.id})

    def _debt_ensure_default_policy(self):
        """Give each company without one a copy of the shipped default policy."""
        # sudo: the shipped policy belongs to the main company, which the user
        # creating a company may not be allowed to read.
        source = self.env.ref(
            "debt_relations.debt_policy_default", raise_if_not_found=False
        )
        if not source:
            return
        source = source.sudo()
        for company in self.filtered(lambda c: not c.debt_policy_id):
            if source.company_id == company:
                policy = source
            else:
                policy = source.copy({"company_id": company.id, "name": source.name})
            company.sudo().debt_policy_id = policy

    def _debt_charge_stage(self):
        """The rung from which charges are stated: the one chosen, else the
        first formal rung of the company's default policy."""
        self.ensure_one()
        if self.debt_charge_stage_id:
            return self.debt_charge_stage_id
        policy = self.sudo().debt_policy_id
        stages = policy._get_ladder_stages() if policy else self.env["debt.stage"]
        return stages.filtered(lambda s: s.tone in ("formal", "final"))[:1]

    def _debt_portal_limits(self):
        """What the portal lets this company's customers do on their own."""
        self.ensure_one()
        return portal_service.Limits(
            promise_days=self.debt_portal_promise_days,
            plan_months=self.debt_portal_plan_months,
            plan_min_amount=self.debt_portal_plan_min_amount,
            down_payment_percent=self.debt_portal_plan_down_payment,
            paid_hold_days=self.debt_portal_paid_hold_days,
            rate_limit=self.debt_portal_rate_limit,
            link_days=self.debt_portal_link_days,
            confirm_hours=self.debt_portal_confirm_hours,
            resign_months=self.debt_portal_resign_months,
            stall_days=self.debt_portal_stall_days,
        )

    def _debt_email_from(self):
        """The sender of every mail collections send for the company: its own
        address, else Odoo's default sender (the alias domain's, or
        ``--email-from``), else ``noreply@`` the host the database is served
        from, so that a fresh database without any mail setting still sends.
        """
        self.ensure_one()
        company = self.sudo()
        if company.email:
            return company.email_formatted
        default = (
            self.env["ir.mail_server"]
            .sudo()
            .with_company(self)
            ._get_default_from_address()
        )
        if not default:
            base_url = company.get_base_url() or ""
            host = urllib.parse.urlsplit(base_url).hostname or "localhost"
            default = f"noreply@{host}"
        return formataddr((company.name or "", default))

    def _debt_relationship_figures(self, date_from, date_to, partner_ids=None):
        """The company's relationship figures over ``date_from``..``date_to``
        (see ``debt.figures``): at least ``dso``, ``cei``, ``add``,
        ``promise_kept_rate``, ``plan_completion_rate`` and
        ``retained_after_collection`` (shares between 0 and 1, None where
        nothing qualifies); ``partner_ids`` limits them to some customers."""
        self.ensure_one()
        return self.env["debt.figures"]._figures(self, date_from, date_to, partner_ids)
