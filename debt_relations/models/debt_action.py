import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from odoo.addons.mail.models.mail_message import _image_dataurl

from ..services import eligibility, escalation

ANALYZE_AFTER = 1000
"""Actions created at once from which their tables' statistics are refreshed."""


class DebtAction(models.Model):
    """A reminder the run prepared for one customer: sent, waiting or skipped.

    One action per customer per run, whatever the number of invoices: the
    customer gets one message listing them all.
    """

    _name = "debt.action"
    _description = "Collection Action"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "partner_id"

    run_id = fields.Many2one(
        "debt.collection.run", ondelete="set null", index=True, readonly=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    recipient_id = fields.Many2one(
        "res.partner",
        compute="_compute_recipient_id",
        help="The billing contact the reminder is addressed to.",
    )
    stage_id = fields.Many2one(
        "debt.stage", required=True, readonly=True, ondelete="restrict", index=True
    )
    partner_stage_id = fields.Many2one(
        "debt.stage",
        readonly=True,
        ondelete="set null",
        help="The customer's rung once this action is sent.",
    )
    tone = fields.Selection(related="stage_id.tone")
    date = fields.Date(string="As of", required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    move_ids = fields.Many2many(
        "account.move",
        "debt_action_move_rel",
        "action_id",
        "move_id",
        string="Invoices",
        readonly=True,
    )
    move_stages = fields.Json(
        readonly=True, help="Invoices that climb a rung: move id -> stage id."
    )
    agreement_broken = fields.Boolean(
        string="Acknowledges a Broken Agreement",
        readonly=True,
        help="The customer broke a payment plan or a promise since the last "
        "contact: the reminder says so, at the customer's current rung.",
    )
    amount_due = fields.Monetary(
        compute="_compute_amount_due", currency_field="currency_id"
    )
    state = fields.Selection(
        [
            ("to_review", "To Review"),
            ("queued", "Queued"),
            ("done", "Sent"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="queued",
        index=True,
        readonly=True,
    )
    send_email = fields.Boolean(related="stage_id.send_email")
    send_letter = fields.Boolean(related="stage_id.send_letter")
    schedule_call = fields.Boolean(related="stage_id.schedule_call")
    requires_review = fields.Boolean(related="stage_id.requires_review")
    reviewed_by_id = fields.Many2one("res.users", readonly=True)
    review_note = fields.Text()
    note = fields.Text(readonly=True, help="What happened when it was sent.")
    mail_message_id = fields.Many2one("mail.message", readonly=True)
    letter_attachment_id = fields.Many2one("ir.attachment", readonly=True)
    contact_log_ids = fields.One2many("debt.contact.log", "action_id", readonly=True)

    @api.depends("partner_id")
    def _compute_recipient_id(self):
        for action in self:
            action.recipient_id = action.partner_id._debt_billing_contact()

    @api.depends("move_ids.amount_residual")
    def _compute_amount_due(self):
        for action in self:
            action.amount_due = sum(action.move_ids.mapped("amount_residual_signed"))

    @api.model
    def _create_prepared(self, run, decisions):
        """Create the actions of ``run`` for ``decisions`` (those that contact).

        A run prepares one action per customer contacted, tens of thousands on
        a large ledger: they are inserted with two set-based ``INSERT``s (the
        actions, then their invoices) instead of the generic ``create``, which
        costs a default lookup and a many2many write per record. Nothing here
        needs the ORM's logic: the values are the run's own decisions.
        """
        run.ensure_one()
        if not decisions:
            return self.browse()
        self.flush_model()
        self.env["debt.collection.run"].flush_model()
        uid = self.env.uid
        rows = self.env.execute_query(
            SQL(
                """
            INSERT INTO debt_action (
                run_id, company_id, date, partner_id, stage_id, partner_stage_id,
                state, move_stages, agreement_broken,
                create_uid, create_date, write_uid, write_date)
            SELECT %(run)s, %(company)s, %(date)s, d.partner_id, d.stage_id,
                   d.partner_stage_id, d.state, d.move_stages::jsonb,
                   d.agreement_broken,
                   %(uid)s, NOW() AT TIME ZONE 'UTC',
                   %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM UNNEST(%(partners)s::int[], %(stages)s::int[],
                          %(partner_stages)s::int[], %(states)s::varchar[],
                          %(move_stages)s::text[], %(broken)s::bool[])
                   AS d(partner_id, stage_id, partner_stage_id, state,
                        move_stages, agreement_broken)
         RETURNING partner_id, id
                """,
                run=run.id,
                company=run.company_id.id,
                date=run.date,
                uid=uid,
                partners=[d.partner_id for d in decisions],
                stages=[d.stage_id for d in decisions],
                partner_stages=[d.partner_stage_id for d in decisions],
                states=[
                    "to_review" if d.requires_review else "queued" for d in decisions
                ],
                move_stages=[
                    json.dumps({str(mid): sid for mid, sid in d.move_stages.items()})
                    for d in decisions
                ],
                broken=[bool(d.agreement_broken) for d in decisions],
            )
        )
        # One action per customer and run: the customer tells which is which.
        action_of = dict(rows)
        action_ids = [action_of[d.partner_id] for d in decisions]
        links = [
            (action_of[decision.partner_id], move_id)
            for decision in decisions
            for move_id in decision.move_ids
        ]
        if links:
            self.env.execute_query(
                SQL(
                    "INSERT INTO debt_action_move_rel (action_id, move_id) "
                    "SELECT * FROM UNNEST(%s::int[], %s::int[])",
                    [link[0] for link in links],
                    [link[1] for link in links],
                )
            )
        if len(decisions) >= ANALYZE_AFTER:
            # Thousands of rows arrived at once: without fresh statistics the
            # planner keeps believing the tables small, and the sending phase's
            # updates of these actions fall back to scanning them all.
            self.env.execute_query(SQL("ANALYZE debt_action, debt_action_move_rel"))
        run.invalidate_recordset(
            ["action_ids", "reminder_count", "review_count", "queued_count"]
        )
        return self.browse(action_ids)

    # ------------------------------------------------------------------
    # Review
    # ------------------------------------------------------------------

    def action_approve(self):
        """Approve prepared actions: they are verified again, sent and logged."""
        self._check_reviewable()
        self.write({"state": "queued", "reviewed_by_id": self.env.uid})
        self._execute()
        # sudo: a run's figures are bookkeeping collectors may not edit by hand.
        for run in self.run_id.sudo():
            run._write_stage_lines()
        return True

    def action_skip(self):
        """Do not send these prepared actions; the customer stays on its rung."""
        self._check_reviewable()
        self.write({"state": "skipped", "reviewed_by_id": self.env.uid})
        return True

    def _check_reviewable(self):
        not_waiting = self.filtered(lambda a: a.state != "to_review")
        if not_waiting:
            raise UserError(
                self.env._(
                    "Only actions waiting for review can be approved or skipped: "
                    "%(customers)s.",
                    customers=", ".join(not_waiting.partner_id.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def _get_reminder_lines(self):
        """Lines the reminder lists: number, due date, days overdue, residual."""
        self.ensure_one()
        lines = []
        for move in self.move_ids.sorted(lambda m: (m.invoice_date_due, m.id)):
            due = move.debt_open_due_date or move.invoice_date_due
            lines.append(
                {
                    "move": move,
                    "name": move.name,
                    "date_due": due,
                    "days_overdue": max(escalation.days_overdue(due, self.date), 0),
                    "residual": move.amount_residual,
                    "currency": move.currency_id,
                }
            )
        return lines

    def _execute(self):
        """Verify, send and log queued actions; move customers and invoices up."""
        for company, actions in (
            self.filtered(lambda a: a.state == "queued").grouped("company_id").items()
        ):
            actions.with_company(company)._execute_company()

    def _execute_company(self):
        company = self.env.company
        Run = self.env["debt.collection.run"]
        facts = {
            inv.move_id: inv
            for inv in Run._gather_invoice_facts(company, self.move_ids.ids)
        }
        to_send = self.browse()
        for action in self:
            # The customer may have been paused or asked not to be contacted
            # since the action was prepared (e.g. while it waited for review).
            partner = action.partner_id
            reason = eligibility.partner_skip_reason(
                eligibility.PartnerFacts(
                    partner.id,
                    paused_until=partner.debt_paused_until,
                    do_not_contact=partner.debt_do_not_contact,
                ),
                action.date,
            )
            if reason:
                action.write(
                    {
                        "state": "cancelled",
                        "note": self.env._(
                            "Not sent: the customer was paused or asked not to be "
                            "contacted before sending."
                        ),
                    }
                )
                continue
            policy = action.stage_id.policy_id
            keep, dropped = escalation.reverify(
                [facts[mid] for mid in action.move_ids.ids if mid in facts],
                policy.tolerance_amount,
                company.currency_id.rounding,
            )
            if not keep:
                action.write(
                    {
                        "state": "cancelled",
                        "note": self.env._(
                            "Nothing left to remind: the invoices were settled, "
                            "excluded or put on hold before sending."
                        ),
                    }
                )
                continue
            if dropped:
                action.move_ids = [fields.Command.set(keep)]
            to_send |= action
        if not to_send:
            return
        logs = []
        for template, actions in (
            # A stage that also writes or calls still reaches a customer
            # without an email address, by those channels only.
            to_send.filtered(lambda a: a.send_email and a.recipient_id.email)
            .grouped(lambda a: a.stage_id.mail_template_id)
            .items()
        ):
            logs += actions._send_emails(template)
        logs += to_send.filtered("send_letter")._print_letters()
        logs += to_send.filtered("schedule_call")._schedule_calls()
        logs += to_send.filtered("stage_id.is_handoff")._hand_off()
        self.env["debt.contact.log"].create(logs)
        to_send._move_stages()
        to_send.write({"state": "done"})

    def _log_vals(self, channel, summary, **extra):
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "move_ids": [fields.Command.set(self.move_ids.ids)],
            "date": self.date,
            "channel": channel,
            "direction": "outbound",
            "stage_id": self.stage_id.id,
            "summary": summary,
            "user_id": (self.reviewed_by_id or self.env.user).id,
            "company_id": self.company_id.id,
            "action_id": self.id,
            **extra,
        }

    def _send_emails(self, template):
        """Render ``template`` for every action and queue one mail per customer.

        Rendering and mail creation are batched; each mail is posted on the
        customer's chatter, addressed to its billing contact.
        """
        logs = []
        subtype = self.env.ref("mail.mt_note")
        for batch in split_every(100, self.ids, self.browse):
            rendered = template.with_context(debt_render_batch=True)._generate_template(
                batch.ids,
                (
                    "attachment_ids",
                    "body_html",
                    "email_cc",
                    "email_from",
                    "email_to",
                    "partner_to",
                    "reply_to",
                    "subject",
                    "mail_server_id",
                ),
            )
            values_list = []
            for action in batch:
                values = rendered[action.id]
                partner_ids = values.pop("partner_ids", None) or []
                if not partner_ids and not values.get("email_to"):
                    partner_ids = action.recipient_id.ids
                values_list.append(
                    {
                        "subject": values.get("subject"),
                        "body_html": values.get("body_html"),
                        "email_from": values.get("email_from")
                        or action.company_id.email_formatted,
                        "email_to": values.get("email_to"),
                        "email_cc": values.get("email_cc"),
                        "mail_server_id": values.get("mail_server_id"),
                        "recipient_ids": [
                            fields.Command.link(pid) for pid in partner_ids
                        ],
                        "attachment_ids": [
                            fields.Command.link(aid)
                            for aid in values.get("attachment_ids") or []
                        ],
                        "model": "res.partner",
                        "res_id": action.partner_id.id,
                        "record_name": action.partner_id.display_name,
                        "message_type": "email_outgoing",
                        "subtype_id": subtype.id,
                        "author_id": action.company_id.partner_id.id,
                        "auto_delete": False,
                        "reply_to": values.get("reply_to"),
                    }
                )
            self._fill_reply_to(batch, values_list)
            mails = self._create_mails(values_list)
            for action, mail in zip(batch, mails, strict=True):
                action.mail_message_id = mail.mail_message_id
                logs.append(
                    action._log_vals(
                        "email",
                        mail.subject or action.stage_id.name,
                        message_id=mail.mail_message_id.id,
                    )
                )
        return logs

    def _fill_reply_to(self, actions, values_list):
        """Give the mails the template leaves without a Reply-To the one Odoo
        gives a message posted on the customer (the catchall alias when there
        is one), so that answers land on its chatter: one lookup per sender
        address, instead of one per mail when the message computes it.
        """
        pending = {}
        for action, values in zip(actions, values_list, strict=True):
            if not values.get("reply_to"):
                pending.setdefault(values["email_from"], []).append(
                    (action.partner_id, values)
                )
        for email_from, items in pending.items():
            partners = self.env["res.partner"].browse(
                list({partner.id for partner, _values in items})
            )
            reply_to = partners._notify_get_reply_to(default=email_from)
            for partner, values in items:
                values["reply_to"] = reply_to[partner.id]

    @api.model
    def _create_mails(self, values_list):
        """Create the ``mail.mail`` of ``values_list``, their chatter body
        being each one's ``body_html``.

        Odoo sanitizes a message body three times on ``create`` (into the
        column, into the cache, and again into the mail's cache of the
        inherited field), a third of the cost of queueing a reminder. The
        mails are created by the ORM (every override and default applies) with
        an empty body; the bodies, sanitized once with the body field's own
        rules, are then written with one ``UPDATE``. A body with an embedded
        image goes through ``create`` itself, which turns the image into an
        attachment.
        """
        Message = self.env["mail.message"]
        body_field = Message._fields["body"]
        late_bodies = []
        for values in values_list:
            body = values.get("body_html") or ""
            if _image_dataurl.search(body):
                values["body"] = body
                late_bodies.append(None)
            else:
                late_bodies.append(body)
        # sudo: the mail queue is written by the run on behalf of the company.
        mails = self.env["mail.mail"].sudo().create(values_list)
        late = [
            (mail.mail_message_id.id, body_field.convert_to_column(body, Message))
            for mail, body in zip(mails, late_bodies, strict=True)
            if body
        ]
        if late:
            self.env.execute_query(
                SQL(
                    "UPDATE mail_message SET body = d.body "
                    "FROM UNNEST(%s::int[], %s::text[]) AS d(id, body) "
                    "WHERE mail_message.id = d.id",
                    [row[0] for row in late],
                    [row[1] for row in late],
                )
            )
            mails.mail_message_id.invalidate_recordset(["body"])
            mails.invalidate_recordset(["body"])
        return mails

    def _print_letters(self):
        """Print one letter (PDF) per action, kept on the action and the log."""
        logs = []
        report = self.env.ref("debt_relations.action_report_debt_letter")
        Report = self.env["ir.actions.report"]
        # Without wkhtmltopdf the letter is kept as HTML, printable from a browser,
        # rather than holding up every reminder of the run.
        as_pdf = Report.get_wkhtmltopdf_state() != "install"
        for action in self:
            name = self.env._(
                "Letter %(customer)s %(date)s",
                customer=action.partner_id.display_name,
                date=fields.Date.to_string(action.date),
            )
            if as_pdf:
                content, kind = Report._render_qweb_pdf(report, res_ids=action.ids)
            else:
                content, kind = Report._render_qweb_html(report, action.ids)
            # What Odoo returned decides: it renders HTML in test mode, too.
            is_pdf = kind == "pdf"
            attachment = self.env["ir.attachment"].create(
                {
                    "name": f"{name}.pdf" if is_pdf else f"{name}.html",
                    "raw": content,
                    "res_model": self._name,
                    "res_id": action.id,
                    "mimetype": "application/pdf" if is_pdf else "text/html",
                }
            )
            action.letter_attachment_id = attachment
            logs.append(
                action._log_vals(
                    "letter",
                    self.env._("Letter: %(stage)s", stage=action.stage_id.name),
                    attachment_id=attachment.id,
                )
            )
        return logs

    def _schedule_calls(self):
        """A phone-call activity for the customer's collector, per action."""
        logs = []
        for action in self:
            # sudo: a collector approving the reminder may only read customers;
            # the activity is the run's, assigned to the user who acts on it.
            partner = action.partner_id.sudo()
            partner.activity_schedule(
                "debt_relations.mail_activity_type_debt_call",
                date_deadline=action.date,
                summary=self.env._(
                    "Collection call: %(stage)s", stage=action.stage_id.name
                ),
                note=action.stage_id.note or "",
                user_id=action._debt_caller().id,
            )
            logs.append(
                action._log_vals(
                    "call",
                    self.env._("Call scheduled: %(stage)s", stage=action.stage_id.name),
                )
            )
        return logs

    def _debt_caller(self):
        """Who makes the call: the account manager when the stage says so."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        if self.stage_id.call_account_manager and partner.user_id:
            return partner.user_id
        return partner._debt_collector(self.stage_id.policy_id)

    def _hand_off(self):
        """The file leaves the ladder: the collector prepares the dossier."""
        logs = []
        for action in self:
            # sudo: a collector approving the reminder may only read customers;
            # the activity is the run's, assigned to the user who acts on it.
            partner = action.partner_id.sudo()
            partner.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=action.date,
                summary=self.env._("Hand the file over to mediation"),
                note=action.stage_id.note or "",
                user_id=partner._debt_collector(action.stage_id.policy_id).id,
            )
            logs.append(
                action._log_vals(
                    "note",
                    self.env._("Handed over: %(stage)s", stage=action.stage_id.name),
                )
            )
        return logs

    def _move_stages(self):
        """Invoices climb to their new rung, customers to the action's rung."""
        rows = {}
        for action in self:
            stages = action.move_stages or {}
            for move_id in action.move_ids.ids:
                rows[move_id] = (move_id, stages.get(str(move_id)), action.date)
        self.env["account.move"]._debt_write_contacts(list(rows.values()))
        for stage, actions in self.grouped("partner_stage_id").items():
            # sudo: the rung reached is bookkeeping of the run; collectors who
            # approve a reminder need not be allowed to edit customers.
            actions.partner_id.sudo().write({"debt_stage_id": stage.id})
