from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..services import worklist as worklist_service
from .common import DebtHttpCase


@tagged("post_install", "-at_install")
class TestWorklist(DebtHttpCase):
    """My collections today: rows, order, reasons coming and going, and the
    one-click buttons pressed as the web client presses them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("wl_collector")
        cls.manager = cls._collections_user("wl_manager", "manager")
        cls.key_tier = cls.env["debt.relationship.tier"].create(
            {"name": "Key account", "worklist_weight": 1.5}
        )
        cls.key = cls._create_customer("Key Corp")
        cls.big = cls._create_customer("Big Ltd")
        cls.small = cls._create_customer("Small SA")
        cls.quiet = cls._create_customer("Quiet Co")
        for partner in (cls.key, cls.big, cls.small, cls.quiet):
            partner.with_company(cls.company).debt_collector_id = cls.collector
        cls.key.with_company(cls.company).sudo().debt_tier_id = cls.key_tier
        today = cls.today
        cls.key_invoice = cls._create_invoice(cls.key, today - timedelta(days=20), 1000)
        cls.big_invoice = cls._create_invoice(cls.big, today - timedelta(days=10), 2000)
        cls.small_invoice = cls._create_invoice(
            cls.small, today - timedelta(days=5), 100
        )
        # Overdue, but nothing asks for a person: not listed.
        cls.quiet_invoice = cls._create_invoice(
            cls.quiet, today - timedelta(days=50), 5000
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _rows(self, partners=None, user=None):
        Worklist = self.env["debt.worklist"]
        if user:
            Worklist = Worklist.with_user(user)
        domain = [("company_id", "=", self.company.id)]
        if partners is not None:
            domain.append(("partner_id", "in", partners.ids))
        return Worklist.search(domain)

    def _codes(self, partner):
        row = self._rows(partner)
        self.assertLessEqual(len(row), 1, "a customer is listed once")
        return row.reason_codes.split() if row else []

    def _call_due(self, partner, day=None):
        return partner.activity_schedule(
            "debt_relations.mail_activity_type_debt_call",
            date_deadline=day or self.today,
            user_id=self.collector.id,
        )

    def _promise(self, partner, invoice, pay_by=None):
        return self.env["debt.promise"].create(
            {
                "partner_id": partner.id,
                "company_id": self.company.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": invoice.amount_residual,
                "date": self.today,
                "date_promised": pay_by or self.today,
            }
        )

    def _claim(self, partner, invoice):
        return (
            self.env["debt.portal.claim"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "date_paid": self.today - timedelta(days=1),
                    "amount": invoice.amount_residual,
                    "date_until": self.today + timedelta(days=7),
                }
            )
        )

    def _pause_request(self, partner):
        return (
            self.env["debt.portal.pause"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "days": 14,
                    "reason": "Our bank moves us to a new account.",
                }
            )
        )

    def _log_call(self, partner, summary="Called the accounts team"):
        wizard = self.env["debt.contact.wizard"].create(
            {"partner_id": partner.id, "summary": summary, "channel": "call"}
        )
        wizard.action_log()
        return wizard.log_id

    def _scenario(self):
        """Key Corp: a call due; Big Ltd: a promise due today; Small SA: an
        "already paid" claim and a pause asked for from the portal."""
        self._call_due(self.key)
        self._promise(self.big, self.big_invoice)
        self._claim(self.small, self.small_invoice)
        self._pause_request(self.small)

    def _review_actions(self, *partners):
        """Customers at the formal rung: the run prepares the final notice,
        which waits for review."""
        for partner in partners:
            invoice = self._create_invoice(partner, self.today - timedelta(days=70))
            invoice.sudo().debt_stage_id = self.stage_formal
            partner.with_company(self.company).sudo().debt_stage_id = self.stage_formal
        self._only_this_company_runs()
        run = self._run(self.today)
        actions = run.action_ids.filtered(lambda a: a.state == "to_review")
        self.assertEqual(actions.partner_id, self.env["res.partner"].union(*partners))
        return actions

    # ------------------------------------------------------------------
    # Rows and order
    # ------------------------------------------------------------------

    def test_rows_in_priority_order_each_customer_once(self):
        self._scenario()
        rows = self._rows()
        self.assertEqual(
            rows.partner_id.mapped("name"), ["Key Corp", "Big Ltd", "Small SA"]
        )
        key, big, small = rows
        # 1,000 x 20 days x 1.5 (key account); 2,000 x 10 x 1; 100 x 5 x 1.
        self.assertEqual(
            [
                (r.overdue_amount, r.days_overdue, r.tier_weight, r.priority)
                for r in rows
            ],
            [
                (1000.0, 20, 1.5, 30000.0),
                (2000.0, 10, 1.0, 20000.0),
                (100.0, 5, 1.0, 500.0),
            ],
        )
        self.assertEqual(key.tier_id, self.key_tier)
        self.assertEqual(key.user_id, self.collector)
        self.assertEqual(key.reason_codes, "call")
        self.assertEqual(big.reason_codes, "promise_due")
        # Two reasons, one row, in the fixed order.
        self.assertEqual(small.reason_codes, "payment_claim portal_request")
        self.assertEqual(
            small.reasons, "Payment claim to check, Request from the portal"
        )
        self.assertIn("× 20 days × 1.5 (Key account)", key.priority_explained)
        self.assertIn("1,000.00", key.priority_explained)
        self.assertIn("(no tier)", big.priority_explained)
        self.assertNotIn(self.quiet, rows.partner_id, "nothing asks for a person")
        # The view computes the service's priority.
        for row in rows:
            self.assertEqual(
                row.priority,
                worklist_service.priority(
                    row.overdue_amount, row.days_overdue, row.tier_weight
                ).value,
            )

    def test_a_contact_of_the_customer_counts_for_its_company(self):
        contact = self.env["res.partner"].create(
            {"name": "Ann Payables", "parent_id": self.key.id, "type": "invoice"}
        )
        self._call_due(self.key)
        self._call_due(contact)
        rows = self._rows(self.key)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.partner_id, self.key)

    def test_paid_invoices_do_not_count_in_the_priority(self):
        self._call_due(self.key)
        self._pay(self.key_invoice)
        row = self._rows(self.key)
        self.assertEqual((row.overdue_amount, row.priority), (0.0, 0.0))
        self.assertEqual(row.reason_codes, "call")

    def test_mine_and_unassigned(self):
        self._scenario()
        self.big.with_company(self.company).debt_collector_id = False
        self.big.user_id = False
        Worklist = self.env["debt.worklist"].with_user(self.collector)
        mine = Worklist.search([("user_id", "=", self.collector.id)])
        self.assertEqual(mine.partner_id, self.key | self.small)
        unassigned = Worklist.search([("user_id", "=", False)])
        self.assertEqual(unassigned.partner_id, self.big)
        by_reason = Worklist.search([("reason_codes", "ilike", "portal_request")])
        self.assertEqual(by_reason.partner_id, self.small)
        groups = Worklist.read_group([], ["priority:max"], ["user_id"])
        self.assertEqual(len(groups), 2)

    def test_my_team(self):
        """ "My team": the customers of the reader and of his teammates, for a
        leader and a member alike; only his own when he is in no team."""
        self._scenario()
        teammate = self._collections_user("wl_teammate")
        outsider = self._collections_user("wl_outsider")
        self.big.with_company(self.company).debt_collector_id = teammate
        self.small.with_company(self.company).debt_collector_id = outsider
        team = (
            self.env["debt.team"]
            .with_user(self.manager)
            .create(
                {
                    "name": "Key accounts",
                    "leader_id": self.manager.id,
                    "member_ids": [Command.set((self.collector | teammate).ids)],
                }
            )
        )
        arch = self.env["debt.worklist"].get_views([(False, "search")])["views"][
            "search"
        ]["arch"]
        self.assertIn('name="my_team"', arch)

        def my_team(user):
            # As the web client reads the list with the filter on.
            found = (
                self.env["debt.worklist"]
                .with_user(user)
                .web_search_read(
                    [("company_id", "=", self.company.id), ("in_my_team", "=", True)],
                    {"partner_id": {}},
                )
            )
            return {record["partner_id"] for record in found["records"]}

        self.assertEqual(my_team(self.collector), {self.key.id, self.big.id})
        self.assertEqual(my_team(teammate), {self.key.id, self.big.id})
        self.assertEqual(my_team(self.manager), {self.key.id, self.big.id})
        self.assertEqual(my_team(outsider), {self.small.id})
        # An archived team is no team.
        team.with_user(self.manager).active = False
        self.assertEqual(my_team(self.collector), {self.key.id})

    # ------------------------------------------------------------------
    # Each reason appears, and leaves when done
    # ------------------------------------------------------------------

    def test_call_leaves_once_logged(self):
        self._call_due(self.key, self.today + timedelta(days=1))
        self.assertEqual(self._codes(self.key), [], "not due yet")
        self._call_due(self.key)
        self.assertEqual(self._codes(self.key), ["call"])
        self._log_call(self.key)
        self.assertEqual(self._codes(self.key), [])

    def test_review_leaves_once_approved_or_skipped(self):
        actions = self._review_actions(self.key, self.big)
        self.assertIn("review", self._codes(self.key))
        self.assertIn("review", self._codes(self.big))
        actions.filtered(lambda a: a.partner_id == self.key).action_approve()
        self.assertNotIn("review", self._codes(self.key))
        actions.filtered(lambda a: a.partner_id == self.big).action_skip()
        self.assertNotIn("review", self._codes(self.big))

    def test_promise_due_leaves_once_the_customer_is_called(self):
        self._promise(self.big, self.big_invoice, self.today + timedelta(days=3))
        self.assertEqual(self._codes(self.big), [], "not due yet")
        self._promise(self.small, self.small_invoice)
        self.assertEqual(self._codes(self.small), ["promise_due"])
        self._log_call(self.small)
        self.assertEqual(self._codes(self.small), [])

    def test_broken_promise_leaves_once_the_customer_is_called(self):
        promise = self._promise(self.big, self.big_invoice)
        promise._mark_broken(self.today)
        self.assertEqual(promise.state, "broken")
        # The run's own entry (the break, inbound) is no person's contact.
        self.assertEqual(self._codes(self.big), ["promise_broken"])
        self._log_call(self.big)
        self.assertEqual(self._codes(self.big), [])

    def test_plan_at_risk_and_broken(self):
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": self.key.id,
                "company_id": self.company.id,
                "move_ids": [Command.set(self.key_invoice.ids)],
                "installment_ids": [
                    Command.create({"date_due": self.today, "amount": 500.0}),
                    Command.create(
                        {
                            "date_due": self.today + timedelta(days=30),
                            "amount": 500.0,
                        }
                    ),
                ],
            }
        )
        plan.action_activate()
        self.assertEqual(self._codes(self.key), [])
        plan.sudo().write({"at_risk": True})
        self.assertEqual(self._codes(self.key), ["plan_at_risk"])
        plan._mark_broken(self.today)
        self.assertEqual(self._codes(self.key), ["plan_broken"])
        self._log_call(self.key)
        self.assertEqual(self._codes(self.key), [])

    def test_late_dispute_leaves_once_rejected(self):
        dispute = self.env["debt.dispute"].create(
            {
                "move_id": self.big_invoice.id,
                "reason": self.env.ref("debt_relations.debt_dispute_reason_pricing").id,
                "date": self.today - timedelta(days=30),
            }
        )
        self.assertEqual(self._codes(self.big), [], "answered within 30 days")
        dispute.date = self.today - timedelta(days=31)
        self.assertEqual(self._codes(self.big), ["dispute_late"])
        self.company.debt_dispute_target_days = 45
        self.assertEqual(self._codes(self.big), [], "the company's target")
        self.company.debt_dispute_target_days = 30
        dispute.action_reject()
        self.assertEqual(self._codes(self.big), [])

    def test_portal_requests_leave_once_answered(self):
        claim = self._claim(self.small, self.small_invoice)
        pause = self._pause_request(self.small)
        self.assertEqual(self._codes(self.small), ["payment_claim", "portal_request"])
        claim.action_found()
        self.assertEqual(self._codes(self.small), ["portal_request"])
        pause.action_approve()
        self.assertEqual(self._codes(self.small), [])

    def test_reply_leaves_once_answered(self):
        contact = self.env["res.partner"].create(
            {"name": "Ann Payables", "parent_id": self.big.id, "email": "ann@big.test"}
        )
        self.big_invoice.message_post(
            body="We paid half, the rest next week.",
            message_type="email",
            author_id=contact.id,
        )
        self.assertEqual(self._codes(self.big), ["reply"])
        self._log_call(self.big, "Answered Ann's email")
        self.assertEqual(self._codes(self.big), [])

    def test_failed_email_leaves_once_the_address_is_fixed(self):
        self.env["debt.contact.log"].sudo().create(
            {
                "partner_id": self.small.id,
                "company_id": self.company.id,
                "channel": "email",
                "summary": "Friendly reminder",
                "delivery_state": "failed",
                "delivery_error": "The email address is not valid.",
            }
        )
        self.small.sudo().write({"debt_email_failing": True})
        self.assertEqual(self._codes(self.small), ["mail_failed"])
        self.small.action_debt_email_fixed()
        self.assertEqual(self._codes(self.small), [])

    def test_reason_queries_are_the_hook_for_new_reasons(self):
        queries = self.env["debt.worklist"]._worklist_reason_queries()
        # Every reason but the hand-off (whose table is not there yet, or is).
        self.assertGreaterEqual(len(queries), len(worklist_service.REASON_CODES) - 1)

    # ------------------------------------------------------------------
    # Buttons, as the web client presses them
    # ------------------------------------------------------------------

    def _row_id(self, partner):
        row = self._rows(partner)
        self.assertEqual(len(row), 1)
        return row.id

    def test_row_buttons_for_collector_and_manager(self):
        self._scenario()
        actions = self._review_actions(self.key)
        for user in (self.collector, self.manager):
            key_id = self._row_id(self.key)
            small_id = self._row_id(self.small)
            result, error = self._press(
                user, "debt.worklist", "action_open_call_sheet", [key_id]
            )
            self.assertIsNone(error, user.login)
            self.assertEqual(result["report_type"], "qweb-html")
            self.assertEqual(result["context"]["active_ids"], self.key.ids)
            for method, model in (
                ("action_log_contact", "debt.contact.wizard"),
                ("action_record_promise", "debt.contact.wizard"),
                ("action_offer_plan", "debt.payment.plan.wizard"),
                ("action_pause", "debt.worklist.pause"),
            ):
                result, error = self._press(user, "debt.worklist", method, [key_id])
                self.assertIsNone(error, f"{user.login} {method}")
                self.assertEqual(result["res_model"], model)
                self.assertEqual(
                    result["context"]["default_partner_id"], self.key.id, method
                )
            result, error = self._press(
                user, "debt.worklist", "action_open_review", [key_id]
            )
            self.assertIsNone(error)
            self.assertEqual(
                (result["res_model"], result["res_id"]), ("debt.action", actions.id)
            )
            result, error = self._press(
                user, "debt.worklist", "action_open_portal_request", [small_id]
            )
            self.assertIsNone(error)
            self.assertIn(
                result["res_model"], ("debt.portal.pause", "debt.portal.claim")
            )
            # A collector may not change the list itself.
            _result, error = self._call_kw(
                user, "debt.worklist", "write", [[key_id], {"priority": 1}]
            )
            self.assertIn("AccessError", error["name"])
        # Approved from the row: the action is sent, the reason leaves.
        _result, error = self._press(
            self.collector, "debt.worklist", "action_approve", [self._row_id(self.key)]
        )
        self.assertIsNone(error)
        self.assertEqual(actions.state, "done")
        self.assertEqual(self._codes(self.key), ["call"])

    def test_multi_select_approve_and_skip(self):
        actions = self._review_actions(self.key, self.big, self.small)
        ids = [self._row_id(p) for p in (self.key, self.big)]
        result, error = self._press(
            self.collector, "debt.worklist", "action_approve", ids
        )
        self.assertIsNone(error)
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(
            actions.filtered(lambda a: a.partner_id != self.small).mapped("state"),
            ["done", "done"],
        )
        _result, error = self._press(
            self.manager, "debt.worklist", "action_skip", [self._row_id(self.small)]
        )
        self.assertIsNone(error)
        self.assertEqual(
            actions.filtered(lambda a: a.partner_id == self.small).state, "skipped"
        )
        self.assertFalse(
            self._rows(self.key | self.big | self.small).filtered(
                lambda r: "review" in r.reason_codes
            )
        )

    def test_pause_and_assign_from_the_worklist(self):
        self._scenario()
        key_id = self._row_id(self.key)
        big_id = self._row_id(self.big)
        wizard_id, error = self._call_kw(
            self.collector,
            "debt.worklist.pause",
            "create",
            [{"partner_id": self.key.id, "reason": "Waiting for their bank"}],
        )
        self.assertIsNone(error)
        _result, error = self._press(
            self.collector, "debt.worklist.pause", "action_pause", [wizard_id]
        )
        self.assertIsNone(error)
        self.assertEqual(self.key.debt_paused_until, self.today + timedelta(days=14))
        self.assertEqual(self.key.debt_pause_reason, "Waiting for their bank")

        result, error = self._press(
            self.collector, "debt.worklist", "action_assign", [key_id, big_id]
        )
        self.assertIsNone(error)
        self.assertEqual(result["context"]["default_row_ids"], [key_id, big_id])
        wizard_id, error = self._call_kw(
            self.manager,
            "debt.worklist.assign",
            "create",
            [{"user_id": self.manager.id, "row_ids": [key_id, big_id]}],
        )
        self.assertIsNone(error)
        _result, error = self._press(
            self.manager, "debt.worklist.assign", "action_assign", [wizard_id]
        )
        self.assertIsNone(error)
        for partner in (self.key, self.big):
            self.assertEqual(
                partner.with_company(self.company).debt_collector_id, self.manager
            )
        self.assertEqual(self._rows(self.key | self.big).user_id, self.manager)

    def test_collector_reads_but_cannot_write(self):
        self._scenario()
        rows = self._rows(user=self.collector)
        self.assertEqual(len(rows), 3)
        with self.assertRaises(AccessError):
            rows[0].write({"priority": 0})
        with self.assertRaises(AccessError):
            self.env["debt.worklist"].with_user(self.collector).create(
                {"partner_id": self.key.id}
            )

    def test_menu_opens_the_worklist_first(self):
        menu = self.env.ref("debt_relations.debt_worklist_menu")
        siblings = self.env["ir.ui.menu"].search(
            [("parent_id", "=", menu.parent_id.id)], order="sequence, id"
        )
        self.assertEqual(siblings[0], menu)
        self._scenario()
        result, error = self._call_kw(
            self.collector,
            "debt.worklist",
            "web_search_read",
            [],
            {
                "domain": [("user_id", "=", self.collector.id)],
                "specification": {
                    "partner_id": {"fields": {"display_name": {}}},
                    "reasons": {},
                    "priority": {},
                    "reason_codes": {},
                },
            },
        )
        self.assertIsNone(error)
        self.assertEqual(
            [r["partner_id"]["display_name"] for r in result["records"]],
            ["Key Corp", "Big Ltd", "Small SA"],
        )
