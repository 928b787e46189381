from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..services import eligibility, schedule
from ..services import portal as portal_service

HARDSHIPS = [
    ("cash_flow", "Cash flow"),
    ("illness", "Illness"),
    ("disaster", "Disaster"),
    ("other", "Other"),
]


class DebtPortalPlanRequest(models.Model):
    """A payment plan the customer asked for from the portal ("I can't pay in
    full"), with the schedule the portal showed.

    Within the company's limits the customer signs it online (typed name,
    checkbox, time and address recorded) and the plan starts at once, unless
    the company wants a person to look first. Otherwise it waits for a
    collector, who accepts it, adjusts the plan and proposes it, or declines;
    the customer gets a reply either way.
    """

    _name = "debt.portal.plan.request"
    _description = "Payment Plan Asked by the Customer"
    _inherit = "debt.portal.request"
    _order = "id desc"
    _debt_owned_fields = (
        "partner_id",
        "company_id",
        "state",
        "plan_id",
        "hardship",
        "reason",
        "monthly_amount",
        "date_first",
        "within_limits",
        "limits_note",
        "signed_name",
        "signed_on",
        "signed_ip",
        "hold",
    )

    currency_id = fields.Many2one(related="company_id.currency_id")
    plan_id = fields.Many2one(
        "debt.payment.plan", string="Payment Plan", readonly=True, check_company=True
    )
    move_ids = fields.Many2many(related="plan_id.move_ids", string="Invoices")
    hardship = fields.Selection(HARDSHIPS, required=True)
    reason = fields.Text(string="In the Customer's Words")
    monthly_amount = fields.Monetary(string="Can Pay per Month", required=True)
    date_first = fields.Date(string="First Payment", required=True)
    within_limits = fields.Boolean(readonly=True)
    limits_note = fields.Char(string="Outside the Limits", readonly=True)
    signed_name = fields.Char(string="Signed By", readonly=True)
    signed_on = fields.Datetime(readonly=True)
    signed_ip = fields.Char(string="Signed From", readonly=True)
    state = fields.Selection(
        [
            ("waiting", "Waiting for a Collector"),
            ("signed", "Signed Online"),
            ("accepted", "Accepted"),
            ("declined", "Declined"),
        ],
        required=True,
        default="waiting",
        readonly=True,
        tracking=True,
        copy=False,
    )
    reply = fields.Text(help="What the customer is told when accepted or declined.")
    hold = fields.Boolean(
        string="Holds the Reminders",
        default=True,
        readonly=True,
        copy=False,
        help="Off for a plan asked for soon after a broken agreement: the "
        "reminders go on while a collector decides.",
    )

    def action_accept(self):
        """The collector agrees to the plan as asked (or as adjusted in its
        draft): it starts, and the customer gets the written agreement."""
        for request in self:
            request._check_waiting()
            plan = request.plan_id
            if plan.state == "draft":
                plan.action_activate()
            request.sudo().state = "accepted"
            plan._portal_send_agreement(request.reply)
            if request.reply:
                request._reply_customer(
                    request.reply, self.env._("Payment plan asked for: accepted")
                )
            request._close_portal_activity()
        return True

    def action_decline(self):
        for request in self:
            request._check_waiting()
            if request.plan_id.state in ("draft", "proposed"):
                request.plan_id.action_cancel()
            request.sudo().state = "declined"
            reply = request.reply or self.env._(
                "We cannot agree to this plan as asked. A member of our team will "
                "contact you to find another way."
            )
            request._reply_customer(
                reply, self.env._("Payment plan asked for: declined")
            )
            request._close_portal_activity()
        return True

    def action_open_plan(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "debt.payment.plan",
            "res_id": self.plan_id.id,
            "view_mode": "form",
        }

    def _check_waiting(self):
        if self.state != "waiting":
            raise UserError(
                self.env._(
                    "This request was already answered (%(customer)s).",
                    customer=self.partner_id.display_name,
                )
            )

    @api.model
    def _create_request(self, partner, moves, preview, values):
        """The plan (a draft, with the previewed schedule) and the request.

        :param preview: ``services.portal.PlanPreview`` the customer saw
        """
        company = self.env["res.company"].browse(values["company_id"])
        plan = self.env["debt.payment.plan"].create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "move_ids": [Command.set(moves.ids)],
                "date": fields.Date.context_today(self),
                "installment_ids": [
                    Command.create({"date_due": day, "amount": amount})
                    for day, amount in preview.lines
                ],
            }
        )
        return self.create(
            dict(
                values,
                partner_id=partner.id,
                plan_id=plan.id,
                within_limits=preview.within_limits,
            )
        )

    @api.model
    def _ask_plan(self, partner_id, move_ids, hardship, monthly, first_date, reason=""):
        """A request as the portal makes one outside the limits, waiting for
        a collector (the demo's)."""
        partner = self.env["res.partner"].browse(partner_id)
        moves = self.env["account.move"].browse(move_ids)
        company = moves.company_id[:1]
        preview = portal_service.plan_preview(
            sum(moves.mapped("amount_residual")),
            monthly,
            fields.Date.to_date(first_date),
            fields.Date.context_today(self),
            company._debt_portal_limits(),
            company.currency_id.rounding,
        )
        request = self._create_request(
            partner,
            moves,
            preview,
            {
                "company_id": company.id,
                "hardship": hardship,
                "reason": reason,
                "monthly_amount": monthly,
                "date_first": first_date,
            },
        )
        request.activity_schedule(
            "debt_relations.mail_activity_type_debt_portal",
            summary=self.env._("Accept, adjust or decline the payment plan asked for"),
            user_id=partner.with_company(company)._debt_collector().id,
        )
        return request

    @api.model
    def _hold_reasons(self, company, move_ids=None):
        """Invoices of a plan waiting for a collector are not chased meanwhile."""
        domain = [
            ("company_id", "=", company.id),
            ("state", "=", "waiting"),
            ("hold", "=", True),
        ]
        if move_ids is not None:
            domain.append(("plan_id.move_ids", "in", list(move_ids)))
        return dict.fromkeys(
            self.search(domain).plan_id.move_ids.ids, eligibility.PAYMENT_PLAN
        )

    # ------------------------------------------------------------------
    # From the portal
    # ------------------------------------------------------------------

    @api.model
    def _portal_preview(self, statement, values):
        """The schedule a plan of the customer's open invoices would have:
        ``(moves, total, preview, sign)``, ``sign`` when the customer may sign
        it online and it starts at once.

        :param values: ``hardship``, ``monthly``, ``date_first``
        """
        portal = self.env["debt.portal"]
        lines = statement["actionable"]
        if not lines:
            raise UserError(self.env._("Please choose one of your open invoices."))
        moves = self.env["account.move"].sudo()
        for line in lines:
            moves |= line["move"]
        total = sum(moves.mapped("amount_residual"))
        if values.get("hardship") not in dict(HARDSHIPS):
            raise UserError(self.env._("Please tell us why you cannot pay in full."))
        try:
            preview = portal_service.plan_preview(
                total,
                values.get("monthly"),
                values.get("date_first"),
                statement["today"],
                statement["limits"],
                statement["currency"].rounding,
            )
        except schedule.ScheduleError as error:
            if error.code == portal_service.AMOUNT_TOO_HIGH:
                raise UserError(
                    self.env._(
                        "You can pay the whole amount at once: please use Pay now "
                        "or promise a date."
                    )
                ) from error
            raise UserError(
                portal._refusal(error.code, statement, owed=total)
            ) from error
        sign = (
            preview.within_limits
            and statement["company"].debt_portal_plan_auto
            and statement["agree"] == portal_service.SIGN
        )
        return moves, total, preview, sign

    @api.model
    def _portal_ask(self, statement, values):
        """Preview the schedule (nothing written), sign it within the limits
        (the plan starts and its agreement is mailed), or send it to a
        collector.

        :param values: ``hardship``, ``monthly``, ``date_first``, ``step``
            (``"confirm"`` to sign or send), ``signed_name``, ``accept``,
            ``reason``, ``signed_ip``
        :returns: the preview (a dict) before the confirming step, else
            ``"plan_signed"`` or ``"plan_asked"``
        """
        portal = self.env["debt.portal"]
        partner = statement["partner"]
        moves, total, preview, sign = self._portal_preview(statement, values)
        problems = [portal._refusal(code, statement) for code in preview.problems]
        asked = statement["agree"] == portal_service.ASK
        if values.get("step") != "confirm":
            return {
                "lines": preview.lines,
                "total": total,
                "sign": sign,
                "problems": problems,
                "asked": asked,
            }
        signed_name = (values.get("signed_name") or "").strip()
        if asked and (signed_name or values.get("accept")):
            # A signature posted where only asking is offered.
            portal._refuse(portal_service.RESIGN_REFUSED, statement)
        if sign and (not signed_name or not values.get("accept")):
            raise UserError(
                self.env._("To sign, type your full name and tick the box.")
            )
        reason = (values.get("reason") or "").strip()[:2000]
        monthly = values.get("monthly")
        first = values.get("date_first")
        # sudo: the customer's access was checked; the plan is made as a
        # collector makes one, from the schedule the customer saw.
        plan_request = portal._writer(self._name)._create_request(
            partner,
            moves,
            preview,
            {
                "company_id": statement["company"].id,
                "hardship": values["hardship"],
                "reason": reason,
                "monthly_amount": monthly,
                "date_first": first,
                "limits_note": "; ".join(problems),
                # Soon after a broken agreement the reminders go on while a
                # person decides.
                "hold": not asked,
            },
        )
        plan = plan_request.plan_id
        if sign:
            plan_request.write(
                {
                    "state": "signed",
                    "signed_name": signed_name[:200],
                    "signed_on": fields.Datetime.now(),
                    "signed_ip": values.get("signed_ip") or False,
                }
            )
            plan.agreed_partner_id = portal._author(partner)
            # The customer's signature is the portal's entry below (the
            # plan's start goes to its chatter); the written agreement mailed
            # back has its own, as every message sent.
            plan._activate(log=False)
            plan._portal_send_agreement()
            portal._inbound(
                statement,
                self.env._(
                    "Payment plan %(plan)s signed from the portal by %(name)s",
                    plan=plan.name,
                    name=signed_name,
                ),
                moves,
                outcome=reason,
            )
            return "plan_signed"
        portal._inbound(
            statement,
            self.env._(
                "Payment plan asked for from the portal: %(amount)s a month from "
                "%(date)s",
                amount=statement["currency"].format(monthly),
                date=fields.Date.to_string(first),
            ),
            moves,
            plan_request,
            activity=self.env._(
                "Accept, adjust or decline the payment plan asked for (soon "
                "after a broken agreement: the reminders go on meanwhile)"
            )
            if asked
            else self.env._("Accept, adjust or decline the payment plan asked for"),
            outcome=reason,
        )
        return "asked" if asked else "plan_asked"
