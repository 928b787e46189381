from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

import psycopg2.errors
from freezegun import freeze_time

from odoo.sql_db import Cursor
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.debt_relations.models.debt_action import QUEUED_INDEX
from odoo.addons.debt_relations.models.debt_sender import DebtSender

from .common import DebtRelationsCase


@contextmanager
def query_fails(marker, error):
    """The queries containing ``marker`` raise ``error``, as when another
    worker holds or has just changed the rows they lock."""
    original = Cursor.execute

    def execute(cr, query, params=None, log_exceptions=True):
        if marker in str(getattr(query, "code", query)):
            raise error
        return original(cr, query, params, log_exceptions)

    with patch.object(Cursor, "execute", execute):
        yield


@tagged("post_install", "-at_install")
class TestCollectionRun(DebtRelationsCase):
    def test_run_twice_same_day_sends_once(self):
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        first = self._run(self.today)
        second = self._run(self.today)
        self.assertEqual(first, second)
        self.assertEqual(first.state, "done")
        self.assertEqual(len(self._mails(self.customer)), 1)
        self.assertEqual(len(self._logs(self.customer)), 1)

    def test_run_record_counts(self):
        other = self._create_customer("Deco Addict")
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        self._create_invoice(other, self.today - timedelta(days=1))  # not due yet
        self._create_invoice(other, self.today - timedelta(days=10), amount=0.2)
        run = self._run(self.today)
        self.assertRecordValues(
            run,
            [
                {
                    "date": self.today,
                    "company_id": self.company.id,
                    "partner_count": 2,
                    "invoice_count": 3,
                    "reminder_count": 1,
                    "review_count": 0,
                    "skip_count": 1,
                    "state": "done",
                }
            ],
        )
        stage_line = run.line_ids.filtered(lambda line: line.kind == "stage")
        self.assertEqual(stage_line.stage_id, self.stage_friendly)
        self.assertEqual(stage_line.count, 1)
        self.assertGreater(run.duration, 0)
        self.assertTrue(run.queued_at)
        self.assertGreaterEqual(run.finished_at, run.queued_at)

    def test_crash_part_way_then_rerun_sends_each_once(self):
        customers = [self.customer] + [
            self._create_customer(f"Customer {index}") for index in range(3)
        ]
        for customer in customers:
            self._create_invoice(customer, self.today - timedelta(days=10))
        self.env["ir.config_parameter"].set_param("debt_relations.batch_size", 2)
        Run = self.env["debt.collection.run"]
        run = Run._prepare_run(self.company, self.today)
        self.assertEqual(run._send_next_batch(), 2)

        original = DebtSender._debt_send_email

        def crash(sender, contacts, logs):
            original(sender, contacts, logs)
            raise psycopg2.OperationalError("server closed the connection")

        # The second batch dies half-way (the database connection is lost, the
        # server killed): its transaction is rolled back.
        with (
            patch.object(DebtSender, "_debt_send_email", crash),
            self.assertRaises(psycopg2.OperationalError),
            self.env.cr.savepoint(),
        ):
            run._send_next_batch()
        self.env.invalidate_all()

        rerun = self._run(self.today)
        self.assertEqual(rerun, run)
        self.assertEqual(run.state, "done")
        for customer in customers:
            self.assertEqual(len(self._mails(customer)), 1, customer.name)
            self.assertEqual(len(self._logs(customer)), 1, customer.name)

    def test_cron_works_in_batches(self):
        """One call decides (committed by the cron runner before any sending),
        the next calls send bounded batches."""
        self._only_this_company_runs()
        customers = [self._create_customer(f"Cron {index}") for index in range(3)]
        for customer in customers:
            self._create_invoice(customer, self.today - timedelta(days=10))
        self.env["ir.config_parameter"].set_param("debt_relations.batch_size", 2)
        # The scheduled action runs as the superuser.
        Run = self.env["debt.collection.run"].sudo()
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": self.env.ref("debt_relations.ir_cron_debt_collection_run").id}
        )
        Run.with_context(ir_cron_progress_id=progress.id)._cron_run_collection()
        self.assertEqual((progress.done, progress.remaining), (1, 3))
        run = Run.search(
            [("date", "=", self.today), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(run.state, "running")
        self.assertEqual(run.queued_count, 3)
        self.assertFalse(self._mails(customers[0]), "deciding sends nothing")
        Run.with_context(ir_cron_progress_id=progress.id)._cron_run_collection()
        self.assertEqual((progress.done, progress.remaining), (2, 1))
        Run.with_context(ir_cron_progress_id=progress.id)._cron_run_collection()
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertEqual(run.state, "done")
        for customer in customers:
            self.assertEqual(len(self._mails(customer)), 1)

    def test_cron_wakes_the_sending_worker(self):
        """Deciding wakes the sending scheduled action, which sends batches of
        the running runs alongside the daily run."""
        self._only_this_company_runs()
        customers = [self._create_customer(f"Woken {index}") for index in range(3)]
        for customer in customers:
            self._create_invoice(customer, self.today - timedelta(days=10))
        self.env["ir.config_parameter"].set_param("debt_relations.batch_size", 1)
        sender = self.env.ref("debt_relations.ir_cron_debt_send_reminders")
        Trigger = self.env["ir.cron.trigger"]
        Run = self.env["debt.collection.run"].sudo()
        daily = self.env["ir.cron.progress"].create(
            {"cron_id": self.env.ref("debt_relations.ir_cron_debt_collection_run").id}
        )
        sending = self.env["ir.cron.progress"].create({"cron_id": sender.id})
        Run.with_context(ir_cron_progress_id=daily.id)._cron_run_collection()
        self.assertTrue(Trigger.search([("cron_id", "=", sender.id)]))
        self.assertEqual((daily.done, daily.remaining), (1, 3))
        Run.with_context(ir_cron_progress_id=sending.id)._cron_send_reminders()
        self.assertEqual((sending.done, sending.remaining), (1, 2))
        Run.with_context(ir_cron_progress_id=daily.id)._cron_run_collection()
        self.assertEqual((daily.done, daily.remaining), (1, 1))
        Run.with_context(ir_cron_progress_id=sending.id)._cron_send_reminders()
        run = Run.search(
            [("date", "=", self.today), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(run.state, "done")
        # In the mail queue, then Sent once delivered.
        self.assertEqual((run.mail_queued_count, run.reminder_count), (3, 0))
        self._deliver_mail()
        self.assertEqual(run.reminder_count, 3)
        for customer in customers:
            self.assertEqual(len(self._mails(customer)), 1, customer.name)

    def test_claim_lost_to_another_worker_sends_nothing(self):
        """When another worker sent actions after this transaction began, the
        batch claims nothing and sends nothing; the next call goes on."""
        for index in range(2):
            customer = self._create_customer(f"Raced {index}")
            self._create_invoice(customer, self.today - timedelta(days=10))
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        lost = psycopg2.errors.SerializationFailure("concurrent update")
        with query_fails("SKIP LOCKED", lost):
            self.assertEqual(run._send_next_batch(), 0)
        self.assertEqual(run.state, "running")
        self.assertEqual(set(run.action_ids.mapped("state")), {"queued"})
        self.assertFalse(
            self.env["mail.mail"].search(
                [
                    ("res_id", "in", run.action_ids.partner_id.ids),
                    ("model", "=", "res.partner"),
                ]
            )
        )
        self.assertEqual(run._send_next_batch(), 2)
        self.assertEqual(run.state, "done")

    def test_batches_claim_through_the_queued_actions_only(self):
        """A batch finds the run's next queued actions without stepping over
        those already sent (the claim through the primary key grew with the
        actions sent before it)."""
        for index in range(3):
            customer = self._create_customer(f"Claimed {index}")
            self._create_invoice(customer, self.today - timedelta(days=10))
        self.env["ir.config_parameter"].set_param("debt_relations.batch_size", 1)
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        claims = []
        original = Cursor.execute

        def execute(cr, query, params=None, log_exceptions=True):
            if "SKIP LOCKED" in str(getattr(query, "code", query)):
                claims.append(query)
            return original(cr, query, params, log_exceptions)

        with patch.object(Cursor, "execute", execute):
            self.assertEqual(run._send_next_batch(), 1)
        self.assertEqual(len(claims), 1)
        # A handful of rows: the planner would read the table or sort any
        # index's rows; without those, the claim needs an index that gives
        # the run's queued actions in id order.
        planner = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
        for setting in planner:
            self.env.cr.execute(f"SET LOCAL {setting} = off")
        plan = "\n".join(
            row[0] for row in self.env.execute_query(SQL("EXPLAIN %s", claims[0]))
        )
        for setting in planner:
            self.env.cr.execute(f"RESET {setting}")
        self.assertIn(QUEUED_INDEX, plan)
        # The index holds the queued actions only.
        [[indexed]] = self.env.execute_query(
            SQL("SELECT pg_get_indexdef(%s::regclass)", QUEUED_INDEX)
        )
        self.assertIn("WHERE ((state)::text = 'queued'::text)", indexed)
        self.assertEqual(run._send_next_batch(), 1)
        self.assertEqual(run._send_next_batch(), 1)
        self.assertEqual(set(run.action_ids.mapped("state")), {"outgoing"})
        self.assertEqual(run.state, "done")

    def test_run_closed_by_another_worker_is_left_alone(self):
        """Two workers finding the run sent at once: the one that cannot lock
        the run keeps its batch and leaves the closing to the other."""
        customer = self._create_customer("Closing")
        self._create_invoice(customer, self.today - timedelta(days=10))
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        locked = psycopg2.errors.LockNotAvailable("locked by another worker")
        with query_fails("NOWAIT", locked):
            self.assertEqual(run._send_next_batch(), 1)
        self.assertEqual(run.state, "running")
        self.assertEqual(len(self._mails(customer)), 1)
        self.assertEqual(run.action_ids.state, "outgoing")
        self.assertEqual(run._send_next_batch(), 0)
        self.assertEqual(run.state, "done")
        self.assertEqual(len(self._mails(customer)), 1)

    def test_run_now_sends_a_batch_and_leaves_the_rest_to_the_sender(self):
        customers = [self._create_customer(f"Now {index}") for index in range(3)]
        for customer in customers:
            self._create_invoice(customer, self.today - timedelta(days=10))
        self.env["ir.config_parameter"].set_param("debt_relations.batch_size", 2)
        sender = self.env.ref("debt_relations.ir_cron_debt_send_reminders")
        with freeze_time(self.today):
            action = self.env["debt.collection.run"].action_run_now()
        run = self.env["debt.collection.run"].browse(action["res_id"])
        self.assertEqual(
            (run.date, run.state, run.mail_queued_count), (self.today, "running", 2)
        )
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", sender.id)])
        )
        self.env["debt.collection.run"].sudo()._cron_send_reminders()
        self.assertEqual((run.state, run.mail_queued_count), ("done", 3))
        self._deliver_mail()
        self.assertEqual(run.reminder_count, 3)

    def test_simulated_day_dates_everything(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        as_of = self.today + timedelta(days=100)
        self._run(as_of)
        self.assertEqual(invoice.debt_last_contact_date, as_of)
        self.assertEqual(invoice.debt_stage_date, as_of)
        self.assertEqual(self._logs(self.customer).date, as_of)
        # A run for an earlier day, made later (a replay), contacts no one.
        with freeze_time(as_of):
            replay = self.env["debt.collection.run"]._run_collection(as_of=self.today)
        self.assertTrue(replay.replay)
        self.assertEqual(len(self._mails(self.customer)), 1)

    def test_query_count_does_not_grow_with_invoices(self):
        def build(count, prefix):
            for index in range(count):
                customer = self._create_customer(f"{prefix} {index}")
                self._create_invoice(customer, self.today - timedelta(days=10))
                self._create_invoice(customer, self.today - timedelta(days=12))

        self.env["ir.config_parameter"].set_param("debt_relations.batch_size", 500)
        self._assert_run_queries_flat(build)
