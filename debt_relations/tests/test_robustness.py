from datetime import timedelta
from unittest.mock import patch

import psycopg2.errors
from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.debt_relations.models.debt_collection_run import DebtCollectionRun

from .common import DebtHttpCase
from .test_run import query_fails

BROKEN_LINE = (
    "<t t-if=\"object.partner_id.ref == 'BROKEN'\" "
    "t-out='object.partner_id.ref.no_such_method()'/>"
)


@tagged("post_install", "-at_install")
class TestRobustness(DebtHttpCase):
    """Faults and races never cost a reminder, a day, or the history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("robust_collector")

    # ------------------------------------------------------------------
    # One bad customer never stops the run
    # ------------------------------------------------------------------

    def test_template_failing_for_one_customer_costs_that_customer_only(self):
        original = self.stage_friendly.mail_template_id
        self.stage_friendly.mail_template_id = self.env["mail.template"].create(
            {
                "name": "Reminder failing on one customer's data",
                "model_id": self.env["ir.model"]._get_id("debt.action"),
                "subject": "About your invoices",
                "email_from": "collections@example.com",
                "partner_to": "{{ object.recipient_id.id }}",
                "body_html": "<div><p>Dear <t t-out='object.partner_id.name'/>,</p>"
                + BROKEN_LINE
                + "<p t-foreach='object.move_ids' t-as='move'>"
                "<t t-out='move.name'/></p></div>",
            }
        )
        broken = self._create_customer("Broken Ltd", ref="BROKEN")
        others = [self._create_customer(f"Fine {index}") for index in range(3)]
        for customer in [broken, *others]:
            self._create_invoice(customer, self.today - timedelta(days=10))
        with self.assertLogs(
            "odoo.addons.debt_relations.models.debt_action", "WARNING"
        ):
            run = self._run(self.today)
        failed = run.action_ids.filtered(lambda a: a.state == "failed")
        self.assertEqual(failed.partner_id, broken)
        self.assertIn("AttributeError", failed.note)
        self.assertNotIn("t-out", failed.note, "the error, not the template source")
        self.assertEqual(run.failed_count, 1)
        self.assertEqual(run.reminder_count, 3)
        self.assertEqual(run.state, "done")
        self.assertFalse(self._mails(broken))
        self.assertFalse(self._logs(broken))
        for customer in others:
            self.assertEqual(len(self._mails(customer)), 1, customer.name)
        # The broken customer is tried again the next day, not left behind.
        self.stage_friendly.mail_template_id = original
        self._run(self.today + timedelta(days=1))
        self.assertEqual(len(self._mails(broken)), 1)

    def test_a_failing_company_does_not_stop_the_others_and_is_retried(self):
        self._only_this_company_runs()
        company_b = self.setup_other_company(name="Company B")["company"]
        customer_b = self._create_customer("B customer")
        self._create_invoice(
            customer_b, self.today - timedelta(days=10), company=company_b
        )
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        original = DebtCollectionRun._settle_agreements

        def settle(run):
            if run.company_id == company_b:
                raise ValueError("bad data in company B")
            return original(run)

        Run = self.env["debt.collection.run"].sudo()
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": self.env.ref("debt_relations.ir_cron_debt_collection_run").id}
        )
        cron = Run.with_context(ir_cron_progress_id=progress.id)
        with (
            patch.object(DebtCollectionRun, "_settle_agreements", settle),
            self.assertLogs("odoo.addons.debt_relations", "ERROR"),
        ):
            for _call in range(4):
                cron._cron_run_collection()  # never raises
                if not progress.remaining:
                    break
        runs = Run.search([("date", "=", self.today)])
        failed = runs.filtered(lambda r: r.company_id == company_b)
        self.assertEqual(failed.state, "failed")
        self.assertIn("bad data in company B", failed.error)
        self.assertTrue(failed.retry_at)
        self.assertEqual(
            runs.filtered(lambda r: r.company_id == self.company).state, "done"
        )
        self.assertEqual(len(self._mails(self.customer)), 1)
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", progress.cron_id.id)]
        )
        self.assertIn(failed.retry_at, trigger.mapped("call_at"))
        # Later that day the scheduled action tries again, and it works.
        with freeze_time(failed.retry_at + timedelta(minutes=1)):
            for _call in range(4):
                cron._cron_run_collection()
                if not progress.remaining:
                    break
        self.assertEqual(failed.state, "done")
        self.assertFalse(failed.error)
        self.assertEqual(len(self._mails(customer_b)), 1)

    # ------------------------------------------------------------------
    # Races
    # ------------------------------------------------------------------

    def test_cron_leaves_a_company_being_decided_by_another_worker(self):
        """ "Run now" holds the company's lock: the scheduled action does not
        fail, decides nothing twice, and looks again a minute later."""
        self._only_this_company_runs()
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        Run = self.env["debt.collection.run"].sudo()
        held = psycopg2.errors.LockNotAvailable("lock timeout")
        with query_fails("pg_advisory_xact_lock", held):
            Run._cron_run_collection()
        self.assertFalse(Run.search([("date", "=", self.today)]))
        self.assertFalse(self._mails(self.customer))
        trigger = self.env["ir.cron.trigger"].search(
            [
                (
                    "cron_id",
                    "=",
                    self.env.ref("debt_relations.ir_cron_debt_collection_run").id,
                )
            ]
        )
        self.assertTrue(trigger)
        Run._cron_run_collection()
        Run._cron_run_collection()
        self.assertEqual(len(self._mails(self.customer)), 1)

    def test_run_committed_by_another_worker_is_met_not_duplicated(self):
        """The other worker's run became visible only after this transaction
        began: the insert ends in a serialisation failure (which the web
        client retries, and the scheduled action defers), never a second run."""
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        lost = psycopg2.errors.SerializationFailure("concurrent insert")
        with (
            query_fails("ON CONFLICT (date, company_id)", lost),
            self.assertRaises(psycopg2.errors.SerializationFailure),
            self.env.cr.savepoint(),
        ):
            self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        self.assertFalse(
            self.env["debt.collection.run"].search([("date", "=", self.today)])
        )

    # ------------------------------------------------------------------
    # Who may change what
    # ------------------------------------------------------------------

    def test_collectors_cannot_rewrite_what_the_run_owns(self):
        self.stage_friendly.requires_review = True
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        run = self._run(self.today)
        action = run.action_ids
        self.assertEqual(action.state, "to_review")
        for values in (
            {"state": "queued"},
            {"state": "done"},
            {"stage_id": self.stage_handoff.id},
            {"reviewed_by_id": self.collector.id},
        ):
            _result, error = self._call_kw(
                self.collector, "debt.action", "write", [action.ids, values]
            )
            self.assertIn("set by the collection run", error["message"], values)
        _result, error = self._call_kw(
            self.collector,
            "debt.action",
            "create",
            [{"partner_id": self.customer.id, "stage_id": self.stage_final.id}],
        )
        self.assertTrue(error)
        self.env.invalidate_all()
        self.assertEqual(action.state, "to_review")
        self.assertEqual(action.stage_id, self.stage_friendly)
        # What a collector may write: a review note; and the buttons work.
        _result, error = self._call_kw(
            self.collector,
            "debt.action",
            "write",
            [action.ids, {"review_note": "Checked with sales"}],
        )
        self.assertIsNone(error)
        _result, error = self._press(
            self.collector, "debt.action", "action_approve", action.ids
        )
        self.assertIsNone(error)
        self.env.invalidate_all()
        # In the mail queue: Sent once the mail server has it.
        self.assertEqual(action.state, "outgoing")
        self.assertEqual(action.reviewed_by_id, self.collector)
        self.assertEqual(len(self._mails(self.customer)), 1)
        # Once sent it cannot be put back in the queue (sent twice).
        _result, error = self._call_kw(
            self.collector, "debt.action", "write", [action.ids, {"state": "queued"}]
        )
        self.assertTrue(error)

    # ------------------------------------------------------------------
    # Late approval
    # ------------------------------------------------------------------

    def test_late_approval_sends_the_figures_of_the_day_it_is_sent(self):
        self.stage_friendly.requires_review = True
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        run = self._run(self.today)
        action = run.action_ids
        lines_before = [(line.kind, line.count) for line in run.line_ids]
        later = self.today + timedelta(days=5)
        with freeze_time(later, tick=True):
            action.action_approve()
            self.env["mail.mail"].process_email_queue()
        self.assertEqual(action.date, later)
        self.assertEqual(action.decided_date, self.today)
        self.assertEqual(action.waiting_days, 5)
        log = self._logs(self.customer, channel="email")
        self.assertEqual(log.date, later)
        self.assertEqual(invoice.debt_last_contact_date, later)
        self.assertEqual(action._get_reminder_lines()[0]["days_overdue"], 15)
        self.assertIn("15", self._mails(self.customer).body_html)
        self.assertEqual(run.date, self.today)
        self.assertEqual(
            [(line.kind, line.count) for line in run.line_ids], lines_before
        )

    def test_action_waiting_too_long_is_stale_and_decided_again(self):
        self.stage_friendly.requires_review = True
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        first = self._run(self.today).action_ids
        later = self.today + timedelta(days=15)
        with (
            freeze_time(later, tick=True),
            self.assertRaisesRegex(Exception, "waited too long"),
        ):
            first.action_approve()
        second = self._run(later)
        self.assertEqual(first.state, "stale")
        self.assertFalse(self._mails(self.customer))
        fresh = second.action_ids
        self.assertEqual(len(fresh), 1)
        self.assertEqual(fresh.state, "to_review")
        self.assertEqual(fresh.decided_date, later)
        self.assertNotEqual(fresh, first)

    def test_stale_days_are_a_setting(self):
        self.company.debt_review_stale_days = 3
        self.stage_friendly.requires_review = True
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        first = self._run(self.today).action_ids
        self._run(self.today + timedelta(days=4))
        self.assertEqual(first.state, "stale")

    # ------------------------------------------------------------------
    # History that cannot be poisoned
    # ------------------------------------------------------------------

    def test_entries_keep_what_was_said(self):
        invoice = self._create_invoice(
            self.customer, self.today - timedelta(days=10), 150.0
        )
        self._run(self.today)
        log = self._logs(self.customer, channel="email")
        self.assertEqual(
            [(line["name"], line["residual"]) for line in log.invoice_snapshot],
            [(invoice.name, 150.0)],
        )
        self.assertIn(invoice.name, log.invoice_summary)
        self.assertIn(invoice.name, log.body)
        # The chatter message is deleted: the entry still says what was sent.
        log.message_id.sudo().unlink()
        self.env.invalidate_all()
        self.assertFalse(log.message_id)
        self.assertIn(invoice.name, log.body)
        self.assertIn(invoice.name, log.invoice_summary)

    def test_contact_in_the_future_is_refused_by_the_model(self):
        _result, error = self._call_kw(
            self.collector,
            "debt.contact.log",
            "create",
            [
                {
                    "partner_id": self.customer.id,
                    "summary": "Call planned",
                    "channel": "call",
                    "date": str(self.today + timedelta(days=3650)),
                }
            ],
        )
        self.assertIn("future", error["message"])
        self.assertFalse(self._logs(self.customer))

    def test_approving_several_at_once_from_the_list(self):
        self.stage_friendly.requires_review = True
        customers = [self._create_customer(f"Many {index}") for index in range(3)]
        for customer in customers:
            self._create_invoice(customer, self.today - timedelta(days=10))
        run = self._run(self.today)
        actions = [
            run.action_ids.filtered(lambda a, c=customer: a.partner_id == c)
            for customer in customers
        ]
        self.assertEqual([a.state for a in actions], ["to_review"] * 3)
        _result, error = self._press(
            self.collector,
            "debt.action",
            "action_approve",
            (actions[0] | actions[1]).ids,
        )
        self.assertIsNone(error)
        _result, error = self._press(
            self.collector, "debt.action", "action_skip", actions[2].ids
        )
        self.assertIsNone(error)
        self.env.invalidate_all()
        # Emails: in the mail queue until delivered.
        self.assertEqual(
            [a.state for a in actions], ["outgoing", "outgoing", "skipped"]
        )
        actions = run.action_ids
        self.assertEqual(actions.reviewed_by_id, self.collector)
        self._deliver_mail()
        for customer in customers[:2]:
            self.assertEqual(len(self._mails(customer)), 1)
        self.assertFalse(self._mails(customers[2]))

    def test_review_screen_shows_the_message_as_it_will_be_sent(self):
        self.stage_friendly.requires_review = True
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        action = self._run(self.today).action_ids
        self.assertIn(invoice.name, action.preview_body)
        self.assertIn(self.customer.name, action.preview_body)
        with freeze_time(self.today + timedelta(days=3), tick=True):
            self.env.invalidate_all()
            self.assertEqual(action.waiting_days, 3)
        self.env["debt.contact.log"].create(
            {"partner_id": self.customer.id, "summary": "Called", "channel": "call"}
        )
        action.invalidate_recordset()
        self.assertEqual(action.partner_log_ids.mapped("summary"), ["Called"])
        preview = action.preview_body
        action.action_approve()
        self._deliver_mail()
        # Sanitised as the contact log keeps it: the log's copy of the email.
        self.assertEqual(self._logs(self.customer, channel="email").body, preview)
