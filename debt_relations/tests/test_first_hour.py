"""What a collector trips over in the first hour, through the buttons."""

from datetime import datetime, timedelta
from unittest.mock import patch

from lxml import html as lxml_html

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import config

from .common import DebtHttpCase, load_migration
from .portal_common import DebtPortalCase


def _without_mail_settings(test):
    """No catchall, no default sender, no company address, no --email-from:
    a fresh database's mail settings, for the rest of ``test``."""
    test.env["ir.config_parameter"].sudo().search(
        [("key", "in", ("mail.catchall.domain", "mail.default.from"))]
    ).unlink()
    test.env["res.company"].sudo().search([]).write(
        {"email": False, "alias_domain_id": False}
    )
    patcher = patch.dict(config.options, {"email_from": False})
    patcher.start()
    test.addCleanup(patcher.stop)


@tagged("post_install", "-at_install")
class TestApproveAndSend(DebtHttpCase):
    """Approving a reminder: queued until the mail has left, and why not sent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("fh_collector")
        cls.manager = cls._collections_user("fh_manager", "manager")
        # The friendly reminder waits for a person here: an email only.
        cls.stage_friendly.requires_review = True

    def _waiting(self, name):
        customer = self._create_customer(name)
        invoice = self._create_invoice(customer, self.today - timedelta(days=10))
        self.env["debt.collection.run"]._prepare_run(
            self.company, self.today, redecide=True
        )
        action = self.env["debt.action"].search(
            [("partner_id", "=", customer.id), ("state", "=", "to_review")]
        )
        self.assertEqual(action.stage_id, self.stage_friendly)
        return customer, invoice, action

    def _mail_queue_triggers(self):
        cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    def test_approved_reminder_is_queued_until_delivered(self):
        for user in (self.collector, self.manager):
            with self.subTest(user=user.login):
                customer, _invoice, action = self._waiting(f"Queue {user.login}")
                triggers = self._mail_queue_triggers()
                sent_before = action.run_id.reminder_count
                result, error = self._press(
                    user, "debt.action", "action_approve", action.ids
                )
                self.assertIsNone(error)
                self.assertEqual(result["tag"], "display_notification")
                self.assertEqual(result["params"]["type"], "success")
                self.env.invalidate_all()
                # In Odoo's mail queue, woken at once: not yet "Sent".
                self.assertEqual(action.state, "outgoing")
                self.assertEqual(action.delivery_state, "queued")
                self.assertGreater(self._mail_queue_triggers(), triggers)
                self.assertEqual(action.run_id.reminder_count, sent_before)
                self.assertEqual(action.run_id.mail_queued_count, 1)
                mail = self._mails(customer)
                self.assertEqual(mail.state, "outgoing")
                self._deliver_mail()
                self.env.invalidate_all()
                self.assertEqual(mail.state, "sent")
                self.assertEqual(action.state, "done")
                self.assertEqual(action.run_id.reminder_count, sent_before + 1)

    def test_approving_what_the_check_cancels_says_why(self):
        for user in (self.collector, self.manager):
            with self.subTest(user=user.login):
                customer, invoice, action = self._waiting(f"Promise {user.login}")
                # Meanwhile the customer promised to pay.
                self.env["debt.promise"].create(
                    {
                        "partner_id": customer.id,
                        "move_ids": [Command.set(invoice.ids)],
                        "amount": 100.0,
                        "date_promised": self.today + timedelta(days=7),
                    }
                )
                result, error = self._press(
                    user, "debt.action", "action_approve", action.ids
                )
                self.assertIsNone(error)
                self.env.invalidate_all()
                self.assertEqual(action.state, "cancelled")
                self.assertIn(invoice.name, action.note)
                self.assertIn("Promised to pay", action.note)
                params = result["params"]
                self.assertEqual(params["type"], "warning")
                self.assertIn("Promised to pay", params["message"])
                self.assertIn(customer.name, params["message"])
                self.assertFalse(self._mails(customer))
                # The form shows the reason.
                form = self.env["debt.action"].get_view(view_type="form")["arch"]
                self.assertIn('name="note"', form)


@tagged("post_install", "-at_install")
class TestRunFigures(DebtHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._collections_user("fh_run_manager", "manager")

    def test_run_now_figures_user_and_amount_asked(self):
        self._only_this_company_runs()
        first = self._create_invoice(
            self.customer, self.today - timedelta(days=10), amount=120.0
        )
        other = self._create_customer("Figures Two")
        self._create_invoice(other, self.today - timedelta(days=10), amount=80.0)
        # The scheduled action's run of the day, then a manager presses Run now.
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        self.assertEqual(run.user_id, self.env.user)
        third = self._create_customer("Figures Three")
        self._create_invoice(third, self.today - timedelta(days=10), amount=50.0)
        result, error = self._press(
            self.manager, "debt.collection.run", "action_run_now", []
        )
        self.assertIsNone(error)
        self.assertEqual(result["res_id"], run.id)
        self.env.invalidate_all()
        self.assertEqual(run.user_id, self.manager)
        self._deliver_mail()
        # Run now once more: decided again after it had finished.
        _result, error = self._press(
            self.manager, "debt.collection.run", "action_run_now", run.ids
        )
        self.assertIsNone(error)
        self.env.invalidate_all()
        self.assertEqual(run.state, "done")
        self.assertLessEqual(run.queued_at, run.finished_at)
        line = run.line_ids.filtered(lambda r: r.kind == "stage")
        self.assertEqual(line.stage_id, self.stage_friendly)
        self.assertEqual(line.count, 3)
        self.assertAlmostEqual(line.amount, 250.0)
        self.assertEqual(run.reminder_count, 3)
        # What was asked stays; today's balance is beside it.
        action = run.action_ids.filtered(lambda a: a.partner_id == self.customer)
        self.assertAlmostEqual(action.amount_asked, 120.0)
        self._pay(first)
        self.env.invalidate_all()
        self.assertAlmostEqual(action.amount_asked, 120.0)
        self.assertAlmostEqual(action.amount_due, 0.0)


@tagged("post_install", "-at_install")
class TestProfileGroups(DebtHttpCase):
    def test_grouped_profiles_average_shares_and_days(self):
        manager = self._collections_user("fh_profile_manager", "manager")
        one = self._create_customer("Profile One")
        two = self._create_customer("Profile Two")
        self.env["debt.partner.profile"].sudo().create(
            [
                {
                    "partner_id": one.id,
                    "company_id": self.company.id,
                    "on_time_ratio": 0.75,
                    "avg_days_late": 10.0,
                    "paid_count": 4,
                },
                {
                    "partner_id": two.id,
                    "company_id": self.company.id,
                    "on_time_ratio": 0.75,
                    "avg_days_late": 20.0,
                    "paid_count": 8,
                },
            ]
        )
        groups, error = self._call_kw(
            manager,
            "debt.partner.profile",
            "web_read_group",
            [[("partner_id", "in", [one.id, two.id])]],
            {
                "fields": ["on_time_ratio", "avg_days_late", "paid_count"],
                "groupby": ["company_id"],
            },
        )
        self.assertIsNone(error)
        [group] = groups["groups"]
        self.assertAlmostEqual(group["on_time_ratio"], 0.75)
        self.assertAlmostEqual(group["avg_days_late"], 15.0)
        self.assertEqual(group["paid_count"], 12)


@tagged("post_install", "-at_install")
class TestPartnerFiguresAndContact(DebtHttpCase):
    def test_profile_figures_have_a_currency(self):
        collector = self._collections_user("fh_figures_collector")
        described, error = self._call_kw(
            collector,
            "res.partner",
            "fields_get",
            [["debt_revenue_12m", "debt_overdue_amount"]],
            {"attributes": ["type", "currency_field"]},
        )
        self.assertIsNone(error)
        for name in ("debt_revenue_12m", "debt_overdue_amount"):
            self.assertEqual(described[name]["type"], "monetary")
        rows, error = self._call_kw(
            collector,
            "res.partner",
            "web_read",
            [self.customer.ids],
            {"specification": {"debt_currency_id": {"fields": {"name": {}}}}},
        )
        self.assertIsNone(error)
        self.assertEqual(
            rows[0]["debt_currency_id"]["name"], self.company.currency_id.name
        )

    def test_log_a_contact_starts_from_the_overdue_invoices(self):
        collector = self._collections_user("fh_contact_collector")
        overdue = self._create_invoice(
            self.customer, self.today - timedelta(days=12), 300.0
        )
        older = self._create_invoice(
            self.customer, self.today - timedelta(days=40), 200.0
        )
        self._create_invoice(self.customer, self.today + timedelta(days=10), 900.0)
        action, error = self._press(
            collector, "res.partner", "action_debt_log_contact", self.customer.ids
        )
        self.assertIsNone(error)
        self.assertEqual(
            set(action["context"]["default_move_ids"]), {overdue.id, older.id}
        )
        wizard_ids, error = self._call_kw(
            collector,
            "debt.contact.wizard",
            "create",
            [[{"summary": "Called", "is_promise": True}]],
            {"context": action["context"]},
        )
        self.assertIsNone(error)
        wizard = self.env["debt.contact.wizard"].browse(wizard_ids)
        self.assertAlmostEqual(wizard.promise_amount, 500.0)


@tagged("post_install", "-at_install")
class TestCallTodos(DebtHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("fh_call_collector")

    def _call(self, partner, days_ago):
        return partner.activity_schedule(
            "debt_relations.mail_activity_type_debt_call",
            date_deadline=self.today - timedelta(days=days_ago),
            summary=f"Call ({days_ago} days ago)",
            user_id=self.collector.id,
        )

    def _done_notes(self, partner):
        return " ".join(
            partner.message_ids.filtered(lambda m: m.mail_activity_type_id).mapped(
                "body"
            )
        )

    def test_logging_a_call_closes_todays_call(self):
        self._create_invoice(self.customer, self.today - timedelta(days=40))
        old = self._call(self.customer, 30)
        today = self._call(self.customer, 0)
        action, error = self._press(
            self.collector, "res.partner", "action_debt_log_contact", self.customer.ids
        )
        self.assertIsNone(error)
        wizard_ids, error = self._call_kw(
            self.collector,
            "debt.contact.wizard",
            "create",
            [[{"summary": "Reached the accountant", "channel": "call"}]],
            {"context": action["context"]},
        )
        self.assertIsNone(error)
        _result, error = self._press(
            self.collector, "debt.contact.wizard", "action_log", wizard_ids
        )
        self.assertIsNone(error)
        self.assertFalse(today.exists(), "today's call is the one made")
        self.assertFalse(old.exists(), "the older call is answered by it too")
        bodies = self.customer.message_ids.mapped("body")
        self.assertTrue(
            [b for b in bodies if "Reached the accountant" in b and "Answered" not in b]
        )
        self.assertTrue([b for b in bodies if "Answered by the call logged on" in b])

    def test_run_closes_calls_whose_reason_went_away(self):
        self._only_this_company_runs()
        paid_customer = self._create_customer("Call Paid")
        paid = self._create_invoice(paid_customer, self.today - timedelta(days=40))
        promised_customer = self._create_customer("Call Promised")
        promised = self._create_invoice(
            promised_customer, self.today - timedelta(days=40)
        )
        owing_customer = self._create_customer("Call Owing")
        self._create_invoice(owing_customer, self.today - timedelta(days=40))
        calls = {
            partner: self._call(partner, 30)
            for partner in (paid_customer, promised_customer, owing_customer)
        }
        self._pay(paid, pay_date=self.today)
        self.env["debt.promise"].create(
            {
                "partner_id": promised_customer.id,
                "move_ids": [Command.set(promised.ids)],
                "amount": 100.0,
                "date_promised": self.today + timedelta(days=7),
            }
        )
        self._run(self.today)
        self.assertFalse(calls[paid_customer].exists())
        self.assertIn("Closed by the collection run", self._done_notes(paid_customer))
        self.assertFalse(calls[promised_customer].exists())
        self.assertIn("Promised to pay", self._done_notes(promised_customer))
        self.assertTrue(calls[owing_customer].exists(), "still owing: still a call")


@tagged("post_install", "-at_install")
class TestDeletingWhatTheLogNeeds(DebtHttpCase):
    def _queued_reminder(self):
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        run._send_next_batch()
        log = self._logs(self.customer, channel="email")
        self.assertEqual(log.delivery_state, "queued")
        return run.action_ids, log

    def test_customer_with_a_history_is_refused_clearly(self):
        _action, _log = self._queued_reminder()
        partner_manager = new_test_user(
            self.env,
            login="fh_partner_manager",
            groups="base.group_user,base.group_partner_manager",
        )
        _result, error = self._call_kw(
            partner_manager, "res.partner", "unlink", [self.customer.ids]
        )
        self.assertIsNotNone(error)
        self.assertEqual(error["name"], "odoo.exceptions.UserError")
        self.assertIn("Archive", error["message"])
        self.assertTrue(self.customer.exists())
        # Archiving works.
        _result, error = self._call_kw(
            partner_manager, "res.partner", "action_archive", [self.customer.ids]
        )
        self.assertIsNone(error)

    def test_deleting_the_queued_reminders_message_keeps_the_log(self):
        action, log = self._queued_reminder()
        body = log.body
        self.assertTrue(body)
        message = action.mail_message_id
        # Deleted while its mail still waits in the queue.
        self.assertEqual(log.mail_id.state, "outgoing")
        message.unlink()
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertTrue(log.exists())
        self.assertFalse(log.mail_id)
        self.assertFalse(log.message_id)
        self.assertEqual(log.body, body)
        self.assertFalse(action.mail_message_id)


@tagged("post_install", "-at_install")
class TestSenderOnAFreshDatabase(DebtHttpCase):
    """No catchall, no default sender, no company address: every mail the
    addon causes still has a sender and leaves the queue."""

    def setUp(self):
        super().setUp()
        _without_mail_settings(self)
        self.collector = self._collections_user("fh_sender_collector")
        self.customer.debt_collector_id = self.collector
        # Who causes the activity notice has no address.
        self.causer = self._collections_user("fh_sender_causer")
        self.causer.partner_id.email = False

    def _assert_sent(self, mails):
        self.assertTrue(mails)
        for mail in mails:
            self.assertTrue(mail.email_from, mail.subject)
        # sudo: the queue runs as the scheduled action does.
        mails.sudo().send()
        for mail in mails.exists():
            self.assertNotEqual(mail.state, "exception", mail.failure_reason)

    def test_every_mail_has_a_sender(self):
        self._only_this_company_runs()
        before = self.env["mail.mail"].search([]).ids
        Message = self.env["mail.message"].sudo()  # notices are their recipients'
        last_message = Message.search([], order="id desc", limit=1)
        # A reminder.
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        # A thank-you.
        self._thanks_rule(10)
        thanked = self._create_customer("Sender Thanked")
        early = self._create_invoice(thanked, self.today + timedelta(days=5))
        self._pay(early, pay_date=self.today)
        # An agreement's mail: a promise kept.
        promising = self._create_customer("Sender Promise")
        promised = self._create_invoice(promising, self.today - timedelta(days=20))
        self.env["debt.promise"].create(
            {
                "partner_id": promising.id,
                "move_ids": [Command.set(promised.ids)],
                "amount": 100.0,
                "date_promised": self.today + timedelta(days=7),
            }
        )
        self._pay(promised, pay_date=self.today)
        # An activity assigned to a collector without an address, caused by
        # someone without one: a dispute.
        disputed = self._create_invoice(self.customer, self.today - timedelta(days=3))
        disputed.invoice_user_id = self.collector
        self.env["debt.dispute"].with_user(self.causer).sudo().create(
            {
                "move_id": disputed.id,
                "reason": self.env.ref("debt_relations.debt_dispute_reason_quality").id,
                "description": "Broken chairs",
            }
        )
        self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        run = self.env["debt.collection.run"].search(
            [("company_id", "=", self.company.id), ("date", "=", self.today)]
        )
        run._send_next_batch()
        mails = self.env["mail.mail"].search([("id", "not in", before)])
        subjects = " | ".join(mail.subject or "" for mail in mails)
        self.assertIn("reminder", subjects.lower())
        self.assertIn("thank", subjects.lower())
        self._assert_sent(mails)
        # The notice may leave at once (and its mail be deleted): its message
        # has the sender, and no mail of it is left in exception.
        notice = Message.search(
            [("id", ">", last_message.id), ("subject", "ilike", "assigned to you")]
        )
        self.assertTrue(notice)
        self.assertTrue(notice.email_from)
        self.assertFalse(
            self.env["mail.mail"]
            .sudo()
            .search(
                [("mail_message_id", "in", notice.ids), ("state", "=", "exception")]
            )
        )


@tagged("post_install", "-at_install")
class TestSignedAgreement(DebtHttpCase):
    def test_agreement_prints_the_signature(self):
        collector = self._collections_user("fh_plan_collector")
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=20))
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "installment_ids": [
                    Command.create(
                        {"date_due": self.today + timedelta(days=10), "amount": 50.0}
                    ),
                    Command.create(
                        {"date_due": self.today + timedelta(days=40), "amount": 50.0}
                    ),
                ],
            }
        )
        # As the portal records a signature.
        self.env["debt.portal.plan.request"].sudo().create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "plan_id": plan.id,
                "hardship": "cash_flow",
                "monthly_amount": 50.0,
                "date_first": self.today + timedelta(days=10),
                "state": "signed",
                "signed_name": "Jane Buyer",
                "signed_on": datetime(2026, 3, 2, 9, 30),
                "signed_ip": "203.0.113.7",
            }
        )
        self.authenticate(collector.login, collector.login)
        response = self.url_open(
            f"/report/html/debt_relations.report_debt_payment_plan/{plan.id}"
        )
        self.assertEqual(response.status_code, 200)
        text = " ".join(lxml_html.fromstring(response.content).text_content().split())
        self.assertIn("Signed online by Jane Buyer", text)
        self.assertIn("203.0.113.7", text)
        self.assertIn("03/02/2026 09:30", text)


@tagged("post_install", "-at_install")
class TestMigrationToOneThree(DebtHttpCase):
    def test_queued_reminders_amounts_and_senders_are_migrated(self):
        self._create_invoice(self.customer, self.today - timedelta(days=10), 140.0)
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        run._send_next_batch()
        action = run.action_ids
        # As version 1.2 left it: "Sent" while in the mail queue, no amount.
        action.sudo().write({"state": "done", "amount_asked": False})
        template = self.env.ref("debt_relations.mail_template_debt_friendly")
        old = "{{ (object.company_id.email_formatted or user.email_formatted) }}"
        template.email_from = old
        self.env.flush_all()
        load_migration("18.0.1.3.0").migrate(self.env.cr, "18.0.1.2.0")
        self.env.invalidate_all()
        self.assertEqual(action.state, "outgoing")
        self.assertAlmostEqual(action.amount_asked, 140.0)
        self.assertEqual(
            template.email_from, "{{ object.company_id._debt_email_from() }}"
        )
        self._deliver_mail()
        self.assertEqual(action.state, "done")


@tagged("post_install", "-at_install")
class TestPortalNoticeSender(DebtPortalCase):
    """A dispute posted on the portal, on a database with no mail setting:
    the owner's activity notice has a sender and leaves the queue."""

    def test_portal_dispute_notice_has_a_sender(self):
        _without_mail_settings(self)
        owner = self._collections_user("fh_portal_owner")
        self.overdue.invoice_user_id = owner
        before = self.env["mail.mail"].search([]).ids
        response = self._post(
            "dispute",
            {
                "move_id": str(self.overdue.id),
                "reason_id": str(
                    self.env.ref("debt_relations.debt_dispute_reason_quality").id
                ),
                "description": "Two of the chairs arrived broken.",
            },
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        notices = self.env["mail.mail"].search(
            [("id", "not in", before), ("recipient_ids", "in", owner.partner_id.ids)]
        )
        self.assertTrue(notices)
        self.assertTrue(all(notices.mapped("email_from")))
        # sudo: the queue runs as the scheduled action does.
        notices.sudo().send()
        for mail in notices.exists():
            self.assertNotEqual(mail.state, "exception", mail.failure_reason)
