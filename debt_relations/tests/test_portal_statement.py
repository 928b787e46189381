import re
from datetime import timedelta

from odoo.tests import new_test_user, tagged

from .portal_common import DebtPortalCase


@tagged("post_install", "-at_install")
class TestPortalSettings(DebtPortalCase):
    def test_company_defaults(self):
        company = self.env["res.company"].create({"name": "Fresh Company"})
        self.assertEqual(company.debt_portal_promise_days, 30)
        self.assertEqual(company.debt_portal_plan_months, 12)
        self.assertEqual(company.debt_portal_plan_min_amount, 50.0)
        self.assertEqual(company.debt_portal_plan_down_payment, 10.0)
        self.assertEqual(company.debt_portal_paid_hold_days, 7)
        self.assertEqual(company.debt_portal_rate_limit, 10)
        self.assertTrue(company.debt_portal_plan_auto)
        for action in ("pay", "promise", "dispute", "paid", "plan", "contact"):
            self.assertTrue(company[f"debt_portal_{action}"], action)

    def test_settings_edit_the_company(self):
        settings = self.env["res.config.settings"].create(
            {"debt_portal_promise_days": 14, "debt_portal_dispute": False}
        )
        settings.execute()
        self.assertEqual(self.company.debt_portal_promise_days, 14)
        self.assertFalse(self.company.debt_portal_dispute)

    def test_one_link_per_customer(self):
        contact = self.env["res.partner"].create(
            {"name": "Billing", "parent_id": self.customer.id, "type": "invoice"}
        )
        self.assertEqual(contact._debt_portal_url(), self.url)
        self.assertIn(f"/collections/{self.customer.id}?access_token=", self.url)
        self.assertGreaterEqual(len(self.token), 24)

    def test_a_batch_of_reminders_makes_the_keys_at_once(self):
        new = [self._create_customer(f"Keyless {index}") for index in range(3)]
        for customer in new:
            self._create_invoice(customer, self.today - timedelta(days=20), 100.0)
        self.assertFalse(any(c.sudo().debt_portal_token for c in new))
        self._only_this_company_runs()
        self._run(self.today)
        tokens = [customer.sudo().debt_portal_token for customer in new]
        self.assertTrue(all(tokens))
        self.assertEqual(len(set(tokens) | {self.token, self.other_token}), 5)
        # a key the customer had is kept: its link still opens the statement
        self.assertEqual(self.customer.sudo().debt_portal_token, self.token)
        for customer, token in zip(new, tokens, strict=True):
            mail = self._mails(customer)[-1]
            self.assertIn(
                f"/collections/{customer.id}?access_token={token}",
                mail.body_html.replace("&amp;", "&"),
            )

    def test_reminder_and_letter_carry_the_link(self):
        self._only_this_company_runs()
        self._run(self.today)
        mails = self._mails(self.customer)
        self.assertTrue(mails)
        self.assertIn(self._path(), mails[-1].body_html.replace("&amp;", "&"))
        self.assertIn(
            "See your account, pay, or tell us what is going on", mails[-1].body_html
        )

    def test_letter_carries_the_link(self):
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        action = run.action_ids.filtered(lambda a: a.partner_id == self.customer)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "debt_relations.action_report_debt_letter", action.ids
        )
        html = html.decode().replace("&amp;", "&")
        self.assertIn("See your account, pay, or tell us what is going on:", html)
        self.assertIn(self._path(), html)

    def test_agreement_mails_carry_the_link(self):
        templates = self.env["mail.template"].search(
            [
                (
                    "model",
                    "in",
                    (
                        "debt.action",
                        "debt.payment.plan",
                        "debt.promise",
                        "debt.dispute",
                        "debt.portal.claim",
                    ),
                )
            ]
        )
        self.assertGreaterEqual(len(templates), 13)
        for template in templates:
            self.assertIn(
                "debt_relations.debt_portal_link", template.body_html, template.name
            )

    def test_new_link_revokes_the_old_one(self):
        self.assertEqual(self._page().status_code, 200)
        manager = self._collections_user("portal_manager", "manager")
        _result, error = self._press(
            manager, "res.partner", "action_debt_portal_new_link", self.customer.ids
        )
        self.assertIsNone(error)
        # The old link opens nothing: a plain "out of date" page instead.
        response = self._page()
        self.assertEqual(response.status_code, 410)
        self.assertIn("This link is out of date", response.text)
        self.assertNotIn(self.overdue.name, response.text)
        new_token = self.customer.sudo().debt_portal_token
        self.assertNotEqual(new_token, self.token)
        self.assertEqual(self._page(self._path(token=new_token)).status_code, 200)

    def test_collector_cannot_make_a_new_link(self):
        _result, error = self._press(
            self.collector,
            "res.partner",
            "action_debt_portal_new_link",
            self.customer.ids,
        )
        self.assertTrue(error)
        self.assertEqual(self.customer.sudo().debt_portal_token, self.token)


@tagged("post_install", "-at_install")
class TestPortalStatement(DebtPortalCase):
    def test_statement_by_link(self):
        self.env["debt.contact.log"].create(
            {
                "partner_id": self.customer.id,
                "summary": "Called",
                "outcome": "Internal: the CFO is difficult",
                "channel": "call",
            }
        )
        response = self._page()
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn("Azure Interior", page)
        self.assertIn(self.overdue.name, page)
        self.assertIn(self.not_due.name, page)
        self.assertNotIn(self.other_invoice.name, page)
        self.assertIn("o_debt_status_overdue", page)
        self.assertIn("o_debt_status_due", page)
        # Days overdue, totals, the invoices' PDFs.
        self.assertIn(">29<", page)
        self.assertRegex(page, r"o_debt_total_due[^>]*>[^<]*<span[^>]*>500\.00")
        self.assertRegex(page, r"o_debt_total_overdue[^>]*>[^<]*<span[^>]*>300\.00")
        self.assertIn(f"/my/invoices/{self.overdue.id}?access_token=", page)
        self.assertIn("report_type=pdf", page)
        # Internal notes never show.
        self.assertNotIn("CFO is difficult", page)

    def test_invoice_pdf_opens_from_the_link(self):
        page = self._page().text
        link = re.search(
            rf'href="(/my/invoices/{self.overdue.id}\?[^"]+report_type=pdf[^"]*)"', page
        )[1].replace("&amp;", "&")
        response = self.url_open(link)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")

    def test_wrong_links_get_the_same_404(self):
        missing = self.env["res.partner"].search([], order="id desc", limit=1).id + 100
        answers = [
            self._page(self._path(token="not-the-key")),
            self._page(self._path(token=self.other_token)),  # another's key
            self._page(f"/collections/{self.other.id}?access_token={self.token}"),
            self._page(f"/collections/{missing}?access_token={self.token}"),
            self._page(f"/collections/{self.customer.id}"),  # no key, not logged in
            self._page(f"/collections/{self.customer.id}?access_token="),
        ]
        for response in answers:
            self.assertEqual(response.status_code, 404, response.url)
            self.assertNotIn("Traceback", response.text)
        self.assertEqual(len({self._page_text(response) for response in answers}), 1)

    def test_contact_of_customer_is_not_a_statement(self):
        contact = self.env["res.partner"].create(
            {"name": "Someone", "parent_id": self.customer.id}
        )
        response = self._page(f"/collections/{contact.id}?access_token={self.token}")
        self.assertEqual(response.status_code, 404)

    def test_portal_user_sees_its_own_statement(self):
        self._portal_user_of_customer("azure_portal")
        response = self.url_open("/my/collections")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.overdue.name, response.text)
        self.assertNotIn(self.other_invoice.name, response.text)
        # The same page at the customer's address, without a key.
        self.assertEqual(
            self._page(f"/collections/{self.customer.id}").status_code, 200
        )
        # Not another customer's.
        self.assertEqual(self._page(f"/collections/{self.other.id}").status_code, 404)
        # My Account lists it.
        home = self.url_open("/my/home")
        self.assertIn("/my/collections", home.text)

    def test_portal_user_reads_only_its_own_records(self):
        user = new_test_user(self.env, login="deco_portal", groups="base.group_portal")
        user.partner_id.parent_id = self.other
        promise = self.env["debt.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": self.overdue.ids,
                "date_promised": self.today + timedelta(days=5),
            }
        )
        Promise = self.env["debt.promise"].with_user(user)
        self.assertFalse(Promise.search([("id", "=", promise.id)]))
        for model in (
            "debt.dispute",
            "debt.payment.plan",
            "debt.portal.claim",
            "debt.portal.pause",
            "debt.payment.plan.installment",
        ):
            self.env[model].with_user(user).search([])  # read access, rules apply
        self.authenticate(user.login, user.login)
        response = self.url_open(f"/collections/{self.customer.id}")
        self.assertEqual(response.status_code, 404)
        response = self.url_open("/my/collections")
        self.assertIn(self.other_invoice.name, response.text)
        self.assertNotIn(self.overdue.name, response.text)

    def test_statuses_follow_the_holds(self):
        self.env["debt.dispute"].create(
            {"move_id": self.overdue.id, "reason": "pricing", "description": "x"}
        )
        self.env["debt.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": self.not_due.ids,
                "date_promised": self.today + timedelta(days=5),
            }
        )
        page = self._page().text
        self.assertIn("o_debt_status_disputed", page)
        self.assertIn("o_debt_status_promised", page)
        self.assertNotIn("o_debt_status_overdue", page)
        # Nothing left to act on: no action form.
        self.assertNotIn("submit_promise", page)

    def test_paid_invoices_leave_the_statement(self):
        self._pay(self.overdue)
        page = self._page().text
        self.assertNotIn(self.overdue.name, page)
        self.assertRegex(page, r"o_debt_total_overdue[^>]*>[^<]*<span[^>]*>0\.00")
