"""A run's letters, printed as one PDF for the post room."""

import io
from datetime import timedelta
from unittest.mock import patch

from lxml import html as lxml_html
from reportlab.pdfgen.canvas import Canvas

from odoo import http
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.pdf import PdfFileReader

from .common import DebtHttpCase

CUSTOMERS = (("Zenith Tools", 3333.0), ("Alpine Bakery", 1111.0), ("Maple Print", 2222))
"""Made in this order; their letters print by name: Alpine, Maple, Zenith."""


def one_page_pdf(text):
    """A real one-page PDF that says ``text`` (with a text layer)."""
    stream = io.BytesIO()
    canvas = Canvas(stream)
    canvas.drawString(72, 720, text)
    canvas.showPage()
    canvas.save()
    return stream.getvalue()


def pdf_text(content):
    reader = PdfFileReader(io.BytesIO(content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    return reader, text.strip()


@tagged("post_install", "-at_install")
class TestRunLetters(DebtHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("letters_collector")
        cls.customers = cls.env["res.partner"]
        cls.invoices = cls.env["account.move"]
        for name, amount in CUSTOMERS:
            customer = cls._create_customer(name)
            cls.customers |= customer
            cls.invoices |= cls._create_invoice(
                customer, cls.today - timedelta(days=10), amount
            )
        # The friendly reminder also writes: each customer gets a letter.
        cls.stage_friendly.send_letter = True

    def _press_print(self, user, run):
        return self._press(user, "debt.collection.run", "action_print_letters", run.ids)

    def _render(self, user, report_name, run):
        """The PDF as the report's download renders it for ``user``, and the
        HTML pages wkhtmltopdf was given."""
        # wkhtmltopdf fetches the page's styles from this test's server: its
        # table of static folders is read here first (see test_call_sheet).
        self.assertIn("debt_relations", http.root.statics)
        Report = type(self.env["ir.actions.report"])
        run_wkhtmltopdf = Report._run_wkhtmltopdf
        calls = []

        def spy(report, bodies, *args, **kwargs):
            calls.append(list(bodies))
            return run_wkhtmltopdf(report, bodies, *args, **kwargs)

        # Debian's wkhtmltopdf (unpatched Qt) warns that it prints no header.
        with (
            patch.object(Report, "_run_wkhtmltopdf", spy),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            content, kind = (
                self.env["ir.actions.report"]
                .with_user(user)
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(report_name, run.ids)
            )
        self.assertEqual(kind, "pdf")
        return content, calls

    def _assert_in_order(self, text, words):
        positions = [text.find(word) for word in words]
        self.assertNotIn(-1, positions, f"{words} in {text[:500]}")
        self.assertEqual(positions, sorted(positions), f"{words} in order")

    def test_print_letters_kept_as_pages_in_one_wkhtmltopdf_call(self):
        run = self._run(self.today)
        actions = run.action_ids.filtered("letter_attachment_id")
        self.assertEqual(len(actions), 3)
        # Printed in test mode, the letters were kept as HTML pages.
        self.assertEqual(
            set(actions.letter_attachment_id.mapped("mimetype")), {"text/html"}
        )
        self.assertEqual(run.letter_count, 3)
        # Paid since: the post room still prints the letter as it was logged.
        self._pay(self.invoices.filtered(lambda m: m.partner_id.name == "Maple Print"))

        result, error = self._press_print(self.collector, run)
        self.assertIsNone(error)
        self.assertEqual(result["type"], "ir.actions.report")
        self.assertEqual(
            result["report_name"], "debt_relations.report_debt_run_letters"
        )
        self.assertEqual(result["context"]["active_ids"], run.ids)

        content, calls = self._render(self.collector, result["report_name"], run)
        # One call, one document (Debian's wkhtmltopdf prints one only).
        self.assertEqual(len(calls), 1, "one wkhtmltopdf call for the three letters")
        self.assertEqual(len(calls[0]), 1)
        reader, text = pdf_text(content)
        self.assertGreaterEqual(len(reader.pages), 3, "each letter from a new page")
        if not text:
            # This wkhtmltopdf draws the glyphs as paths (no text layer to
            # read back): the text is read from the pages it printed.
            text = " ".join(
                " ".join(lxml_html.fromstring(body).text_content().split())
                for body in calls[0]
            )
        self._assert_in_order(
            text,
            [
                "Dear Alpine Bakery",
                "1,111.00",
                "Dear Maple Print",
                "2,222.00",
                "Dear Zenith Tools",
                "3,333.00",
            ],
        )

    def test_print_letters_kept_as_pdf_merged_as_logged(self):
        Report = type(self.env["ir.actions.report"])

        def printed(report, report_ref, res_ids=None, data=None):
            action = self.env["debt.action"].browse(res_ids)
            return one_page_pdf(f"Letter to {action.partner_id.name}"), "pdf"

        with patch.object(Report, "_render_qweb_pdf", printed):
            run = self._run(self.today)
        logs = self.env["debt.contact.log"].search(
            [("channel", "=", "letter"), ("partner_id", "in", self.customers.ids)]
        )
        self.assertEqual(len(logs), 3)
        self.assertEqual(
            set(logs.attachment_id.mapped("mimetype")), {"application/pdf"}
        )

        result, error = self._press_print(self.collector, run)
        self.assertIsNone(error)
        content, calls = self._render(self.collector, result["report_name"], run)
        self.assertFalse(calls, "the stored PDFs are merged, nothing is rendered")
        reader, text = pdf_text(content)
        self.assertEqual(len(reader.pages), 3)
        self._assert_in_order(
            text,
            [
                "Letter to Alpine Bakery",
                "Letter to Maple Print",
                "Letter to Zenith Tools",
            ],
        )

    def test_a_run_without_letters_says_so(self):
        self.stage_friendly.send_letter = False
        run = self._run(self.today)
        self.assertTrue(run.action_ids)
        self.assertEqual(run.letter_count, 0)
        result, error = self._press_print(self.collector, run)
        self.assertIsNone(result)
        self.assertEqual(error["name"], "odoo.exceptions.UserError")
        self.assertIn("printed no letter: there is nothing to print", error["message"])

    def test_only_collectors_print_them(self):
        run = self._run(self.today)
        billing = self._billing_user()
        result, error = self._press_print(billing, run)
        self.assertIsNone(result)
        self.assertEqual(error["name"], "odoo.exceptions.AccessError")
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(billing).with_context(
                force_report_rendering=True
            )._render_qweb_pdf("debt_relations.report_debt_run_letters", run.ids)

    def _billing_user(self):
        return new_test_user(
            self.env,
            login="letters_billing",
            groups="base.group_user,account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
