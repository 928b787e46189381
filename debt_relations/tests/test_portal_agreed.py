"""After a portal action the statement shows what was agreed; one action, one
contact log entry; no online agreement soon after a broken one; a broken
agreement counts in the tier; a promise or claim soon after a stall does not
hold the chase."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .portal_common import DebtPortalCase


@tagged("post_install", "-at_install")
class TestPortalAgreed(DebtPortalCase):
    def _all_logs(self):
        return self._logs(self.customer)

    def _plan_post(self, step, **values):
        post = {
            "hardship": "cash_flow",
            "monthly": "100",
            "date_first": str(self.today + timedelta(days=13)),
            "step": step,
            **values,
        }
        return self._post("plan", post)

    def _promise_post(self, **values):
        return self._post(
            "promise",
            {
                "move_id": str(self.overdue.id),
                "date_promised": str(self.today + timedelta(days=10)),
                "amount": "250",
                **values,
            },
        )

    def _claim_post(self):
        return self._post(
            "paid",
            {
                "move_id": str(self.overdue.id),
                "date_paid": str(self.today - timedelta(days=1)),
                "amount": "300",
                "reference": "TRF-8841",
            },
        )

    def _hold(self, move):
        facts = self.env["debt.collection.facts"]._gather_invoice_facts(
            self.company, move.ids
        )
        return facts[0].hold_reason

    def _promises(self):
        return self.env["debt.promise"].search([("partner_id", "=", self.customer.id)])

    def _active_plans(self):
        return self.env["debt.payment.plan"].search(
            [("partner_id", "=", self.customer.id), ("state", "=", "active")]
        )

    def _broken_promise(self, day):
        """A promise made and broken ``day`` (as the run breaks one)."""
        with freeze_time(day):
            promise = self.env["debt.promise"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.overdue.ids)],
                    "date_promised": day,
                }
            )
            promise._mark_broken(day)
        return promise

    def _broken_plan(self, day):
        """A plan broken ``day``, recorded as a script records one."""
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(self.overdue.ids)],
                "date": day - timedelta(days=60),
                "installment_ids": [
                    Command.create(
                        {"date_due": day - timedelta(days=40), "amount": 300.0}
                    )
                ],
            }
        )
        plan._transition({"state": "broken", "date_broken": day})
        return plan

    # ------------------------------------------------------------------
    # 1 and 2: the statement shows what was agreed; one entry per action
    # ------------------------------------------------------------------

    def test_signed_plan_shows_its_schedule_and_logs_once(self):
        response = self._plan_post(
            "confirm", signed_name="Brandon Freeman", accept="on"
        )
        self.assertEqual(response.status_code, 200, response.text[:400])
        plan = self._active_plans()
        self.assertTrue(plan)
        # One customer action, one contact log entry (the portal's); the
        # written agreement mailed back has its own, as every message sent.
        logs = self._all_logs()
        self.assertEqual(len(logs), 2, logs.mapped("summary"))
        signed = logs.filtered(lambda log: log.channel == "portal")
        self.assertIn("signed from the portal", signed.summary)
        sent = logs - signed
        self.assertRecordValues(
            sent, [{"channel": "email", "direction": "outbound", "confirmation": True}]
        )
        mail = self.env["mail.mail"].search(
            [("model", "=", "debt.payment.plan"), ("res_id", "=", plan.id)]
        )
        self.assertEqual(sent.mail_id, mail)
        page = self._page().text
        self.assertIn("o_debt_plan_schedule", page)
        self.assertIn(f"Payment plan {plan.name}", page)
        for day in ("03/15/2026", "04/15/2026", "05/15/2026", "07/15/2026"):
            self.assertIn(day, page)
        self.assertIn("o_debt_instalment_due", page)
        # Not "overdue: pay it": nothing overdue outside the plan, no
        # "Pay the overdue balance".
        self.assertRegex(page, r"o_debt_total_overdue[^>]*>[^<]*<span[^>]*>0\.00")
        self.assertNotIn("o_debt_pay_overdue", page)
        self.assertNotIn("o_debt_status_overdue", page)

    def test_promise_shows_its_date_and_logs_once(self):
        response = self._promise_post()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self._all_logs()), 1)
        page = self._page().text
        self.assertIn("o_debt_agreed_promise", page)
        self.assertIn("You promised to pay", page)
        self.assertIn("250.00", page)
        self.assertIn("03/12/2026", page)
        self.assertIn("No reminder is sent for it until then", page)
        self.assertEqual(self._hold(self.overdue), "promised")

    def test_claim_shows_until_when_and_logs_once(self):
        response = self._claim_post()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self._all_logs()), 1)
        page = self._page().text
        self.assertIn("o_debt_agreed_claim", page)
        self.assertIn("You told us you paid", page)
        self.assertIn("03/01/2026", page)  # paid on
        self.assertIn("We look for your payment until", page)
        self.assertIn("03/09/2026", page)  # held until (7 days)

    def test_pause_shows_what_was_asked_and_logs_once(self):
        response = self._post("pause", {"days": "14", "reason": "Accountant away"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self._all_logs()), 1)
        page = self._page().text
        self.assertIn("o_debt_agreed_pause", page)
        self.assertIn("for a pause of 14 days", page)
        pause = self.env["debt.portal.pause"].search(
            [("partner_id", "=", self.customer.id)]
        )
        _result, error = self._press(
            self.collector, "debt.portal.pause", "action_approve", pause.ids
        )
        self.assertIsNone(error)
        self.authenticate(None, None)
        page = self._page().text
        self.assertIn("Reminders are paused until", page)
        self.assertIn("03/16/2026", page)

    # ------------------------------------------------------------------
    # 3: no online agreement soon after a broken one
    # ------------------------------------------------------------------

    def test_no_online_plan_after_a_broken_plan(self):
        self._broken_plan(self.today - timedelta(days=30))
        response = self._plan_post("preview")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("o_debt_plan_sign", response.text)
        self.assertIn("o_debt_plan_ask", response.text)
        self.assertIn("a new plan is agreed with a member of our", response.text)
        # A forged signature is refused, nothing written.
        response = self._plan_post("confirm", signed_name="B. F.", accept="on")
        self.assertEqual(response.status_code, 400)
        self.assertIn("agreed with a member of our team, not online", response.text)
        self.assertFalse(self._active_plans())
        self.assertFalse(self._portal_logs())
        # Asking is a request a person decides; the reminders go on.
        response = self._plan_post("confirm")
        self.assertEqual(response.status_code, 200)
        self.assertIn("we have received your request", response.text)
        request = self.env["debt.portal.plan.request"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(request.state, "waiting")
        self.assertFalse(request.hold)
        self.assertEqual(request.activity_ids.user_id, self.collector)
        self.assertFalse(self._active_plans())
        self.assertFalse(self._hold(self.overdue))
        self.assertEqual(len(self._portal_logs()), 1)
        self.assertIn("a member of our team will answer you shortly", response.text)

    def test_no_online_promise_after_a_broken_promise(self):
        self._broken_promise(self.today - timedelta(days=120))
        page = self._page().text
        self.assertIn("Ask us for time to pay", page)
        self.assertIn("Ask for this date", page)
        self.assertNotIn("Promise this date", page)
        self.assertIn('name="ask" value="1"', page)
        # A promise posted to be agreed online is refused, nothing written.
        before = self._promises()
        response = self._promise_post()
        self.assertEqual(response.status_code, 400)
        self.assertIn("agreed with a member of our team, not online", response.text)
        self.assertEqual(self._promises(), before)
        # Asked for: the collector decides; it does not hold the reminders.
        response = self._promise_post(ask="1")
        self.assertEqual(response.status_code, 200)
        self.assertIn("we have received your request", response.text)
        promise = self._promises() - before
        self.assertEqual(promise.state, "open")
        self.assertFalse(promise.hold)
        self.assertEqual(promise.activity_ids.user_id, self.collector)
        self.assertFalse(self._hold(self.overdue))
        self.assertIn("A member of our team will answer you", response.text)
        # The collector holds the reminders from the promise.
        _result, error = self._press(
            self.collector, "debt.promise", "action_hold", promise.ids
        )
        self.assertIsNone(error)
        self.assertTrue(promise.hold)
        self.assertFalse(promise.activity_ids)
        self.assertEqual(self._hold(self.overdue), "promised")

    def test_online_again_once_the_months_passed(self):
        self._broken_promise(date(2025, 8, 1))
        self.company.debt_portal_resign_months = 6
        page = self._page().text
        self.assertIn("Promise this date", page)
        self.assertNotIn("Ask us for time to pay", page)
        response = self._plan_post("preview")
        self.assertIn("o_debt_plan_sign", response.text)

    # ------------------------------------------------------------------
    # 4: a broken agreement counts in the tier
    # ------------------------------------------------------------------

    def test_broken_plan_makes_a_watch_customer(self):
        Tier = self.env["debt.relationship.tier"]
        standard = Tier.create(
            {"name": "Standard", "sequence": 30, "max_avg_days_late": 20}
        )
        watch = Tier.create({"name": "Watch", "sequence": 40})
        standard.no_broken_agreement = True
        customer = self.customer.with_company(self.company)
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set((self.overdue | self.not_due).ids)],
                "installment_ids": [
                    Command.create(
                        {"date_due": self.today + timedelta(days=1), "amount": 250.0}
                    ),
                    Command.create(
                        {"date_due": self.today + timedelta(days=31), "amount": 250.0}
                    ),
                ],
            }
        )
        plan.action_activate()
        self._run(self.today)
        self.assertEqual(customer.debt_tier_id, standard)
        self.assertIn("New customer", customer.debt_tier_reason)
        # The first instalment is missed past the grace: the run breaks the
        # plan, and the customer is no longer a new one.
        self._run(self.today + timedelta(days=10))
        self.assertEqual(plan.state, "broken")
        customer.invalidate_recordset()
        self.assertEqual(customer.debt_tier_id, watch)
        self.assertNotIn("New customer", customer.debt_tier_reason)
        self.assertIn("broken in 12 months", customer.debt_tier_reason)

    # ------------------------------------------------------------------
    # 5: no holding the chase forever
    # ------------------------------------------------------------------

    def _claim_not_found(self, day):
        with freeze_time(day):
            claim = (
                self.env["debt.portal.claim"]
                .sudo()
                .create(
                    {
                        "partner_id": self.customer.id,
                        "move_ids": [Command.set(self.overdue.ids)],
                        "date_paid": day,
                        "amount": 300.0,
                        "date_until": day + timedelta(days=7),
                    }
                )
            )
        with freeze_time(day + timedelta(days=8)):
            claim._end_claim(day + timedelta(days=8))
        return claim

    def test_promise_after_a_claim_not_found_does_not_hold(self):
        self._claim_not_found(date(2026, 2, 2))
        page = self._page().text
        self.assertIn("Promise this date", page)  # online, but not holding
        self.assertIn("the usual reminders may still reach you", page)
        response = self._promise_post()
        self.assertEqual(response.status_code, 200)
        self.assertIn("we have received your request", response.text)
        promise = self._promises()
        self.assertFalse(promise.hold)
        self.assertEqual(promise.activity_ids.user_id, self.collector)
        self.assertFalse(self._hold(self.overdue))
        self._assert_chased_tomorrow()

    def test_claim_after_a_claim_not_found_does_not_hold(self):
        self._claim_not_found(date(2026, 2, 2))
        response = self._claim_post()
        self.assertEqual(response.status_code, 200)
        self.assertIn("we have received your request", response.text)
        claim = self.env["debt.portal.claim"].search(
            [("partner_id", "=", self.customer.id), ("state", "=", "checking")]
        )
        self.assertFalse(claim.hold)
        self.assertEqual(claim.activity_ids.user_id, self.collector)
        self.assertIn("A member of our team looks for your payment", response.text)
        self.assertFalse(self._hold(self.overdue))
        self._assert_chased_tomorrow()

    def test_claim_after_a_broken_promise_does_not_hold_until_the_window_ends(self):
        self._broken_promise(self.today - timedelta(days=91))
        self.company.debt_portal_stall_days = 120
        self._claim_post()
        claim = self.env["debt.portal.claim"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertFalse(claim.hold)
        self.company.debt_portal_stall_days = 90
        claim.action_not_found()
        self._claim_post()
        second = self.env["debt.portal.claim"].search(
            [("partner_id", "=", self.customer.id), ("state", "=", "checking")]
        )
        # The claim not found today starts a new window.
        self.assertFalse(second.hold)

    def _assert_chased_tomorrow(self):
        """The next day's run chases the overdue invoice all the same."""
        self._only_this_company_runs()
        self._run(self.today + timedelta(days=1))
        actions = self.env["debt.action"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertTrue(actions, "the run chases the customer")
        self.assertIn(self.overdue, actions.move_ids)
