from datetime import date

from odoo.tests import tagged

from .portal_common import DebtPortalCase


@tagged("post_install", "-at_install")
class TestPortalTours(DebtPortalCase):
    """The five flows in a real browser (headless Chromium), from the link
    a reminder carries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.name = "Tour Customer"
        cls._enable_demo_provider()

    def _reminder_link(self):
        """The statement link of the customer's reminder, as it received it."""
        self._only_this_company_runs()
        self._run(self.today)
        body = self._mails(self.customer)[-1].body_html.replace("&amp;", "&")
        start = body.index(f"/collections/{self.customer.id}?access_token=")
        return body[start : body.index('"', start)]

    def test_tour_statement_from_a_reminder(self):
        link = self._reminder_link()
        self.assertEqual(link, self._path())
        self.start_tour(link, "debt_portal_statement")

    def test_tour_promise(self):
        self.start_tour(self._path(), "debt_portal_promise")
        promise = self.env["debt.promise"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(promise.date_promised, date(2026, 3, 20))
        self.assertEqual(promise.move_ids, self.overdue)
        self.assertEqual(self._portal_logs().direction, "inbound")

    def test_tour_dispute_with_an_attachment(self):
        self.start_tour(self._path(), "debt_portal_dispute")
        dispute = self.env["debt.dispute"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(dispute.reason.code, "quality")
        self.assertEqual(dispute.description, "The chairs arrived broken.")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "debt.dispute"), ("res_id", "=", dispute.id)]
        )
        self.assertEqual(attachment.name, "delivery_note.pdf")

    def test_tour_plan_signed(self):
        self.start_tour(self._path(), "debt_portal_plan")
        request = self.env["debt.portal.plan.request"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(request.state, "signed")
        self.assertEqual(request.signed_name, "Tour Signer")
        self.assertEqual(request.plan_id.state, "active")

    def test_tour_pay_the_overdue_balance(self):
        self.start_tour(self._path(), "debt_portal_pay")
        self.assertIn(self.overdue.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.not_due.payment_state, "not_paid")
        transaction = self.overdue.transaction_ids
        self.assertEqual(transaction.state, "done")
        self.assertEqual(transaction.amount, 300.0)


@tagged("post_install", "-at_install")
class TestPortalPhoneTour(DebtPortalCase):
    """The statement on a phone: one card per invoice, nothing cut."""

    browser_size = "390x844"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.name = "Tour Customer"
        cls._enable_demo_provider()
        # 100.00 of the overdue 300.00 is disputed: 200.00 stays due.
        cls.env["debt.dispute"].create(
            {
                "move_id": cls.overdue.id,
                "reason": "pricing",
                "description": "One line is not the price quoted.",
                "amount_disputed": 100.0,
            }
        )

    def test_tour_statement_on_a_phone(self):
        self.start_tour(self._path(), "debt_portal_phone")
        transaction = self.overdue.transaction_ids
        self.assertEqual(transaction.state, "done")
        self.assertEqual(transaction.amount, 200.0, "the part not disputed")
        self.assertAlmostEqual(self.overdue.amount_residual, 100.0)
        self.assertEqual(self.not_due.payment_state, "not_paid")
