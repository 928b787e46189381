from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..services import schedule


class DebtPaymentPlanWizard(models.TransientModel):
    """Offer a payment plan: build the instalments from a few terms."""

    _name = "debt.payment.plan.wizard"
    _description = "Offer a Payment Plan"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), "
        "('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_amounts")
    amount_total = fields.Monetary(string="Total", compute="_compute_amounts")
    date = fields.Date(
        string="Plan Date", required=True, default=fields.Date.context_today
    )
    split_by = fields.Selection(
        [("count", "Number of instalments"), ("amount", "Amount per instalment")],
        required=True,
        default="count",
    )
    installment_count = fields.Integer(string="Instalments", default=3)
    installment_amount = fields.Monetary(string="Amount per Instalment")
    frequency = fields.Selection(
        [
            (schedule.WEEKLY, "Weekly"),
            (schedule.BIWEEKLY, "Every two weeks"),
            (schedule.MONTHLY, "Monthly"),
        ],
        required=True,
        default=schedule.MONTHLY,
    )
    first_date = fields.Date(string="First Instalment", required=True)
    down_payment = fields.Monetary()

    @api.depends("move_ids")
    def _compute_amounts(self):
        for wizard in self:
            wizard.currency_id = (
                wizard.move_ids[:1].currency_id or wizard.company_id.currency_id
            )
            wizard.amount_total = sum(wizard.move_ids.mapped("amount_residual"))

    @api.model
    def _action_open(self, partner, moves=None):
        moves = (moves or self.env["account.move"]).filtered(
            lambda m: m.payment_state in ("not_paid", "partial")
        )
        if not moves:
            moves = self.env["account.move"].search(
                [
                    ("commercial_partner_id", "=", partner.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("company_id", "=", self.env.company.id),
                ]
            )
        today = fields.Date.context_today(self)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Offer a Payment Plan"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_move_ids": moves.ids,
                "default_first_date": fields.Date.to_string(
                    fields.Date.add(today, days=7)
                ),
            },
        }

    def _prepare_plan_vals(self):
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.date < today:
            raise ValidationError(
                self.env._(
                    "A payment plan offered now cannot be dated in the past "
                    "(%(date)s): date it today (%(today)s) or later.",
                    date=fields.Date.to_string(self.date),
                    today=fields.Date.to_string(today),
                )
            )
        Plan = self.env["debt.payment.plan"]
        settled = self.move_ids.filtered(
            lambda m: (
                m.payment_state in ("paid", "in_payment", "reversed")
                or m.currency_id.is_zero(m.amount_residual)
            )
        )
        if settled:
            raise ValidationError(
                self.env._(
                    "Invoice %(invoices)s has nothing left to pay: a payment "
                    "plan covers open invoices only.",
                    invoices=Plan._invoice_names(settled),
                )
            )
        if self.first_date < self.date:
            raise UserError(
                self.env._(
                    "The first instalment cannot be due before the plan date "
                    "(%(date)s).",
                    date=fields.Date.to_string(self.date),
                )
            )
        try:
            lines = schedule.build_schedule(
                self.amount_total,
                self.currency_id.rounding,
                self.first_date,
                self.frequency,
                count=self.installment_count if self.split_by == "count" else None,
                amount=self.installment_amount if self.split_by == "amount" else None,
                down_payment=self.down_payment,
            )
        except schedule.ScheduleError as error:
            raise UserError(self._schedule_error_message(error.code)) from error
        return {
            "partner_id": self.partner_id.commercial_partner_id.id,
            "company_id": self.company_id.id,
            "move_ids": [fields.Command.set(self.move_ids.ids)],
            "date": self.date,
            "installment_ids": [
                fields.Command.create({"date_due": day, "amount": amount})
                for day, amount in lines
            ],
        }

    def _schedule_error_message(self, code):
        if code == schedule.TOTAL_MISMATCH:
            return self.env._(
                "The down payment must be less than the total of %(total)s.",
                total=self.currency_id.format(self.amount_total),
            )
        return self.env._(
            "The instalments must be positive amounts: check the number or "
            "amount of instalments and the total of %(total)s.",
            total=self.currency_id.format(self.amount_total),
        )

    def action_create_plan(self):
        """Create the draft plan and open it: its lines can be edited there."""
        self.ensure_one()
        plan = self.env["debt.payment.plan"].create(self._prepare_plan_vals())
        return {
            "type": "ir.actions.act_window",
            "res_model": "debt.payment.plan",
            "res_id": plan.id,
            "view_mode": "form",
        }
