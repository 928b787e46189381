from odoo import api, fields, models
from odoo.exceptions import ValidationError

LADDER_FIELDS = ("policy_id", "sequence", "offset_days")
CORE_CHANNELS = frozenset({"email", "letter", "call"})
"""The channels of this addon; bridges add others (see ``_debt_channel_fields``)."""


class DebtStage(models.Model):
    """One rung of a collection policy."""

    _name = "debt.stage"
    _description = "Collection Stage"
    _order = "policy_id, sequence, offset_days, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    policy_id = fields.Many2one(
        "debt.policy", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(
        related="policy_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    offset_days = fields.Integer(
        string="Days After Due",
        required=True,
        help="Days relative to the due date at which this stage applies; a negative "
        "number reminds before the invoice is due.",
    )
    tone = fields.Selection(
        [
            ("friendly", "Friendly"),
            ("firm", "Firm"),
            ("formal", "Formal"),
            ("final", "Final"),
        ],
        required=True,
        default="friendly",
    )
    send_email = fields.Boolean(string="Email", default=True)
    send_letter = fields.Boolean(
        string="Letter", help="Print a letter (PDF) to post to the customer."
    )
    schedule_call = fields.Boolean(
        string="Phone Call",
        help="Schedule a phone call activity for the collector.",
    )
    call_account_manager = fields.Boolean(
        string="Call by the Account Manager",
        help="The call is for the customer's salesperson, who knows the "
        "relationship, rather than for the collector (when it has one).",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', 'debt.action')]",
    )
    min_gap_days = fields.Integer(
        string="Minimum Gap (days)",
        default=7,
        help="Least number of days since the customer's previous outbound contact "
        "before this stage may be reached.",
    )
    requires_review = fields.Boolean(
        help="Actions of this stage are prepared by the run and wait until a "
        "collector approves or skips them.",
    )
    letter_fallback = fields.Boolean(
        string="Letter if the Email Fails",
        default=True,
        help="When the email of this stage cannot be delivered (the address is "
        "refused or invalid), print the stage's letter instead.",
    )
    is_handoff = fields.Boolean(
        string="Hand-off",
        help="Mediation or collection agency step: the file leaves the ladder.",
    )
    note = fields.Text(
        string="Internal Note",
        help="Shown to collectors on calls and reviews of this stage.",
    )
    talking_points = fields.Text(
        translate=True,
        help="What to say on a call to a customer at this rung, in its tone: "
        "printed on the call sheet.",
    )
    attach_invoice_pdf = fields.Boolean(
        string="Attach the invoices (PDF)",
        help="The reminders of this stage carry the PDF of each invoice they list.",
    )

    _sql_constraints = [
        (
            "min_gap_positive",
            "CHECK(min_gap_days >= 0)",
            "The minimum gap of a collection stage cannot be negative.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        stages = super().create(vals_list)
        if not self._ladder_checked_by_policy():
            stages.policy_id._check_ladder_order()
        return stages

    def write(self, vals):
        policies = self.policy_id
        result = super().write(vals)
        if any(f in vals for f in LADDER_FIELDS) and not (
            self._ladder_checked_by_policy()
        ):
            (policies | self.policy_id)._check_ladder_order()
        return result

    def _ladder_checked_by_policy(self):
        """The policy's own create or write is writing its stages: it checks
        the whole ladder once they are all written."""
        return self.env["debt.policy"]._debt_in_own_method()

    @api.constrains(lambda self: tuple(self._debt_channel_fields().values()))
    def _check_channel(self):
        for stage in self:
            if not stage._debt_channels():
                raise ValidationError(
                    self.env._(
                        "Stage %(stage)s must use at least one channel: %(channels)s.",
                        stage=stage.name,
                        channels=", ".join(
                            self._fields[fname]._description_string(self.env)
                            for fname in self._debt_channel_fields().values()
                        ),
                    )
                )

    @api.constrains("send_email", "mail_template_id")
    def _check_template(self):
        for stage in self:
            if stage.send_email and not stage.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Stage %(stage)s sends an email: choose its email template.",
                        stage=stage.name,
                    )
                )

    @api.model
    def _debt_channel_fields(self):
        """The channels a stage may use (as the contact log names them) and
        the field that turns each on. A bridge adding a channel adds it here:
        the constraints, the run and the sender follow."""
        return {"email": "send_email", "letter": "send_letter", "call": "schedule_call"}

    def _debt_channels(self):
        """The channels this stage uses: a set of :meth:`_debt_channel_fields`
        keys."""
        self.ensure_one()
        return {
            channel
            for channel, fname in self._debt_channel_fields().items()
            if self[fname]
        }

    def _invoice_attachments(self, moves):
        """The PDFs of ``moves`` to attach to a reminder of this stage.

        Nothing unless the stage attaches the invoices. An invoice already sent
        keeps the PDF the customer received; the others are printed with
        Odoo's invoice report (HTML in test mode, as Odoo renders it there).

        :return: ``ir.attachment`` records, one per invoice, on the invoices
        """
        self.ensure_one()
        Attachment = self.env["ir.attachment"]
        if not self.attach_invoice_pdf or not moves:
            return Attachment
        # sudo: collectors approving a reminder need not be invoicing users;
        # the PDF is the invoice the customer was already sent.
        moves = moves.sudo()
        Report = self.env["ir.actions.report"].sudo()
        attachments = moves.invoice_pdf_report_id
        vals_list = []
        for move in moves.filtered(lambda m: not m.invoice_pdf_report_id):
            content, kind = Report._render_qweb_pdf(
                "account.account_invoices", res_ids=move.ids
            )
            is_pdf = kind == "pdf"
            name = move._get_report_base_filename()
            vals_list.append(
                {
                    "name": f"{name}.pdf" if is_pdf else f"{name}.html",
                    "raw": content,
                    "res_model": "account.move",
                    "res_id": move.id,
                    "mimetype": "application/pdf" if is_pdf else "text/html",
                }
            )
        return (attachments | Attachment.sudo().create(vals_list)).sudo(False)
