from datetime import timedelta
from html import unescape

from freezegun import freeze_time

import odoo.http
from odoo import Command
from odoo.tests import tagged

from .common import DebtRelationsCase
from .portal_common import DebtPortalCase


@tagged("post_install", "-at_install")
class TestTranslations(DebtRelationsCase):
    """A customer is written to in its own language: reminders, thanks,
    letters and the payment plan agreement, with the shipped translations."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["debt_relations"], ["fr_FR"])
        cls.french = cls._create_customer("Boulangerie Dupont", lang="fr_FR")
        cls.env["res.partner.bank"].create(
            {
                "acc_number": "FR76 3000 6000 0112 3456 7890 189",
                "partner_id": cls.company.partner_id.id,
            }
        )

    def test_french_customer_gets_a_french_reminder(self):
        invoice = self._create_invoice(self.french, self.today - timedelta(days=9))
        english = self._create_invoice(self.customer, self.today - timedelta(days=9))
        self._run(self.today)
        [mail] = self._mails(self.french)
        self.assertEqual(
            mail.subject,
            f"{self.company.name}: un petit rappel concernant vos factures",
        )
        body = mail.body_html
        self.assertIn("Bonjour Boulangerie Dupont", body)
        self.assertIn("Nous espérons que tout va bien", body)
        self.assertIn("Bien cordialement", body)
        # The invoice table and the payment instructions, snippets called by
        # the template, are in French too.
        self.assertIn("Jours de retard", body)
        self.assertIn("Référence de paiement", body)
        self.assertIn("Comment payer", body)
        self.assertIn(invoice.name, body)
        self.assertIn("FR76 3000 6000 0112 3456 7890 189", body)
        for english_text in ("Dear", "Kind regards", "Days overdue", "How to pay"):
            self.assertNotIn(english_text, body)

        [other] = self._mails(self.customer)
        self.assertIn("Kind regards", other.body_html, "English stays English")
        self.assertIn("Days overdue", other.body_html)
        self.assertIn(english.name, other.body_html)

    def test_french_pre_due_note_counts_the_days_left(self):
        self._create_invoice(self.french, self.today + timedelta(days=3))
        self._run(self.today)
        [mail] = self._mails(self.french)
        self.assertIn("arriveront bientôt à échéance", mail.body_html)
        self.assertIn("échéance dans 3 jours", mail.body_html)

    def test_french_thank_you(self):
        self._thanks_rule()
        paid = self._create_invoice(self.french, self.today + timedelta(days=5))
        self._pay(paid, pay_date=self.today)
        self._run(self.today)
        [mail] = self._mails(self.french)
        self.assertEqual(mail.subject, f"{self.company.name}: merci !")
        self.assertIn("Nous avons bien reçu votre paiement", mail.body_html)

    def test_french_letter(self):
        invoice = self._create_invoice(self.french, self.today - timedelta(days=9))
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "debt_relations.action_report_debt_letter", run.action_ids.ids
        )
        html = html.decode()
        self.assertIn("Rappel : factures en attente de paiement", html)
        self.assertIn("Bonjour", html)
        self.assertIn("D'après nos données", html.replace("&#39;", "'"))
        self.assertIn("Jours de retard", html)
        self.assertIn("Comment payer", html)
        self.assertIn("Bien cordialement", html)
        self.assertIn(invoice.name, html)
        for english_text in ("Dear", "Kind regards", "Days overdue", "Our records"):
            self.assertNotIn(english_text, html)

    def test_french_payment_plan_agreement(self):
        invoice = self._create_invoice(self.french, self.today - timedelta(days=20))
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": self.french.id,
                "move_ids": [Command.set(invoice.ids)],
                "installment_ids": [
                    Command.create(
                        {"date_due": self.today + timedelta(days=7), "amount": 100.0}
                    ),
                ],
            }
        )
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "debt_relations.action_report_debt_payment_plan", plan.ids
        )
        html = html.decode()
        self.assertIn("Plan de paiement", html)
        self.assertIn("Échéancier", html)
        self.assertIn("Montant restant", html)
        self.assertNotIn("Open amount", html)
        with freeze_time(self.today):
            plan.action_propose()
        mail = self.env["mail.mail"].search(
            [("model", "=", "debt.payment.plan"), ("res_id", "=", plan.id)]
        )
        self.assertTrue(mail)
        for proposal in mail:
            self.assertIn(
                "Comme convenu, voici le plan de paiement", proposal.body_html
            )
            self.assertIn("votre plan de paiement", proposal.subject)


@tagged("post_install", "-at_install")
class TestPortalLanguages(DebtPortalCase):
    """The customer's statement page in French and German, with the shipped
    translations, opened over HTTP with the customer's real link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in ("fr_FR", "de_DE"):
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(
            ["debt_relations"], ["fr_FR", "de_DE"]
        )
        cls.customer.lang = "fr_FR"
        cls.other.lang = "de_DE"

    def _browser_in(self, lang):
        """The visitor's browser asks for ``lang``: Odoo starts a visitor's
        session in the browser's language (Accept-Language)."""
        self.session.context["lang"] = lang
        odoo.http.root.session_store.save(self.session)

    def _text(self, response):
        return unescape(self._page_text(response))

    def test_french_statement(self):
        self._browser_in("fr_FR")
        response = self._page()
        self.assertEqual(response.status_code, 200, response.text[:300])
        page = self._text(response)
        self.assertIn(self.overdue.name, page)
        self.assertIn(self.not_due.name, page)
        for french in (
            # the heading and the totals
            "Votre compte auprès de",
            "Total dû",
            "Échu",
            # the invoice table
            "Date d'échéance",
            "Jours de retard",
            "Montant dû",
            "Télécharger la facture",
            "Payer le solde échu",
            # the forms and their buttons
            "Dites-nous quand vous paierez",
            "Promettre cette date",
            "J'ai déjà payé",
            "Parlez-nous de votre paiement",
            "Je ne peux pas payer la totalité",
            "Afficher le plan",
            "Une facture pose problème",
            "Nous n'enverrons pas de rappel concernant ces factures",
            "Comment vous joindre",
            "Merci de suspendre les rappels",
            "Demander une pause",
        ):
            self.assertIn(french, page)
        for english in (
            "Your account with",
            "Total due",
            "Pay the overdue balance",
            "Days overdue",
            "Download the invoice",
            "Tell us when you will pay",
            "Promise this date",
            "I have already paid",
            "Tell us about your payment",
            "I cannot pay in full",
            "Show the plan",
            "Something is wrong with an invoice",
            "How to reach you",
            "Please pause the reminders",
            "Ask for a pause",
        ):
            self.assertNotIn(english, page)

    def test_french_customer_reads_french_in_an_english_browser(self):
        """The customer's link speaks the customer's language: a French
        customer opening it in a browser set to English reads French."""
        self._browser_in("en_US")
        page = self._text(self._page())
        self.assertIn(self.overdue.name, page)
        for french in ("Votre compte auprès de", "Total dû", "J'ai déjà payé"):
            self.assertIn(french, page)
        for english in ("Your account with", "Total due", "I have already paid"):
            self.assertNotIn(english, page)

    def test_french_out_of_date_link(self):
        self.customer.action_debt_portal_new_link()
        self._browser_in("fr_FR")
        response = self._page()
        self.assertEqual(response.status_code, 410)
        page = self._text(response)
        self.assertIn("Ce lien a expiré", page)
        self.assertIn("Envoyez-moi un nouveau lien", page)
        self.assertNotIn("This link is out of date", page)
        self.assertNotIn(self.overdue.name, page)

    def test_german_statement(self):
        self._browser_in("de_DE")
        response = self._page(self._path(self.other, self.other_token))
        self.assertEqual(response.status_code, 200, response.text[:300])
        page = self._text(response)
        self.assertIn(self.other_invoice.name, page)
        for german in (
            "Ihr Konto bei",
            "Fälliger Gesamtbetrag",
            "Tage überfällig",
            "Sagen Sie uns, wann Sie zahlen",
            "Ich habe bereits bezahlt",
            "Ich kann nicht den vollen Betrag zahlen",
            "Wie wir Sie erreichen",
            "Bitte die Erinnerungen pausieren",
        ):
            self.assertIn(german, page)
        for english in (
            "Your account with",
            "Total due",
            "Days overdue",
            "Tell us when you will pay",
            "I have already paid",
            "I cannot pay in full",
        ):
            self.assertNotIn(english, page)

    def test_the_visitors_choice_of_language_wins(self):
        """The translations do not leak, and the language switcher works: a
        visitor who picks English (Odoo's switcher: ``/en/...``, which sets
        the ``frontend_lang`` cookie) or German (``/de/...``) reads that
        language on the French customer's page."""
        self.authenticate(None, None)
        path = self._path(self.customer, self.token)
        english = self._text(self.url_open(f"/en{path}"))
        self.assertIn("Your account with", english)
        self.assertIn("Tell us when you will pay", english)
        self.assertNotIn("Votre compte auprès de", english)
        # The cookie keeps the choice on the next visit without a prefix.
        self.assertIn("Your account with", self._text(self._page()))
        self.opener.cookies.clear()
        german = self._text(self.url_open(f"/de{path}"))
        self.assertIn("Ihr Konto bei", german)
        self.assertNotIn("Votre compte auprès de", german)
