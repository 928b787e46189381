import io
from datetime import timedelta
from unittest.mock import patch

from lxml import html as lxml_html

from odoo import http
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.pdf import PdfFileReader

from .common import DebtHttpCase


@tagged("post_install", "-at_install")
class TestCallSheet(DebtHttpCase):
    """What to have in hand before calling, on screen and printed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("sheet_collector")
        cls.customer.write({"phone": "+32 2 555 01 23", "tz": "Europe/Brussels"})
        cls.billing = cls.env["res.partner"].create(
            {
                "name": "Ann Payables",
                "parent_id": cls.customer.id,
                "type": "invoice",
                "email": "ann@azure.test",
                "mobile": "+32 470 12 34 56",
            }
        )
        cls.invoice_old = cls._create_invoice(
            cls.customer, cls.today - timedelta(days=25), 1234.5
        )
        cls.invoice_new = cls._create_invoice(
            cls.customer, cls.today - timedelta(days=3), 300
        )
        cls.invoice_old.sudo().debt_stage_id = cls.stage_firm
        cls.customer.with_company(cls.company).sudo().debt_stage_id = cls.stage_firm
        cls.stage_firm.talking_points = (
            "Listen first, then ask for a payment date this week."
        )

    def _sheet_text(self, content):
        """The text of the sheet's HTML (the screen's, or the page
        wkhtmltopdf printed)."""
        text = lxml_html.fromstring(content).text_content()
        return " ".join(text.split())

    def _log_calls(self, count):
        for number in range(count):
            self.env["debt.contact.wizard"].create(
                {
                    "partner_id": self.customer.id,
                    "summary": f"Call number {number + 1}",
                    "outcome": "Asked for a copy" if number == count - 1 else "",
                    "channel": "call",
                    "date": self.today - timedelta(days=count - number),
                }
            ).action_log()

    def _assert_sheet(self, text):
        self.assertIn("Call sheet: Azure Interior", text)
        self.assertIn("Ann Payables", text)
        self.assertIn("+32 470 12 34 56", text)
        self.assertIn("ann@azure.test", text)
        self.assertIn("Europe/Brussels", text)
        for invoice in (self.invoice_old, self.invoice_new):
            self.assertIn(invoice.name, text)
        self.assertIn("1,234.50", text)
        self.assertIn("1,534.50", text, "the total still owed")
        self.assertIn("Firm reminder and call", text)
        self.assertIn("Listen first, then ask for a payment date this week.", text)
        # The last ten contacts, latest first: the first two of twelve are not.
        self.assertIn("Call number 12: Asked for a copy", text)
        self.assertIn("Call number 3", text)
        self.assertNotIn("Call number 2 ", text)
        self.assertIn("Promises: 0 kept, 0 broken.", text)

    def test_pdf_holds_invoices_contacts_and_talking_points(self):
        self._log_calls(12)
        # wkhtmltopdf fetches the page's styles from this test's server: its
        # table of static folders is read here first (read by the server's
        # thread while this one renders, Python 3.11's parser has been seen
        # to fail).
        self.assertIn("debt_relations", http.root.statics)
        Report = type(self.env["ir.actions.report"])
        run_wkhtmltopdf = Report._run_wkhtmltopdf
        printed = []

        def spy(report, bodies, *args, **kwargs):
            printed.extend(bodies)
            return run_wkhtmltopdf(report, bodies, *args, **kwargs)

        # Debian's wkhtmltopdf (unpatched Qt) warns that it prints no header:
        # the sheet has none.
        with (
            patch.object(Report, "_run_wkhtmltopdf", spy),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            pdf, kind = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(
                    "debt_relations.action_report_debt_call_sheet", self.customer.ids
                )
            )
        self.assertEqual(kind, "pdf")
        reader = PdfFileReader(io.BytesIO(pdf))
        self.assertEqual(len(reader.pages), 1, "one page")
        # This wkhtmltopdf draws the glyphs as paths (no text layer to read
        # back): the text is read from the page it printed.
        text = " ".join(page.extract_text() for page in reader.pages).strip()
        self._assert_sheet(
            " ".join(text.split())
            if text
            else " ".join(self._sheet_text(body) for body in printed)
        )

    def test_screen_from_the_partner_and_the_worklist(self):
        self._log_calls(12)
        self.customer.activity_schedule(
            "debt_relations.mail_activity_type_debt_call",
            date_deadline=self.today,
            user_id=self.collector.id,
        )
        action = self.customer.action_debt_call_sheet()
        self.assertEqual(action["report_type"], "qweb-html")
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            action["report_name"], self.customer.ids
        )
        self._assert_sheet(self._sheet_text(html))
        # As the collector's browser opens it.
        self.authenticate(self.collector.login, self.collector.login)
        response = self.url_open(
            f"/report/html/debt_relations.report_debt_call_sheet/{self.customer.id}"
        )
        self.assertEqual(response.status_code, 200)
        self._assert_sheet(self._sheet_text(response.content))
        # From the worklist row, for the row's customer.
        row = self.env["debt.worklist"].search([("partner_id", "=", self.customer.id)])
        result, error = self._press(
            self.collector, "debt.worklist", "action_open_call_sheet", row.ids
        )
        self.assertIsNone(error)
        self.assertEqual(result["report_name"], action["report_name"])
        self.assertEqual(result["context"]["active_ids"], self.customer.ids)

    def test_statement_link_shown_when_the_customer_has_one(self):
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "debt_relations.action_report_debt_call_sheet_html", self.customer.ids
        )
        self.assertIn("no statement link yet", self._sheet_text(html))
        self.customer._debt_portal_url()
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "debt_relations.action_report_debt_call_sheet_html", self.customer.ids
        )
        self.assertIn(f"/collections/{self.customer.id}?access_token=".encode(), html)
        self.assertIn("Open the statement", self._sheet_text(html))
