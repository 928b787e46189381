import hashlib
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq, plaintext2html

from ..services import eligibility
from ..services import portal as portal_service
from .debt_sender import CONFIRMATION, Contact

OPEN_PAYMENT_STATES = ("not_paid", "partial")
ACTIONABLE = (portal_service.DUE, portal_service.OVERDUE)
"""Statuses of the invoices a customer may still act on (not held already)."""
UNPAYABLE = (portal_service.DISPUTED, portal_service.IN_PLAN)
"""Statuses of overdue invoices not in "Pay the overdue balance": disputed,
or paid by a plan's instalments."""
ATTACHMENT_TYPES = {
    "application/pdf": (b"%PDF",),
    "image/png": (b"\x89PNG",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
"""The files a customer may send, by type, and the first bytes each starts with."""
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENT_MAX_COUNT = 5
OFFERED = (
    ("pay", "debt_portal_pay"),
    ("promise", "debt_portal_promise"),
    ("dispute", "debt_portal_dispute"),
    ("paid", "debt_portal_paid"),
    ("plan", "debt_portal_plan"),
    ("contact", "debt_portal_contact"),
    ("pause", "debt_portal_contact"),
)
"""Each portal action and the company setting that offers it."""


def key_hash(key):
    """How a retired statement link key is remembered: never the key itself."""
    return hashlib.sha256(str(key).encode()).hexdigest()


class DebtPortal(models.AbstractModel):
    """The customer's statement and the rules of the portal, in one place.

    Who may open the statement (a link's key, checked in constant time, still
    fresh; or a logged-in portal user of the customer), what it shows, and
    what the visitor may do there (``_may``): the portal controller parses
    what was posted, calls ``_act`` and renders. Each action's own logic is on
    the model it changes (``debt.promise._portal_promise``,
    ``debt.dispute._portal_open``, ``debt.portal.plan.request._portal_ask``,
    ``debt.portal.contact._portal_change``, ...).

    A statement is a dict: the customer (sudo), ``via`` (``services.portal``
    ``LINK`` or ``LOGIN``), the company, its limits and the actions it offers,
    the open invoices as lines, the billing contact.
    """

    _name = "debt.portal"
    _description = "Collections Portal"

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    @api.model
    def _access(self, partner_id, key):
        """Who asks for the statement of customer ``partner_id``.

        :returns: ``(customer, state)``: ``state`` is ``services.portal``
            ``VALID`` (the link's key is the customer's current one and still
            fresh, or no key and a logged-in user of the customer), ``EXPIRED``
            (its current key, out of date) or ``REVOKED`` (a key it had before
            *New link* or a fresh link replaced it); ``(None, None)`` for
            anything else: a key that never was, another customer's, a
            contact instead of a customer, a customer id that does not exist.
        """
        # sudo: the visitor of a link has no rights; the key decides.
        partner = self.env["res.partner"].sudo().browse(partner_id).exists()
        if not partner or partner.parent_id:
            return None, None
        if key:
            key = str(key)
            current = partner.debt_portal_token
            if current and consteq(current, key):
                return partner, partner._debt_portal_link_state(self._company(partner))
            if self.env["debt.portal.link.event"]._was_key(partner, key):
                return partner, portal_service.REVOKED
            return None, None
        user = self.env.user
        if not user._is_public() and user.partner_id.commercial_partner_id == partner:
            return partner, portal_service.VALID
        return None, None

    @api.model
    def _may(self, statement, action):
        """How the visitor of ``statement`` may do ``action``: ``NOW``,
        ``CONFIRM`` (only once confirmed from the new address) or ``None``.
        The one place that says what a link may do and what needs a login."""
        return portal_service.may(action, statement["via"], statement["offered"])

    @api.model
    def _check_rate(self, statement):
        """Refuse one more action when the customer posted the company's
        number of actions in the last hour."""
        since = fields.Datetime.now() - timedelta(hours=1)
        recent = (
            self.env["debt.contact.log"]
            .sudo()
            .search_count(
                [
                    ("partner_id", "=", statement["partner"].id),
                    ("channel", "=", "portal"),
                    ("direction", "=", "inbound"),
                    ("create_date", ">=", since),
                ]
            )
        )
        if portal_service.rate_limited(recent, statement["limits"].rate_limit):
            raise UserError(
                self.env._(
                    "You have sent us many requests in the last hour: please try "
                    "again later, or write to us."
                )
            )

    @api.model
    def _act(self, statement, action, values):
        """Do ``action`` with the parsed ``values`` for the visitor of
        ``statement``: the key of the message to show, or a dict (the plan's
        preview, nothing written).

        :raises UserError: the action is refused (the message says why);
            nothing is written
        """
        handlers = {
            "promise": lambda: self.env["debt.promise"]._portal_promise(
                statement, values
            ),
            "dispute": lambda: self.env["debt.dispute"]._portal_open(statement, values),
            "paid": lambda: self.env["debt.portal.claim"]._portal_claim(
                statement, values
            ),
            "contact": lambda: self.env["debt.portal.contact"]._portal_change(
                statement, values
            ),
            "pause": lambda: self.env["debt.portal.pause"]._portal_ask(
                statement, values
            ),
            "plan": lambda: self.env["debt.portal.plan.request"]._portal_ask(
                statement, values
            ),
        }
        self._check_rate(statement)
        with self.env.cr.savepoint():
            return handlers[action]()

    # ------------------------------------------------------------------
    # What the statement shows
    # ------------------------------------------------------------------

    @api.model
    def _open_moves(self, partner):
        return self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", partner.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", OPEN_PAYMENT_STATES),
            ],
            order="invoice_date_due, id",
        )

    @api.model
    def _company(self, partner):
        """The company whose statement the customer sees: that of its first
        open invoice, else its own, else the current one."""
        # sudo: the company of the invoices only, for the settings it reads.
        move = self.sudo()._open_moves(partner)[:1]
        return move.company_id or partner.company_id or self.env.company

    @api.model
    def _status_labels(self):
        return {
            portal_service.DUE: self.env._("Due"),
            portal_service.OVERDUE: self.env._("Overdue"),
            portal_service.IN_PLAN: self.env._("In a payment plan"),
            portal_service.PROMISED: self.env._("Promised"),
            portal_service.DISPUTED: self.env._("Disputed"),
            portal_service.CHECKING: self.env._("Payment being checked"),
        }

    @api.model
    def _statement(self, partner, via):
        """The statement of ``partner`` (sudo) for a visitor come ``via`` a
        link (read as the superuser once its key was checked: only that
        customer's records are asked for) or a login (the portal user's own
        rights; record rules keep it to its customer)."""
        reader = self.sudo() if via == portal_service.LINK else self
        moves = reader._open_moves(partner)
        company = moves[:1].company_id or partner.company_id or self.env.company
        moves = moves.filtered(lambda m: m.company_id == company).sudo()
        today = fields.Date.context_today(partner)
        facts = {
            fact.move_id: fact
            for fact in reader.env["debt.collection.facts"]._gather_invoice_facts(
                company, moves.ids
            )
        }
        labels = self._status_labels()
        currency = company.currency_id
        rounding = currency.rounding
        # sudo: the open disputes of the customer's own invoices (above).
        disputes = self.env["debt.dispute"].sudo()._disputed_amounts(company, moves.ids)
        lines = []
        for move in moves:
            fact = facts.get(move.id)
            if not fact or currency.compare_amounts(fact.residual, 0) <= 0:
                continue
            full = eligibility.fully_disputed(fact, rounding)
            status = portal_service.invoice_status(
                fact.hold_reason, fact.date_due, today, fully_disputed=full
            )
            line = {
                "move": move,
                "date_due": fact.date_due,
                "days_overdue": portal_service.days_overdue(fact.date_due, today),
                "residual": fact.residual,
                # What is due of it: all, unless a dispute holds a part.
                "due": fact.residual,
                "disputed": 0.0,
                "dispute_note": False,
                # What paying it online pays, in the invoice's currency.
                "pay_amount": move.amount_residual,
                "status": status,
                "status_label": labels[status],
                "pdf_url": move.get_portal_url(report_type="pdf", download=True),
            }
            if not full and eligibility.is_disputed(fact, rounding):
                due = eligibility.chaseable_residual(fact, rounding)
                disputed, _open = disputes.get(move.id, (0.0, 0.0))
                line.update(
                    due=due,
                    disputed=fact.disputed,
                    dispute_note=self.env._(
                        "%(disputed)s disputed, %(due)s due",
                        disputed=currency.format(fact.disputed),
                        due=currency.format(due),
                    ),
                    pay_amount=eligibility.undisputed_amount(
                        move.amount_residual, disputed, move.currency_id.rounding
                    ),
                )
            lines.append(line)
        pay_moves = self.env["account.move"].sudo()
        for line in lines:
            if line["days_overdue"] and line["status"] not in UNPAYABLE:
                pay_moves |= line["move"]
        limits = company._debt_portal_limits()
        broken_on, stalled_on = self._setbacks(partner, company)
        return {
            "partner": partner,
            "via": via,
            "company": company,
            "currency": company.currency_id,
            "today": today,
            "lines": lines,
            "actionable": [line for line in lines if line["status"] in ACTIONABLE],
            "total_due": sum(line["residual"] for line in lines),
            # What is overdue and not in a plan: an instalment plan's
            # invoices are paid by its schedule, shown with the plan.
            "total_overdue": sum(
                line["residual"]
                for line in lines
                if line["date_due"]
                and line["date_due"] < today
                and line["status"] != portal_service.IN_PLAN
            ),
            "offered": [action for action, field in OFFERED if company[field]],
            "limits": limits,
            "agree": portal_service.agreement_mode(broken_on, today, limits),
            "holds": portal_service.holds_chase(stalled_on, today, limits),
            "agreed": self._agreed(partner, company, today),
            "reasons": self.env["debt.dispute.reason"]
            .sudo()
            .search([("active", "=", True)]),
            "billing": partner._debt_billing_contact(),
            "pay_moves": pay_moves,
        }

    @api.model
    def _setbacks(self, partner, company):
        """``(broken_on, stalled_on)``: the last day a plan or a promise of
        ``partner`` broke, and the last day a promise broke or a payment it
        said was made was not found (``None`` when never)."""
        # sudo: the customer's own agreements, read for what it may do.
        since = fields.Date.to_date("2000-01-01")
        plans = (
            self.env["debt.payment.plan"]
            .sudo()
            ._broken_since(company, partner.ids, since)
        )
        promises = (
            self.env["debt.promise"].sudo()._broken_since(company, partner.ids, since)
        )
        claims = self.env["debt.portal.claim"].sudo()._not_found_since(company, partner)
        promise_day = promises.get(partner.id)
        broken = [day for day in (plans.get(partner.id), promise_day) if day]
        stalled = [day for day in (promise_day, claims) if day]
        return max(broken, default=None), max(stalled, default=None)

    @api.model
    def _agreed(self, partner, company, today):
        """What the customer agreed to or asked for that still stands, as the
        statement shows it back: plans (with their schedule), promises,
        payments said to be made, plans and pauses asked for, a pause given.
        """
        # sudo: the customer's own agreements, shown on its own statement
        # (the visitor's access was checked).
        env = self.sudo().env
        domain = [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
        plans = env["debt.payment.plan"].search(
            domain + [("state", "=", "active")], order="date, id"
        )
        promises = env["debt.promise"].search(
            domain + [("state", "=", "open")], order="date_promised, id"
        )
        claims = env["debt.portal.claim"].search(
            domain + [("state", "=", "checking")], order="id"
        )
        plan_requests = env["debt.portal.plan.request"].search(
            domain + [("state", "=", "waiting")], order="id"
        )
        pauses = env["debt.portal.pause"].search(
            domain + [("state", "=", "requested")], order="id"
        )
        paused_until = partner.debt_paused_until
        return {
            "plans": [
                {
                    "plan": plan,
                    "installments": [
                        {
                            "date_due": installment.date_due,
                            "amount": installment.amount,
                            "amount_paid": installment.amount_paid,
                            "paid": installment.state == "paid",
                            "late": installment.state != "paid"
                            and installment.date_due < today,
                        }
                        for installment in plan.installment_ids._sorted_by_due()
                    ],
                }
                for plan in plans
            ],
            "promises": promises,
            "claims": claims,
            "plan_requests": plan_requests,
            "pauses": pauses,
            "paused_until": paused_until
            if paused_until and paused_until >= today
            else None,
        }

    # ------------------------------------------------------------------
    # Checking what was posted
    # ------------------------------------------------------------------

    @api.model
    def _pick_moves(self, statement, raw, allow_all=True):
        """The invoices chosen (one id, or "all": every one still open to act
        on, overdue first); refused unless each is the customer's own.

        :returns: ``(moves, owed)``
        """
        actionable = statement["actionable"]
        if allow_all and raw == "all":
            lines = [line for line in actionable if line["days_overdue"]] or actionable
        else:
            lines = [line for line in actionable if str(line["move"].id) == str(raw)]
        if not lines:
            raise UserError(self.env._("Please choose one of your open invoices."))
        moves = self.env["account.move"].sudo()
        for line in lines:
            moves |= line["move"]
        return moves, sum(line["due"] for line in lines)

    @api.model
    def _pay_lines(self, statement, move_id=None):
        """The lines paid online: the overdue balance (``pay_moves``), or
        the one invoice ``move_id`` still open to act on; ``[]`` when there is
        none such. Each line's ``pay_amount`` is what is paid of it (all it
        owes, less what a dispute holds)."""
        if move_id:
            return [
                line
                for line in statement["actionable"]
                if str(line["move"].id) == str(move_id)
            ]
        return [
            line
            for line in statement["lines"]
            if line["move"] in statement["pay_moves"]
        ]

    @api.model
    def _check_files(self, files):
        """Refuse more than five files, a file over 5 MB, or one that is not a
        PDF, PNG or JPEG by its type and its first bytes.

        :param files: ``[(name, data, mimetype)]``, each ``data`` read up to
            one byte past the largest size
        """
        if len(files) > ATTACHMENT_MAX_COUNT:
            raise UserError(
                self.env._(
                    "Please attach at most %(count)s files.", count=ATTACHMENT_MAX_COUNT
                )
            )
        for name, data, mimetype in files:
            if len(data) > ATTACHMENT_MAX_BYTES:
                raise UserError(
                    self.env._(
                        "%(name)s is too large: files up to 5 MB are accepted.",
                        name=name,
                    )
                )
            signatures = ATTACHMENT_TYPES.get(mimetype, ())
            if not any(data.startswith(start) for start in signatures):
                raise UserError(
                    self.env._(
                        "%(name)s cannot be attached: please send a PDF, PNG or "
                        "JPEG file.",
                        name=name,
                    )
                )
        return files

    @api.model
    def _attach(self, files, record):
        # sudo: the customer's files, on what it asked for.
        return (
            self.env["ir.attachment"]
            .sudo()
            .create(
                [
                    {
                        "name": name,
                        "raw": data,
                        "mimetype": mimetype,
                        "res_model": record._name,
                        "res_id": record.id,
                    }
                    for name, data, mimetype in files
                ]
            )
        )

    @api.model
    def _refusal(self, code, statement, **params):
        """The message of a ``services.portal`` refusal code."""
        currency = statement["currency"]
        limits = statement["limits"]
        messages = {
            portal_service.DATE_MISSING: lambda: self.env._("Please give a date."),
            portal_service.DATE_PAST: lambda: self.env._(
                "Please choose a date from today on."
            ),
            portal_service.DATE_TOO_FAR: lambda: self.env._(
                "Please choose a date within %(days)s days.",
                days=limits.promise_days,
            ),
            portal_service.DATE_FUTURE: lambda: self.env._(
                "The payment date cannot be in the future."
            ),
            portal_service.AMOUNT_NOT_POSITIVE: lambda: self.env._(
                "Please give an amount above zero."
            ),
            portal_service.AMOUNT_TOO_HIGH: lambda: self.env._(
                "The amount is more than what is owed (%(owed)s).",
                owed=currency.format(params.get("owed", 0.0)),
            ),
            portal_service.PLAN_TOO_LONG: lambda: self.env._(
                "A plan signed online lasts at most %(months)s months.",
                months=limits.plan_months,
            ),
            portal_service.PLAN_INSTALMENT_TOO_SMALL: lambda: self.env._(
                "A plan signed online has instalments of at least %(amount)s.",
                amount=currency.format(limits.plan_min_amount),
            ),
            portal_service.RESIGN_REFUSED: lambda: self.env._(
                "After a plan or a promise that was not kept, a new one is "
                "agreed with a member of our team, not online: please ask for "
                "it below, and a person will answer you."
            ),
            portal_service.PAUSE_DAYS: lambda: self.env._(
                "A pause is from 1 to %(days)s days.",
                days=portal_service.MAX_PAUSE_DAYS,
            ),
        }
        return messages[code]() if code in messages else code

    @api.model
    def _refuse(self, code, statement, **params):
        """Raise the message of a refusal code, when there is one."""
        if code:
            raise UserError(self._refusal(code, statement, **params))

    # ------------------------------------------------------------------
    # What every action leaves behind
    # ------------------------------------------------------------------

    @api.model
    def _writer(self, model):
        """``model`` to write what the customer asked for: as superuser (the
        customer's access was checked), without making the visitor of a link
        a follower of what it creates."""
        return self.env[model].sudo().with_context(mail_create_nosubscribe=True)

    @api.model
    def _author(self, partner):
        """Who the customer's messages are from: the logged-in user, else the
        customer."""
        user = self.env.user
        return partner if user._is_public() else user.partner_id

    @api.model
    def _chatter(self, partner, body):
        partner.message_post(body=body, author_id=self._author(partner).id)

    @api.model
    def _inbound(
        self, statement, summary, moves, record=None, activity=None, outcome=None
    ):
        """The contact log entry (portal, inbound), the customer's chatter,
        and an activity for the collector when a person must act."""
        partner = statement["partner"]
        log = (
            self.env["debt.contact.log"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": statement["company"].id,
                    "move_ids": [fields.Command.set(moves.ids)],
                    "channel": "portal",
                    "direction": "inbound",
                    "summary": summary,
                    "outcome": outcome or False,
                }
            )
        )
        self._chatter(partner, summary)
        if record is not None and activity:
            collector = partner.with_company(statement["company"])._debt_collector()
            # No assignment email: its sender would be the visitor of a link,
            # who has no address; the activity shows in the collector's list.
            record.with_context(mail_activity_quick_update=True).activity_schedule(
                "debt_relations.mail_activity_type_debt_portal",
                summary=activity,
                # The customer's words, as text: never markup.
                note=plaintext2html(outcome) if outcome else "",
                user_id=collector.id,
            )
        return log

    # ------------------------------------------------------------------
    # An out-of-date link
    # ------------------------------------------------------------------

    @api.model
    def _send_fresh_link(self, partner, key):
        """Mail the customer's link to its billing address on file, asked from
        the out-of-date link ``key``; never to an address the visitor gives.

        The link the customer has is sent when it still works (the visitor
        held a revoked one: the customer's link stays as it is); an expired
        one gets a new key first. At most ``FRESH_LINKS_PER_HOUR`` an hour per
        customer; the visitor is told the same either way.

        :returns: whether a mail was sent
        """
        partner, state = self._access(partner.id, key)
        if state not in (portal_service.EXPIRED, portal_service.REVOKED):
            return False
        events = self.env["debt.portal.link.event"].sudo()
        if portal_service.rate_limited(
            events._fresh_links_sent(partner), portal_service.FRESH_LINKS_PER_HOUR
        ):
            return False
        billing = partner._debt_billing_contact()
        if not billing.email:
            return False
        company = self._company(partner)
        if partner._debt_portal_link_state(company) != portal_service.VALID:
            partner._debt_portal_new_key("expired")
        template = self.env.ref("debt_relations.mail_template_debt_portal_fresh_link")
        # sudo: the customer's own link, mailed to its own billing address
        # (its note on the customer's chatter says so).
        logs = (
            self.env["debt.sender"]
            .sudo()
            ._debt_send(
                [
                    Contact(
                        partner,
                        CONFIRMATION,
                        partner,
                        template=template,
                        summary=self.env._(
                            "Asked from an out-of-date statement link: the "
                            "customer's link was sent to %(email)s",
                            email=billing.email,
                        ),
                    )
                ]
            )
        )
        if not logs:
            return False
        events.create({"partner_id": partner.id, "kind": "fresh_sent"})
        return True

    @api.model
    def _new_key(self):
        return secrets.token_urlsafe(24)
