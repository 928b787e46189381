"""What a statement link may do, how long it works, and what a login adds.

Through the attacker's path: HTTP with the real keys and Odoo's CSRF token;
and the same rules without HTTP, on the models that hold them.
"""

import re
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.debt_portal import key_hash
from ..services import portal as portal_service
from .common import load_migration
from .portal_common import DebtPortalCase

CONFIRM_LINK = r"/collections/contact/(\d+)/confirm\?key=([\w-]+)"


class DebtLinkCase(DebtPortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = cls.env["res.partner"].create(
            {
                "name": "Azure Billing",
                "parent_id": cls.customer.id,
                "type": "invoice",
                "email": "billing@azure.example.com",
            }
        )

    def _age_link(self, days):
        """The customer's link last carried by a message ``days`` ago."""
        self.customer.sudo().debt_portal_link_date = self.today - timedelta(days=days)

    def _fresh_mails(self):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("subject", "ilike", "statement link"),
            ],
            order="id",
        )

    def _contact_mails(self, request):
        return self.env["mail.mail"].search(
            [("model", "=", "debt.portal.contact"), ("res_id", "=", request.id)],
            order="id",
        )

    def _post_fresh(self, token, csrf=True, **extra):
        data = dict(extra, access_token=token)
        if csrf:
            page = self._page(self._path(token=token))
            data["csrf_token"] = re.search(
                r'name="csrf_token" value="([^"]+)"', page.text
            )[1]
        return self.url_open(f"/collections/{self.customer.id}/fresh-link", data=data)


@tagged("post_install", "-at_install")
class TestLinkExpiry(DebtLinkCase):
    def test_a_link_works_for_the_company_days_after_its_last_message(self):
        self.assertEqual(self.company.debt_portal_link_days, 180)
        self._age_link(180)
        self.assertEqual(self._page().status_code, 200)
        self._age_link(181)
        response = self._page()
        self.assertEqual(response.status_code, 410)
        self.assertIn("This link is out of date", response.text)
        # The plain page names nothing of the customer.
        self.assertNotIn(self.overdue.name, response.text)
        self.assertNotIn("Azure", response.text)
        self.assertNotIn("billing@azure", response.text)
        # Nor does an expired link act.
        response = self._post_action_with_expired_link()
        self.assertEqual(response.status_code, 404)
        self.assertFalse(
            self.env["debt.promise"].search([("partner_id", "=", self.customer.id)])
        )
        # The company's setting decides.
        settings = self.env["res.config.settings"].create(
            {"debt_portal_link_days": 365}
        )
        settings.execute()
        self.assertEqual(self._page().status_code, 200)

    def test_a_link_shown_in_the_backend_is_not_sent(self):
        """A collector opening the customer's statement, or reading a
        prepared reminder's preview, sends the link to no one: its date (and
        so its expiry) stays."""
        # Decided, not sent yet: the reminder waits with its preview.
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        action = run.action_ids.filtered(lambda a: a.partner_id == self.customer)
        self.assertEqual(action.state, "queued")
        self._age_link(100)
        dated = self.customer.sudo().debt_portal_link_date
        result, error = self._press(
            self.collector, "res.partner", "action_debt_portal_open", self.customer.ids
        )
        self.assertIsNone(error)
        self.assertIn(self.token, result["url"])
        self.env.invalidate_all()
        result, error = self._call_kw(
            self.collector,
            "debt.action",
            "web_read",
            [action.ids],
            {"specification": {"preview_body": {}}},
        )
        self.assertIsNone(error)
        self.assertIn(self.token, result[0]["preview_body"])
        self.env.invalidate_all()
        self.assertEqual(self.customer.sudo().debt_portal_link_date, dated)
        # A message that carries it dates it.
        self.customer._debt_portal_url()
        self.assertEqual(self.customer.sudo().debt_portal_link_date, self.today)

    def _post_action_with_expired_link(self):
        self._age_link(0)
        csrf = self._csrf()
        self._age_link(181)
        return self.url_open(
            f"/collections/{self.customer.id}/promise",
            data={
                "csrf_token": csrf,
                "access_token": self.token,
                "move_id": str(self.overdue.id),
                "date_promised": str(self.today + timedelta(days=5)),
            },
        )

    def test_every_reminder_of_a_batch_dates_its_link(self):
        self._age_link(170)
        other = self._create_customer("Lumber Inc")
        self._create_invoice(other, self.today - timedelta(days=20), 100.0)
        other._debt_portal_url()
        other.sudo().debt_portal_link_date = self.today - timedelta(days=100)
        self._only_this_company_runs()
        self._run(self.today)
        self.assertTrue(self._mails(self.customer))
        self.assertEqual(self.customer.sudo().debt_portal_link_date, self.today)
        self.assertEqual(other.sudo().debt_portal_link_date, self.today)
        # The key stays: the link in earlier messages works as long.
        self.assertEqual(self.customer.sudo().debt_portal_token, self.token)
        with freeze_time(self.today + timedelta(days=180)):
            self.assertEqual(self._page().status_code, 200)
        with freeze_time(self.today + timedelta(days=181)):
            self.assertEqual(self._page().status_code, 410)

    def test_one_query_dates_a_batch(self):
        def queries(customers):
            customers.sudo().write({"debt_portal_link_date": self.today - timedelta(5)})
            customers.invalidate_recordset()
            before = self.env.cr.sql_log_count
            customers._debt_portal_ensure_tokens()
            count = self.env.cr.sql_log_count - before
            self.assertEqual(
                set(customers.sudo().mapped("debt_portal_link_date")), {self.today}
            )
            return count

        more = self.customer | self.other
        for index in range(4):
            more |= self._create_customer(f"Batch {index}")
        queries(more)  # what is read once (the user's time zone) is read
        self.assertEqual(queries(self.customer | self.other), queries(more))

    def test_a_message_carrying_the_link_dates_it(self):
        # What every agreement mail and letter calls to print the link.
        self._age_link(100)
        html = self.env["ir.qweb"]._render(
            "debt_relations.debt_portal_link", {"customer": self.billing}
        )
        self.assertIn(self.token, str(html))
        self.assertEqual(self.customer.sudo().debt_portal_link_date, self.today)
        self.assertEqual(self._page().status_code, 200)


@tagged("post_install", "-at_install")
class TestRevokedAndUnknownLinks(DebtLinkCase):
    def _new_link(self):
        manager = self._collections_user("links_manager", "manager")
        _result, error = self._press(
            manager, "res.partner", "action_debt_portal_new_link", self.customer.ids
        )
        self.assertIsNone(error)
        self.authenticate(None, None)
        return self.customer.sudo().debt_portal_token

    def test_a_revoked_link_is_out_of_date_a_key_that_never_was_is_404(self):
        new_token = self._new_link()
        revoked = self._page()
        self.assertEqual(revoked.status_code, 410)
        self.assertIn("This link is out of date", revoked.text)
        self.assertIn("Send me a fresh link", revoked.text)
        self.assertEqual(self._page(self._path(token=new_token)).status_code, 200)
        # The old key is kept hashed, never in clear.
        event = self.env["debt.portal.link.event"].search(
            [("partner_id", "=", self.customer.id), ("kind", "=", "revoked")]
        )
        self.assertEqual(event.key_hash, key_hash(self.token))
        self.assertNotIn(self.token, str(event.read()))
        # A key that never was, or the revoked key on another customer, or a
        # customer that does not exist: the same plain 404.
        missing = self.env["res.partner"].search([], order="id desc", limit=1).id + 50
        answers = [
            self._page(self._path(token="never-a-key")),
            self._page(self._path(partner=self.other, token=self.token)),
            self._page(f"/collections/{missing}?access_token={self.token}"),
            self._page(f"/collections/{missing}?access_token=never-a-key"),
        ]
        for response in answers:
            self.assertEqual(response.status_code, 404, response.url)
        self.assertEqual(len({self._page_text(response) for response in answers}), 1)
        # Nor may a revoked link ask for a fresh one for another customer.
        response = self.url_open(
            f"/collections/{self.other.id}/fresh-link",
            data={"access_token": self.token, "csrf_token": self._csrf_of(revoked)},
        )
        self.assertEqual(response.status_code, 404)

    def _csrf_of(self, response):
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text)[1]

    def test_fresh_link_from_a_revoked_one_sends_the_current_link(self):
        new_token = self._new_link()
        response = self._post_fresh(self.token, email="thief@evil.example.com")
        self.assertEqual(response.status_code, 410)
        self.assertIn(
            "on its way to the billing address", " ".join(response.text.split())
        )
        mail = self._fresh_mails()
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.billing)
        self.assertFalse(mail.email_to)
        self.assertNotIn("evil", str(mail.read(["email_to", "email_cc", "body_html"])))
        # The customer's working link is sent as it is, not replaced.
        self.assertEqual(self.customer.sudo().debt_portal_token, new_token)
        self.assertIn(self._path(token=new_token), mail.body_html.replace("&amp;", "&"))


@tagged("post_install", "-at_install")
class TestFreshLink(DebtLinkCase):
    def test_fresh_link_for_an_expired_one_goes_to_the_billing_address(self):
        self._age_link(200)
        page = self._page()
        self.assertEqual(page.status_code, 410)
        self.assertNotIn('name="email"', page.text)  # no address to type
        response = self._post_fresh(self.token, email="thief@evil.example.com")
        self.assertIn(
            "on its way to the billing address", " ".join(response.text.split())
        )
        mail = self._fresh_mails()
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.billing)
        new_token = self.customer.sudo().debt_portal_token
        self.assertNotEqual(new_token, self.token)
        self.assertIn(self._path(token=new_token), mail.body_html.replace("&amp;", "&"))
        self.assertEqual(self.customer.sudo().debt_portal_link_date, self.today)
        # The new link works; the expired one stays out of date.
        self.assertEqual(self._page(self._path(token=new_token)).status_code, 200)
        self.assertEqual(self._page().status_code, 410)
        self.assertIn(
            "Asked from an out-of-date statement link",
            " ".join(self.customer.message_ids.mapped("body")),
        )
        kinds = self.env["debt.portal.link.event"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(sorted(kinds.mapped("kind")), ["expired", "fresh_sent"])

    def test_fresh_links_are_limited_per_customer_and_hour(self):
        self._age_link(200)
        texts = set()
        for _attempt in range(portal_service.FRESH_LINKS_PER_HOUR + 2):
            # Each fresh link retires the key the visitor had: it still asks.
            response = self._post_fresh(self.token)
            self.assertEqual(response.status_code, 410)
            texts.add(re.search(r"o_debt_fresh_asked[^>]*>([^<]+)<", response.text)[1])
        self.assertEqual(len(texts), 1)  # the same answer, sent or not
        self.assertEqual(len(self._fresh_mails()), portal_service.FRESH_LINKS_PER_HOUR)
        self.assertTrue(
            all(m.recipient_ids == self.billing for m in self._fresh_mails())
        )

    def test_fresh_link_needs_the_csrf_token(self):
        self._age_link(200)
        response = self._post_fresh(self.token, csrf=False)
        self.assertEqual(response.status_code, 400)
        response = self._post_fresh(self.token, csrf=False, csrf_token="forged")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._fresh_mails())
        self.assertEqual(self.customer.sudo().debt_portal_token, self.token)

    def test_a_working_link_gets_no_fresh_link(self):
        csrf = self._csrf()
        response = self.url_open(
            f"/collections/{self.customer.id}/fresh-link",
            data={"access_token": self.token, "csrf_token": csrf},
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self._fresh_mails())


@tagged("post_install", "-at_install")
class TestContactChangeByLink(DebtLinkCase):
    def _ask(self, email="thief@evil.example.com"):
        response = self._post("contact", {"email": email})
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertIn(
            "confirmation link to the new address", " ".join(response.text.split())
        )
        return self.env["debt.portal.contact"].search(
            [("partner_id", "=", self.customer.id)], order="id desc", limit=1
        )

    def _confirm_path(self, request):
        mail = self._contact_mails(request).filtered(
            lambda m: m.email_to == request.email_new
        )
        self.assertEqual(len(mail), 1)
        found = re.search(CONFIRM_LINK, mail.body_html.replace("&amp;", "&"))
        self.assertEqual(int(found[1]), request.id)
        return f"/collections/contact/{found[1]}/confirm?key={found[2]}"

    def _confirm(self, path):
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if not csrf:  # no button to press
            return page, None
        data = {"key": path.split("key=")[1], "csrf_token": csrf[1]}
        return page, self.url_open(path.split("?")[0], data=data)

    def test_the_email_changes_only_once_confirmed_from_the_new_address(self):
        request = self._ask()
        self.assertEqual(self.billing.email, "billing@azure.example.com")
        self.assertEqual(request.state, "requested")
        self.assertEqual(request.email_old, "billing@azure.example.com")
        self.assertEqual(request.billing_id, self.billing)
        left = request.expires_at - datetime.now()
        self.assertTrue(timedelta(hours=47, minutes=50) < left <= timedelta(hours=48))
        mails = self._contact_mails(request)
        confirm = mails.filtered(lambda m: m.email_to == "thief@evil.example.com")
        notice = mails.filtered(lambda m: m.email_to == "billing@azure.example.com")
        self.assertEqual(len(mails), 2)
        # The new address gets the confirmation, never the statement link.
        self.assertIn("/confirm?key=", confirm.body_html)
        self.assertNotIn(self.token, confirm.body_html)
        self.assertNotIn("access_token", confirm.body_html)
        # The current address is told a change was asked.
        self.assertIn("thief@evil.example.com", notice.body_html)
        # The collector sees it: an activity, a log entry, the list.
        activity = request.activity_ids
        self.assertEqual(activity.user_id, self.collector)
        log = self._portal_logs()
        self.assertEqual(len(log), 1)
        self.assertIn("thief@evil.example.com", log.summary)
        self.assertIn("billing@azure.example.com", log.outcome)
        self.assertIn(
            request,
            self.env["debt.portal.contact"].with_user(self.collector).search([]),
        )
        # The reminders still go to the billing address on file.
        self.assertEqual(self.customer._debt_billing_contact(), self.billing)
        self.assertEqual(self.billing.email, "billing@azure.example.com")
        # Opening the confirmation changes nothing; its button does.
        path = self._confirm_path(request)
        self.assertEqual(self.url_open(path).status_code, 200)
        self.assertEqual(self.billing.email, "billing@azure.example.com")
        self.assertEqual(request.state, "requested")
        page, response = self._confirm(path)
        self.assertIn("Confirm this address", page.text)
        self.assertEqual(response.status_code, 200)
        self.assertIn("From now on we send", " ".join(response.text.split()))
        self.assertEqual(self.billing.email, "thief@evil.example.com")
        self.assertEqual(request.state, "confirmed")
        confirmed = self._portal_logs() - log
        self.assertEqual(len(confirmed), 1)
        self.assertIn("confirmed from that address", confirmed.summary)
        self.assertEqual(confirmed.direction, "inbound")
        # Used: nothing more happens.
        self.billing.email = "billing@azure.example.com"
        page, response = self._confirm(path)
        self.assertIn("already used or came too late", " ".join(page.text.split()))
        self.assertIsNone(response)  # no button any more
        self.assertEqual(self.billing.email, "billing@azure.example.com")

    def test_a_confirmation_after_48_hours_is_refused(self):
        request = self._ask()
        path = self._confirm_path(request)
        page = self.url_open(path)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        with freeze_time(request.expires_at + timedelta(minutes=1)):
            later = self.url_open(path)
            self.assertIn("already used or came too late", " ".join(later.text.split()))
            response = self.url_open(
                path.split("?")[0],
                data={"key": path.split("key=")[1], "csrf_token": csrf},
            )
        self.assertIn("already used or came too late", " ".join(response.text.split()))
        self.assertEqual(self.billing.email, "billing@azure.example.com")
        self.assertEqual(request.state, "expired")
        self.assertEqual(len(self._portal_logs()), 1)

    def test_a_wrong_confirmation_key_is_404(self):
        request = self._ask()
        for path in (
            f"/collections/contact/{request.id}/confirm?key=not-the-key",
            f"/collections/contact/{request.id}/confirm",
            f"/collections/contact/{request.id + 1000}/confirm?key=x",
        ):
            self.assertEqual(self.url_open(path).status_code, 404, path)
        self.assertEqual(self.billing.email, "billing@azure.example.com")

    def test_a_portal_user_of_the_customer_changes_it_at_once(self):
        self._portal_user_of_customer("azure_links")
        page = self.url_open("/my/collections")
        self.assertNotIn("o_debt_contact_confirm_hint", page.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        response = self.url_open(
            f"/collections/{self.customer.id}/contact",
            data={"csrf_token": csrf, "email": "ap@azure.example.com"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "your contact details are updated", " ".join(response.text.split())
        )
        self.assertEqual(self.billing.email, "ap@azure.example.com")
        self.assertFalse(
            self.env["debt.portal.contact"].search(
                [("partner_id", "=", self.customer.id)]
            )
        )
        log = self._portal_logs()
        self.assertEqual(len(log), 1)
        self.assertIn("ap@azure.example.com", log.summary)


@tagged("post_install", "-at_install")
class TestPortalRulesWithoutHttp(DebtLinkCase):
    """The same rules, on the models, without a web request."""

    def test_what_a_link_may_do_and_what_needs_a_login(self):
        portal = self.env["debt.portal"]
        offered = list(portal_service.ACTIONS) + ["pause"]
        for via in (portal_service.LINK, portal_service.LOGIN):
            for action in offered:
                self.assertEqual(
                    portal_service.may(action, via, offered), portal_service.NOW
                )
        self.assertEqual(
            portal_service.may(
                portal_service.CONTACT_EMAIL, portal_service.LINK, offered
            ),
            portal_service.CONFIRM,
        )
        self.assertEqual(
            portal_service.may(
                portal_service.CONTACT_EMAIL, portal_service.LOGIN, offered
            ),
            portal_service.NOW,
        )
        statement = portal.sudo()._statement(self.customer, portal_service.LINK)
        self.assertEqual(
            portal._may(statement, portal_service.CONTACT_EMAIL),
            portal_service.CONFIRM,
        )
        self.assertIsNone(portal._may(statement, "nothing"))

    def test_access_states(self):
        portal = self.env["debt.portal"]
        self.assertEqual(
            portal._access(self.customer.id, self.token),
            (self.customer, portal_service.VALID),
        )
        self._age_link(181)
        self.assertEqual(
            portal._access(self.customer.id, self.token)[1], portal_service.EXPIRED
        )
        self.customer.sudo()._debt_portal_new_key("revoked")
        self.assertEqual(
            portal._access(self.customer.id, self.token)[1], portal_service.REVOKED
        )
        self.assertEqual(portal._access(self.other.id, self.token), (None, None))
        self.assertEqual(portal._access(self.customer.id, "nope"), (None, None))

    def test_promise_on_the_model(self):
        portal = self.env["debt.portal"].sudo()
        statement = portal._statement(self.customer, portal_service.LINK)
        with self.assertRaises(UserError):
            self.env["debt.promise"]._portal_promise(
                statement,
                {
                    "move_id": str(self.other_invoice.id),
                    "date_promised": self.today + timedelta(days=5),
                },
            )
        result = portal._act(
            statement,
            "promise",
            {
                "move_id": str(self.overdue.id),
                "date_promised": self.today + timedelta(days=5),
            },
        )
        self.assertEqual(result, "promise")
        promise = self.env["debt.promise"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(promise.amount, 300.0)
        self.assertEqual(promise.contact_log_id.channel, "portal")

    def test_contact_change_on_the_model(self):
        portal = self.env["debt.portal"].sudo()
        statement = portal._statement(self.customer, portal_service.LINK)
        result = self.env["debt.portal.contact"]._portal_change(
            statement, {"email": "new@azure.example.com"}
        )
        self.assertEqual(result, "contact_asked")
        self.assertEqual(self.billing.email, "billing@azure.example.com")
        request = self.env["debt.portal.contact"].search(
            [("partner_id", "=", self.customer.id)]
        )
        with freeze_time(request.expires_at + timedelta(seconds=1)):
            self.assertEqual(request._portal_confirm(), "expired")
        self.assertEqual(self.billing.email, "billing@azure.example.com")
        statement = portal._statement(self.customer, portal_service.LOGIN)
        result = self.env["debt.portal.contact"]._portal_change(
            statement, {"email": "new@azure.example.com"}
        )
        self.assertEqual(result, "contact")
        self.assertEqual(self.billing.email, "new@azure.example.com")

    def test_plan_preview_writes_nothing(self):
        portal = self.env["debt.portal"].sudo()
        statement = portal._statement(self.customer, portal_service.LINK)
        preview = portal._act(
            statement,
            "plan",
            {
                "hardship": "cash_flow",
                "monthly": 100.0,
                "date_first": self.today + timedelta(days=10),
            },
        )
        self.assertIsInstance(preview, dict)
        self.assertTrue(preview["lines"])
        self.assertFalse(
            self.env["debt.portal.plan.request"].search(
                [("partner_id", "=", self.customer.id)]
            )
        )

    def test_the_update_dates_the_links_already_made(self):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET debt_portal_link_date = NULL WHERE id IN %s",
            [(self.customer.id, self.other.id)],
        )
        keyless = self._create_customer("Never Linked")
        self.env.invalidate_all()
        load_migration("18.0.1.3.0", "post-portal_links.py").migrate(
            self.env.cr, "18.0.1.2.0"
        )
        self.env.invalidate_all()
        for customer in (self.customer, self.other):
            self.assertTrue(customer.sudo().debt_portal_link_date)
            self.assertEqual(
                customer._debt_portal_link_state(self.company), portal_service.VALID
            )
        self.assertFalse(keyless.sudo().debt_portal_link_date)
