from odoo import api, fields, models
from odoo.tools import SQL, sql

from ..services import payment_date as payment_date_service
from .debt_collection_facts import OPEN_PAYMENT_STATES

TODAY_SETTING = "debt_relations.cashin_today"
"""The PostgreSQL setting that tells the view which day is today: the
reader's own day, set before each read; the database's date when unset."""


class DebtCashinForecast(models.Model):
    """Cash expected in, by week: the open customer invoices by the ISO week
    of their expected payment date (``account.move.debt_expected_payment_date``).

    A read-only SQL view, one row per week, company and customer. An invoice
    expected before today (it was expected and is not paid yet) counts in the
    current week; an invoice with no expected date (handed off, or disputed
    without a target date) has no week (``week_start`` empty).

    ``amount_expected`` is the open amount in the company's currency.
    ``amount_at_risk`` is the part of it on invoices that are at risk: an open
    dispute, a hand-off sent or accepted, no expected date, a payment plan or
    promise covering it that broke (and no open promise or active plan since),
    or an expected date (today, for one expected on a day gone by) more than
    the company's "At Risk When Expected Later Than" days after the invoice's
    due date.

    "Today" is the reader's day: each read sets :data:`TODAY_SETTING`.
    """

    _name = "debt.cashin.forecast"
    _description = "Cash-in Forecast"
    _auto = False
    _order = "week_start, company_id, partner_id"
    _rec_name = "partner_id"

    week_start = fields.Date(
        string="Week",
        readonly=True,
        help="Monday of the week the payment is expected in (overdue "
        "expectations count in the current week). Empty: no date is expected.",
    )
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
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

    @api.model
    def _forecast_query(self):
        return SQL(
            """
            WITH forecast_today AS (
                SELECT COALESCE(
                    NULLIF(current_setting(%(setting)s, TRUE), '')::date,
                    CURRENT_DATE) AS day
            ), invoice AS (
                SELECT m.id, m.company_id, m.commercial_partner_id AS partner_id,
                       CASE WHEN m.debt_expected_payment_date IS NOT NULL
                            THEN date_trunc('week', GREATEST(
                                m.debt_expected_payment_date,
                                (SELECT day FROM forecast_today)))::date
                       END AS week_start,
                       m.amount_residual_signed AS amount,
                       (m.debt_expected_payment_date IS NULL
                        OR m.debt_expected_payment_basis IN %(held)s
                        OR (c.debt_forecast_risk_days > 0
                            AND GREATEST(m.debt_expected_payment_date,
                                         (SELECT day FROM forecast_today))
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
                 WHERE m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.payment_state IN %(open)s
                   AND m.debt_expected_payment_basis IS NOT NULL
                   AND m.amount_residual_signed > 0
            )
            SELECT MIN(i.id) AS id,
                   i.week_start,
                   i.company_id,
                   i.partner_id,
                   %(collector)s AS user_id,
                   pr.tier_id,
                   c.currency_id,
                   SUM(i.amount) AS amount_expected,
                   COALESCE(SUM(i.amount) FILTER (WHERE i.at_risk), 0)
                       AS amount_at_risk
              FROM invoice i
              JOIN res_partner p ON p.id = i.partner_id
              JOIN res_company c ON c.id = i.company_id
         LEFT JOIN debt_partner_profile pr
                ON pr.partner_id = i.partner_id AND pr.company_id = i.company_id
          GROUP BY i.week_start, i.company_id, i.partner_id, p.debt_collector_id,
                   p.user_id, pr.tier_id, c.currency_id
            """,
            setting=TODAY_SETTING,
            held=(payment_date_service.DISPUTE, payment_date_service.HANDOFF),
            agreed=(payment_date_service.PROMISE, payment_date_service.PLAN),
            open=OPEN_PAYMENT_STATES,
            collector=self.env["res.partner"]._debt_collector_sql(
                "p", SQL("i.company_id")
            ),
        )

    def init(self):
        sql.drop_view_if_exists(self.env.cr, self._table)
        self.env.execute_query(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._forecast_query(),
            )
        )

    def _forecast_set_today(self):
        # The view reads the invoices' tables: what the ORM still holds goes
        # to the database first.
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                "SELECT set_config(%s, %s, TRUE)",
                TODAY_SETTING,
                fields.Date.to_string(fields.Date.context_today(self)),
            )
        )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        self._forecast_set_today()
        self.invalidate_model()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _fetch_query(self, query, fields):
        self._forecast_set_today()
        return super()._fetch_query(query, fields)
