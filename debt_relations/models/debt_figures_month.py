from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .debt_figures import DEPTHS, ESCALATED_RANK

CRON_BATCH = 3
"""Months (of one company each) the scheduled action refreshes per call."""


class DebtFiguresMonth(models.Model):
    """The relationship figures of one month, as pivot and graph views read
    them.

    Why rows of figures and not additive parts: DSO and ADD are counted back
    month by month against the credit sales (``debt.figures._countback``), so
    no sum of stored numerators and denominators gives them back; any design
    where the pivot divides sums would show a DSO that differs from
    ``res.company._debt_relationship_figures``. So each row holds the figures
    of one cell, computed by ``debt.figures._figures`` itself with the cell's
    customers as its scope, and a cell's figures are identical to the public
    ones by construction.

    The rows of a month and company, one set per *breakdown*:

    - ``company``: one row, all customers (collector and tier empty): the
      company's true figures, equal to ``_debt_relationship_figures`` of the
      month (up to today for the current month);
    - ``collector``: one row per collector (the customer's collector in that
      company, else its salesperson, as the worklist shows them; empty: none),
      each over that collector's customers;
    - ``tier``: one row per relationship tier (empty: customers without one).

    The customers of a breakdown are each counted once, so the amounts and
    counts (``customer_count``, ``overdue_amount``) add up within a
    breakdown. Ratios do not add up: they are averaged (``avg``) when a pivot
    cell holds several rows, which is only an indication; a cell is exact
    when it holds one row — grouped by month and company under *Whole
    company*, or by month and collector (tier) under *By collector*
    (*By tier*). The views open on *Whole company*.

    Customers are those with a posted customer invoice or credit note in the
    company; a customer's collector and tier are today's (they are not kept
    per month). The rows are refreshed by the scheduled action (the last
    months, a few per call) and the *Refresh* button, never edited.
    """

    _name = "debt.figures.month"
    _description = "Relationship Figures by Month"
    _order = "month desc, company_id, breakdown, user_id, tier_id"
    _rec_name = "month"

    month = fields.Date(required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    breakdown = fields.Selection(
        [
            ("company", "Whole company"),
            ("collector", "By collector"),
            ("tier", "By tier"),
        ],
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one(
        "res.users", string="Collector", readonly=True, ondelete="cascade"
    )
    tier_id = fields.Many2one(
        "debt.relationship.tier",
        string="Relationship Tier",
        readonly=True,
        ondelete="cascade",
    )
    customer_count = fields.Integer(string="Customers", readonly=True)
    overdue_amount = fields.Monetary(
        string="Overdue",
        readonly=True,
        help="Overdue balance today of the invoices due before the month's end.",
    )
    # Ratios: NULL where nothing qualifies (written by SQL, not as 0.0); a
    # pivot cell of several rows averages them (see the class docstring).
    dso = fields.Float(
        string="DSO (days)",
        readonly=True,
        digits=(16, 1),
        aggregator="avg",
        help="Days sales outstanding at the month's end, by the countback method.",
    )
    cei = fields.Float(
        string="CEI",
        readonly=True,
        aggregator="avg",
        help="Collection effectiveness index: of what could be collected in the "
        "month, the share collected.",
    )
    add = fields.Float(
        string="ADD (days)",
        readonly=True,
        digits=(16, 1),
        aggregator="avg",
        help="Average days delinquent: the DSO less the best possible DSO.",
    )
    promise_kept_rate = fields.Float(
        string="Promises Kept", readonly=True, aggregator="avg"
    )
    plan_completion_rate = fields.Float(
        string="Plans Completed", readonly=True, aggregator="avg"
    )
    retained_after_collection = fields.Float(
        readonly=True,
        aggregator="avg",
        help="Of the customers who settled an escalated balance in the month, "
        "the share invoiced again within 90 days.",
    )
    escalated_share = fields.Float(
        string="Settled After Escalation",
        readonly=True,
        aggregator="avg",
        help="Of the customers who settled an overdue invoice in the month, the "
        "share whose invoices had reached the firm rung or beyond.",
    )
    dispute_rate = fields.Float(
        string="Disputes per Invoice",
        readonly=True,
        aggregator="avg",
        help="Disputes opened in the month per customer invoice issued in it; "
        "empty when there was none.",
    )
    dispute_days_to_resolve = fields.Float(
        string="Days to Settle a Dispute",
        readonly=True,
        digits=(16, 1),
        aggregator="avg",
    )
    contacts_per_thousand = fields.Float(
        string="Contacts per 1,000 Collected",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="Outbound contacts made in the month per 1,000 of the company's "
        "currency collected in it.",
    )

    # --- actions ----------------------------------------------------------------

    def action_refresh(self):
        """Refresh the months of the selected rows or, with none selected,
        this month and the last one, of the companies being worked in."""
        if not self.env.user.has_group("debt_relations.group_debt_manager"):
            raise AccessError(
                self.env._("Only collection managers may refresh the figures.")
            )
        if self:
            cells = {(row.company_id, row.month) for row in self}
        else:
            months = self._last_months(2)
            cells = {
                (company, month) for company in self.env.companies for month in months
            }
        # sudo: the rows are the system's own (written by SQL, read-only to all).
        self.sudo()._refresh(cells)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    # --- business methods -------------------------------------------------------

    @api.model
    def _last_months(self, count):
        """The first days of the last ``count`` months, this one included."""
        this_month = fields.Date.context_today(self).replace(day=1)
        return [this_month - relativedelta(months=back) for back in range(count)]

    @api.model
    def _cron_refresh(self, months):
        """Refresh the last ``months`` months of every company, a few per call:
        those not refreshed yet today."""
        today_start = fields.Datetime.to_datetime(fields.Date.context_today(self))
        wanted = self._last_months(months)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT company_id, month FROM debt_figures_month
                    WHERE breakdown = 'company' AND create_date >= %(since)s
                      AND month IN %(months)s""",
                since=today_start,
                months=tuple(wanted),
            )
        )
        fresh = set(self.env.cr.fetchall())
        todo = [
            (company, month)
            for company in self.env["res.company"].search([])
            for month in wanted
            if (company.id, month) not in fresh
        ]
        batch = todo[:CRON_BATCH]
        self._refresh(batch)
        self.env["ir.cron"]._notify_progress(
            done=len(batch), remaining=len(todo) - len(batch)
        )

    @api.model
    def _refresh_last_months(self, months):
        """Refresh the last ``months`` months of every company at once (the
        demo data, scripts)."""
        wanted = self._last_months(months)
        self._refresh(
            [
                (company, month)
                for company in self.env["res.company"].search([])
                for month in wanted
            ]
        )

    @api.model
    def _refresh(self, cells):
        """Recompute the rows of each ``(company, first day of month)`` of
        ``cells``: its month up to its last day, or up to today for this
        month; a month not begun yet gets no rows."""
        self.env.flush_all()
        today = fields.Date.context_today(self)
        months_by_company = defaultdict(set)
        for company, month in cells:
            months_by_company[company].add(month)
        Figures = self.env["debt.figures"]
        rows = []
        empty = ([], (0.0, 0.0, 0.0), 0.0)
        for company, months in months_by_company.items():
            scopes = self._scopes(company)
            for month in sorted(months):
                date_to = min(month + relativedelta(months=1, days=-1), today)
                if date_to < month:
                    continue
                # The collectors' and tiers' sales and balances in one pass
                # over the ledger; the company's as the public figures read
                # them (every receivable, a customer listed or not).
                ledger = Figures._ledger_by_group(
                    company,
                    month,
                    date_to,
                    SQL("SELECT * FROM debt_figures_scope"),
                    ("user_id", "tier_id"),
                )
                for breakdown, user_id, tier_id, count, partners in scopes:
                    if breakdown == "company":
                        group = None
                    elif breakdown == "collector":
                        group = ledger.get(("user_id", user_id), empty)
                    else:
                        group = ledger.get(("tier_id", tier_id), empty)
                    if group is not None and not group[0]:
                        group = (Figures._months({}, date_to), *group[1:])
                    figures = Figures._figures(
                        company, month, date_to, partners, ledger=group
                    )
                    rows.append(
                        self._row(
                            company, month, breakdown, user_id, tier_id, count, figures
                        )
                    )
        self._store(months_by_company, rows)

    @api.model
    def _scopes(self, company):
        """The customers of ``company`` with today's collector and tier, in a
        temporary table, and the scopes of the month's rows over it:
        ``[(breakdown, user id, tier id, customers, partner subquery)]``."""
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS debt_figures_scope")
        cr.execute(
            SQL(
                """CREATE TEMPORARY TABLE debt_figures_scope ON COMMIT DROP AS
                   SELECT c.partner_id,
                          %(collector)s AS user_id,
                          pr.tier_id
                     FROM (SELECT DISTINCT m.commercial_partner_id AS partner_id
                             FROM account_move m
                            WHERE m.company_id = %(company)s
                              AND m.move_type IN ('out_invoice', 'out_refund')
                              AND m.state = 'posted') c
                     JOIN res_partner p ON p.id = c.partner_id
                LEFT JOIN debt_partner_profile pr
                       ON pr.partner_id = c.partner_id
                      AND pr.company_id = %(company)s""",
                collector=self.env["res.partner"]._debt_collector_sql(
                    "p", SQL("%s", company.id)
                ),
                company=company.id,
            )
        )
        cr.execute("CREATE INDEX ON debt_figures_scope (partner_id)")
        cr.execute("ANALYZE debt_figures_scope")
        cr.execute("SELECT COUNT(*) FROM debt_figures_scope")
        scopes = [("company", None, None, cr.fetchone()[0], None)]
        for breakdown, column in (("collector", "user_id"), ("tier", "tier_id")):
            cr.execute(
                SQL(
                    "SELECT %(column)s, COUNT(*) FROM debt_figures_scope"
                    " GROUP BY %(column)s ORDER BY %(column)s NULLS LAST",
                    column=SQL.identifier(column),
                )
            )
            for key, count in cr.fetchall():
                partners = SQL(
                    "SELECT partner_id FROM debt_figures_scope WHERE %s",
                    SQL("%s = %s", SQL.identifier(column), key)
                    if key
                    else SQL("%s IS NULL", SQL.identifier(column)),
                )
                user_id = key if breakdown == "collector" else None
                tier_id = key if breakdown == "tier" else None
                scopes.append((breakdown, user_id, tier_id, count, partners))
        return scopes

    @api.model
    def _row(self, company, month, breakdown, user_id, tier_id, count, figures):
        """The values of one row from ``debt.figures._figures``' figures
        (``None`` stays NULL)."""
        depth = figures["escalation_depth"]
        disputes = figures["dispute_rate"]
        contacts = figures["contacts_per_collected"]
        return {
            "month": month,
            "company_id": company.id,
            "breakdown": breakdown,
            "user_id": user_id,
            "tier_id": tier_id,
            "customer_count": count,
            "overdue_amount": sum(figures["overdue_by_rung"].values()),
            "dso": figures["dso"],
            "cei": figures["cei"],
            "add": figures["add"],
            "promise_kept_rate": figures["promise_kept_rate"],
            "plan_completion_rate": figures["plan_completion_rate"],
            "retained_after_collection": figures["retained_after_collection"],
            "escalated_share": (
                sum(
                    share
                    for name, share in depth.items()
                    if DEPTHS.index(name) >= ESCALATED_RANK
                )
                if depth
                else None
            ),
            "dispute_rate": sum(disputes.values()) if disputes else None,
            "dispute_days_to_resolve": figures["dispute_days_to_resolve"],
            "contacts_per_thousand": (
                sum(contacts.values()) * 1000 if contacts else None
            ),
        }

    @api.model
    def _store(self, months_by_company, rows):
        """Replace the rows of those months by ``rows``, in two queries."""
        cr = self.env.cr
        for company, months in months_by_company.items():
            cr.execute(
                SQL(
                    "DELETE FROM debt_figures_month"
                    " WHERE company_id = %s AND month IN %s",
                    company.id,
                    tuple(months),
                )
            )
        if rows:
            names = list(rows[0])
            uid, now = self.env.uid, fields.Datetime.now()
            cr.execute(
                SQL(
                    """INSERT INTO debt_figures_month
                           (%s, create_uid, create_date, write_uid, write_date)
                       VALUES %s""",
                    SQL(", ").join(SQL.identifier(name) for name in names),
                    SQL(", ").join(
                        SQL(
                            "(%s, %s, %s, %s, %s)",
                            SQL(", ").join(row[name] for name in names),
                            uid,
                            now,
                            uid,
                            now,
                        )
                        for row in rows
                    ),
                )
            )
        self.invalidate_model()
