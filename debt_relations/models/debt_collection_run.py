import logging
import time
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize, format_date

from ..services import eligibility, escalation

_logger = logging.getLogger(__name__)

SKIP_REASONS = [
    (eligibility.PAID, "Paid"),
    (eligibility.IN_PAYMENT, "In payment"),
    (eligibility.REVERSED, "Reversed"),
    (eligibility.BLOCKED, "Payment blocked"),
    (eligibility.EXCLUDED, "Excluded by hand"),
    (eligibility.BELOW_TOLERANCE, "Below tolerance"),
    (eligibility.PAUSED, "Customer paused"),
    (eligibility.DO_NOT_CONTACT, "Do not contact"),
    (eligibility.NO_POLICY, "No collection policy"),
    (eligibility.NO_CHANNEL, "No way to reach the customer"),
    (eligibility.INVALID_EMAIL, "Email address invalid or failing"),
    (eligibility.RECENTLY_CONTACTED, "Contacted recently"),
    (eligibility.PENDING_ACTION, "Action already pending"),
    (eligibility.PAYMENT_PLAN, "Under payment plan"),
    (eligibility.PROMISED, "Promised to pay"),
    (eligibility.DISPUTED, "Disputed"),
]

DECIDE_LOCK = 0x64656274  # "debt": advisory lock class of deciding a company's run
"""Deciding is serialised per company (key: this class, the company id): two
runs of one company never write the same customers' profiles at once."""

RETRY_FAILED_AFTER = timedelta(minutes=30)
"""A company whose daily run failed is tried again this much later, that day."""

CONCURRENCY_ERRORS = (
    psycopg2.errors.LockNotAvailable,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.UniqueViolation,
)
"""What meeting another worker deciding the same company looks like."""

# Invoices a run examines: open in Odoo's eyes. Paid and reversed ones are
# only looked at again when a prepared action is about to be sent.
OPEN_PAYMENT_STATES = ("not_paid", "partial", "in_payment", "blocked")


class DebtCollectionRun(models.Model):
    """One collection run: what was decided and done for one company on one day."""

    _name = "debt.collection.run"
    _description = "Collection Run"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    date = fields.Date(
        string="As of",
        required=True,
        readonly=True,
        index=True,
        default=fields.Date.context_today,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    user_id = fields.Many2one(
        "res.users", readonly=True, default=lambda self: self.env.user
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="running",
        required=True,
        readonly=True,
        help="Failed: deciding failed (see the error); the scheduled action "
        "tries again later that day.",
    )
    replay = fields.Boolean(
        readonly=True,
        help="A run dated before the day it was made: it decided as of its date, "
        "with the ledger as it stood then, and recorded its figures, but "
        "contacted no one and moved no rung.",
    )
    error = fields.Text(readonly=True, help="Why deciding failed.")
    retry_at = fields.Datetime(readonly=True)
    amount_chased = fields.Monetary(
        readonly=True,
        currency_field="currency_id",
        help="Open amount of the invoices listed in the reminders it prepared.",
    )
    contact_count = fields.Integer(
        string="Customers to Contact",
        readonly=True,
        help="Customers the run decided to contact (sent, waiting for review, or, "
        "for a replay, that would have been contacted).",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    duration = fields.Float(
        string="Duration (s)",
        readonly=True,
        help="Seconds spent deciding, then queueing reminders until the last one "
        "(wall clock: batches may be sent by several workers at once).",
    )
    queued_at = fields.Datetime(
        string="Decided At", readonly=True, help="When the run's actions were queued."
    )
    finished_at = fields.Datetime(
        readonly=True,
        help="When the last queued reminder of the run was sent.",
    )
    partner_count = fields.Integer(string="Customers Examined", readonly=True)
    invoice_count = fields.Integer(string="Invoices Examined", readonly=True)
    # Not stored: several workers send a run's batches at once, and a stored
    # count would make each of them rewrite the run after every batch.
    reminder_count = fields.Integer(string="Reminders Sent", compute="_compute_counts")
    review_count = fields.Integer(
        string="Waiting for Review", compute="_compute_counts"
    )
    queued_count = fields.Integer(string="Still to Send", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")
    skip_count = fields.Integer(string="Invoices Skipped", readonly=True)
    line_ids = fields.One2many("debt.collection.run.line", "run_id", readonly=True)
    action_ids = fields.One2many("debt.action", "run_id", readonly=True)

    _sql_constraints = [
        (
            "date_company_unique",
            "UNIQUE(date, company_id)",
            "There is already a collection run for this company and date.",
        ),
    ]

    @api.depends("date", "company_id")
    @api.depends_context("lang")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "Collection run of %(date)s", date=format_date(self.env, run.date)
            )

    @api.depends("action_ids.state")
    def _compute_counts(self):
        data = {
            (run.id, state): count
            for run, state, count in self.env["debt.action"]._read_group(
                [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
            )
        }
        for run in self:
            run.reminder_count = data.get((run.id, "done"), 0)
            run.review_count = data.get((run.id, "to_review"), 0)
            run.queued_count = data.get((run.id, "queued"), 0)
            run.failed_count = data.get((run.id, "failed"), 0)

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _run_collection(self, as_of=None, company=None, today=None):
        """Perform a whole collection run for ``as_of`` and return it.

        Running again for the same date continues the same run: customers already
        reminded are not reminded again, actions left queued by a crash are sent.
        A date before today is a replay: figures only, nobody is contacted.

        :param today: the day the run is made (default: today). Only for
            building a history, as the demo does: the run of each past day made
            as that day's own run. Not reachable from the client.
        """
        company = company or self.env.company
        as_of = fields.Date.to_date(as_of) or fields.Date.context_today(self)
        run = self._prepare_run(as_of, company, today=fields.Date.to_date(today))
        while run._send_next_batch(today=today):
            pass
        return run

    @api.model
    def _cron_run_collection(self):
        """Daily run: each call decides ONE company (its own transaction, the
        cron runner commits between calls), then sends one bounded batch.

        A company whose deciding fails is recorded as a failed run, the others
        go on, and it is tried again later that day; a company another worker
        is deciding right now ("Run now") is simply left to it. The scheduled
        action itself does not fail. Deciding wakes the sending scheduled
        action, so that a second cron worker sends beside this one.
        """
        today = fields.Date.context_today(self)
        todo = self._companies_to_decide(today)
        if todo:
            # Deciding only: the runner commits it before any sending starts.
            self._decide_contained(today, todo[0])
            done = 1
            todo = self._companies_to_decide(today)
        else:
            done = self._send_some()
        remaining = len(todo) + self.env["debt.action"].search_count(
            [("run_id.state", "=", "running"), ("state", "=", "queued")]
        )
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _companies_to_decide(self, today):
        """Companies with a policy and no run decided today (or a failed one
        due for another try)."""
        companies = self.env["res.company"].search([("debt_policy_id", "!=", False)])
        runs = self.search([("date", "=", today), ("company_id", "in", companies.ids)])
        now = fields.Datetime.now()
        waiting = runs.filtered(
            lambda r: r.state != "failed" or (r.retry_at and r.retry_at > now)
        )
        return companies - waiting.company_id

    @api.model
    def _decide_contained(self, as_of, company):
        """Decide ``company``'s run; a failure costs that company only."""
        try:
            with self.env.cr.savepoint():
                return self._prepare_run(as_of, company)
        except CONCURRENCY_ERRORS:
            # Another worker is deciding this company ("Run now", or a second
            # cron worker): its run is the one; look again in a minute.
            self.env.invalidate_all()
            self._retry_cron_at(fields.Datetime.now() + timedelta(minutes=1))
            return self.browse()
        except Exception as error:  # noqa: BLE001 - contained, recorded, retried
            self.env.invalidate_all()
            _logger.exception("Collection run of %s for %s failed", as_of, company.name)
            return self._record_failure(as_of, company, error)

    def _record_failure(self, as_of, company, error):
        retry_at = fields.Datetime.now() + RETRY_FAILED_AFTER
        detail = f"{type(error).__name__}: {error}"[:500]
        values = {
            "state": "failed",
            "error": self.env._(
                "Deciding failed: %(error)s. It is tried again at %(at)s.",
                error=detail,
                at=fields.Datetime.to_string(retry_at),
            ),
            "retry_at": retry_at,
        }
        # sudo: the run's own bookkeeping, written by the scheduled action.
        run = self.sudo().search(
            [("date", "=", as_of), ("company_id", "=", company.id)], limit=1
        )
        if run:
            run.write(values)
        else:
            run = self.sudo().create(
                {"date": as_of, "company_id": company.id, **values}
            )
        self._retry_cron_at(retry_at)
        return run

    @api.model
    def _retry_cron_at(self, at):
        cron = self.sudo().env.ref(
            "debt_relations.ir_cron_debt_collection_run", raise_if_not_found=False
        )
        if cron and cron.active:
            cron._trigger(at=at)

    @api.model
    def _cron_send_reminders(self):
        """Send one bounded batch of what the running runs have queued."""
        done = self._send_some()
        remaining = self.env["debt.action"].search_count(
            [("run_id.state", "=", "running"), ("state", "=", "queued")]
        )
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _send_some(self):
        """Send up to one batch of the running runs' queued actions."""
        runs = self.search([("state", "=", "running")], order="date, id")
        batch_size = self._batch_size()
        done = 0
        for run in runs:
            done += run._send_next_batch(limit=max(batch_size - done, 0))
            if done >= batch_size:
                break
        return done

    @api.model
    def _wake_senders(self):
        """Have the sending scheduled action start now (it runs in its own worker)."""
        # sudo: scheduled actions are technical records collectors cannot read.
        cron = self.sudo().env.ref(
            "debt_relations.ir_cron_debt_send_reminders", raise_if_not_found=False
        )
        if cron and cron.active:
            cron._trigger()

    def action_open_reviews(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "debt_relations.debt_action_review_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        return action

    def action_run_now(self):
        """Run today's collection for the current company (managers' button,
        in the runs list's header: called with the selected runs, or none).

        The run is decided and its first batch sent at once; a larger run goes
        on in the background, in the sending scheduled action. Pressed again
        the same day, it contacts the customers that became due since (an
        invoice posted later that day), never one already contacted today.
        """
        if not self.env.user.has_group("debt_relations.group_debt_manager"):
            raise UserError(self.env._("Only collection managers can start a run."))
        today = fields.Date.context_today(self)
        # sudo: deciding writes bookkeeping (profiles, rungs, the mail queue) a
        # manager need not be allowed to write by hand; rights were checked.
        Run = self.browse().sudo().with_company(self.env.company)
        run = Run._prepare_run(today, self.env.company, redecide=True)
        run._send_next_batch()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Decision phase
    # ------------------------------------------------------------------

    @api.model
    def _batch_size(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("debt_relations.batch_size", 500)
        )

    @api.model
    def _prepare_run(self, as_of, company, redecide=False, today=None):
        """Find or create the run of ``company`` for ``as_of`` and decide it.

        Deciding is set-based: a fixed number of queries whatever the number
        of invoices; the decisions themselves are taken by the services. When
        reminders are queued, the sending scheduled action is woken to send
        them beside whoever decided.

        :param redecide: decide again a run of today already decided ("Run
            now" pressed twice): customers that became due since are added;
            anyone contacted today is not contacted again.
        :raises UserError: for a date in the future
        :raises psycopg2.errors.LockNotAvailable: another worker is deciding
            this company right now (the web client's request is retried)
        """
        today = today or fields.Date.context_today(self)
        if as_of > today:
            raise UserError(
                self.env._(
                    "A collection run cannot be dated in the future (%(date)s): "
                    "nobody can be reminded on a day that has not come.",
                    date=format_date(self.env, as_of),
                )
            )
        run = self.search(
            [("date", "=", as_of), ("company_id", "=", company.id)], limit=1
        )
        if run and run.state != "failed" and not (redecide and as_of == today):
            # Decided already: a second call only goes on sending what is queued.
            return run
        if not company.debt_policy_id:
            raise UserError(
                self.env._(
                    "Company %(company)s has no collection policy: set one in the "
                    "Collections settings.",
                    company=company.name,
                )
            )
        self._lock_company(company)
        started = time.monotonic()
        run = run or self._create_run(as_of, company)
        run = run.with_company(company)
        replay = as_of < today
        if replay:
            run.write({"replay": True})
        else:
            self.env["debt.action"]._mark_stale(company, as_of)
            self.env["debt.action"]._refresh_waiting(company, as_of)
            run._settle_agreements()
        invoices = self._gather_invoice_facts(company, as_of=as_of if replay else None)
        partners, ladders, offsets = self._gather_partner_facts(
            company, {inv.partner_id for inv in invoices}, as_of
        )
        rounding = company.currency_id.rounding
        decisions = []
        for policy, partner_ids in ladders.items():
            ladder = self._policy_ladder(policy)
            tolerance = policy.tolerance_amount
            policy_partners = set(partner_ids)
            decisions += escalation.decide_run(
                dict.fromkeys(policy_partners, ladder),
                partners,
                [inv for inv in invoices if inv.partner_id in policy_partners],
                as_of,
                tolerance,
                rounding,
                offsets,
            )
        run._record_decisions(decisions, invoices, partners)
        values = {
            "duration": time.monotonic() - started,
            "queued_at": fields.Datetime.now(),
            "error": False,
            "retry_at": False,
        }
        if replay or run.state == "failed":
            values["state"] = "done" if replay else "running"
        run.write(values)
        if not replay and any(d.stage_id and not d.requires_review for d in decisions):
            self._wake_senders()
        return run

    @api.model
    def _lock_company(self, company):
        """Take the lock of deciding ``company`` for this transaction, waiting a
        few seconds at most for another worker deciding it.

        :raises psycopg2.errors.LockNotAvailable: still held by the other one
        """
        cr = self.env.cr
        # Inside a savepoint: on failure, its rollback also undoes the timeout.
        with cr.savepoint(flush=False):
            cr.execute(SQL("SET LOCAL lock_timeout = '5s'"))
            cr.execute(
                SQL("SELECT pg_advisory_xact_lock(%s, %s)", DECIDE_LOCK, company.id),
                log_exceptions=False,
            )
        cr.execute(SQL("SET LOCAL lock_timeout = DEFAULT"))

    @api.model
    def _create_run(self, as_of, company):
        """The run record of ``company`` for ``as_of``, created now.

        The row is inserted directly so that a run another worker committed
        since this transaction began (invisible to it) ends this one with a
        serialisation failure, which the web client retries and the scheduled
        action defers, instead of a duplicate-key error.
        """
        self.flush_model()
        uid = self.env.uid
        rows = self.env.execute_query(
            SQL(
                """
            INSERT INTO debt_collection_run (
                date, company_id, user_id, state, create_uid, create_date,
                write_uid, write_date)
            VALUES (%(date)s, %(company)s, %(uid)s, 'running', %(uid)s,
                    NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC')
            ON CONFLICT (date, company_id) DO NOTHING
            RETURNING id
                """,
                date=as_of,
                company=company.id,
                uid=uid,
            )
        )
        if not rows:
            raise psycopg2.errors.SerializationFailure(
                "another worker created this collection run"
            )
        return self.browse(rows[0][0])

    def _settle_agreements(self):
        """Bring agreements up to date as of the run's date, before deciding.

        Extension point: payment plans, promises and customer profiles settle
        their states here, so the decision sees today's holds and tiers.
        """
        self.ensure_one()
        self.env["debt.payment.plan"]._debt_settle(self.date, self.company_id)
        self.env["debt.promise"]._debt_settle(self.date, self.company_id)
        self._refresh_relationships()

    def _refresh_relationships(self):
        """Refresh profiles and tiers, then thank and reward, as of the run's date."""
        self.ensure_one()
        figures, previous = self.env["debt.relationship.tier"]._debt_refresh_profiles(
            self.company_id, self.date
        )
        self.env["debt.incentive.rule"]._debt_run_incentives(
            self.company_id, self.date, figures, previous
        )

    @api.model
    def _open_invoice_query(self, company, move_ids=None):
        """SQL giving one row per customer invoice with its open amount.

        Amounts and due dates come from the receivable (payment term) lines: an
        invoice paid in instalments is as late as its oldest unpaid instalment.
        """
        if move_ids is None:
            where = SQL("m.payment_state IN %s", OPEN_PAYMENT_STATES)
        else:
            where = SQL("m.id = ANY(%s)", list(move_ids))
        return SQL(
            """
            SELECT m.id, m.commercial_partner_id, m.payment_state,
                   COALESCE(m.debt_excluded, FALSE), m.debt_stage_id,
                   MIN(l.date_maturity) FILTER (WHERE NOT l.reconciled),
                   COALESCE(SUM(l.amount_residual), 0), m.debt_skip_reason
              FROM account_move m
              JOIN account_move_line l
                ON l.move_id = m.id AND l.display_type = 'payment_term'
             WHERE m.company_id = %(company)s
               AND m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND %(where)s
          GROUP BY m.id
            """,
            company=company.id,
            where=where,
        )

    @api.model
    def _open_invoice_query_as_of(self, company, as_of):
        """Like :meth:`_open_invoice_query`, for the ledger as it stood on
        ``as_of`` (a replay): invoices dated by then, less the payments matched
        with them by then (a reconciliation counts from the later of the two
        entries' dates, as in Odoo's aged receivable)."""
        return SQL(
            """
            WITH due AS (
                SELECT l.move_id, l.date_maturity,
                       l.balance
                       - COALESCE((SELECT SUM(p.amount)
                                     FROM account_partial_reconcile p
                                    WHERE p.debit_move_id = l.id
                                      AND p.max_date <= %(as_of)s), 0)
                       + COALESCE((SELECT SUM(p.amount)
                                     FROM account_partial_reconcile p
                                    WHERE p.credit_move_id = l.id
                                      AND p.max_date <= %(as_of)s), 0) AS residual
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                 WHERE l.display_type = 'payment_term'
                   AND m.company_id = %(company)s
                   AND m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.invoice_date <= %(as_of)s
            )
            SELECT m.id, m.commercial_partner_id,
                   CASE WHEN SUM(d.residual) < SUM(m.amount_total_signed)
                        THEN 'partial' ELSE 'not_paid' END,
                   COALESCE(m.debt_excluded, FALSE), NULL::int,
                   MIN(d.date_maturity) FILTER (WHERE d.residual > 0),
                   SUM(d.residual), NULL::varchar
              FROM due d
              JOIN account_move m ON m.id = d.move_id
          GROUP BY m.id
            HAVING SUM(d.residual) > 0
            """,
            company=company.id,
            as_of=as_of,
        )

    @api.model
    def _gather_invoice_facts(self, company, move_ids=None, as_of=None):
        """:class:`InvoiceFacts` of the company's open invoices (or of ``move_ids``).

        :param as_of: for a replay, the ledger as it stood on that day
        """
        self.env["account.move"].flush_model(
            [
                "commercial_partner_id",
                "payment_state",
                "debt_excluded",
                "debt_stage_id",
                "debt_skip_reason",
                "company_id",
                "move_type",
                "state",
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
        if as_of:
            self.env["account.partial.reconcile"].flush_model()
            self.env["account.move.line"].flush_model(["balance"])
            self.env["account.move"].flush_model(
                ["invoice_date", "amount_total_signed"]
            )
            query = self._open_invoice_query_as_of(company, as_of)
        else:
            query = self._open_invoice_query(company, move_ids)
        rows = self.env.execute_query(query)
        holds = self._get_hold_reasons(company, move_ids)
        return [
            eligibility.InvoiceFacts(
                move_id=move_id,
                partner_id=partner_id,
                payment_state=payment_state,
                excluded=excluded,
                stage_id=stage_id,
                date_due=date_due,
                residual=residual,
                hold_reason=holds.get(move_id),
                skip_reason=skip_reason,
            )
            for (
                move_id,
                partner_id,
                payment_state,
                excluded,
                stage_id,
                date_due,
                residual,
                skip_reason,
            ) in rows
        ]

    @api.model
    def _get_hold_reasons(self, company, move_ids=None):
        """Move id -> reason code, for invoices held by an agreement.

        :param move_ids: the invoices to look at; ``None``: every invoice of
            ``company`` (a whole run: agreements are far fewer than invoices,
            so they are looked up by state rather than by invoice)

        Extension point: payment plans, promises and disputes add their holds.
        """
        holds = {}
        # Weakest first, so the strongest hold (eligibility.HOLD_REASONS) wins.
        for model in ("debt.promise", "debt.payment.plan", "debt.dispute"):
            holds.update(self.env[model]._debt_hold_reasons(company, move_ids))
        return holds

    @api.model
    def _gather_partner_facts(self, company, partner_ids, as_of):
        """Facts of the customers, their policies and every stage's offset.

        :returns: (partner id -> PartnerFacts, policy -> partner ids,
                   stage id -> offset)
        """
        partner_ids = list(partner_ids)
        Partner = self.env["res.partner"]
        Partner.flush_model(
            [
                "debt_paused_until",
                "debt_do_not_contact",
                "debt_stage_id",
                "debt_policy_id",
                "debt_tier_id",
                "email",
                "parent_id",
                "type",
                "active",
                "complete_name",
                "debt_email_failing",
            ]
        )
        cid = str(company.id)
        rows = self.env.execute_query(
            SQL(
                """
            SELECT p.id, p.debt_paused_until, COALESCE(p.debt_do_not_contact, FALSE),
                   (p.debt_stage_id ->> %(cid)s)::int,
                   (p.debt_policy_id ->> %(cid)s)::int,
                   (p.debt_tier_id ->> %(cid)s)::int,
                   COALESCE((
                       SELECT c.email FROM res_partner c
                        WHERE c.parent_id = p.id AND c.type = 'invoice'
                          AND c.active AND COALESCE(c.email, '') != ''
                     ORDER BY c.complete_name, c.id DESC
                        LIMIT 1
                   ), p.email),
                   COALESCE(p.debt_email_failing, FALSE)
              FROM res_partner p
             WHERE p.id = ANY(%(ids)s)
                """,
                cid=cid,
                ids=partner_ids,
            )
        )
        last_contacts = self._gather_last_contacts(company, partner_ids, as_of)
        broken = self._get_broken_agreements(company, partner_ids, as_of, last_contacts)
        pending = {
            partner.id
            for [partner] in self.env["debt.action"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("state", "in", ("to_review", "queued")),
                ],
                ["partner_id"],
            )
        }
        default_policy = company.debt_policy_id
        policy_ids = {row[4] for row in rows if row[4]}
        tiers = (
            self.env["debt.relationship.tier"]
            .browse({row[5] for row in rows if row[5]})
            .exists()
        )
        policies = (
            self.env["debt.policy"].browse(policy_ids).exists()
            | tiers.policy_id
            | default_policy
        )
        policy_partners = {policy: [] for policy in policies}
        partners = {}
        for pid, paused, dnc, stage_id, policy_id, tier_id, email, failing in rows:
            # Odoo's own normalisation decides what it can send to.
            valid = bool(email and email_normalize(email))
            policy = policies.browse(policy_id) if policy_id in policies.ids else None
            tier = tiers.browse(tier_id) if tier_id in tiers.ids else None
            policy_partners[
                self._partner_policy(pid, policy, tier) or default_policy
            ].append(pid)
            partners[pid] = eligibility.PartnerFacts(
                partner_id=pid,
                paused_until=paused,
                do_not_contact=dnc,
                last_contact=last_contacts.get(pid),
                stage_id=stage_id,
                pending_action=pid in pending,
                has_email=valid and not failing,
                email_invalid=bool(email) and (failing or not valid),
                agreement_broken=pid in broken,
            )
        offsets = {
            stage.id: stage.offset_days
            for stage in self.env["debt.stage"].search(
                [("company_id", "=", company.id)]
            )
        }
        return partners, policy_partners, offsets

    @api.model
    def _partner_policy(self, partner_id, policy, tier=None):
        """The policy chasing ``partner_id``: the one set on it by hand, else its
        relationship tier's, else ``None`` (the company's default)."""
        return policy or (tier and tier.policy_id) or None

    @api.model
    def _get_broken_agreements(self, company, partner_ids, as_of, last_contacts):
        """Partners whose payment plan or promise broke since their last contact.

        Their next reminder acknowledges it at their current rung, no higher.
        Only breaks within the longest gap of any stage matter, as for contacts.
        """
        since = fields.Date.subtract(as_of, days=self._max_gap_days(company) + 1)
        broken = set()
        for model in ("debt.payment.plan", "debt.promise"):
            for pid, day in (
                self.env[model]._debt_broken_since(company, partner_ids, since).items()
            ):
                last = last_contacts.get(pid)
                if last is None or day > last:
                    broken.add(pid)
        return broken

    @api.model
    def _max_gap_days(self, company):
        return max(
            self.env["debt.stage"]
            .search([("company_id", "=", company.id)])
            .mapped("min_gap_days")
            or [0]
        )

    @api.model
    def _gather_last_contacts(self, company, partner_ids, as_of):
        """Partner id -> date of its last outbound contact or prepared action.

        Only the recent past matters (the longest gap of any stage); nothing
        after ``as_of`` (a replay decides as things stood that day). An email
        that could not be delivered, an action never sent, are no contact.
        """
        since = fields.Date.subtract(as_of, days=self._max_gap_days(company) + 1)
        last = {}
        for model, domain in (
            (
                "debt.contact.log",
                [
                    ("direction", "=", "outbound"),
                    ("courtesy", "=", False),
                    ("delivery_state", "!=", "failed"),
                ],
            ),
            (
                "debt.action",
                [("state", "not in", ("cancelled", "failed", "stale"))],
            ),
        ):
            for partner, day in self.env[model]._read_group(
                domain
                + [
                    ("company_id", "=", company.id),
                    ("date", ">=", since),
                    ("date", "<=", as_of),
                ],
                ["partner_id"],
                ["date:max"],
            ):
                if partner.id not in last or last[partner.id] < day:
                    last[partner.id] = day
        return last

    @api.model
    def _policy_ladder(self, policy):
        return [
            escalation.Rung(
                stage_id=stage.id,
                offset_days=stage.offset_days,
                min_gap_days=stage.min_gap_days,
                requires_review=stage.requires_review,
                send_email=stage.send_email,
                send_letter=stage.send_letter,
                schedule_call=stage.schedule_call,
            )
            for stage in policy._get_ladder_stages()
        ]

    def _record_decisions(self, decisions, invoices, partners):
        """Write what the decisions say: actions to send or review, skip
        reasons, and the run's figures. A replay writes its figures only."""
        self.ensure_one()
        skipped = {}
        for decision in decisions:
            skipped.update(decision.skipped)
        contacting = [decision for decision in decisions if decision.stage_id]
        residual = {inv.move_id: inv.residual for inv in invoices}
        chased = sum(
            residual.get(move_id, 0.0)
            for decision in contacting
            for move_id in decision.move_ids
        )
        if self.replay:
            contact_count = len(contacting)
        else:
            self._write_skip_reasons(invoices, skipped)
            self._reset_settled_partners(set(partners))
            self.env["debt.action"]._create_prepared(self, contacting)
            contact_count = len(self.action_ids)
            # Deciding again the same day (Run now twice) adds to what was
            # already prepared: count those invoices once.
            chased += self.amount_chased

        counts, amounts = {}, {}
        for move_id, reason in skipped.items():
            counts[reason] = counts.get(reason, 0) + 1
            amounts[reason] = amounts.get(reason, 0.0) + residual.get(move_id, 0.0)
        self.write(
            {
                "partner_count": len(partners),
                "invoice_count": len(invoices),
                "skip_count": len(skipped),
                "contact_count": contact_count,
                "amount_chased": self.currency_id.round(chased),
                "line_ids": [
                    fields.Command.unlink(line.id)
                    for line in self.line_ids
                    if line.kind == "skip"
                ]
                + [
                    fields.Command.create(
                        {
                            "kind": "skip",
                            "reason": reason,
                            "count": count,
                            "amount": self.currency_id.round(amounts[reason]),
                        }
                    )
                    for reason, count in sorted(counts.items())
                ],
            }
        )

    def _write_skip_reasons(self, invoices, skipped):
        """Show on each invoice why the last run did not chase it (only changes)."""
        by_reason = {}
        for inv in invoices:
            reason = skipped.get(inv.move_id) or None
            if reason != inv.skip_reason:
                by_reason.setdefault(reason or False, []).append(inv.move_id)
        for reason, move_ids in by_reason.items():
            self.env["account.move"]._debt_write_tracking(
                move_ids, {"debt_skip_reason": reason}
            )
        self._clear_closed_skip_reasons()

    def _clear_closed_skip_reasons(self):
        """Invoices no longer open (paid, reversed, cancelled) drop the reason
        an earlier run gave for not chasing them: it no longer applies."""
        Move = self.env["account.move"]
        Move.flush_model(["debt_skip_reason", "payment_state", "state", "move_type"])
        rows = self.env.execute_query(
            SQL(
                """
            UPDATE account_move
               SET debt_skip_reason = NULL
             WHERE company_id = %s
               AND debt_skip_reason IS NOT NULL
               AND (move_type != 'out_invoice' OR state != 'posted'
                    OR payment_state NOT IN %s)
         RETURNING id
                """,
                self.company_id.id,
                OPEN_PAYMENT_STATES,
            )
        )
        Move.browse([row[0] for row in rows]).invalidate_recordset(["debt_skip_reason"])

    def _reset_settled_partners(self, open_partner_ids):
        """Customers with nothing open any more start again from the first rung."""
        settled = (
            self.env["res.partner"]
            .with_company(self.company_id)
            .search([("debt_stage_id", "!=", False)])
            .filtered(lambda p: p.id not in open_partner_ids)
        )
        if settled:
            settled.write({"debt_stage_id": False})

    # ------------------------------------------------------------------
    # Sending phase
    # ------------------------------------------------------------------

    def _send_next_batch(self, limit=None, today=None):
        """Send one batch of queued actions; return how many were processed.

        Several workers may send the same run at once (the daily run and the
        sending scheduled action): each takes the queued actions no other one
        holds. Only the worker that finds nothing left to send writes the run
        itself (its state, duration and figures), so batches never contend on
        it.
        """
        self.ensure_one()
        limit = self._batch_size() if limit is None else limit
        actions = self._claim_queued(limit)
        if actions is None:
            # Another worker sent some of them since this transaction began.
            return 0
        actions._execute(today=today)
        if limit and not self.env["debt.action"].search_count(
            [("run_id", "=", self.id), ("state", "=", "queued")], limit=1
        ):
            self._finish()
        return len(actions)

    def _claim_queued(self, limit):
        """Lock up to ``limit`` queued actions that no other worker holds.

        Returns None when some of them were sent by another worker after this
        transaction's snapshot was taken: nothing is claimed then, and the
        caller tries again in a new transaction.
        """
        Action = self.env["debt.action"]
        if not limit:
            return Action
        Action.flush_model(["run_id", "state"])
        rows = self._lock_rows(
            SQL(
                "SELECT id FROM debt_action "
                "WHERE run_id = %s AND state = 'queued' "
                "ORDER BY id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED",
                self.id,
                limit,
            )
        )
        if rows is None:
            return None
        return Action.browse([row[0] for row in rows])

    @api.model
    def _lock_rows(self, query):
        """Rows of ``query``, a ``SELECT ... FOR ... UPDATE`` (``SKIP LOCKED``
        or ``NOWAIT``), or None when another worker holds them or changed them
        since this transaction began: a race expected between sending workers,
        so neither logged as an error nor fatal to the transaction."""
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute(query, log_exceptions=False)
                return cr.fetchall()
        except (
            psycopg2.errors.LockNotAvailable,
            psycopg2.errors.SerializationFailure,
        ):
            return None

    def _finish(self):
        """Close a run whose queued actions are all sent: state and figures.

        Two workers may find the run sent at the same moment: the run's row is
        locked first, and the one that cannot lock it (the other is closing
        it, or just did) leaves it alone, instead of failing its transaction.
        """
        self.ensure_one()
        if self.state == "done":
            return
        locked = self._lock_rows(
            SQL(
                "SELECT id FROM debt_collection_run WHERE id = %s "
                "FOR NO KEY UPDATE NOWAIT",
                self.id,
            )
        )
        if locked is None:
            return
        now = fields.Datetime.now()
        sending = (now - self.queued_at).total_seconds() if self.queued_at else 0.0
        self.write(
            {
                "state": "done",
                "finished_at": now,
                "duration": self.duration + max(sending, 0.0),
            }
        )
        self._write_stage_lines()

    def _write_stage_lines(self):
        """Refresh the per-stage counts of sent reminders."""
        self.ensure_one()
        counts = self.env["debt.action"]._read_group(
            [("run_id", "=", self.id), ("state", "=", "done")],
            ["stage_id"],
            ["__count"],
        )
        commands = [
            fields.Command.unlink(line.id)
            for line in self.line_ids
            if line.kind == "stage"
        ]
        commands += [
            fields.Command.create({"kind": "stage", "stage_id": stage.id, "count": n})
            for stage, n in counts
        ]
        self.write({"line_ids": commands})
