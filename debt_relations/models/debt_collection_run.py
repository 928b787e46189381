import logging
import time
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date, pdf

from .. import fastpath
from ..services import eligibility, escalation
from .debt_collection_facts import OPEN_PAYMENT_STATES
from .debt_payment_date import DEFER_KEY as DEFER_EXPECTED_DATES

_logger = logging.getLogger(__name__)


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
        "res.users",
        string="Started By",
        readonly=True,
        default=lambda self: self.env.user,
        help="Who pressed Run now (last), or OdooBot for the scheduled action.",
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
    reminder_count = fields.Integer(
        string="Reminders Sent",
        compute="_compute_counts",
        help="Reminders delivered (the mail server accepted the email) or made "
        "(a letter printed, a call scheduled).",
    )
    mail_queued_count = fields.Integer(
        string="In the Mail Queue",
        compute="_compute_counts",
        help="Reminders whose email waits in Odoo's mail queue (or for a retry).",
    )
    review_count = fields.Integer(
        string="Waiting for Review", compute="_compute_counts"
    )
    queued_count = fields.Integer(string="Still to Send", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")
    letter_count = fields.Integer(
        string="Letters",
        compute="_compute_letter_count",
        help="Letters the run printed (its reminders' and those printed when "
        "an email failed).",
    )
    skip_count = fields.Integer(string="Invoices Skipped", readonly=True)
    # Late-payment charges: stated by the run's reminders (accrued as of its
    # date on the invoices they listed from the charge rung), applied or waived
    # on those invoices by collectors since. Never charged by the run itself.
    charges_stated = fields.Monetary(
        currency_field="currency_id", compute="_compute_charges"
    )
    charges_applied = fields.Monetary(
        currency_field="currency_id", compute="_compute_charges"
    )
    charges_waived = fields.Monetary(
        string="Charges Waived (goodwill)",
        currency_field="currency_id",
        compute="_compute_charges",
    )
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
    def _compute_charges(self):
        for run in self:
            moves = run.action_ids.filtered(
                lambda a: a.state in ("done", "outgoing")
            ).move_ids
            found = self.env["debt.charge"]._figures(
                run.company_id, moves=moves, as_of=run.date
            )[None]
            run.charges_stated = found["stated"]
            run.charges_applied = found["applied"]
            run.charges_waived = found["waived"]

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
            run.mail_queued_count = data.get((run.id, "outgoing"), 0)
            run.review_count = data.get((run.id, "to_review"), 0)
            run.queued_count = data.get((run.id, "queued"), 0)
            run.failed_count = data.get((run.id, "failed"), 0)

    def _compute_letter_count(self):
        data = dict(
            self.env["debt.action"]._read_group(
                [("run_id", "in", self.ids), ("letter_attachment_id", "!=", False)],
                ["run_id"],
                ["__count"],
            )
        )
        for run in self:
            run.letter_count = data.get(run, 0)

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _run_collection(self, company=None, as_of=None, today=None):
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
        run = self._prepare_run(company, as_of, today=fields.Date.to_date(today))
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
            self._decide_contained(todo[0], today)
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
    def _decide_contained(self, company, as_of):
        """Decide ``company``'s run; a failure costs that company only."""
        try:
            with self.env.cr.savepoint():
                return self._prepare_run(company, as_of)
        except CONCURRENCY_ERRORS:
            # Another worker is deciding this company ("Run now", or a second
            # cron worker): its run is the one; look again in a minute.
            self.env.invalidate_all()
            self._retry_cron_at(fields.Datetime.now() + timedelta(minutes=1))
            return self.browse()
        except Exception as error:  # noqa: BLE001 - contained, recorded, retried
            self.env.invalidate_all()
            _logger.exception("Collection run of %s for %s failed", as_of, company.name)
            return self._record_failure(company, as_of, error)

    def _record_failure(self, company, as_of, error):
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

    def action_print_letters(self):
        """Every letter the run printed, in one PDF for the post room: the
        letters as they were printed and logged, by customer name, each from
        a new page."""
        self.ensure_one()
        if not self.env.user.has_group("debt_relations.group_debt_user"):
            raise AccessError(
                self.env._("Only collectors and managers can print a run's letters.")
            )
        self._letter_actions(raise_if_none=True)
        return self.env.ref(
            "debt_relations.action_report_debt_run_letters"
        ).report_action(self)

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
        run = Run._prepare_run(self.env.company, today, redecide=True)
        # The run of the day may be the scheduled action's: it now shows who
        # pressed the button last.
        run.user_id = self.env.user
        run._send_next_batch()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # The run's letters
    # ------------------------------------------------------------------

    def _letter_actions(self, raise_if_none=False):
        """The run's actions that printed a letter, by customer name."""
        self.ensure_one()
        actions = self.action_ids.filtered("letter_attachment_id").sorted(
            lambda a: ((a.partner_id.name or "").casefold(), a.id)
        )
        if not actions and raise_if_none:
            raise UserError(
                self.env._(
                    "The %(run)s printed no letter: there is nothing to print.",
                    run=self.name,
                )
            )
        return actions

    def _letters_pdf(self):
        """One PDF of the run's letters, each exactly as it was printed and
        logged (its attachment), each from a new page.

        Letters kept as HTML (printed where wkhtmltopdf was missing) are
        made PDF in one wkhtmltopdf call per group of them.
        """
        Report = self.env["ir.actions.report"]
        letter_report = Report._get_report("debt_relations.action_report_debt_letter")
        chunks, html = [], []

        def flush():
            if html:
                chunks.append(Report._debt_html_letters_to_pdf(letter_report, html))
                html.clear()

        for action in self._letter_actions(raise_if_none=True):
            attachment = action.letter_attachment_id
            if attachment.mimetype == "application/pdf":
                flush()
                chunks.append(attachment.raw)
            else:
                html.append(attachment.raw)
        flush()
        return chunks[0] if len(chunks) == 1 else pdf.merge_pdf(chunks)

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
    def _prepare_run(self, company, as_of, redecide=False, today=None):
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
        with fastpath.batch(self) as batch:
            return batch._decide(run and run.with_env(batch.env), company, as_of, today)

    @api.model
    def _decide(self, run, company, as_of, today):
        """Decide ``run`` (or a new run of ``company`` for ``as_of``): settle
        agreements, gather the facts, decide, record (see :meth:`_prepare_run`)."""
        started = time.monotonic()
        run = run or self._create_run(company, as_of)
        run = run.with_company(company)
        replay = as_of < today
        if replay:
            run.write({"replay": True})
        else:
            self.env["debt.action"]._mark_stale(company, as_of)
            self.env["debt.action"]._refresh_waiting(company, as_of)
            # The expected payment dates follow once, for every customer,
            # rather than at each agreement settled.
            run.with_context(**{DEFER_EXPECTED_DATES: True})._settle_agreements()
            self.env["debt.payment.date"]._refresh(company, as_of)
        Facts = self.env["debt.collection.facts"].with_company(company)
        invoices = Facts._gather_invoice_facts(company, as_of=as_of if replay else None)
        partners, policy_partners, offsets = Facts._gather_partner_facts(
            company, as_of, {inv.partner_id for inv in invoices}
        )
        policies = {}
        for policy, partner_ids in policy_partners.items():
            found = escalation.Policy(
                tuple(Facts._policy_ladder(policy)), policy.tolerance_amount
            )
            policies.update(dict.fromkeys(partner_ids, found))
        decisions = escalation.decide_run(
            policies, partners, invoices, as_of, company.currency_id.rounding, offsets
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
        elif run.state == "done":
            # Decided again (Run now pressed again): sending starts over, and
            # the run is finished again once what it added is sent.
            values.update(state="running", finished_at=False)
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
    def _create_run(self, company, as_of):
        """The run record of ``company`` for ``as_of``, created now.

        The row is inserted directly so that a run another worker committed
        since this transaction began (invisible to it) ends this one with a
        serialisation failure, which the web client retries and the scheduled
        action defers, instead of a duplicate-key error.
        """
        self.flush_model()
        uid = self.env.uid
        # Not logged as a failed query: meeting another worker is expected.
        self.env.cr.execute(
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
            ),
            log_exceptions=False,
        )
        rows = self.env.cr.fetchall()
        if not rows:
            raise psycopg2.errors.SerializationFailure(
                "another worker created this collection run"
            )
        return self.browse(rows[0][0])

    def _settle_agreements(self):
        """Bring agreements up to date as of the run's date, before deciding.

        Extension point: payment plans, promises, the portal's payment claims
        and customer profiles settle their states here, so the decision sees
        today's holds and tiers.
        """
        self.ensure_one()
        self.env["debt.portal.claim"]._settle(self.company_id, self.date)
        self.env["debt.payment.plan"]._settle(self.company_id, self.date)
        self.env["debt.promise"]._settle(self.company_id, self.date)
        self.env["debt.handoff"]._settle(self.company_id, self.date)
        self._close_moot_calls()
        self._refresh_relationships()

    def _close_moot_calls(self):
        """Close the collection calls still to make for customers with nothing
        left to chase in the run's company (paid, disputed, in a plan,
        promised, said to be paid since the call was scheduled), with a note
        saying why. Set-based: one search of the calls, one of their
        customers' open invoices, one closing per reason."""
        self.ensure_one()
        company, as_of = self.company_id, self.date
        call_type = self.env.ref(
            "debt_relations.mail_activity_type_debt_call", raise_if_not_found=False
        )
        if not call_type:
            return
        # sudo: the calls are the run's to-dos on customers.
        calls = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("activity_type_id", "=", call_type.id),
                ]
            )
        )
        # The calls of this company's collectors (a customer shared with
        # another company keeps that company's calls).
        calls = calls.filtered(lambda a: company in a.user_id.company_ids)
        if not calls:
            return
        Move = self.env["account.move"].sudo()
        partner_ids = set(calls.mapped("res_id"))
        invoiced = {
            partner.id
            for [partner] in Move._read_group(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("commercial_partner_id", "in", list(partner_ids)),
                ],
                ["commercial_partner_id"],
            )
        }
        open_moves = Move.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", OPEN_PAYMENT_STATES),
                ("commercial_partner_id", "in", list(invoiced)),
            ]
        )
        facts = self.env["debt.collection.facts"]._gather_invoice_facts(
            company, open_moves.ids
        )
        rounding = company.currency_id.rounding
        chased, held = set(), {}
        for inv in facts:
            if inv.date_due is None or inv.date_due >= as_of:
                continue  # not overdue: no call is about it
            reason = eligibility.invoice_skip_reason(inv, 0.0, rounding)
            if reason is None:
                chased.add(inv.partner_id)
            else:
                held.setdefault(inv.partner_id, set()).add(reason)
        labels = dict(Move._fields["debt_skip_reason"]._description_selection(self.env))
        by_note = {}
        for call in calls:
            partner_id = call.res_id
            if partner_id not in invoiced or partner_id in chased:
                continue
            reasons = sorted(labels.get(r, r) for r in held.get(partner_id, ()))
            if reasons:
                note = self.env._(
                    "Closed by the collection run of %(date)s: nothing overdue is "
                    "left to chase (%(reasons)s).",
                    date=format_date(self.env, as_of),
                    reasons=", ".join(reasons),
                )
            else:
                note = self.env._(
                    "Closed by the collection run of %(date)s: nothing is "
                    "overdue any more.",
                    date=format_date(self.env, as_of),
                )
            by_note.setdefault(note, []).append(call.id)
        for note, ids in by_note.items():
            calls = self.env["mail.activity"].sudo().browse(ids)
            # Closed, not made: their log entries say so before the to-dos go.
            calls._debt_call_logs()._call_cancelled(note)
            calls._action_done(feedback=note)

    def _refresh_relationships(self):
        """Refresh profiles and tiers, then thank and reward, as of the run's date."""
        self.ensure_one()
        figures, previous = self.env["debt.relationship.tier"]._refresh_profiles(
            self.company_id, self.date
        )
        self.env["debt.incentive.rule"]._run_incentives(
            self.company_id, self.date, figures, previous
        )

    def _record_decisions(self, decisions, invoices, partners):
        """Write what the decisions say: actions to send or review, skip
        reasons, and the run's figures. A replay writes its figures only."""
        self.ensure_one()
        skipped = {}
        for decision in decisions:
            skipped.update(decision.skipped)
        contacting = [decision for decision in decisions if decision.stage_id]
        residual = {inv.move_id: inv.residual for inv in invoices}
        rounding = self.currency_id.rounding
        # What the reminders ask: the part of each invoice no dispute holds.
        chaseable = {
            inv.move_id: eligibility.chaseable_residual(inv, rounding)
            for inv in invoices
        }
        chased = sum(
            chaseable.get(move_id, 0.0)
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
            # sudo: the rung is the run's bookkeeping, refused to callers.
            settled.sudo().write({"debt_stage_id": False})

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
        with fastpath.batch(actions) as batch:
            batch._execute(today=today)
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
        # Sent or still in the mail queue: what the run made, and asked for.
        counts = self.env["debt.action"]._read_group(
            [("run_id", "=", self.id), ("state", "in", ("outgoing", "done"))],
            ["stage_id"],
            ["__count", "amount_asked:sum"],
        )
        commands = [
            fields.Command.unlink(line.id)
            for line in self.line_ids
            if line.kind == "stage"
        ]
        commands += [
            fields.Command.create(
                {"kind": "stage", "stage_id": stage.id, "count": n, "amount": amount}
            )
            for stage, n, amount in counts
        ]
        self.write({"line_ids": commands})
