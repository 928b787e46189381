from odoo.tests import tagged

from odoo.addons.debt_relations.tests.portal_common import DebtPortalCase


@tagged("post_install", "-at_install")
class TestSmsPortal(DebtPortalCase):
    def test_customer_prefers_sms_from_the_statement(self):
        page = self._page()
        self.assertIn('<option value="sms"', page.text)
        response = self._post("contact", {"channel": "sms"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.customer.debt_portal_channel, "sms")
        self.assertTrue(
            any("prefers SMS" in log.summary for log in self._portal_logs())
        )
