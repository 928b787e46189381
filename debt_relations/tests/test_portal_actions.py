from datetime import timedelta

from odoo.tests import new_test_user, tagged

from .portal_common import PDF, DebtPortalCase


@tagged("post_install", "-at_install")
class TestPortalActions(DebtPortalCase):
    def _nothing_written(self, model, before):
        self.assertEqual(self.env[model].search_count([]), before, model)

    # ------------------------------------------------------------------
    # Promise a date
    # ------------------------------------------------------------------

    def test_promise_a_date(self):
        pay_by = self.today + timedelta(days=10)
        response = self._post(
            "promise", {"move_id": str(self.overdue.id), "date_promised": str(pay_by)}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("we have noted the date you will pay", response.text)
        promise = self.env["debt.promise"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(promise.move_ids, self.overdue)
        self.assertEqual(promise.date_promised, pay_by)
        self.assertEqual(promise.amount, 300.0)
        self.assertEqual(promise.state, "open")
        log = self._portal_logs()
        self.assertEqual(len(log), 1)
        self.assertEqual(log.direction, "inbound")
        self.assertEqual(log.move_ids, self.overdue)
        self.assertEqual(promise.contact_log_id, log)
        self.assertIn("Promised from the portal", self.customer.message_ids[0].body)
        self.assertIn("o_debt_status_promised", response.text)
        # The promise holds the invoice as a collector's would.
        facts = self.env["debt.collection.facts"]._gather_invoice_facts(
            self.company, self.overdue.ids
        )
        self.assertEqual(facts[0].hold_reason, "promised")

    def test_promise_all_overdue_part_of_it(self):
        self._post(
            "promise",
            {
                "move_id": "all",
                "date_promised": str(self.today + timedelta(days=30)),
                "amount": "120.50",
            },
        )
        promise = self.env["debt.promise"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(promise.move_ids, self.overdue)  # the overdue ones only
        self.assertEqual(promise.amount, 120.5)

    def test_promise_bad_inputs(self):
        cases = [
            ({"date_promised": str(self.today + timedelta(days=31))}, "within 30 days"),
            ({"date_promised": str(self.today - timedelta(days=1))}, "from today on"),
            ({"date_promised": "not a date"}, "Please give a date"),
            ({"date_promised": ""}, "Please give a date"),
            ({"amount": "300.01"}, "more than what is owed"),
            ({"amount": "-5"}, "above zero"),
            ({"amount": "abc"}, "above zero"),
            ({"move_id": str(self.other_invoice.id)}, "one of your open invoices"),
            ({"move_id": "999999999"}, "one of your open invoices"),
            ({"move_id": "x' OR 1=1"}, "one of your open invoices"),
        ]
        before = self.env["debt.promise"].search_count([])
        for values, message in cases:
            post = {
                "move_id": str(self.overdue.id),
                "date_promised": str(self.today + timedelta(days=5)),
                **values,
            }
            response = self._post("promise", post)
            self.assertEqual(response.status_code, 400, values)
            self.assertIn(message, response.text, values)
            self.assertIn("o_debt_error", response.text)
            # The form again, open, with what was typed.
            self.assertIn("<details", response.text)
        self._nothing_written("debt.promise", before)
        self.assertFalse(self._portal_logs())

    def test_missing_csrf_is_refused(self):
        before = self.env["debt.promise"].search_count([])
        response = self._post(
            "promise",
            {
                "move_id": str(self.overdue.id),
                "date_promised": str(self.today + timedelta(days=5)),
            },
            csrf=False,
        )
        self.assertEqual(response.status_code, 400)
        response = self._post(
            "promise",
            {
                "move_id": str(self.overdue.id),
                "date_promised": str(self.today + timedelta(days=5)),
                "csrf_token": "forged",
            },
            csrf=False,
        )
        self.assertEqual(response.status_code, 400)
        self._nothing_written("debt.promise", before)
        self.assertFalse(self._portal_logs())

    def test_post_with_a_wrong_link_is_404(self):
        before = self.env["debt.promise"].search_count([])
        values = {
            "move_id": str(self.other_invoice.id),
            "date_promised": str(self.today + timedelta(days=5)),
        }
        # Another customer's page with this customer's key: the key is checked
        # before anything else (the CSRF token comes from a page of our own).
        values["csrf_token"] = self._csrf()
        values["access_token"] = self.token
        response = self.url_open(f"/collections/{self.other.id}/promise", data=values)
        self.assertEqual(response.status_code, 404)
        response = self.url_open(
            f"/collections/{self.customer.id}/unknown_action", data=values
        )
        self.assertEqual(response.status_code, 404)
        self._nothing_written("debt.promise", before)

    def test_actions_switched_off_are_refused(self):
        self.company.debt_portal_promise = False
        page = self._page().text
        self.assertNotIn("submit_promise", page)
        self.company.debt_portal_promise = True
        csrf = self._csrf()
        self.company.debt_portal_promise = False
        response = self.url_open(
            f"/collections/{self.customer.id}/promise",
            data={
                "csrf_token": csrf,
                "access_token": self.token,
                "move_id": str(self.overdue.id),
                "date_promised": str(self.today + timedelta(days=5)),
            },
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(
            self.env["debt.promise"].search([("partner_id", "=", self.customer.id)])
        )

    def test_rate_limit(self):
        self.company.debt_portal_rate_limit = 2
        for _i in range(2):
            response = self._post("contact", {"channel": "phone"})
            self.assertEqual(response.status_code, 200)
        response = self._post("contact", {"channel": "letter"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("many requests in the last hour", response.text)
        self.assertEqual(len(self._portal_logs()), 2)
        self.assertEqual(self.customer.debt_portal_channel, "phone")

    def test_portal_action_counts_as_an_answer(self):
        self._only_this_company_runs()
        self._post("contact", {"channel": "email"})
        self._run(self.today)
        self.assertFalse(self._mails(self.customer))
        self.assertEqual(self.overdue.debt_skip_reason, "recently_contacted")

    # ------------------------------------------------------------------
    # Dispute
    # ------------------------------------------------------------------

    def test_dispute_with_an_attachment(self):
        reason = self.env.ref("debt_relations.debt_dispute_reason_quality")
        response = self._post(
            "dispute",
            {
                "move_id": str(self.overdue.id),
                "reason_id": str(reason.id),
                "description": "Two of the chairs arrived broken.",
            },
            files={"attachment": ("photo.pdf", PDF, "application/pdf")},
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        dispute = self.env["debt.dispute"].search([("move_id", "=", self.overdue.id)])
        self.assertEqual(dispute.state, "open")
        self.assertEqual(dispute.reason, reason)
        self.assertEqual(dispute.description, "Two of the chairs arrived broken.")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "debt.dispute"), ("res_id", "=", dispute.id)]
        )
        self.assertEqual(attachment.name, "photo.pdf")
        self.assertEqual(attachment.raw, PDF)
        # Only that invoice is held; its owner has an activity.
        self.assertTrue(dispute.activity_ids)
        log = self._portal_logs()
        self.assertEqual(len(log), 1)
        self.assertEqual(log.direction, "inbound")
        self.assertIn("o_debt_status_disputed", response.text)
        self.assertIn("o_debt_status_due", response.text)

    def test_dispute_bad_inputs(self):
        reason = self.env.ref("debt_relations.debt_dispute_reason_quality")
        good = {
            "move_id": str(self.overdue.id),
            "reason_id": str(reason.id),
            "description": "Broken",
        }
        cases = [
            ({"reason_id": "0"}, None, "choose what is wrong"),
            ({"description": "  "}, None, "what is wrong"),
            ({"move_id": "all"}, None, "one of your open invoices"),
            (
                {"move_id": str(self.other_invoice.id)},
                None,
                "one of your open invoices",
            ),
            (
                {},
                {
                    "attachment": (
                        "virus.exe",
                        b"MZ\x90\x00",
                        "application/octet-stream",
                    )
                },
                "PDF, PNG or JPEG",
            ),
            (
                {},
                {"attachment": ("fake.pdf", b"MZ\x90\x00", "application/pdf")},
                "PDF, PNG or JPEG",
            ),
            (
                {},
                {
                    "attachment": (
                        "big.pdf",
                        PDF + b"0" * (5 * 1024 * 1024),
                        "application/pdf",
                    )
                },
                "too large",
            ),
        ]
        before = self.env["debt.dispute"].search_count([])
        attachments = self.env["ir.attachment"].search_count([])
        for values, files, message in cases:
            response = self._post("dispute", {**good, **values}, files=files)
            self.assertEqual(response.status_code, 400, message)
            self.assertIn(message, response.text)
        self._nothing_written("debt.dispute", before)
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)
        self.assertFalse(self._portal_logs())

    # ------------------------------------------------------------------
    # I have already paid
    # ------------------------------------------------------------------

    def test_already_paid_holds_then_resumes(self):
        self._only_this_company_runs()
        response = self._post(
            "paid",
            {
                "move_id": str(self.overdue.id),
                "date_paid": str(self.today - timedelta(days=1)),
                "amount": "300",
                "reference": "TRF-8841",
            },
            files={"attachment": ("proof.pdf", PDF, "application/pdf")},
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertIn("o_debt_status_checking", response.text)
        claim = self.env["debt.portal.claim"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(claim.state, "checking")
        self.assertEqual(claim.date_until, self.today + timedelta(days=7))
        self.assertEqual(claim.attachment_ids.name, "proof.pdf")
        activity = claim.activity_ids
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn("TRF-8841", activity.summary)
        self.assertEqual(self._portal_logs().direction, "inbound")
        # Held the next days (not chased), while it is looked for.
        day = self.today + timedelta(days=3)
        self._run(day)
        self.assertEqual(self.overdue.debt_skip_reason, "payment_claimed")
        self.assertFalse(self._mails(self.customer))
        # Past the hold: it ends and the customer is told kindly (that is the
        # day's contact); the reminders resume at the rung where they stopped.
        self._run(self.today + timedelta(days=8))
        self.assertEqual(claim.state, "not_found")
        ended = self.env["mail.mail"].search(
            [("model", "=", "debt.portal.claim"), ("res_id", "=", claim.id)]
        )
        # To the customer (the collector sees its note on the claim); none to
        # the visitor of the link.
        ended = ended.filtered(lambda mail: "could not find it" in mail.body_html)
        self.assertEqual(ended.recipient_ids, self.customer)
        public = self.env.ref("base.public_partner")
        self.assertFalse(
            self.env["mail.mail"].search([("recipient_ids", "in", public.ids)])
        )
        self.assertIn("could not find it", ended[:1].body_html)
        self.assertIn(
            "our usual reminders about these invoices resume", ended[:1].body_html
        )
        self.assertNotEqual(self.overdue.debt_skip_reason, "payment_claimed")
        self._run(self.today + timedelta(days=20))
        self.assertTrue(self._mails(self.customer), "the reminders resume")
        self.assertTrue(self.overdue.debt_stage_id)

    def test_already_paid_found(self):
        self._only_this_company_runs()
        self._post(
            "paid",
            {
                "move_id": str(self.overdue.id),
                "date_paid": str(self.today),
                "amount": "300",
            },
        )
        claim = self.env["debt.portal.claim"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self._pay(self.overdue, pay_date=self.today)
        self._run(self.today + timedelta(days=1))
        self.assertEqual(claim.state, "found")
        self.assertFalse(claim.activity_ids)

    def test_already_paid_bad_inputs(self):
        cases = [
            (
                {"date_paid": str(self.today + timedelta(days=1))},
                "cannot be in the future",
            ),
            ({"date_paid": ""}, "Please give a date"),
            ({"amount": "0"}, "above zero"),
            ({"amount": "500"}, "more than what is owed"),
        ]
        for values, message in cases:
            response = self._post(
                "paid",
                {
                    "move_id": str(self.overdue.id),
                    "date_paid": str(self.today),
                    "amount": "300",
                    **values,
                },
            )
            self.assertEqual(response.status_code, 400, values)
            self.assertIn(message, response.text)
        self.assertFalse(
            self.env["debt.portal.claim"].search(
                [("partner_id", "=", self.customer.id)]
            )
        )
        self.assertFalse(self._portal_logs())

    # ------------------------------------------------------------------
    # How to reach them, and a pause
    # ------------------------------------------------------------------

    def test_contact_update(self):
        billing = self.env["res.partner"].create(
            {
                "name": "Azure Billing",
                "parent_id": self.customer.id,
                "type": "invoice",
                "email": "old@azure.example.com",
            }
        )
        response = self._post(
            "contact", {"email": "ap@azure.example.com", "channel": "letter"}
        )
        self.assertEqual(response.status_code, 200)
        # With the link alone, the new address waits for its confirmation
        # (tests/test_portal_links.py); the preferred channel changes at once.
        self.assertEqual(billing.email, "old@azure.example.com")
        self.assertEqual(self.customer.debt_portal_channel, "letter")
        logs = self._portal_logs()
        self.assertTrue(any("ap@azure.example.com" in log.summary for log in logs))
        response = self._post("contact", {"email": "not an email"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("not a valid email address", response.text)
        response = self._post("contact", {"channel": "pigeon"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(billing.email, "old@azure.example.com")
        self.assertEqual(len(self._portal_logs()), len(logs))

    def test_pause_request_approved(self):
        response = self._post(
            "pause", {"days": "14", "reason": "Our accountant is away"}
        )
        self.assertEqual(response.status_code, 200)
        pause = self.env["debt.portal.pause"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(pause.state, "requested")
        self.assertEqual(pause.activity_ids.user_id, self.collector)
        self.assertFalse(self.customer.debt_paused_until)
        _result, error = self._press(
            self.collector, "debt.portal.pause", "action_approve", pause.ids
        )
        self.assertIsNone(error)
        self.assertEqual(pause.state, "approved")
        self.assertEqual(
            self.customer.debt_paused_until, self.today + timedelta(days=14)
        )
        self.assertFalse(pause.activity_ids)

    def test_pause_bad_inputs(self):
        for values, message in (
            ({"days": "0", "reason": "x"}, "from 1 to 60 days"),
            ({"days": "61", "reason": "x"}, "from 1 to 60 days"),
            ({"days": "ten", "reason": "x"}, "from 1 to 60 days"),
            ({"days": "5", "reason": ""}, "why you would like a pause"),
        ):
            response = self._post("pause", values)
            self.assertEqual(response.status_code, 400)
            self.assertIn(message, response.text)
        self.assertFalse(self.env["debt.portal.pause"].search([]))

    # ------------------------------------------------------------------
    # Pay now
    # ------------------------------------------------------------------

    def test_pay_the_overdue_balance(self):
        provider = self._enable_demo_provider()
        page = self._page().text
        self.assertIn("o_debt_pay_overdue", page)
        self.assertIn(self.overdue.get_portal_url(), page.replace("&amp;", "&"))
        response = self._page(
            f"/collections/{self.customer.id}/pay?access_token={self.token}"
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_payment_form", response.text)
        self.assertIn(f"/collections/{self.customer.id}/transaction", response.text)
        params = {
            "access_token": self.token,
            "provider_id": provider.id,
            "payment_method_id": provider.payment_method_ids[:1].id,
            "token_id": None,
            "amount": 1.0,  # what the page posts is not what is charged
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": self._path(),
            "is_validation": False,
            "payment_reference": self.overdue.name,
        }
        self.make_jsonrpc_request(
            f"/collections/{self.customer.id}/transaction", params
        )
        transaction = self.env["payment.transaction"].search(
            [("invoice_ids", "in", self.overdue.ids)]
        )
        self.assertEqual(transaction.amount, 300.0)
        self.assertEqual(transaction.invoice_ids, self.overdue)  # overdue only
        self.assertEqual(transaction.partner_id, self.customer)
        transaction._set_done()
        transaction._post_process()
        self.assertIn(self.overdue.payment_state, ("paid", "in_payment"))
        self.assertNotIn(self.overdue.name, self._page().text)

    def test_pay_with_a_wrong_link(self):
        self._enable_demo_provider()
        response = self._page(
            f"/collections/{self.customer.id}/pay?access_token={self.other_token}"
        )
        self.assertEqual(response.status_code, 404)
        response = self.url_open(
            f"/collections/{self.customer.id}/transaction",
            data='{"jsonrpc": "2.0", "method": "call", "params": '
            f'{{"access_token": "{self.other_token}", "provider_id": 1}}}}',
            headers={"Content-Type": "application/json"},
        )
        self.assertFalse(response.ok and "result" in response.json())
        self.assertFalse(
            self.env["payment.transaction"].search(
                [("invoice_ids", "in", self.overdue.ids)]
            )
        )

    # ------------------------------------------------------------------
    # The collector's buttons on what customers asked for
    # ------------------------------------------------------------------

    def _claim(self):
        self._post(
            "paid",
            {
                "move_id": str(self.overdue.id),
                "date_paid": str(self.today),
                "amount": "300",
            },
        )
        return self.env["debt.portal.claim"].search(
            [("partner_id", "=", self.customer.id)]
        )

    def _pause(self):
        self._post("pause", {"days": "14", "reason": "Our accountant is away"})
        return self.env["debt.portal.pause"].search(
            [("partner_id", "=", self.customer.id)]
        )

    def test_collector_buttons_on_claims_and_pauses(self):
        billing = new_test_user(
            self.env,
            login="portal_billing",
            groups="base.group_user,account.group_account_invoice",
        )
        claim = self._claim()
        pause = self._pause()
        # Billing users see these records, not their buttons: refused, unchanged.
        for model, method, record in (
            ("debt.portal.claim", "action_found", claim),
            ("debt.portal.claim", "action_not_found", claim),
            ("debt.portal.pause", "action_approve", pause),
            ("debt.portal.pause", "action_decline", pause),
        ):
            _result, error = self._press(billing, model, method, record.ids)
            self.assertTrue(error, method)
        self.assertEqual(claim.state, "checking")
        self.assertEqual(pause.state, "requested")
        self.assertFalse(self.customer.debt_paused_until)
        # The collector's answers.
        _result, error = self._press(
            self.collector, "debt.portal.claim", "action_not_found", claim.ids
        )
        self.assertIsNone(error)
        self.assertEqual(claim.state, "not_found")
        self.assertNotEqual(self.overdue.debt_skip_reason, "payment_claimed")
        _result, error = self._press(
            self.collector, "debt.portal.pause", "action_decline", pause.ids
        )
        self.assertIsNone(error)
        self.assertEqual(pause.state, "declined")
        self.assertFalse(self.customer.debt_paused_until)
        self.assertFalse(pause.activity_ids)

    def test_collector_finds_the_payment_claimed(self):
        claim = self._claim()
        _result, error = self._press(
            self.collector, "debt.portal.claim", "action_found", claim.ids
        )
        self.assertIsNone(error)
        self.assertEqual(claim.state, "found")
        self.assertEqual(claim.date_done, self.today)
        self.assertFalse(claim.activity_ids)
