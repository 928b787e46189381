"""What the portal tests share: two customers, their invoices and links."""

import re
from datetime import date

from odoo import Command
from odoo.tests import new_test_user

from .common import DebtHttpCase

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class DebtPortalCase(DebtHttpCase):
    """A customer with an overdue and a not yet due invoice, another customer
    with its own, and the customer's statement link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("portal_collector")
        cls.customer.debt_collector_id = cls.collector
        cls.overdue = cls._create_invoice(cls.customer, date(2026, 2, 1), 300.0)
        cls.not_due = cls._create_invoice(cls.customer, date(2026, 3, 20), 200.0)
        cls.other = cls._create_customer("Deco Addict")
        cls.other_invoice = cls._create_invoice(cls.other, date(2026, 2, 1), 900.0)
        cls.url = cls.customer._debt_portal_url()
        cls.token = cls.customer.sudo().debt_portal_token
        cls.other_url = cls.other._debt_portal_url()
        cls.other_token = cls.other.sudo().debt_portal_token

    def setUp(self):
        super().setUp()
        # A visitor's session, as a browser keeps it (its cookie set here: the
        # server's, dated on the frozen day, would be dropped as expired).
        self.authenticate(None, None)

    def _portal_user_of_customer(self, login):
        """A portal user of a contact of the customer, logged in."""
        contact = self.env["res.partner"].create(
            {
                "name": "Azure Accounting",
                "parent_id": self.customer.id,
                "email": "acc@azure.example.com",
            }
        )
        user = new_test_user(
            self.env, login=login, groups="base.group_portal", partner_id=contact.id
        )
        self.authenticate(user.login, user.login)
        return user

    @classmethod
    def _enable_demo_provider(cls):
        """Odoo's demo payment provider, for the test company."""
        demo = cls.env.ref("payment.payment_provider_demo").sudo()
        provider = demo.copy(
            {
                "company_id": cls.company.id,
                "state": "test",
                "is_published": True,
                "payment_method_ids": [Command.set(demo.payment_method_ids.ids)],
            }
        )
        demo.payment_method_ids.active = True
        return provider

    def _path(self, partner=None, token=None):
        partner = partner or self.customer
        return f"/collections/{partner.id}?access_token={token or self.token}"

    def _page(self, path=None):
        return self.url_open(path or self._path())

    def _csrf(self, path=None):
        response = self._page(path)
        self.assertEqual(response.status_code, 200, response.text[:300])
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text)[1]

    def _post(self, action, values, files=None, csrf=True, partner=None, token=None):
        partner = partner or self.customer
        token = token or self.token
        data = dict(values, access_token=token)
        if csrf:
            data["csrf_token"] = self._csrf(self._path(partner, token))
        return self.url_open(
            f"/collections/{partner.id}/{action}",
            data=data,
            files=files,
            allow_redirects=True,
        )

    @staticmethod
    def _page_text(response):
        """A page's text without its CSRF token, which Odoo salts with the
        second it is made: two identical pages made a second apart differ
        only there."""
        return re.sub(r'csrf_token: "[^"]*"', 'csrf_token: ""', response.text)

    def _portal_logs(self, partner=None):
        return self._logs(partner or self.customer, channel="portal")
