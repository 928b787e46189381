import io
from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools.pdf import PdfReader

from .common import DebtHttpCase, load_migration


@tagged("post_install", "-at_install")
class TestHandoff(DebtHttpCase):
    """A file handed over to a mediator first, then an agency or a lawyer,
    with a dossier the provider can rely on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("handoff_collector")
        cls.manager = cls._collections_user("handoff_manager", "manager")
        # The providers of the demo data aside: the only mediator known here is
        # proposed on new hand-offs.
        cls.env["res.partner"].search([("debt_handoff_provider", "!=", False)]).write(
            {"active": False}
        )
        cls.mediator = cls.env["res.partner"].create(
            {
                "name": "Fair Mediation",
                "is_company": True,
                "email": "files@fair-mediation.example.com",
                "debt_handoff_provider": "mediator",
            }
        )
        cls.agency = cls.env["res.partner"].create(
            {
                "name": "Swift Recovery",
                "is_company": True,
                "email": "files@swift-recovery.example.com",
                "debt_handoff_provider": "agency",
            }
        )
        cls.customer.with_company(cls.company).sudo().debt_collector_id = cls.collector
        # wkhtmltopdf fetches the report's stylesheets over HTTP: in a test,
        # from inside a request, the test server would serve it only once
        # that request is over. Pointed nowhere, it prints without them.
        cls.env["ir.config_parameter"].sudo().set_param(
            "report.url", "http://127.0.0.1:9"
        )

    def _draft_from_the_run(self):
        """An invoice at the final rung; the run reaches the hand-off rung and
        the collector approves its action: a draft hand-off is prepared."""
        invoice = self._create_invoice(
            self.customer, self.today - timedelta(days=90), 300.0
        )
        invoice.sudo().debt_stage_id = self.stage_final
        self.customer.with_company(self.company).sudo().debt_stage_id = self.stage_final
        action = self._run(self.today).action_ids
        self.assertEqual(action.stage_id, self.stage_handoff)
        _result, error = self._press(
            self.collector, "debt.action", "action_approve", action.ids
        )
        self.assertIsNone(error)
        handoff = self.env["debt.handoff"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(len(handoff), 1)
        return invoice, handoff

    def _send(self, handoff, user=None):
        _result, error = self._press(
            user or self.collector, "debt.handoff", "action_send", handoff.ids
        )
        self.assertIsNone(error)
        handoff.invalidate_recordset()

    def test_run_prepares_a_draft_handoff_not_a_todo(self):
        invoice, handoff = self._draft_from_the_run()
        self.assertEqual(handoff.state, "draft")
        self.assertEqual(handoff.kind, "mediation")
        self.assertEqual(handoff.move_ids, invoice)
        # The only mediator known is proposed; the collector follows it.
        self.assertEqual(handoff.provider_id, self.mediator)
        self.assertEqual(handoff.user_id, self.collector)
        self.assertEqual(handoff.stage_id, self.stage_handoff)
        self.assertFalse(
            self.customer.activity_ids, "no to-do: the hand-off is the task"
        )
        self.assertEqual(invoice.debt_stage_id, self.stage_handoff)
        self.assertEqual(
            handoff.previous_stages, {str(invoice.id): self.stage_final.id}
        )
        self.assertTrue(
            self._logs(self.customer, handoff_id=handoff.id).filtered(
                lambda log: "Hand-off prepared for review" in log.summary
            )
        )
        # A draft holds its invoices too: the next run leaves them alone.
        later = self.today + timedelta(days=11)
        self._run(later)
        self.assertEqual(invoice.debt_skip_reason, "handed_off")

        # Another invoice reaching the hand-off rung joins the same draft.
        second = self._create_invoice(self.customer, later - timedelta(days=80))
        second.sudo().debt_stage_id = self.stage_final
        action = self._run(later + timedelta(days=11)).action_ids
        self.assertEqual(action.move_ids, second)
        self.assertEqual(action.stage_id, self.stage_handoff)
        action.with_user(self.collector).action_approve()
        self.assertEqual(
            self.env["debt.handoff"].search([("partner_id", "=", self.customer.id)]),
            handoff,
        )
        self.assertEqual(handoff.move_ids, invoice | second)

    def test_collector_sends_the_dossier_and_the_run_skips_only_its_invoices(self):
        invoice, handoff = self._draft_from_the_run()
        self.env["mail.mail"].search([("state", "=", "outgoing")]).write(
            {"state": "cancel"}
        )
        self._send(handoff)
        self.assertEqual(handoff.state, "sent")
        self.assertEqual(handoff.date_sent, self.today)
        self.assertEqual(handoff.amount, 300.0)
        mail = self.env["mail.mail"].search(
            [("model", "=", "debt.handoff"), ("res_id", "=", handoff.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.mediator)
        self.assertTrue(mail.email_from)
        self.assertIn(self.customer.name, mail.subject)
        pdf = mail.attachment_ids
        self.assertEqual(len(pdf), 1)
        self.assertEqual(pdf.mimetype, "application/pdf")
        self.assertTrue(pdf.name.endswith(".pdf"))
        self.assertTrue(pdf.raw.startswith(b"%PDF"))
        self.assertEqual(handoff.dossier_attachment_id, pdf)
        sent_log = self._logs(self.customer, handoff_id=handoff.id, channel="email")
        self.assertIn("Fair Mediation", sent_log.summary)
        self.assertTrue(sent_log.courtesy, "not a contact with the customer")
        with self.assertRaises(UserError):
            handoff.with_user(self.collector).action_send()

        # The run leaves the handed-over invoice to the mediator and still
        # reminds the customer of another one, on that invoice's own rung.
        other = self._create_invoice(self.customer, self.today - timedelta(days=10))
        run = self._run(self.today + timedelta(days=11))
        self.assertEqual(invoice.debt_skip_reason, "handed_off")
        self.assertFalse(other.debt_skip_reason)
        self.assertEqual(run.action_ids.move_ids, other)
        self.assertEqual(run.action_ids.stage_id, self.stage_friendly)
        figure = run.line_ids.filtered(
            lambda line: line.kind == "skip" and line.reason == "handed_off"
        )
        self.assertEqual((figure.count, figure.amount), (1, 300.0))

    def test_dossier_mail_goes_the_one_way_out(self):
        """The dossier's mail: one log entry with its full text, the mail to
        the provider with the dossier, a short note on the hand-off's chatter
        and the customer's linking to the entry; sent at once."""
        _invoice, handoff = self._draft_from_the_run()
        before = self._logs(self.customer)
        self._send(handoff)
        logs = self._logs(self.customer) - before
        self.assertEqual(len(logs), 1, logs.mapped("summary"))
        self.assertRecordValues(
            logs,
            [
                {
                    "channel": "email",
                    "handoff_id": handoff.id,
                    "stage_id": self.stage_handoff.id,
                    "user_id": self.collector.id,
                    "courtesy": True,
                }
            ],
        )
        text = "We hand over to you the file of our customer"
        self.assertIn(text, str(logs.body))
        mail = logs.mail_id
        self.assertIn(text, str(mail.body_html))
        self.assertEqual(mail.mail_message_id, logs.message_id)
        self.assertEqual((mail.model, mail.res_id), ("debt.handoff", handoff.id))
        self.assertEqual(mail.recipient_ids, self.mediator)
        self.assertEqual(mail.attachment_ids, handoff.dossier_attachment_id)
        self.assertFalse(mail.scheduled_date)
        link = f"/odoo/debt.contact.log/{logs.id}"
        self.assertIn(link, str(logs.message_id.body))
        self.assertNotIn(text, str(logs.message_id.body))
        self.assertTrue(
            self.customer.message_ids.filtered(lambda m: link in str(m.body)),
            "the customer's chatter has the note too",
        )

    def test_mediation_comes_before_an_agency(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=90))
        Handoff = self.env["debt.handoff"]
        values = {
            "partner_id": self.customer.id,
            "kind": "agency",
            "provider_id": self.agency.id,
            "move_ids": [Command.set(invoice.ids)],
        }
        with self.assertRaises(UserError) as caught:
            Handoff.with_user(self.collector).create(dict(values))
        self.assertIn("mediator first", str(caught.exception))
        with self.assertRaises(UserError) as caught:
            Handoff.with_user(self.collector).create(
                dict(values, override_reason="In a hurry")
            )
        self.assertIn("Only a collections manager", str(caught.exception))
        # A collector cannot turn a mediation into an agency hand-off either.
        draft = Handoff.with_user(self.collector).create(
            dict(values, kind="mediation", provider_id=self.mediator.id)
        )
        with self.assertRaises(UserError) as caught:
            draft.write({"kind": "agency", "provider_id": self.agency.id})
        self.assertIn("mediator first", str(caught.exception))
        draft.action_return()  # a collector gives a draft back; never deletes
        # Through JSON-RPC as well.
        _result, error = self._call_kw(
            self.collector,
            "debt.handoff",
            "create",
            [
                {
                    "partner_id": self.customer.id,
                    "kind": "legal",
                    "move_ids": [[6, 0, invoice.ids]],
                }
            ],
        )
        self.assertIn("mediator first", error["message"])
        # A manager must say why.
        with self.assertRaises(ValidationError):
            Handoff.with_user(self.manager).create(dict(values))
        handoff = Handoff.with_user(self.manager).create(
            dict(values, override_reason="The customer left the country")
        )
        self.assertEqual(handoff.override_by_id, self.manager)
        log = self._logs(self.customer, handoff_id=handoff.id)
        self.assertIn("overridden", log.summary)
        self.assertIn("left the country", log.summary)
        self.assertEqual(log.user_id, self.manager)
        self.assertIn("left the country", "".join(handoff.message_ids.mapped("body")))
        # The collector may send what the manager decided.
        self._send(handoff)
        self.assertEqual(handoff.state, "sent")

    def test_agency_after_a_mediation_without_agreement(self):
        invoice, handoff = self._draft_from_the_run()
        self._send(handoff)
        handoff.with_user(self.collector).action_accept()
        handoff.with_user(self.collector).write({"outcome": "no_agreement"})
        handoff.with_user(self.collector).action_return()
        agency = (
            self.env["debt.handoff"]
            .with_user(self.collector)
            .create(
                {
                    "partner_id": self.customer.id,
                    "kind": "agency",
                    "provider_id": self.agency.id,
                    "move_ids": [Command.set(invoice.ids)],
                }
            )
        )
        self.assertFalse(agency.override_by_id)
        self.assertFalse(agency.needs_override)
        # A closed hand-off's outcome is kept as recorded.
        with self.assertRaises(UserError):
            handoff.with_user(self.collector).write({"outcome": "agreement"})

    def test_payments_during_a_handoff(self):
        invoice, handoff = self._draft_from_the_run()
        self._send(handoff)
        handoff.with_user(self.collector).action_accept()
        self.assertEqual(handoff.state, "accepted")
        self._pay(invoice, amount=100.0, pay_date=self.today)
        self.assertEqual(handoff.state, "accepted")
        self.assertEqual(handoff.amount_recovered, 100.0)
        activity = handoff.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn("Fair Mediation", activity.summary)
        template = self.env.ref("debt_relations.mail_template_debt_handoff_payment")
        self.assertIn(template, activity.activity_type_id.mail_template_ids)
        # The prepared mail, as the button opens it.
        action = handoff.with_user(self.collector).action_report_payment()
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.collector)
            .with_context(**action["context"])
            .create({})
        )
        self.assertEqual(composer.partner_ids, self.mediator)
        self.assertIn("200.00", composer.body)
        composer._action_send_mail()
        self.assertTrue(
            self.env["mail.mail"].search(
                [
                    ("model", "=", "debt.handoff"),
                    ("res_id", "=", handoff.id),
                    ("subject", "ilike", "payment received"),
                ]
            )
        )
        # The run sees nothing new: no second activity for the same payment.
        self._run(self.today + timedelta(days=1))
        self.assertEqual(len(handoff.activity_ids), 1)
        # Paid in full: the hand-off is settled.
        self._pay(invoice, pay_date=self.today)
        self.assertEqual(handoff.state, "settled")
        self.assertEqual(handoff.outcome, "paid")
        self.assertEqual(handoff.amount_recovered, 300.0)
        self.assertEqual(handoff.date_closed, self.today)
        self.assertEqual(len(handoff.activity_ids), 2)
        self.assertTrue(
            handoff.contact_log_ids.filtered(lambda log: "settled" in log.summary)
        )

    def test_return_puts_the_invoices_back_on_the_ladder(self):
        invoice, handoff = self._draft_from_the_run()
        self._send(handoff)
        self.assertEqual(invoice.debt_stage_id, self.stage_handoff)
        with self.assertRaises(UserError) as caught:
            handoff.with_user(self.collector).action_return()
        self.assertIn("outcome", str(caught.exception))
        handoff.with_user(self.collector).write(
            {"outcome": "no_agreement", "outcome_note": "The customer refused"}
        )
        _result, error = self._press(
            self.collector, "debt.handoff", "action_return", handoff.ids
        )
        self.assertIsNone(error)
        handoff.invalidate_recordset()
        self.assertEqual(handoff.state, "returned")
        self.assertEqual(handoff.date_closed, self.today)
        invoice.invalidate_recordset()
        self.assertEqual(invoice.debt_stage_id, self.stage_final)
        self.assertEqual(
            self.customer.with_company(self.company).debt_stage_id, self.stage_final
        )
        summaries = handoff.contact_log_ids.mapped("summary")
        self.assertTrue(any("handed over" in s for s in summaries))
        self.assertTrue(any("returned" in s for s in summaries))
        # Back on the ladder: the run climbs it again, and the next file goes
        # to an agency, the mediation having failed.
        run = self._run(self.today + timedelta(days=11))
        self.assertNotEqual(invoice.debt_skip_reason, "handed_off")
        self.assertEqual(run.action_ids.stage_id, self.stage_handoff)
        run.action_ids.with_user(self.collector).action_approve()
        new = self.env["debt.handoff"].search(
            [("partner_id", "=", self.customer.id), ("state", "=", "draft")]
        )
        self.assertEqual((new.kind, new.provider_id), ("agency", self.agency))

    def test_dossier_holds_the_whole_timeline(self):
        invoice = self._create_invoice(
            self.customer, self.today - timedelta(days=90), 300.0
        )
        Log = self.env["debt.contact.log"]
        Log.create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "date": self.today - timedelta(days=30),
                "channel": "call",
                "summary": "Called the accounts payable team",
                "outcome": "Cash flow problems until spring",
            }
        )
        Log.create(
            {
                "partner_id": self.customer.id,
                "date": self.today - timedelta(days=20),
                "channel": "email",
                "direction": "inbound",
                "summary": "Customer asked for a copy of the invoice",
            }
        )
        self.env["debt.promise"].sudo().create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 300.0,
                "date": self.today - timedelta(days=20),
                "date_promised": self.today - timedelta(days=10),
                "state": "broken",
            }
        )
        handoff = self._create_handoff(
            invoice, state="draft", provider_id=self.mediator.id
        )
        # The preview the collector opens before sending.
        preview = handoff.with_user(self.collector).action_preview_dossier()
        self.assertIn(str(handoff.id), preview["url"])
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "debt_relations.action_report_debt_handoff_dossier", handoff.ids
        )
        self.assertIn(b"Cash flow problems until spring", html)
        content, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(
                "debt_relations.action_report_debt_handoff_dossier", handoff.ids
            )
        )
        self.assertEqual(kind, "pdf")
        reader = PdfReader(io.BytesIO(content))
        text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
        for expected in (
            "Azure Interior",
            invoice.name,
            "Called the accounts payable team",
            "Cash flow problems until spring",
            "Customer asked for a copy of the invoice",
            "Inbound",
            "Broken",
            "Statement of account",
            "Fair Mediation",
        ):
            self.assertIn(expected, text)

    def test_migration_puts_files_at_the_handoff_rung_in_drafts(self):
        """Before hand-offs existed, a customer at the hand-off rung was left
        alone: its invoices there are put in a draft hand-off, still held."""
        old = self._create_invoice(self.customer, self.today - timedelta(days=90))
        old.sudo().debt_stage_id = self.stage_handoff
        self.customer.with_company(
            self.company
        ).sudo().debt_stage_id = self.stage_handoff
        migration = load_migration("18.0.1.4.0", "post-handoff_drafts.py")
        drafts = migration.prepare_drafts(self.env)
        self.assertEqual(
            (drafts.partner_id, drafts.move_ids, drafts.state),
            (self.customer, old, "draft"),
        )
        self.assertFalse(migration.prepare_drafts(self.env), "once only")
        self._run(self.today)
        self.assertEqual(old.debt_skip_reason, "handed_off")
        drafts.with_user(self.collector).action_return()
        self.assertEqual(old.debt_stage_id, self.stage_final)

    def test_worklist_rows_of_the_handoffs_needing_the_collector(self):
        """The reason ``handoff`` of the collector's worklist: a draft, a
        hand-off sent without an answer for a week, one accepted and quiet
        for a month, a payment to report."""
        other = self._create_customer("Deco Addict")
        draft_invoice = self._create_invoice(self.customer, self.today)
        sent_invoice = self._create_invoice(other, self.today)
        self._create_handoff(draft_invoice, state="draft")
        sent = self._create_handoff(sent_invoice, provider_id=self.mediator.id)
        Handoff = self.env["debt.handoff"]

        def listed(day):
            return {
                row[0] for row in self.env.execute_query(Handoff._worklist_query(day))
            }

        self.assertIn(self.customer.id, listed(self.today))
        # The collector's worklist shows it with its reason.
        row = self.env["debt.worklist"].search([("partner_id", "=", self.customer.id)])
        self.assertIn("handoff", row.reason_codes.split())
        self.assertNotIn(other.id, listed(self.today + timedelta(days=6)))
        self.assertIn(other.id, listed(self.today + timedelta(days=7)))
        # The provider answered: nothing to chase.
        wizard = (
            self.env["debt.contact.wizard"]
            .with_user(self.collector)
            .with_context(**sent.action_log_contact()["context"])
            .create({"summary": "The mediator called the customer"})
        )
        wizard.action_log()
        self.assertEqual(wizard.log_id.handoff_id, sent)
        self.assertEqual(wizard.log_id.direction, "inbound")
        self.assertNotIn(other.id, listed(self.today + timedelta(days=7)))
        # Accepted, then quiet for a month.
        sent.with_user(self.collector).action_accept()
        self.assertNotIn(other.id, listed(self.today + timedelta(days=29)))
        self.assertIn(other.id, listed(self.today + timedelta(days=30)))
        # A payment to report lists it at once.
        self._pay(sent_invoice, amount=10.0, pay_date=self.today)
        self.assertTrue(sent.activity_ids)
        self.assertIn(other.id, listed(self.today))

    def test_worklist_waits_as_long_as_the_company_says(self):
        """How long a hand-off waits for its provider's answer, and for news
        once accepted, are the company's settings."""
        other = self._create_customer("Deco Addict")
        sent = self._create_handoff(
            self._create_invoice(other, self.today), provider_id=self.mediator.id
        )
        settings = self.env["res.config.settings"].create(
            {"debt_handoff_answer_days": 3, "debt_handoff_quiet_days": 10}
        )
        settings.execute()
        self.assertEqual(self.company.debt_handoff_answer_days, 3)
        Handoff = self.env["debt.handoff"]

        def listed(day):
            return {
                row[0] for row in self.env.execute_query(Handoff._worklist_query(day))
            }

        self.assertNotIn(other.id, listed(self.today + timedelta(days=2)))
        self.assertIn(other.id, listed(self.today + timedelta(days=3)))
        sent.with_user(self.collector).action_accept()
        self.assertNotIn(other.id, listed(self.today + timedelta(days=9)))
        self.assertIn(other.id, listed(self.today + timedelta(days=10)))
        with self.assertRaises(ValidationError):
            self.company.debt_handoff_quiet_days = -1
