from datetime import datetime

import pytz

from odoo import api, fields, models

from ..services import escalation
from .debt_collection_facts import OPEN_PAYMENT_STATES

LAST_CONTACTS = 10
"""Contacts the call sheet lists, latest first."""


class ReportDebtCallSheet(models.AbstractModel):
    """The call sheet: what to have in hand before calling a customer, on
    one page, for the current company (the worklist opens it in the row's)."""

    _name = "report.debt_relations.report_debt_call_sheet"
    _description = "Collections Call Sheet"

    @api.model
    def _get_report_values(self, docids, data=None):
        partners = self.env["res.partner"].browse(docids).commercial_partner_id
        return {
            "doc_ids": partners.ids,
            "doc_model": "res.partner",
            "docs": partners,
            "sheets": [self._sheet(partner) for partner in partners],
            "company": self.env.company,
        }

    @api.model
    def _sheet(self, partner):
        """Everything one customer's call sheet shows, as values."""
        company = self.env.company
        today = fields.Date.context_today(self)
        billing = partner._debt_billing_contact()
        tz = billing.tz or partner.tz
        local_now = False
        if tz and tz in pytz.all_timezones_set:
            local_now = datetime.now(pytz.timezone(tz)).strftime("%H:%M")
        lang = self.env["res.lang"]._lang_get(billing.lang or partner.lang)
        domain = [
            ("partner_id", "=", partner.id),
            ("company_id", "=", company.id),
        ]
        moves = self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", partner.id),
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", OPEN_PAYMENT_STATES),
            ],
            order="invoice_date_due, id",
        )
        invoices = []
        for move in moves:
            due = move.debt_open_due_date or move.invoice_date_due
            invoices.append(
                {
                    "move": move,
                    "due": due,
                    "days": max(escalation.days_overdue(due, today), 0) if due else 0,
                    "rung": move.debt_stage_id,
                }
            )
        plans = self.env["debt.payment.plan"].search(
            [*domain, ("state", "in", ("proposed", "active", "broken"))],
            order="date desc, id desc",
        )
        Promise = self.env["debt.promise"]
        stage = partner.with_company(company).debt_stage_id
        # sudo: the key is only read to tell whether the customer has a
        # statement link; the link shown is a preview, sent to no one.
        has_link = bool(partner.sudo().debt_portal_token)
        return {
            "partner": partner,
            "billing": billing,
            "tz": tz,
            "local_now": local_now,
            "lang": lang.name if lang else False,
            "profile": partner.with_company(company),
            "stage": stage,
            "invoices": invoices,
            "total_residual": sum(moves.mapped("amount_residual_signed")),
            "currency": company.currency_id,
            "contacts": self.env["debt.contact.log"].search(
                domain, limit=LAST_CONTACTS
            ),
            "plans": [
                {
                    "plan": plan,
                    "paid": len(
                        plan.installment_ids.filtered(lambda i: i.state == "paid")
                    ),
                    "count": len(plan.installment_ids),
                    "next": plan._debt_next_installment(),
                }
                for plan in plans
            ],
            "promises_open": Promise.search([*domain, ("state", "=", "open")]),
            "promises_kept": Promise.search_count([*domain, ("state", "=", "kept")]),
            "promises_broken": Promise.search_count(
                [*domain, ("state", "=", "broken")]
            ),
            "disputes": self.env["debt.dispute"].search(
                [*domain, ("state", "=", "open")]
            ),
            "rewards": self.env["debt.reward"].search(
                [*domain, ("state", "=", "granted")]
            ),
            "portal_url": has_link
            and partner.with_context(debt_portal_link_unsent=True)._debt_portal_url(),
            "portal_link_state": has_link and partner._debt_portal_link_state(company),
            "portal_options": self._portal_options(company),
            "talking_points": stage.talking_points,
        }

    @api.model
    def _portal_options(self, company):
        """What the customer may do on its statement, in words."""
        options = [
            (company.debt_portal_pay, self.env._("pay online")),
            (company.debt_portal_promise, self.env._("promise a date")),
            (company.debt_portal_dispute, self.env._("dispute an invoice")),
            (company.debt_portal_paid, self.env._("say it already paid")),
            (company.debt_portal_plan, self.env._("ask for a payment plan")),
        ]
        return ", ".join(label for enabled, label in options if enabled)
