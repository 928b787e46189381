from odoo import api, fields, models

from .debt_sender import CONFIRMATION, COURTESY, Contact


class DebtAgreementMixin(models.AbstractModel):
    """What payment plans, promises and disputes share.

    Each is something agreed or discussed with one customer about some of its
    invoices: it holds their chase while it stands, it writes to the customer's
    billing contact, and every exchange about it goes to the contact log.
    """

    _name = "debt.agreement.mixin"
    _inherit = "debt.owned.mixin"
    _description = "Collection Agreement"

    _debt_hold_reason = None
    """Skip reason (``services.eligibility``) of the invoices it holds."""
    _debt_hold_states = ("open",)
    """States in which it holds its invoices."""
    _debt_broken_date = None
    """Field holding the date it broke, for agreements that can break."""
    _debt_hold_field = None
    """Boolean field saying whether it holds its invoices at all (one asked
    for from the portal after a broken agreement holds nothing by itself)."""
    _debt_owned_fields = ("state",)
    """Fields only the agreement's methods (and the run) change: users press
    its buttons, they do not write them, through the screens or JSON-RPC."""
    _debt_expected_date_fields = frozenset(
        {"state", "partner_id", "move_ids", "move_id", "date", "date_promised"}
    )
    """Fields whose change moves the expected payment dates of the
    customer's invoices (``debt.payment.date``)."""

    recipient_id = fields.Many2one(
        "res.partner",
        compute="_compute_recipient_id",
        help="The billing contact the customer's messages go to.",
    )
    customer_lang = fields.Char(
        string="Customer Language",
        compute="_compute_customer_lang",
        help="The language of the customer's mails and PDFs: the billing "
        "contact's, else the company's.",
    )

    @api.depends("partner_id")
    def _compute_recipient_id(self):
        for record in self:
            record.recipient_id = (
                record.partner_id._debt_billing_contact()
                if record.partner_id
                else False
            )

    @api.depends("partner_id", "company_id")
    def _compute_customer_lang(self):
        for record in self:
            record.customer_lang = (
                record.recipient_id._debt_lang(record.company_id)
                if record.recipient_id
                else False
            )

    @api.model_create_multi
    def create(self, vals_list):
        # An agreement is with the customer (the commercial partner), whoever
        # of its contacts it was made with.
        Partner = self.env["res.partner"]
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = Partner.browse(
                    vals["partner_id"]
                ).commercial_partner_id.id
        records = super().create(vals_list)
        self.env["debt.payment.date"]._refresh_partners(records._debt_customers())
        return records

    def write(self, vals):
        moved = self._debt_expected_date_fields & set(vals)
        # The customer before and after the change (one edited by hand).
        before = self._debt_customers() if moved else set()
        result = super().write(vals)
        if moved:
            self.env["debt.payment.date"]._refresh_partners(
                before | self._debt_customers()
            )
        return result

    def _debt_customers(self):
        """``(customer, company)`` pairs of the records."""
        return {
            (record.partner_id.commercial_partner_id, record.company_id)
            for record in self
            if record.partner_id and record.company_id
        }

    def _transition(self, vals):
        """Write fields the agreement owns (its state, dates it records)."""
        return self._debt_as_owner().write(vals)

    @api.model
    def _invoice_names(self, moves):
        """The invoices, named so a person finds them, numbered or not."""
        names = []
        for move in moves:
            if move.name and move.name != "/":
                names.append(move.display_name)
                continue
            state = dict(move._fields["state"]._description_selection(self.env))
            names.append(
                self.env._(
                    "%(state)s invoice of %(customer)s for %(amount)s",
                    state=state.get(move.state, move.state),
                    customer=move.partner_id.display_name or "?",
                    amount=move.currency_id.format(move.amount_total),
                )
            )
        return ", ".join(names)

    def _agreement_moves(self):
        """The invoices concerned."""
        return self.move_ids

    def _debt_notify(
        self, template, summary, kind=CONFIRMATION, date=None, amount=None, **log
    ):
        """Write ``template`` to the customer's billing contact about the
        record, through the sending pipeline (``debt.sender``), and log it:
        one log entry (the full text), the mail in the company's layout, a
        short note on the record's chatter and the customer's. Answers to the
        mail land on the record.

        :param kind: ``NOTICE``, a collection notice the system sends by
            itself (an instalment reminder, a missed instalment, a payment
            not found): its mail waits for the next moment the company's
            contact hours allow, on the first day the contact limit has room;
            ``CONFIRMATION`` (of what was agreed or done) and ``COURTESY``
            (thanks) go at once and count towards no limit
        :param date: the day of its log entry (the day it was decided)
        :param amount: the amount it is about (default: the record's)
        :param log: more values of the log entry (``outcome``…)
        :returns: the log entry (a note when the customer has no address to
            write to: nothing was sent, the history still says what happened)
        """
        self.ensure_one()
        contact = Contact(
            self.partner_id,
            kind,
            self,
            template=template,
            thread=self,
            moves=self._agreement_moves(),
            amount=amount if amount is not None else self._debt_notify_amount(),
            currency=self.currency_id,
            summary=summary,
            date=date,
            log=log,
        )
        logs = self.env["debt.sender"]._debt_send([contact])
        if logs:
            return logs
        values = {"courtesy": kind == COURTESY, "confirmation": kind == CONFIRMATION}
        values.update(log)
        return self._log_contact(summary, date=date, channel="note", **values)

    def _debt_notify_amount(self):
        """The amount the record's messages are about (their chatter note)."""
        return None

    def _log_contact(
        self,
        summary,
        date=None,
        channel="email",
        direction="outbound",
        courtesy=False,
        outcome=False,
        confirmation=False,
    ):
        """Log a contact about the record; a courtesy (thanks) delays no
        reminder; neither it nor a ``confirmation`` of what the customer did
        counts towards the contact limit."""
        self.ensure_one()
        return self.env["debt.contact.log"].create(
            {
                "partner_id": self.partner_id.id,
                "move_ids": [fields.Command.set(self._agreement_moves().ids)],
                "date": date or fields.Date.context_today(self),
                "channel": channel,
                "direction": direction,
                "summary": summary,
                "outcome": outcome,
                "company_id": self.company_id.id,
                "courtesy": courtesy,
                "confirmation": confirmation,
            }
        )

    @api.model
    def _hold_reasons(self, company, move_ids=None):
        """Move id -> hold reason for the invoices held in ``company``.

        :param move_ids: the invoices to look at; ``None``: all of them (a whole
            run: agreements are far fewer than invoices, so they are looked up
            by state rather than by invoice)
        """
        domain = [
            ("company_id", "=", company.id),
            ("state", "in", self._debt_hold_states),
        ]
        if self._debt_hold_field:
            domain.append((self._debt_hold_field, "=", True))
        if move_ids is not None:
            domain.append(("move_ids", "in", list(move_ids)))
        return dict.fromkeys(self.search(domain).move_ids.ids, self._debt_hold_reason)

    def action_hold(self):
        """The collector agrees to what the customer asked from the portal:
        it holds the invoices from now on, as any agreement does."""
        field = self._debt_hold_field
        waiting = self.filtered(
            lambda r: field and not r[field] and r.state in self._debt_hold_states
        )
        if waiting:
            waiting._transition({field: True})
            waiting.activity_unlink(["debt_relations.mail_activity_type_debt_portal"])
        return True

    @api.model
    def _broken_since(self, company, partner_ids, since):
        """Partner id -> the last date one of its agreements broke, on or after
        ``since``."""
        broken = self._debt_broken_date
        return {
            partner.id: day
            for partner, day in self._read_group(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "broken"),
                    ("partner_id", "in", list(partner_ids)),
                    (broken, ">=", since),
                ],
                ["partner_id"],
                [f"{broken}:max"],
            )
        }
