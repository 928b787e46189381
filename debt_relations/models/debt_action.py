import json
import logging
from datetime import timedelta
from operator import itemgetter

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL, plaintext2html, sql

from .. import fastpath
from ..services import channels as channel_service
from ..services import eligibility, escalation
from .debt_contact_log import DELIVERY_STATES
from .debt_sender import REMINDER, Contact
from .mail_thread import company_sender

_logger = logging.getLogger(__name__)

REMINDER_MOVE_FIELDS = [
    "name",
    "payment_reference",
    "invoice_date_due",
    "amount_residual",
    "currency_id",
    "partner_bank_id",
    "company_id",
]
"""The invoice fields a reminder's table, payment instructions and log entry
read (a template edited to show more reads the rest as Odoo does)."""

ANALYZE_AFTER = 1000
"""Actions created at once from which their tables' statistics are refreshed."""

MOVE_KEYS_INDEX = "debt_action_move_keys_index"

MOVE_KEYS_PENDING_LIST_KB = 65536
"""The pending list of :data:`MOVE_KEYS_INDEX` (kB): a million invoice keys."""

QUEUED_INDEX = "debt_action_queued_index"
"""The actions still to send, by run: what each sending batch claims."""

REMINDER_EXPRESSIONS = (
    "object.company_id.name",
    "object.customer_lang",
    "object.recipient_id.id",
    "object.recipient_id.lang",
    "object.recipient_id.name",
)
"""Field paths the shipped reminder templates put in their subject, recipient
and language, and the greeting's name (see
:meth:`DebtAction.mail_allowed_qweb_expressions`)."""

USER_FIELDS = frozenset({"review_note"})
"""The only field of an action a user writes; the run owns every other one."""


class DebtAction(models.Model):
    """A reminder the run prepared for one customer: sent, waiting or skipped.

    One action per customer per run, whatever the number of invoices: the
    customer gets one message listing them all.
    """

    _name = "debt.action"
    _inherit = "debt.owned.mixin"
    _description = "Collection Action"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "partner_id"

    run_id = fields.Many2one(
        "debt.collection.run", ondelete="set null", index=True, readonly=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    recipient_id = fields.Many2one(
        "res.partner",
        compute="_compute_recipient_id",
        help="The billing contact the reminder is addressed to.",
    )
    customer_lang = fields.Char(
        string="Customer Language",
        compute="_compute_customer_lang",
        help="The language of the reminder and its letter: the billing "
        "contact's, else the company's.",
    )
    stage_id = fields.Many2one(
        "debt.stage", required=True, readonly=True, ondelete="restrict", index=True
    )
    partner_stage_id = fields.Many2one(
        "debt.stage",
        readonly=True,
        ondelete="set null",
        help="The customer's rung once this action is sent.",
    )
    tone = fields.Selection(related="stage_id.tone")
    date = fields.Date(string="As of", required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_move_ids",
        inverse="_inverse_move_ids",
        search="_search_move_ids",
        readonly=True,
        help="The invoices the reminder lists.",
    )
    # The invoices are kept on the action's own row rather than in a relation
    # table: a run at a million invoices would otherwise insert a million
    # links, each checked against both tables (a third of its decision).
    move_keys = fields.Json(
        readonly=True,
        help="Storage of Invoices: their ids, as text (indexed for searching).",
    )
    move_stages = fields.Json(
        readonly=True, help="Invoices that climb a rung: move id -> stage id."
    )
    agreement_broken = fields.Boolean(
        string="Acknowledges a Broken Agreement",
        readonly=True,
        help="The customer broke a payment plan or a promise since the last "
        "contact: the reminder says so, at the customer's current rung.",
    )
    amount_due = fields.Monetary(
        string="Amount Due Today",
        compute="_compute_amount_due",
        currency_field="currency_id",
        help="What the listed invoices still owe today.",
    )
    amount_asked = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="What the reminder asked for when it was sent (the open amount of "
        "the invoices it listed, that day).",
    )
    state = fields.Selection(
        [
            ("to_review", "To Review"),
            ("queued", "To Send"),
            ("outgoing", "Queued"),
            ("done", "Sent"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
            ("failed", "Failed"),
            ("stale", "Stale"),
        ],
        required=True,
        default="queued",
        index=True,
        readonly=True,
        help="To Send: the run sends it in its next batch. Queued: its email "
        "waits in the mail queue; Sent once the mail server accepted it (or its "
        "letter was printed, its call scheduled). Failed: it could not be "
        "rendered or delivered (see the note); the customer was not reached. "
        "Cancelled: checked again before sending, there was nothing left to "
        "remind (see the note). Stale: it waited for review too long; the next "
        "run decides again with that day's figures.",
    )
    decided_date = fields.Date(
        readonly=True,
        help="The day the run prepared it; the As of date is the day it is sent.",
    )
    waiting_days = fields.Integer(
        string="Waiting (days)",
        compute="_compute_waiting_days",
        help="Days since the run prepared it.",
    )
    delivery_state = fields.Selection(
        DELIVERY_STATES,
        readonly=True,
        help="Delivery of its email, as the mail queue reports it.",
    )
    # Sanitised as the chatter shows the sent email (mail.message.body's rules).
    preview_body = fields.Html(
        string="Message",
        compute="_compute_preview_body",
        sanitize_style=True,
        help="The email as it will be sent, with today's figures.",
    )
    partner_log_ids = fields.Many2many(
        "debt.contact.log",
        string="Recent Contacts",
        compute="_compute_partner_log_ids",
        help="The customer's last contacts, in and out.",
    )
    stages_moved = fields.Boolean(
        readonly=True,
        help="The customer and its invoices climbed to this action's rung: "
        "when its email was delivered, or its letter or call made.",
    )
    send_email = fields.Boolean(related="stage_id.send_email")
    send_letter = fields.Boolean(related="stage_id.send_letter")
    schedule_call = fields.Boolean(related="stage_id.schedule_call")
    requires_review = fields.Boolean(related="stage_id.requires_review")
    reviewed_by_id = fields.Many2one("res.users", readonly=True)
    review_note = fields.Text()
    note = fields.Text(readonly=True, help="What happened when it was sent.")
    channels_used = fields.Char(
        readonly=True,
        help="The channels the reminder went out by (comma-separated): the "
        "stage's, or only the customer's preferred one where the stage offers "
        "it, less those that could not reach the customer.",
    )
    # Indexed: deleting a chatter message or an attachment looks them up here.
    mail_message_id = fields.Many2one(
        "mail.message", readonly=True, index="btree_not_null"
    )
    letter_attachment_id = fields.Many2one(
        "ir.attachment", readonly=True, index="btree_not_null"
    )
    contact_log_ids = fields.One2many("debt.contact.log", "action_id", readonly=True)

    def mail_allowed_qweb_expressions(self):
        """The plain field paths of the reminders' subjects, recipients and
        languages: Odoo reads them without evaluating code (three evaluations
        a reminder otherwise; the sender's address, with its fallback, is
        still evaluated), and users who do not edit templates may use them
        as well."""
        return (
            *super().mail_allowed_qweb_expressions(),
            *REMINDER_EXPRESSIONS,
        )

    @api.depends("partner_id")
    def _compute_recipient_id(self):
        for action in self:
            action.recipient_id = action.partner_id._debt_billing_contact()

    @api.depends("partner_id", "company_id")
    def _compute_customer_lang(self):
        for action in self:
            action.customer_lang = action.recipient_id._debt_lang(action.company_id)

    @api.depends("decided_date", "date", "state")
    def _compute_waiting_days(self):
        today = fields.Date.context_today(self)
        for action in self:
            start = action.decided_date or action.date
            end = today if action.state == "to_review" else action.date
            action.waiting_days = max((end - start).days, 0) if start and end else 0

    @api.depends("stage_id.mail_template_id", "move_ids", "date", "state")
    def _compute_preview_body(self):
        self.preview_body = False
        waiting = self.filtered(
            lambda a: a.id and a.state in ("to_review", "queued") and a.send_email
        )
        for template, actions in waiting.grouped(
            lambda a: a.stage_id.mail_template_id
        ).items():
            if not template:
                continue
            # Rendered as the run renders it (the sent body is this one).
            # A preview carries the customer's link to no one: its date stays.
            bodies = (
                template.sudo()
                .with_context(debt_portal_link_unsent=True)
                ._render_field("body_html", actions.ids)
            )
            for action in actions:
                action.preview_body = bodies.get(action.id)

    @api.depends("partner_id")
    def _compute_partner_log_ids(self):
        Log = self.env["debt.contact.log"]
        for action in self:
            action.partner_log_ids = Log.search(
                [
                    ("partner_id", "=", action.partner_id.commercial_partner_id.id),
                    ("company_id", "=", action.company_id.id),
                ],
                limit=10,
            )

    def init(self):
        # Each sending batch claims the run's next queued actions in id order.
        # Through the primary key it would step over every action already
        # sent (a tenth of a second per batch by the end of a 200,000-action
        # run: the run's batches together grew with the square of its size);
        # this index holds only those still queued.
        sql.create_index(
            self.env.cr,
            QUEUED_INDEX,
            self._table,
            ["run_id", "id"],
            where="state = 'queued'",
        )
        # Finds the actions listing an invoice (``move_keys ?| ids``).
        if not sql.index_exists(self.env.cr, MOVE_KEYS_INDEX):
            sql.create_index(
                self.env.cr, MOVE_KEYS_INDEX, self._table, ["move_keys"], method="gin"
            )
        # A run inserts its actions' keys at once: a pending list holding a
        # day's run lets PostgreSQL add them to the index later in bulk (at
        # the next autovacuum), where the default 4 MB makes the insert merge
        # them into the index again and again (4 s of inserting 200,000
        # actions here). Searches read the pending list too until then.
        option = f"gin_pending_list_limit={MOVE_KEYS_PENDING_LIST_KB}"
        [[options]] = self.env.execute_query(
            SQL("SELECT reloptions FROM pg_class WHERE relname = %s", MOVE_KEYS_INDEX)
        )
        if option not in (options or ()):
            self.env.execute_query(
                SQL(
                    "ALTER INDEX %s SET (gin_pending_list_limit = %s)",
                    SQL.identifier(MOVE_KEYS_INDEX),
                    MOVE_KEYS_PENDING_LIST_KB,
                )
            )

    @api.depends("move_keys")
    def _compute_move_ids(self):
        listed = {action: _move_ids_of(action.move_keys) for action in self}
        every = {move_id for move_ids in listed.values() for move_id in move_ids}
        # In the invoices' own order, as a relation table would read them;
        # an invoice deleted since is no longer listed.
        Move = self.env["account.move"]
        found = Move.search([("id", "in", list(every))]).ids if every else []
        rank = {move_id: n for n, move_id in enumerate(found)}
        for action, move_ids in listed.items():
            action.move_ids = Move.browse(
                sorted((mid for mid in move_ids if mid in rank), key=rank.get)
            )

    def _inverse_move_ids(self):
        for action in self:
            action.move_keys = _keys_of(action.move_ids.ids)

    def _search_move_ids(self, operator, value):
        if operator in ("=", "!=") and not value:
            empty = SQL(
                "(SELECT id FROM debt_action "
                "WHERE move_keys IS NULL OR move_keys = '[]'::jsonb)"
            )
            return [("id", "in" if operator == "=" else "not in", empty)]
        if operator in ("in", "not in", "=", "!="):
            values = value if isinstance(value, (list, tuple, set)) else [value]
            move_ids = [v for v in values if isinstance(v, int)]
            negative = operator in ("not in", "!=")
        else:
            # A name (``ilike`` ...), as a relation searches its records' names.
            move_ids = self.env["account.move"]._search([("name", operator, value)])
            negative = operator in expression.NEGATIVE_TERM_OPERATORS
            move_ids = list(move_ids)
        self.flush_model(["move_keys"])
        listing = SQL(
            "(SELECT id FROM debt_action WHERE move_keys ?| %s::text[])",
            _keys_of(move_ids),
        )
        return [("id", "not in" if negative else "in", listing)]

    @api.depends("move_ids.amount_residual")
    def _compute_amount_due(self):
        for action in self:
            action.amount_due = sum(action.move_ids.mapped("amount_residual_signed"))

    @api.model_create_multi
    def create(self, vals_list):
        if not self._debt_is_owner():
            raise UserError(
                self.env._(
                    "Collection actions are prepared by the collection run only."
                )
            )
        return super().create(vals_list)

    def _debt_owned(self, fnames):
        """The run owns every field but the review note."""
        return [fname for fname in fnames if fname not in USER_FIELDS]

    def _debt_refuse_owned(self, fnames):
        if fnames:
            raise UserError(
                self.env._(
                    "%(fields)s of a collection action are set by the collection "
                    "run: use Approve or Skip.",
                    fields=self._debt_field_labels(sorted(fnames))
                    or ", ".join(sorted(fnames)),
                )
            )

    @api.model
    def _create_prepared(self, run, decisions):
        """Create the actions of ``run`` for ``decisions`` (those that contact).

        A run prepares one action per customer contacted, tens of thousands on
        a large ledger: they are inserted, with the invoices each lists, by
        one set-based ``INSERT`` instead of the generic ``create``, which costs
        a default lookup and an inverse per record. Nothing here needs the
        ORM's logic: the values are the run's own decisions.
        """
        run.ensure_one()
        if not decisions:
            return self.browse()
        self.flush_model()
        self.env["debt.collection.run"].flush_model()
        uid = self.env.uid
        rows = self.env.execute_query(
            SQL(
                """
            INSERT INTO debt_action (
                run_id, company_id, date, decided_date, partner_id, stage_id,
                partner_stage_id, state, move_keys, move_stages, agreement_broken,
                create_uid, create_date, write_uid, write_date)
            SELECT %(run)s, %(company)s, %(date)s, %(date)s, d.partner_id, d.stage_id,
                   d.partner_stage_id, d.state, d.move_keys::jsonb,
                   d.move_stages::jsonb, d.agreement_broken,
                   %(uid)s, NOW() AT TIME ZONE 'UTC',
                   %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM UNNEST(%(partners)s::int[], %(stages)s::int[],
                          %(partner_stages)s::int[], %(states)s::varchar[],
                          %(move_keys)s::text[], %(move_stages)s::text[],
                          %(broken)s::bool[])
                   AS d(partner_id, stage_id, partner_stage_id, state,
                        move_keys, move_stages, agreement_broken)
         RETURNING partner_id, id
                """,
                run=run.id,
                company=run.company_id.id,
                date=run.date,
                uid=uid,
                partners=fastpath.array(
                    self.env, (d.partner_id for d in decisions), "int4[]"
                ),
                stages=fastpath.array(
                    self.env, (d.stage_id for d in decisions), "int4[]"
                ),
                partner_stages=fastpath.array(
                    self.env, (d.partner_stage_id for d in decisions), "int4[]"
                ),
                states=fastpath.array(
                    self.env,
                    ("to_review" if d.requires_review else "queued" for d in decisions),
                    "varchar[]",
                ),
                move_keys=fastpath.array(
                    self.env,
                    (_keys_json(d.move_ids) for d in decisions),
                    "text[]",
                ),
                move_stages=fastpath.array(
                    self.env,
                    (
                        json.dumps(
                            {str(mid): sid for mid, sid in d.move_stages.items()}
                        )
                        for d in decisions
                    ),
                    "text[]",
                ),
                broken=fastpath.array(
                    self.env, (bool(d.agreement_broken) for d in decisions), "bool[]"
                ),
            )
        )
        # One action per customer and run: the customer tells which is which.
        action_of = dict(rows)
        action_ids = [action_of[d.partner_id] for d in decisions]
        if len(decisions) >= ANALYZE_AFTER:
            # Thousands of rows arrived at once: without fresh statistics the
            # planner keeps believing the table small, and the sending phase's
            # updates of these actions fall back to scanning it all.
            fastpath.analyze(self.env, "debt_action")
        run.invalidate_recordset(
            ["action_ids", "reminder_count", "review_count", "queued_count"]
        )
        return self.browse(action_ids)

    # ------------------------------------------------------------------
    # Review
    # ------------------------------------------------------------------

    def action_approve(self):
        """Approve prepared actions: they are verified again with today's
        figures, sent, dated and logged today. The run that prepared them
        keeps the figures it decided.

        :returns: a notification saying what was sent and, for each action
            the check cancelled, why
        """
        self._check_reviewable()
        # sudo: the state and reviewer are the run's bookkeeping, written only
        # here once the rights and the state were checked.
        self.sudo().write({"state": "queued", "reviewed_by_id": self.env.uid})
        self._execute()
        return self._approval_notification()

    def _approval_notification(self):
        """The client notification of :meth:`action_approve`."""
        sent = self.filtered(lambda a: a.state in ("outgoing", "done"))
        not_sent = self - sent
        lines = []
        if sent:
            lines.append(
                self.env._(
                    "%(count)s reminder(s) sent or queued for sending.",
                    count=len(sent),
                )
            )
        lines += [
            self.env._(
                "%(customer)s: %(reason)s",
                customer=action.partner_id.display_name,
                reason=action.note or action.state,
            )
            for action in not_sent
        ]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Not sent") if not sent else self.env._("Approved"),
                "message": "\n".join(lines),
                "type": "warning" if not_sent else "success",
                "sticky": bool(not_sent),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_preview_letter(self):
        """The letter of this action, as it will be printed. Shown, not
        sent: the statement link it prints is not dated as sent."""
        self.ensure_one()
        return (
            self.env.ref("debt_relations.action_report_debt_letter")
            .with_context(debt_portal_link_unsent=True)
            .report_action(self)
        )

    @api.model
    def _refresh_waiting(self, company, as_of):
        """Actions waiting for review show the figures of the latest run's
        day: their reviewer reads what would be sent."""
        waiting = self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "to_review"),
                ("date", "<", as_of),
            ]
        )
        waiting.write({"date": as_of})
        return waiting

    def action_skip(self):
        """Do not send these prepared actions; the customer stays on its rung."""
        self._check_reviewable()
        # sudo: see action_approve.
        self.sudo().write({"state": "skipped", "reviewed_by_id": self.env.uid})
        return True

    @api.model
    def _mark_stale(self, company, as_of):
        """Actions waiting for review longer than the configured days are
        stale: not sent; the next run decides again with that day's facts."""
        days = company.debt_review_stale_days
        if days <= 0:
            return self.browse()
        stale = self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "to_review"),
                ("decided_date", "<", as_of - timedelta(days=days)),
            ]
        )
        stale.write(
            {
                "state": "stale",
                "note": self.env._(
                    "Not sent: it waited for review more than %(days)s days; the "
                    "collection run decides again with the figures of its day.",
                    days=days,
                ),
            }
        )
        return stale

    def _check_reviewable(self):
        if not self.env.user.has_group("debt_relations.group_debt_user"):
            raise UserError(
                self.env._("Only collectors can approve or skip collection actions.")
            )
        today = fields.Date.context_today(self)
        stale = self.filtered(
            lambda a: (
                a.state == "stale"
                or (
                    a.company_id.debt_review_stale_days > 0
                    and a.state == "to_review"
                    and (today - (a.decided_date or a.date)).days
                    > a.company_id.debt_review_stale_days
                )
            )
        )
        if stale:
            raise UserError(
                self.env._(
                    "These actions waited too long to be sent as prepared: "
                    "%(customers)s. The next collection run prepares them again "
                    "with today's figures.",
                    customers=", ".join(stale.partner_id.mapped("display_name")),
                )
            )
        not_waiting = self.filtered(lambda a: a.state != "to_review")
        if not_waiting:
            raise UserError(
                self.env._(
                    "Only actions waiting for review can be approved or skipped: "
                    "%(customers)s.",
                    customers=", ".join(not_waiting.partner_id.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def _get_reminder_lines(self):
        """Lines the reminder lists: number, due date, days overdue, residual,
        the due date and the residual also written in the reader's language
        (``due_text``, ``residual_html``, as the ``date`` and ``monetary``
        widgets write them). The residual of an invoice partly disputed is
        what the dispute leaves due; ``disputed`` (``disputed_html``) is the
        part disputed (0 when none)."""
        self.ensure_one()
        formats = fastpath.Formats.of(self.env)
        date = self.date
        lines = []
        for move in self.move_ids:
            due = move.debt_open_due_date or move.invoice_date_due
            residual, currency = move.amount_residual, move.currency_id
            # A partial dispute: the line asks for the rest only. (Read through
            # the invoices, prefetched for every reminder of the batch.)
            dispute = move.debt_dispute_ids.filtered(lambda d: d.state == "open")[:1]
            disputed = dispute._amount_held() if dispute else 0.0
            residual = eligibility.undisputed_amount(
                residual, disputed, currency.rounding
            )
            line = {
                "move": move,
                "name": move.name,
                "date_due": due,
                "due_text": formats.date(due),
                "days_overdue": max(escalation.days_overdue(due, date), 0),
                "residual": residual,
                "residual_html": formats.monetary(residual, currency),
                "disputed": disputed,
                "disputed_html": formats.monetary(disputed, currency),
                "currency": currency,
            }
            lines.append(((move.invoice_date_due, move.id), line))
        # By the invoice's own due date, then by id.
        lines.sort(key=itemgetter(0))
        return [line for _key, line in lines]

    def _execute(self, today=None):
        """Verify, send and log queued actions; move customers and invoices up.

        Runs as the company's collection run (``sudo``): the actions, the mail
        queue and the customers' rungs are its bookkeeping, whoever approved.
        Everything is dated on the day it is sent, whatever day the action was
        prepared: the customer reads today's figures.

        :param today: the day of sending (default: today; see
            ``debt.collection.run._run_collection``)
        """
        today = fields.Date.to_date(today) or fields.Date.context_today(self)
        for company, actions in (
            self.sudo()
            .filtered(lambda a: a.state == "queued")
            .grouped("company_id")
            .items()
        ):
            late = actions.filtered(lambda a: a.date != today)
            if late:
                late.write({"date": today})
            actions.with_company(company)._execute_company()

    def _execute_company(self):
        company = self.env.company
        rounding = company.currency_id.rounding
        Facts = self.env["debt.collection.facts"]
        asked = {}
        facts = {
            inv.move_id: inv
            for inv in Facts._gather_invoice_facts(company, self.move_ids.ids)
        }
        to_send = []
        for action in self:
            # The customer may have been paused or asked not to be contacted
            # since the action was prepared (e.g. while it waited for review).
            partner = action.partner_id
            reason = eligibility.partner_skip_reason(
                eligibility.PartnerFacts(
                    partner.id,
                    paused_until=partner.debt_paused_until,
                    do_not_contact=partner.debt_do_not_contact,
                    replied_until=partner.debt_replied_until,
                ),
                action.date,
            )
            if reason:
                action.write(
                    {
                        "state": "cancelled",
                        "note": self.env._(
                            "Not sent: the customer replied by email before "
                            "sending; the reminders are paused."
                        )
                        if reason == eligibility.CUSTOMER_REPLIED
                        else self.env._(
                            "Not sent: the customer was paused or asked not to be "
                            "contacted before sending."
                        ),
                    }
                )
                continue
            policy = action.stage_id.policy_id
            keep, dropped = escalation.reverify(
                [facts[mid] for mid in action.move_ids.ids if mid in facts],
                policy.tolerance_amount,
                rounding,
            )
            if not keep:
                action.write(
                    {
                        "state": "cancelled",
                        "note": self.env._(
                            "Not sent, nothing left to remind: %(reasons)s.",
                            reasons=action._dropped_text(dropped),
                        ),
                    }
                )
                continue
            if dropped:
                action.move_ids = [fields.Command.set(keep)]
            to_send.append(action.id)
            # What no open dispute holds: a partial dispute leaves the rest due.
            asked[action.id] = sum(
                eligibility.chaseable_residual(facts[mid], rounding) for mid in keep
            )
        if not to_send:
            return
        to_send = self.browse(to_send)
        self._write_amount_asked(asked)
        try:
            with self.env.cr.savepoint():
                to_send._send_and_log()
        except psycopg2.Error:
            # The database, not this customer's data: the whole batch is
            # retried in a new transaction (nothing was sent).
            raise
        except Exception:  # noqa: BLE001 - contained, recorded, one by one below
            # One customer's message (a template failing on its data, a letter
            # that cannot be printed) must not cost the others theirs: send one
            # by one, and record what fails on its action.
            self.env.invalidate_all()
            for action in to_send:
                try:
                    with self.env.cr.savepoint():
                        action._send_and_log()
                except psycopg2.Error:
                    raise
                except Exception as error:  # noqa: BLE001
                    self.env.invalidate_all()
                    _logger.warning(
                        "Collection action %s (customer %s) could not be sent: %s",
                        action.id,
                        action.partner_id.id,
                        _plain_error(error),
                    )
                    action.write(
                        {
                            "state": "failed",
                            "note": self.env._(
                                "Not sent: %(error)s", error=_plain_error(error)
                            ),
                        }
                    )

    def _dropped_text(self, dropped):
        """``dropped`` (move id -> skip reason) in words: each invoice and why."""
        labels = dict(
            self.env["account.move"]
            ._fields["debt_skip_reason"]
            ._description_selection(self.env)
        )
        names = dict(
            (move.id, move.name)
            for move in self.env["account.move"].browse(list(dropped)).exists()
        )
        return "; ".join(
            self.env._(
                "%(invoice)s: %(reason)s",
                invoice=names.get(move_id, str(move_id)),
                reason=labels.get(reason, reason),
            )
            for move_id, reason in sorted(dropped.items())
        )

    def _write_amount_asked(self, asked):
        """Keep what each action asks for (action id -> amount, company
        currency), in one statement for the batch."""
        if not asked:
            return
        self.flush_model(["amount_asked"])
        ids = list(asked)
        self.env.execute_query(
            SQL(
                """
            UPDATE debt_action a SET amount_asked = d.amount
              FROM UNNEST(%s::int[], %s::numeric[]) AS d(id, amount)
             WHERE a.id = d.id
                """,
                ids,
                [self.env.company.currency_id.round(asked[i]) for i in ids],
            )
        )
        self.browse(ids).invalidate_recordset(["amount_asked"])

    def _debt_contact(self, **values):
        """This reminder as a contact of the sending pipeline
        (``debt.sender``): by its stage's channels, its stage's mail."""
        self.ensure_one()
        values.setdefault("channels", tuple(self.stage_id._debt_channels()))
        return Contact(
            self.partner_id,
            REMINDER,
            self,
            template=self.stage_id.mail_template_id,
            action=self,
            stage=self.stage_id,
            moves=self.move_ids,
            **values,
        )

    def _send_and_log(self):
        """Send the actions through the sending pipeline (``debt.sender``:
        the channels chosen, one log entry each, a note on the chatter), and
        move the rungs of those whose contact is made (a letter printed, a
        call scheduled); an email (or another channel whose entry is queued)
        moves them once delivered."""
        # The reminders link each customer's statement: keys made at once.
        self.partner_id._debt_portal_ensure_tokens()
        # What the reminders and their log entries read of the invoices, read
        # at once: the first field read would fetch all eighty columns.
        self.move_ids.fetch(REMINDER_MOVE_FIELDS)
        contacts = [action._debt_contact() for action in self]
        logs = self.env["debt.sender"]._debt_send(contacts)
        self._write_channels(contacts)
        logs_hand_off = self.filtered("stage_id.is_handoff")._hand_off()
        self.env["debt.contact.log"].create(logs_hand_off)
        queued = logs.filtered(lambda log: log.delivery_state == "queued").action_id
        # A letter printed (posted or not) or a call scheduled is a contact
        # made; a queued entry waits for its delivery.
        made = logs.filtered(
            lambda log: (
                log.channel in ("letter", "call")
                or log.delivery_state not in ("queued", "failed")
            )
        ).action_id
        reached = made | self.filtered("stage_id.is_handoff")
        waiting = queued - reached
        for note, actions in (self - waiting - reached).grouped("note").items():
            actions.write(
                {
                    "state": "failed",
                    "note": self.env._(
                        "Not sent, the customer cannot be reached: %(reasons)s",
                        reasons=note or "",
                    ),
                }
            )
        reached._move_stages()
        reached.write({"state": "done"})
        # Sent once delivered (see _on_delivered): until then in Odoo's mail
        # (or SMS, or post) queue.
        waiting.write({"state": "outgoing", "delivery_state": "queued"})

    def _write_channels(self, contacts):
        """Keep each action's channels (``channels_used``) and, in its note,
        why some were not used."""
        chosen = {}
        for contact in contacts:
            key = (
                ",".join(sorted(contact.chosen)) or False,
                contact.action._channel_reasons_text(contact.reasons) or False,
            )
            chosen.setdefault(key, []).append(contact.action.id)
        for (used, note), ids in chosen.items():
            self.browse(ids).write({"channels_used": used, "note": note})

    def _debt_reachable_channels(self, offered):
        """The channels among ``offered`` that can reach the customer today.
        A bridge adding a channel says when it can."""
        self.ensure_one()
        reachable = set(offered) - {"email"}
        if "email" in offered and self._email_ok():
            reachable.add("email")
        return reachable

    def _debt_unreachable_text(self, channel):
        """Why ``channel`` cannot reach the customer, in a sentence."""
        if channel == "email":
            return self.env._(
                "No email: the billing contact has no valid email address, or "
                "it failed."
            )
        return self.env._(
            "No %(channel)s: it cannot reach the customer.",
            channel=self._channel_label(channel),
        )

    def _channel_label(self, channel):
        return self.env["debt.sender"]._channel_label(channel)

    def _channel_reasons_text(self, reasons):
        """``services.channels`` reasons in words, one sentence each."""
        texts = []
        for code, channel in reasons:
            if code == channel_service.PREFERRED_NOT_OFFERED:
                texts.append(
                    self.env._(
                        "Prefers %(channel)s; this stage has no %(channel)s.",
                        channel=self._channel_label(channel),
                    )
                )
            elif code == channel_service.PREFERRED_UNREACHABLE:
                texts.append(
                    self.env._(
                        "Prefers %(channel)s, which cannot reach the customer today.",
                        channel=self._channel_label(channel),
                    )
                )
                texts.append(self._debt_unreachable_text(channel))
            else:
                texts.append(self._debt_unreachable_text(channel))
        return " ".join(texts)

    def _uses(self, channel):
        """Whether this action goes (went) out by ``channel``; an action sent
        before channels were recorded used its stage's."""
        self.ensure_one()
        if self.channels_used:
            return channel in self.channels_used.split(",")
        return self.state in ("outgoing", "done") and (
            channel in self.stage_id._debt_channels()
        )

    def _email_ok(self):
        """The billing contact has an address Odoo can send to, and it has
        not failed for good."""
        self.ensure_one()
        recipient = self.recipient_id
        return fastpath.email_valid(self.env, recipient.email) and not (
            self.partner_id.commercial_partner_id.debt_email_failing
        )

    def _on_delivered(self):
        """The mail server accepted the reminder: the customer was reached."""
        actions = self.sudo()
        actions.write({"delivery_state": "sent"})
        actions.filtered(lambda a: not a.stages_moved)._move_stages()
        actions.filtered(lambda a: a.state == "outgoing").write({"state": "done"})

    def _on_delivery_failed(self, error):
        """The reminder could not be delivered, for good: the address is
        marked failing, the collector is told, and the stage's letter goes out
        instead when the stage says so."""
        for action in self.sudo():
            action = action.with_company(action.company_id)
            partner = company_sender(action.partner_id.commercial_partner_id)
            partner.write({"debt_email_failing": True, "debt_email_failure": error})
            partner.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.context_today(self),
                summary=self.env._("Reminder not delivered"),
                # Text (the address and the server's reply among it), not HTML.
                note=plaintext2html(
                    self.env._(
                        "The %(stage)s reminder could not be delivered to "
                        "%(email)s: %(error)s",
                        stage=action.stage_id.name,
                        email=action.recipient_id.email or "",
                        error=error,
                    )
                ),
                user_id=partner._debt_collector(action.stage_id.policy_id).id,
            )
            values = {"delivery_state": "failed"}
            if action.state == "outgoing":
                values["state"] = "done"  # unless failed below
            if action.stages_moved:
                pass  # a letter or a call of the stage reached the customer
            elif action.stage_id.letter_fallback and not action._uses("letter"):
                # Printed today, however long ago the email was queued.
                self.env["debt.sender"]._debt_send(
                    [
                        action._debt_contact(
                            channels=("letter",),
                            date=fields.Date.context_today(self),
                        )
                    ]
                )
                action._move_stages()
                values["note"] = self.env._(
                    "The email could not be delivered (%(error)s): a letter was "
                    "printed instead.",
                    error=error,
                )
            else:
                values.update(
                    state="failed",
                    note=self.env._(
                        "Not delivered: %(error)s The customer was not reached.",
                        error=error,
                    ),
                )
            action.write(values)

    def _log_vals(self, channel, summary, **extra):
        self.ensure_one()
        if self.move_ids:
            # Given at creation: the entries of a batch are not updated one
            # by one afterwards.
            extra.setdefault(
                "invoice_snapshot",
                self.env["debt.contact.log"]._invoice_snapshot(self.move_ids),
            )
        return {
            "partner_id": self.partner_id.id,
            "move_ids": [fields.Command.set(self.move_ids.ids)],
            "date": self.date,
            "channel": channel,
            "direction": "outbound",
            "delivery_state": "queued" if channel == "email" else "not_applicable",
            "stage_id": self.stage_id.id,
            "summary": summary,
            "user_id": self._log_user().id,
            "company_id": self.company_id.id,
            "action_id": self.id,
            **extra,
        }

    def _log_user(self):
        """Who the contact is logged by: the reviewer, else the user sending;
        for the scheduled action (OdooBot), the customer's collector."""
        self.ensure_one()
        user = self.reviewed_by_id or self.env.user
        if user._is_superuser() or not user._is_internal():
            user = self.partner_id._debt_collector(self.stage_id.policy_id)
        return user

    def _print_letters(self):
        """Print one letter (PDF) per action, kept on the action and the log."""
        logs = []
        # The letters print each customer's statement link: keys made and
        # links dated at once.
        self.partner_id._debt_portal_ensure_tokens()
        report = self.env.ref("debt_relations.action_report_debt_letter")
        Report = self.env["ir.actions.report"]
        # Without wkhtmltopdf the letter is kept as HTML, printable from a browser,
        # rather than holding up every reminder of the run.
        as_pdf = Report.get_wkhtmltopdf_state() != "install"
        for action in self:
            name = self.env._(
                "Letter %(customer)s %(date)s",
                customer=action.partner_id.display_name,
                date=fields.Date.to_string(action.date),
            )
            if as_pdf:
                content, kind = Report._render_qweb_pdf(report, res_ids=action.ids)
            else:
                content, kind = Report._render_qweb_html(report, action.ids)
            # What Odoo returned decides: it renders HTML in test mode, too.
            is_pdf = kind == "pdf"
            attachment = self.env["ir.attachment"].create(
                {
                    "name": f"{name}.pdf" if is_pdf else f"{name}.html",
                    "raw": content,
                    "res_model": self._name,
                    "res_id": action.id,
                    "mimetype": "application/pdf" if is_pdf else "text/html",
                }
            )
            action.letter_attachment_id = attachment
            logs.append(
                action._log_vals(
                    "letter",
                    self.env._("Letter: %(stage)s", stage=action.stage_id.name),
                    attachment_id=attachment.id,
                )
            )
        return self._post_letters(logs)

    def _post_letters(self, logs):
        """Hook, once the letters are printed: ``self`` the actions, ``logs``
        their log entries' values, in the same order. Printed letters go to
        the post room (the run's *Print letters*); a bridge that posts them
        (``debt_relations_snailmail``) sends them here and says so in the
        values. Returns the values to log."""
        return logs

    def _schedule_calls(self):
        """A phone-call activity for the customer's collector, per action."""
        logs = []
        Governor = self.env["debt.contact.governor"]
        for action in self:
            # sudo: a collector approving the reminder may only read customers;
            # the activity is the run's, assigned to the user who acts on it.
            partner = company_sender(action.partner_id.sudo())
            # Due on the next day the contact hours allow (not a holiday).
            due = Governor._next_allowed_days(
                action.company_id, action.partner_id, action.date
            )[action.partner_id.id]
            activity = partner.activity_schedule(
                "debt_relations.mail_activity_type_debt_call",
                date_deadline=due,
                summary=self.env._(
                    "Collection call: %(stage)s", stage=action.stage_id.name
                ),
                note=_text_note(action.stage_id.note),
                user_id=action._caller().id,
            )
            logs.append(
                action._log_vals(
                    "call",
                    self.env._("Call scheduled: %(stage)s", stage=action.stage_id.name),
                    # Made once the collector marks the to-do done.
                    activity_id=activity.id,
                    delivery_state="queued",
                )
            )
        return logs

    def _caller(self):
        """Who makes the call: the account manager when the stage says so."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        if self.stage_id.call_account_manager and partner.user_id:
            return partner.user_id
        return partner._debt_collector(self.stage_id.policy_id)

    def _hand_off(self):
        """The file leaves the ladder: a draft hand-off (mediation first) per
        customer, for the collector to review and send with its dossier."""
        return self.env["debt.handoff"]._prepare_from_actions(self)

    def _move_stages(self):
        """Invoices climb to their new rung, customers to the action's rung."""
        rows = {}
        for action in self:
            stages = action.move_stages or {}
            for move_id in action.move_ids.ids:
                rows[move_id] = (move_id, stages.get(str(move_id)), action.date)
        self.env["account.move"]._debt_write_contacts(list(rows.values()))
        for stage, actions in self.grouped("partner_stage_id").items():
            # sudo: the rung reached is bookkeeping of the run; collectors who
            # approve a reminder need not be allowed to edit customers.
            actions.partner_id.sudo().with_company(actions.company_id[:1]).write(
                {"debt_stage_id": stage.id}
            )
        self.sudo().write({"stages_moved": True})


def _text_note(text):
    """A plain text (a stage's internal note) as an activity's HTML note."""
    return plaintext2html(text) if text else ""


def _keys_of(move_ids):
    """``move_keys`` of ``move_ids``."""
    return [str(move_id) for move_id in move_ids]


def _keys_json(move_ids):
    """``move_keys`` of ``move_ids`` as JSON text (``["7","12"]``)."""
    return "[%s]" % ",".join('"%d"' % move_id for move_id in move_ids)


def _move_ids_of(move_keys):
    """The invoice ids ``move_keys`` holds."""
    return [int(key) for key in move_keys or ()]


def _plain_error(error):
    """The innermost cause of ``error`` in one line, without the template's
    source that Odoo's rendering errors carry."""
    root = error
    while root.__cause__ is not None:
        root = root.__cause__
    text = " ".join(str(root).split())[:300]
    return f"{type(root).__name__}: {text}" if text else type(root).__name__
