from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.debt_relations.tests.common import DebtRelationsCase
from odoo.addons.sms.tests.common import SMSCase

MOBILE = "+32470123456"


@tagged("post_install", "-at_install")
class TestSmsReminders(DebtRelationsCase, SMSCase):
    """Reminders by SMS through Odoo's SMS queue (its gateway mocked): the
    number, the statement link, the contact log and delivery."""

    def setUp(self):
        super().setUp()
        self.invoice = self._create_invoice(
            self.customer, self.today - timedelta(days=10)
        )
        self.customer.mobile = MOBILE
        self.collector = self._collections_user("sms_collector")
        self.customer.debt_collector_id = self.collector

    def _action(self):
        return self.env["debt.action"].search([("partner_id", "=", self.customer.id)])

    def _sms_only(self):
        self.stage_friendly.write({"send_sms": True, "send_email": False})

    def _run_and_send_sms(self, **gateway):
        with self.mockSMSGateway(**gateway):
            self._run(self.today)
            self.assertEqual(self._action().state, "outgoing")
            self.env["sms.sms"].sudo()._process_queue()
        self.env.invalidate_all()

    def test_shipped_stages_carry_the_sms_of_their_tone(self):
        self.assertEqual(
            self.stage_friendly.sms_template_id,
            self.env.ref("debt_relations_sms.sms_template_debt_friendly"),
        )
        self.assertEqual(
            self.stage_final.sms_template_id,
            self.env.ref("debt_relations_sms.sms_template_debt_final"),
        )

    def test_sms_reminder_sent_then_delivered(self):
        self._sms_only()
        self._run_and_send_sms()
        action = self._action()
        token = self.customer.sudo().debt_portal_token
        link = f"/collections/{self.customer.id}?access_token={token}"
        self.assertSMS(self.customer, MOBILE, "pending", content=link)
        self.assertSMSIapSent([MOBILE], content=link)
        self.assertFalse(self._mails(self.customer), "no email: SMS only")
        log = self._logs(self.customer)
        self.assertRecordValues(
            log,
            [
                {
                    "channel": "sms",
                    "delivery_state": "sent",
                    "stage_id": self.stage_friendly.id,
                    "action_id": action.id,
                }
            ],
        )
        self.assertIn(MOBILE, log.summary)
        self.assertIn(link, log.body)
        self.assertRecordValues(
            action,
            [{"state": "done", "delivery_state": "sent", "channels_used": "sms"}],
        )
        self.assertEqual(self.invoice.debt_stage_id, self.stage_friendly)

    def test_sms_failure_is_followed(self):
        self._sms_only()
        self._run_and_send_sms(sim_error="wrong_number_format")
        action = self._action()
        log = self._logs(self.customer, channel="sms")
        self.assertEqual(log.delivery_state, "failed")
        self.assertIn("Wrong Number Format", log.delivery_error)
        self.assertRecordValues(
            action, [{"state": "failed", "delivery_state": "failed"}]
        )
        self.assertIn("The customer was not reached", action.note)
        self.assertFalse(self.invoice.debt_stage_id, "nobody reached: no climb")
        activity = self.customer.activity_ids
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn(MOBILE, str(activity.note))

    def test_no_number_falls_back_to_the_other_channels(self):
        self.customer.mobile = False
        self.stage_friendly.send_sms = True
        with self.mockSMSGateway():
            self._run(self.today)
        action = self._action()
        self.assertEqual(action.state, "done")
        self.assertEqual(action.channels_used, "email")
        self.assertEqual(
            action.note,
            "No SMS: the billing contact has no usable mobile or phone number.",
        )
        self.assertEqual(len(self._mails(self.customer)), 1)
        self.assertFalse(self._new_sms)
        self.assertEqual(self._logs(self.customer).mapped("channel"), ["email"])

    def test_phone_number_when_no_mobile(self):
        self._sms_only()
        self.customer.write({"mobile": False, "phone": "+32 2 555 12 34"})
        self._run_and_send_sms()
        self.assertSMS(self.customer, "+3225551234", "pending")
        self.assertEqual(self._action().state, "done")

    def test_sms_only_without_number_fails_with_the_reason(self):
        self._sms_only()
        self.customer.write({"mobile": "12", "phone": False})  # not a number
        with self.mockSMSGateway():
            self._run(self.today)
        action = self._action()
        self.assertEqual(action.state, "failed")
        self.assertIn("no usable mobile or phone number", action.note)
        self.assertFalse(self._new_sms)
        self.assertFalse(self._logs(self.customer))

    def test_prefers_sms_where_the_stage_also_mails(self):
        self.stage_friendly.send_sms = True
        self.customer.debt_portal_channel = "sms"
        self._run_and_send_sms()
        self.assertEqual(self._action().channels_used, "sms")
        self.assertFalse(self._mails(self.customer))
        self.assertEqual(self._logs(self.customer).mapped("channel"), ["sms"])

    def test_prefers_sms_where_the_stage_has_none(self):
        self.customer.debt_portal_channel = "sms"
        with self.mockSMSGateway():
            self._run(self.today)
        action = self._action()
        self.assertEqual(action.channels_used, "email")
        self.assertEqual(action.note, "Prefers SMS; this stage has no SMS.")
        self.assertFalse(self._new_sms)

    def test_stage_rules(self):
        with self.assertRaisesRegex(ValidationError, "choose its SMS template"):
            self.stage_firm.write({"send_sms": True, "sms_template_id": False})
        # SMS alone is a channel.
        template = self.env.ref("debt_relations_sms.sms_template_debt_firm")
        self.stage_firm.write(
            {
                "send_sms": True,
                "sms_template_id": template.id,
                "send_email": False,
                "schedule_call": False,
            }
        )
        self.assertEqual(self.stage_firm._debt_channels(), {"sms"})
        with self.assertRaisesRegex(ValidationError, "SMS"):
            self.stage_firm.send_sms = False
