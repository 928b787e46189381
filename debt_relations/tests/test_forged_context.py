from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import DebtHttpCase, load_migration

BILLING = "base.group_user,account.group_account_invoice"

CONTEXT_KEYS = (
    "debt_owner",
    "debt_fastpath",
    "debt_fastpath_batch",
    "debt_render_batch",
    "debt_qweb_batch",
    "debt_company_sender",
    "debt_portal_link_unsent",
    "debt_expected_dates_later",
    # keys of earlier versions, and the ones a caller might guess
    "debt_agreement_transition",
    "debt_ladder_checked_by_policy",
    "debt_log_channel",
    "debt_dispute_id",
)
"""Every context key the addon reads (README, Security), and the ones it
read before: none may grant a right."""

MAGIC = {"id", "display_name", "create_uid", "create_date", "write_uid", "write_date"}


@tagged("post_install", "-at_install")
class TestForgedContext(DebtHttpCase):
    """A caller reaches the ORM through JSON-RPC with a context of its choice:
    no context key lets a collector or a billing user write what the run and
    the records' own buttons own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._collections_user("forge_collector")
        cls.manager = cls._collections_user("forge_manager", "manager")
        cls.billing = new_test_user(
            cls.env,
            login="forge_billing",
            groups=BILLING,
            company_id=cls.env.company.id,
            company_ids=[cls.env.company.id],
        )

    def _forged_contexts(self, record_id):
        """Every key set to true, then to an id; the owners' key to every
        model's name, as a list and as a dict."""
        models = sorted(self.env.registry)
        return [
            dict(dict.fromkeys(CONTEXT_KEYS, True), debt_owner=models),
            dict(
                dict.fromkeys(CONTEXT_KEYS, record_id),
                debt_owner=dict.fromkeys(models, True),
            ),
        ]

    def _forged_value(self, record, fname):
        """A value other than the record's for ``fname``."""
        field = record._fields[fname]
        current = record[fname]
        if field.type == "boolean":
            return not current
        if field.type in ("char", "text", "html"):
            return "<b>forged</b>"
        if field.type == "selection":
            values = [value for value, _label in field._description_selection(self.env)]
            return next(value for value in values if value != current)
        if field.type in ("integer", "float", "monetary"):
            return (current or 0) + 7
        if field.type == "date":
            return fields.Date.to_string((current or self.today) + timedelta(days=3))
        if field.type == "datetime":
            return "2020-01-02 03:04:05"
        if field.type == "json":
            return [{"id": 1, "name": "forged"}]
        comodel = self.env[field.comodel_name].sudo()
        other = comodel.search([("id", "not in", current.ids)], limit=1)
        if field.type == "many2one":
            return other.id if other else False
        return [Command.set(other.ids)]

    def _stored_values(self, record, fnames):
        record.invalidate_recordset()
        values = record.sudo().read(fnames)[0]
        return values

    def _assert_refused(self, users, record, fnames):
        """Each of ``fnames`` written on ``record`` by each of ``users``
        through ``/web/dataset/call_kw``, with every forged context, is refused
        and writes nothing."""
        self.assertTrue(fnames, record)
        before = self._stored_values(record, fnames)
        for user in users:
            for fname in fnames:
                value = self._forged_value(record, fname)
                for context in self._forged_contexts(record.id):
                    with self.subTest(
                        model=record._name, field=fname, user=user.login, ctx=context
                    ):
                        _result, error = self._call_kw(
                            user,
                            record._name,
                            "write",
                            [record.ids, {fname: value}],
                            {"context": context},
                        )
                        self.assertIsNotNone(error, f"{record._name}.{fname} written")
                        self.assertIn(
                            error["name"],
                            (
                                "odoo.exceptions.UserError",
                                "odoo.exceptions.AccessError",
                                "odoo.exceptions.ValidationError",
                            ),
                        )
        self.assertEqual(self._stored_values(record, fnames), before)

    def _owned(self, record):
        if hasattr(record, "_debt_owned"):
            owned = record._debt_owned(list(record._fields))
        else:  # Odoo's models: their list, checked by the same functions
            owned = list(record._debt_owned_fields)
        return [
            fname
            for fname in owned
            if fname not in MAGIC
            and record._fields[fname].store
            and record._fields[fname].type != "binary"
        ]

    # ------------------------------------------------------------------
    # Records of every model with owned fields
    # ------------------------------------------------------------------

    def _records(self):
        """One record of each model that owns fields, as the run leaves it."""
        customer = self._create_customer("Forge Customer")
        invoices = [
            self._create_invoice(customer, self.today - timedelta(days=9), 100.0 + i)
            for i in range(4)
        ]
        run = self._run(self.today)
        action = run.action_ids.filtered(lambda a: a.partner_id == customer)
        log = self._logs(customer, channel="email")
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": customer.id,
                "move_ids": [Command.set(invoices[0].ids)],
                "date": self.today,
                "installment_ids": [
                    Command.create(
                        {"date_due": self.today + timedelta(days=7), "amount": 50.0}
                    ),
                    Command.create(
                        {"date_due": self.today + timedelta(days=37), "amount": 50.0}
                    ),
                ],
            }
        )
        promise = self.env["debt.promise"].create(
            {
                "partner_id": customer.id,
                "move_ids": [Command.set(invoices[1].ids)],
                "amount": 50.0,
                "date": self.today,
                "date_promised": self.today + timedelta(days=5),
            }
        )
        dispute = self.env["debt.dispute"].create(
            {"move_id": invoices[2].id, "reason": "quality", "description": "Broken"}
        )
        # As the portal creates them (sudo), with what the customer wrote.
        claim = (
            self.env["debt.portal.claim"]
            .sudo()
            .create(
                {
                    "partner_id": customer.id,
                    "move_ids": [Command.set(invoices[3].ids)],
                    "date_paid": self.today,
                    "amount": 103.0,
                    "date_until": self.today + timedelta(days=7),
                }
            )
        )
        pause = (
            self.env["debt.portal.pause"]
            .sudo()
            .create({"partner_id": customer.id, "days": 14, "reason": "Moving offices"})
        )
        contact = (
            self.env["debt.portal.contact"]
            .sudo()
            .create(
                {
                    "partner_id": customer.id,
                    "billing_id": customer.id,
                    "email_old": customer.email,
                    "email_new": "new.billing@example.com",
                    "key": "forge-confirmation-key",
                    "expires_at": "2030-01-01 00:00:00",
                }
            )
        )
        profile = self.env["debt.partner.profile"].search(
            [("partner_id", "=", customer.id)]
        )
        return {
            "action": action,
            "log": log,
            "plan": plan,
            "installment": plan.installment_ids[0],
            "promise": promise,
            "dispute": dispute,
            "claim": claim,
            "pause": pause,
            "contact": contact,
            "profile": profile,
            "invoice": invoices[0],
            "customer": customer,
        }

    def test_owned_fields_refused_to_collectors_and_billing_users(self):
        records = self._records()
        for name, record in records.items():
            with self.subTest(record=name):
                self.assertEqual(len(record), 1, name)
                owned = self._owned(record)
                self._assert_refused([self.collector, self.billing], record, owned)
        # The run's own rungs on the invoice and the customer moved: the
        # records above are as the run left them, not blank.
        self.assertTrue(records["invoice"].debt_stage_id)
        self.assertTrue(records["customer"].debt_stage_id)
        self.assertEqual(records["log"].delivery_state, "sent")

    def test_contact_log_append_only_whatever_the_context(self):
        records = self._records()
        log = records["log"]
        self._assert_refused(
            [self.collector, self.manager], log, ["summary", "body", "channel", "date"]
        )

    def test_run_owned_records_not_created_by_callers(self):
        records = self._records()
        customer, invoice = records["customer"], records["invoice"]
        attempts = [
            (
                "debt.promise",
                {
                    "partner_id": customer.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "amount": 10.0,
                    "date_promised": fields.Date.to_string(
                        self.today + timedelta(days=3)
                    ),
                    "state": "kept",
                },
            ),
            (
                "debt.dispute",
                {
                    "move_id": invoice.id,
                    "reason": "quality",
                    "description": "From the portal, says the log",
                    "origin": "portal",
                },
            ),
            (
                "debt.contact.log",
                {
                    "partner_id": customer.id,
                    "summary": "Paid in full, says the snapshot",
                    "channel": "email",
                    "delivery_state": "sent",
                },
            ),
            (
                "debt.contact.log",
                {
                    "partner_id": customer.id,
                    "summary": "Rewritten invoices",
                    "move_ids": [Command.set(invoice.ids)],
                    "invoice_snapshot": [{"id": invoice.id, "residual": 0.0}],
                },
            ),
            ("debt.action", {"partner_id": customer.id, "state": "done"}),
            ("debt.partner.profile", {"partner_id": customer.id, "paid_count": 99}),
            (
                "debt.payment.plan",
                {"partner_id": customer.id, "state": "active"},
            ),
        ]
        for model, values in attempts:
            count = self.env[model].sudo().search_count([])
            for user in (self.collector, self.manager):
                for context in self._forged_contexts(invoice.id):
                    with self.subTest(model=model, user=user.login, ctx=context):
                        _result, error = self._call_kw(
                            user, model, "create", [values], {"context": context}
                        )
                        self.assertIsNotNone(error, f"{model} created with {values}")
            self.assertEqual(self.env[model].sudo().search_count([]), count, model)

    def test_dispute_opened_by_a_collector_is_never_logged_as_the_customers(self):
        customer = self._create_customer("Forge Dispute")
        invoice = self._create_invoice(customer, self.today - timedelta(days=5))
        result, error = self._call_kw(
            self.collector,
            "debt.dispute",
            "create",
            [{"move_id": invoice.id, "reason": "quality", "description": "Late"}],
            {"context": {"debt_log_channel": "portal", "debt_owner": ["debt.dispute"]}},
        )
        self.assertIsNone(error)
        dispute = self.env["debt.dispute"].browse(result)
        self.assertEqual(dispute.origin, "collector")
        [log] = self._logs(customer)
        self.assertEqual(log.channel, "note")
        self.assertEqual(log.direction, "inbound")

    def test_no_caller_posts_as_the_company(self):
        """The company's sender fills in only for the addon's own messages:
        a user without an address who sends the key is refused as Odoo
        refuses it, and nothing goes out from the company."""
        nobody = self._collections_user("forge_no_email")
        nobody.partner_id.email = False
        _invoice, dispute = self._disputed("Forge Sender")
        messages = dispute.message_ids
        for context in self._forged_contexts(dispute.id):
            with self.subTest(ctx=context):
                _result, error = self._call_kw(
                    nobody,
                    "debt.dispute",
                    "message_post",
                    [dispute.ids],
                    {
                        "body": "Pay now, from the company",
                        "message_type": "comment",
                        "context": context,
                    },
                )
                self.assertIsNotNone(error)
        dispute.invalidate_recordset()
        self.assertEqual(dispute.message_ids, messages)

    # ------------------------------------------------------------------
    # The credit note that resolves a dispute
    # ------------------------------------------------------------------

    def _disputed(self, name):
        customer = self._create_customer(name)
        invoice = self._create_invoice(customer, self.today - timedelta(days=5))
        dispute = self.env["debt.dispute"].create(
            {"move_id": invoice.id, "reason": "pricing", "description": "Too much"}
        )
        return invoice, dispute

    def _reversal(self, user, invoice, context):
        """The credit note wizard created and confirmed through JSON-RPC."""
        ctx = dict(context, active_model="account.move", active_ids=invoice.ids)
        wizard_id, error = self._call_kw(
            user,
            "account.move.reversal",
            "create",
            [{"journal_id": invoice.journal_id.id, "reason": "Credit"}],
            {"context": ctx},
        )
        if error:
            return error
        _result, error = self._press(
            user, "account.move.reversal", "reverse_moves", [wizard_id], ctx
        )
        return error

    def test_credit_note_with_another_disputes_id_leaves_it_open(self):
        invoice_a, dispute_a = self._disputed("Forge Reversal A")
        invoice_b, dispute_b = self._disputed("Forge Reversal B")
        for user in (self.collector, self.billing):
            for context in (
                {"default_debt_dispute_id": dispute_b.id},
                {"debt_dispute_id": dispute_b.id, "debt_owner": ["debt.dispute"]},
            ):
                with self.subTest(user=user.login, ctx=context):
                    credit_notes = invoice_a.reversal_move_ids
                    error = self._reversal(user, invoice_a, context)
                    invoice_a.invalidate_recordset()
                    if "default_debt_dispute_id" in context:
                        self.assertIsNotNone(error)
                        if user == self.collector:
                            self.assertIn(invoice_b.name, error["message"])
                        else:
                            self.assertEqual(
                                error["name"], "odoo.exceptions.AccessError"
                            )
                        # refused before anything was written
                        self.assertEqual(invoice_a.reversal_move_ids, credit_notes)
                    else:
                        # the old key is not read: the credit note is made,
                        # and no dispute closes
                        self.assertIsNone(error)
                        self.assertGreater(
                            len(invoice_a.reversal_move_ids), len(credit_notes)
                        )
                    dispute_b.invalidate_recordset()
                    dispute_a.invalidate_recordset()
                    self.assertEqual(dispute_b.state, "open")
                    self.assertEqual(dispute_a.state, "open")

    def test_credit_note_resolves_its_own_dispute_for_collectors_only(self):
        invoice, dispute = self._disputed("Forge Resolve")
        # A billing user may make credit notes, not settle disputes.
        error = self._reversal(
            self.billing, invoice, {"default_debt_dispute_id": dispute.id}
        )
        self.assertEqual(error["name"], "odoo.exceptions.AccessError")
        self.assertFalse(invoice.reversal_move_ids)
        self.assertEqual(dispute.state, "open")
        # The collector's Resolve button opens the wizard with its dispute.
        action, error = self._press(
            self.collector, "debt.dispute", "action_resolve", dispute.ids
        )
        self.assertIsNone(error)
        context = {
            key: value
            for key, value in action["context"].items()
            if key not in ("active_model", "active_ids")
        }
        self.assertIsNone(self._reversal(self.collector, invoice, context))
        dispute.invalidate_recordset()
        self.assertEqual(dispute.state, "resolved")
        self.assertTrue(invoice.reversal_move_ids)

    # ------------------------------------------------------------------
    # The ladder's order
    # ------------------------------------------------------------------

    def test_ladder_order_checked_whatever_the_context(self):
        policy = self.company.debt_policy_id
        stages = policy._get_ladder_stages()
        top = stages[-1]
        lower_days = stages[0].offset_days - 5
        for context in self._forged_contexts(policy.id):
            with self.subTest(ctx=context):
                _result, error = self._call_kw(
                    self.manager,
                    "debt.stage",
                    "write",
                    [top.ids, {"offset_days": lower_days}],
                    {"context": context},
                )
                self.assertIsNotNone(error)
                self.assertIn("cannot decrease up the ladder", error["message"])
                _result, error = self._call_kw(
                    self.manager,
                    "debt.stage",
                    "create",
                    [
                        {
                            "policy_id": policy.id,
                            "name": "Forged rung",
                            "sequence": top.sequence + 10,
                            "offset_days": lower_days,
                            "mail_template_id": top.mail_template_id.id,
                        }
                    ],
                    {"context": context},
                )
                self.assertIsNotNone(error)
                self.assertIn("cannot decrease up the ladder", error["message"])
        top.invalidate_recordset()
        self.assertNotEqual(top.offset_days, lower_days)
        self.assertEqual(policy._get_ladder_stages(), stages)

    def test_migration_marks_the_disputes_opened_from_the_portal(self):
        migration = load_migration("18.0.1.3.0", "post-dispute_origin.py")
        portal_invoice, from_portal = self._disputed("Migrated Portal")
        _invoice, by_collector = self._disputed("Migrated Collector")
        self.env["debt.contact.log"].create(
            {
                "partner_id": portal_invoice.partner_id.id,
                "move_ids": [Command.set(portal_invoice.ids)],
                "channel": "portal",
                "direction": "inbound",
                "summary": "Dispute opened",
            }
        )
        self.env.flush_all()
        self.assertGreaterEqual(migration.mark_portal_disputes(self.env.cr), 1)
        self.env.invalidate_all()
        self.assertEqual(from_portal.origin, "portal")
        self.assertEqual(by_collector.origin, "collector")
