from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL, sql

from ..services import worklist as worklist_service

TODAY_SETTING = "debt_relations.worklist_today"
"""The PostgreSQL setting that tells the view which day is today: the
reader's own day (their time zone), set before each read; the database's
date when unset."""

OPEN_DUE_INDEX = "debt_worklist_open_due_index"
"""Open receivable instalments (due lines) by customer, company and due date."""

REPLY_INDEX = "debt_worklist_mail_message_email_index"
"""Emails in the chatter by date: what the worklist's replies are read from."""

ID_FACTOR = 100000
"""A row's id: its customer's id x this + its company's id (stable while the
row is listed, so that a button pressed on it finds it again)."""


class DebtWorklist(models.Model):
    """My collections today: one row per customer and company that needs a
    person, with every reason why, ordered by priority.

    A read-only SQL view (``init``). Each reason is one ``SELECT partner_id,
    company_id, code`` returned by a method ``_worklist_reason_<code>``
    (see :meth:`_worklist_reason_queries`): another model adds a reason by
    defining its method (e.g. the hand-off's, on ``debt.worklist``), and the
    view is made again when the addon is updated.

    The priority is :func:`services.worklist.priority` in SQL:
    ``ROUND(GREATEST(overdue, 0) * GREATEST(days, 0) * COALESCE(weight, 1), 2)``
    with ``overdue`` the sum of the customer's open receivable due lines
    (unreconciled, posted, positive: its invoices' instalments) due before
    today, in company currency; ``days`` the age of the oldest of them; and
    ``weight`` the customer's relationship tier's worklist weight. Invoices
    excluded from reminders, or whose payment is blocked, still count: the
    money is overdue all the same.

    "Today" is the reader's day: each read sets :data:`TODAY_SETTING`.

    A reason is "handled" by a person's contact: an outbound entry of the
    contact log made by hand (no reminder, no message sent by the run, not a
    courtesy) dated on or after the day the reason arose.
    """

    _name = "debt.worklist"
    _description = "Collections Worklist"
    _auto = False
    _order = "priority desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        readonly=True,
        help="The customer's collector in this company, else its salesperson.",
    )
    priority = fields.Float(
        readonly=True,
        digits=(16, 2),
        aggregator="max",
        help="Overdue amount x days overdue x the tier's worklist weight.",
    )
    reason_codes = fields.Char(
        readonly=True,
        help="Every reason the customer is listed, as codes: "
        + " ".join(worklist_service.REASON_CODES),
    )
    reasons = fields.Char(string="Why", compute="_compute_reasons")
    overdue_amount = fields.Monetary(
        string="Overdue", readonly=True, currency_field="currency_id"
    )
    days_overdue = fields.Integer(readonly=True)
    tier_id = fields.Many2one(
        "debt.relationship.tier", string="Relationship Tier", readonly=True
    )
    tier_weight = fields.Float(string="Weight", readonly=True, digits=(16, 2))
    priority_explained = fields.Char(
        string="Priority, in Words", compute="_compute_priority_explained"
    )
    action_id = fields.Many2one(
        "debt.action",
        string="Action to Review",
        compute="_compute_waiting",
        help="The prepared reminder waiting for review, if any.",
    )
    request_count = fields.Integer(string="Portal Requests", compute="_compute_waiting")
    in_my_team = fields.Boolean(
        string="My Team",
        compute="_compute_in_my_team",
        search="_search_in_my_team",
        help="The customer's collector is the reader or one of his collection "
        "teammates (Configuration > Collection Teams).",
    )

    # ------------------------------------------------------------------
    # Reasons in words, priority in words
    # ------------------------------------------------------------------

    @api.model
    def _reason_labels(self):
        """Code -> the reason in words, in the reader's language."""
        return {
            "call": self.env._("Call due"),
            "review": self.env._("Action to review"),
            "plan_at_risk": self.env._("Plan at risk"),
            "plan_broken": self.env._("Plan broken"),
            "promise_due": self.env._("Promise due"),
            "promise_broken": self.env._("Promise broken"),
            "dispute_late": self.env._("Dispute past its target date"),
            "payment_claim": self.env._("Payment claim to check"),
            "portal_request": self.env._("Request from the portal"),
            "reply": self.env._("Customer replied"),
            "handoff": self.env._("Hand-off waiting"),
            "mail_failed": self.env._("Email failed"),
        }

    @api.depends("reason_codes")
    def _compute_reasons(self):
        labels = self._reason_labels()
        for row in self:
            row.reasons = ", ".join(
                labels[code] for code in worklist_service.split_codes(row.reason_codes)
            )

    @api.depends("overdue_amount", "days_overdue", "tier_id", "tier_weight")
    def _compute_priority_explained(self):
        for row in self:
            found = worklist_service.priority(
                row.overdue_amount, row.days_overdue, row.tier_weight
            )
            amount = tools.format_amount(self.env, found.overdue, row.currency_id)
            # Outside the translated call: the terms' extractor reads its
            # arguments and cannot read an f-string.
            weight = f"{found.weight:g}"
            if row.tier_id:
                row.priority_explained = self.env._(
                    "%(amount)s overdue × %(days)s days × %(weight)s (%(tier)s)",
                    amount=amount,
                    days=found.days,
                    weight=weight,
                    tier=row.tier_id.name,
                )
            else:
                row.priority_explained = self.env._(
                    "%(amount)s overdue × %(days)s days (no tier)",
                    amount=amount,
                    days=found.days,
                )

    def _compute_in_my_team(self):
        team = self.env["debt.team"]._teammates(self.env.user)
        for row in self:
            row.in_my_team = row.user_id in team

    def _search_in_my_team(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        team = self.env["debt.team"]._teammates(self.env.user)
        positive = (operator == "=") == value
        return [("user_id", "in" if positive else "not in", team.ids)]

    def _compute_waiting(self):
        Action = self.env["debt.action"]
        for row in self:
            row.action_id = Action.search(
                [
                    ("partner_id", "=", row.partner_id.id),
                    ("company_id", "=", row.company_id.id),
                    ("state", "=", "to_review"),
                ],
                order="id desc",
                limit=1,
            )
            row.request_count = len(row._portal_requests())

    # ------------------------------------------------------------------
    # The view
    # ------------------------------------------------------------------

    @api.model
    def _worklist_today(self):
        """SQL: today, as the reader's day (see :data:`TODAY_SETTING`)."""
        return SQL("(SELECT day FROM worklist_today)")

    @api.model
    def _worklist_contacted_since(self, partner, company, day):
        """SQL: a person contacted ``partner`` for ``company`` on or after
        ``day`` (SQL expressions): an outbound entry logged by hand."""
        return SQL(
            """EXISTS (
                SELECT 1 FROM debt_contact_log cl
                 WHERE cl.partner_id = %(partner)s
                   AND cl.company_id = %(company)s
                   AND cl.date >= %(day)s
                   AND cl.direction = 'outbound'
                   AND cl.action_id IS NULL
                   AND cl.message_id IS NULL
                   AND NOT COALESCE(cl.courtesy, FALSE))""",
            partner=partner,
            company=company,
            day=day,
        )

    @api.model
    def _worklist_reason_queries(self):
        """One SQL ``SELECT partner_id, company_id, code`` per reason, from the
        methods ``_worklist_reason_<code>`` (a method returning None adds
        nothing). ``partner_id`` may be a contact: rows are its commercial
        partner's."""
        queries = []
        for code in worklist_service.REASON_CODES:
            method = getattr(self, f"_worklist_reason_{code}", None)
            query = method() if method else None
            if query is not None:
                queries.append(query)
        return queries

    def _worklist_reason_call(self):
        # A call activity is on the customer, which has no company: the
        # company of the customer's profile the assignee works in, else the
        # assignee's own.
        return SQL(
            """
            SELECT a.res_id AS partner_id,
                   COALESCE(pr.company_id, u.company_id) AS company_id,
                   'call' AS code
              FROM mail_activity a
              JOIN res_users u ON u.id = a.user_id
         LEFT JOIN debt_partner_profile pr
                ON pr.partner_id = a.res_id
               AND EXISTS (SELECT 1 FROM res_company_users_rel r
                            WHERE r.user_id = a.user_id AND r.cid = pr.company_id)
             WHERE a.res_model = 'res.partner'
               AND a.active
               AND a.date_deadline <= %(today)s
               AND a.activity_type_id IN (
                   SELECT res_id FROM ir_model_data
                    WHERE module = 'debt_relations'
                      AND name = 'mail_activity_type_debt_call')
            """,
            today=self._worklist_today(),
        )

    def _worklist_reason_review(self):
        return SQL(
            "SELECT partner_id, company_id, 'review' AS code "
            "FROM debt_action WHERE state = 'to_review'"
        )

    def _worklist_reason_plan_at_risk(self):
        # Handled by a call since its oldest late instalment fell due.
        return SQL(
            """
            SELECT pl.partner_id, pl.company_id, 'plan_at_risk' AS code
              FROM debt_payment_plan pl
             WHERE pl.state = 'active' AND pl.at_risk
               AND NOT %(contacted)s
            """,
            contacted=self._worklist_contacted_since(
                SQL("pl.partner_id"),
                SQL("pl.company_id"),
                SQL(
                    "COALESCE((SELECT MIN(i.date_due) "
                    "FROM debt_payment_plan_installment i "
                    "WHERE i.plan_id = pl.id AND i.state = 'late'), %s)",
                    self._worklist_today(),
                ),
            ),
        )

    def _worklist_reason_plan_broken(self):
        return SQL(
            """
            SELECT pl.partner_id, pl.company_id, 'plan_broken' AS code
              FROM debt_payment_plan pl
             WHERE pl.state = 'broken'
               AND pl.date_broken >= %(today)s - %(recent)s
               AND NOT %(contacted)s
            """,
            today=self._worklist_today(),
            recent=worklist_service.RECENT_DAYS,
            contacted=self._worklist_contacted_since(
                SQL("pl.partner_id"), SQL("pl.company_id"), SQL("pl.date_broken")
            ),
        )

    def _worklist_reason_promise_due(self):
        return SQL(
            """
            SELECT pm.partner_id, pm.company_id, 'promise_due' AS code
              FROM debt_promise pm
             WHERE pm.state = 'open'
               AND pm.date_promised <= %(today)s
               AND NOT %(contacted)s
            """,
            today=self._worklist_today(),
            contacted=self._worklist_contacted_since(
                SQL("pm.partner_id"), SQL("pm.company_id"), SQL("pm.date_promised")
            ),
        )

    def _worklist_reason_promise_broken(self):
        return SQL(
            """
            SELECT pm.partner_id, pm.company_id, 'promise_broken' AS code
              FROM debt_promise pm
             WHERE pm.state = 'broken'
               AND pm.date_done >= %(today)s - %(recent)s
               AND NOT %(contacted)s
            """,
            today=self._worklist_today(),
            recent=worklist_service.RECENT_DAYS,
            contacted=self._worklist_contacted_since(
                SQL("pm.partner_id"), SQL("pm.company_id"), SQL("pm.date_done")
            ),
        )

    def _worklist_reason_dispute_late(self):
        return SQL(
            """
            SELECT d.partner_id, d.company_id, 'dispute_late' AS code
              FROM debt_dispute d
              JOIN res_company c ON c.id = d.company_id
             WHERE d.state = 'open'
               AND c.debt_dispute_target_days > 0
               AND d.date + c.debt_dispute_target_days < %(today)s
            """,
            today=self._worklist_today(),
        )

    def _worklist_reason_payment_claim(self):
        return SQL(
            "SELECT partner_id, company_id, 'payment_claim' AS code "
            "FROM debt_portal_claim WHERE state = 'checking'"
        )

    def _worklist_reason_portal_request(self):
        return SQL(
            """
            SELECT partner_id, company_id, 'portal_request' AS code
              FROM debt_portal_plan_request WHERE state = 'waiting'
             UNION ALL
            SELECT partner_id, company_id, 'portal_request' AS code
              FROM debt_portal_pause WHERE state = 'requested'
            """
        )

    def _worklist_reason_reply(self):
        # An email of the customer's people on the customer or one of its
        # invoices, in the last days, not yet answered by a person's contact.
        return SQL(
            """
            SELECT a.commercial_partner_id AS partner_id,
                   COALESCE(m.company_id, pr.company_id) AS company_id,
                   'reply' AS code
              FROM mail_message mm
              JOIN res_partner a ON a.id = mm.author_id
         LEFT JOIN account_move m
                ON mm.model = 'account.move' AND m.id = mm.res_id
               AND m.commercial_partner_id = a.commercial_partner_id
               AND m.move_type = 'out_invoice'
         LEFT JOIN res_partner rp
                ON mm.model = 'res.partner' AND rp.id = mm.res_id
               AND rp.commercial_partner_id = a.commercial_partner_id
         LEFT JOIN debt_partner_profile pr
                ON rp.id IS NOT NULL
               AND pr.partner_id = a.commercial_partner_id
             WHERE mm.message_type = 'email'
               AND mm.model IN ('account.move', 'res.partner')
               AND mm.date >= %(today)s - %(recent)s
               AND (m.id IS NOT NULL OR pr.id IS NOT NULL)
               AND NOT %(contacted)s
            """,
            today=self._worklist_today(),
            recent=worklist_service.RECENT_DAYS,
            contacted=self._worklist_contacted_since(
                SQL("a.commercial_partner_id"),
                SQL("COALESCE(m.company_id, pr.company_id)"),
                SQL("mm.date::date"),
            ),
        )

    def _worklist_reason_handoff(self):
        # A draft hand-off to review and send, one waiting too long for its
        # provider, one with a payment to report: see debt.handoff.
        if not sql.table_exists(self.env.cr, "debt_handoff"):
            return None
        return SQL(
            "SELECT partner_id, company_id, 'handoff' AS code FROM (%s) h",
            self.env["debt.handoff"]._worklist_query(self._worklist_today()),
        )

    def _worklist_reason_mail_failed(self):
        # Until a collector marks the address as fixed on the customer.
        return SQL(
            """
            SELECT DISTINCT cl.partner_id, cl.company_id, 'mail_failed' AS code
              FROM debt_contact_log cl
              JOIN res_partner p ON p.id = cl.partner_id
             WHERE cl.delivery_state = 'failed' AND p.debt_email_failing
            """
        )

    @api.model
    def _worklist_query(self):
        """The view's query (see the class docstring)."""
        reasons = SQL(" UNION ALL ").join(
            SQL("(%s)", query) for query in self._worklist_reason_queries()
        )
        return SQL(
            """
            WITH worklist_today AS (
                SELECT COALESCE(
                    NULLIF(current_setting(%(setting)s, TRUE), '')::date,
                    CURRENT_DATE) AS day
            ), reason AS (
                %(reasons)s
            ), found AS (
                SELECT p.commercial_partner_id AS partner_id, r.company_id, r.code
                  FROM reason r
                  JOIN res_partner p ON p.id = r.partner_id
                 WHERE r.company_id IS NOT NULL
              GROUP BY p.commercial_partner_id, r.company_id, r.code
            ), listed AS (
                SELECT partner_id, company_id,
                       string_agg(code, ' ' ORDER BY
                                  array_position(%(codes)s::text[], code::text))
                           AS reason_codes
                  FROM found
              GROUP BY partner_id, company_id
            )
            SELECT listed.partner_id::bigint * %(factor)s + listed.company_id AS id,
                   listed.partner_id,
                   listed.company_id,
                   %(collector)s AS user_id,
                   listed.reason_codes,
                   pr.tier_id,
                   COALESCE(tier.worklist_weight, 1.0) AS tier_weight,
                   COALESCE(due.overdue, 0) AS overdue_amount,
                   COALESCE(due.days, 0) AS days_overdue,
                   ROUND(GREATEST(COALESCE(due.overdue, 0), 0)
                         * GREATEST(COALESCE(due.days, 0), 0)
                         * COALESCE(tier.worklist_weight, 1.0)::numeric, 2)
                       AS priority
              FROM listed
              JOIN res_partner p ON p.id = listed.partner_id
         LEFT JOIN debt_partner_profile pr
                ON pr.partner_id = listed.partner_id
               AND pr.company_id = listed.company_id
         LEFT JOIN debt_relationship_tier tier ON tier.id = pr.tier_id
         LEFT JOIN LATERAL (
                SELECT SUM(l.amount_residual) AS overdue,
                       (SELECT day FROM worklist_today) - MIN(l.date_maturity)
                           AS days
                  FROM account_move_line l
                 WHERE l.partner_id = listed.partner_id
                   AND l.company_id = listed.company_id
                   AND l.display_type = 'payment_term'
                   AND NOT l.reconciled
                   AND l.parent_state = 'posted'
                   AND l.amount_residual > 0
                   AND l.date_maturity < (SELECT day FROM worklist_today)
                   AND l.account_id = ANY(ARRAY(
                       SELECT id FROM account_account
                        WHERE account_type = 'asset_receivable'))
              ) due ON TRUE
            """,
            setting=TODAY_SETTING,
            reasons=reasons,
            codes=list(worklist_service.REASON_CODES),
            factor=ID_FACTOR,
            collector=self.env["res.partner"]._debt_collector_sql(
                "p", SQL("listed.company_id")
            ),
        )

    def init(self):
        # What each listed customer owes overdue, read from this index alone
        # (a million open invoices: a few lines per listed customer).
        sql.create_index(
            self.env.cr,
            OPEN_DUE_INDEX,
            "account_move_line",
            # The last two only for an index-only scan.
            [
                "partner_id",
                "company_id",
                "date_maturity",
                "amount_residual",
                "account_id",
            ],
            where="display_type = 'payment_term' AND NOT reconciled "
            "AND parent_state = 'posted' AND amount_residual > 0",
        )
        # The customers' replies are the few emails among the chatter's
        # messages: found by date without reading the others.
        sql.create_index(
            self.env.cr,
            REPLY_INDEX,
            "mail_message",
            ["date"],
            where="message_type = 'email'",
        )
        sql.drop_view_if_exists(self.env.cr, self._table)
        self.env.execute_query(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._worklist_query(),
            )
        )

    # ------------------------------------------------------------------
    # Reads: the view reads the reader's today
    # ------------------------------------------------------------------

    def _worklist_set_today(self):
        # The view reads every model's tables: what the ORM still holds
        # goes to the database first.
        self.env.flush_all()
        today = fields.Date.context_today(self)
        self.env.execute_query(
            SQL(
                "SELECT set_config(%s, %s, TRUE)",
                TODAY_SETTING,
                fields.Date.to_string(today),
            )
        )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        self._worklist_set_today()
        # The rows change under the ORM (an action approved, a call logged):
        # a new search reads them again.
        self.invalidate_model()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _fetch_query(self, query, fields):
        self._worklist_set_today()
        return super()._fetch_query(query, fields)

    # ------------------------------------------------------------------
    # One click from a row
    # ------------------------------------------------------------------

    def _row_partner(self):
        """The row's customer, in the row's company."""
        self.ensure_one()
        return self.partner_id.with_company(self.company_id)

    def _portal_requests(self):
        """The row's requests from the portal waiting for a collector."""
        self.ensure_one()
        domain = [
            ("partner_id", "=", self.partner_id.id),
            ("company_id", "=", self.company_id.id),
        ]
        return [
            *self.env["debt.portal.plan.request"].search(
                [*domain, ("state", "=", "waiting")]
            ),
            *self.env["debt.portal.pause"].search(
                [*domain, ("state", "=", "requested")]
            ),
            *self.env["debt.portal.claim"].search(
                [*domain, ("state", "=", "checking")]
            ),
        ]

    def action_open_call_sheet(self):
        self.ensure_one()
        return self._row_partner().action_debt_call_sheet()

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "context": {"allowed_company_ids": [self.company_id.id]},
        }

    def action_log_contact(self):
        self.ensure_one()
        action = (
            self.env["debt.contact.wizard"]
            .with_company(self.company_id)
            ._action_open(partner=self._row_partner())
        )
        action["context"] = {
            **action["context"],
            "default_company_id": self.company_id.id,
        }
        return action

    def action_record_promise(self):
        action = self.action_log_contact()
        action["name"] = self.env._("Record a Promise to Pay")
        action["context"] = {
            **action["context"],
            "default_is_promise": True,
            "default_summary": self.env._("Promise to pay"),
        }
        return action

    def action_offer_plan(self):
        self.ensure_one()
        action = (
            self.env["debt.payment.plan.wizard"]
            .with_company(self.company_id)
            ._action_open(partner=self._row_partner())
        )
        action["context"] = {
            **action.get("context", {}),
            "default_company_id": self.company_id.id,
        }
        return action

    def action_pause(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Pause Reminders"),
            "res_model": "debt.worklist.pause",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": self.partner_id.id,
                "default_company_id": self.company_id.id,
            },
        }

    def action_open_review(self):
        """The waiting action, with its preview, to approve or skip."""
        self.ensure_one()
        if not self.action_id:
            raise UserError(
                self.env._(
                    "%(customer)s has no action waiting for review.",
                    customer=self.partner_id.display_name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "debt.action",
            "res_id": self.action_id.id,
            "view_mode": "form",
        }

    def _waiting_actions(self):
        actions = self.env["debt.action"]
        for row in self:
            actions |= actions.search(
                [
                    ("partner_id", "=", row.partner_id.id),
                    ("company_id", "=", row.company_id.id),
                    ("state", "=", "to_review"),
                ]
            )
        if not actions:
            raise UserError(
                self.env._("None of the selected customers has an action to review.")
            )
        return actions

    def action_approve(self):
        """Approve the waiting actions of the selected customers (as each
        action's Approve does: checked again, sent, logged)."""
        return self._waiting_actions().action_approve()

    def action_skip(self):
        """Skip the waiting actions of the selected customers."""
        self._waiting_actions().action_skip()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_open_portal_request(self):
        """The request from the portal to accept or decline (the list of
        them when there are several)."""
        self.ensure_one()
        requests = self._portal_requests()
        if not requests:
            raise UserError(
                self.env._(
                    "%(customer)s has no request from the portal waiting.",
                    customer=self.partner_id.display_name,
                )
            )
        first = requests[0]
        return {
            "type": "ir.actions.act_window",
            "res_model": first._name,
            "res_id": first.id,
            "view_mode": "form",
        }

    def action_assign(self):
        """Assign the selected customers to a collector (a small dialog)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Assign to a Collector"),
            "res_model": "debt.worklist.assign",
            "view_mode": "form",
            "target": "new",
            "context": {"default_row_ids": self.ids},
        }
