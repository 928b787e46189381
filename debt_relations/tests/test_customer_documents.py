"""What the customer reads, in the customer's language and the company's look,
whoever prints or sends it."""

from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time
from lxml import html as lxml_html

from odoo import Command
from odoo.tests import tagged
from odoo.tools.translate import code_translations

from .common import DebtHttpCase

STANDARD_TERMS_FR = (
    "<p>Tant que les échéances sont payées à temps, nous ne vous enverrons "
    "aucun rappel pour les factures couvertes par ce plan.</p>"
)


def _text(html):
    """The text of ``html`` (bytes or str), with every kind of space as one
    plain space: French groups digits with a (narrow) no-break space."""
    if isinstance(html, bytes):
        html = html.decode()
    return _spaced(lxml_html.fromstring(html).text_content())


def _spaced(text):
    for space in ("\N{NO-BREAK SPACE}", "\N{NARROW NO-BREAK SPACE}"):
        text = text.replace(space, " ")
    return " ".join(text.split())


@tagged("post_install", "-at_install")
class TestCustomerDocuments(DebtHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["debt_relations"], ["fr_FR"])
        cls.french = cls._create_customer("Boulangerie Dupont", lang="fr_FR")
        # Whoever prints or sends writes English.
        cls.collector = cls._collections_user("docs_collector")
        cls.collector.lang = "en_US"
        cls.env.user.lang = "en_US"

    def _french_invoices(self):
        """1,234.50 due on 20 February 2026 and 100.00 due on 21 February
        2026 (the runs are of 2 March 2026)."""
        self.due_first = self._create_invoice(
            self.french, self.today - timedelta(days=10), 1234.50
        )
        self.due_second = self._create_invoice(
            self.french, self.today - timedelta(days=9), 100.0
        )

    def _french_action(self):
        """The French customer's reminder of :meth:`_french_invoices`."""
        self._french_invoices()
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        return run.action_ids.filtered(lambda a: a.partner_id == self.french)

    def _assert_french_formats(self, text):
        self.assertIn("20/02/2026", text)
        self.assertIn("21/02/2026", text)
        self.assertIn("1 234,50", text)
        self.assertIn("1 334,50", text, "the total of both invoices")
        for english in ("02/20/2026", "02/21/2026", "1,234.50", "1,334.50"):
            self.assertNotIn(english, text)

    # ------------------------------------------------------------------
    # Letters and PDFs in the customer's language
    # ------------------------------------------------------------------

    def test_letter_printed_by_an_english_user_is_french_throughout(self):
        action = self._french_action()
        self.assertEqual(action.customer_lang, "fr_FR")
        # The customer's statement link went out with an earlier message.
        self.link_sent = self.today - timedelta(days=20)
        with freeze_time(self.link_sent):
            self.french._debt_portal_url()
        # The collector prints the letter the action's button opens.
        report = action.with_user(self.collector).action_preview_letter()
        self.assertEqual(report["report_name"], "debt_relations.report_debt_letter")
        html, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.collector)
            .with_context(**report["context"])
            ._render_qweb_html(report["report_name"], action.ids)
        )
        text = _text(html)
        self.assertEqual(
            self.french.debt_portal_link_date, self.link_sent, "shown, not sent"
        )
        self.assertIn("Bonjour", text)
        self.assertIn("02/03/2026", text, "the letter's date")
        self._assert_french_formats(text)
        self.assertIn(self.due_first.name, text)

    def test_customer_without_language_reads_the_company_language(self):
        self.company.partner_id.lang = "fr_FR"
        self.french.lang = False
        action = self._french_action()
        self.assertEqual(action.customer_lang, "fr_FR")
        html, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.collector)
            ._render_qweb_html("debt_relations.action_report_debt_letter", action.ids)
        )
        self._assert_french_formats(_text(html))

    def test_french_reminder_mail_writes_french_dates_and_amounts(self):
        self._french_invoices()
        self._run(self.today)
        [mail] = self._mails(self.french)
        self._assert_french_formats(_text(mail.body_html))

    # ------------------------------------------------------------------
    # The plan's terms in the customer's language
    # ------------------------------------------------------------------

    def _french_terms(self):
        """A French translation of the standard terms, as the shipped French
        translation gives it once written."""
        standard = self.env["debt.payment.plan"]._debt_standard_terms()
        key = ("debt_relations", "fr_FR")
        french = dict(code_translations.get_python_translations(*key))
        french[standard] = STANDARD_TERMS_FR
        return patch.dict(code_translations.python_translations, {key: french})

    def _french_plan(self):
        invoice = self._create_invoice(self.french, self.today - timedelta(days=20))
        return (
            self.env["debt.payment.plan"]
            .with_user(self.collector)
            .create(
                {
                    "partner_id": self.french.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "installment_ids": [
                        Command.create(
                            {
                                "date_due": self.today + timedelta(days=7),
                                "amount": 100.0,
                            }
                        ),
                    ],
                }
            )
        )

    def test_plan_mail_and_pdf_give_the_terms_in_french(self):
        with self._french_terms():
            plan = self._french_plan()
            # Proposed by an English collector: the terms read English to them.
            self.assertIn("While the instalments are paid on time", plan.terms)
            with freeze_time(self.today):
                _result, error = self._press(
                    self.collector, "debt.payment.plan", "action_propose", plan.ids
                )
            self.assertIsNone(error)
            self.env.invalidate_all()
            self.assertEqual(plan.state, "proposed")
            mail = self.env["mail.mail"].search(
                [("model", "=", "debt.payment.plan"), ("res_id", "=", plan.id)]
            )
            self.assertEqual(len(mail), 1)
            body = _text(mail.body_html)
            self.assertIn("Tant que les échéances sont payées à temps", body)
            self.assertNotIn("While the instalments", body)
            self.assertIn("o_debt_mail_layout", mail.body_html)
            # The agreement attached, and printed again by the collector.
            html, _kind = (
                self.env["ir.actions.report"]
                .with_user(self.collector)
                ._render_qweb_html(
                    "debt_relations.action_report_debt_payment_plan", plan.ids
                )
            )
            text = _text(html)
            self.assertIn("Conditions", text)
            self.assertIn("Tant que les échéances sont payées à temps", text)
            self.assertNotIn("While the instalments", text)
            # The collector still reads the terms in English.
            self.assertIn(
                "While the instalments are paid on time",
                plan.with_user(self.collector).terms,
            )

    def test_terms_written_for_a_plan_are_sent_as_written(self):
        with self._french_terms():
            plan = self._french_plan()
            plan.with_user(self.collector)._debt_fill_standard_terms()
            self.assertIn("Tant que", plan.with_context(lang="fr_FR")._debt_terms())
            plan.with_user(
                self.collector
            ).terms = "<p>Two instalments, the first one next week.</p>"
            for lang in ("en_US", "fr_FR"):
                terms = plan.with_context(lang=lang)._debt_terms()
                self.assertIn("Two instalments", terms, lang)
                self.assertNotIn("Tant que", terms, lang)
            html, _kind = self.env["ir.actions.report"]._render_qweb_html(
                "debt_relations.action_report_debt_payment_plan", plan.ids
            )
            self.assertIn("Two instalments", _text(html))

    # ------------------------------------------------------------------
    # Reminders: the company's look, the person greeted, the total
    # ------------------------------------------------------------------

    def test_reminder_greets_the_billing_contact_in_the_company_layout(self):
        self.company.write(
            {
                "phone": "+1 555 0100",
                "email": "accounts@company.example.com",
                "website": "https://company.example.com",
            }
        )
        customer = self._create_customer("Corner Cafe")
        self.env["res.partner"].create(
            {
                "name": "Jane Doe",
                "type": "invoice",
                "parent_id": customer.id,
                "email": "jane@corner-cafe.example.com",
            }
        )
        self.stage_friendly.requires_review = True
        first = self._create_invoice(customer, self.today - timedelta(days=10), 1250.0)
        second = self._create_invoice(customer, self.today - timedelta(days=9), 84.5)
        self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        action = self.env["debt.action"].search(
            [("partner_id", "=", customer.id), ("state", "=", "to_review")]
        )
        self.assertEqual(len(action), 1)
        _result, error = self._press(
            self.collector, "debt.action", "action_approve", action.ids
        )
        self.assertIsNone(error)
        self.env.invalidate_all()
        [mail] = self._mails(customer)
        text = _text(mail.body_html)
        self.assertIn("Dear Jane Doe,", text)
        self.assertNotIn("Dear Corner Cafe", text)
        # The company's layout: its frame, fonts set, its footer.
        self.assertIn("o_debt_mail_layout", mail.body_html)
        self.assertIn("font-family: Verdana, Arial, sans-serif", mail.body_html)
        footer = mail.body_html.split("o_debt_mail_footer", 1)[1]
        for detail in (
            self.company.name,
            "+1 555 0100",
            "accounts@company.example.com",
        ):
            self.assertIn(detail, footer)
        self.assertNotIn("Powered by", mail.body_html)
        # Both invoices and their total, rounded to the currency.
        self.assertIn(first.name, text)
        self.assertIn(second.name, text)
        self.assertIn("Total $ 1,334.50", text)
        self.assertEqual(action.amount_asked, 1334.5)
        # The contact log keeps the message without the frame.
        kept = action.contact_log_ids.filtered(lambda log: log.channel == "email")
        self.assertIn("Jane Doe", kept.body)
        self.assertNotIn("o_debt_mail_layout", kept.body)

    def test_reminder_without_billing_contact_greets_the_company(self):
        for fast in (True, False):
            with self.subTest(fastpath=fast):
                self.env["ir.config_parameter"].sudo().set_param(
                    "debt_relations.fastpath", "1" if fast else "0"
                )
                customer = self._create_customer(f"Deco Addict {fast}")
                self._create_invoice(customer, self.today - timedelta(days=10), 300.0)
                run = self.env["debt.collection.run"]._prepare_run(
                    self.company, self.today, redecide=True
                )
                run._send_next_batch()
                [mail] = self._mails(customer)
                text = _text(mail.body_html)
                self.assertIn(f"Dear {customer.name},", text)
                self.assertIn("o_debt_mail_layout", mail.body_html)
                # One invoice: no total row.
                self.assertNotIn("Total", text)
                kept = self._logs(customer, channel="email")
                self.assertNotIn("o_debt_mail_layout", kept.body)
                self.assertIn(customer.name, kept.body)

    def test_a_nameless_billing_address_greets_the_company(self):
        """An invoice address may have no name in Odoo: the reminder to it
        greets the customer's company, never "Dear ,"."""
        customer = self._create_customer("Harbour Books")
        self.env["res.partner"].create(
            {
                "type": "invoice",
                "parent_id": customer.id,
                "email": "invoices@harbour-books.example.com",
            }
        )
        self._create_invoice(customer, self.today - timedelta(days=10), 300.0)
        run = self.env["debt.collection.run"]._prepare_run(
            self.company, self.today, redecide=True
        )
        run._send_next_batch()
        [mail] = self._mails(customer)
        addressed = f"{mail.email_to or ''} {mail.recipient_ids.mapped('email')}"
        self.assertIn("invoices@harbour-books.example.com", addressed)
        text = _text(mail.body_html)
        self.assertIn("Dear Harbour Books,", text)
        self.assertNotIn("Dear ,", text)

    def test_courtesy_mails_in_the_company_layout(self):
        self._thanks_rule()
        paid = self._create_invoice(self.customer, self.today + timedelta(days=5))
        self._pay(paid, pay_date=self.today)
        self._run(self.today)
        logs = self._logs(self.customer, courtesy=True)
        mail = self.env["mail.mail"].search(
            [("mail_message_id", "in", logs.message_id.ids)]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("o_debt_mail_layout", mail.body_html)
        self.assertIn("Thank you for settling on time", mail.body_html)
