from odoo import api, fields, models
from odoo.exceptions import UserError

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
    _description = "Collection Contact Log"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "summary"

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
    message_id = fields.Many2one("mail.message", ondelete="set null")
    attachment_id = fields.Many2one("ir.attachment", ondelete="set null")
    courtesy = fields.Boolean(
        readonly=True,
        help="A thank-you or reward notice, not a collection contact: it does "
        "not delay the next reminder.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        Partner = self.env["res.partner"]
        for vals in vals_list:
            if vals.get("partner_id"):
                partner = Partner.browse(vals["partner_id"])
                vals["partner_id"] = partner.commercial_partner_id.id
        return super().create(vals_list)

    def write(self, vals):
        if vals:
            self._refuse_change()
        return super().write(vals)

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
