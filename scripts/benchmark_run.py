#!/usr/bin/env python3
"""Benchmark of a debt_relations collection run on a large ledger.

Run by hand, never in CI. The database must have ``debt_relations`` installed
(and, for the comparison, OCA ``account_credit_control``). See
``docs/benchmarks.md`` for the commands and the figures they produced.

1. ``--seed``: builds a small ledger through the ORM (20 customers with an email,
   N posted customer invoices each, due dates spread around the as-of date), then
   multiplies it at SQL level (``INSERT ... SELECT``) until it reaches
   ``--partners`` customers: every copy gets its own partner (its own commercial
   partner), its own invoices and their journal items, receivable lines included.
2. Removes what earlier invocations left (collection runs, actions, contact
   logs, their mails; the customers' and invoices' rungs), so every invocation
   decides the same ledger: a first contact for every overdue customer.
3. Times the decision phase (``_prepare_run``) and the queueing phase
   (``_send_next_batch`` until nothing is left, one commit per batch, as the
   cron does), with query counts. ``--workers N`` sends with N processes at
   once, as the two scheduled actions (daily run, sending) do in Odoo's two
   cron workers.
4. When ``account_credit_control`` is installed, times its
   ``generate_credit_lines`` (and, with ``--oca-queue``, the emails it queues)
   on the same invoices.
5. Prints, and with ``--json FILE`` writes, each phase's wall time, time per
   invoice, query count and number of batches, the processor time of the
   queueing (the workers' own and their database backends'), and the peak
   memory (RSS) of the deciding process and of the sending workers.
   ``--summary FILE...`` reads such files (one per invocation, e.g. one per
   ledger size) and prints the scale curve: time per invoice and its ratio
   to the 100,000-invoice point, queries per batch, peak memory, and the
   targets met or missed.
   ``--curve DB,DB,...`` makes one invocation per database, then the summary.
"""

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import resource
import subprocess
import sys
import time
from contextlib import nullcontext
from datetime import date, timedelta

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.modules.module import get_manifest, get_module_path
from odoo.modules.registry import Registry
from odoo.tools import SQL, config
from odoo.tools.convert import convert_file

TEMPLATE_PARTNERS = 20
REF_PREFIX = "BENCH-"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database (debt_relations in)")
    parser.add_argument("--db-host")
    parser.add_argument("--db-port")
    parser.add_argument("--db-user")
    parser.add_argument("--db-password")
    parser.add_argument("--addons-path")
    parser.add_argument("--data-dir", help="Odoo's data directory (filestore)")
    parser.add_argument("--partners", type=int, default=20000)
    parser.add_argument("--invoices-per-partner", type=int, default=5)
    parser.add_argument(
        "--seed",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="create the ledger first (refused if it already exists)",
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="as-of date of the run (default: the date stored when seeding)",
    )
    parser.add_argument(
        "--batch-size", type=int, help="set debt_relations.batch_size first"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="decide, profile one queueing batch with cProfile, roll back",
    )
    parser.add_argument(
        "--slow-queries",
        action="store_true",
        help="time every query of the decision and list the slowest",
    )
    parser.add_argument(
        "--profile-lines",
        type=int,
        default=30,
        help="functions listed per profile (--profile)",
    )
    parser.add_argument(
        "--oca",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run account_credit_control on the same data when installed",
    )
    parser.add_argument(
        "--oca-queue",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also time account_credit_control queueing its emails",
    )
    parser.add_argument(
        "--max-batches",
        type=int,
        default=0,
        help="stop queueing after this many batches (quick checks; 0: all)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes sending at once (Odoo runs two cron workers by default)",
    )
    parser.add_argument(
        "--refresh-templates",
        action="store_true",
        help="reload the addon's mail templates (noupdate data) first, as a new "
        "database has them (a database made with an older addon keeps its own)",
    )
    parser.add_argument(
        "--fresh-profiles",
        action="store_true",
        help="forget the customers' relationship profiles first (a first run)",
    )
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="with --seed: create the ledger and stop (measure in a new process, "
        "so that the peak memory measured is the deciding process's own)",
    )
    parser.add_argument(
        "--worklist",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time opening the collectors' worklist (debt.worklist), all "
        "collectors, after the run",
    )
    parser.add_argument(
        "--worklist-only",
        action="store_true",
        help="only time the worklist (no run): quick on a seeded ledger",
    )
    parser.add_argument(
        "--worklist-share",
        type=int,
        default=10,
        help="every Nth customer with an open invoice gets a call due for the "
        "worklist measurement (added, timed, rolled back)",
    )
    parser.add_argument(
        "--figures-only",
        action="store_true",
        help="only time the relationship figures' queries (no run): "
        "_debt_relationship_figures for the as-of month and the year to it, and "
        "the refresh of that month's debt.figures.month rows",
    )
    parser.add_argument(
        "--sanitize-only",
        type=int,
        metavar="N",
        help="only time keeping N reminders' full text in the contact log "
        "(debt.sender): their rendered bodies sanitised by Odoo's html_sanitize "
        "and by the plain-body shortcut (fastpath.write_sanitized)",
    )
    parser.add_argument(
        "--payment-dates-only",
        action="store_true",
        help="only time the expected payment dates' recompute for the company "
        "(debt.payment.date._refresh, as the daily run calls it: the dates of "
        "the day before written first), with where its time goes; rolled back",
    )
    parser.add_argument(
        "--payment-dates-before",
        type=date.fromisoformat,
        metavar="DATE",
        help="first set the expected payment dates as of DATE and commit "
        "(untimed): with DATE the day before --as-of, the run's recompute "
        "moves what a daily run moves",
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=3,
        help="times each call of --payment-dates-only, --forecast-only and "
        "--dashboard-only is timed (best and first printed)",
    )
    parser.add_argument(
        "--forecast-only",
        action="store_true",
        help="only time the cash-in forecast's reads (debt.cashin.forecast): "
        "the pivot's and the graph's read_group by week, as the web client "
        "makes them, and one customer's Collections tab",
    )
    parser.add_argument(
        "--dashboard-only",
        action="store_true",
        help="only time the read_group calls of the relationship figures "
        "dashboard's spreadsheet (debt_relations_dashboard): its pivots and "
        "charts over debt.figures.month (13 months of rows: the as-of month's "
        "refreshed, copied to the 12 before it; rolled back) and the forecast",
    )
    parser.add_argument(
        "--figures-collectors",
        type=int,
        default=5,
        help="with --figures-only: the customers are shared among this many "
        "collectors (their salesperson, set for the measurement, rolled back), "
        "so that the refresh has collectors' rows to compute",
    )
    parser.add_argument(
        "--json", metavar="FILE", help="write this invocation's figures to FILE"
    )
    parser.add_argument(
        "--summary",
        nargs="+",
        metavar="FILE",
        help="print the scale curve of files written by --json, then stop",
    )
    parser.add_argument(
        "--curve",
        metavar="DB,DB,...",
        help="one invocation per database (seeded already), each writing its "
        "figures next to --json (default: /tmp), then the curve",
    )
    parser.add_argument(
        "--reference",
        type=int,
        default=100000,
        help="open invoices of the curve's reference point (ratios to it)",
    )
    parser.add_argument(
        "--send-worker", type=int, metavar="RUN", help=argparse.SUPPRESS
    )
    parser.add_argument("--log-level", default="warn")
    args = parser.parse_args()
    if not (args.db or args.summary or args.curve):
        parser.error("--db is required (or --summary, --curve)")
    return args


def open_registry(args):
    odoo_args = ["-d", args.db, f"--log-level={args.log_level}"]
    for option, value in (
        ("--db_host", args.db_host),
        ("--db_port", args.db_port),
        ("--db_user", args.db_user),
        ("--db_password", args.db_password),
        ("--addons-path", args.addons_path),
        ("--data-dir", args.data_dir),
    ):
        if value:
            odoo_args.append(f"{option}={value}")
    config.parse_config(odoo_args)
    return Registry(args.db)


class Meter:
    """Wall time and query count of a block of work (and, for the queueing,
    the processor time :class:`CpuClock` measured)."""

    def __init__(self, cr):
        self.cr = cr
        self.seconds = 0.0
        self.queries = 0
        self.cpu_seconds = self.db_cpu_seconds = 0.0

    def __enter__(self):
        self._start = time.perf_counter()
        self._count = self.cr.sql_log_count
        return self

    def __exit__(self, *exc):
        self.seconds += time.perf_counter() - self._start
        self.queries += self.cr.sql_log_count - self._count


# ----------------------------------------------------------------------
# Seeding
# ----------------------------------------------------------------------


def overdue_days(template, invoice):
    """Days overdue on the as-of date of invoice ``invoice`` of ``template``.

    From 10 days before due to 89 days overdue; most invoices are overdue.
    """
    return (template * 17 + invoice * 29) % 100 - 10


def seed_templates(env, company, as_of, invoices_per_partner):
    """20 customers with posted invoices, made through the ORM."""
    partners = env["res.partner"].create(
        [
            {
                "name": f"Bench Customer {index:02d}",
                "ref": f"{REF_PREFIX}{index:02d}",
                "email": f"bench.customer{index:02d}@example.com",
                "is_company": True,
                "customer_rank": 1,
            }
            for index in range(TEMPLATE_PARTNERS)
        ]
    )
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    values = []
    for template, partner in enumerate(partners):
        for invoice in range(invoices_per_partner):
            due = as_of - timedelta(days=overdue_days(template, invoice))
            values.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "journal_id": journal.id,
                    "company_id": company.id,
                    "invoice_date": due - timedelta(days=30),
                    "invoice_date_due": due,
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Consulting",
                                "quantity": 1,
                                "price_unit": 100.0 + 10 * template + invoice,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
    moves = env["account.move"].create(values)
    moves.action_post()
    env.flush_all()
    return partners, moves


def columns(env, table):
    return [
        name
        for [name] in env.execute_query(
            SQL(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND is_generated = 'NEVER' "
                "ORDER BY ordinal_position",
                table,
            )
        )
    ]


def copy_rows(env, table, source, overrides):
    """``INSERT INTO table SELECT`` every column of ``source``, some replaced.

    :param source: SQL giving the rows; ``src`` is the copied row's alias
    :param overrides: column -> SQL expression (``None``: let the default apply)
    """
    names = [name for name in columns(env, table) if overrides.get(name, 1)]
    exprs = [
        overrides.get(name) or SQL("src.%s", SQL.identifier(name)) for name in names
    ]
    env.cr.execute(
        SQL(
            "INSERT INTO %s (%s) SELECT %s %s",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(name) for name in names),
            SQL(", ").join(exprs),
            source,
        )
    )
    return env.cr.rowcount


def multiply(env, partners, moves, copies):
    """Copy the template customers ``copies`` times, with invoices and lines."""
    cr = env.cr
    cr.execute(
        SQL(
            """
        CREATE TEMP TABLE bench_pmap ON COMMIT DROP AS
        SELECT k, p.id AS old_id, nextval('res_partner_id_seq')::int AS new_id
          FROM generate_series(1, %s) k, res_partner p
         WHERE p.id = ANY(%s)
            """,
            copies,
            partners.ids,
        )
    )
    n_partners = copy_rows(
        env,
        "res_partner",
        SQL("FROM bench_pmap m JOIN res_partner src ON src.id = m.old_id"),
        {
            "id": SQL("m.new_id"),
            "name": SQL("src.name || ' #' || m.k"),
            "complete_name": SQL("src.complete_name || ' #' || m.k"),
            "ref": SQL("src.ref || '-' || m.k"),
            "email": SQL("replace(src.email, '@', '.' || m.k || '@')"),
            "commercial_partner_id": SQL("m.new_id"),
        },
    )
    cr.execute(
        SQL(
            """
        CREATE TEMP TABLE bench_mmap ON COMMIT DROP AS
        SELECT m.k, mv.id AS old_id, nextval('account_move_id_seq')::int AS new_id,
               m.old_id AS old_partner, m.new_id AS new_partner
          FROM bench_pmap m
          JOIN account_move mv ON mv.commercial_partner_id = m.old_id
         WHERE mv.id = ANY(%s)
            """,
            moves.ids,
        )
    )
    cr.execute("CREATE INDEX ON bench_mmap (old_id)")
    n_moves = copy_rows(
        env,
        "account_move",
        SQL("FROM bench_mmap m JOIN account_move src ON src.id = m.old_id"),
        {
            "id": SQL("m.new_id"),
            "name": SQL("src.name || '-' || m.k"),
            "payment_reference": SQL("src.payment_reference || '-' || m.k"),
            "partner_id": SQL("m.new_partner"),
            "commercial_partner_id": SQL("m.new_partner"),
        },
    )
    n_lines = copy_rows(
        env,
        "account_move_line",
        SQL("FROM bench_mmap m JOIN account_move_line src ON src.move_id = m.old_id"),
        {
            "id": None,
            "move_id": SQL("m.new_id"),
            "move_name": SQL("src.move_name || '-' || m.k"),
            "partner_id": SQL(
                "CASE WHEN src.partner_id = m.old_partner THEN m.new_partner "
                "ELSE src.partner_id END"
            ),
        },
    )
    for table in ("res_partner", "account_move", "account_move_line"):
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    env.invalidate_all()
    return n_partners, n_moves, n_lines


def seed(env, company, args, as_of):
    if env["res.partner"].search_count([("ref", "=like", f"{REF_PREFIX}%")]):
        raise SystemExit(
            "This database is seeded already: run with --no-seed, or on a new one."
        )
    templates = min(TEMPLATE_PARTNERS, args.partners)
    copies = max(args.partners // templates - 1, 0)
    with Meter(env.cr) as orm:
        partners, moves = seed_templates(env, company, as_of, args.invoices_per_partner)
    with Meter(env.cr) as sql:
        n_partners, n_moves, n_lines = multiply(env, partners, moves, copies)
    env["ir.config_parameter"].set_param("debt_relations.benchmark_as_of", str(as_of))
    print(
        f"Seeded through the ORM: {len(partners)} customers, {len(moves)} posted "
        f"invoices in {orm.seconds:.1f} s; copied at SQL level: {n_partners} "
        f"customers, {n_moves} invoices, {n_lines} journal items in "
        f"{sql.seconds:.1f} s."
    )


# ----------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------


def reset_previous_runs(env, fresh_profiles=False):
    """Forget earlier benchmark runs, so this one decides the same ledger.

    Relationship profiles are kept (a daily run finds yesterday's), unless
    ``fresh_profiles``: then the run profiles every customer for the first time.
    """
    cr = env.cr
    env.flush_all()
    cr.execute(
        """
        CREATE TEMP TABLE bench_messages AS
        SELECT mail_message_id AS id FROM debt_action
         WHERE mail_message_id IS NOT NULL
         UNION SELECT message_id FROM debt_contact_log WHERE message_id IS NOT NULL
        """
    )
    cr.execute("DELETE FROM mail_activity WHERE res_model = 'res.partner'")
    cr.execute("DELETE FROM debt_contact_log")
    cr.execute("DELETE FROM debt_action")
    cr.execute("DELETE FROM debt_collection_run")
    # Deleting a message looks for the actions and contact log entries that
    # point to it (by a scan: those columns have no index); after a run of
    # 200,000 reminders the emptied tables still hold 200,000 dead rows each,
    # read once per message deleted, unless vacuumed first.
    cr.commit()
    vacuum(cr, "debt_action", "debt_contact_log")
    cr.execute(
        "DELETE FROM mail_mail WHERE mail_message_id IN (SELECT id FROM bench_messages)"
    )
    cr.execute("DELETE FROM mail_message WHERE id IN (SELECT id FROM bench_messages)")
    cr.execute("DROP TABLE bench_messages")
    cr.execute(
        "UPDATE account_move SET debt_stage_id = NULL, debt_skip_reason = NULL, "
        "debt_last_contact_date = NULL WHERE debt_stage_id IS NOT NULL "
        "OR debt_skip_reason IS NOT NULL OR debt_last_contact_date IS NOT NULL"
    )
    cr.execute(
        "UPDATE res_partner SET debt_stage_id = NULL WHERE debt_stage_id IS NOT NULL"
    )
    if fresh_profiles and "debt.partner.profile" in env:
        cr.execute(
            SQL(
                "DELETE FROM %s",
                SQL.identifier(env["debt.partner.profile"]._table),
            )
        )
    elif fresh_profiles:
        # Importable once the registry is loaded (the addon is on its path).
        from odoo.addons.debt_relations.models.debt_relationship_tier import (  # noqa: PLC0415
            PROFILE_COLUMNS,
        )

        cr.execute(
            SQL(
                "UPDATE res_partner SET %s",
                SQL(", ").join(
                    SQL("%s = NULL", SQL.identifier(name)) for name in PROFILE_COLUMNS
                ),
            )
        )
    # What was deleted and updated here leaves dead rows by the hundred
    # thousand (the previous run's messages, mails, log entries, the
    # invoices' rungs): without vacuuming them now, autovacuum would clean
    # them during the measured phases, which a daily run does not follow.
    cr.commit()
    vacuum(cr, *RESET_TABLES)
    env.invalidate_all()


RESET_TABLES = (
    "mail_message",
    "mail_mail",
    "mail_mail_res_partner_rel",
    "mail_activity",
    "debt_action",
    "debt_contact_log",
    "debt_contact_log_move_rel",
    "debt_collection_run",
    "account_move",
    "res_partner",
)
"""The tables :func:`reset_previous_runs` deletes from or updates."""


def vacuum(cr, *tables):
    """``VACUUM ANALYZE`` of ``tables`` (outside any transaction, as it must)."""
    cr._cnx.autocommit = True
    try:
        cr.execute(
            SQL(
                "VACUUM ANALYZE %s",
                SQL(", ").join(SQL.identifier(table) for table in tables),
            )
        )
    finally:
        cr._cnx.autocommit = False


def count_open_invoices(env, company):
    query = env["debt.collection.facts"]._open_invoice_query(company)
    [(invoices, partners)] = env.execute_query(
        SQL(
            "SELECT COUNT(*), COUNT(DISTINCT q.commercial_partner_id) FROM (%s) q",
            query,
        )
    )
    return invoices, partners


def row(phase, meter, items):
    """A line of the figures table, also printed at once (runs can be long)."""
    line = f"| {phase:<50} | {meter.seconds:9.2f} | {meter.queries:9d} | {items} |"
    print(line)
    return line


class SlowQueries:
    """Times every query while active; keeps the slowest (``--profile`` only)."""

    def __init__(self, keep=12):
        self.keep = keep
        self.queries = []

    def __enter__(self):
        self._execute = execute = sql_db.Cursor.execute
        queries = self.queries

        def timed_execute(cursor, query, params=None, log_exceptions=True):
            start = time.perf_counter()
            try:
                return execute(cursor, query, params, log_exceptions)
            finally:
                text = query.code if isinstance(query, SQL) else str(query)
                queries.append((time.perf_counter() - start, " ".join(text.split())))

        sql_db.Cursor.execute = timed_execute
        return self

    def __exit__(self, *exc):
        sql_db.Cursor.execute = self._execute

    def report(self, title):
        total = sum(seconds for seconds, _text in self.queries)
        print(f"Slowest queries of the {title} ({total:.2f} s in SQL in all):")
        for seconds, text in sorted(self.queries, reverse=True)[: self.keep]:
            print(f"  {seconds:7.3f} s  {text[:150]}")
        counts = {}
        for _seconds, text in self.queries:
            counts[text[:150]] = counts.get(text[:150], 0) + 1
        print(f"Most frequent queries of the {title}:")
        for text, count in sorted(counts.items(), key=lambda item: -item[1])[:5]:
            print(f"  {count:7d} x  {text}")
        print()


def peak_rss_mb():
    """Peak resident memory (MB) of this process since it started its program.

    ``VmHWM`` of ``/proc/self/status`` where there is one: Linux carries
    ``ru_maxrss`` over ``execve``, so a sending worker started by the
    measuring process would report that process's peak as its own.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def current_rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class CpuClock:
    """Processor time spent by this process and by its database backend.

    Reported beside the wall time, to tell whether two invocations did
    different work or ran on a machine of different speed (on this shared
    virtual machine the same work takes up to a fifth more processor time in
    some spells than in others: ``docs/benchmarks.md``). The backend's time
    is read from ``/proc`` when the database server runs on this machine
    (else it is not counted).
    """

    def __init__(self, cr):
        cr.execute("SELECT pg_backend_pid()")
        [[backend]] = cr.fetchall()
        self._stat = f"/proc/{backend}/stat"
        self.seconds = self.db_seconds = 0.0

    def _db(self):
        try:
            with open(self._stat) as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return 0.0
        # utime and stime, the 14th and 15th fields of the line
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        self._start = (time.process_time(), self._db())
        return self

    def __exit__(self, *exc):
        own, db = self._start
        self.seconds += time.process_time() - own
        self.db_seconds += self._db() - db


def addon_constant(name, default, *modules):
    """A batch size of the addon, from the first of ``modules`` defining it."""
    for module in modules:
        try:
            imported = __import__(
                f"odoo.addons.debt_relations.models.{module}", fromlist=[name]
            )
        except ImportError:
            continue
        if hasattr(imported, name):
            return getattr(imported, name)
    return default


def phase(meter, batches, invoices):
    return {
        "seconds": round(meter.seconds, 3),
        "queries": meter.queries,
        "batches": batches,
        "us_per_invoice": round(meter.seconds / invoices * 1e6, 3) if invoices else 0,
    }


WORKLIST_LIST_FIELDS = (
    "partner_id",
    "user_id",
    "reasons",
    "reason_codes",
    "overdue_amount",
    "days_overdue",
    "tier_id",
    "priority",
    "company_id",
    "currency_id",
)
"""The fields the worklist's list view reads."""


def measure_worklist(env, company, args, results):
    """Opening the collectors' worklist, all collectors, as the web client
    does (``web_search_read``: the first page of 80 rows by priority, and the
    count), as the administrator.

    What the run left is listed, and, for a list of a busy morning, every
    ``--worklist-share``-th customer with an open invoice gets a call due
    today (inserted at SQL level before timing, rolled back after).
    """
    cr = env.cr
    admin = env.ref("base.user_admin")
    call_type = env.ref("debt_relations.mail_activity_type_debt_call")
    cr.execute("SAVEPOINT worklist_benchmark")
    env.execute_query(
        SQL(
            """
        INSERT INTO mail_activity (res_model_id, res_model, res_id,
                                   activity_type_id, date_deadline, user_id,
                                   summary, active, create_uid, create_date,
                                   write_uid, write_date)
        SELECT %(model)s, 'res.partner', p.id, %(type)s, CURRENT_DATE, %(user)s,
               'Benchmark call', TRUE, %(user)s, NOW(), %(user)s, NOW()
          FROM (SELECT DISTINCT commercial_partner_id AS id FROM account_move
                 WHERE company_id = %(company)s AND move_type = 'out_invoice'
                   AND state = 'posted'
                   AND payment_state IN ('not_paid', 'partial')) p
         WHERE mod(p.id, %(share)s) = 0
            """,
            model=env["ir.model"]._get_id("res.partner"),
            type=call_type.id,
            user=admin.id,
            company=company.id,
            share=max(args.worklist_share, 1),
        )
    )
    cr.execute("ANALYZE mail_activity")
    Worklist = (
        env["debt.worklist"]
        .with_user(admin)
        .with_context(allowed_company_ids=company.ids, tz="UTC")
    )
    specification = {name: {} for name in WORKLIST_LIST_FIELDS}
    for name in ("partner_id", "user_id", "tier_id", "company_id", "currency_id"):
        specification[name] = {"fields": {"display_name": {}}}
    timings = []
    for _attempt in range(3):
        env.invalidate_all()
        with Meter(cr) as opened:
            page = Worklist.web_search_read(
                [], specification, limit=80, count_limit=100001
            )
        timings.append(opened)
    best = min(timings, key=lambda meter: meter.seconds)
    first = timings[0]
    rows = page["length"]
    cr.execute("ROLLBACK TO SAVEPOINT worklist_benchmark")
    results["worklist"] = {
        "rows": rows,
        "first_open_s": round(first.seconds, 3),
        "best_open_s": round(best.seconds, 3),
        "queries": best.queries,
        "share": args.worklist_share,
    }
    return [
        row(
            "debt_relations: open the worklist (first page + count)",
            best,
            f"{rows} customers listed, all collectors: best of 3 opens "
            f"{best.seconds:.3f} s, first {first.seconds:.3f} s",
        )
    ]


def measure_sanitizing(env, count, results):
    """What keeping the full text of ``count`` reminders in their contact log
    entries costs (``debt.sender`` stores each rendered body once,
    sanitised, in ``debt.contact.log.body``): the bodies are rendered from
    the reminders the database holds (the last run's actions), then
    sanitised three times each way, Odoo's ``html_sanitize`` (the field's own
    conversion) and the plain-body shortcut (``fastpath.sanitized_html``);
    the best of three is printed, per body."""
    from odoo.addons.debt_relations import fastpath

    actions = env["debt.action"].search(
        [("stage_id.mail_template_id", "!=", False)], limit=count, order="id"
    )
    bodies = []
    for template, batch in actions.grouped(
        lambda action: action.stage_id.mail_template_id
    ).items():
        rendered = template._render_field("body_html", batch.ids, compute_lang=True)
        bodies += [str(rendered[action.id]) for action in batch]
    Log = env["debt.contact.log"]
    field = Log._fields["body"]
    plain = sum(1 for body in bodies if fastpath.plain_sanitized(body) is not None)
    timings = {}
    for name, convert in (
        ("html_sanitize", lambda body: field.convert_to_column(body, Log)),
        ("plain shortcut", lambda body: fastpath.sanitized_html(Log, field, body)),
    ):
        best = None
        for _attempt in range(3):
            start = time.perf_counter()
            for body in bodies:
                convert(body)
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        timings[name] = best / max(len(bodies), 1) * 1000
        print(
            f"  {name}: {timings[name]:.3f} ms a body "
            f"({len(bodies)} bodies of {sum(map(len, bodies)) // max(len(bodies), 1)} "
            f"characters on average; {plain} plain)"
        )
    results["sanitize_ms_per_body"] = timings
    results["sanitize_plain_share"] = plain / max(len(bodies), 1)
    return results


def share_among_collectors(env, company, count):
    """Share the customers among ``count`` new users (their salesperson, set
    at SQL level), so that the figures have collectors' rows."""
    users = env["res.users"].create(
        [
            {
                "name": f"Benchmark collector {index}",
                "login": f"bench_figures_collector_{index}",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
            }
            for index in range(max(count, 0))
        ]
    )
    if users:
        env.flush_all()
        env.execute_query(
            SQL(
                """UPDATE res_partner p SET user_id = (%(users)s)[
                       mod(p.id, %(count)s) + 1]
                    WHERE p.id IN (SELECT DISTINCT commercial_partner_id
                                     FROM account_move
                                    WHERE company_id = %(company)s
                                      AND move_type = 'out_invoice')""",
                users=users.ids,
                count=len(users),
                company=company.id,
            )
        )
        env.invalidate_all()
    env.cr.execute("ANALYZE res_partner")
    return users


def measure_figures(env, company, as_of, args, results):
    """The relationship figures' queries, as the reporting runs them:
    ``res.company._debt_relationship_figures`` for the as-of month (its first
    day to the as-of date) and for the year to the as-of date, and the
    refresh of the as-of month's ``debt.figures.month`` rows (the company's,
    each collector's, each tier's). Each is timed three times (the best and
    the first are printed); everything is rolled back after.

    The customers are shared among ``--figures-collectors`` new users (their
    salesperson, set at SQL level) so that the refresh computes collectors'
    rows as it would in a real company.
    """
    cr = env.cr
    cr.execute("SAVEPOINT figures_benchmark")
    users = share_among_collectors(env, company, args.figures_collectors)
    month = as_of.replace(day=1)
    year_from = as_of - timedelta(days=364)
    Month = env["debt.figures.month"]
    timed = (
        ("month", lambda: company._debt_relationship_figures(month, as_of)),
        ("year", lambda: company._debt_relationship_figures(year_from, as_of)),
        ("refresh_month", lambda: Month._refresh([(company, month)])),
    )
    figures = {}
    lines = []
    for key, call in timed:
        meters = []
        for _attempt in range(3):
            env.invalidate_all()
            with Meter(cr) as meter:
                call()
            meters.append(meter)
        best = min(meters, key=lambda meter: meter.seconds)
        figures[key] = {
            "best_s": round(best.seconds, 3),
            "first_s": round(meters[0].seconds, 3),
            "queries": best.queries,
        }
        lines.append((key, best, meters[0]))
    rows = Month.search_count([("company_id", "=", company.id), ("month", "=", month)])
    cr.execute("ROLLBACK TO SAVEPOINT figures_benchmark")
    results["figures"] = {**figures, "rows": rows, "collectors": len(users)}
    labels = {
        "month": f"_debt_relationship_figures, {month} to {as_of}",
        "year": f"_debt_relationship_figures, {year_from} to {as_of}",
        "refresh_month": f"refresh debt.figures.month of {month:%Y-%m} "
        f"({rows} rows: company, collectors, tiers)",
    }
    for key, best, first in lines:
        print(
            f"{labels[key]}: best of 3 {best.seconds:.3f} s, first "
            f"{first.seconds:.3f} s, {best.queries} queries"
        )


def load_average():
    """The machine's load average (1, 5, 15 minutes): it is shared."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def timed_calls(env, call, attempts=None, before=None, savepoint="timed_call"):
    """Time ``call()`` ``attempts`` times, each in a savepoint rolled back
    after (``before()`` first, untimed, inside it). Returns (best, first,
    the first call's result)."""
    cr = env.cr
    meters = []
    result = None
    for attempt in range(attempts or ATTEMPTS[0]):
        cr.execute(SQL("SAVEPOINT %s", SQL.identifier(savepoint)))
        if before:
            before()
        env.invalidate_all()
        with Meter(cr) as meter:
            found = call()
        if not attempt:
            result = found
        meters.append(meter)
        cr.execute(SQL("ROLLBACK TO SAVEPOINT %s", SQL.identifier(savepoint)))
        env.invalidate_all()
    return min(meters, key=lambda meter: meter.seconds), meters[0], result


ATTEMPTS = [3]
"""How many times :func:`timed_calls` times a call (``--attempts``)."""


def print_timed(label, best, first, extra=""):
    print(
        f"{label}: best of {ATTEMPTS[0]} {best.seconds:.3f} s, "
        f"first {first.seconds:.3f} s, "
        f"{best.queries} queries{extra} (load average {load_average()})"
    )


PAYMENT_DATE_STEPS = (
    ("debt.payment.date", "_flush"),
    ("debt.payment.date", "_open_invoices"),
    ("debt.payment.date", "_tiers"),
    ("debt.payment.date", "_histories"),
    ("debt.payment.date", "_known"),
    ("debt.payment.date", "_closed"),
    ("debt.payment.date", "_write"),
    ("debt.cashin.forecast", "_refresh"),
)
"""The steps of ``debt.payment.date._refresh`` timed apart (the rest of its
time is the guess itself, in Python, one call of the service an invoice);
the last, the cash-in forecast's rows written after the dates."""


def measure_payment_dates(env, company, as_of, results, committed_before=False):
    """The expected payment dates' recompute of the company, as the daily
    run makes it: the dates as of the day before are written first (untimed),
    then ``_refresh(company, as_of)`` is timed (it writes the invoices whose
    date moved with the day); three times, each rolled back. Then once more
    with nothing to write (the same day again), and where the time of one
    call goes, step by step."""
    PaymentDate = env["debt.payment.date"]
    open_count = count_open_invoices(env, company)[0]

    def day_before():
        # With --payment-dates-before, the dates stored are the day before's.
        if not committed_before:
            PaymentDate._refresh(company, as_of - timedelta(days=1))

    best, first, written = timed_calls(
        env,
        lambda: PaymentDate._refresh(company, as_of),
        before=day_before,
        savepoint="payment_dates_benchmark",
    )
    after = "the stored dates" if committed_before else as_of - timedelta(days=1)
    print_timed(
        f"debt.payment.date._refresh, {open_count} open invoices, as of {as_of} "
        f"after {after}",
        best,
        first,
        f", {written} invoices written",
    )
    again_best, again_first, again_written = timed_calls(
        env,
        lambda: PaymentDate._refresh(company, as_of),
        before=lambda: PaymentDate._refresh(company, as_of),
        savepoint="payment_dates_benchmark",
    )
    print_timed(
        "debt.payment.date._refresh again the same day",
        again_best,
        again_first,
        f", {again_written} invoices written",
    )
    # Where one call's time goes: each step timed apart.
    classes = {model: type(env[model]) for model, _name in PAYMENT_DATE_STEPS}
    originals = {
        step: getattr(classes[step[0]], step[1]) for step in PAYMENT_DATE_STEPS
    }
    steps = {step: Meter(env.cr) for step in PAYMENT_DATE_STEPS}

    def timed_step(key):
        original = originals[key]

        def step(self, *args, **kwargs):
            with steps[key]:
                return original(self, *args, **kwargs)

        return step

    env.cr.execute("SAVEPOINT payment_dates_steps")
    day_before()
    env.invalidate_all()
    for key in PAYMENT_DATE_STEPS:
        setattr(classes[key[0]], key[1], timed_step(key))
    try:
        with Meter(env.cr) as whole:
            PaymentDate._refresh(company, as_of)
    finally:
        for key, original in originals.items():
            setattr(classes[key[0]], key[1], original)
        env.cr.execute("ROLLBACK TO SAVEPOINT payment_dates_steps")
        env.invalidate_all()
    guess = whole.seconds - sum(meter.seconds for meter in steps.values())
    print(f"Where one call's {whole.seconds:.2f} s go:")
    for (model, name), meter in steps.items():
        label = name if model == "debt.payment.date" else "cash-in forecast"
        print(f"  {label:<16} {meter.seconds:7.2f} s  {meter.queries:3d} queries")
    print(f"  {'the guesses':<16} {guess:7.2f} s  (Python, services.payment_date)")
    results["payment_dates"] = {
        "open_invoices": open_count,
        "best_s": round(best.seconds, 3),
        "first_s": round(first.seconds, 3),
        "queries": best.queries,
        "written": written,
        "same_day_best_s": round(again_best.seconds, 3),
        "steps_s": {
            f"{model}.{name}": round(m.seconds, 3) for (model, name), m in steps.items()
        },
        "guesses_s": round(guess, 3),
    }


FORECAST_MEASURES = ["amount_expected:sum", "amount_at_risk:sum"]
"""The forecast pivot's measures (its view), as the web client names them."""


def forecast_reader(env, company):
    admin = env.ref("base.user_admin")
    return admin, env["debt.cashin.forecast"].with_user(admin).with_context(
        allowed_company_ids=company.ids, tz="UTC", lang="en_US"
    )


def measure_forecast(env, company, results):
    """The cash-in forecast's reads at the ledger's size, as the web client
    makes them, as the administrator: the pivot (rows by collector, columns
    by week: one ``read_group`` per combination of the two, four in all,
    ``lazy=False``), the graph (one ``web_read_group`` by week), and one
    customer's Collections tab (``web_read`` of the customer with its
    expected receipts, the form's list of 8)."""
    admin, Forecast = forecast_reader(env, company)
    figures = {}

    def pivot():
        for groupby in ([], ["user_id"], ["week_start:week"]):
            Forecast.read_group([], FORECAST_MEASURES, groupby, lazy=False)
        return Forecast.read_group(
            [], FORECAST_MEASURES, ["user_id", "week_start:week"], lazy=False
        )

    def graph():
        return Forecast.with_context(fill_temporal=True).web_read_group(
            [], ["__count", "amount_expected:sum"], ["week_start:week"], lazy=False
        )

    best, first, cells = timed_calls(env, pivot, savepoint="forecast_benchmark")
    print_timed(
        "forecast pivot (4 read_group: total, by collector, by week, both)",
        best,
        first,
        f", {len(cells)} cells",
    )
    figures["pivot"] = {"best_s": best.seconds, "first_s": first.seconds}
    best, first, found = timed_calls(env, graph, savepoint="forecast_benchmark")
    print_timed(
        "forecast graph (web_read_group by week)",
        best,
        first,
        f", {found['length']} weeks",
    )
    figures["graph"] = {"best_s": best.seconds, "first_s": first.seconds}
    # A customer with open invoices (the largest number of them).
    [[partner_id, invoices]] = env.execute_query(
        SQL(
            """SELECT commercial_partner_id, COUNT(*) FROM account_move
                WHERE company_id = %s AND move_type = 'out_invoice'
                  AND state = 'posted' AND payment_state IN ('not_paid', 'partial')
             GROUP BY commercial_partner_id ORDER BY 2 DESC, 1 LIMIT 1""",
            company.id,
        )
    )
    Partner = (
        env["res.partner"]
        .with_user(admin)
        .with_context(allowed_company_ids=company.ids, tz="UTC", lang="en_US")
    )
    specification = {
        "display_name": {},
        "debt_cashin_ids": {
            "fields": {
                "week_start": {},
                "currency_id": {"fields": {}},
                "amount_expected": {},
                "amount_at_risk": {},
            },
            "limit": 8,
        },
    }
    best, first, read = timed_calls(
        env,
        lambda: Partner.browse(partner_id).web_read(specification),
        savepoint="forecast_benchmark",
    )
    print_timed(
        f"one customer's expected receipts (web_read, {invoices} open invoices)",
        best,
        first,
        f", {len(read[0]['debt_cashin_ids'])} weeks",
    )
    figures["customer"] = {"best_s": best.seconds, "first_s": first.seconds}
    best, first, rows = timed_calls(
        env,
        lambda: Forecast.search_read(
            [("partner_id", "=", partner_id), ("company_id", "=", company.id)],
            ["week_start", "amount_expected", "amount_at_risk"],
        ),
        savepoint="forecast_benchmark",
    )
    print_timed("  of which the forecast rows (search_read)", best, first)
    results["forecast"] = {
        key: {name: round(value, 3) for name, value in value.items()}
        for key, value in figures.items()
    }


DASHBOARD_FILE = (
    "debt_relations_dashboard/data/files/relationship_figures_dashboard.json"
)


def dashboard_calls(as_of):
    """The read_group calls of the dashboard's spreadsheet, from its file:
    each pivot's (one ``read_group`` per prefix of its row groupbys,
    ``lazy=False``, ordered as the pivot is) and each chart's (one
    ``web_read_group``), with the period filter (``last_year``: the 12 months
    to the as-of date) on the fields it matches."""
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), DASHBOARD_FILE)
    with open(path) as handle:
        data = json.load(handle)
    since = (as_of - timedelta(days=365)).replace(day=1)

    def period(matching):
        return [
            leaf
            for value in (matching or {}).values()
            for leaf in (
                (value["chain"], ">=", str(since)),
                (value["chain"], "<=", str(as_of)),
            )
        ]

    calls = []
    for pivot in data["pivots"].values():
        domain = list(map(tuple, pivot["domain"])) + period(pivot["fieldMatching"])
        measures = [measure["fieldName"] for measure in pivot["measures"]]
        rows = [
            dimension["fieldName"]
            + (f":{dimension['granularity']}" if dimension.get("granularity") else "")
            for dimension in pivot["rows"] + pivot["columns"]
        ]
        orders = [
            f"{dimension['fieldName']}:{dimension['granularity']} {dimension['order']}"
            for dimension in pivot["rows"] + pivot["columns"]
            if dimension.get("order") and dimension.get("granularity")
        ]
        for size in range(len(rows) + 1):
            groupby = rows[:size]
            orderby = ",".join(order for order in orders if order.split()[0] in groupby)
            calls.append(
                (
                    f"pivot {pivot['name']!r} by {groupby or 'total'}",
                    pivot["model"],
                    "read_group",
                    domain,
                    measures,
                    groupby,
                    orderby,
                )
            )
    for sheet in data["sheets"]:
        for figure in sheet.get("figures", []):
            chart = figure["data"]
            meta, params = chart["metaData"], chart["searchParams"]
            domain = list(map(tuple, params["domain"])) + period(
                chart.get("fieldMatching")
            )
            calls.append(
                (
                    f"chart {chart['title']['text']!r}",
                    meta["resModel"],
                    "web_read_group",
                    domain,
                    ["__count", meta["measure"]],
                    meta["groupBy"],
                    None,
                )
            )
    return calls


def measure_dashboard(env, company, as_of, args, results):
    """The dashboard's reads: its spreadsheet's ``read_group`` calls
    (:func:`dashboard_calls`) over 13 months of ``debt.figures.month`` rows
    (the as-of month refreshed, with ``--figures-collectors`` collectors as
    in :func:`measure_figures`, then copied to the 12 months before it at SQL
    level) and over the forecast; everything rolled back."""
    cr = env.cr
    cr.execute("SAVEPOINT dashboard_benchmark")
    share_among_collectors(env, company, args.figures_collectors)
    month = as_of.replace(day=1)
    Month = env["debt.figures.month"]
    with Meter(cr) as refresh:
        Month._refresh([(company, month)])
        env.flush_all()
    table = SQL.identifier(Month._table)
    names = [name for name in columns(env, Month._table) if name not in ("id", "month")]
    for back in range(1, 13):
        months = month.year * 12 + month.month - 1 - back
        earlier = date(months // 12, months % 12 + 1, 1)
        env.execute_query(
            SQL(
                "INSERT INTO %s (month, %s) SELECT %s, %s FROM %s WHERE month = %s",
                table,
                SQL(", ").join(SQL.identifier(name) for name in names),
                earlier,
                SQL(", ").join(SQL.identifier(name) for name in names),
                table,
                month,
            )
        )
    cr.execute(SQL("ANALYZE %s", table))
    env.invalidate_all()
    rows = Month.search_count([])
    print(
        f"debt.figures.month: {month:%Y-%m} refreshed in {refresh.seconds:.1f} s, "
        f"copied to the 12 months before it: {rows} rows"
    )
    admin = env.ref("base.user_admin")
    total = Meter(cr)
    figures = []
    for label, model, method, domain, measures, groupby, orderby in dashboard_calls(
        as_of
    ):
        Model = (
            env[model]
            .with_user(admin)
            .with_context(
                allowed_company_ids=company.ids,
                tz="UTC",
                lang="en_US",
                fill_temporal=True,
            )
        )
        if method == "read_group":

            def call(
                Model=Model,
                domain=domain,
                measures=measures,
                groupby=groupby,
                orderby=orderby,
            ):
                return Model.read_group(
                    domain, measures, groupby, lazy=False, orderby=orderby or None
                )
        else:

            def call(Model=Model, domain=domain, measures=measures, groupby=groupby):
                return Model.web_read_group(domain, measures, groupby, lazy=False)

        best, first, _found = timed_calls(env, call, savepoint="dashboard_call")
        total.seconds += best.seconds
        total.queries += best.queries
        print_timed(f"  {model} {label}", best, first)
        figures.append(
            {
                "call": label,
                "model": model,
                "best_s": round(best.seconds, 3),
                "first_s": round(first.seconds, 3),
            }
        )
    print(
        f"dashboard: {len(figures)} read_group calls, {total.seconds:.3f} s in all "
        f"(best of each), {total.queries} queries"
    )
    cr.execute("ROLLBACK TO SAVEPOINT dashboard_benchmark")
    env.invalidate_all()
    results["dashboard"] = {
        "calls": figures,
        "total_s": round(total.seconds, 3),
        "rows": rows,
    }


def measure_debt_relations(env, company, as_of, args, results):
    cr = env.cr
    Run = env["debt.collection.run"]
    decide_profiler = cProfile.Profile() if args.profile else None
    decide_sql = SlowQueries()
    # The run first settles agreements and refreshes the customers' profiles
    # (payment plans, promises, tiers, rewards), then decides: time both parts.
    settle = Meter(cr)
    run_class = type(Run)
    settle_agreements = run_class._settle_agreements

    def timed_settle(run):
        with settle:
            result = settle_agreements(run)
            env.flush_all()
        return result

    run_class._settle_agreements = timed_settle
    # Inside the decision: the expected payment dates of every open invoice.
    dates = Meter(cr)
    dates_class = type(env["debt.payment.date"])
    refresh_dates = dates_class._refresh

    def timed_dates(model, *call_args, **kwargs):
        with dates:
            result = refresh_dates(model, *call_args, **kwargs)
            env.flush_all()
        return result

    dates_class._refresh = timed_dates
    results["rss_before_decide_mb"] = round(current_rss_mb(), 1)
    results["load_average_before"] = load_average()
    try:
        timed = args.profile or args.slow_queries
        with Meter(cr) as decide, decide_sql if timed else nullcontext():
            if decide_profiler:
                decide_profiler.enable()
            run = Run._prepare_run(company, as_of)
            env.flush_all()
            if decide_profiler:
                decide_profiler.disable()
    finally:
        run_class._settle_agreements = settle_agreements
        dates_class._refresh = refresh_dates
    results["load_average_after"] = load_average()
    print(
        f"Load average before the decision: {results['load_average_before']}, "
        f"after: {results['load_average_after']}."
    )
    results["peak_rss_decide_mb"] = round(peak_rss_mb(), 1)
    if args.slow_queries and not args.profile:
        decide_sql.report("decision")
    counts = dict(
        env["debt.action"]._read_group(
            [("run_id", "=", run.id)], ["state"], ["__count"]
        )
    )
    ladder = Meter(cr)
    ladder.seconds = decide.seconds - settle.seconds
    ladder.queries = decide.queries - settle.queries
    invoices = run.invoice_count
    customers = run.partner_count
    profile_batch = addon_constant(
        "PROFILE_BATCH", 0, "debt_partner_profile", "debt_relationship_tier"
    )
    decide_batch = addon_constant(
        "DECIDE_BATCH", 0, "debt_collection_run", "debt_collection_facts"
    )
    results.update(
        invoices=invoices,
        customers=customers,
        queued=counts.get("queued", 0),
        to_review=counts.get("to_review", 0),
        skipped=run.skip_count,
    )
    results["payment_dates_s"] = round(dates.seconds, 3)
    results["payment_dates_queries"] = dates.queries
    results["phases"] = {
        "settle": phase(
            settle,
            math.ceil(customers / profile_batch) if profile_batch else 1,
            invoices,
        ),
        "decide": phase(
            ladder,
            math.ceil(customers / decide_batch) if decide_batch else 1,
            invoices,
        ),
    }
    figures = [
        row(
            "debt_relations: settle agreements, refresh profiles",
            settle,
            f"{customers} customers' profiles and tiers",
        ),
        row(
            "debt_relations: decision (ladder)",
            ladder,
            "facts, decisions, actions queued (expected dates included)",
        ),
        row(
            "  of which: expected payment dates",
            dates,
            "debt.payment.date._refresh of every open invoice",
        ),
        row(
            "debt_relations: both (_prepare_run)",
            decide,
            f"{invoices} invoices, {customers} customers -> "
            f"{counts.get('queued', 0)} queued, {counts.get('to_review', 0)} to "
            f"review, {run.skip_count} invoices skipped; peak RSS "
            f"{results['peak_rss_decide_mb']:.0f} MB",
        ),
    ]
    if args.profile:
        profiler = cProfile.Profile()
        with Meter(cr) as batch, SlowQueries() as batch_sql:
            profiler.enable()
            sent = run._send_next_batch()
            env.flush_all()
            profiler.disable()
        figures.append(row("debt_relations: one batch (profiled)", batch, sent))
        decide_sql.report("decision")
        batch_sql.report("batch")
        for title, stats in (("decision", decide_profiler), ("batch", profiler)):
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(stats, stream=out).sort_stats(order).print_stats(
                    args.profile_lines
                )
                print(f"Profile of the {title}, by {order}:{out.getvalue()}")
        return figures
    cr.commit()
    if args.workers > 1:
        queue, batches = send_in_parallel(env, run, args, results)
    else:
        queue, batches = Meter(cr), 0
        clock = CpuClock(cr)
        while True:
            with queue, clock:
                sent = run._send_next_batch()
                cr.commit()
            if not sent:
                break
            batches += 1
            if batches == args.max_batches:
                print(f"Stopped after {batches} batches (--max-batches).")
                break
        results["peak_rss_workers_mb"] = round(peak_rss_mb(), 1)
        queue.cpu_seconds, queue.db_cpu_seconds = clock.seconds, clock.db_seconds
    run.invalidate_recordset()
    mails = env["mail.mail"].search_count(
        [("mail_message_id", "in", run.action_ids.mail_message_id.ids)]
    )
    queue_phase = phase(queue, batches, invoices)
    queue_phase.update(
        reminders=mails,
        workers=max(args.workers, 1),
        ms_per_reminder=round(queue.seconds / mails * 1e3, 3) if mails else 0,
        complete=not args.max_batches,
        cpu_seconds=round(queue.cpu_seconds, 3),
        db_cpu_seconds=round(queue.db_cpu_seconds, 3),
        cpu_ms_per_reminder=(
            round((queue.cpu_seconds + queue.db_cpu_seconds) / mails * 1e3, 3)
            if mails
            else 0
        ),
    )
    results["phases"]["queue"] = queue_phase
    figures.append(
        row(
            "debt_relations: queueing",
            queue,
            f"{mails} reminders (mail.mail) in {batches} batches by "
            f"{max(args.workers, 1)} worker(s), "
            f"{len(run.action_ids.contact_log_ids)} contact logs; processor "
            f"{queue.cpu_seconds:.1f} s in the workers, "
            f"{queue.db_cpu_seconds:.1f} s in their database backends "
            f"({queue_phase['cpu_ms_per_reminder']:.2f} ms a reminder)",
        )
    )
    return figures


def send_worker(args):
    """``--send-worker RUN``: one sending process, as a cron worker would be.

    Loads the registry, says ``ready``, waits for a line on its input, then
    sends batches of the run (one transaction each) until none is left, and
    prints ``done <batches> <queries> <peak RSS in MB>``.
    """
    registry = open_registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        run = env["debt.collection.run"].browse(args.send_worker)
        clock = CpuClock(cr)
        print("ready", flush=True)
        sys.stdin.readline()
        batches = 0
        start = cr.sql_log_count
        while not args.max_batches or batches < args.max_batches:
            with clock:
                sent = run._send_next_batch()
                cr.commit()
            if sent:
                batches += 1
                continue
            queued = env["debt.action"].search_count(
                [("run_id", "=", run.id), ("state", "=", "queued")]
            )
            cr.commit()
            if not queued:
                break
            time.sleep(0.05)  # another worker holds the rest: look again
        print(
            f"done {batches} {cr.sql_log_count - start} {peak_rss_mb():.1f} "
            f"{clock.seconds:.3f} {clock.db_seconds:.3f}",
            flush=True,
        )


def send_in_parallel(env, run, args, results):
    """Time ``args.workers`` processes sending the run's batches at once.

    Each worker is this script in ``--send-worker`` mode, with its own
    registry and database connection; the clock starts once all are loaded
    and stops when the last one is done.
    """
    command = [sys.executable, __file__, "--send-worker", str(run.id)]
    for option in ("db", "db_host", "db_port", "db_user", "db_password", "data_dir"):
        if getattr(args, option):
            command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    command += ["--addons-path", args.addons_path] if args.addons_path else []
    if args.max_batches:
        command += ["--max-batches", str(args.max_batches)]
    workers = [
        subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _index in range(args.workers)
    ]
    for worker in workers:
        if worker.stdout.readline().strip() != "ready":
            raise RuntimeError("a sending worker did not start")
    meter = Meter(env.cr)
    start = time.perf_counter()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    batches = 0
    peaks = []
    for worker in workers:
        line = worker.stdout.readline().split()
        if worker.wait() or not line or line[0] != "done":
            raise RuntimeError(
                f"a sending worker failed (exit code {worker.returncode})"
            )
        batches += int(line[1])
        meter.queries += int(line[2])
        peaks.append(float(line[3]))
        meter.cpu_seconds += float(line[4])
        meter.db_cpu_seconds += float(line[5])
    meter.seconds = time.perf_counter() - start
    results["peak_rss_workers_mb"] = max(peaks)
    # A worker that ends while another still holds actions leaves the run
    # open; one more call closes it, as the next cron call would (not after
    # --max-batches: it would send a batch the clock did not see).
    if not args.max_batches:
        run._send_next_batch()
        env.cr.commit()
    return meter, batches


def oca_installed(env):
    return bool(
        env["ir.module.module"].search_count(
            [("name", "=", "account_credit_control"), ("state", "=", "installed")]
        )
    )


def oca_setup(env, company):
    """A credit control policy like debt_relations' first rungs, company default."""
    cr = env.cr
    cr.execute(
        """
        CREATE TEMP TABLE bench_oca_messages ON COMMIT DROP AS
        SELECT id FROM mail_message
         WHERE model IN ('credit.control.line', 'credit.control.communication')
        """
    )
    cr.execute("DELETE FROM credit_control_line")
    cr.execute("DELETE FROM credit_control_communication")
    cr.execute("DELETE FROM credit_control_run")
    cr.execute(
        "DELETE FROM mail_mail WHERE mail_message_id IN "
        "(SELECT id FROM bench_oca_messages)"
    )
    cr.execute(
        "DELETE FROM mail_message WHERE id IN (SELECT id FROM bench_oca_messages)"
    )
    env.invalidate_all()
    # The shipped template attaches a PDF summary to every email (one
    # wkhtmltopdf call per customer); debt_relations' reminders carry none,
    # so compare like with like: the same template without the attachment.
    name = "Benchmark: credit control email without PDF"
    template = env["mail.template"].search([("name", "=", name)], limit=1)
    if not template:
        template = env.ref(
            "account_credit_control.email_template_credit_control_base"
        ).copy({"name": name, "report_template_ids": [Command.clear()]})
    Policy = env["credit.control.policy"]
    policy = Policy.search([("name", "=", "Benchmark policy")], limit=1)
    if not policy:
        receivable = env["account.account"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("company_ids", "in", company.ids),
            ]
        )

        def level(number, mode, delay, channel):
            return Command.create(
                {
                    "name": f"Level {number}",
                    "level": number,
                    "computation_mode": mode,
                    "delay_days": delay,
                    "channel": channel,
                    "email_template_id": template.id,
                    "custom_text": "Your invoices below are overdue.",
                    "custom_mail_text": "<p>Your invoices below are overdue.</p>",
                    "mail_show_invoice_detail": True,
                }
            )

        policy = Policy.create(
            {
                "name": "Benchmark policy",
                "company_id": company.id,
                "account_ids": [Command.set(receivable.ids)],
                "level_ids": [
                    level(1, "net_days", 7, "email"),
                    level(2, "previous_date", 14, "email"),
                    level(3, "previous_date", 14, "letter"),
                ],
            }
        )
    policy.level_ids.email_template_id = template
    company.credit_policy_id = policy
    env.flush_all()
    cr.commit()
    return policy


def measure_oca(env, company, as_of, args, results):
    cr = env.cr
    policy = oca_setup(env, company)
    with Meter(cr) as generate:
        run = env["credit.control.run"].create(
            {
                "date": as_of,
                "company_id": company.id,
                "policy_ids": [Command.set(policy.ids)],
            }
        )
        run.generate_credit_lines()
        env.flush_all()
    lines = run.line_ids
    results["oca"] = {
        "seconds": round(generate.seconds, 3),
        "queries": generate.queries,
        "lines": len(lines),
        "customers": len(lines.partner_id),
    }
    figures = [
        row(
            "OCA account_credit_control: generate_credit_lines",
            generate,
            f"{len(lines)} credit control lines, {len(lines.partner_id)} customers",
        )
    ]
    cr.commit()
    if args.oca_queue:
        with Meter(cr) as queue:
            run.set_to_ready_lines()
            run.run_channel_action()
            env.flush_all()
        queued = lines.filtered(lambda line: line.state == "queued")
        figures.append(
            row(
                "OCA account_credit_control: queueing",
                queue,
                f"{len(lines.communication_id)} communications (one mail each), "
                f"{len(queued)} lines queued",
            )
        )
        cr.commit()
    return figures


def refresh_templates(env):
    """Load the addon's mail template files again over the stored templates
    (``init`` mode: their ``noupdate`` records are rewritten)."""
    files = [
        name
        for name in get_manifest("debt_relations")["data"]
        if name.startswith("data/") and ("template" in name or "portal" in name)
    ]
    for name in files:
        convert_file(env, "debt_relations", name, {}, mode="init", noupdate=True)
    print(f"Mail templates reloaded from {', '.join(files)}.")


def measure_reads(env, company, as_of, args, results):
    """``--payment-dates-before``, then the ``--*-only`` measurements of the
    expected dates, the forecast and the dashboard; True when one was made."""
    cr = env.cr
    if args.payment_dates_before:
        with Meter(cr) as before:
            written = env["debt.payment.date"]._refresh(
                company, args.payment_dates_before
            )
            cr.commit()
        print(
            f"Expected payment dates set as of {args.payment_dates_before}: "
            f"{written} invoices written in {before.seconds:.1f} s."
        )
    if args.payment_dates_only or args.forecast_only or args.dashboard_only:
        print(f"Load average before: {load_average()}.")
        if args.payment_dates_only:
            measure_payment_dates(
                env, company, as_of, results, bool(args.payment_dates_before)
            )
        if args.forecast_only:
            measure_forecast(env, company, results)
        if args.dashboard_only:
            measure_dashboard(env, company, as_of, args, results)
        print(f"Load average after: {load_average()}.")
        return True
    return False


def measure(args):
    """One invocation: (seed,) decide, queue, OCA; returns the figures."""
    results = {"db": args.db, "workers": max(args.workers, 1), "argv": sys.argv[1:]}
    ATTEMPTS[0] = max(args.attempts, 1)
    registry = open_registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": company.ids})
        stored = env["ir.config_parameter"].get_param("debt_relations.benchmark_as_of")
        as_of = args.as_of or (date.fromisoformat(stored) if stored else date.today())
        if args.seed:
            seed(env, company, args, as_of)
            cr.commit()
            if args.seed_only:
                return results
        if args.refresh_templates:
            refresh_templates(env)
            cr.commit()
        if args.batch_size:
            env["ir.config_parameter"].set_param(
                "debt_relations.batch_size", args.batch_size
            )
        invoices, partners = count_open_invoices(env, company)
        results.update(as_of=str(as_of), open_invoices=invoices)
        print(
            f"As of {as_of}: the run's facts query sees {invoices} open invoices over "
            f"{partners} commercial partners; batch size "
            f"{env['debt.collection.run']._batch_size()}."
        )
        if args.worklist_only:
            # (each figure is printed as it is measured)
            measure_worklist(env, company, args, results)
            return results
        if args.figures_only:
            measure_figures(env, company, as_of, args, results)
            return results
        if args.sanitize_only:
            measure_sanitizing(env, args.sanitize_only, results)
            return results
        if measure_reads(env, company, as_of, args, results):
            return results
        reset_previous_runs(env, fresh_profiles=args.fresh_profiles or args.seed)
        cr.commit()
        figures = measure_debt_relations(env, company, as_of, args, results)
        if args.worklist and not args.profile:
            figures += measure_worklist(env, company, args, results)
        if args.profile:
            cr.rollback()
        elif not args.oca:
            print("OCA account_credit_control: skipped (--no-oca).")
        elif not oca_installed(env):
            where = (
                "it is on the addons path: install it with -i account_credit_control"
                if get_module_path("account_credit_control", display_warning=False)
                else "it is not on the addons path either (pip install --no-deps "
                "--target DIR odoo-addon-account-credit-control==18.0.*, then add "
                "DIR/odoo/addons to --addons-path)"
            )
            print(
                "OCA account_credit_control: not installed in this database, "
                f"no comparison; {where}."
            )
        else:
            try:
                figures += measure_oca(env, company, as_of, args, results)
            except Exception as error:  # report it and go on: the figures above stand
                cr.rollback()
                print(f"OCA account_credit_control: could not run: {error!r}")
        print()
        print(f"| {'Phase':<50} | {'Wall (s)':>9} | {'Queries':>9} | Items |")
        print(f"|{'-' * 52}|{'-' * 11}|{'-' * 11}|-------|")
        print("\n".join(figures))
    return results


# ----------------------------------------------------------------------
# The scale curve
# ----------------------------------------------------------------------

TARGETS = {
    "invoices": 1_000_000,
    "settle_decide_s": 60.0,
    "peak_rss_mb": 1536.0,
    "queue_s": 600.0,
    "ratio": 1.3,
}
"""The issue's targets at a million open invoices."""

PHASES = (("settle", "settle + profiles"), ("decide", "decide"), ("queue", "queue"))


def summary(paths, reference):
    """Print the scale curve of the invocations' figures (``--json`` files)."""
    points = []
    for path in paths:
        with open(path) as handle:
            points.append(json.load(handle))
    points = [point for point in points if point.get("phases")]
    points.sort(key=lambda point: point["invoices"])
    if not points:
        raise SystemExit("No measured invocation in these files.")
    ref = min(points, key=lambda point: abs(point["invoices"] - reference))
    print(
        f"Scale curve: {len(points)} invocations; ratios are time per invoice "
        f"over that of the {ref['invoices']:,}-invoice point ({ref['db']})."
    )
    print()
    head = ["Open invoices", "Customers"]
    for _key, label in PHASES:
        head += [f"{label} (s)", "µs/invoice", "ratio"]
    head += [
        "queue ms/reminder",
        "queue processor ms/reminder",
        "peak RSS decide (MB)",
        "peak RSS worker (MB)",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" for _name in head) + "|")
    for point in points:
        cells = [f"{point['invoices']:,}", f"{point['customers']:,}"]
        for key, _label in PHASES:
            figures = point["phases"].get(key)
            if not figures:
                cells += ["", "", ""]
                continue
            ratio = figures["us_per_invoice"] / ref["phases"][key]["us_per_invoice"]
            partial = "" if figures.get("complete", True) else " (partial)"
            cells += [
                f"{figures['seconds']:.2f}{partial}",
                f"{figures['us_per_invoice']:.1f}",
                f"{ratio:.2f}",
            ]
        queue = point["phases"].get("queue") or {}
        cpu = queue.get("cpu_ms_per_reminder")
        cells += [
            f"{queue.get('ms_per_reminder', 0):.2f}",
            f"{cpu:.2f}" if cpu else "",  # figures written before it was measured
            f"{point['peak_rss_decide_mb']:.0f}",
            f"{point.get('peak_rss_workers_mb', 0):.0f}",
        ]
        print("| " + " | ".join(cells) + " |")
    print()
    print("Queries per phase (batches; queries per batch):")
    print()
    head = ["Open invoices"] + [label for _key, label in PHASES]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" for _name in head) + "|")
    for point in points:
        cells = [f"{point['invoices']:,}"]
        for key, _label in PHASES:
            figures = point["phases"].get(key)
            if not figures:
                cells.append("")
                continue
            batches = max(figures["batches"], 1)
            cells.append(
                f"{figures['queries']:,} ({figures['batches']}; "
                f"{figures['queries'] / batches:.1f})"
            )
        print("| " + " | ".join(cells) + " |")
    for point in points:
        if point.get("oca"):
            oca = point["oca"]
            ours = point["phases"]
            print()
            print(
                f"OCA account_credit_control at {point['invoices']:,} invoices: "
                f"generate_credit_lines {oca['seconds']:.1f} s, "
                f"{oca['queries']:,} queries, {oca['lines']:,} credit lines; "
                f"debt_relations settle + decide "
                f"{ours['settle']['seconds'] + ours['decide']['seconds']:.1f} s, "
                f"{ours['settle']['queries'] + ours['decide']['queries']} queries."
            )
    if points[-1]["invoices"] >= TARGETS["invoices"]:
        print_targets(points[-1], ref)


def print_targets(top, ref):
    """Whether the million-invoice point meets the issue's targets."""
    print()
    print(f"Targets at {top['invoices']:,} open invoices:")
    phases = top["phases"]
    both = phases["settle"]["seconds"] + phases["decide"]["seconds"]
    checks = [
        (
            f"settle + decide {both:.1f} s <= {TARGETS['settle_decide_s']:.0f} s",
            both <= TARGETS["settle_decide_s"],
        ),
        (
            f"peak RSS of the deciding process {top['peak_rss_decide_mb']:.0f} MB "
            f"<= {TARGETS['peak_rss_mb']:.0f} MB",
            top["peak_rss_decide_mb"] <= TARGETS["peak_rss_mb"],
        ),
    ]
    queue = phases.get("queue")
    if queue:
        checks.append(
            (
                f"queueing {queue['reminders']:,} reminders with "
                f"{queue['workers']} workers {queue['seconds']:.1f} s <= "
                f"{TARGETS['queue_s']:.0f} s"
                + ("" if queue.get("complete", True) else " (partial run)"),
                queue["seconds"] <= TARGETS["queue_s"] and queue.get("complete", True),
            )
        )
    for key, label in PHASES:
        if key in phases and key in ref["phases"]:
            ratio = phases[key]["us_per_invoice"] / ref["phases"][key]["us_per_invoice"]
            checks.append(
                (
                    f"{label}: time per invoice {ratio:.2f}x that at "
                    f"{ref['invoices']:,} <= {TARGETS['ratio']}x",
                    ratio <= TARGETS["ratio"],
                )
            )
    for text, met in checks:
        print(f"- {'met' if met else 'MISSED'}: {text}")


def curve(args):
    """One invocation of this script per database, then the curve."""
    directory = os.path.dirname(args.json) if args.json else "/tmp"
    paths = []
    passed = []
    skip = {"--curve", "--json", "--reference"}
    argv = sys.argv[1:]
    index = 0
    while index < len(argv):
        name = argv[index].split("=", 1)[0]
        if name in skip:
            index += 1 if "=" in argv[index] else 2
            continue
        passed.append(argv[index])
        index += 1
    for db in args.curve.split(","):
        path = os.path.join(directory, f"benchmark_{db}.json")
        print(f"==== {db} ====")
        subprocess.run(
            [sys.executable, __file__, "--db", db, "--json", path, *passed],
            check=True,
        )
        paths.append(path)
    print()
    summary(paths, args.reference)


def main():
    sys.stdout.reconfigure(line_buffering=True)
    args = parse_args()
    if args.send_worker:
        send_worker(args)
        return
    if args.summary:
        summary(args.summary, args.reference)
        return
    if args.curve:
        curve(args)
        return
    results = measure(args)
    if args.json and results.get("phases"):
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)
        print(f"Figures written to {args.json}.")


if __name__ == "__main__":
    main()
