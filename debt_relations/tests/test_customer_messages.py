import base64
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestCustomerMessages(DebtRelationsCase):
    """What the customer receives helps it pay: how to pay, the invoices'
    references, a pre-due note that speaks of days left, a plain layout, the
    company's letterhead on letters, the invoices' PDFs when asked for."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "street": "12 Rue de la Loi",
                "city": "Brussels",
                "zip": "1000",
                "vat": "BE0477472701",
                "company_registry": "0477.472.701",
                "email": "billing@yourcompany.example.com",
                "phone": "+32 2 555 01 00",
            }
        )
        cls.bank = cls.env["res.partner.bank"].create(
            {
                "acc_number": "BE71 0961 2345 6769",
                "partner_id": cls.company.partner_id.id,
                "allow_out_payment": True,
            }
        )
        cls.Rule = cls.env["debt.incentive.rule"]
        cls.reward_template = cls.env.ref("debt_relations.mail_template_debt_reward")

    def _courtesy_mails(self, partner=None):
        logs = self._logs(partner or self.customer, courtesy=True)
        return self.env["mail.mail"].search(
            [("mail_message_id", "in", logs.message_id.ids)], order="id"
        )

    def assertPlainLayout(self, mail):
        self.assertTrue(mail.body_html)
        for frame in ("Powered by", "Unfollow", "mail_unfollow"):
            self.assertNotIn(frame, mail.body_html, mail.subject)

    # ------------------------------------------------------------------
    # How to pay
    # ------------------------------------------------------------------

    def test_reminder_shows_the_bank_account_and_payment_references(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=9))
        invoice.payment_reference = "RF18 5390 0754 7034"
        self.assertEqual(invoice.partner_bank_id, self.bank)
        self._run(self.today)
        [mail] = self._mails(self.customer)
        self.assertIn(invoice.name, mail.body_html)
        self.assertIn("RF18 5390 0754 7034", mail.body_html)
        self.assertIn("BE71 0961 2345 6769", mail.body_html)
        self.assertIn("How to pay", mail.body_html)
        self.assertIn(">9<", mail.body_html.replace(" ", ""), "Days overdue")

    def test_invoice_bank_account_first_else_the_company_first_one(self):
        other_bank = self.env["res.partner.bank"].create(
            {
                "acc_number": "NL91 ABNA 0417 1643 00",
                "partner_id": self.company.partner_id.id,
            }
        )
        invoice = self._create_invoice(
            self.customer, self.today - timedelta(days=9), post=False
        )
        invoice.partner_bank_id = other_bank
        invoice.action_post()
        self._run(self.today)
        body = self._mails(self.customer).body_html
        self.assertIn("NL91 ABNA 0417 1643 00", body)
        self.assertNotIn("BE71 0961 2345 6769", body)

        other = self._create_customer("Deco Addict")
        unbanked = self._create_invoice(
            other, self.today - timedelta(days=10), post=False
        )
        unbanked.partner_bank_id = False
        unbanked.action_post()
        self.assertFalse(unbanked.partner_bank_id)
        self._run(self.today + timedelta(days=1))
        body = self._mails(other).body_html
        self.assertIn(
            self.company.partner_id.bank_ids[:1].acc_number, body, "Company's first"
        )

    def test_every_reminder_template_lists_the_invoices_and_how_to_pay(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=9))
        invoice.payment_reference = "INV-REF-4242"
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        action = run.action_ids
        templates = (
            self.stage_friendly
            | self.stage_firm
            | self.stage_formal
            | self.stage_final
            | self.stage_handoff
        ).mail_template_id
        self.assertEqual(len(templates), 5)
        for template in templates:
            body = template._render_field("body_html", action.ids)[action.id]
            self.assertIn(invoice.name, body, template.name)
            self.assertIn("INV-REF-4242", body, template.name)
            self.assertIn("BE71 0961 2345 6769", body, template.name)
            self.assertIn("Days overdue", body, template.name)

    def test_pre_due_reminder_says_when_the_invoice_is_due(self):
        invoice = self._create_invoice(self.customer, self.today + timedelta(days=3))
        self._run(self.today)
        [mail] = self._mails(self.customer)
        self.assertIn(invoice.name, mail.body_html)
        self.assertIn("due in 3 days", mail.body_html)
        self.assertNotIn("Days overdue", mail.body_html)
        self.assertNotIn(">0<", mail.body_html.replace(" ", ""))

    def test_invoice_table_days_left_and_overdue(self):
        def render(due):
            invoice = self._create_invoice(self.customer, due)
            line = {
                "move": invoice,
                "name": invoice.name,
                "date_due": due,
                "days_overdue": max((self.today - due).days, 0),
                "residual": invoice.amount_residual,
                "currency": invoice.currency_id,
            }
            return str(
                self.env["ir.qweb"]._render(
                    "debt_relations.debt_invoice_table",
                    {"lines": [line], "as_of": self.today},
                )
            )

        self.assertIn("due today", render(self.today))
        self.assertIn("due tomorrow", render(self.today + timedelta(days=1)))
        self.assertIn("due in 12 days", render(self.today + timedelta(days=12)))
        overdue = render(self.today - timedelta(days=4))
        self.assertIn("Days overdue", overdue)
        self.assertIn(">4<", overdue.replace(" ", ""))
        self.assertNotIn("due in", overdue)

    # ------------------------------------------------------------------
    # Plain layout, thanked once a day
    # ------------------------------------------------------------------

    def test_thanks_reward_and_agreement_mails_are_plain(self):
        self._thanks_rule()
        paid = self._create_invoice(self.customer, self.today + timedelta(days=5))
        self._pay(paid, pay_date=self.today)
        self._run(self.today)
        [thanks] = self._courtesy_mails()
        self.assertIn("Thank you for settling on time", thanks.body_html)
        self.assertPlainLayout(thanks)

        other = self._create_customer("Deco Addict")
        self.Rule.create(
            {
                "name": "Punctual payer",
                "kind": "recognition",
                "streak_length": 2,
                "mail_template_id": self.reward_template.id,
            }
        )
        for days in (40, 30):
            due = self.today - timedelta(days=days)
            self._pay(self._create_invoice(other, due), pay_date=due)
        self._run(self.today + timedelta(days=1))
        [reward] = self._courtesy_mails(other)
        self.assertIn("Punctual payer", reward.body_html)
        self.assertPlainLayout(reward)

        overdue = self._create_invoice(
            self._create_customer("Gemini Furniture"),
            self.today - timedelta(days=20),
        )
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": overdue.partner_id.id,
                "move_ids": [Command.set(overdue.ids)],
                "installment_ids": [
                    Command.create(
                        {"date_due": self.today + timedelta(days=7), "amount": 100.0}
                    ),
                ],
            }
        )
        with freeze_time(self.today):
            plan.action_propose()
        proposal = self.env["mail.mail"].search(
            [("model", "=", "debt.payment.plan"), ("res_id", "=", plan.id)]
        )
        self.assertTrue(proposal, "The proposal is mailed")
        for mail in proposal:
            self.assertIn("Thank you for talking with us", mail.body_html)
            self.assertPlainLayout(mail)

    def test_a_reward_and_a_thank_you_make_one_mail_a_day(self):
        self._thanks_rule()
        for name in ("Punctual payer", "Loyal customer"):
            self.Rule.create(
                {
                    "name": name,
                    "kind": "recognition",
                    "streak_length": 2,
                    "mail_template_id": self.reward_template.id,
                }
            )
        for days in (20, 10):
            due = self.today - timedelta(days=days)
            self._pay(self._create_invoice(self.customer, due), pay_date=due)
        last = self._create_invoice(self.customer, self.today + timedelta(days=5))
        self._pay(last, pay_date=self.today)
        self._run(self.today)
        partner = self.customer.with_company(self.company)
        self.assertEqual(len(partner.debt_reward_ids), 2, "Both rules reward")
        [mail] = self._courtesy_mails()
        self.assertIn("Punctual payer", mail.body_html)
        self.assertIn("Loyal customer", mail.body_html)
        self.assertEqual(partner.debt_thanked_on, self.today)

        # The managers' refresh the same day thanks no one a second time.
        with freeze_time(self.today):
            self.env["debt.relationship.tier"].action_refresh_profiles()
        self.assertEqual(len(self._courtesy_mails()), 1)

    def test_payment_booked_after_the_run_on_its_day_is_thanked(self):
        """Invoiced and paid on the day of a run, after it ran: the next run
        thanks the customer, once."""
        self._thanks_rule()
        self._run(self.today)
        invoice = self._create_invoice(self.customer, self.today + timedelta(days=10))
        self._pay(invoice, pay_date=self.today)
        self._run(self.today + timedelta(days=1))
        [thanks] = self._courtesy_mails()
        self.assertIn("Thank you for settling on time", thanks.body_html)
        self._run(self.today + timedelta(days=2))
        self.assertEqual(len(self._courtesy_mails()), 1, "Thanked once for it")

    # ------------------------------------------------------------------
    # Invoices' PDFs
    # ------------------------------------------------------------------

    def test_stage_attaches_the_invoices_pdfs(self):
        first = self._create_invoice(self.customer, self.today - timedelta(days=9))
        second = self._create_invoice(self.customer, self.today - timedelta(days=3))
        stage = self.stage_friendly
        self.assertFalse(stage.attach_invoice_pdf)
        self.assertFalse(stage._invoice_attachments(first | second))

        stage.attach_invoice_pdf = True
        attachments = stage._invoice_attachments(first | second)
        self.assertEqual(len(attachments), 2)
        self.assertEqual(set(attachments.mapped("res_model")), {"account.move"})
        self.assertEqual(set(attachments.mapped("res_id")), {first.id, second.id})
        for move in first | second:
            attachment = attachments.filtered(lambda a, m=move: a.res_id == m.id)
            # Odoo renders reports as HTML in test mode, PDF otherwise.
            self.assertIn(attachment.mimetype, ("application/pdf", "text/html"))
            if attachment.mimetype == "text/html":
                self.assertIn(move.name, attachment.raw.decode())

        # An invoice already sent keeps the PDF the customer received.
        first.invoice_pdf_report_file = base64.b64encode(b"%PDF-1.4 sent")
        self.assertTrue(first.invoice_pdf_report_id)
        attachments = stage._invoice_attachments(first)
        self.assertEqual(attachments, first.invoice_pdf_report_id)
        self.assertFalse(stage._invoice_attachments(first.browse()))

    # ------------------------------------------------------------------
    # Letterhead
    # ------------------------------------------------------------------

    def _assert_letterhead(self, html):
        company = self.company
        for text in (
            company.name,
            company.street,
            company.city,
            company.vat,
            company.company_registry,
            company.email,
            company.phone,
        ):
            self.assertIn(text, html)

    def test_letter_carries_the_letterhead_and_how_to_pay(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=9))
        invoice.payment_reference = "RF18 5390 0754 7034"
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "debt_relations.action_report_debt_letter", run.action_ids.ids
        )
        html = html.decode()
        self._assert_letterhead(html)
        self.assertIn(invoice.name, html)
        self.assertIn("RF18 5390 0754 7034", html)
        self.assertIn("BE71 0961 2345 6769", html)
        self.assertIn(self.customer.name, html)

    def test_payment_plan_agreement_carries_the_letterhead(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=20))
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": self.customer.id,
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
        self._assert_letterhead(html)
        self.assertIn(invoice.name, html)
        self.assertIn("BE71 0961 2345 6769", html)
