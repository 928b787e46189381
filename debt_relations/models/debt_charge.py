from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services import charges as charges_service
from .debt_collection_facts import OPEN_PAYMENT_STATES

TONE_RANK = {"friendly": 0, "firm": 1, "formal": 2, "final": 3}
"""Rungs of different ladders compared by their tone."""


class DebtCharge(models.Model):
    """Late-payment charges applied to, or waived on, one invoice.

    One row per invoice each time a collector applies charges (the wizard): what
    was invoiced (``charge_move_id``) or given up as goodwill (``waived``).
    What a later application proposes is what accrued less these rows. Nothing
    creates them but a person's decision: no run charges anything.
    Append-only, as the contact log.
    """

    _name = "debt.charge"
    _description = "Late-Payment Charge"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "move_id"

    move_id = fields.Many2one(
        "account.move",
        string="Late Invoice",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(
        required=True,
        readonly=True,
        help="Charged (or, waived, given up): interest and compensation.",
    )
    interest = fields.Monetary(readonly=True)
    compensation = fields.Monetary(readonly=True)
    waived = fields.Boolean(readonly=True, index=True)
    waive_reason = fields.Char(readonly=True)
    charge_move_id = fields.Many2one(
        "account.move",
        string="Charged On",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The customer invoice carrying the charge. A charge whose invoice "
        "is cancelled or deleted counts as not applied.",
    )
    log_id = fields.Many2one("debt.contact.log", readonly=True, ondelete="set null")
    user_id = fields.Many2one(
        "res.users", string="By", readonly=True, default=lambda self: self.env.user
    )
    date = fields.Date(required=True, readonly=True, default=fields.Date.context_today)
    applied = fields.Boolean(
        compute="_compute_applied",
        help="Charged on an invoice that is not cancelled.",
    )

    @api.depends("waived", "charge_move_id.state")
    def _compute_applied(self):
        for charge in self:
            charge.applied = (
                not charge.waived
                and charge.charge_move_id
                and charge.charge_move_id.state != "cancel"
            )

    def write(self, vals):
        if vals:
            raise UserError(
                self.env._(
                    "Applied and waived charges are a record of what was decided: "
                    "they cannot be changed. Cancel the charge invoice instead."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._(
                "Applied and waived charges are a record of what was decided: "
                "they cannot be deleted. Cancel the charge invoice instead."
            )
        )

    # ------------------------------------------------------------------
    # Facts: what the rule in force allows on each invoice
    # ------------------------------------------------------------------

    @api.model
    def _rule(self, company, partner):
        """The :class:`~..services.charges.Rule` in force for ``partner``'s
        invoices of ``company``: none when exempt, the customer's contract rate
        (as a custom rule) over the company's rule."""
        partner = partner.commercial_partner_id
        kind = company.debt_charge_rule or charges_service.NONE
        fixed = (
            company.debt_charge_fixed_amount
            if kind in (charges_service.FIXED, charges_service.CUSTOM)
            else 0.0
        )
        if partner.debt_charge_exempt:
            return charges_service.Rule()
        if partner.debt_charge_contract_rate:
            return charges_service.Rule(
                charges_service.CUSTOM,
                rate=Decimal(str(partner.debt_charge_contract_rate)),
                fixed_amount=Decimal(str(fixed)),
            )
        if kind == charges_service.CUSTOM:
            return charges_service.Rule(
                kind,
                rate=Decimal(str(company.debt_charge_rate)),
                fixed_amount=Decimal(str(fixed)),
            )
        return charges_service.Rule(kind, fixed_amount=Decimal(str(fixed)))

    @api.model
    def _rung_reached(self, stage, company):
        """Whether rung ``stage`` is at or above the company's charge rung (in
        another ladder than the charge rung's: compared by tone)."""
        chosen = company._debt_charge_stage()
        if not stage or not chosen:
            return bool(stage) and not chosen
        if stage.policy_id == chosen.policy_id:
            return (stage.sequence, stage.offset_days, stage.id) >= (
                chosen.sequence,
                chosen.offset_days,
                chosen.id,
            )
        return TONE_RANK.get(stage.tone, 0) >= TONE_RANK.get(chosen.tone, 0)

    @api.model
    def _missing_rate_message(self, error):
        rules = dict(
            self.env["debt.reference.rate"]
            ._fields["rule"]
            ._description_selection(self.env)
        )
        start = error.period_start
        return self.env._(
            "No confirmed %(rule)s reference rate for the half-year from %(start)s "
            "(the rate in force on %(day)s): enter or confirm it in Accounting > "
            "Configuration > Collections > Reference Rates.",
            rule=rules.get(error.rule, error.rule),
            start=fields.Date.to_string(start),
            day=fields.Date.to_string(error.reference_day),
        )

    @api.model
    def _accrued(self, moves, days, strict=True, stages=None):
        """What accrued on each of ``moves`` by the end of each of ``days``.

        Set-based: one read per kind of fact (the reconciliations, the plans,
        the disputes, the reference rates) whatever the number of invoices.

        :param stages: move id -> the rung to judge the fixed fee on (default:
            the invoice's own)
        :return: {move id: {day: Charges}}; with ``strict`` a missing reference
            rate raises a UserError naming it, otherwise that invoice's days
            hold None
        """
        stages = stages or {}
        # sudo: the facts behind a statement (reconciliations, agreements,
        # rates) are read for whoever may see the invoice, a portal customer
        # included.
        moves = moves.sudo().filtered(
            lambda m: (
                m.move_type == "out_invoice"
                and m.state == "posted"
                and m.payment_state in OPEN_PAYMENT_STATES
            )
        )
        result = {
            move.id: {day: charges_service.NOTHING for day in days} for move in moves
        }
        rules = {}
        for move in moves:
            key = (move.company_id, move.commercial_partner_id)
            if key not in rules:
                rules[key] = self._rule(*key)
        moves = moves.filtered(
            lambda m: (
                rules[(m.company_id, m.commercial_partner_id)].kind
                != charges_service.NONE
                and m.invoice_date_due
            )
        )
        if not moves:
            return result
        reductions = self._reductions(moves)
        suspensions = self._suspensions(moves)
        rates = {}
        eur = self.env.ref("base.EUR", raise_if_not_found=False)
        for move in moves:
            rule = rules[(move.company_id, move.commercial_partner_id)]
            if rule.kind in charges_service.STATUTORY and rule.kind not in rates:
                rates[rule.kind] = self.env["debt.reference.rate"]._rates(rule.kind)
            currency, company = move.currency_id, move.company_id
            due = move.invoice_date_due
            if rule.fixed_amount and currency != company.currency_id:
                rule = charges_service.Rule(
                    rule.kind,
                    rate=rule.rate,
                    fixed_amount=Decimal(
                        str(
                            company.currency_id._convert(
                                float(rule.fixed_amount), currency, company, due
                            )
                        )
                    ),
                )
            compensation = None
            if rule.kind == charges_service.EU_STATUTORY and eur and currency != eur:
                compensation = eur._convert(
                    float(charges_service.EU_COMPENSATION), currency, company, due
                )
            stage = stages.get(move.id, move.debt_stage_id)
            for day in days:
                try:
                    found = charges_service.accrued(
                        rule,
                        move.amount_total,
                        due,
                        day,
                        reductions=reductions.get(move.id, ()),
                        reference_rates=rates.get(rule.kind, ()),
                        rounding=str(currency.rounding),
                        compensation=compensation,
                        fee_due=self._rung_reached(stage, company),
                        suspensions=suspensions.get(move.id, ()),
                    )
                except charges_service.MissingRate as error:
                    if strict:
                        raise UserError(self._missing_rate_message(error)) from error
                    found = None
                result[move.id][day] = found
        return result

    @api.model
    def _reductions(self, moves):
        """move id -> ``(date, amount)`` of each payment or credit matched with
        its receivable lines, in the invoice's currency."""
        lines = moves.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        partials = self.env["account.partial.reconcile"].search(
            [("debit_move_id", "in", lines.ids)]
        )
        found = {}
        for partial in partials:
            found.setdefault(partial.debit_move_id.move_id.id, []).append(
                (partial.max_date, partial.debit_amount_currency)
            )
        return found

    @api.model
    def _suspensions(self, moves):
        """move id -> ``(date_from, None)`` spans while an active payment plan
        covers the invoice or a dispute on it is open: nothing accrues then."""
        found = {}
        plans = self.env["debt.payment.plan"].search(
            [("move_ids", "in", moves.ids), ("state", "=", "active")]
        )
        for plan in plans:
            for move in plan.move_ids & moves:
                found.setdefault(move.id, []).append(
                    (plan.date_agreed or plan.date, None)
                )
        disputes = self.env["debt.dispute"].search(
            [("move_id", "in", moves.ids), ("state", "=", "open")]
        )
        for dispute in disputes:
            found.setdefault(dispute.move_id.id, []).append(
                (dispute.date or fields.Date.context_today(self), None)
            )
        return found

    @api.model
    def _settled(self, moves):
        """move id -> (amount, compensation) already applied (on an invoice
        not cancelled) or waived."""
        found = {}
        for charge in self.sudo().search([("move_id", "in", moves.ids)]):
            if charge.waived or charge.applied:
                amount, compensation = found.get(charge.move_id.id, (0.0, 0.0))
                found[charge.move_id.id] = (
                    amount + charge.amount,
                    compensation + charge.compensation,
                )
        return found

    @api.model
    def _proposals(self, moves, as_of, strict=True):
        """What is left to apply or waive on each invoice as of ``as_of``:
        accrued less what was already applied or waived, never below zero.

        :return: {move: {"accrued": Charges, "amount", "interest",
            "compensation"}}, amounts in the invoice's currency, rounded
        """
        accrued = self._accrued(moves, [as_of], strict=strict)
        settled = self._settled(moves)
        found = {}
        for move in moves:
            charges = accrued.get(move.id, {}).get(as_of)
            if charges is None:
                continue
            currency = move.currency_id
            done, done_compensation = settled.get(move.id, (0.0, 0.0))
            amount = currency.round(max(float(charges.total) - done, 0.0))
            compensation = currency.round(
                min(max(float(charges.compensation) - done_compensation, 0.0), amount)
            )
            found[move] = {
                "accrued": charges,
                "amount": amount,
                "compensation": compensation,
                "interest": currency.round(amount - compensation),
            }
        return found

    # ------------------------------------------------------------------
    # What the customer reads (reminders, letters, portal statement)
    # ------------------------------------------------------------------

    @api.model
    def _next_step_date(self, stage, due, as_of):
        """The date of the rung after ``stage`` for an invoice due on ``due``
        (not before its minimum gap from ``as_of``), or None on the last one."""
        if not stage:
            return None
        ladder = list(stage.policy_id._get_ladder_stages())
        if stage not in ladder or ladder.index(stage) + 1 >= len(ladder):
            return None
        following = ladder[ladder.index(stage) + 1]
        return max(
            due + timedelta(days=following.offset_days),
            as_of + timedelta(days=max(following.min_gap_days, 1)),
        )

    @api.model
    def _statement_rows(self, lines, as_of, reminder=None):
        """Per invoice of ``lines`` (the reminder's or the statement's, each with
        its ``move``) from the company's charge rung: what has accrued by
        ``as_of`` and what will have by the next step's date. Invoices whose
        rule allows nothing, or whose reference rate is missing, are left out:
        a reminder states nothing rather than a wrong figure.

        :param reminder: the ``debt.action`` sending them (the rung it moves
            each invoice to counts)
        """
        moves = self.env["account.move"].sudo()
        for line in lines or []:
            moves |= line["move"].sudo()
        if not moves:
            return []
        climbing = (reminder and reminder.sudo().move_stages) or {}
        stages = {
            move.id: self.env["debt.stage"].sudo().browse(climbing[str(move.id)])
            if str(move.id) in climbing
            else move.debt_stage_id
            for move in moves
        }
        moves = moves.filtered(
            lambda m: (
                self._rung_reached(stages[m.id], m.company_id)
                and not m.commercial_partner_id.with_company(
                    m.company_id
                ).debt_tier_id.waive_charges
            )
        )
        nexts = {
            move.id: self._next_step_date(stages[move.id], move.invoice_date_due, as_of)
            for move in moves
        }
        days = sorted({as_of, *(day for day in nexts.values() if day)})
        accrued = self._accrued(moves, days, strict=False, stages=stages)
        rows = []
        for move in moves:
            now = accrued.get(move.id, {}).get(as_of)
            if not now or not now.total:
                continue
            later_day = nexts[move.id]
            later = later_day and accrued[move.id].get(later_day)
            rows.append(
                {
                    "move": move,
                    "name": move.name,
                    "currency": move.currency_id,
                    "accrued": float(now.total),
                    "interest": float(now.interest),
                    "compensation": float(now.compensation),
                    "later_date": later_day if later else None,
                    "later": float(later.total) if later else None,
                }
            )
        return rows

    @api.model
    def _terms(self, partner, company, as_of):
        """What the rule in force for ``partner`` allows, for the sentence of
        the first overdue reminder; None when nothing accrues.

        :return: dict with ``kind``, ``rate`` (annual percent now, or None when
            unknown), ``fixed`` (amount per invoice), ``currency`` and
            ``waived`` (the customer's tier waives charges; then ``tier``)
        """
        partner = partner.commercial_partner_id.with_company(company)
        rule = self._rule(company, partner)
        if rule.kind == charges_service.NONE:
            return None
        rate = None
        if rule.kind == charges_service.CUSTOM:
            rate = float(rule.rate)
        elif rule.kind in charges_service.STATUTORY:
            try:
                rate = float(
                    charges_service.annual_rate(
                        rule,
                        self.env["debt.reference.rate"]._rates(rule.kind),
                        as_of,
                        as_of,
                    )
                )
            except charges_service.MissingRate:
                rate = None
        tier = partner.sudo().debt_tier_id
        return {
            "kind": rule.kind,
            "rate": rate,
            "fixed": float(rule.fixed_amount),
            "currency": company.currency_id,
            "eur": self.env.ref("base.EUR", raise_if_not_found=False),
            "gbp": self.env.ref("base.GBP", raise_if_not_found=False),
            "waived": bool(tier.waive_charges),
            "tier": tier,
        }

    # ------------------------------------------------------------------
    # Figures: stated, applied, waived
    # ------------------------------------------------------------------

    @api.model
    def _figures(self, company, partners=None, moves=None, as_of=None):
        """Charges stated (accrued by ``as_of`` on the open invoices that reached
        the charge rung), applied and waived, in the company's currency, per
        customer and in total (key None).

        :param partners: the customers (default: every one with ``moves``)
        :param moves: the invoices to count (default: the customers')
        """
        as_of = as_of or fields.Date.context_today(self)
        Move = self.env["account.move"].sudo()
        if moves is None:
            moves = Move.search(
                [
                    ("commercial_partner_id", "in", (partners or Move).ids),
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                ]
            )
        moves = moves.sudo()
        currency = company.currency_id
        figures = {None: {"stated": 0.0, "applied": 0.0, "waived": 0.0}}

        def add(move, key, amount, day):
            value = move.currency_id._convert(amount, currency, company, day)
            for pid in (move.commercial_partner_id.id, None):
                row = figures.setdefault(
                    pid, {"stated": 0.0, "applied": 0.0, "waived": 0.0}
                )
                row[key] = currency.round(row[key] + value)

        if company.debt_charge_rule != charges_service.NONE or any(
            moves.commercial_partner_id.mapped("debt_charge_contract_rate")
        ):
            reached = moves.filtered(
                lambda m: self._rung_reached(m.debt_stage_id, company)
            )
            accrued = self._accrued(reached, [as_of], strict=False)
            for move in reached:
                found = accrued.get(move.id, {}).get(as_of)
                if found and found.total:
                    add(move, "stated", float(found.total), as_of)
        for charge in self.sudo().search([("move_id", "in", moves.ids)]):
            if charge.waived:
                add(charge.move_id, "waived", charge.amount, charge.date)
            elif charge.applied:
                add(charge.move_id, "applied", charge.amount, charge.date)
        return figures

    # ------------------------------------------------------------------
    # Snippets (data/debt_charges_templates.xml)
    # ------------------------------------------------------------------

    @api.model
    def _snippet_first_notice(self, reminder, lines=None):
        """The terms the first overdue reminder states in one sentence, or
        None: nothing accrues for the customer, nothing listed is overdue yet,
        or the reminder's rung already shows the charges per invoice."""
        if not reminder or reminder._name != "debt.action":
            return None
        reminder = reminder.sudo()
        company = reminder.company_id
        if self._rule(company, reminder.partner_id).kind == charges_service.NONE:
            return None  # the usual case, without a query per reminder
        if lines is None:
            lines = reminder._get_reminder_lines()
        if not any(line.get("days_overdue") for line in lines):
            return None
        if self._rung_reached(reminder.stage_id, company):
            return None
        return self._terms(reminder.partner_id, company, reminder.date)

    @api.model
    def _snippet_statement(self, lines, as_of, candidates=()):
        """The charges a reminder, a letter or the portal statement shows
        apart from the residuals: ``rows`` (see :meth:`_statement_rows`), or
        ``waived`` terms when the customer's tier waives them (and an invoice
        reached the charge rung).

        :param candidates: values that may be the ``debt.action`` being sent
        """
        reminder = next(
            (
                value
                for value in candidates
                if isinstance(value, models.BaseModel)
                and value._name == "debt.action"
                and len(value) == 1
            ),
            None,
        )
        empty = {"rows": [], "waived": None}
        if not lines or not as_of:
            return empty
        move = lines[0]["move"].sudo()
        company = move.company_id
        partner = move.commercial_partner_id.with_company(company)
        if self._rule(company, partner).kind == charges_service.NONE:
            return empty  # the usual case, without a query per reminder
        if partner.sudo().debt_tier_id.waive_charges:
            climbing = (reminder and reminder.sudo().move_stages) or {}
            reached = any(
                self._rung_reached(
                    self.env["debt.stage"].sudo().browse(climbing[str(line["move"].id)])
                    if str(line["move"].id) in climbing
                    else line["move"].sudo().debt_stage_id,
                    company,
                )
                for line in lines
            )
            terms = reached and self._terms(partner, company, as_of)
            return {"rows": [], "waived": terms or None}
        return {"rows": self._statement_rows(lines, as_of, reminder), "waived": None}
