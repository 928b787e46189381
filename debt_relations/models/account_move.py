from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, create_index

from ..services.eligibility import SKIP_REASONS
from . import debt_owned_mixin as owned
from .debt_collection_facts import OPEN_PAYMENT_STATES
from .debt_payment_date import BASES
from .res_partner import POLICY_SOURCES


class AccountMove(models.Model):
    _inherit = "account.move"
    _debt_owned_fields = (
        "debt_stage_id",
        "debt_stage_date",
        "debt_last_contact_date",
        "debt_skip_reason",
        "debt_expected_payment_date",
        "debt_expected_payment_basis",
    )
    """The run's bookkeeping on an invoice (see :meth:`_debt_write_tracking`)
    and the expected payment date (``debt.payment.date``), protected as in
    ``debt.owned.mixin``."""

    debt_stage_id = fields.Many2one(
        "debt.stage",
        string="Collection Stage",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The rung of the escalation ladder this invoice has reached.",
    )
    debt_excluded = fields.Boolean(
        string="Exclude from Reminders",
        copy=False,
        tracking=True,
        help="Never remind the customer about this invoice.",
    )
    debt_exclusion_reason = fields.Char(string="Exclusion Reason", copy=False)
    debt_stage_date = fields.Date(
        string="Stage Reached On",
        readonly=True,
        copy=False,
        help="As-of date of the run that moved the invoice to its current stage.",
    )
    debt_last_contact_date = fields.Date(
        string="Last Reminder", readonly=True, copy=False
    )
    debt_open_due_date = fields.Date(
        string="Oldest Open Due Date",
        compute="_compute_debt_open_due_date",
        help="Due date of the oldest instalment of the invoice still unpaid.",
    )
    debt_skip_reason = fields.Selection(
        SKIP_REASONS,
        string="Not Chased Because",
        readonly=True,
        copy=False,
        help="Why the last collection run did not remind about this invoice.",
    )
    # Kept by debt.payment.date: the daily run, and promptly when an invoice
    # is posted or paid or an agreement of its customer changes.
    debt_expected_payment_date = fields.Date(
        string="Expected Payment",
        readonly=True,
        copy=False,
        help="When the customer will likely pay this invoice: from how late it "
        "paid its past invoices (recent ones, of a similar amount, weigh more), "
        "else from its relationship tier's customers, corrected by what is "
        "known now (a promise, a payment plan, a dispute, a hand-off). Empty: "
        "no date is expected (handed off, or disputed without a target date).",
    )
    debt_expected_payment_basis = fields.Selection(
        BASES,
        string="Expected From",
        readonly=True,
        copy=False,
        help="Where the expected payment date comes from.",
    )
    debt_contact_log_ids = fields.Many2many(
        "debt.contact.log",
        "debt_contact_log_move_rel",
        "move_id",
        "log_id",
        string="Contact History",
        copy=False,
        readonly=True,
    )
    debt_contact_log_count = fields.Integer(compute="_compute_debt_contact_log_count")
    debt_payment_plan_ids = fields.Many2many(
        "debt.payment.plan",
        "debt_payment_plan_move_rel",
        "move_id",
        "plan_id",
        string="Payment Plans",
        copy=False,
        readonly=True,
    )
    debt_promise_ids = fields.Many2many(
        "debt.promise",
        "debt_promise_move_rel",
        "move_id",
        "promise_id",
        string="Promises to Pay",
        copy=False,
        readonly=True,
    )
    debt_dispute_ids = fields.One2many(
        "debt.dispute", "move_id", string="Disputes", copy=False, readonly=True
    )
    debt_payment_plan_count = fields.Integer(compute="_compute_debt_agreement_counts")
    debt_promise_count = fields.Integer(compute="_compute_debt_agreement_counts")
    debt_dispute_count = fields.Integer(compute="_compute_debt_agreement_counts")
    debt_handoff_ids = fields.Many2many(
        "debt.handoff",
        "debt_handoff_move_rel",
        "move_id",
        "handoff_id",
        string="Hand-offs",
        copy=False,
        readonly=True,
    )
    debt_handoff_count = fields.Integer(compute="_compute_debt_handoff_count")
    # "Why, and what next": not stored, computed as of today by the run's own
    # ladder (services.forecast), see res.partner._debt_forecast.
    debt_policy_in_force_id = fields.Many2one(
        "debt.policy",
        string="Policy in Force",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
    )
    debt_policy_source = fields.Selection(
        POLICY_SOURCES,
        string="Policy From",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
    )
    debt_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
        help="Days past the oldest unpaid due date.",
    )
    debt_next_step = fields.Char(
        string="Next Step",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
        help="The next reminder listing this invoice, and when, unless paid.",
    )
    debt_next_step_date = fields.Date(
        string="Next Step On",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
    )
    debt_not_chased_reason = fields.Char(
        string="Not Chased Today Because",
        compute="_compute_debt_forecast",
        groups="account.group_account_invoice",
    )

    # Late-payment charges: what the rule in force allows, as of today; stated
    # to the customer, applied only by a collector (debt.charge.wizard).
    debt_charges_accrued = fields.Monetary(
        string="Late-Payment Charges Accrued",
        currency_field="currency_id",
        compute="_compute_debt_charges_accrued",
        help="Interest and compensation the late-payment rule in force allows "
        "on this invoice as of today; not part of the amount due, and charged "
        "only if a collector applies it.",
    )
    debt_charges_error = fields.Char(
        string="Charges Cannot Be Computed",
        compute="_compute_debt_charges_accrued",
    )

    def _auto_init(self):
        result = super()._auto_init()
        # Profiles and facts read customers' invoices by commercial partner, a
        # batch of customers per query: without an index every batch scans all
        # the moves of the database, and a run grows with the square of the
        # ledger.
        create_index(
            self.env.cr,
            "account_move__debt_customer_invoice_index",
            self._table,
            ["commercial_partner_id", "company_id"],
            where="move_type IN ('out_invoice', 'out_refund') AND state = 'posted'",
        )
        return result

    @api.depends("debt_contact_log_ids")
    def _compute_debt_contact_log_count(self):
        for move in self:
            move.debt_contact_log_count = len(move.debt_contact_log_ids)

    @api.depends("debt_payment_plan_ids", "debt_promise_ids", "debt_dispute_ids")
    def _compute_debt_agreement_counts(self):
        for move in self:
            move.debt_payment_plan_count = len(move.debt_payment_plan_ids)
            move.debt_promise_count = len(move.debt_promise_ids)
            move.debt_dispute_count = len(move.debt_dispute_ids)

    @api.depends("debt_handoff_ids")
    def _compute_debt_handoff_count(self):
        for move in self:
            move.debt_handoff_count = len(move.debt_handoff_ids)

    @api.depends_context("company")
    @api.depends("state", "payment_state", "move_type", "commercial_partner_id")
    def _compute_debt_forecast(self):
        today = fields.Date.context_today(self)
        empty = {
            "debt_policy_in_force_id": False,
            "debt_policy_source": False,
            "debt_days_overdue": 0,
            "debt_next_step": False,
            "debt_next_step_date": False,
            "debt_not_chased_reason": False,
        }
        forecasts = {}
        for move in self:
            move.update(empty)
            if not (
                move._origin.id
                and move.move_type == "out_invoice"
                and move.state == "posted"
                and move.payment_state in OPEN_PAYMENT_STATES
            ):
                continue
            key = (move.commercial_partner_id, move.company_id)
            if key not in forecasts:
                partner = move.commercial_partner_id.with_company(move.company_id)
                forecasts[key] = (partner, partner._debt_forecast(today))
            partner, facts = forecasts[key]
            found = facts["forecast"]
            step = found.invoice_steps.get(move._origin.id)
            move.update(
                {
                    "debt_policy_in_force_id": facts["policy"],
                    "debt_policy_source": facts["source"],
                    "debt_days_overdue": max(
                        found.days_overdue.get(move._origin.id, 0), 0
                    ),
                    "debt_next_step": step and partner._debt_step_text(found, step),
                    "debt_next_step_date": step and step.date,
                    "debt_not_chased_reason": partner._debt_reason_label(
                        found.reasons[move._origin.id]
                    )
                    if move._origin.id in found.reasons
                    else False,
                }
            )

    @api.depends_context("company")
    @api.depends("state", "payment_state", "amount_residual", "invoice_date_due")
    def _compute_debt_charges_accrued(self):
        today = fields.Date.context_today(self)
        self.debt_charges_accrued = 0.0
        self.debt_charges_error = False
        moves = self.filtered(lambda m: m._origin.id)._origin
        Charge = self.env["debt.charge"]
        accrued = Charge._accrued(moves, [today], strict=False)
        for move in self:
            found = accrued.get(move._origin.id, {}).get(today, False)
            if found is None:
                # Never a zero for an unknown rate: the form says which is missing.
                try:
                    Charge._accrued(move._origin, [today])
                except UserError as error:
                    move.debt_charges_error = error.args[0]
            elif found:
                move.debt_charges_accrued = float(found.total)

    @api.constrains("debt_excluded", "debt_exclusion_reason")
    def _check_debt_exclusion_reason(self):
        for move in self:
            if move.debt_excluded and not (move.debt_exclusion_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "Invoice %(invoice)s is excluded from reminders: say why in "
                        "its exclusion reason.",
                        invoice=move.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if any("debt_contact_log_ids" in vals for vals in vals_list):
            self.env["debt.contact.log"]._refuse_change()
        owned.refuse(
            self, owned.refused_on_create(self, vals_list, self._debt_owned_fields)
        )
        return super().create(vals_list)

    def write(self, vals):
        if "debt_contact_log_ids" in vals:
            self.env["debt.contact.log"]._refuse_change()
        owned.refuse(self, owned.refused_on_write(self, vals, self._debt_owned_fields))
        return super().write(vals)

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        self.env["debt.payment.date"]._refresh_moves(posted)
        return posted

    @api.ondelete(at_uninstall=False)
    def _unlink_except_debt_reminded(self):
        """A reminded invoice is part of what was said to the customer: it can
        be cancelled (or reset to draft), never deleted."""
        self.env["debt.contact.log"].flush_model(["move_ids"])
        reminded = (
            self.env["debt.contact.log"]
            .sudo()
            .search([("move_ids", "in", self.ids)])
            .move_ids
            | self.env["debt.action"]
            .sudo()
            .search([("move_ids", "in", self.ids)])
            .move_ids
        )
        reminded &= self
        if reminded:
            raise UserError(
                self.env._(
                    "Invoice %(invoices)s was mentioned to the customer in a "
                    "collection reminder or contact: cancel it instead of "
                    "deleting it, so the contact history keeps it.",
                    invoices=", ".join(reminded.mapped("display_name")),
                )
            )

    @api.depends("line_ids.date_maturity", "line_ids.reconciled")
    def _compute_debt_open_due_date(self):
        # One query for every invoice read together (a reminder lists several,
        # a batch of reminders thousands), rather than their journal items.
        self.env["account.move.line"].flush_model(
            ["move_id", "display_type", "reconciled", "date_maturity"]
        )
        due = dict(
            self.env.execute_query(
                SQL(
                    "SELECT move_id, MIN(date_maturity) FROM account_move_line "
                    "WHERE move_id = ANY(%s) AND display_type = 'payment_term' "
                    "AND NOT reconciled GROUP BY move_id",
                    self._origin.ids,
                )
            )
        )
        for move in self:
            move.debt_open_due_date = due.get(move._origin.id, False)

    @api.model
    def _debt_write_tracking(self, move_ids, values):
        """Write collection bookkeeping on many posted invoices at once.

        ``account.move.write`` re-synchronises the journal items of every move it
        touches, which costs queries per invoice; the collection run only sets its
        own columns (stage, stage date, last contact date, skip reason), on which
        nothing in accounting depends.
        """
        allowed = {
            "debt_stage_id",
            "debt_stage_date",
            "debt_last_contact_date",
            "debt_skip_reason",
        }
        if not move_ids or not values:
            return
        if not set(values) <= allowed:
            raise ValueError(f"Not collection bookkeeping: {set(values) - allowed}")
        self.flush_model(list(values))
        assignments = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(name), value or None)
            for name, value in values.items()
        )
        self.env.execute_query(
            SQL(
                "UPDATE account_move SET %s, write_date = NOW() AT TIME ZONE 'UTC', "
                "write_uid = %s WHERE id = ANY(%s)",
                assignments,
                self.env.uid,
                list(move_ids),
            )
        )
        self.browse(move_ids).invalidate_recordset([*values, "write_date", "write_uid"])

    @api.model
    def _debt_write_contacts(self, rows):
        """Record reminders sent on many invoices with one ``UPDATE``.

        ``rows`` are ``(move id, stage id or None, date)``: the invoice was
        contacted on that date and, with a stage, climbed to it that day. One
        statement writes each row once: the run reaches thousands of invoices
        per batch, and every row version costs an entry in each of the table's
        indexes.
        """
        if not rows:
            return
        names = ["debt_stage_id", "debt_stage_date", "debt_last_contact_date"]
        self.flush_model(names)
        self.env.execute_query(
            SQL(
                """
            UPDATE account_move AS m
               SET debt_stage_id = COALESCE(d.stage_id, m.debt_stage_id),
                   debt_stage_date = CASE WHEN d.stage_id IS NULL
                                          THEN m.debt_stage_date ELSE d.day END,
                   debt_last_contact_date = d.day,
                   write_date = NOW() AT TIME ZONE 'UTC',
                   write_uid = %s
              FROM UNNEST(%s::int[], %s::int[], %s::date[]) AS d(id, stage_id, day)
             WHERE m.id = d.id
                """,
                self.env.uid,
                [row[0] for row in rows],
                [row[1] for row in rows],
                [row[2] for row in rows],
            )
        )
        self.browse([row[0] for row in rows]).invalidate_recordset(
            [*names, "write_date", "write_uid"]
        )

    def action_view_debt_contact_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "debt_relations.debt_contact_log_action"
        )
        action["domain"] = [("move_ids", "in", self.ids)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_debt_log_contact(self):
        self.ensure_one()
        return self.env["debt.contact.wizard"]._action_open(
            partner=self.commercial_partner_id, moves=self
        )

    def action_debt_offer_plan(self):
        self.ensure_one()
        return self.env["debt.payment.plan.wizard"]._action_open(
            partner=self.commercial_partner_id, moves=self
        )

    def action_debt_record_dispute(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record a Dispute"),
            "res_model": "debt.dispute",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_id": self.id},
        }

    def _debt_open_agreements(self, xmlid, records):
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("id", "in", records.ids)]
        action["context"] = {}
        return action

    def action_view_debt_payment_plans(self):
        self.ensure_one()
        return self._debt_open_agreements(
            "debt_relations.debt_payment_plan_action", self.debt_payment_plan_ids
        )

    def action_view_debt_promises(self):
        self.ensure_one()
        return self._debt_open_agreements(
            "debt_relations.debt_promise_action", self.debt_promise_ids
        )

    def action_view_debt_disputes(self):
        self.ensure_one()
        return self._debt_open_agreements(
            "debt_relations.debt_dispute_action", self.debt_dispute_ids
        )

    def _debt_charges_by(self, *days):
        """What has accrued on each invoice now and by each later day (for
        "what will have accrued by the next step's date").

        :return: {move: {day: amount}} in the invoice's currency; a missing
            reference rate raises a UserError naming it
        """
        days = days or (fields.Date.context_today(self),)
        accrued = self.env["debt.charge"]._accrued(self, list(days))
        return {
            move: {
                day: float(found.total)
                for day, found in accrued.get(move.id, {}).items()
            }
            for move in self
        }

    def action_debt_apply_charges(self):
        """Apply or waive the late-payment charges of these invoices."""
        return self.env["debt.charge.wizard"]._action_open(
            self, self.commercial_partner_id[:1]
        )

    def action_view_debt_handoffs(self):
        self.ensure_one()
        return self._debt_open_agreements(
            "debt_relations.debt_handoff_action", self.debt_handoff_ids
        )

    def action_debt_hand_off(self):
        """A new hand-off of this invoice, to review."""
        self.ensure_one()
        return self.env["debt.handoff"]._action_new(self.commercial_partner_id, self)
