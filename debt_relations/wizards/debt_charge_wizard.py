from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..models.debt_collection_facts import OPEN_PAYMENT_STATES


class DebtChargeWizard(models.TransientModel):
    """Apply or waive the late-payment charges of a customer's invoices.

    Lists, per invoice, what the rule in force allows less what was already
    applied or waived. Applying creates one draft customer invoice for the
    lines not waived (the collector checks and posts it as any invoice);
    waived lines are logged (contact log and chatter) with their amount: the
    goodwill given.
    """

    _name = "debt.charge.wizard"
    _description = "Apply Late-Payment Charges"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda s: s.env.company
    )
    date = fields.Date(
        string="As of", required=True, readonly=True, default=fields.Date.context_today
    )
    line_ids = fields.One2many("debt.charge.wizard.line", "wizard_id")
    charge_move_id = fields.Many2one("account.move", readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if "line_ids" not in fields_list or values.get("line_ids"):
            return values
        model, ids = context.get("active_model"), context.get("active_ids") or []
        if model == "account.move" and ids:
            moves = self.env["account.move"].browse(ids)
            partner = moves.commercial_partner_id
        elif model == "res.partner" and ids:
            partner = self.env["res.partner"].browse(ids).commercial_partner_id
            moves = self.env["account.move"]
        else:
            return values
        if len(partner) != 1:
            raise UserError(
                self.env._(
                    "Apply charges to the invoices of one customer at a time "
                    "(chosen: %(customers)s).",
                    customers=", ".join(partner.mapped("display_name")),
                )
            )
        values["partner_id"] = partner.id
        values["line_ids"] = self._prepare_line_commands(partner, moves)
        return values

    @api.model
    def _action_open(self, moves, partner):
        model = "account.move" if moves else "res.partner"
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Late-Payment Charges"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": model,
                "active_ids": (moves or partner).ids,
            },
        }

    @api.model
    def _prepare_line_commands(self, partner, moves):
        """A line per invoice with something left to apply or waive; a
        customer whose tier waives charges has them proposed as waived."""
        company = self.env.company
        today = fields.Date.context_today(self)
        if not moves:
            moves = self.env["account.move"].search(
                [
                    ("commercial_partner_id", "=", partner.id),
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", OPEN_PAYMENT_STATES),
                    ("invoice_date_due", "<", today),
                ],
                order="invoice_date_due, id",
            )
        proposals = self.env["debt.charge"]._proposals(moves, today)
        tier = partner.with_company(company).sudo().debt_tier_id
        waive = bool(tier.waive_charges)
        commands = []
        for move in moves:
            proposal = proposals.get(move)
            if not proposal or move.currency_id.is_zero(proposal["amount"]):
                continue
            commands.append(
                Command.create(
                    {
                        "move_id": move.id,
                        "amount": proposal["amount"],
                        "proposed_amount": proposal["amount"],
                        "interest": proposal["interest"],
                        "compensation": proposal["compensation"],
                        "waive": waive,
                        "waive_reason": waive
                        and self.env._(
                            "Relationship tier %(tier)s: charges waived",
                            tier=tier.name,
                        ),
                    }
                )
            )
        return commands

    def action_apply(self):
        """One draft customer invoice for the lines not waived (its form is
        returned); the waived ones logged as goodwill. Everything is checked
        before anything is written."""
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda line: not line.currency_id.is_zero(line.amount) or line.waive
        )
        if not lines:
            raise UserError(self.env._("There are no charges to apply or waive."))
        for line in lines:
            line._check_line()
        applied = lines.filtered(lambda line: not line.waive)
        waived = lines - applied
        if len(applied.currency_id) > 1:
            raise UserError(
                self.env._(
                    "The invoices are in several currencies (%(currencies)s): "
                    "apply the charges of each currency separately.",
                    currencies=", ".join(applied.currency_id.mapped("name")),
                )
            )
        invoice = self._create_charge_invoice(applied) if applied else None
        log = self._log_waived(waived) if waived else None
        Charge = self.env["debt.charge"].sudo()
        Charge.create(
            [
                {
                    "move_id": line.move_id.id,
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "currency_id": line.currency_id.id,
                    "amount": line.amount,
                    "compensation": min(line.compensation, line.amount),
                    "interest": line.amount - min(line.compensation, line.amount),
                    "waived": line.waive,
                    "waive_reason": line.waive and line.waive_reason,
                    "charge_move_id": not line.waive and invoice and invoice.id,
                    "log_id": line.waive and log and log.id,
                    "user_id": self.env.uid,
                    "date": self.date,
                }
                for line in lines
            ]
        )
        if not invoice:
            return {"type": "ir.actions.act_window_close"}
        self.charge_move_id = invoice
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": invoice.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def _line_label(self, line):
        first = line.move_id.invoice_date_due + timedelta(days=1)
        return self.env._(
            "Late-payment charges on %(invoice)s (due %(due)s), from %(start)s to "
            "%(end)s",
            invoice=line.move_id.name,
            due=fields.Date.to_string(line.move_id.invoice_date_due),
            start=fields.Date.to_string(first),
            end=fields.Date.to_string(self.date),
        )

    def _create_charge_invoice(self, lines):
        product = self.company_id.debt_charge_product_id or self.env.ref(
            "debt_relations.product_debt_charge", raise_if_not_found=False
        )
        if not product:
            raise UserError(
                self.env._(
                    "Choose the product charges are invoiced with in the "
                    "Collections settings."
                )
            )
        return (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "currency_id": lines.currency_id.id,
                    "invoice_date": self.date,
                    "invoice_origin": ", ".join(lines.move_id.mapped("name")),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": self._line_label(line),
                                "quantity": 1,
                                "price_unit": line.amount,
                                # Interest and statutory compensation are
                                # damages, not a supply: no tax by default.
                                "tax_ids": [Command.clear()],
                            }
                        )
                        for line in lines
                    ],
                }
            )
        )

    def _log_waived(self, lines):
        """The goodwill given: one contact log entry and a chatter note."""
        details = "\n".join(
            self.env._(
                "%(invoice)s: %(amount)s waived (%(reason)s)",
                invoice=line.move_id.name,
                amount=line.currency_id.format(line.amount),
                reason=line.waive_reason,
            )
            for line in lines
        )
        total = ", ".join(
            currency.format(sum(group.mapped("amount")))
            for currency, group in lines.grouped("currency_id").items()
        )
        summary = self.env._("Late-payment charges waived: %(amount)s", amount=total)
        log = (
            self.env["debt.contact.log"]
            .sudo()
            .create(
                {
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "move_ids": [Command.set(lines.move_id.ids)],
                    "channel": "note",
                    "direction": "outbound",
                    "summary": summary,
                    "outcome": details,
                    "user_id": self.env.uid,
                    "date": self.date,
                }
            )
        )
        body = Markup("<p>%s</p><p>%s</p>") % (
            summary,
            Markup("<br/>").join(details.split("\n")),
        )
        # sudo: collectors note the goodwill on customers and invoices they
        # may not edit; the note is theirs (author).
        author = self.env.user.partner_id.id
        self.partner_id.sudo().message_post(
            body=body, subtype_xmlid="mail.mt_note", author_id=author
        )
        for line in lines:
            line.move_id.sudo().message_post(
                author_id=author,
                body=self.env._(
                    "Late-payment charges waived: %(amount)s (%(reason)s)",
                    amount=line.currency_id.format(line.amount),
                    reason=line.waive_reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return log


class DebtChargeWizardLine(models.TransientModel):
    _name = "debt.charge.wizard.line"
    _description = "Late-Payment Charge to Apply"

    wizard_id = fields.Many2one("debt.charge.wizard", required=True, ondelete="cascade")
    move_id = fields.Many2one("account.move", string="Invoice", required=True)
    currency_id = fields.Many2one(related="move_id.currency_id")
    invoice_date_due = fields.Date(related="move_id.invoice_date_due")
    amount_residual = fields.Monetary(
        related="move_id.amount_residual", string="Amount Due"
    )
    proposed_amount = fields.Monetary(
        string="Allowed",
        readonly=True,
        help="Accrued under the rule in force, less what was already applied or "
        "waived.",
    )
    interest = fields.Monetary(readonly=True)
    compensation = fields.Monetary(readonly=True)
    amount = fields.Monetary(string="To Apply or Waive")
    waive = fields.Boolean()
    waive_reason = fields.Char()

    def _check_line(self):
        self.ensure_one()
        currency = self.currency_id
        if self.waive and not (self.waive_reason or "").strip():
            raise UserError(
                self.env._(
                    "Say why the charges on %(invoice)s are waived.",
                    invoice=self.move_id.display_name,
                )
            )
        if currency.compare_amounts(self.amount, 0) < 0:
            raise UserError(
                self.env._(
                    "The charge on %(invoice)s cannot be negative.",
                    invoice=self.move_id.display_name,
                )
            )
        # What is allowed now, whatever the dialog was given.
        allowed = (
            self.env["debt.charge"]
            ._proposals(self.move_id, self.wizard_id.date)
            .get(self.move_id, {})
            .get("amount", 0.0)
        )
        if currency.compare_amounts(self.amount, allowed) > 0:
            raise UserError(
                self.env._(
                    "The charge on %(invoice)s (%(amount)s) is more than what the "
                    "rule in force allows now, less what was already applied or "
                    "waived (%(allowed)s).",
                    invoice=self.move_id.display_name,
                    amount=currency.format(self.amount),
                    allowed=currency.format(allowed),
                )
            )
