from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, sql

from ..services import payment_date as payment_date_service
from .debt_collection_facts import OPEN_PAYMENT_STATES

KEY_INDEX = "debt_cashin_forecast_key_uniq"
"""One row per company, customer and week (the rows with no week count as one
week): a refresh upserts on it, so two refreshes of the same customer at once
cannot both add its rows (the later one is retried)."""

KEY_PARTS = ["company_id", "partner_id", "COALESCE(week_start, '-infinity'::date)"]


class DebtCashinForecast(models.Model):
    """Cash expected in, by week: the open customer invoices by the ISO week
    of their expected payment date (``account.move.debt_expected_payment_date``).

    One row per week, company and customer, kept in a table so that summing
    a million invoices is not done again at each read of the pivot, the graph
    or the dashboard. The rows are written with the expected dates, by
    ``debt.payment.date._refresh`` (see :meth:`_refresh`): for a whole company
    by the daily run, and at once for a customer whose invoices, payments or
    agreements change. Only the refresh writes them.

    "Today" is the day of the refresh (the run's day): an invoice expected
    before it (it was expected and is not paid yet) counts in that day's
    week; an invoice with no expected date (handed off, or disputed without
    a target date) has no week (``week_start`` empty).

    ``amount_expected`` is the open amount in the company's currency.
    ``amount_at_risk`` is the part of it on invoices that are at risk: an open
    dispute, a hand-off sent or accepted, no expected date, a payment plan or
    promise covering it that broke (and no open promise or active plan since),
    or an expected date (today, for one expected on a day gone by) more than
    the company's "At Risk When Expected Later Than" days after the invoice's
    due date.

    ``user_id`` (the customer's collector, else its salesperson) follows the
    customer's form at once; ``tier_id`` is the tier the run (or a manager's
    refresh of the profiles, which refreshes the rows) gave it.
    """

    _name = "debt.cashin.forecast"
    _description = "Cash-in Forecast"
    _order = "week_start, company_id, partner_id"
    _rec_name = "partner_id"
    _log_access = False

    week_start = fields.Date(
        string="Week",
        readonly=True,
        help="Monday of the week the payment is expected in (overdue "
        "expectations count in the current week). Empty: no date is expected.",
    )
    # A customer or company deleted takes its rows with it.
    company_id = fields.Many2one(
        "res.company", readonly=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, index=True, ondelete="cascade"
    )
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        readonly=True,
        help="The customer's collector in this company, else its salesperson.",
    )
    tier_id = fields.Many2one(
        "debt.relationship.tier", string="Relationship Tier", readonly=True
    )
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_expected = fields.Monetary(
        string="Expected",
        readonly=True,
        currency_field="currency_id",
        help="Open amount of the invoices expected to be paid that week, in the "
        "company's currency.",
    )
    amount_at_risk = fields.Monetary(
        string="At Risk",
        readonly=True,
        currency_field="currency_id",
        help="The part of the expected amount on invoices at risk: disputed, "
        "handed off, with no expected date, under a payment plan or promise "
        "that broke, or expected more than the company's set number of days "
        "after their due date.",
    )

    def init(self):
        sql.create_unique_index(self.env.cr, KEY_INDEX, self._table, KEY_PARTS)

    # ------------------------------------------------------------------
    # Only the refresh writes the rows
    # ------------------------------------------------------------------

    def _refuse(self):
        raise UserError(
            self.env._(
                "The cash-in forecast is computed from the open invoices and "
                "their expected payment dates: it cannot be edited."
            )
        )

    # Each refuses before Odoo's own method (which the refresh never calls:
    # it writes in SQL).
    @api.model_create_multi
    def create(self, vals_list):
        self._refuse()
        return super().create(vals_list)

    def write(self, vals):
        self._refuse()
        return super().write(vals)

    def unlink(self):
        self._refuse()
        return super().unlink()

    # ------------------------------------------------------------------
    # Refresh
    # ------------------------------------------------------------------

    @api.model
    def _rows_query(self, company, as_of, partner_ids):
        """SQL: the forecast's rows of ``company`` (of ``partner_ids``,
        commercial partners, only when given) as of ``as_of``."""
        today = SQL("%s::date", as_of)
        scope = (
            SQL("AND m.commercial_partner_id = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL()
        )
        return SQL(
            """
            WITH invoice AS (
                SELECT m.company_id, m.commercial_partner_id AS partner_id,
                       CASE WHEN m.debt_expected_payment_date IS NOT NULL
                            THEN date_trunc('week', GREATEST(
                                m.debt_expected_payment_date, %(today)s))::date
                       END AS week_start,
                       m.amount_residual_signed AS amount,
                       (m.debt_expected_payment_date IS NULL
                        OR m.debt_expected_payment_basis IN %(held)s
                        OR (c.debt_forecast_risk_days > 0
                            AND GREATEST(m.debt_expected_payment_date, %(today)s)
                                > m.invoice_date_due + c.debt_forecast_risk_days)
                        OR (m.debt_expected_payment_basis NOT IN %(agreed)s
                            AND (EXISTS (
                                    SELECT 1 FROM debt_promise_move_rel r
                                      JOIN debt_promise p ON p.id = r.promise_id
                                     WHERE r.move_id = m.id AND p.state = 'broken')
                                 OR EXISTS (
                                    SELECT 1 FROM debt_payment_plan_move_rel r
                                      JOIN debt_payment_plan p ON p.id = r.plan_id
                                     WHERE r.move_id = m.id AND p.state = 'broken')))
                       ) AS at_risk
                  FROM account_move m
                  JOIN res_company c ON c.id = m.company_id
                 WHERE m.company_id = %(company)s
                   AND m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.payment_state IN %(open)s
                   AND m.debt_expected_payment_basis IS NOT NULL
                   AND m.amount_residual_signed > 0
                   %(scope)s
            )
            , weekly AS (
                SELECT week_start, company_id, partner_id,
                       SUM(amount) AS amount_expected,
                       COALESCE(SUM(amount) FILTER (WHERE at_risk), 0)
                           AS amount_at_risk
                  FROM invoice
              GROUP BY week_start, company_id, partner_id
            )
            SELECT w.week_start,
                   w.company_id,
                   w.partner_id,
                   %(collector)s AS user_id,
                   pr.tier_id,
                   c.currency_id,
                   w.amount_expected,
                   w.amount_at_risk
              FROM weekly w
              JOIN res_partner p ON p.id = w.partner_id
              JOIN res_company c ON c.id = w.company_id
         LEFT JOIN debt_partner_profile pr
                ON pr.partner_id = w.partner_id AND pr.company_id = w.company_id
            """,
            today=today,
            company=company.id,
            scope=scope,
            held=(payment_date_service.DISPUTE, payment_date_service.HANDOFF),
            agreed=(payment_date_service.PROMISE, payment_date_service.PLAN),
            open=OPEN_PAYMENT_STATES,
            collector=self.env["res.partner"]._debt_collector_sql(
                "p", SQL("w.company_id")
            ),
        )

    @api.model
    def _refresh(self, company, as_of, partner_ids=None):
        """Write the forecast's rows of ``company`` (of ``partner_ids``,
        commercial partners, only when given) as of ``as_of``, with one
        statement: the rows that changed are updated, the new ones added,
        those no longer found removed; the others are left as they are (most
        of them, day to day)."""
        if partner_ids is not None and not partner_ids:
            return
        self._flush_sources()
        scope = (
            SQL("AND f.partner_id = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL()
        )
        key = SQL(", ".join(KEY_PARTS))
        # A whole company's refresh reads a million invoices once: compiling
        # the statement (PostgreSQL's JIT) cost it a second more than it
        # saved. Off for this statement only.
        jit = self.env.execute_query(
            SQL("SELECT current_setting('jit', TRUE), set_config('jit', 'off', TRUE)")
        )[0][0]
        self.env.execute_query(
            SQL(
                """
            WITH fresh AS (%(rows)s),
            diff AS MATERIALIZED (
                -- Only what differs: rows gone (no fresh one), new (no old
                -- one) and changed; a hash join of the two sides.
                SELECT o.id AS old_id, n.*
                  FROM fresh n
             FULL JOIN (SELECT * FROM debt_cashin_forecast f
                         WHERE f.company_id = %(company)s %(scope)s) o
                    ON o.partner_id = n.partner_id
                   AND COALESCE(o.week_start, '-infinity'::date)
                       = COALESCE(n.week_start, '-infinity'::date)
                 WHERE o.id IS NULL OR n.partner_id IS NULL
                    OR (o.user_id, o.tier_id, o.currency_id, o.amount_expected,
                        o.amount_at_risk)
                       IS DISTINCT FROM
                       (n.user_id, n.tier_id, n.currency_id, n.amount_expected,
                        n.amount_at_risk)
            ),
            gone AS (
                DELETE FROM debt_cashin_forecast f
                 USING diff d
                 WHERE f.id = d.old_id AND d.partner_id IS NULL
            ),
            changed AS (
                UPDATE debt_cashin_forecast f
                   SET user_id = d.user_id,
                       tier_id = d.tier_id,
                       currency_id = d.currency_id,
                       amount_expected = d.amount_expected,
                       amount_at_risk = d.amount_at_risk
                  FROM diff d
                 WHERE f.id = d.old_id AND d.partner_id IS NOT NULL
            )
            INSERT INTO debt_cashin_forecast AS f
                   (week_start, company_id, partner_id, user_id, tier_id,
                    currency_id, amount_expected, amount_at_risk)
            SELECT d.week_start, d.company_id, d.partner_id, d.user_id,
                   d.tier_id, d.currency_id, d.amount_expected, d.amount_at_risk
              FROM diff d
             WHERE d.old_id IS NULL
            -- Added at once by another refresh (invisible here): this one
            -- fails to serialise and is retried.
            ON CONFLICT (%(key)s) DO UPDATE
               SET user_id = EXCLUDED.user_id,
                   tier_id = EXCLUDED.tier_id,
                   currency_id = EXCLUDED.currency_id,
                   amount_expected = EXCLUDED.amount_expected,
                   amount_at_risk = EXCLUDED.amount_at_risk
                """,
                rows=self._rows_query(company, as_of, partner_ids),
                company=company.id,
                scope=scope,
                key=key,
            )
        )
        if jit:
            self.env.execute_query(SQL("SELECT set_config('jit', %s, TRUE)", jit))
        self.invalidate_model()

    @api.model
    def _flush_sources(self):
        """What the rows are read from goes to the database first."""
        self.env["debt.payment.date"]._flush()
        self.env["res.company"].flush_model(["debt_forecast_risk_days", "currency_id"])
        self.env["res.partner"].flush_model(["user_id", "debt_collector_id"])
        self.flush_model()

    @api.model
    def _refresh_collectors(self, partner_ids):
        """The rows of ``partner_ids`` (commercial partners) take their
        customer's collector (or salesperson) as it is now."""
        if not partner_ids:
            return
        self._flush_sources()
        collector = self.env["res.partner"]._debt_collector_sql(
            "p", SQL("f.company_id")
        )
        self.env.execute_query(
            SQL(
                """
            UPDATE debt_cashin_forecast f
               SET user_id = %(collector)s
              FROM res_partner p
             WHERE p.id = f.partner_id
               AND f.partner_id = ANY(%(partners)s)
               AND f.user_id IS DISTINCT FROM %(collector)s
                """,
                collector=collector,
                partners=list(partner_ids),
            )
        )
        self.invalidate_model(["user_id"])
