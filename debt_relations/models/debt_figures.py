from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

TONE_RANK = {"friendly": 1, "firm": 2, "formal": 3, "final": 4}
"""Rungs by tone, in the ladder's order; a hand-off rung ranks above all."""
HANDOFF_RANK = 5
ESCALATED_RANK = TONE_RANK["firm"]
"""An invoice is escalated once a contact about it reached this rank (the firm
rung or beyond); the one definition :meth:`DebtFigures._escalation_depth` and
:meth:`DebtFigures._retained_after_collection` share."""
DEPTHS = ("none", "friendly", "firm", "formal", "final", "handoff")
RETENTION_DAYS = 90
COUNTBACK_MONTHS = 24
PAID_STATES = ("paid", "in_payment", "reversed")


class DebtFigures(models.AbstractModel):
    """The relationship figures of a company over a period.

    Each figure is one set-based query over the ledger (receivable journal
    items, partial reconciliations) and the collection records (contact log,
    promises, plans, disputes), in the company's currency. Shares are numbers
    between 0 and 1, ``None`` where nothing qualifies. ``partner_ids`` limits a
    figure to some customers (a collector's, a tier's); empty: all of them.
    """

    _name = "debt.figures"
    _description = "Collection Relationship Figures"

    @api.model
    def _figures(self, company, date_from, date_to, partner_ids=None, ledger=None):
        """``partner_ids``: ids, or an ``SQL`` subquery selecting them.
        ``ledger``: the scope's ``(months, (start, end, current), sales)``
        when the caller read them already (:meth:`_ledger_by_group`)."""
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        scope = _Scope(company.id, partner_ids)
        # DSO, ADD and CEI share the months' sales and the balances.
        if ledger is None:
            months = self._monthly_sales(scope, date_to)
            start, end, current = self._balances(scope, date_from, date_to)
            sales = None
        else:
            months, (start, end, current), sales = ledger
        dso = self._dso(scope, date_to, months, end)
        return {
            "dso": dso,
            "cei": self._cei(scope, date_from, date_to, end, current, start, sales),
            "add": self._add(scope, date_to, dso, months, current),
            "promise_kept_rate": self._promise_kept_rate(scope, date_from, date_to),
            "plan_completion_rate": self._plan_completion_rate(
                scope, date_from, date_to
            ),
            "retained_after_collection": self._retained_after_collection(
                scope, date_from, date_to
            ),
            "escalation_depth": self._escalation_depth(scope, date_from, date_to),
            "dispute_rate": self._dispute_rate(scope, date_from, date_to),
            "dispute_days_to_resolve": self._dispute_days(scope, date_from, date_to),
            "contacts_per_collected": self._contacts_per_collected(
                scope, date_from, date_to
            ),
            "overdue_by_rung": self._overdue_by_rung(scope, date_to),
        }

    # --- receivables ------------------------------------------------------------

    def _receivables(self, scope, day, current_only=False):
        """Receivables on the books at the end of ``day``: the balance of every
        posted receivable journal item dated up to it. ``current_only``: only
        what was not yet due that day (debit items maturing after it, less
        what was matched on them by then)."""
        if not current_only:
            query = SQL(
                """SELECT COALESCE(SUM(l.balance), 0)
                     FROM account_move_line l
                     JOIN account_account a ON a.id = l.account_id
                    WHERE a.account_type = 'asset_receivable'
                      AND l.parent_state = 'posted'
                      AND l.company_id = %(company)s AND l.date <= %(day)s
                      AND %(partners)s""",
                company=scope.company_id,
                day=day,
                partners=scope.where("l.partner_id"),
            )
        else:
            query = SQL(
                """SELECT COALESCE(SUM(l.balance - COALESCE(m.matched, 0)), 0)
                     FROM account_move_line l
                     JOIN account_account a ON a.id = l.account_id
                     LEFT JOIN LATERAL (
                           SELECT SUM(p.amount) AS matched
                             FROM account_partial_reconcile p
                            WHERE p.debit_move_id = l.id AND p.max_date <= %(day)s
                          ) m ON TRUE
                    WHERE a.account_type = 'asset_receivable'
                      AND l.parent_state = 'posted' AND l.balance > 0
                      AND l.company_id = %(company)s AND l.date <= %(day)s
                      AND l.date_maturity > %(day)s
                      AND %(partners)s""",
                company=scope.company_id,
                day=day,
                partners=scope.where("l.partner_id"),
            )
        self.env.cr.execute(query)
        return self.env.cr.fetchone()[0] or 0.0

    @api.model
    def _balance_columns(self, date_from, date_to):
        """SQL: the three receivable balances of the figures, as columns over
        receivable journal items ``l`` dated up to ``date_to``: at the end of
        the day before ``date_from``, at the end of ``date_to``, and at the end
        of ``date_to`` not yet due then (the reconciliations of an item are
        only read for those)."""
        return SQL(
            """COALESCE(SUM(l.balance) FILTER (WHERE l.date <= %(start)s), 0),
               COALESCE(SUM(l.balance), 0),
               COALESCE(SUM(CASE
                   WHEN l.balance > 0 AND l.date_maturity > %(day)s
                   THEN l.balance - COALESCE((
                        SELECT SUM(p.amount)
                          FROM account_partial_reconcile p
                         WHERE p.debit_move_id = l.id
                           AND p.max_date <= %(day)s), 0)
                   END), 0)""",
            start=date_from - timedelta(days=1),
            day=date_to,
        )

    def _balances(self, scope, date_from, date_to):
        """The receivables of :meth:`_receivables` the figures need, in one
        pass over the ledger (see :meth:`_balance_columns`)."""
        self.env.cr.execute(
            SQL(
                """SELECT %(balances)s
                     FROM account_move_line l
                     JOIN account_account a ON a.id = l.account_id
                    WHERE a.account_type = 'asset_receivable'
                      AND l.parent_state = 'posted'
                      AND l.company_id = %(company)s
                      AND l.date <= %(day)s
                      AND %(partners)s""",
                balances=self._balance_columns(date_from, date_to),
                day=date_to,
                company=scope.company_id,
                partners=scope.where("l.partner_id"),
            )
        )
        return tuple(value or 0.0 for value in self.env.cr.fetchone())

    def _sales(self, scope, date_from, date_to):
        """Credit sales: posted customer invoices less credit notes dated in
        the period, in the company's currency."""
        self.env.cr.execute(
            SQL(
                """SELECT COALESCE(SUM(m.amount_total_signed), 0)
                     FROM account_move m
                    WHERE m.move_type IN ('out_invoice', 'out_refund')
                      AND m.state = 'posted' AND m.company_id = %(company)s
                      AND m.invoice_date BETWEEN %(date_from)s AND %(date_to)s
                      AND %(partners)s""",
                company=scope.company_id,
                date_from=date_from,
                date_to=date_to,
                partners=scope.where("m.commercial_partner_id"),
            )
        )
        return self.env.cr.fetchone()[0] or 0.0

    def _monthly_sales(self, scope, date_to):
        """Credit sales of each month, newest first, over the
        ``COUNTBACK_MONTHS`` months up to ``date_to`` (the last one cut at
        it): ``[(days counted, sales)]``, one query."""
        first = date_to.replace(day=1) - relativedelta(months=COUNTBACK_MONTHS - 1)
        self.env.cr.execute(
            SQL(
                """SELECT date_trunc('month', m.invoice_date)::date,
                          SUM(m.amount_total_signed)
                     FROM account_move m
                    WHERE m.move_type IN ('out_invoice', 'out_refund')
                      AND m.state = 'posted' AND m.company_id = %(company)s
                      AND m.invoice_date BETWEEN %(date_from)s AND %(date_to)s
                      AND %(partners)s
                    GROUP BY 1""",
                company=scope.company_id,
                date_from=first,
                date_to=date_to,
                partners=scope.where("m.commercial_partner_id"),
            )
        )
        return self._months(dict(self.env.cr.fetchall()), date_to)

    def _months(self, sales, date_to):
        """``[(days counted, sales)]`` of the ``COUNTBACK_MONTHS`` months up to
        ``date_to``, newest first, from ``sales`` by first day of month."""
        months, month_end = [], date_to
        for _index in range(COUNTBACK_MONTHS):
            month_start = month_end.replace(day=1)
            days = (month_end - month_start).days + 1
            months.append((days, sales.get(month_start, 0.0)))
            month_end = month_start - timedelta(days=1)
        return months

    @api.model
    def _ledger_by_group(self, company, date_from, date_to, customers, columns):
        """:meth:`_monthly_sales` and :meth:`_balances` of many scopes in one
        pass each: ``customers`` is an SQL relation with a ``partner_id``
        column and the grouping ``columns`` (each customer once). Returns
        ``{(column, value): (months, (start, end, current), sales)}`` for each
        value of each column (None: customers without one), ``sales`` those
        of the period (:meth:`_sales`); a group without sales nor receivables
        is absent. The period starts on the first day of a month, at most
        ``COUNTBACK_MONTHS`` months before ``date_to``."""
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        first = date_to.replace(day=1) - relativedelta(months=COUNTBACK_MONTHS - 1)
        if date_from.day != 1 or date_from < first:
            raise ValueError(date_from)
        sets = SQL(", ").join(SQL("(c.%s)", SQL.identifier(name)) for name in columns)
        keys = SQL(", ").join(
            SQL("c.%s, GROUPING(c.%s)", SQL.identifier(name), SQL.identifier(name))
            for name in columns
        )

        def group_of(row):
            for index, name in enumerate(columns):
                if not row[2 * index + 1]:  # grouped by this column
                    return (name, row[2 * index])
            raise ValueError(row)

        width = 2 * len(columns)
        self.env.cr.execute(
            SQL(
                """SELECT %(keys)s, date_trunc('month', m.invoice_date)::date,
                          SUM(m.amount_total_signed)
                     FROM account_move m
                     JOIN (%(customers)s) c ON c.partner_id = m.commercial_partner_id
                    WHERE m.move_type IN ('out_invoice', 'out_refund')
                      AND m.state = 'posted' AND m.company_id = %(company)s
                      AND m.invoice_date BETWEEN %(date_from)s AND %(date_to)s
                    GROUP BY GROUPING SETS (%(sets)s),
                             date_trunc('month', m.invoice_date)""",
                keys=keys,
                customers=customers,
                company=company.id,
                date_from=first,
                date_to=date_to,
                sets=sets,
            )
        )
        sales = {}
        for row in self.env.cr.fetchall():
            sales.setdefault(group_of(row), {})[row[width]] = row[width + 1]
        self.env.cr.execute(
            SQL(
                """SELECT %(keys)s, %(balances)s
                     FROM account_move_line l
                     JOIN account_account a ON a.id = l.account_id
                     JOIN (%(customers)s) c ON c.partner_id = l.partner_id
                    WHERE a.account_type = 'asset_receivable'
                      AND l.parent_state = 'posted'
                      AND l.company_id = %(company)s
                      AND l.date <= %(day)s
                    GROUP BY GROUPING SETS (%(sets)s)""",
                keys=keys,
                customers=customers,
                balances=self._balance_columns(date_from, date_to),
                day=date_to,
                company=company.id,
                sets=sets,
            )
        )
        balances = {
            group_of(row): tuple(value or 0.0 for value in row[width:])
            for row in self.env.cr.fetchall()
        }
        return {
            group: (
                self._months(sales.get(group, {}), date_to),
                balances.get(group, (0.0, 0.0, 0.0)),
                sum(
                    amount
                    for month, amount in sales.get(group, {}).items()
                    if month >= date_from
                ),
            )
            for group in set(sales) | set(balances)
        }

    def _countback(self, balance, months):
        """Days of sales ``balance`` stands for, counted back month by month
        (``months`` from :meth:`_monthly_sales`): each month whose credit
        sales the balance covers counts whole, the month where it runs out
        counts its share. None without a sale in those months."""
        if not any(sales > 0 for _days, sales in months):
            return None
        days = 0.0
        for length, sales in months:
            if balance <= 0:
                break
            if sales > 0 and balance <= sales:
                return days + balance / sales * length
            balance -= max(sales, 0.0)
            days += length
        return days

    def _dso(self, scope, date_to, months=None, end=None):
        """Days sales outstanding by the countback method: the receivables at
        the end of ``date_to`` counted back against the months' credit sales.
        ``months`` (:meth:`_monthly_sales`) and ``end`` (the receivables) when
        the caller has them already."""
        if months is None:
            months = self._monthly_sales(scope, date_to)
        if end is None:
            end = self._receivables(scope, date_to)
        return self._countback(end, months)

    def _cei(
        self, scope, date_from, date_to, end=None, current=None, start=None, sales=None
    ):
        """Collection effectiveness index: (receivables at the start + credit
        sales of the period − receivables at the end) / (receivables at the
        start + credit sales − receivables at the end not yet due). 1 means all
        that could be collected was. None when nothing was collectable.
        ``end`` and ``current``: the closing receivables, all and not yet due,
        when the caller has them already, and ``start`` and ``sales`` too."""
        if start is None:
            start = self._receivables(scope, date_from - timedelta(days=1))
        if sales is None:
            sales = self._sales(scope, date_from, date_to)
        if end is None:
            end = self._receivables(scope, date_to)
        if current is None:
            current = self._receivables(scope, date_to, current_only=True)
        collectable = start + sales - current
        if collectable <= 0:
            return None
        return (start + sales - end) / collectable

    def _add(self, scope, date_to, dso=None, months=None, current=None):
        """Average days delinquent: the DSO less the best possible DSO (the
        receivables not yet due, counted back the same way)."""
        if months is None:
            months = self._monthly_sales(scope, date_to)
        if dso is None:
            dso = self._dso(scope, date_to, months)
        if dso is None:
            return None
        if current is None:
            current = self._receivables(scope, date_to, current_only=True)
        best = self._countback(current, months) or 0.0
        return max(dso - best, 0.0)

    # --- agreements -------------------------------------------------------------

    def _share(self, query):
        self.env.cr.execute(query)
        hits, total = self.env.cr.fetchone()
        return hits / total if total else None

    def _promise_kept_rate(self, scope, date_from, date_to):
        """Of the promises whose pay-by date fell in the period and that are
        settled (kept or broken), the share kept."""
        return self._share(
            SQL(
                """SELECT COUNT(*) FILTER (WHERE state = 'kept'), COUNT(*)
                     FROM debt_promise
                    WHERE company_id = %(company)s
                      AND state IN ('kept', 'broken')
                      AND date_promised BETWEEN %(date_from)s AND %(date_to)s
                      AND %(partners)s""",
                company=scope.company_id,
                date_from=date_from,
                date_to=date_to,
                partners=scope.where("partner_id"),
            )
        )

    def _plan_completion_rate(self, scope, date_from, date_to):
        """Of the payment plans that ended in the period (completed, or broken),
        the share completed."""
        return self._share(
            SQL(
                """SELECT COUNT(*) FILTER (WHERE state = 'completed'), COUNT(*)
                     FROM debt_payment_plan
                    WHERE company_id = %(company)s
                      AND ((state = 'completed'
                            AND date_done BETWEEN %(date_from)s AND %(date_to)s)
                        OR (state = 'broken'
                            AND date_broken BETWEEN %(date_from)s AND %(date_to)s))
                      AND %(partners)s""",
                company=scope.company_id,
                date_from=date_from,
                date_to=date_to,
                partners=scope.where("partner_id"),
            )
        )

    # --- escalation and retention ----------------------------------------------

    def _settled_invoices(self, scope):
        """Per customer invoice paid in full after its due date: its customer,
        the day it was settled (its last reconciliation) and the highest rung
        any contact about it reached (``TONE_RANK``, hand-off above all, 0
        none)."""
        return SQL(
            """SELECT m.id, m.commercial_partner_id AS partner_id,
                      settled.day AS settled_on,
                      COALESCE(rung.rank, 0) AS rank
                 FROM account_move m
                 JOIN LATERAL (
                       SELECT MAX(p.max_date) AS day
                         FROM account_move_line l
                         JOIN account_account a ON a.id = l.account_id
                         JOIN account_partial_reconcile p ON p.debit_move_id = l.id
                        WHERE l.move_id = m.id
                          AND a.account_type = 'asset_receivable'
                      ) settled ON TRUE
                 LEFT JOIN LATERAL (
                       SELECT MAX(%(rank)s) AS rank
                         FROM debt_contact_log_move_rel r
                         JOIN debt_contact_log c ON c.id = r.log_id
                         JOIN debt_stage s ON s.id = c.stage_id
                        WHERE r.move_id = m.id AND c.direction = 'outbound'
                      ) rung ON TRUE
                WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
                  AND m.company_id = %(company)s
                  AND m.payment_state IN %(paid)s
                  AND settled.day > m.invoice_date_due
                  AND %(partners)s""",
            rank=_rung_rank("s"),
            company=scope.company_id,
            paid=PAID_STATES,
            partners=scope.where("m.commercial_partner_id"),
        )

    def _escalation_depth(self, scope, date_from, date_to):
        """Of the customers who settled an overdue invoice in the period, the
        share at each depth: the highest rung reached by any of those invoices
        (``none``: settled before any reminder). Empty when none did."""
        self.env.cr.execute(
            SQL(
                """SELECT depth, COUNT(*) FROM (
                       SELECT partner_id, MAX(rank) AS depth
                         FROM (%(settled)s) s
                        WHERE settled_on BETWEEN %(date_from)s AND %(date_to)s
                        GROUP BY partner_id
                   ) per_customer GROUP BY depth""",
                settled=self._settled_invoices(scope),
                date_from=date_from,
                date_to=date_to,
            )
        )
        counts = dict(self.env.cr.fetchall())
        total = sum(counts.values())
        if not total:
            return {}
        return {name: counts.get(rank, 0) / total for rank, name in enumerate(DEPTHS)}

    def _retained_after_collection(self, scope, date_from, date_to):
        """Retained after collection: of the customers who had an escalated
        overdue balance (an invoice that reached the firm rung or beyond) and
        settled it in the period — the day their last such invoice was
        settled, with none of them left open — the share invoiced again within
        90 days of settling. Customers whose 90 days are not over yet count
        only once they were invoiced again."""
        today = fields.Date.context_today(self)
        self.env.cr.execute(
            SQL(
                """WITH settled AS (%(settled)s),
                   escalated AS (
                       SELECT partner_id, MAX(settled_on) AS settled_on
                         FROM settled WHERE rank >= %(firm)s GROUP BY partner_id
                   ),
                   qualified AS (
                       SELECT e.partner_id, e.settled_on,
                              EXISTS (
                                  SELECT 1 FROM account_move n
                                   WHERE n.move_type = 'out_invoice'
                                     AND n.state = 'posted'
                                     AND n.company_id = %(company)s
                                     AND n.commercial_partner_id = e.partner_id
                                     AND n.invoice_date > e.settled_on
                                     AND n.invoice_date
                                         <= e.settled_on + %(days)s
                              ) AS retained
                         FROM escalated e
                        WHERE e.settled_on BETWEEN %(date_from)s AND %(date_to)s
                          AND NOT EXISTS (
                              SELECT 1
                                FROM account_move o
                                JOIN debt_contact_log_move_rel r ON r.move_id = o.id
                                JOIN debt_contact_log c ON c.id = r.log_id
                                JOIN debt_stage s ON s.id = c.stage_id
                               WHERE o.commercial_partner_id = e.partner_id
                                 AND o.company_id = %(company)s
                                 AND o.move_type = 'out_invoice'
                                 AND o.state = 'posted'
                                 AND o.payment_state NOT IN %(paid)s
                                 AND %(rank)s >= %(firm)s
                          )
                   )
                   SELECT COUNT(*) FILTER (WHERE retained), COUNT(*)
                     FROM qualified
                    WHERE retained OR settled_on + %(days)s <= %(today)s""",
                settled=self._settled_invoices(scope),
                rank=_rung_rank("s"),
                firm=ESCALATED_RANK,
                company=scope.company_id,
                days=RETENTION_DAYS,
                date_from=date_from,
                date_to=date_to,
                paid=PAID_STATES,
                today=today,
            )
        )
        retained, total = self.env.cr.fetchone()
        return retained / total if total else None

    # --- disputes, cost, ageing ---------------------------------------------------

    def _dispute_rate(self, scope, date_from, date_to):
        """Disputes opened in the period per customer invoice issued in it, by
        reason name (``{}`` without an invoice)."""
        self.env.cr.execute(
            SQL(
                """SELECT COUNT(*) FROM account_move m
                    WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
                      AND m.company_id = %(company)s
                      AND m.invoice_date BETWEEN %(date_from)s AND %(date_to)s
                      AND %(partners)s""",
                company=scope.company_id,
                date_from=date_from,
                date_to=date_to,
                partners=scope.where("m.commercial_partner_id"),
            )
        )
        invoices = self.env.cr.fetchone()[0]
        if not invoices:
            return {}
        groups = self.env["debt.dispute"]._read_group(
            [
                ("company_id", "=", scope.company_id),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
                *scope.domain("partner_id"),
            ],
            ["reason"],
            ["__count"],
        )
        return {
            (reason.display_name if reason else ""): count / invoices
            for reason, count in groups
        }

    def _dispute_days(self, scope, date_from, date_to):
        """Average days from opening to settling of the disputes settled
        (resolved or rejected) in the period; None when none was."""
        self.env.cr.execute(
            SQL(
                """SELECT AVG(date_done - date) FROM debt_dispute
                    WHERE company_id = %(company)s AND state != 'open'
                      AND date_done BETWEEN %(date_from)s AND %(date_to)s
                      AND %(partners)s""",
                company=scope.company_id,
                date_from=date_from,
                date_to=date_to,
                partners=scope.where("partner_id"),
            )
        )
        days = self.env.cr.fetchone()[0]
        return float(days) if days is not None else None

    def _collected(self, scope, date_from, date_to):
        """What was collected in the period: the reconciliations made in it on
        customer invoices' receivable items, in the company's currency."""
        self.env.cr.execute(
            SQL(
                """SELECT COALESCE(SUM(p.amount), 0)
                     FROM account_partial_reconcile p
                     JOIN account_move_line l ON l.id = p.debit_move_id
                     JOIN account_move m ON m.id = l.move_id
                    WHERE m.move_type = 'out_invoice'
                      AND m.company_id = %(company)s
                      AND p.max_date BETWEEN %(date_from)s AND %(date_to)s
                      AND %(partners)s""",
                company=scope.company_id,
                date_from=date_from,
                date_to=date_to,
                partners=scope.where("m.commercial_partner_id"),
            )
        )
        return self.env.cr.fetchone()[0] or 0.0

    def _contacts_per_collected(self, scope, date_from, date_to):
        """Cost to collect: outbound contacts made in the period, by channel,
        per unit of the company's currency collected in it (``{}`` when
        nothing was collected)."""
        collected = self._collected(scope, date_from, date_to)
        if collected <= 0:
            return {}
        groups = self.env["debt.contact.log"]._read_group(
            [
                ("company_id", "=", scope.company_id),
                ("direction", "=", "outbound"),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
                *scope.domain("partner_id"),
            ],
            ["channel"],
            ["__count"],
        )
        return {channel: count / collected for channel, count in groups}

    def _overdue_by_rung(self, scope, date_to):
        """Overdue ageing by rung: today's overdue balance of the customer
        invoices due before ``date_to``, by the rung each stands on (``""``
        for none yet), in the company's currency."""
        groups = self.env["account.move"]._read_group(
            [
                ("company_id", "=", scope.company_id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", date_to),
                *scope.domain("commercial_partner_id"),
            ],
            ["debt_stage_id"],
            ["amount_residual_signed:sum"],
        )
        return {
            (stage.display_name if stage else ""): amount for stage, amount in groups
        }


def _rung_rank(stage):
    """The rank (``TONE_RANK``, a hand-off rung ``HANDOFF_RANK``) of the stage
    aliased ``stage``, as an SQL expression: the one spelling of a rung's
    height in these figures."""
    column = SQL.identifier(stage, "tone")
    whens = SQL(" ").join(
        SQL("WHEN %s = %s THEN %s", column, tone, rank)
        for tone, rank in sorted(TONE_RANK.items(), key=lambda item: -item[1])
        if rank > 1
    )
    return SQL(
        "(CASE WHEN %s THEN %s %s ELSE 1 END)",
        SQL.identifier(stage, "is_handoff"),
        HANDOFF_RANK,
        whens,
    )


class _Scope:
    """Which company and customers a figure is about: all of them
    (``partner_ids`` None), some ids, or an ``SQL`` subquery selecting ids
    (a collector's or a tier's customers, without listing them)."""

    def __init__(self, company_id, partner_ids=None):
        self.company_id = company_id
        if partner_ids is None or isinstance(partner_ids, SQL):
            self.partner_ids = partner_ids
        else:
            self.partner_ids = tuple(partner_ids)

    def where(self, column):
        if self.partner_ids is None:
            return SQL("TRUE")
        if isinstance(self.partner_ids, SQL):
            return SQL("%s IN (%s)", SQL(column), self.partner_ids)
        if not self.partner_ids:
            return SQL("FALSE")
        return SQL("%s IN %s", SQL(column), self.partner_ids)

    def domain(self, field_name):
        if self.partner_ids is None:
            return []
        if isinstance(self.partner_ids, SQL):
            return [(field_name, "in", SQL("(%s)", self.partner_ids))]
        return [(field_name, "in", list(self.partner_ids))]
