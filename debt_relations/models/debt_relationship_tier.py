from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, formatLang, split_every

from .. import fastpath
from ..services import credit, profile
from .debt_partner_profile import FIGURE_FIELDS

PROFILE_BATCH = 2000
"""Customers whose profile one query computes."""


def _profile_values(facts, tier_id, reason):
    """The values of :data:`~.debt_partner_profile.FIGURE_FIELDS` for one customer."""
    return {
        "tier_id": tier_id,
        "tier_reason": reason,
        "on_time_ratio": facts.on_time_ratio,
        "avg_days_late": facts.avg_days_late,
        "customer_since": facts.customer_since,
        "paid_count": facts.paid_count,
        "on_time_count": facts.on_time_count,
        "revenue_12m": facts.revenue_12m,
        "overdue_amount": facts.overdue_amount,
    }


class DebtRelationshipTier(models.Model):
    """A tier of customer relationship, earned from the payment history.

    Tiers are checked in sequence: a customer belongs to the first tier whose
    every threshold it meets. The tier's policy chases the customer, unless a
    policy was set on the customer by hand.
    """

    _name = "debt.relationship.tier"
    _description = "Relationship Tier"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    min_tenure_months = fields.Integer(
        string="Minimum Tenure (months)",
        help="Months since the customer's first invoice.",
    )
    min_paid_count = fields.Integer(
        string="Minimum Invoices Paid",
        help="Invoices paid in full, to judge the on-time share on.",
    )
    min_on_time_ratio = fields.Float(
        string="Minimum On-Time Share",
        digits=(3, 2),
        help="Share of the invoices paid by their due date, from 0 to 1. "
        "0: no minimum.",
    )
    min_revenue = fields.Monetary(
        string="Minimum Revenue (12 months)",
        currency_field="currency_id",
        help="Invoiced over the last 12 months, untaxed. 0: no minimum.",
    )
    max_avg_days_late = fields.Float(
        string="Maximum Average Days Late",
        digits=(16, 1),
        help="0: no maximum.",
    )
    no_broken_agreement = fields.Boolean(
        string="No Broken Agreement (12 months)",
        help="Customers who broke a payment plan or a promise to pay in the "
        "last 12 months do not meet this tier.",
    )
    policy_id = fields.Many2one(
        "debt.policy",
        string="Collection Policy",
        check_company=True,
        help="The ladder chasing customers of this tier; empty: the company's "
        "default. A policy set on the customer by hand always wins.",
    )
    waive_charges = fields.Boolean(
        string="Waive Late-Payment Charges",
        help="Customers of this tier are told that the late-payment charges "
        "the law or the terms allow are waived for them, and the charges "
        "wizard proposes to waive theirs.",
    )
    worklist_weight = fields.Float(
        default=1.0,
        digits=(16, 2),
        help="Multiplies the priority of this tier's customers on the "
        "collectors' worklist (overdue amount x days overdue x weight): above "
        "1, they get a person sooner.",
    )
    credit_limit_rule = fields.Selection(
        [
            (credit.NONE, "No suggestion"),
            (credit.MONTHS, "Months of average monthly invoicing"),
            (credit.FIXED, "Fixed amount"),
        ],
        required=True,
        default=credit.NONE,
        help="The credit limit suggested for this tier's customers, shown "
        "beside the one in force on the customer's Collections tab. Nothing "
        "changes by itself: a collector applies a suggested limit.",
    )
    credit_limit_months = fields.Float(
        string="Months of Invoicing",
        digits=(16, 1),
        help="The suggested limit is this many months of the customer's "
        "average monthly invoicing over the last 12 months (taxed, credit "
        "notes deducted; a newer customer over the months it was invoiced).",
    )
    credit_limit_amount = fields.Monetary(
        string="Fixed Credit Limit",
        currency_field="currency_id",
    )
    credit_limit_rounding = fields.Monetary(
        string="Round Down To",
        currency_field="currency_id",
        help="The suggested limit is rounded down to a whole number of this "
        "amount (e.g. 500). 0: to the cent.",
    )
    note = fields.Text(translate=True)
    partner_count = fields.Integer(compute="_compute_partner_count")

    _sql_constraints = [
        (
            "on_time_ratio_range",
            "CHECK(min_on_time_ratio >= 0 AND min_on_time_ratio <= 1)",
            "The minimum on-time share of a tier is between 0 and 1.",
        ),
        (
            "worklist_weight_positive",
            "CHECK(worklist_weight >= 0)",
            "The worklist weight of a tier cannot be negative.",
        ),
    ]

    def _compute_partner_count(self):
        Partner = self.env["res.partner"]
        for tier in self:
            tier.partner_count = Partner.with_company(tier.company_id).search_count(
                [("debt_tier_id", "=", tier.id)]
            )

    @api.constrains(
        "credit_limit_rule",
        "credit_limit_months",
        "credit_limit_amount",
        "credit_limit_rounding",
    )
    def _check_credit_limit_rule(self):
        for tier in self:
            if (
                tier.credit_limit_months < 0
                or tier.credit_limit_amount < 0
                or tier.credit_limit_rounding < 0
            ):
                raise ValidationError(
                    self.env._(
                        "The credit limit rule of tier %(tier)s cannot have a "
                        "negative number of months, amount or rounding.",
                        tier=tier.display_name,
                    )
                )
            if tier.credit_limit_rule == credit.MONTHS and not (
                tier.credit_limit_months > 0
            ):
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s suggests a credit limit in months of "
                        "invoicing: give the number of months.",
                        tier=tier.display_name,
                    )
                )
            if tier.credit_limit_rule == credit.FIXED and tier.currency_id.is_zero(
                tier.credit_limit_amount
            ):
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s suggests a fixed credit limit: give the "
                        "amount (Odoo reads a limit of 0 as no limit).",
                        tier=tier.display_name,
                    )
                )

    def _credit_rule(self):
        """The tier's rule as :class:`~..services.credit.Rule`."""
        self.ensure_one()
        return credit.Rule(
            kind=self.credit_limit_rule,
            months=self.credit_limit_months,
            amount=self.credit_limit_amount,
            step=self.credit_limit_rounding,
        )

    def _credit_rule_text(self):
        """The tier's rule in plain words: "Key account: 3 months of average
        monthly invoicing, rounded down to $1,000.00"."""
        self.ensure_one()
        if self.credit_limit_rule == credit.MONTHS:
            months = self.credit_limit_months
            # "3 months", "1.5 months": no decimals that say nothing.
            digits = next(d for d in (0, 1, 2) if round(months, d) == round(months, 2))
            text = self.env._(
                "%(tier)s: %(months)s months of average monthly invoicing",
                tier=self.name,
                months=formatLang(self.env, months, digits=digits),
            )
        elif self.credit_limit_rule == credit.FIXED:
            text = self.env._(
                "%(tier)s: a fixed limit of %(amount)s",
                tier=self.name,
                amount=self.currency_id.format(self.credit_limit_amount),
            )
        else:
            return self.env._("%(tier)s: no credit limit suggested", tier=self.name)
        if not self.currency_id.is_zero(self.credit_limit_rounding):
            text = self.env._(
                "%(rule)s, rounded down to %(step)s",
                rule=text,
                step=self.currency_id.format(self.credit_limit_rounding),
            )
        return text

    @api.model
    def _service_tiers(self, company):
        """The company's tiers as :class:`~..services.profile.Tier`."""
        return [
            profile.Tier(
                tier_id=tier.id,
                sequence=tier.sequence,
                min_tenure_months=tier.min_tenure_months,
                min_on_time_ratio=tier.min_on_time_ratio,
                min_revenue=tier.min_revenue,
                max_avg_days_late=tier.max_avg_days_late,
                min_paid_count=tier.min_paid_count,
                no_broken=tier.no_broken_agreement,
            )
            for tier in self.search([("company_id", "=", company.id)])
        ]

    def action_view_partners(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.res_partner_action_customer"
        )
        action["domain"] = [("debt_tier_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Profiles (called by the collection run)
    # ------------------------------------------------------------------

    @api.model
    def action_refresh_profiles(self):
        """Refresh profiles and tiers of the current company now, then thank and
        reward as the daily run would (managers' button, demo data)."""
        if not (
            self.env.is_superuser()
            or self.env.user.has_group("debt_relations.group_debt_manager")
        ):
            raise UserError(
                self.env._("Only collection managers can refresh the profiles.")
            )
        company = self.env.company
        today = fields.Date.context_today(self)
        figures, previous = self._refresh_profiles(company, today)
        self.env["debt.incentive.rule"]._run_incentives(
            company, today, figures, previous
        )
        # The forecast's rows show the tiers.
        self.env["debt.cashin.forecast"]._refresh(company, today)
        return True

    @api.model
    def _refresh_profiles(self, company, as_of):
        """Refresh the profile and tier of every customer of ``company``.

        Set-based: one query for every customer's figures, one for their stored
        profiles, then per batch of :data:`PROFILE_BATCH` customers one query
        for the agreements, one upsert of the profiles that changed
        (``debt.partner.profile``), one batch of chatter notes for the tier
        changes.

        :returns: partner id -> :class:`~..services.profile.Figures`, and
            partner id -> its stored profile before the refresh (values of
            :data:`~.debt_partner_profile.RUN_FIELDS`; absent for a customer
            never profiled)
        """
        Move = self.env["account.move"]
        Move.flush_model(
            [
                "commercial_partner_id",
                "company_id",
                "move_type",
                "state",
                "invoice_date",
                "payment_state",
                "amount_untaxed_signed",
            ]
        )
        self.env["account.move.line"].flush_model(
            [
                "move_id",
                "display_type",
                "date_maturity",
                "reconciled",
                "amount_residual",
            ]
        )
        self.env["account.partial.reconcile"].flush_model(
            ["debit_move_id", "max_date", "amount", "company_id"]
        )
        tiers = self._service_tiers(company)
        # Every customer's figures in one query, and every stored profile in
        # another, handled per batch: PostgreSQL reads the ledger and the
        # profiles once, in order, where a query per batch would look each
        # batch up again, slower per customer the larger the ledger.
        with fastpath.large_query(self.env):
            rows = sorted(self.env.execute_query(self._profile_query(company, as_of)))
        stored = self.env["debt.partner.profile"].sudo()._read_stored(company)
        figures, previous = {}, {}
        for batch in split_every(PROFILE_BATCH, rows, list):
            batch_figures, batch_previous = self._profile_batch(
                company, as_of, batch, tiers, stored
            )
            figures.update(batch_figures)
            previous.update(batch_previous)
        # sudo: the date of the refresh is the run's bookkeeping, like the figures.
        company.sudo().debt_profile_date = as_of
        return figures, previous

    @api.model
    def _profile_batch(self, company, as_of, rows, tiers, stored):
        """Refresh the profiles of the customers of ``rows``.

        :param rows: their rows of :meth:`_profile_query`
        :param stored: partner id -> stored profile, of these customers or
            more (:meth:`~.debt_partner_profile.DebtPartnerProfile._read_stored`)
        """
        Profile = self.env["debt.partner.profile"].sudo()
        partner_ids = [row[0] for row in rows]
        agreements = self._agreement_counts(company, partner_ids)
        broken_12m = self._broken_counts(company, as_of, partner_ids)
        figures, previous, updates, changes = {}, {}, {}, {}
        for pid, since, revenue, paid, on_time, avg_late, overdue in rows:
            kept, broken, disputes = agreements.get(pid, (0, 0, 0))
            facts = profile.Figures(
                partner_id=pid,
                customer_since=since,
                revenue_12m=revenue or 0.0,
                paid_count=paid or 0,
                on_time_count=on_time or 0,
                avg_days_late=float(avg_late or 0.0),
                overdue_amount=overdue or 0.0,
                promises_kept=kept,
                promises_broken=broken,
                disputes=disputes,
                broken_12m=broken_12m.get(pid, 0),
            )
            figures[pid] = facts
            before = stored.get(pid) or {}
            if pid in stored:
                previous[pid] = before
            tier_id = profile.choose_tier(facts, tiers, as_of)
            reason = self._reason_text(facts, as_of)
            values = _profile_values(facts, tier_id, reason)
            # Most profiles do not change from one day to the next: write only
            # those that did.
            if values != {name: before.get(name) for name in FIGURE_FIELDS}:
                updates[pid] = values
            # A customer profiled for the first time has no tier to change
            # from: thousands of them on the first run, none worth a note.
            profiled = any(before.get(name) is not None for name in FIGURE_FIELDS)
            if profiled and tier_id != before.get("tier_id"):
                changes[pid] = (before.get("tier_id"), tier_id, reason)
        Profile._upsert(company, updates)
        self._log_tier_changes(changes)
        self._review_credit_drops(company, as_of, changes, tiers)
        return figures, previous

    @api.model
    def _profile_query(self, company, as_of):
        """One row per customer of ``company`` (a commercial partner with a
        posted customer invoice): since, revenue 12m, paid, on time, average
        days late, overdue as of the date.

        Overdue as of the date: today's residual plus what was reconciled after
        that date (a run simulated for a past day sees the balance of that day).

        An invoice is paid when all its receivable lines are reconciled; it was
        paid on the date of its last reconciliation (``max_date``), on time
        when that date is not after its last due date.

        The ledger is read in one pass: the reconciliations are summed once per
        receivable line and joined, and ``inv`` is not materialised, so that
        PostgreSQL estimates its rows from the table's statistics and joins
        the lines by hash or merge (a materialised one, estimated at a few
        thousand rows, is looked up invoice by invoice).
        """
        return SQL(
            """
            WITH inv AS NOT MATERIALIZED (
                SELECT m.id, m.commercial_partner_id AS partner_id, m.move_type,
                       m.invoice_date, m.payment_state, m.amount_untaxed_signed
                  FROM account_move m
                 WHERE m.company_id = %(company)s
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND m.state = 'posted'
                   AND m.commercial_partner_id IS NOT NULL
                   AND m.invoice_date <= %(as_of)s
            ), terms AS (
                SELECT l.move_id, MAX(l.date_maturity) AS due,
                       BOOL_AND(l.reconciled) AS reconciled,
                       SUM(l.amount_residual + COALESCE(r.paid_later, 0)) FILTER (
                           WHERE l.date_maturity < %(as_of)s) AS overdue,
                       MAX(r.paid_date) AS paid_date
                  FROM account_move_line l
                  JOIN inv ON inv.id = l.move_id AND inv.move_type = 'out_invoice'
             LEFT JOIN (
                        SELECT apr.debit_move_id, MAX(apr.max_date) AS paid_date,
                               SUM(apr.amount) FILTER (
                                   WHERE apr.max_date > %(as_of)s) AS paid_later
                          FROM account_partial_reconcile apr
                         WHERE apr.company_id = %(company)s
                      GROUP BY apr.debit_move_id
                       ) r ON r.debit_move_id = l.id
                 WHERE l.display_type = 'payment_term'
              GROUP BY l.move_id
            ), history AS (
                SELECT partner_id,
                       MIN(invoice_date) FILTER (
                           WHERE move_type = 'out_invoice') AS since,
                       SUM(amount_untaxed_signed) FILTER (
                           WHERE invoice_date > %(year_ago)s) AS revenue
                  FROM inv
              GROUP BY partner_id
            ), paid AS (
                SELECT inv.partner_id,
                       COUNT(*) AS paid,
                       COUNT(*) FILTER (WHERE t.paid_date <= t.due) AS on_time,
                       AVG(GREATEST(t.paid_date - t.due, 0)) AS avg_late
                  FROM terms t
                  JOIN inv ON inv.id = t.move_id
                 WHERE t.reconciled AND t.paid_date <= %(as_of)s
                   AND inv.payment_state IN ('paid', 'in_payment')
              GROUP BY inv.partner_id
            ), overdue AS (
                SELECT inv.partner_id, SUM(t.overdue) AS amount
                  FROM terms t
                  JOIN inv ON inv.id = t.move_id
                 WHERE inv.payment_state NOT IN ('reversed', 'blocked')
              GROUP BY inv.partner_id
            )
            SELECT p.id, h.since, h.revenue, pd.paid, pd.on_time, pd.avg_late,
                   o.amount
              FROM (SELECT DISTINCT commercial_partner_id AS id FROM account_move
                     WHERE company_id = %(company)s AND move_type = 'out_invoice'
                       AND state = 'posted' AND commercial_partner_id IS NOT NULL) p
         LEFT JOIN history h ON h.partner_id = p.id
         LEFT JOIN paid pd ON pd.partner_id = p.id
         LEFT JOIN overdue o ON o.partner_id = p.id
            """,
            company=company.id,
            as_of=as_of,
            year_ago=fields.Date.subtract(as_of, years=1),
        )

    @api.model
    def _agreement_counts(self, company, partner_ids):
        """Partner id -> (promises kept, promises broken, disputes)."""
        counts = {}
        if "debt.promise" in self.env:
            for partner, state, count in self.env["debt.promise"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "in", partner_ids),
                    ("state", "in", ("kept", "broken")),
                ],
                ["partner_id", "state"],
                ["__count"],
            ):
                kept, broken, disputes = counts.get(partner.id, (0, 0, 0))
                if state == "kept":
                    kept = count
                else:
                    broken = count
                counts[partner.id] = (kept, broken, disputes)
        if "debt.dispute" in self.env:
            for partner, count in self.env["debt.dispute"]._read_group(
                [("company_id", "=", company.id), ("partner_id", "in", partner_ids)],
                ["partner_id"],
                ["__count"],
            ):
                kept, broken, _disputes = counts.get(partner.id, (0, 0, 0))
                counts[partner.id] = (kept, broken, count)
        return counts

    @api.model
    def _broken_counts(self, company, as_of, partner_ids):
        """Partner id -> payment plans and promises it broke in the 12 months
        up to ``as_of``."""
        since = fields.Date.subtract(as_of, years=1)
        counts = {}
        for model in ("debt.payment.plan", "debt.promise"):
            Agreement = self.env[model]
            broken = Agreement._debt_broken_date
            for partner, count in Agreement._read_group(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "in", partner_ids),
                    ("state", "=", "broken"),
                    (broken, ">", since),
                    (broken, "<=", as_of),
                ],
                ["partner_id"],
                ["__count"],
            ):
                counts[partner.id] = counts.get(partner.id, 0) + count
        return counts

    @api.model
    def _reason_text(self, facts, as_of):
        """The tier's reason in plain words, e.g. "Paid 23 of 24 invoices on time
        over 4 years"."""
        parts = profile.reason(facts, as_of)
        if parts["kind"] == profile.NEW:
            text = self.env._("New customer: no invoice paid yet")
        elif parts["kind"] == profile.BROKEN:
            text = self.env._("No invoice paid yet")
        else:
            if parts["years"]:
                tenure = self.env._("%(years)s year(s)", years=parts["years"])
            else:
                tenure = self.env._("%(months)s month(s)", months=parts["months"])
            text = self.env._(
                "Paid %(on_time)s of %(paid)s invoices on time over %(tenure)s",
                on_time=parts["on_time"],
                paid=parts["paid"],
                tenure=tenure,
            )
            if parts["avg_days_late"]:
                text = self.env._(
                    "%(text)s, %(days)s days late on average",
                    text=text,
                    days=parts["avg_days_late"],
                )
        extras = []
        if facts.promises_kept or facts.promises_broken:
            extras.append(
                self.env._(
                    "promises kept %(kept)s, broken %(broken)s",
                    kept=facts.promises_kept,
                    broken=facts.promises_broken,
                )
            )
        if facts.disputes:
            extras.append(self.env._("%(count)s dispute(s)", count=facts.disputes))
        if facts.broken_12m:
            extras.append(
                self.env._(
                    "%(count)s plan(s) or promise(s) broken in 12 months",
                    count=facts.broken_12m,
                )
            )
        if extras:
            text = "%s (%s)" % (text, ", ".join(extras))
        return text

    @api.model
    def _log_tier_changes(self, changes):
        """A note on the chatter of each customer whose tier changed."""
        if not changes:
            return
        tiers = self.browse(
            {tid for old, new, _r in changes.values() for tid in (old, new) if tid}
        ).exists()
        names = {tier.id: tier.name for tier in tiers}
        none = self.env._("none")
        self.env["res.partner"].browse(list(changes))._message_log_batch(
            {
                pid: self.env._(
                    "Relationship tier: %(old)s → %(new)s. %(reason)s.",
                    old=names.get(old, none),
                    new=names.get(new, none),
                    reason=reason,
                )
                for pid, (old, new, reason) in changes.items()
            }
        )

    @api.model
    def _review_credit_drops(self, company, as_of, changes, tiers):
        """A credit limit review for each customer of ``changes`` (partner id
        -> (old tier id, new tier id, reason)) that dropped a tier: later in
        the tiers' order, or none met any more."""
        ranks = {tier.tier_id: (tier.sequence, tier.tier_id) for tier in tiers}
        dropped = {
            pid: (old, new)
            for pid, (old, new, _reason) in changes.items()
            if credit.tier_dropped(old, new, ranks)
        }
        if not dropped:
            return
        names = {
            tier.id: tier.name
            for tier in self.browse(
                {tid for pair in dropped.values() for tid in pair if tid}
            )
        }
        none = self.env._("none")
        self.env["res.partner"]._debt_credit_review(
            company,
            as_of,
            {
                pid: self.env._(
                    "Relationship tier dropped: %(old)s → %(new)s.",
                    old=names.get(old, none),
                    new=names.get(new, none),
                )
                for pid, (old, new) in dropped.items()
            },
        )
