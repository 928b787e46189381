from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

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
    # Relationship profile: figures of the commercial partner in the current
    # company, refreshed by the collection run (set-based, see
    # debt.relationship.tier._debt_refresh_profiles). Company-dependent: a
    # partner shared by companies has a history, and a tier, in each of them.
    debt_tier_id = fields.Many2one(
        "debt.relationship.tier",
        string="Relationship Tier",
        company_dependent=True,
        readonly=True,
        help="Earned from the payment history; its policy chases the customer "
        "unless a collection policy is set by hand.",
    )
    debt_tier_reason = fields.Char(
        string="Why This Tier", company_dependent=True, readonly=True
    )
    debt_on_time_ratio = fields.Float(
        string="Paid on Time", company_dependent=True, readonly=True, digits=(3, 2)
    )
    debt_avg_days_late = fields.Float(
        string="Average Days Late",
        company_dependent=True,
        readonly=True,
        digits=(16, 1),
    )
    debt_customer_since = fields.Date(
        string="Customer Since", company_dependent=True, readonly=True
    )
    debt_paid_count = fields.Integer(
        string="Invoices Paid", company_dependent=True, readonly=True
    )
    debt_on_time_count = fields.Integer(
        string="Invoices Paid on Time", company_dependent=True, readonly=True
    )
    debt_revenue_12m = fields.Float(
        string="Revenue (12 months)",
        company_dependent=True,
        readonly=True,
        digits="Account",
    )
    debt_overdue_amount = fields.Float(
        string="Overdue", company_dependent=True, readonly=True, digits="Account"
    )
    debt_profile_date = fields.Date(
        string="Profile As Of",
        compute="_compute_debt_profile_date",
        help="As-of date of the collection run that last refreshed the profiles.",
    )
    debt_thanked_on = fields.Date(
        string="Last Thanked", company_dependent=True, readonly=True
    )
    debt_reward_ids = fields.One2many("debt.reward", "partner_id", string="Rewards")
    debt_reward_count = fields.Integer(compute="_compute_debt_reward_count")

    @api.constrains("debt_policy_id", "debt_collector_id")
    def _check_debt_company(self):
        # Both are set per company: a policy or collector of another company
        # would chase the customer by rules that company's run never reads.
        self._check_company(["debt_policy_id", "debt_collector_id"])

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

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "debt_paused_until",
            "debt_pause_reason",
            "debt_do_not_contact",
        ]

    def _debt_billing_contact(self):
        """The contact reminders go to: the invoice address with an email, if any."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        billing = commercial.child_ids.filtered(
            lambda c: c.type == "invoice" and c.email
        )[:1]
        return billing or commercial

    def _debt_collector(self, policy=None):
        """The user who calls this customer."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        # The scheduled run acts as the superuser (OdooBot): a call assigned
        # to it would be seen by nobody; the administrator gets it instead.
        fallback = self.env.user
        if fallback._is_superuser() or not fallback._is_internal():
            fallback = self.env.ref("base.user_admin", raise_if_not_found=False)
        return (
            commercial.debt_collector_id
            or commercial.user_id
            or (policy and policy.collector_id)
            or fallback
            or self.env.user
        )

    def action_view_debt_contact_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "debt_relations.debt_contact_log_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

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
