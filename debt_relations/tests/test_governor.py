"""The contact governor in the product: contact hours in the customer's time
zone with public holidays, the contact limit across channels, and a reply by
email pausing the chase (``debt.contact.governor``, ``services.governor``)."""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DebtRelationsCase

MONDAY = date(2026, 3, 2)
"""Before summer time on both sides of the Atlantic (New York: EST, UTC-5;
Brussels: CET, UTC+1)."""


@tagged("post_install", "-at_install")
class TestContactGovernor(DebtRelationsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls._office_hours()
        # Settings as an administrator saves them.
        cls.env["res.config.settings"].create(
            {
                "debt_contact_calendar_id": cls.calendar.id,
                "debt_contact_cap": 3,
                "debt_contact_cap_days": 7,
                "debt_reply_pause_days": 5,
            }
        ).execute()
        cls.customer.tz = "America/New_York"
        cls.local = cls._create_customer("Brussels Bakery")
        cls.local.tz = False  # the calendar's time zone
        cls.today = MONDAY

    def _run_at(self, moment, as_of=None):
        """The run of ``as_of`` (default: the moment's day) made at ``moment``
        (UTC); the mail queue is not run."""
        with freeze_time(moment):
            return self.env["debt.collection.run"]._run_collection(
                as_of=as_of or moment.date()
            )

    def _queue_at(self, moment):
        with freeze_time(moment):
            self.env["mail.mail"].process_email_queue()

    def _log(self, partner, day, channel="email", **values):
        return (
            self.env["debt.contact.log"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "date": day,
                    "channel": channel,
                    "direction": "outbound",
                    "delivery_state": "sent"
                    if channel == "email"
                    else "not_applicable",
                    "summary": f"Earlier contact by {channel}",
                    **values,
                }
            )
        )

    def _reminders(self, partner):
        """The reminder mails of ``partner`` (not the chatter's notifications)."""
        return self.env["mail.mail"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("message_type", "=", "email_outgoing"),
            ],
            order="id",
        )

    def _skips(self, run):
        return {line.reason: line.count for line in run.line_ids if line.kind == "skip"}

    # ------------------------------------------------------------------
    # When
    # ------------------------------------------------------------------

    def test_settings_saved_on_the_company(self):
        self.assertEqual(self.company.debt_contact_calendar_id, self.calendar)
        self.assertEqual(self.company.debt_contact_cap, 3)
        self.assertEqual(self.company.debt_contact_cap_days, 7)
        self.assertEqual(self.company.debt_reply_pause_days, 5)
        # A new company contacts in its own working hours.
        other = self.env["res.company"].create({"name": "Governed Too"})
        self.assertEqual(other.debt_contact_calendar_id, other.resource_calendar_id)
        self.assertTrue(other.debt_contact_calendar_id)
        self.assertEqual(other.debt_contact_cap, 3)

    def test_mail_waits_for_nine_in_the_customers_time_zone(self):
        self._create_invoice(self.customer, MONDAY - timedelta(days=10))
        self._create_invoice(self.local, MONDAY - timedelta(days=10))
        # 07:00 UTC: 02:00 in New York, 08:00 in Brussels.
        self._run_at(datetime(2026, 3, 2, 7, 0))
        [far] = self._reminders(self.customer)
        [near] = self._reminders(self.local)
        self.assertEqual(far.scheduled_date, datetime(2026, 3, 2, 14, 0))
        self.assertEqual(near.scheduled_date, datetime(2026, 3, 2, 8, 0))
        self._queue_at(datetime(2026, 3, 2, 8, 30))
        self.assertEqual(near.state, "sent")
        self.assertEqual(far.state, "outgoing", "02:30 in New York: not yet")
        self._queue_at(datetime(2026, 3, 2, 14, 1))
        self.assertEqual(far.state, "sent")
        self.assertEqual(
            self._partner_action(self.customer).state, "done", "delivered, reached"
        )
        # The SMS helper asks the same question.
        self.assertEqual(
            self.customer._debt_next_allowed_moment(
                self.company, now=datetime(2026, 3, 2, 7, 0)
            ),
            datetime(2026, 3, 2, 14, 0),
        )

    def _partner_action(self, partner):
        return self.env["debt.action"].search(
            [("partner_id", "=", partner.id)], order="id desc", limit=1
        )

    def test_public_holiday_is_skipped(self):
        # Tuesday 3 March is a public holiday in Brussels.
        self._public_holiday(self.calendar, date(2026, 3, 3))
        self._create_invoice(self.local, MONDAY - timedelta(days=10))
        # Monday 18:00 in Brussels: closed; Tuesday is the holiday.
        self._run_at(datetime(2026, 3, 2, 17, 0))
        [mail] = self._reminders(self.local)
        self.assertEqual(mail.scheduled_date, datetime(2026, 3, 4, 8, 0))
        self._queue_at(datetime(2026, 3, 3, 10, 0))
        self.assertEqual(mail.state, "outgoing", "not on the holiday")

    def test_call_falls_due_on_the_next_allowed_day(self):
        self._public_holiday(self.calendar, date(2026, 3, 3))
        self.stage_friendly.schedule_call = True
        self._create_invoice(self.local, MONDAY - timedelta(days=9))
        # The run decides on the holiday itself; the call waits a day.
        self._run_at(datetime(2026, 3, 3, 9, 0))
        call = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.local.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref("debt_relations.mail_activity_type_debt_call").id,
                ),
            ]
        )
        self.assertEqual(len(call), 1)
        self.assertEqual(call.date_deadline, date(2026, 3, 4))

    # ------------------------------------------------------------------
    # How often
    # ------------------------------------------------------------------

    def test_cap_postpones_the_reminder_then_sends_it(self):
        self.company.debt_contact_cap = 2
        self.stage_friendly.min_gap_days = 0
        invoice = self._create_invoice(self.local, MONDAY - timedelta(days=10))
        self._log(self.local, MONDAY - timedelta(days=3), channel="call")
        self._log(self.local, MONDAY - timedelta(days=1), channel="letter")
        run = self._run_at(datetime(2026, 3, 2, 9, 0))
        self.assertFalse(self._reminders(self.local))
        self.assertEqual(invoice.debt_skip_reason, "contact_cap")
        self.assertEqual(self._skips(run).get("contact_cap"), 1)
        self.assertEqual(run.skip_count, 1)
        # Friday: the call of the Friday before has left the 7 days.
        later = self._run_at(datetime(2026, 3, 6, 9, 0))
        [mail] = self._reminders(self.local)
        self.assertFalse(mail.scheduled_date, "in the contact hours: at once")
        self.assertNotIn("contact_cap", self._skips(later))
        self.assertFalse(invoice.debt_skip_reason)

    def test_thanks_and_confirmations_are_not_counted(self):
        self.company.debt_contact_cap = 2
        self.stage_friendly.min_gap_days = 0
        self._create_invoice(self.local, MONDAY - timedelta(days=10))
        self._log(self.local, MONDAY - timedelta(days=2))
        self._log(self.local, MONDAY - timedelta(days=1), courtesy=True)
        self._log(self.local, MONDAY - timedelta(days=1), confirmation=True)
        self._log(self.local, MONDAY - timedelta(days=1), channel="note")
        self._log(
            self.local,
            MONDAY - timedelta(days=1),
            channel="email",
            direction="inbound",
        )
        run = self._run_at(datetime(2026, 3, 2, 9, 0))
        self.assertEqual(len(self._reminders(self.local)), 1)
        self.assertNotIn("contact_cap", self._skips(run))
        # The reminder counts, and so would an SMS: the limit is reached
        # until Sunday's SMS leaves the week.
        self._log(self.local, MONDAY - timedelta(days=1), channel="sms")
        self.assertEqual(
            self.env["debt.contact.governor"]._cap_free_from(
                self.company, MONDAY, [self.local.id]
            ),
            {self.local.id: date(2026, 3, 8)},
        )

    def test_instalment_reminder_over_the_limit_waits_in_the_queue(self):
        invoice = self._create_invoice(self.local, MONDAY - timedelta(days=8))
        wizard = (
            self.env["debt.payment.plan.wizard"]
            .with_context(**invoice.action_debt_offer_plan()["context"])
            .create(
                {
                    "move_ids": [Command.set(invoice.ids)],
                    "date": MONDAY,
                    "first_date": MONDAY + timedelta(days=7),
                    "installment_count": 2,
                    "frequency": "monthly",
                }
            )
        )
        plan = self.env["debt.payment.plan"].browse(
            wizard.action_create_plan()["res_id"]
        )
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            plan.action_propose()
            plan.action_activate()
        # Friday 6 March, 14:00 in Brussels, three days before the
        # instalment: the proposal (Monday) and two more contacts this week.
        with freeze_time(datetime(2026, 3, 6, 13, 0)):
            for days in (1, 2):
                self._log(self.local, MONDAY + timedelta(days=days))
            plan.installment_ids[0]._send_reminders(date(2026, 3, 6), 3)
        mail = self.env["mail.mail"].search(
            [("model", "=", plan._name), ("res_id", "=", plan.id)],
            order="id desc",
            limit=1,
        )
        self.assertIn("instalment", mail.subject.lower())
        self.assertEqual(mail.state, "outgoing")
        # Room again on Monday 9 March (the proposal leaves the week): 9:00
        # in Brussels.
        self.assertEqual(mail.scheduled_date, datetime(2026, 3, 9, 8, 0))

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------

    def _reminded(self):
        """A reminder mailed to Brussels Bakery on Monday, and its mail."""
        invoice = self._create_invoice(self.local, MONDAY - timedelta(days=22))
        self._run_at(datetime(2026, 3, 2, 9, 0))
        self._queue_at(datetime(2026, 3, 2, 9, 5))
        [mail] = self._reminders(self.local)
        return invoice, mail

    def _answer(self, mail, body, extra_headers="", message_id="<answer-1@bakery>"):
        raw = (
            f"From: Brussels Bakery <{self.local.email}>\r\n"
            f"To: {mail.reply_to or mail.email_from}\r\n"
            f"Subject: Re: {mail.subject}\r\n"
            f"Message-Id: {message_id}\r\n"
            f"In-Reply-To: {mail.message_id}\r\n"
            f"References: {mail.message_id}\r\n"
            "Date: Tue, 03 Mar 2026 10:00:00 +0100\r\n"
            f"{extra_headers}"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            f"{body}\r\n"
        )
        with freeze_time(datetime(2026, 3, 3, 9, 0)):
            self.env["mail.thread"].message_process(False, raw.encode())

    def _inbound(self):
        return self.env["debt.contact.log"].search(
            [("partner_id", "=", self.local.id), ("direction", "=", "inbound")]
        )

    def test_reply_pauses_the_chase_and_reaches_the_collector(self):
        invoice, mail = self._reminded()
        self._answer(mail, "We paid <b>last week</b>, check your bank & see.")
        [entry] = self._inbound()
        self.assertEqual(entry.channel, "email")
        self.assertEqual(entry.move_ids, invoice)
        self.assertEqual(entry.message_id.message_id, "<answer-1@bakery>")
        self.assertEqual(entry.message_id.model, "res.partner")
        self.assertEqual(entry.message_id.res_id, self.local.id)
        activity = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.local.id),
                ("summary", "=", "Customer replied"),
            ]
        )
        self.assertEqual(len(activity), 1)
        self.assertIn("We paid &lt;b&gt;last week&lt;/b&gt;", str(activity.note))
        self.assertNotIn("<b>", str(activity.note))
        partner = self.local.with_company(self.company)
        self.assertEqual(partner.debt_replied_until, date(2026, 3, 7))
        # The worklist still lists the customer's reply.
        row = self.env["debt.worklist"].search(
            [("company_id", "=", self.company.id), ("partner_id", "=", self.local.id)]
        )
        self.assertIn("reply", row.reason_codes.split())
        # The next runs skip the customer while the pause lasts.
        self.stage_firm.min_gap_days = 0
        paused = self._run_at(datetime(2026, 3, 6, 9, 0))
        self.assertEqual(invoice.debt_skip_reason, "customer_replied")
        self.assertEqual(self._skips(paused).get("customer_replied"), 1)
        self.assertEqual(len(self._reminders(self.local)), 1)
        self._run_at(datetime(2026, 3, 9, 9, 0))
        self.assertEqual(len(self._reminders(self.local)), 2, "the pause is over")

    def test_auto_reply_is_logged_and_pauses_nothing(self):
        invoice, mail = self._reminded()
        self._answer(
            mail,
            "I am out of the office until Monday.",
            extra_headers="Auto-Submitted: auto-replied\r\n",
        )
        [entry] = self._inbound()
        self.assertIn("Automatic reply", entry.summary)
        self.assertFalse(self.local.with_company(self.company).debt_replied_until)
        self.assertFalse(
            self.env["mail.activity"].search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", self.local.id),
                    ("summary", "=", "Customer replied"),
                ]
            )
        )
        self.stage_firm.min_gap_days = 0
        run = self._run_at(datetime(2026, 3, 6, 9, 0))
        self.assertNotIn("customer_replied", self._skips(run))
        self.assertEqual(len(self._reminders(self.local)), 2)
