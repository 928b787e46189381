from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, split_every

from ..services import incentives
from .debt_relationship_tier import PROFILE_BATCH
from .debt_sender import COURTESY, Contact

KINDS = [
    (incentives.THANKS, "Thank-you message"),
    (incentives.PAYMENT_TERM, "Early-payment discount terms"),
    (incentives.CREDIT, "One-off credit"),
    (incentives.RECOGNITION, "Recognition"),
]


class DebtIncentiveRule(models.Model):
    """How customers who pay on time are thanked and rewarded."""

    _name = "debt.incentive.rule"
    _description = "Incentive Rule"
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
    kind = fields.Selection(KINDS, required=True, default=incentives.THANKS)
    interval_days = fields.Integer(
        string="At Most One Every (days)",
        default=30,
        help="Thank-you: a customer is thanked at most once in this many days.",
    )
    streak_length = fields.Integer(
        string="Invoices Paid on Time in a Row",
        default=6,
        help="Rewards: granted after this many invoices paid on time in a row.",
    )
    tolerance_days = fields.Integer(
        string="Tolerance (days)",
        help="An invoice paid this many days late still counts as on time; "
        "later, it ends the streak.",
    )
    renewal = fields.Selection(
        [
            (incentives.MONTH, "First day of next month"),
            (incentives.QUARTER, "First day of next quarter"),
            (incentives.YEAR, "First day of next year"),
        ],
        default=incentives.MONTH,
        required=True,
        help="Payment terms granted as a reward end on this date once the streak "
        "is lost, never sooner.",
    )
    payment_term_id = fields.Many2one(
        "account.payment.term",
        string="Payment Terms Granted",
        check_company=True,
        domain="[('early_discount', '=', True)]",
        help="Payment terms with an early-payment discount set on the customer.",
    )
    credit_amount = fields.Monetary(
        currency_field="currency_id",
        help="Amount of the draft credit note prepared for review.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Message",
        domain="[('model', '=', 'res.partner')]",
        help="Sent to the customer when thanked or rewarded.",
    )
    reward_count = fields.Integer(compute="_compute_reward_count")

    @api.depends("kind")
    def _compute_reward_count(self):
        counts = dict(
            self.env["debt.reward"]._read_group(
                [("rule_id", "in", self.ids)], ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.reward_count = counts.get(rule, 0)

    @api.constrains("kind", "payment_term_id", "credit_amount", "streak_length")
    def _check_kind_settings(self):
        for rule in self:
            if rule.kind == incentives.PAYMENT_TERM and not (
                rule.payment_term_id.early_discount
            ):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s grants payment terms: choose terms with an "
                        "early-payment discount.",
                        rule=rule.name,
                    )
                )
            if (
                rule.kind == incentives.CREDIT
                and rule.currency_id.compare_amounts(rule.credit_amount, 0.0) <= 0
            ):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s grants a credit: set its amount.",
                        rule=rule.name,
                    )
                )
            if rule.kind in incentives.REWARD_KINDS and rule.streak_length <= 0:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s rewards a streak: set how many invoices paid "
                        "on time in a row it takes.",
                        rule=rule.name,
                    )
                )

    def _service_rule(self):
        self.ensure_one()
        return incentives.Rule(
            rule_id=self.id,
            kind=self.kind,
            streak_length=self.streak_length,
            tolerance_days=self.tolerance_days,
            renewal=self.renewal,
        )

    # ------------------------------------------------------------------
    # Run (called by the collection run, after the profiles are refreshed)
    # ------------------------------------------------------------------

    @api.model
    def _run_incentives(self, company, as_of, figures, previous):
        """Thank and reward the customers of ``company`` as of ``as_of``.

        :param dict figures: partner id -> profile figures, just refreshed
        :param dict previous: partner id -> stored profile before the refresh
        """
        rules = self.search([("company_id", "=", company.id)])
        if not rules or not figures:
            return
        currency = company.currency_id
        streak_max = max(rules.mapped("streak_length") or [0])
        candidates = [pid for pid, facts in figures.items() if facts.paid_count]
        payments = self._payments(company, as_of, candidates, streak_max + 5)
        # Rewards first: their announcement thanks the customer already, and
        # a customer is thanked at most once a day.
        reward_rules = rules.filtered(lambda r: r.kind in incentives.REWARD_KINDS)
        if reward_rules:
            self._decide_rewards(company, as_of, reward_rules, payments)
        thanks_rule = rules.filtered(lambda r: r.kind == incentives.THANKS)[:1]
        if not thanks_rule:
            return
        since = self._previous_run_date(company, as_of)
        to_thank = []
        for pid, facts in figures.items():
            before = previous.get(pid) or {}
            on_time_before = before.get("on_time_count")
            if currency.is_zero(facts.overdue_amount) and incentives.should_thank(
                payments.get(pid, []),
                since,
                not currency.is_zero(before.get("overdue_amount") or 0.0),
                # The refresh writes the figures only: the stored day of the
                # last thank-you is still the one read before it.
                before.get("thanked_on"),
                thanks_rule.interval_days,
                as_of,
                new_on_time=on_time_before is not None
                and facts.on_time_count > on_time_before,
                profiled_before=on_time_before is not None,
            ):
                to_thank.append(pid)
        if to_thank and thanks_rule.mail_template_id:
            partners = self.env["res.partner"].browse(to_thank)
            # Thanked today already (a reward, a kept promise, a completed
            # plan, or this day's run made before): no second thank-you.
            thanked_today = self._courtesy_mailed(company, partners, as_of)
            self._send_courtesy(
                thanks_rule.mail_template_id, partners - thanked_today, as_of
            )
            # sudo: thanking is the run's bookkeeping, not an edit by the user.
            self.env["debt.partner.profile"].sudo()._upsert(
                company, {pid: {"thanked_on": as_of} for pid in to_thank}
            )

    @api.model
    def _decide_rewards(self, company, as_of, rules, payments):
        Reward = self.env["debt.reward"]
        granted = Reward.search(
            [("company_id", "=", company.id), ("state", "=", "granted")]
        )
        current = {}
        for reward in granted:
            current.setdefault(reward.partner_id.id, []).append(
                incentives.Reward(
                    reward_id=reward.id,
                    rule_id=reward.rule_id.id,
                    date=reward.date,
                    revoke_date=reward.revoke_date,
                )
            )
        last_grants = {}
        for partner, rule, day in Reward._read_group(
            [("company_id", "=", company.id)], ["partner_id", "rule_id"], ["date:max"]
        ):
            last_grants.setdefault(partner.id, {})[rule.id] = day
        pure_rules = [rule._service_rule() for rule in rules]
        grants, schedules, revokes = {}, {}, []
        for pid in sorted(set(payments) | set(current)):
            decision = incentives.decide_rewards(
                pid,
                payments.get(pid, []),
                pure_rules,
                current.get(pid, []),
                last_grants.get(pid, {}),
                as_of,
            )
            for rule_id in decision.grant:
                grants.setdefault(rule_id, []).append(pid)
            for reward_id, day in decision.schedule_revoke.items():
                schedules.setdefault(day, []).append(reward_id)
            revokes += decision.revoke
        if revokes:
            Reward.browse(revokes)._revoke(as_of)
        for day, reward_ids in schedules.items():
            Reward.browse(reward_ids)._schedule_revoke(day, as_of)
        new_rewards = Reward
        for rule in rules:
            if grants.get(rule.id):
                new_rewards |= Reward._grant(
                    rule,
                    self.env["res.partner"].browse(grants[rule.id]),
                    as_of,
                    announce=False,
                )
        # One message per customer, however many rules rewarded it today.
        new_rewards._announce()

    @api.model
    def _payments(self, company, as_of, partner_ids, limit):
        """Partner id -> :class:`~..services.incentives.Payment` of its ``limit``
        invoices paid last (fully reconciled by ``as_of``)."""
        payments = {}
        for batch in split_every(PROFILE_BATCH, partner_ids, list):
            for pid, move_id, paid_date, days_late in self._payment_rows(
                company, as_of, batch, limit
            ):
                payments.setdefault(pid, []).append(
                    incentives.Payment(move_id, paid_date, days_late)
                )
        return payments

    @api.model
    def _payment_rows(self, company, as_of, partner_ids, limit):
        return self.env.execute_query(
            SQL(
                """
            SELECT partner_id, move_id, paid_date, days_late FROM (
                SELECT t.partner_id, t.move_id, t.paid_date,
                       t.paid_date - t.due AS days_late,
                       ROW_NUMBER() OVER (
                           PARTITION BY t.partner_id
                           ORDER BY t.paid_date DESC, t.move_id DESC
                       ) AS rank
                  FROM (
                    SELECT m.commercial_partner_id AS partner_id, l.move_id,
                           MAX(l.date_maturity) AS due,
                           BOOL_AND(l.reconciled) AS reconciled,
                           MAX(r.paid_date) AS paid_date
                      FROM account_move m
                      JOIN account_move_line l
                        ON l.move_id = m.id AND l.display_type = 'payment_term'
                 LEFT JOIN LATERAL (
                            SELECT MAX(apr.max_date) AS paid_date
                              FROM account_partial_reconcile apr
                             WHERE apr.debit_move_id = l.id
                           ) r ON TRUE
                     WHERE m.company_id = %(company)s
                       AND m.move_type = 'out_invoice'
                       AND m.state = 'posted'
                       AND m.payment_state IN ('paid', 'in_payment')
                       AND m.commercial_partner_id = ANY(%(ids)s)
                  GROUP BY m.commercial_partner_id, l.move_id
                  ) t
                 WHERE t.reconciled AND t.paid_date <= %(as_of)s
            ) ranked
             WHERE rank <= %(limit)s
                """,
                company=company.id,
                ids=list(partner_ids),
                as_of=as_of,
                limit=limit,
            )
        )

    @api.model
    def _previous_run_date(self, company, as_of):
        previous = self.env["debt.collection.run"].search(
            [("company_id", "=", company.id), ("date", "<", as_of)],
            order="date desc",
            limit=1,
        )
        return previous.date or fields.Date.subtract(as_of, days=1)

    @api.model
    def _courtesy_mailed(self, company, partners, as_of):
        """Those of ``partners`` who had a courtesy mail (thanks, reward,
        kept promise, completed plan) on ``as_of``."""
        return self.env["res.partner"].browse(
            [
                partner.id
                for [partner] in self.env["debt.contact.log"]._read_group(
                    [
                        ("company_id", "=", company.id),
                        ("partner_id", "in", partners.ids),
                        ("date", "=", as_of),
                        ("courtesy", "=", True),
                        ("channel", "=", "email"),
                        ("direction", "=", "outbound"),
                    ],
                    ["partner_id"],
                )
            ]
        )

    @api.model
    def _send_courtesy(self, template, partners, as_of):
        """Mail ``template`` to ``partners`` through the sending pipeline
        (``debt.sender``), logged as a courtesy contact.

        A courtesy contact (thank-you, reward notice) is not a collection
        contact: it does not delay the next reminder.
        """
        # Thanks and reward notices respect "do not contact"; the pipeline
        # writes only to customers with an address to write to.
        partners = partners.filtered(lambda p: not p.debt_do_not_contact)
        self.env["debt.sender"]._debt_send(
            [
                Contact(partner, COURTESY, partner, template=template, date=as_of)
                for partner in partners
            ]
        )
