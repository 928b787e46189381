from datetime import date, timedelta

from odoo.tests import tagged

from .portal_common import DebtPortalCase


@tagged("post_install", "-at_install")
class TestPortalPlan(DebtPortalCase):
    """Both invoices (500) in a plan the customer asks for."""

    def _plan_post(self, step, **values):
        post = {
            "hardship": "cash_flow",
            "reason": "A large customer pays us late",
            "monthly": "100",
            "date_first": str(self.today + timedelta(days=13)),
            "step": step,
            **values,
        }
        return self._post("plan", post)

    def _plans(self):
        return self.env["debt.payment.plan"].search(
            [("partner_id", "=", self.customer.id)]
        )

    def test_preview_writes_nothing(self):
        response = self._plan_post("preview")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_debt_plan_preview", response.text)
        # 10 % down payment is below one instalment: 100 on the first date,
        # then 100 a month: five instalments.
        self.assertIn("o_debt_plan_sign", response.text)
        self.assertIn("03/15/2026", response.text)
        self.assertIn("07/15/2026", response.text)
        self.assertFalse(self._plans())
        self.assertFalse(self._portal_logs())

    def test_sign_within_limits(self):
        response = self._plan_post(
            "confirm", signed_name="Brandon Freeman", accept="on"
        )
        self.assertEqual(response.status_code, 200, response.text[:400])
        self.assertIn("your payment plan is agreed", response.text)
        plan = self._plans()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.move_ids, self.overdue | self.not_due)
        self.assertEqual(
            [(i.date_due, i.amount) for i in plan.installment_ids],
            [
                (date(2026, 3, 15), 100.0),
                (date(2026, 4, 15), 100.0),
                (date(2026, 5, 15), 100.0),
                (date(2026, 6, 15), 100.0),
                (date(2026, 7, 15), 100.0),
            ],
        )
        request = self.env["debt.portal.plan.request"].search(
            [("plan_id", "=", plan.id)]
        )
        self.assertEqual(request.state, "signed")
        self.assertEqual(request.signed_name, "Brandon Freeman")
        self.assertTrue(request.signed_on)
        self.assertEqual(request.signed_ip, "127.0.0.1")
        self.assertEqual(request.hardship, "cash_flow")
        # The written agreement is mailed, with its PDF.
        mail = self.env["mail.mail"].search(
            [("model", "=", "debt.payment.plan"), ("res_id", "=", plan.id)]
        )
        self.assertIn("is agreed", mail.subject)
        self.assertTrue(mail.attachment_ids)
        self.assertTrue(self._portal_logs())
        self.assertIn("o_debt_status_in_plan", response.text)

    def test_sign_needs_name_and_checkbox(self):
        for values in ({"signed_name": "", "accept": "on"}, {"signed_name": "B. F."}):
            response = self._plan_post("confirm", **values)
            self.assertEqual(response.status_code, 400)
            self.assertIn("type your full name and tick the box", response.text)
        self.assertFalse(self._plans())

    def test_outside_limits_waits_for_a_collector(self):
        response = self._plan_post("preview", monthly="20")
        self.assertIn("at least", response.text)
        self.assertIn("o_debt_plan_ask", response.text)
        self.assertNotIn("o_debt_plan_sign", response.text)
        # Signing is refused server-side even if posted.
        response = self._plan_post(
            "confirm", monthly="20", signed_name="B", accept="on"
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("a member of our team looks at the plan", response.text)
        plan = self._plans()
        self.assertEqual(plan.state, "draft")
        request = self.env["debt.portal.plan.request"].search(
            [("plan_id", "=", plan.id)]
        )
        self.assertEqual(request.state, "waiting")
        self.assertFalse(request.within_limits)
        self.assertFalse(request.signed_name)
        self.assertEqual(request.activity_ids.user_id, self.collector)
        # Not chased while it waits.
        self.assertIn("o_debt_status_in_plan", response.text)
        # The collector accepts: active, agreement mailed, the reply sent.
        request.reply = "Agreed: thank you for telling us early."
        _result, error = self._press(
            self.collector, "debt.portal.plan.request", "action_accept", request.ids
        )
        self.assertIsNone(error)
        self.assertEqual(plan.state, "active")
        self.assertEqual(request.state, "accepted")
        self.assertFalse(request.activity_ids)
        agreement = self.env["mail.mail"].search(
            [("model", "=", "debt.payment.plan"), ("res_id", "=", plan.id)]
        )
        self.assertTrue(agreement.attachment_ids)
        reply = self.env["mail.mail"].search(
            [("model", "=", "debt.portal.plan.request"), ("res_id", "=", request.id)]
        )
        reply = reply.filtered(lambda mail: "telling us early" in mail.body_html)
        self.assertTrue(reply)
        self.assertIn(self.customer, reply.recipient_ids)

    def test_collector_declines_with_a_reply(self):
        self.company.debt_portal_plan_auto = False
        self._plan_post("confirm")
        request = self.env["debt.portal.plan.request"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertTrue(request.within_limits)
        self.assertEqual(request.state, "waiting")
        request.reply = "We can offer three months instead: we will call you."
        _result, error = self._press(
            self.collector, "debt.portal.plan.request", "action_decline", request.ids
        )
        self.assertIsNone(error)
        self.assertEqual(request.state, "declined")
        self.assertEqual(request.plan_id.state, "cancelled")
        [log] = self._logs(self.customer).filtered(
            lambda log: log.summary == "Payment plan asked for: declined"
        )
        self.assertEqual(
            log.outcome, "We can offer three months instead: we will call you."
        )
        self.assertIn("three months", log.body)
        self.assertIn("three months", log.mail_id.body_html)
        self.assertEqual(
            (log.mail_id.model, log.mail_id.res_id), (request._name, request.id)
        )
        self.assertIn(f"/odoo/debt.contact.log/{log.id}", log.message_id.body)
        page = self._page().text
        self.assertIn("o_debt_status_overdue", page)

    def test_plan_bad_inputs(self):
        cases = [
            ({"hardship": "bored"}, "why you cannot pay in full"),
            ({"monthly": "0"}, "above zero"),
            ({"monthly": "500"}, "pay the whole amount at once"),
            ({"date_first": str(self.today - timedelta(days=1))}, "from today on"),
            ({"date_first": str(self.today + timedelta(days=40))}, "within 30 days"),
            ({"date_first": "x"}, "Please give a date"),
        ]
        for values, message in cases:
            response = self._plan_post(
                "confirm", signed_name="B", accept="on", **values
            )
            self.assertEqual(response.status_code, 400, values)
            self.assertIn(message, response.text)
        self.assertFalse(self._plans())
        self.assertFalse(self._portal_logs())
