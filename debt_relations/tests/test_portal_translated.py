import re
from datetime import date

from odoo.tests import tagged

from .portal_common import DebtPortalCase

# What the statement page shows, per language: headings, the summary and the
# forms' titles and buttons.
PAGE = {
    "en_US": (
        "Your account with",
        "Total due",
        "I have already paid",
        "Tell us when you will pay",
        "Something is wrong with an invoice",
        "I cannot pay in full",
        "Promise this date",
        "Ask for a pause",
        "Pay the overdue balance",
    ),
    "es_ES": (
        "Su cuenta con",
        "Total adeudado",
        "Ya he pagado",
        "Díganos cuándo pagará",
        "Hay un problema con una factura",
        "No puedo pagar la totalidad",
        "Prometer esta fecha",
        "Solicitar una pausa",
        "Pagar el saldo vencido",
    ),
    "nl_NL": (
        "Uw rekening bij",
        "Totaal verschuldigd",
        "Ik heb al betaald",
        "Laat ons weten wanneer u betaalt",
        "Er klopt iets niet met een factuur",
        "Ik kan niet alles in één keer betalen",
        "Deze datum beloven",
        "Een pauze aanvragen",
        "Het achterstallige saldo betalen",
    ),
}
# What the reminder says, per language: greeting, invoice table, the
# statement link's line and the closing.
MAIL = {
    "en_US": ("Dear", "Days overdue", "See your account, pay", "Kind regards"),
    "es_ES": (
        "Estimado/a",
        "Días de retraso",
        "Ver su cuenta, pagar o contarnos qué ocurre",
        "Atentamente",
    ),
    "nl_NL": (
        "Beste",
        "Dagen achterstallig",
        "Bekijk uw rekening, betaal of laat ons weten wat er speelt",
        "Met vriendelijke groet",
    ),
}
BROWSER = {"es_ES": "es-ES,es;q=0.9", "nl_NL": "nl-NL,nl;q=0.9"}


@tagged("post_install", "-at_install")
class TestPortalTranslated(DebtPortalCase):
    """A Spanish and a Dutch customer get their reminder in their language,
    and the statement its link opens reads in their language, with the
    shipped translations."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("es_ES", "nl_NL"):
            cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"]._load_module_terms(
            ["debt_relations"], ["es_ES", "nl_NL"]
        )
        cls.spanish = cls._create_customer("Ferreteria Garcia", lang="es_ES")
        cls.dutch = cls._create_customer("Bakkerij de Vries", lang="nl_NL")
        cls.invoices = {}
        for customer in (cls.spanish, cls.dutch):
            cls.invoices[customer] = cls._create_invoice(
                customer, date(2026, 2, 1), 300.0
            ) | cls._create_invoice(customer, date(2026, 3, 20), 200.0)

    def _visit(self, link, lang):
        """The link opened by a new visitor whose browser asks for ``lang``:
        its session takes the browser's language, as a first visit's does."""
        path = link.replace("&amp;", "&")
        path = path[path.index("/collections/") :]
        self.opener.cookies.clear()
        self.opener.headers["Accept-Language"] = BROWSER[lang]
        try:
            return self.url_open(path)
        finally:
            del self.opener.headers["Accept-Language"]

    def _assert_statement_in(self, customer, lang, response):
        self.assertEqual(response.status_code, 200, response.text[:300])
        page = response.text.replace("&#39;", "'")
        self.assertIn(customer.name, page)
        for invoice in self.invoices[customer]:
            self.assertIn(invoice.name, page)
        for text in PAGE[lang]:
            self.assertTrue(text in page, f"{lang}: {text!r} missing")
        for text in PAGE["en_US"]:
            self.assertFalse(text in page, f"{lang}: English {text!r} shown")

    def _assert_reminder_in(self, customer, lang, subject):
        [mail] = self._mails(customer)
        self.assertEqual(mail.subject, f"{self.company.name}: {subject}")
        body = mail.body_html
        for text in MAIL[lang]:
            self.assertIn(text, body, f"{lang}: {text!r} missing")
        for text in MAIL["en_US"]:
            self.assertNotIn(text, body, f"{lang}: English {text!r} in the mail")
        for invoice in self.invoices[customer].filtered(
            lambda move: move.invoice_date_due < self.today
        ):
            self.assertIn(invoice.name, body)
        # The statement link the reminder carries.
        link = re.search(r'href="([^"]*/collections/%d\?[^"]+)"' % customer.id, body)
        self.assertTrue(link, "the reminder carries the statement link")
        return link[1]

    def test_spanish_reminder_and_statement(self):
        self._only_this_company_runs()
        self._run(self.today)
        link = self._assert_reminder_in(
            self.spanish, "es_ES", "un amable recordatorio sobre sus facturas"
        )
        self._assert_statement_in(self.spanish, "es_ES", self._visit(link, "es_ES"))

    def test_dutch_reminder_and_statement(self):
        self._only_this_company_runs()
        self._run(self.today)
        link = self._assert_reminder_in(
            self.dutch, "nl_NL", "een vriendelijke herinnering over uw facturen"
        )
        self._assert_statement_in(self.dutch, "nl_NL", self._visit(link, "nl_NL"))

    def test_statement_by_token_in_each_language(self):
        """The same statement page, by its key, in both languages, whatever
        the browser asks for; a visitor who chose English with the language
        switcher reads English."""
        for customer, lang in ((self.spanish, "es_ES"), (self.dutch, "nl_NL")):
            with self.subTest(lang=lang):
                link = customer._debt_portal_url()
                self._assert_statement_in(customer, lang, self._visit(link, lang))
        self.authenticate(None, None)
        path = self._path(self.spanish, self.spanish.sudo().debt_portal_token)
        self.opener.headers["Accept-Language"] = "en-US,en;q=0.9"
        try:
            self._assert_statement_in(self.spanish, "es_ES", self._page(path))
        finally:
            del self.opener.headers["Accept-Language"]
        self.opener.cookies.set("frontend_lang", "en_US")
        english = self._page(path)
        self.assertEqual(english.status_code, 200)
        for text in PAGE["en_US"]:
            self.assertTrue(text in english.text, f"English {text!r} missing")
