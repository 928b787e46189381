"""Expected payment dates of open customer invoices, kept up to date.

The facts (past payments, open invoices, agreements) are gathered set-based,
a fixed number of queries for a whole company or for a few customers; the
guess is :func:`services.payment_date.expect`; the dates are written with one
``UPDATE`` of the invoices whose date or basis changed.
"""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .. import fastpath
from ..services import handoff as handoff_service
from ..services import payment_date as service
from .debt_collection_facts import OPEN_PAYMENT_STATES

BASES = [
    (service.OWN, "Own payment history"),
    (service.TIER, "Customers of the same tier"),
    (service.NO_HISTORY, "No history: the due date"),
    (service.PROMISE, "Promise to pay"),
    (service.PLAN, "Payment plan"),
    (service.DISPUTE, "Dispute"),
    (service.HANDOFF, "Handed off"),
]

HISTORY_DAYS = 730
"""Payments older than this are not read: at a half-life of 180 days they
would weigh less than a sixteenth of a recent one."""

DEFER_KEY = "debt_expected_dates_later"
"""Context key: a caller that refreshes the dates itself afterwards (the run,
once its agreements are settled) turns the prompt refresh off. It can only
turn something off."""


def _expected_since(found, day, basis, as_of):
    """Whether the stored ``(day, basis)`` already says ``found``: a payment
    expected on a day gone by, still unpaid, is expected today (the readers,
    the cash-in forecast, take the later of the stored day and today), so an
    invoice expected "now" keeps the day it was first expected now rather
    than being written again every day (at a million open invoices, most of
    them overdue, that rewrite was most of the daily run's time)."""
    return basis == found[1] and found[0] == as_of and day is not None and day < as_of


class DebtPaymentDate(models.AbstractModel):
    _name = "debt.payment.date"
    _description = "Expected Payment Dates"

    @api.model
    def _refresh(self, company, as_of=None, partner_ids=None):
        """Guess again the expected payment date of ``company``'s open
        customer invoices (of ``partner_ids``, commercial partners, only when
        given), as of ``as_of`` (default: today), and clear it on the ones no
        longer open. Returns the number of invoices written."""
        as_of = as_of or fields.Date.context_today(self)
        if partner_ids is not None:
            partner_ids = sorted(set(partner_ids))
            if not partner_ids:
                return 0
        self._flush()
        scope = self._scope(partner_ids)
        invoices = self._open_invoices(company, scope)
        tiers = self._tiers(company, {row[1] for row in invoices}, partner_ids)
        own, by_tier = self._histories(company, as_of, partner_ids, set(tiers.values()))
        known = self._known(company, partner_ids)
        rounding = company.currency_id.rounding
        known_moves = set().union(*known.values())
        no_history = service.History((), as_of)
        # Invoices of customers without a history of their own, with nothing
        # known about them, get the same answer for the same tier, amount band
        # and due date: asked once (most open invoices of a large ledger).
        shared = {}
        values = {}
        for move_id, partner_id, due, residual, _ccy_residual, day, basis in invoices:
            tier_id = tiers.get(partner_id)
            if due is None or residual <= rounding / 2:
                found = (None, None)
            elif not (
                move_id in known_moves or partner_id in own or tier_id in by_tier
            ):
                # Nothing known and no history, the customer's or its tier's:
                # what service.expect answers, without building its facts
                # (most open invoices of a large ledger).
                found = (max(due, as_of), service.NO_HISTORY)
            elif move_id not in known_moves and partner_id not in own:
                tier = by_tier.get(tier_id) if tier_id else None
                key = (
                    tier_id,
                    service.amount_band(float(residual), tier.bands) if tier else None,
                    due,
                )
                found = shared.get(key)
                if found is None:
                    expectation = service.expect(
                        service.OpenInvoice(due, float(residual)),
                        no_history,
                        tier,
                        as_of=as_of,
                    )
                    found = shared[key] = (expectation.date, expectation.basis)
            else:
                expectation = service.expect(
                    service.OpenInvoice(
                        due,
                        float(residual),
                        promise_date=known["promise"].get(move_id),
                        plan_dates=known["plan"].get(move_id, ()),
                        dispute_target_date=known["dispute_target"].get(move_id),
                        disputed=move_id in known["disputed"],
                        handed_off=move_id in known["handoff"],
                    ),
                    own.get(partner_id) or service.History((), as_of),
                    by_tier.get(tier_id) if tier_id else None,
                    as_of=as_of,
                )
                found = (expectation.date, expectation.basis)
            if found != (day, basis) and not _expected_since(found, day, basis, as_of):
                values[move_id] = found
        values.update(dict.fromkeys(self._closed(company, scope), (None, None)))
        self._write(values)
        # The cash-in forecast sums them by week: its rows follow.
        self.env["debt.cashin.forecast"]._refresh(company, as_of, partner_ids)
        return len(values)

    @api.model
    def _refresh_all(self, as_of=None):
        """Refresh the open invoices of every company with a collection policy
        (as the daily run does): installing, migrating."""
        for company in self.env["res.company"].search(
            [("debt_policy_id", "!=", False)]
        ):
            self._refresh(company, as_of)

    @api.model
    def _refresh_moves(self, moves):
        """Refresh the customers of ``moves`` (customer invoices), promptly:
        an invoice posted or paid, an agreement made or changed."""
        if self.env.context.get(DEFER_KEY):
            return
        by_company = defaultdict(set)
        for move in moves.filtered(lambda m: m.move_type == "out_invoice"):
            by_company[move.company_id].add(move.commercial_partner_id.id)
        for company, partner_ids in by_company.items():
            self._refresh(company, partner_ids=partner_ids)

    @api.model
    def _refresh_partners(self, pairs):
        """Refresh the customers of ``pairs`` (``(customer, company)``: an
        agreement's), promptly."""
        if self.env.context.get(DEFER_KEY):
            return
        by_company = defaultdict(set)
        for partner, company in pairs:
            by_company[company].add(partner.id)
        for company, partner_ids in by_company.items():
            self._refresh(company, partner_ids=partner_ids)

    # ------------------------------------------------------------------
    # Facts
    # ------------------------------------------------------------------

    @api.model
    def _flush(self):
        self.env["account.move"].flush_model()
        self.env["account.move.line"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        for model in (
            "debt.partner.profile",
            "debt.promise",
            "debt.payment.plan",
            "debt.payment.plan.installment",
            "debt.dispute",
            "debt.handoff",
        ):
            self.env[model].flush_model()

    @api.model
    def _scope(self, partner_ids, column="m.commercial_partner_id"):
        if partner_ids is None:
            return SQL("TRUE")
        return SQL(
            "%s = ANY(%s)",
            SQL(column),
            fastpath.array(self.env, partner_ids, "int4[]"),
        )

    @api.model
    def _open_invoices(self, company, scope):
        """Rows ``(move, customer, oldest open due date, open amount in
        company currency, open amount in the invoice's currency, expected
        date, basis)`` of the open customer invoices."""
        return self.env.execute_query(
            SQL(
                """
            SELECT m.id, m.commercial_partner_id,
                   MIN(l.date_maturity) FILTER (WHERE NOT l.reconciled),
                   COALESCE(SUM(l.amount_residual), 0),
                   COALESCE(SUM(l.amount_residual_currency), 0),
                   m.debt_expected_payment_date, m.debt_expected_payment_basis
              FROM account_move m
              JOIN account_move_line l
                ON l.move_id = m.id AND l.display_type = 'payment_term'
             WHERE m.company_id = %(company)s
               AND m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.payment_state IN %(open)s
               AND %(scope)s
          GROUP BY m.id
                """,
                company=company.id,
                open=OPEN_PAYMENT_STATES,
                scope=scope,
            )
        )

    @api.model
    def _closed(self, company, scope):
        """Invoices with an expected date that are no longer open."""
        rows = self.env.execute_query(
            SQL(
                """
            SELECT m.id FROM account_move m
             WHERE m.company_id = %(company)s
               AND m.debt_expected_payment_basis IS NOT NULL
               AND (m.move_type != 'out_invoice' OR m.state != 'posted'
                    OR m.payment_state NOT IN %(open)s)
               AND %(scope)s
                """,
                company=company.id,
                open=OPEN_PAYMENT_STATES,
                scope=scope,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _tiers(self, company, partner_ids, scope_ids):
        """Customer -> its relationship tier in ``company``."""
        ids = sorted(set(partner_ids) | set(scope_ids or ()))
        rows = self.env.execute_query(
            SQL(
                """
            SELECT partner_id, tier_id FROM debt_partner_profile
             WHERE company_id = %s AND tier_id IS NOT NULL
               AND partner_id = ANY(%s)
                """,
                company.id,
                fastpath.array(self.env, ids, "int4[]"),
            )
        )
        return dict(rows)

    @api.model
    def _histories(self, company, as_of, partner_ids, tier_ids):
        """({customer: History}, {tier: History}) of the invoices paid in
        full in ``company``: by ``partner_ids`` (all when None) and by the
        customers of ``tier_ids``. The payment date is the day the last
        payment was matched with the invoice; a payment before the due date
        counts as on time (lateness 0)."""
        if partner_ids is None:
            scope = SQL("TRUE")
        else:
            scope = SQL(
                "(m.commercial_partner_id = ANY(%s) OR pr.tier_id = ANY(%s))",
                fastpath.array(self.env, partner_ids, "int4[]"),
                fastpath.array(self.env, sorted(tier_ids), "int4[]"),
            )
        rows = self.env.execute_query(
            SQL(
                """
            SELECT m.commercial_partner_id, pr.tier_id, m.invoice_date_due,
                   paid.day, ABS(m.amount_total_signed)
              FROM account_move m
         LEFT JOIN debt_partner_profile pr
                ON pr.partner_id = m.commercial_partner_id
               AND pr.company_id = m.company_id
              JOIN LATERAL (
                    SELECT MAX(p.max_date) AS day
                      FROM account_move_line l
                      JOIN account_partial_reconcile p ON p.debit_move_id = l.id
                     WHERE l.move_id = m.id AND l.display_type = 'payment_term'
                   ) paid ON TRUE
             WHERE m.company_id = %(company)s
               AND m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.payment_state IN ('paid', 'in_payment')
               AND m.invoice_date_due IS NOT NULL
               AND paid.day BETWEEN %(since)s AND %(as_of)s
               AND %(scope)s
                """,
                company=company.id,
                since=as_of - timedelta(days=HISTORY_DAYS),
                as_of=as_of,
                scope=scope,
            )
        )
        own, by_tier = defaultdict(list), defaultdict(list)
        for partner_id, tier_id, due, day, amount in rows:
            payment = service.Payment(due, max(day, due), float(amount))
            own[partner_id].append(payment)
            if tier_id:
                by_tier[tier_id].append(payment)
        return (
            {pid: service.History(tuple(p), as_of) for pid, p in own.items()},
            {tid: service.History(tuple(p), as_of) for tid, p in by_tier.items()},
        )

    @api.model
    def _known(self, company, partner_ids):
        """What is known now about the open invoices: an open promise's date,
        an active plan's instalments paying them, an open dispute (and its
        target date), an open hand-off."""
        env = self.env
        promise = dict(
            env.execute_query(
                SQL(
                    """
            SELECT rel.move_id, MIN(p.date_promised)
              FROM debt_promise p
              JOIN debt_promise_move_rel rel ON rel.promise_id = p.id
             WHERE p.company_id = %s AND p.state = 'open' AND %s
          GROUP BY rel.move_id
                    """,
                    company.id,
                    self._scope(partner_ids, "p.partner_id"),
                )
            )
        )
        target_days = company.debt_dispute_target_days
        disputed, dispute_target = set(), {}
        for move_id, opened in env.execute_query(
            SQL(
                """
            SELECT move_id, MIN(date) FROM debt_dispute
             WHERE company_id = %s AND state = 'open' AND %s
          GROUP BY move_id
                """,
                company.id,
                self._scope(partner_ids, "partner_id"),
            )
        ):
            disputed.add(move_id)
            if target_days > 0 and opened:
                dispute_target[move_id] = opened + timedelta(days=target_days)
        handoff = {
            row[0]
            for row in env.execute_query(
                SQL(
                    """
            SELECT DISTINCT rel.move_id
              FROM debt_handoff h
              JOIN debt_handoff_move_rel rel ON rel.handoff_id = h.id
             WHERE h.company_id = %s AND h.state IN %s AND %s
                    """,
                    company.id,
                    handoff_service.OPEN_STATES,
                    self._scope(partner_ids, "h.partner_id"),
                )
            )
        }
        return {
            "promise": promise,
            "plan": self._plan_dates(company, partner_ids),
            "disputed": disputed,
            "dispute_target": dispute_target,
            "handoff": handoff,
        }

    @api.model
    def _plan_dates(self, company, partner_ids):
        """Move -> the dates of the active plans' instalments paying it."""
        rows = self.env.execute_query(
            SQL(
                """
            SELECT p.id, m.id, MIN(l.date_maturity) FILTER (WHERE NOT l.reconciled),
                   COALESCE(SUM(l.amount_residual_currency), 0)
              FROM debt_payment_plan p
              JOIN debt_payment_plan_move_rel rel ON rel.plan_id = p.id
              JOIN account_move m ON m.id = rel.move_id
              JOIN account_move_line l
                ON l.move_id = m.id AND l.display_type = 'payment_term'
             WHERE p.company_id = %s AND p.state = 'active' AND %s
          GROUP BY p.id, m.id
                """,
                company.id,
                self._scope(partner_ids, "p.partner_id"),
            )
        )
        if not rows:
            return {}
        invoices = defaultdict(list)
        for plan_id, move_id, due, residual in rows:
            invoices[plan_id].append((move_id, due, float(residual)))
        schedules = defaultdict(list)
        for plan_id, day, left in self.env.execute_query(
            SQL(
                """
            SELECT plan_id, date_due, amount_due
              FROM debt_payment_plan_installment
             WHERE plan_id = ANY(%s) AND state != 'paid'
                """,
                list(invoices),
            )
        ):
            schedules[plan_id].append((day, float(left)))
        found = defaultdict(tuple)
        for plan_id, moves in invoices.items():
            for move_id, dates in service.plan_dates(
                [(m, due or fields.Date.today(), r) for m, due, r in moves],
                schedules[plan_id],
            ).items():
                found[move_id] += dates
        return dict(found)

    # ------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------

    @api.model
    def _write(self, values):
        """Write ``{move id: (date, basis)}`` with one statement."""
        if not values:
            return
        ids = list(values)
        self.env.execute_query(
            SQL(
                """
            UPDATE account_move AS m
               SET debt_expected_payment_date = d.day,
                   debt_expected_payment_basis = d.basis
              FROM UNNEST(%s::int[], %s::date[], %s::varchar[]) AS d(id, day, basis)
             WHERE m.id = d.id
                """,
                ids,
                [values[i][0] for i in ids],
                [values[i][1] for i in ids],
            )
        )
        self.env["account.move"].browse(ids).invalidate_recordset(
            ["debt_expected_payment_date", "debt_expected_payment_basis"]
        )
