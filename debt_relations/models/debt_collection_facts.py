"""Facts the collection run decides on, gathered in one place.

The run (deciding), the sender (checking again before it sends), the
customer's "what next" and, later, the portal and the collector's worklist all
read the same facts: open invoices with their holds, customers with their
pause, policy, rung, last contact and broken agreements. They are gathered
set-based (a fixed number of queries whatever the ledger's size) and returned
as the services' frozen dataclasses, so data flows one way: facts, then the
services' decisions, then the models' writes.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from .. import fastpath
from ..services import eligibility, escalation
from .debt_stage import CORE_CHANNELS

# Invoices a run examines: open in Odoo's eyes. Paid and reversed ones are
# only looked at again when a prepared action is about to be sent.
OPEN_PAYMENT_STATES = ("not_paid", "partial", "in_payment", "blocked")


class DebtCollectionFacts(models.AbstractModel):
    _name = "debt.collection.facts"
    _description = "Collection Facts"

    @api.model
    def _open_invoice_query(self, company, move_ids=None):
        """SQL giving one row per customer invoice with its open amount.

        Amounts and due dates come from the receivable (payment term) lines: an
        invoice paid in instalments is as late as its oldest unpaid instalment.
        """
        if move_ids is None:
            where = SQL("m.payment_state IN %s", OPEN_PAYMENT_STATES)
        else:
            where = SQL("m.id = ANY(%s)", fastpath.array(self.env, move_ids, "int4[]"))
        return SQL(
            """
            SELECT m.id, m.commercial_partner_id, m.payment_state,
                   COALESCE(m.debt_excluded, FALSE), m.debt_stage_id,
                   MIN(l.date_maturity) FILTER (WHERE NOT l.reconciled),
                   COALESCE(SUM(l.amount_residual), 0), m.debt_skip_reason
              FROM account_move m
              JOIN account_move_line l
                ON l.move_id = m.id AND l.display_type = 'payment_term'
             WHERE m.company_id = %(company)s
               AND m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND %(where)s
          GROUP BY m.id
            """,
            company=company.id,
            where=where,
        )

    @api.model
    def _open_invoice_query_as_of(self, company, as_of):
        """Like :meth:`_open_invoice_query`, for the ledger as it stood on
        ``as_of`` (a replay): invoices dated by then, less the payments matched
        with them by then (a reconciliation counts from the later of the two
        entries' dates, as in Odoo's aged receivable)."""
        return SQL(
            """
            WITH due AS (
                SELECT l.move_id, l.date_maturity,
                       l.balance
                       - COALESCE((SELECT SUM(p.amount)
                                     FROM account_partial_reconcile p
                                    WHERE p.debit_move_id = l.id
                                      AND p.max_date <= %(as_of)s), 0)
                       + COALESCE((SELECT SUM(p.amount)
                                     FROM account_partial_reconcile p
                                    WHERE p.credit_move_id = l.id
                                      AND p.max_date <= %(as_of)s), 0) AS residual
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                 WHERE l.display_type = 'payment_term'
                   AND m.company_id = %(company)s
                   AND m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.invoice_date <= %(as_of)s
            )
            SELECT m.id, m.commercial_partner_id,
                   CASE WHEN SUM(d.residual) < SUM(m.amount_total_signed)
                        THEN 'partial' ELSE 'not_paid' END,
                   COALESCE(m.debt_excluded, FALSE), NULL::int,
                   MIN(d.date_maturity) FILTER (WHERE d.residual > 0),
                   SUM(d.residual), NULL::varchar
              FROM due d
              JOIN account_move m ON m.id = d.move_id
          GROUP BY m.id
            HAVING SUM(d.residual) > 0
            """,
            company=company.id,
            as_of=as_of,
        )

    @api.model
    def _gather_invoice_facts(self, company, move_ids=None, as_of=None):
        """:class:`InvoiceFacts` of the company's open invoices (or of ``move_ids``).

        :param as_of: for a replay, the ledger as it stood on that day
        """
        self.env["account.move"].flush_model(
            [
                "commercial_partner_id",
                "payment_state",
                "debt_excluded",
                "debt_stage_id",
                "debt_skip_reason",
                "company_id",
                "move_type",
                "state",
            ]
        )
        self.env["account.move.line"].flush_model(
            [
                "move_id",
                "display_type",
                "date_maturity",
                "reconciled",
                "amount_residual",
            ]
        )
        if as_of:
            self.env["account.partial.reconcile"].flush_model()
            self.env["account.move.line"].flush_model(["balance"])
            self.env["account.move"].flush_model(
                ["invoice_date", "amount_total_signed"]
            )
            query = self._open_invoice_query_as_of(company, as_of)
        else:
            query = self._open_invoice_query(company, move_ids)
        if move_ids is None:
            with fastpath.large_query(self.env):
                rows = self.env.execute_query(query)
        else:
            rows = self.env.execute_query(query)
        holds = self._get_hold_reasons(company, move_ids)
        disputes = self.env["debt.dispute"]._disputed_amounts(company, move_ids)
        return [
            eligibility.InvoiceFacts(
                move_id=move_id,
                partner_id=partner_id,
                payment_state=payment_state,
                excluded=excluded,
                stage_id=stage_id,
                date_due=date_due,
                residual=residual,
                hold_reason=holds.get(move_id),
                disputed=(
                    eligibility.disputed_share(residual, *disputes[move_id])
                    if move_id in disputes
                    else 0.0
                ),
                skip_reason=skip_reason,
            )
            for (
                move_id,
                partner_id,
                payment_state,
                excluded,
                stage_id,
                date_due,
                residual,
                skip_reason,
            ) in rows
        ]

    @api.model
    def _get_hold_reasons(self, company, move_ids=None):
        """Move id -> reason code, for invoices held by an agreement.

        :param move_ids: the invoices to look at; ``None``: every invoice of
            ``company`` (a whole run: agreements are far fewer than invoices,
            so they are looked up by state rather than by invoice)

        Extension point: payment plans, promises and disputes add their holds.
        """
        holds = {}
        # Weakest first, so the strongest hold (eligibility.HOLD_REASONS) wins:
        # a payment said to be made, or a plan asked for, from the portal shows
        # only when no agreement holds the invoice.
        for model in (
            "debt.portal.claim",
            "debt.portal.plan.request",
            "debt.promise",
            "debt.payment.plan",
            "debt.dispute",
            "debt.handoff",
        ):
            holds.update(self.env[model]._hold_reasons(company, move_ids))
        return holds

    @api.model
    def _gather_partner_facts(self, company, as_of, partner_ids):
        """Facts of the customers, their policies and every stage's offset.

        :returns: (partner id -> PartnerFacts, policy -> partner ids,
                   stage id -> offset)
        """
        partner_ids = list(partner_ids)
        Partner = self.env["res.partner"]
        Partner.flush_model(
            [
                "debt_paused_until",
                "debt_do_not_contact",
                "debt_stage_id",
                "debt_policy_id",
                "email",
                "parent_id",
                "type",
                "active",
                "complete_name",
                "debt_email_failing",
            ]
        )
        self.env["debt.partner.profile"].flush_model(
            ["partner_id", "company_id", "tier_id", "replied_until"]
        )
        cid = str(company.id)
        rows = self.env.execute_query(
            SQL(
                """
            SELECT p.id, p.debt_paused_until, COALESCE(p.debt_do_not_contact, FALSE),
                   (p.debt_stage_id ->> %(cid)s)::int,
                   (p.debt_policy_id ->> %(cid)s)::int,
                   (SELECT pr.tier_id FROM debt_partner_profile pr
                     WHERE pr.partner_id = p.id AND pr.company_id = %(company)s),
                   COALESCE((
                       SELECT c.email FROM res_partner c
                        WHERE c.parent_id = p.id AND c.type = 'invoice'
                          AND c.active AND COALESCE(c.email, '') != ''
                     ORDER BY c.complete_name, c.id DESC
                        LIMIT 1
                   ), p.email),
                   COALESCE(p.debt_email_failing, FALSE),
                   (SELECT pr.replied_until FROM debt_partner_profile pr
                     WHERE pr.partner_id = p.id AND pr.company_id = %(company)s)
              FROM res_partner p
             WHERE p.id = ANY(%(ids)s)
                """,
                cid=cid,
                company=company.id,
                ids=fastpath.array(self.env, partner_ids, "int4[]"),
            )
        )
        since = self._contact_horizon(company, as_of)
        last_contacts = self._gather_last_contacts(company, as_of, partner_ids, since)
        broken = self._get_broken_agreements(company, partner_ids, last_contacts, since)
        pending = {
            partner.id
            for [partner] in self.env["debt.action"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("state", "in", ("to_review", "queued")),
                ],
                ["partner_id"],
            )
        }
        default_policy = company.debt_policy_id
        policy_ids = {row[4] for row in rows if row[4]}
        tiers = (
            self.env["debt.relationship.tier"]
            .browse({row[5] for row in rows if row[5]})
            .exists()
        )
        policies = (
            self.env["debt.policy"].browse(policy_ids).exists()
            | tiers.policy_id
            | default_policy
        )
        policy_partners = {policy: [] for policy in policies}
        stages = self.env["debt.stage"].search([("company_id", "=", company.id)])
        handoff = set(stages.filtered("is_handoff").ids)
        credits = self._gather_unapplied_credits(company, partner_ids)
        # The contact limit: customers at it, and the first day with room.
        capped = self.env["debt.contact.governor"]._cap_free_from(company, as_of)
        partners = {}
        # (policy set by hand, tier) -> the policy chasing: a few pairs.
        policy_of = {}
        for (
            pid,
            paused,
            dnc,
            stage_id,
            policy_id,
            tier_id,
            email,
            failing,
            replied_until,
        ) in rows:
            # Odoo's own normalisation decides what it can send to.
            valid = fastpath.email_valid(self.env, email)
            chosen = policy_of.get((policy_id, tier_id))
            if chosen is None:
                policy = policies.browse(policy_id) & policies
                tier = tiers.browse(tier_id) & tiers
                chosen = policy_of[policy_id, tier_id] = (
                    self._partner_policy(policy, tier) or default_policy
                )
            policy_partners[chosen].append(pid)
            partners[pid] = eligibility.PartnerFacts(
                partner_id=pid,
                paused_until=paused,
                do_not_contact=dnc,
                last_contact=last_contacts.get(pid),
                stage_id=stage_id,
                pending_action=pid in pending,
                has_email=valid and not failing,
                email_invalid=bool(email) and (failing or not valid),
                agreement_broken=pid in broken,
                handed_off=stage_id in handoff,
                unapplied_credit=credits.get(pid, 0.0),
                replied_until=replied_until,
                cap_free_from=capped.get(pid),
            )
        offsets = {stage.id: stage.offset_days for stage in stages}
        return partners, policy_partners, offsets

    @api.model
    def _gather_unapplied_credits(self, company, partner_ids):
        """Partner id -> credit on its receivable not matched with any invoice
        (credit notes, payments registered but not reconciled), in company
        currency: money already there, which the run does not chase."""
        self.env["account.move.line"].flush_model(
            [
                "partner_id",
                "account_id",
                "amount_residual",
                "reconciled",
                "parent_state",
            ]
        )
        rows = self.env.execute_query(
            SQL(
                """
            SELECT COALESCE(p.commercial_partner_id, p.id), -SUM(l.amount_residual)
              FROM account_move_line l
              JOIN account_account a ON a.id = l.account_id
              JOIN res_partner p ON p.id = l.partner_id
             WHERE l.company_id = %(company)s
               AND a.account_type = 'asset_receivable'
               AND l.parent_state = 'posted'
               AND NOT l.reconciled
               AND l.amount_residual < 0
               AND COALESCE(p.commercial_partner_id, p.id) = ANY(%(ids)s)
          GROUP BY 1
                """,
                company=company.id,
                ids=fastpath.array(self.env, partner_ids, "int4[]"),
            )
        )
        return dict(rows)

    @api.model
    def _partner_policy(self, policy, tier=None):
        """The policy chasing a customer: ``policy``, the one set on it by
        hand, else its relationship ``tier``'s, else ``None`` (the company's
        default). Asked once per pair found among the run's customers."""
        return policy or (tier and tier.policy_id) or None

    @api.model
    def _get_broken_agreements(self, company, partner_ids, last_contacts, since):
        """Partners whose payment plan or promise broke since their last contact.

        Their next reminder acknowledges it at their current rung, no higher.
        Only breaks after ``since`` matter, as for contacts.
        """
        broken = set()
        for model in ("debt.payment.plan", "debt.promise"):
            for pid, day in (
                self.env[model]._broken_since(company, partner_ids, since).items()
            ):
                last = last_contacts.get(pid)
                if last is None or day > last:
                    broken.add(pid)
        return broken

    @api.model
    def _contact_horizon(self, company, as_of):
        """The day before which contacts and broken agreements no longer
        matter: the longest gap of any stage of the company, before ``as_of``."""
        longest = max(
            self.env["debt.stage"]
            .search([("company_id", "=", company.id)])
            .mapped("min_gap_days")
            or [0]
        )
        return fields.Date.subtract(as_of, days=longest + 1)

    @api.model
    def _gather_last_contacts(self, company, as_of, partner_ids, since):
        """Partner id -> date of its last outbound contact or prepared action.

        Only the recent past matters (from ``since``); nothing after ``as_of``
        (a replay decides as things stood that day). An email that could not
        be delivered, an action never sent, are no contact. A customer who
        acted on the portal on ``as_of`` has answered: no reminder that day.
        """
        last = {}
        for model, domain in (
            (
                "debt.contact.log",
                [
                    ("direction", "=", "outbound"),
                    ("courtesy", "=", False),
                    ("delivery_state", "!=", "failed"),
                ],
            ),
            (
                "debt.action",
                [("state", "not in", ("cancelled", "failed", "stale"))],
            ),
        ):
            for partner, day in self.env[model]._read_group(
                domain
                + [
                    ("company_id", "=", company.id),
                    ("date", ">=", since),
                    ("date", "<=", as_of),
                ],
                ["partner_id"],
                ["date:max"],
            ):
                if partner.id not in last or last[partner.id] < day:
                    last[partner.id] = day
        for [partner] in self.env["debt.contact.log"]._read_group(
            [
                ("company_id", "=", company.id),
                ("channel", "=", "portal"),
                ("direction", "=", "inbound"),
                ("date", "=", as_of),
                ("partner_id", "in", list(partner_ids)),
            ],
            ["partner_id"],
        ):
            last[partner.id] = as_of
        return last

    @api.model
    def _policy_ladder(self, policy):
        return [
            escalation.Rung(
                stage_id=stage.id,
                offset_days=stage.offset_days,
                min_gap_days=stage.min_gap_days,
                requires_review=stage.requires_review,
                send_email=stage.send_email,
                send_letter=stage.send_letter,
                schedule_call=stage.schedule_call,
                other_channels=bool(stage._debt_channels() - CORE_CHANNELS),
            )
            for stage in policy._get_ladder_stages()
        ]
