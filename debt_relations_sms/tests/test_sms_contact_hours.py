"""Reminder SMS wait for the customer's contact hours (the contact governor):
Odoo's SMS queue keeps them until the window opens in the customer's time
zone, public holidays skipped."""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.debt_relations.tests.common import DebtRelationsCase
from odoo.addons.sms.tests.common import SMSCase

MONDAY = date(2026, 3, 2)
"""Winter time on both sides of the Atlantic (New York: UTC-5; Brussels:
UTC+1)."""
NY_MOBILE = "+12025550143"
BE_MOBILE = "+32470123456"


@tagged("post_install", "-at_install")
class TestSmsContactHours(DebtRelationsCase, SMSCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls._office_hours()
        cls.env["res.config.settings"].create(
            {"debt_contact_calendar_id": cls.calendar.id}
        ).execute()
        cls.customer.write({"tz": "America/New_York", "mobile": NY_MOBILE})
        cls.local = cls._create_customer("Brussels Bakery")
        cls.local.write({"tz": False, "mobile": BE_MOBILE})  # the calendar's zone
        cls.stage_friendly.write({"send_sms": True, "send_email": False})
        cls.today = MONDAY

    def _run_at(self, moment):
        """The run of the moment's day, made at ``moment`` (UTC)."""
        with freeze_time(moment):
            self.env["debt.collection.run"]._run_collection(as_of=moment.date())

    def _queue_at(self, moment):
        """Odoo's SMS queue runs at ``moment`` (UTC), as its scheduled action."""
        with freeze_time(moment):
            self.env["sms.sms"].sudo()._process_queue()
        self.env.invalidate_all()

    def _action(self, partner):
        return self.env["debt.action"].search([("partner_id", "=", partner.id)])

    def _wake_ups(self):
        cron = self.env.ref("sms.ir_cron_sms_scheduler_action")
        return set(
            self.env["ir.cron.trigger"]
            .sudo()
            .search([("cron_id", "=", cron.id)])
            .mapped("call_at")
        )

    def test_sms_at_three_in_the_morning_waits_for_nine(self):
        self._create_invoice(self.customer, MONDAY - timedelta(days=10))
        with self.mockSMSGateway():
            # 08:00 UTC: 03:00 in New York, 09:00 in Brussels (the company).
            self._run_at(datetime(2026, 3, 2, 8, 0))
            action = self._action(self.customer)
            sms = self._new_sms.filtered(lambda s: s.number == NY_MOBILE)
            self.assertEqual(len(sms), 1)
            self.assertEqual(sms.debt_scheduled_date, datetime(2026, 3, 2, 14, 0))
            self.assertIn(datetime(2026, 3, 2, 14, 0), self._wake_ups())
            self.assertEqual(action.state, "outgoing")

            self._queue_at(datetime(2026, 3, 2, 8, 1))
            self._queue_at(datetime(2026, 3, 2, 13, 59))
            self.assertEqual(self._sms, [], "not sent before 09:00 in New York")
            self.assertEqual(sms.state, "outgoing")
            log = self._logs(self.customer, channel="sms")
            self.assertEqual(log.delivery_state, "queued")
            self.assertEqual(action.state, "outgoing")

            self._queue_at(datetime(2026, 3, 2, 14, 0))
        self.assertSMSIapSent([NY_MOBILE])
        self.assertSMS(self.customer, NY_MOBILE, "pending")
        self.assertEqual(log.delivery_state, "sent")
        self.assertRecordValues(action, [{"state": "done", "delivery_state": "sent"}])
        self.assertEqual(self.customer.invoice_ids.debt_stage_id, self.stage_friendly)

    def test_sms_within_the_hours_leaves_at_once(self):
        self._create_invoice(self.local, MONDAY - timedelta(days=10))
        with self.mockSMSGateway():
            # 10:00 in Brussels: the customer may be reached now.
            self._run_at(datetime(2026, 3, 2, 9, 0))
            sms = self._new_sms.filtered(lambda s: s.number == BE_MOBILE)
            self.assertFalse(sms.debt_scheduled_date)
            self._queue_at(datetime(2026, 3, 2, 9, 1))
        self.assertSMSIapSent([BE_MOBILE])
        self.assertEqual(self._action(self.local).state, "done")

    def test_sms_waits_over_a_public_holiday(self):
        # Tuesday 3 March is a public holiday in Brussels.
        self._public_holiday(self.calendar, date(2026, 3, 3))
        self._create_invoice(self.local, MONDAY - timedelta(days=10))
        with self.mockSMSGateway():
            # Monday 18:00 in Brussels: closed; Tuesday is the holiday.
            self._run_at(datetime(2026, 3, 2, 17, 0))
            sms = self._new_sms.filtered(lambda s: s.number == BE_MOBILE)
            wednesday_nine = datetime(2026, 3, 4, 8, 0)
            self.assertEqual(sms.debt_scheduled_date, wednesday_nine)
            self.assertIn(wednesday_nine, self._wake_ups())
            self._queue_at(datetime(2026, 3, 3, 10, 0))
            self.assertEqual(self._sms, [], "not on the holiday")
            self.assertEqual(sms.state, "outgoing")
            self.assertEqual(self._action(self.local).state, "outgoing")
            self._queue_at(wednesday_nine + timedelta(minutes=1))
        self.assertSMSIapSent([BE_MOBILE])
        self.assertEqual(self._logs(self.local, channel="sms").delivery_state, "sent")
        self.assertEqual(self._action(self.local).state, "done")

    def test_queue_asked_for_given_sms_still_waits(self):
        """Odoo's queue given the SMS ids to send (as its callers may) still
        keeps the ones not due."""
        self._create_invoice(self.customer, MONDAY - timedelta(days=10))
        with self.mockSMSGateway():
            self._run_at(datetime(2026, 3, 2, 8, 0))
            sms = self._new_sms.filtered(lambda s: s.number == NY_MOBILE)
            with freeze_time(datetime(2026, 3, 2, 12, 0)):
                self.env["sms.sms"].sudo()._process_queue(ids=sms.ids)
            self.assertEqual(self._sms, [])
            self.assertEqual(sms.state, "outgoing")
