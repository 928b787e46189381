from datetime import timedelta

from odoo.tests import tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestEscalation(DebtRelationsCase):
    def test_friendly_note_before_due(self):
        due = self.today + timedelta(days=3)
        invoice = self._create_invoice(self.customer, due, 250.0)

        self._run(self.today - timedelta(days=1))
        self.assertFalse(
            self._mails(self.customer), "Nothing is sent 4 days before due"
        )

        run = self._run(self.today)
        mail = self._mails(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn(invoice.name, mail.body_html)
        self.assertIn("will soon be due", mail.body_html)
        self.assertEqual(invoice.debt_stage_id, self.stage_before)
        self.assertEqual(invoice.debt_last_contact_date, self.today)
        self.assertEqual(
            self.customer.with_company(self.company).debt_stage_id, self.stage_before
        )
        log = self._logs(self.customer)
        self.assertRecordValues(
            log,
            [
                {
                    "channel": "email",
                    "direction": "outbound",
                    "date": self.today,
                    "stage_id": self.stage_before.id,
                    "message_id": mail.mail_message_id.id,
                }
            ],
        )
        self.assertEqual(log.move_ids, invoice)
        self.assertEqual(run.reminder_count, 1)
        self.assertEqual(
            run.line_ids.filtered(lambda line: line.kind == "stage").mapped("count"),
            [1],
        )

    def test_one_message_per_customer_with_residuals(self):
        billing = self.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "type": "invoice",
                "parent_id": self.customer.id,
                "email": "ap@azure.example.com",
            }
        )
        inv1 = self._create_invoice(self.customer, self.today - timedelta(days=10), 100)
        inv2 = self._create_invoice(self.customer, self.today - timedelta(days=8), 300)
        inv3 = self._create_invoice(self.customer, self.today - timedelta(days=12), 500)
        self._pay(inv3, amount=123.0)  # 377.00 left
        self._run(self.today)

        mails = self._mails(self.customer)
        self.assertEqual(len(mails), 1, "One message for all the customer's invoices")
        self.assertEqual(mails.recipient_ids, billing, "Sent to the billing contact")
        for invoice in inv1 | inv2 | inv3:
            self.assertIn(invoice.name, mails.body_html)
            self.assertEqual(invoice.debt_stage_id, self.stage_friendly)
        self.assertIn("377.00", mails.body_html, "The residual, not the total")
        self.assertNotIn("500.00", mails.body_html)
        self.assertIn(">12<", mails.body_html.replace(" ", ""), "Days overdue shown")

    def test_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        template = self.stage_friendly.mail_template_id
        template.with_context(lang="fr_FR").subject = "Petit rappel amical"
        self._create_invoice(self.customer, self.today - timedelta(days=8))
        self._run(self.today)
        self.assertEqual(self._mails(self.customer).subject, "Petit rappel amical")

    def test_long_overdue_starts_at_first_overdue_rung(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=90))
        self._run(self.today)
        self.assertEqual(invoice.debt_stage_id, self.stage_friendly)
        self.assertIn("past their due date", self._mails(self.customer).body_html)

    def test_climbs_one_rung_per_contact_respecting_gaps(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=90))
        day = self.today
        self._run(day)
        self.assertEqual(invoice.debt_stage_id, self.stage_friendly)

        # The firm rung needs 10 days since the last contact.
        for offset in range(1, 10):
            self._run(day + timedelta(days=offset))
        self.assertEqual(invoice.debt_stage_id, self.stage_friendly)
        self.assertEqual(len(self._mails(self.customer)), 1)

        self._run(day + timedelta(days=10))
        self.assertEqual(invoice.debt_stage_id, self.stage_firm)
        partner = self.customer.with_company(self.company)
        self.assertEqual(partner.debt_stage_id, self.stage_firm)
        self.assertEqual(len(self._mails(self.customer)), 2)
        self.assertEqual(
            self._logs(self.customer).mapped("channel"), ["email", "email", "call"]
        )
        activity = self.customer.activity_ids
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("debt_relations.mail_activity_type_debt_call"),
        )

        # Formal letter: 14 days later, with a printed letter logged.
        self._run(day + timedelta(days=24))
        self.assertEqual(invoice.debt_stage_id, self.stage_formal)
        letter_log = self._logs(self.customer, channel="letter")
        self.assertEqual(len(letter_log), 1)
        self.assertTrue(letter_log.attachment_id)
        # Odoo renders reports as HTML under --test-enable: the attachment says
        # what it holds (a PDF in production, when wkhtmltopdf is installed).
        letter = letter_log.attachment_id
        self.assertEqual(letter.mimetype, "text/html")
        self.assertTrue(letter.name.endswith(".html"))
        self.assertIn(invoice.name, letter.raw.decode())

    def test_new_invoice_starts_low_while_customer_stays_high(self):
        old = self._create_invoice(self.customer, self.today - timedelta(days=30))
        old.sudo().debt_stage_id = self.stage_firm
        self.customer.with_company(self.company).sudo().debt_stage_id = self.stage_firm
        new = self._create_invoice(self.customer, self.today - timedelta(days=8))
        self._run(self.today)
        self.assertEqual(new.debt_stage_id, self.stage_friendly)
        self.assertEqual(old.debt_stage_id, self.stage_firm, "Firm: next rung not due")
        self.assertEqual(
            self.customer.with_company(self.company).debt_stage_id,
            self.stage_firm,
            "A customer never goes down the ladder while money is open",
        )
        self.assertIn(old.name, self._mails(self.customer).body_html)

    def test_settled_customer_starts_again(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=30))
        self._run(self.today)
        self.assertEqual(
            self.customer.with_company(self.company).debt_stage_id, self.stage_friendly
        )
        self._pay(invoice)
        self._run(self.today + timedelta(days=1))
        self.assertFalse(self.customer.with_company(self.company).debt_stage_id)

    def _reminders(self):
        """(stage, invoices) of each email reminder to the customer, in order."""
        return [
            (log.stage_id, log.move_ids)
            for log in self._logs(self.customer, channel="email", direction="outbound")
        ]

    def test_grouped_reminder_keeps_the_tone_a_listed_invoice_reached(self):
        old = self._create_invoice(self.customer, self.today - timedelta(days=8))
        new = self._create_invoice(self.customer, self.today + timedelta(days=16))
        self._run(self.today)  # old: friendly
        self._run(self.today + timedelta(days=13))  # old: firm, new: note before due
        self.assertEqual(old.debt_stage_id, self.stage_firm)
        self.assertEqual(new.debt_stage_id, self.stage_before)

        # New reaches the friendly rung while old waits for the formal one: the
        # reminder listing both stays firm (it used to fall back to friendly),
        # and waits firm's 10 days since the last contact, not friendly's 5.
        self._run(self.today + timedelta(days=22))
        self.assertEqual(len(self._reminders()), 2, "Firm's gap not reached yet")
        self._run(self.today + timedelta(days=23))
        self.assertEqual(self._reminders()[-1], (self.stage_firm, old | new))
        self.assertEqual(new.debt_stage_id, self.stage_friendly, "Its own next rung")
        self.assertEqual(old.debt_stage_id, self.stage_firm)
        partner = self.customer.with_company(self.company)
        self.assertEqual(partner.debt_stage_id, self.stage_firm)

        # Then one rung up: formal for old, firm for new.
        self._run(self.today + timedelta(days=37))
        self.assertEqual(
            [stage for stage, _moves in self._reminders()],
            [self.stage_friendly, self.stage_firm, self.stage_firm, self.stage_formal],
        )
        self.assertEqual(old.debt_stage_id, self.stage_formal)
        self.assertEqual(new.debt_stage_id, self.stage_firm)
        self.assertEqual(partner.debt_stage_id, self.stage_formal)

    def test_note_before_due_lists_only_invoices_not_yet_due(self):
        overdue = self._create_invoice(self.customer, self.today - timedelta(days=8))
        soon = self._create_invoice(self.customer, self.today + timedelta(days=8))
        self._run(self.today)
        self.assertEqual(self._reminders(), [(self.stage_friendly, overdue)])

        # Soon is 3 days before due; overdue waits for its firm rung.
        self._run(self.today + timedelta(days=5))
        self.assertEqual(self._reminders()[-1], (self.stage_before, soon))
        self.assertEqual(soon.debt_stage_id, self.stage_before)
        self.assertEqual(overdue.debt_stage_id, self.stage_friendly)
        self.assertEqual(
            self.customer.with_company(self.company).debt_stage_id,
            self.stage_friendly,
            "The note does not lower the customer's rung",
        )
        mail = self._logs(self.customer, channel="email")[-1]
        self.assertIn(soon.name, mail.body)
        self.assertNotIn(overdue.name, mail.body)

        # Firm's 10 days after the note: overdue is firm, soon friendly.
        self._run(self.today + timedelta(days=15))
        self.assertEqual(self._reminders()[-1], (self.stage_firm, overdue | soon))
        self.assertEqual(soon.debt_stage_id, self.stage_friendly)
