from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services import incentives
from .debt_incentive_rule import KINDS


class DebtReward(models.Model):
    """A reward a customer earned by paying on time: what it changed, and when.

    Reversible: revoking puts back what the reward changed, for the future
    only (invoices issued meanwhile keep their payment terms).
    """

    _name = "debt.reward"
    _description = "Customer Reward"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "rule_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    rule_id = fields.Many2one(
        "debt.incentive.rule",
        required=True,
        readonly=True,
        ondelete="restrict",
        check_company=True,
    )
    kind = fields.Selection(
        [kind for kind in KINDS if kind[0] != incentives.THANKS],
        required=True,
        readonly=True,
    )
    date = fields.Date(string="Granted On", required=True, readonly=True)
    state = fields.Selection(
        [("granted", "Granted"), ("revoked", "Revoked")],
        default="granted",
        required=True,
        readonly=True,
        index=True,
    )
    revoke_date = fields.Date(
        string="Ends On",
        readonly=True,
        help="The streak was lost: the reward ends on this renewal date.",
    )
    date_revoked = fields.Date(string="Revoked On", readonly=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    payment_term_id = fields.Many2one(
        "account.payment.term",
        string="Payment Terms Granted",
        readonly=True,
        check_company=True,
    )
    previous_payment_term_id = fields.Many2one(
        "account.payment.term",
        string="Payment Terms Before",
        readonly=True,
        check_company=True,
    )
    credit_note_id = fields.Many2one("account.move", readonly=True, check_company=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    note = fields.Text(string="What It Changed", readonly=True)

    # ------------------------------------------------------------------
    # Granting
    # ------------------------------------------------------------------

    @api.model
    def _grant(self, rule, partners, as_of, announce=True):
        """Grant ``rule``'s reward to ``partners`` (commercial) on ``as_of``.

        :param bool announce: tell the customers now; ``False`` when the caller
            announces the rewards of several rules at once
        """
        company = rule.company_id
        partners = partners.with_company(company)
        vals_list = []
        for partner in partners:
            vals = {
                "partner_id": partner.id,
                "rule_id": rule.id,
                "kind": rule.kind,
                "date": as_of,
                "company_id": company.id,
            }
            if rule.kind == incentives.PAYMENT_TERM:
                previous = partner.property_payment_term_id
                vals.update(
                    payment_term_id=rule.payment_term_id.id,
                    previous_payment_term_id=previous.id,
                    note=self.env._(
                        "Payment terms of future invoices: %(new)s instead of %(old)s.",
                        new=rule.payment_term_id.display_name,
                        old=previous.display_name or self.env._("none"),
                    ),
                )
            elif rule.kind == incentives.CREDIT:
                vals.update(amount=rule.credit_amount)
            else:
                vals.update(note=self.env._("Recognition: %(rule)s", rule=rule.name))
            vals_list.append(vals)
        rewards = self.create(vals_list)
        for reward in rewards:
            reward._apply_reward()
        if announce:
            rewards._announce()
        return rewards

    def _apply_reward(self):
        self.ensure_one()
        partner = self.partner_id.with_company(self.company_id)
        if self.kind == incentives.PAYMENT_TERM:
            # sudo: the run grants terms on behalf of the company; collectors
            # approving nothing here need not be allowed to edit customers.
            partner.sudo().property_payment_term_id = self.payment_term_id
        elif self.kind == incentives.CREDIT:
            credit_note = (
                self.env["account.move"]
                .with_company(self.company_id)
                .create(
                    {
                        "move_type": "out_refund",
                        "partner_id": partner.id,
                        "invoice_date": self.date,
                        "ref": self.env._(
                            "Thank you for paying on time: %(rule)s",
                            rule=self.rule_id.name,
                        ),
                        "invoice_line_ids": [
                            fields.Command.create(
                                {
                                    "name": self.rule_id.name,
                                    "quantity": 1,
                                    "price_unit": self.amount,
                                    "tax_ids": [],
                                }
                            )
                        ],
                    }
                )
            )
            self.write(
                {
                    "credit_note_id": credit_note.id,
                    "note": self.env._(
                        "Draft credit note %(move)s prepared for review.",
                        move=credit_note.display_name,
                    ),
                }
            )

    def _announce(self):
        """Tell the customers about their new rewards and note them on them.

        One mail per customer, whatever the number of rewards (the message
        lists them all): the template of its first rule that has one.
        """
        partners_of = {}
        for partner, rewards in self.grouped("partner_id").items():
            rules = rewards.rule_id.sorted(lambda r: (r.sequence, r.id))
            template = rules.mail_template_id[:1]
            if template:
                partners_of.setdefault(template, self.env["res.partner"])
                partners_of[template] |= partner
        for template, partners in partners_of.items():
            self.env["debt.incentive.rule"].with_company(
                self.company_id[:1]
            )._send_courtesy(template, partners, self[:1].date)
        self._note_on_partners(
            lambda reward: self.env._(
                "Reward granted: %(rule)s. %(note)s",
                rule=reward.rule_id.name,
                note=reward.note or "",
            )
        )

    # ------------------------------------------------------------------
    # Revoking
    # ------------------------------------------------------------------

    def _schedule_revoke(self, revoke_date, as_of):
        """The streak is lost: announce the end of the reward on ``revoke_date``."""
        self.write({"revoke_date": revoke_date})
        template = self.env.ref(
            "debt_relations.mail_template_debt_reward_ending",
            raise_if_not_found=False,
        )
        if template:
            self.env["debt.incentive.rule"].with_company(
                self.company_id[:1]
            )._send_courtesy(template, self.partner_id, as_of)
        self._note_on_partners(
            lambda reward: self.env._(
                "Streak lost: %(rule)s ends on %(date)s.",
                rule=reward.rule_id.name,
                date=fields.Date.to_string(revoke_date),
            )
        )

    def action_revoke(self):
        """Revoke by hand, today."""
        if self.filtered(lambda r: r.state != "granted"):
            raise UserError(self.env._("Only granted rewards can be revoked."))
        self._revoke(fields.Date.context_today(self))
        return True

    def _revoke(self, as_of):
        """Put back what the rewards changed; past invoices keep their terms."""
        for reward in self:
            partner = reward.partner_id.with_company(reward.company_id)
            if (
                reward.kind == incentives.PAYMENT_TERM
                and partner.property_payment_term_id == reward.payment_term_id
            ):
                # sudo: see _apply_reward.
                partner.sudo().property_payment_term_id = (
                    reward.previous_payment_term_id
                )
            elif reward.kind == incentives.CREDIT and reward.credit_note_id.state in (
                "draft",
            ):
                reward.credit_note_id.button_cancel()
        self.write({"state": "revoked", "date_revoked": as_of})
        self._note_on_partners(
            lambda reward: self.env._(
                "Reward ended: %(rule)s.", rule=reward.rule_id.name
            )
        )

    def _note_on_partners(self, text):
        """One chatter note per customer, with ``text(reward)`` of each of its
        rewards (two rewards of one customer must not lose a note)."""
        notes = {}
        for reward in self:
            notes.setdefault(reward.partner_id.id, []).append(text(reward))
        self.partner_id._message_log_batch(
            {pid: Markup("<br/>").join(texts) for pid, texts in notes.items()}
        )
