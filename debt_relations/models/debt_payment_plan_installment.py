from datetime import date

from odoo import api, fields, models

from ..services import schedule
from .debt_sender import NOTICE

SCHEDULE_FIELDS = ("plan_id", "date_due", "amount")
"""What the customer agreed to: fixed once the plan leaves the draft."""


class DebtPaymentPlanInstallment(models.Model):
    """One instalment of a payment plan; what was paid comes from the invoices."""

    _name = "debt.payment.plan.installment"
    _inherit = "debt.owned.mixin"
    _description = "Payment Plan Instalment"
    _order = "plan_id, date_due, id"
    _check_company_auto = True
    _debt_owned_fields = ("amount_paid", "amount_due", "state", "reminder_sent")
    """What the customer's payments and the run decide: never written by hand."""

    plan_id = fields.Many2one(
        "debt.payment.plan", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="plan_id.company_id", store=True, index=True, precompute=True
    )
    currency_id = fields.Many2one(related="plan_id.currency_id")
    partner_id = fields.Many2one(related="plan_id.partner_id")
    date_due = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary(
        compute="_compute_amount_paid",
        store=True,
        help="The customer's payments on the plan's invoices, allocated to the "
        "instalments oldest first.",
    )
    amount_due = fields.Monetary(
        string="Left to Pay", compute="_compute_amount_paid", store=True
    )
    state = fields.Selection(
        [(schedule.OPEN, "Open"), (schedule.PAID, "Paid"), (schedule.LATE, "Late")],
        compute="_compute_state",
        store=True,
        index=True,
    )
    reminder_sent = fields.Boolean(readonly=True, copy=False)

    @api.depends(
        "plan_id.amount_paid",
        "plan_id.installment_ids.amount",
        "plan_id.installment_ids.date_due",
    )
    def _compute_amount_paid(self):
        for plan in self.plan_id:
            installments = plan.installment_ids._sorted_by_due()
            allocated = schedule.allocate(
                plan.amount_paid,
                installments.mapped("amount"),
                plan.currency_id.rounding or 0.01,
            )
            for installment, paid in zip(installments, allocated, strict=True):
                if installment not in self:
                    continue
                installment.amount_paid = paid
                installment.amount_due = plan.currency_id.round(
                    installment.amount - paid
                )
        for installment in self.filtered(lambda i: not i.plan_id):
            installment.amount_paid = 0.0
            installment.amount_due = installment.amount

    @api.depends("amount", "amount_paid", "date_due", "plan_id.date_checked")
    def _compute_state(self):
        for installment in self:
            installment.state = schedule.installment_state(
                schedule.Installment(
                    installment.date_due,
                    installment.amount,
                    installment.amount_paid,
                ),
                installment.plan_id.date_checked,
                installment.currency_id.rounding or 0.01,
            )

    @api.model_create_multi
    def create(self, vals_list):
        plans = self.env["debt.payment.plan"].browse(
            [vals["plan_id"] for vals in vals_list if vals.get("plan_id")]
        )
        plans._check_schedule_editable()
        return super().create(vals_list)

    def write(self, vals):
        if any(f in vals for f in SCHEDULE_FIELDS):
            plans = self.plan_id
            if vals.get("plan_id"):
                plans |= plans.browse(vals["plan_id"])
            plans._check_schedule_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft_schedule(self):
        # A plan deleted as a whole takes its instalments (it is refused
        # itself unless draft or cancelled).
        self.plan_id.filtered(
            lambda p: p.state not in ("draft", "cancelled")
        )._check_schedule_editable()

    def _sorted_by_due(self):
        """Oldest first; lines being edited (no date yet) last."""
        return self.sorted(lambda i: (i.date_due or date.max, i._origin.id or 0))

    def _send_reminders(self, as_of, days_before):
        """A friendly note a few days before each unpaid instalment is due."""
        template = self.env.ref("debt_relations.mail_template_debt_plan_reminder")
        for installment in self.filtered(lambda i: not i.reminder_sent):
            facts = schedule.Installment(
                installment.date_due, installment.amount, installment.amount_paid
            )
            if not schedule.due_for_reminder(
                facts, as_of, days_before, installment.currency_id.rounding
            ):
                continue
            plan = installment.plan_id
            installment._debt_as_owner().reminder_sent = True
            plan._debt_notify(
                template,
                self.env._(
                    "Instalment reminder: %(amount)s due on %(date)s",
                    amount=installment.currency_id.format(installment.amount_due),
                    date=fields.Date.to_string(installment.date_due),
                ),
                kind=NOTICE,
                date=as_of,
                amount=installment.amount_due,
            )
