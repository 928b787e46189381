from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .. import fastpath
from .mail_mail import is_permanent

DELIVERY_STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("not_applicable", "Not Applicable"),
]
DELIVERY_FIELDS = frozenset(
    {"delivery_state", "delivery_attempts", "delivery_error", "first_failure_at"}
)
"""What the mail queue writes on an entry (through :meth:`_write_delivery`)."""
OWNED_FIELDS = (*sorted(DELIVERY_FIELDS), "invoice_snapshot")
"""What the model maintains on an entry after its creation; the rest of an
entry never changes."""

CHANNELS = [
    ("email", "Email"),
    ("letter", "Letter"),
    ("call", "Phone Call"),
    ("sms", "SMS"),
    ("meeting", "Meeting"),
    ("portal", "Customer Portal"),
    ("note", "Note"),
]


class DebtContactLog(models.Model):
    """Every contact with a customer about money owed, in or out.

    Append-only: an entry is never edited nor deleted; a correction is a new entry.
    """

    _name = "debt.contact.log"
    _inherit = "debt.owned.mixin"
    _description = "Collection Contact Log"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "summary"
    _debt_owned_fields = OWNED_FIELDS

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        domain="[('parent_id', '=', False)]",
    )
    move_ids = fields.Many2many(
        "account.move",
        "debt_contact_log_move_rel",
        "log_id",
        "move_id",
        string="Invoices",
        check_company=True,
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    channel = fields.Selection(CHANNELS, required=True, default="note")
    direction = fields.Selection(
        [("outbound", "Outbound"), ("inbound", "Inbound")],
        required=True,
        default="outbound",
    )
    stage_id = fields.Many2one("debt.stage", ondelete="restrict", check_company=True)
    summary = fields.Char(required=True)
    outcome = fields.Text()
    user_id = fields.Many2one(
        "res.users", string="By", default=lambda self: self.env.user, index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    action_id = fields.Many2one("debt.action", ondelete="set null", index=True)
    handoff_id = fields.Many2one(
        "debt.handoff",
        string="Hand-off",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        help="The hand-off to a mediator, agency or lawyer the entry is about.",
    )
    # Indexed: deleting a chatter message or an attachment looks them up here.
    # A message or mail deleted leaves the entry whole (its own ``body``).
    message_id = fields.Many2one(
        "mail.message", ondelete="set null", index="btree_not_null"
    )
    attachment_id = fields.Many2one(
        "ir.attachment", ondelete="set null", index="btree_not_null"
    )
    courtesy = fields.Boolean(
        readonly=True,
        help="A thank-you or reward notice, not a collection contact: it does "
        "not delay the next reminder.",
    )
    confirmation = fields.Boolean(
        readonly=True,
        help="Confirms or answers something the customer did (a plan signed "
        "online, a dispute settled, a request answered): not counted by the "
        "contact limit.",
    )
    invoice_snapshot = fields.Json(
        readonly=True,
        help="The invoices the contact was about, as they stood then (number, "
        "due date, open amount): kept even if an invoice is later changed.",
    )
    # Sanitised with the rules of the chatter's own bodies (mail.message.body):
    # the sender stores the text the chatter message was given, already
    # sanitised by them (see _keep_message_bodies).
    body = fields.Html(
        string="What Was Said",
        readonly=True,
        sanitize_style=True,
        help="The message as the customer received it: kept even if the chatter "
        "message is deleted.",
    )
    invoice_summary = fields.Text(
        string="Invoices Mentioned", compute="_compute_invoice_summary"
    )
    # Delivery of an email: the ladder follows delivery, not queueing.
    delivery_state = fields.Selection(
        DELIVERY_STATES,
        default="not_applicable",
        required=True,
        readonly=True,
        index=True,
        help="Queued: the email waits in the outgoing queue (or for a retry). "
        "Sent: the mail server accepted it. Failed: it could not be delivered; "
        "the customer was not reached by email.",
    )
    mail_id = fields.Many2one(
        "mail.mail", string="Email", readonly=True, ondelete="set null", index=True
    )
    # A call's delivery: queued while its to-do is open, sent once done.
    activity_id = fields.Many2one(
        "mail.activity",
        string="Call To-Do",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    delivery_attempts = fields.Integer(readonly=True)
    delivery_error = fields.Char(readonly=True)
    first_failure_at = fields.Datetime(readonly=True)

    @api.depends("invoice_snapshot")
    def _compute_invoice_summary(self):
        for log in self:
            log.invoice_summary = "\n".join(
                "{name} ({due}): {amount}".format(**line)
                for line in log.invoice_snapshot or []
            )

    @api.constrains("date")
    def _check_date(self):
        today = fields.Date.context_today(self)
        for log in self:
            if log.date > today:
                raise ValidationError(
                    self.env._(
                        "A contact cannot be logged in the future (%(date)s): log "
                        "it on the day it happens.",
                        date=fields.Date.to_string(log.date),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        Partner = self.env["res.partner"]
        for vals in vals_list:
            if vals.get("partner_id"):
                partner = Partner.browse(vals["partner_id"])
                vals["partner_id"] = partner.commercial_partner_id.id
        logs = super().create(vals_list)
        logs._store_invoice_snapshot()
        logs.filtered(
            lambda log: log.message_id and not log.body
        )._keep_message_bodies()
        return logs

    def _store_invoice_snapshot(self):
        """Keep what each entry said of its invoices, so the history survives
        a later change of them (an entry created with it is left as it is)."""
        # sudo: the snapshot is written once, at creation, by the entry itself.
        for log in self.sudo():
            if log.move_ids and not log.invoice_snapshot:
                log._debt_as_owner().write(
                    {"invoice_snapshot": self._invoice_snapshot(log.move_ids)}
                )

    @api.model
    def _invoice_snapshot(self, moves):
        """What an entry keeps of ``moves``: number, due date, open amount.

        The run's sender gives it at creation (``invoice_snapshot``), so that
        a batch of entries is inserted without an update of each one.
        """
        formats = fastpath.Formats.of(self.env)
        return [
            {
                "id": move.id,
                "name": move.name,
                "due": fields.Date.to_string(
                    move.debt_open_due_date or move.invoice_date_due
                ),
                "residual": move.amount_residual,
                # res.currency.format, the language looked up once
                "amount": formats.amount(move.amount_residual, move.currency_id),
            }
            for move in moves.sorted("id")
        ]

    def _keep_message_bodies(self):
        """Each entry keeps its chatter message's body as what was said, so
        that the entry still says it once the message (or its mail) is
        deleted (its links then become empty). Done at creation.

        That body is the mail's text as ``mail.message`` sanitised it, with
        the rules of this field (the same options): it is copied as it is,
        in one query, rather than sanitised a second time entry by entry.
        """
        if not self:
            return
        self.env["mail.message"].flush_model(["body"])
        self.flush_recordset(["message_id"])
        self.env.execute_query(
            SQL(
                "UPDATE %(log)s SET body = m.body FROM mail_message m "
                "WHERE %(log)s.message_id = m.id AND %(log)s.id = ANY(%(ids)s)",
                log=SQL.identifier(self._table),
                ids=fastpath.array(self.env, self.ids, "int4[]"),
            )
        )
        self.invalidate_recordset(["body"])

    def write(self, vals):
        # Append-only: what an entry says never changes, whoever writes; what
        # the model maintains (delivery, snapshot) only through its own code.
        if set(vals) - set(self._debt_owned_fields):
            self._refuse_change()
        return super().write(vals)

    def _debt_refuse_owned(self, fnames):
        if fnames:
            self._refuse_change()

    def _write_delivery(self, vals):
        """What the mail queue learns of an email's delivery: the only change
        an entry accepts after its creation."""
        if set(vals) - DELIVERY_FIELDS:
            self._refuse_change()
        return self._debt_as_owner().write(vals)

    # ------------------------------------------------------------------
    # Delivery (called by mail.mail once the queue tried to send)
    # ------------------------------------------------------------------

    def _call_made(self):
        """The collector marked the call's to-do done: the call reached the
        customer, as an email does once the mail server takes it (the
        reminder's rung moved when the call was scheduled)."""
        self.sudo()._write_delivery({"delivery_state": "sent", "delivery_error": False})

    def _call_cancelled(self, reason=None):
        """The call's to-do was cancelled (or closed by the run, ``reason``)
        before it was made."""
        self.sudo()._write_delivery(
            {
                "delivery_state": "failed",
                "delivery_error": reason
                or self.env._("The call was cancelled before it was made."),
            }
        )

    def _delivered(self):
        self.sudo()._write_delivery({"delivery_state": "sent", "delivery_error": False})
        self.action_id._on_delivered()

    def _delivery_failed(self, failure_type, failure_reason):
        """A failed attempt: retried with back-off while the failure may heal
        and the retry window lasts; otherwise the email has failed for good."""
        now = fields.Datetime.now()
        for log in self.sudo():
            window = timedelta(hours=log.company_id.debt_mail_retry_hours)
            error = self._plain_delivery_error(failure_type, failure_reason)
            attempts = log.delivery_attempts + 1
            first = log.first_failure_at or now
            if not is_permanent(failure_type, failure_reason) and now < first + window:
                log._write_delivery(
                    {
                        "delivery_attempts": attempts,
                        "first_failure_at": first,
                        "delivery_error": error,
                    }
                )
                log.mail_id._debt_retry_later(attempts)
                continue
            log._write_delivery(
                {
                    "delivery_state": "failed",
                    "delivery_attempts": attempts,
                    "first_failure_at": first,
                    "delivery_error": error,
                }
            )
            log.action_id._on_delivery_failed(error)

    @api.model
    def _plain_delivery_error(self, failure_type, failure_reason):
        """The failure in words a collector understands."""
        if failure_type == "mail_email_invalid":
            return self.env._("The email address is not valid.")
        if failure_type == "mail_email_missing":
            return self.env._("The customer has no email address.")
        detail = " ".join((failure_reason or "").split())[:300]
        if is_permanent(failure_type, failure_reason):
            return self.env._(
                "The mail server refused the email: %(detail)s", detail=detail
            )
        return self.env._(
            "The mail server could not take the email: %(detail)s", detail=detail
        )

    @api.model
    def _refuse_change(self):
        """The log is append-only: an entry, and the invoices it concerns, are
        never changed (also refused from the invoice side)."""
        raise UserError(
            self.env._(
                "Contact log entries cannot be changed. Log a new entry to correct one."
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._(
                "Contact log entries cannot be deleted: the contact history of a "
                "customer is kept whole."
            )
        )
