from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DebtRelationsCase


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
        self.env["debt.incentive.rule"].create(
            {
                "name": "Thanks",
                "kind": "thanks",
                "mail_template_id": self.env.ref(
                    "debt_relations.mail_template_debt_thanks"
                ).id,
            }
        )
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
