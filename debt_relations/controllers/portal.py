"""The customer's side of collections: its statement, and what it can do there.

Two ways in, one page: the personal link of the reminders
(``/collections/<customer id>?access_token=...``, no account needed) and, for
a portal user of the customer, *My Account* > ``/my/collections``. A wrong,
altered or revoked link, or another customer's, gets the same plain 404
whether the customer exists or not.

Every POST carries Odoo's CSRF token (checked by the framework), is limited
per customer and hour, and is validated here (``services.portal`` decides);
bad input answers with the page again and a message, and nothing is written.
"""

from datetime import timedelta

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools import consteq, email_normalize, plaintext2html

from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.account_payment.controllers.portal import PortalAccount

from ..services import portal as portal_service
from ..services import schedule

ATTACHMENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENT_MAX_COUNT = 5
OPEN_PAYMENT_STATES = ("not_paid", "partial")
ACTIONABLE = (portal_service.DUE, portal_service.OVERDUE)
"""Statuses of the invoices a customer may still act on (not held already)."""


class PortalInputError(Exception):
    """A value posted from the portal is refused: the message says why."""


class DebtPortal(PortalAccount):
    # ------------------------------------------------------------------
    # My Account
    # ------------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "debt_collections_count" in counters:
            partner = request.env.user.partner_id.commercial_partner_id
            values["debt_collections_count"] = len(self._debt_open_moves(partner))
        return values

    @http.route("/my/collections", type="http", auth="user", website=True)
    def debt_my_collections(self, **kw):
        partner = request.env.user.partner_id.commercial_partner_id
        return self._debt_render(partner, None, message=kw.get("message"))

    # ------------------------------------------------------------------
    # The statement, by link or as a portal user
    # ------------------------------------------------------------------

    @http.route(
        "/collections/<int:partner_id>", type="http", auth="public", website=True
    )
    def debt_statement(self, partner_id, access_token=None, message=None, **kw):
        partner = self._debt_customer(partner_id, access_token)
        return self._debt_render(partner, access_token, message=message)

    @http.route(
        "/collections/<int:partner_id>/<string:action>",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def debt_action(self, partner_id, action, access_token=None, **post):
        partner = self._debt_customer(partner_id, access_token)
        handlers = {
            "promise": self._debt_post_promise,
            "dispute": self._debt_post_dispute,
            "paid": self._debt_post_paid,
            "contact": self._debt_post_contact,
            "pause": self._debt_post_pause,
            "plan": self._debt_post_plan,
        }
        handler = handlers.get(action)
        values = self._debt_statement_values(partner, access_token)
        if not handler or action not in values["offered"]:
            raise NotFound()
        try:
            self._debt_check_rate(partner, values["company"])
            with request.env.cr.savepoint():
                message = handler(partner, values, post)
        except PortalInputError as error:
            return self._debt_render(
                partner, access_token, error=str(error), form=post, open_form=action
            )
        except (UserError, ValidationError) as error:
            return self._debt_render(
                partner,
                access_token,
                error=error.args[0],
                form=post,
                open_form=action,
            )
        if not isinstance(message, str):
            return message  # a page (the plan's preview), nothing written
        return request.redirect(self._debt_url(partner, access_token, message))

    @http.route(
        "/collections/<int:partner_id>/pay",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def debt_pay(self, partner_id, access_token=None, **kw):
        """Pay the overdue balance with Odoo's online payment (one invoice is
        paid from its own page, linked on the statement)."""
        partner = self._debt_customer(partner_id, access_token)
        values = self._debt_statement_values(partner, access_token)
        moves = self._debt_pay_moves(values)
        if "pay" not in values["offered"]:
            raise NotFound()
        if not moves:
            return request.redirect(self._debt_url(partner, access_token))
        page = self._overdue_invoices_get_page_view_values(
            moves, access_token=access_token, **kw
        )
        residual = sum(moves.mapped("amount_residual"))
        page["payment"]["amount"] = residual
        page.update(
            {
                "amount": residual,
                "transaction_route": f"/collections/{partner.id}/transaction",
                "landing_route": self._debt_url(partner, access_token),
                "page_name": "debt_collections",
            }
        )
        return request.render("account_payment.portal_overdue_invoices_page", page)

    def _debt_pay_moves(self, values):
        return values["pay_moves"]

    def _debt_pay_moves_of(self, lines, today):
        """The overdue invoices the customer may pay online (not disputed)."""
        moves = request.env["account.move"].sudo()
        for line in lines:
            if line["days_overdue"] and line["status"] != portal_service.DISPUTED:
                moves |= line["move"]
        return moves

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def _debt_customer(self, partner_id, access_token):
        """The customer (sudo) whose statement is asked for; 404 otherwise,
        the same whether the customer exists or not."""
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        if not partner or partner.parent_id:
            raise NotFound()
        if access_token:
            token = partner.debt_portal_token
            if token and consteq(token, str(access_token)):
                return partner
            raise NotFound()
        user = request.env.user
        if not user._is_public() and (
            user.partner_id.commercial_partner_id.id == partner.id
        ):
            return partner
        raise NotFound()

    def _debt_url(self, partner, access_token, message=None):
        if access_token:
            url = f"/collections/{partner.id}?access_token={access_token}"
            return f"{url}&message={message}" if message else url
        return f"/my/collections?message={message}" if message else "/my/collections"

    def _debt_check_rate(self, partner, company):
        since = fields.Datetime.now() - timedelta(hours=1)
        recent = (
            request.env["debt.contact.log"]
            .sudo()
            .search_count(
                [
                    ("partner_id", "=", partner.id),
                    ("channel", "=", "portal"),
                    ("direction", "=", "inbound"),
                    ("create_date", ">=", since),
                ]
            )
        )
        if portal_service.rate_limited(recent, company.debt_portal_rate_limit):
            raise PortalInputError(
                request.env._(
                    "You have sent us many requests in the last hour: please try "
                    "again later, or write to us."
                )
            )

    # ------------------------------------------------------------------
    # What the page shows
    # ------------------------------------------------------------------

    def _debt_reader(self, access_token):
        """The environment the page reads with: a portal user's own rights
        (record rules keep it to its customer), or, by the link, the
        superuser's once the key was checked (only that customer's records
        are asked for)."""
        return request.env(su=True) if access_token else request.env

    def _debt_open_moves(self, partner, env=None):
        return (env or request.env)["account.move"].search(
            [
                ("commercial_partner_id", "=", partner.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", OPEN_PAYMENT_STATES),
            ],
            order="invoice_date_due, id",
        )

    def _debt_status_labels(self):
        return {
            portal_service.DUE: request.env._("Due"),
            portal_service.OVERDUE: request.env._("Overdue"),
            portal_service.IN_PLAN: request.env._("In a payment plan"),
            portal_service.PROMISED: request.env._("Promised"),
            portal_service.DISPUTED: request.env._("Disputed"),
            portal_service.CHECKING: request.env._("Payment being checked"),
        }

    def _debt_statement_values(self, partner, access_token):
        env = self._debt_reader(access_token)
        moves = self._debt_open_moves(partner, env)
        company = moves[:1].company_id or partner.company_id or request.env.company
        moves = moves.filtered(lambda m: m.company_id == company).sudo()
        today = fields.Date.context_today(partner)
        facts = {
            fact.move_id: fact
            for fact in env["debt.collection.facts"]._gather_invoice_facts(
                company, moves.ids
            )
        }
        labels = self._debt_status_labels()
        lines = []
        for move in moves:
            fact = facts.get(move.id)
            if not fact or company.currency_id.compare_amounts(fact.residual, 0) <= 0:
                continue
            status = portal_service.invoice_status(
                fact.hold_reason, fact.date_due, today
            )
            lines.append(
                {
                    "move": move,
                    "date_due": fact.date_due,
                    "days_overdue": portal_service.days_overdue(fact.date_due, today),
                    "residual": fact.residual,
                    "status": status,
                    "status_label": labels[status],
                    "pdf_url": move.get_portal_url(report_type="pdf", download=True),
                }
            )
        offered = [
            action
            for action, field in (
                ("pay", "debt_portal_pay"),
                ("promise", "debt_portal_promise"),
                ("dispute", "debt_portal_dispute"),
                ("paid", "debt_portal_paid"),
                ("plan", "debt_portal_plan"),
                ("contact", "debt_portal_contact"),
                ("pause", "debt_portal_contact"),
            )
            if company[field]
        ]
        return {
            "partner": partner,
            "company": company,
            "currency": company.currency_id,
            "today": today,
            "lines": lines,
            "actionable": [line for line in lines if line["status"] in ACTIONABLE],
            "total_due": sum(line["residual"] for line in lines),
            "total_overdue": sum(
                line["residual"]
                for line in lines
                if line["date_due"] and line["date_due"] < today
            ),
            "offered": offered,
            "limits": company._debt_portal_limits(),
            "reasons": request.env["debt.dispute.reason"].sudo().search([]),
            "billing": partner._debt_billing_contact(),
            "access_token": access_token,
            "action_url": f"/collections/{partner.id}",
            "pay_url": f"/collections/{partner.id}/pay"
            + (f"?access_token={access_token}" if access_token else ""),
            "pay_moves": self._debt_pay_moves_of(lines, today),
            "page_name": "debt_collections",
        }

    def _debt_render(
        self,
        partner,
        access_token,
        message=None,
        error=None,
        form=None,
        open_form=None,
        preview=None,
    ):
        values = self._debt_statement_values(partner, access_token)
        values.update(
            {
                "message": self._debt_done_messages().get(message),
                "error": error,
                "form": form or {},
                "open_form": open_form,
                "preview": preview,
                "hardships": self._debt_hardships(),
            }
        )
        return request.render(
            "debt_relations.portal_debt_statement",
            values,
            status=400 if error else 200,
        )

    def _debt_done_messages(self):
        return {
            "promise": request.env._("Thank you: we have noted the date you will pay."),
            "dispute": request.env._(
                "Thank you for telling us. We are looking into it and will come "
                "back to you; this invoice is not chased meanwhile."
            ),
            "paid": request.env._(
                "Thank you: we are looking for your payment. No reminder is sent "
                "for these invoices meanwhile."
            ),
            "contact": request.env._("Thank you: your contact details are updated."),
            "pause": request.env._("Thank you: we will answer your request shortly."),
            "plan_signed": request.env._(
                "Thank you: your payment plan is agreed. The written agreement is "
                "on its way by email."
            ),
            "plan_asked": request.env._(
                "Thank you: a member of our team looks at the plan you asked for "
                "and answers you shortly. No reminder is sent meanwhile."
            ),
        }

    def _debt_hardships(self):
        return [
            ("cash_flow", request.env._("Cash flow")),
            ("illness", request.env._("Illness")),
            ("disaster", request.env._("Disaster")),
            ("other", request.env._("Other")),
        ]

    # ------------------------------------------------------------------
    # Reading what was posted
    # ------------------------------------------------------------------

    def _debt_pick_moves(self, values, raw, allow_all=True):
        """The invoices chosen (one id, or "all": every one still open to act
        on, overdue first); refused unless each is the customer's own."""
        actionable = values["actionable"]
        if allow_all and raw == "all":
            lines = [line for line in actionable if line["days_overdue"]] or actionable
        else:
            lines = [line for line in actionable if str(line["move"].id) == raw]
        if not lines:
            raise PortalInputError(
                request.env._("Please choose one of your open invoices.")
            )
        moves = request.env["account.move"].sudo()
        for line in lines:
            moves |= line["move"]
        return moves, sum(line["residual"] for line in lines)

    def _debt_date(self, raw):
        try:
            return fields.Date.to_date(raw) if raw else None
        except ValueError:
            return None

    def _debt_amount(self, raw):
        try:
            return float(str(raw).replace(",", ".")) if raw not in (None, "") else None
        except ValueError:
            return None

    def _debt_attachments(self):
        files = [f for f in request.httprequest.files.getlist("attachment") if f]
        files = [f for f in files if f.filename]
        if len(files) > ATTACHMENT_MAX_COUNT:
            raise PortalInputError(
                request.env._(
                    "Please attach at most %(count)s files.", count=ATTACHMENT_MAX_COUNT
                )
            )
        result = []
        for upload in files:
            data = upload.read(ATTACHMENT_MAX_BYTES + 1)
            if len(data) > ATTACHMENT_MAX_BYTES:
                raise PortalInputError(
                    request.env._(
                        "%(name)s is too large: files up to 5 MB are accepted.",
                        name=upload.filename,
                    )
                )
            mimetype = upload.mimetype or ""
            if mimetype not in ATTACHMENT_TYPES or not self._debt_looks_like(
                data, mimetype
            ):
                raise PortalInputError(
                    request.env._(
                        "%(name)s cannot be attached: please send a PDF, PNG or "
                        "JPEG file.",
                        name=upload.filename,
                    )
                )
            result.append((upload.filename, data, mimetype))
        return result

    def _debt_looks_like(self, data, mimetype):
        """The file's first bytes match the type it claims."""
        signatures = {
            "application/pdf": (b"%PDF",),
            "image/png": (b"\x89PNG",),
            "image/jpeg": (b"\xff\xd8\xff",),
        }
        return data.startswith(signatures[mimetype])

    def _debt_attach(self, files, record):
        Attachment = request.env["ir.attachment"].sudo()
        return Attachment.create(
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

    def _debt_refuse(self, code, values, **params):
        """Raise the message of a ``services.portal`` refusal code."""
        currency = values["currency"]
        messages = {
            portal_service.DATE_MISSING: request.env._("Please give a date."),
            portal_service.DATE_PAST: request.env._(
                "Please choose a date from today on."
            ),
            portal_service.DATE_TOO_FAR: request.env._(
                "Please choose a date within %(days)s days.",
                days=values["limits"].promise_days,
            ),
            portal_service.DATE_FUTURE: request.env._(
                "The payment date cannot be in the future."
            ),
            portal_service.AMOUNT_NOT_POSITIVE: request.env._(
                "Please give an amount above zero."
            ),
            portal_service.AMOUNT_TOO_HIGH: request.env._(
                "The amount is more than what is owed (%(owed)s).",
                owed=currency.format(params.get("owed", 0.0)),
            ),
            portal_service.PLAN_TOO_LONG: request.env._(
                "A plan signed online lasts at most %(months)s months.",
                months=values["limits"].plan_months,
            ),
            portal_service.PLAN_INSTALMENT_TOO_SMALL: request.env._(
                "A plan signed online has instalments of at least %(amount)s.",
                amount=currency.format(values["limits"].plan_min_amount),
            ),
            portal_service.PAUSE_DAYS: request.env._(
                "A pause is from 1 to %(days)s days.",
                days=portal_service.MAX_PAUSE_DAYS,
            ),
        }
        raise PortalInputError(messages[code])

    # ------------------------------------------------------------------
    # The actions
    # ------------------------------------------------------------------

    def _debt_post_promise(self, partner, values, post):
        moves, owed = self._debt_pick_moves(values, post.get("move_id"))
        day = self._debt_date(post.get("date_promised"))
        code = portal_service.check_promise_date(day, values["today"], values["limits"])
        if code:
            self._debt_refuse(code, values)
        raw_amount = post.get("amount")
        amount = self._debt_amount(raw_amount) if raw_amount else owed
        code = portal_service.check_amount(amount, owed, values["currency"].rounding)
        if code:
            self._debt_refuse(code, values, owed=owed)
        # sudo: the customer's access was checked; the promise is recorded as
        # a collector records one.
        promise = self._debt_sudo("debt.promise").create(
            {
                "partner_id": partner.id,
                "company_id": values["company"].id,
                "move_ids": [fields.Command.set(moves.ids)],
                "amount": amount,
                "date_promised": day,
            }
        )
        summary = request.env._(
            "Promised from the portal to pay %(amount)s by %(date)s",
            amount=values["currency"].format(amount),
            date=fields.Date.to_string(day),
        )
        log = self._debt_inbound(partner, values, summary, moves, promise)
        promise.contact_log_id = log
        return "promise"

    def _debt_post_dispute(self, partner, values, post):
        moves, _owed = self._debt_pick_moves(values, post.get("move_id"), False)
        reason = values["reasons"].filtered(
            lambda r: str(r.id) == str(post.get("reason_id"))
        )
        if not reason:
            raise PortalInputError(request.env._("Please choose what is wrong."))
        description = (post.get("description") or "").strip()
        if not description:
            raise PortalInputError(
                request.env._("Please tell us in a few words what is wrong.")
            )
        files = self._debt_attachments()
        # sudo: the customer's access was checked. The dispute logs the
        # contact itself (from the portal) and gives its owner an activity.
        dispute = self._debt_sudo("debt.dispute").create(
            {
                "move_id": moves.id,
                "reason": reason.id,
                "description": description[:2000],
                "origin": "portal",
            }
        )
        attachments = self._debt_attach(files, dispute)
        dispute.message_post(
            body=request.env._(
                "The customer disputes this invoice: %(text)s", text=description
            ),
            attachment_ids=attachments.ids,
            author_id=self._debt_author(partner).id,
        )
        self._debt_chatter(
            partner,
            request.env._(
                "Dispute on %(invoice)s from the portal: %(reason)s",
                invoice=moves.display_name,
                reason=reason.name,
            ),
        )
        return "dispute"

    def _debt_post_paid(self, partner, values, post):
        moves, owed = self._debt_pick_moves(values, post.get("move_id"))
        day = self._debt_date(post.get("date_paid"))
        amount = self._debt_amount(post.get("amount"))
        code = portal_service.check_paid_claim(
            day, amount, owed, values["today"], values["currency"].rounding
        )
        if code:
            self._debt_refuse(code, values, owed=owed)
        files = self._debt_attachments()
        limits = values["limits"]
        claim = self._debt_sudo("debt.portal.claim").create(
            {
                "partner_id": partner.id,
                "company_id": values["company"].id,
                "move_ids": [fields.Command.set(moves.ids)],
                "date_paid": day,
                "amount": amount,
                "reference": (post.get("reference") or "").strip()[:200],
                "date_until": portal_service.claim_hold_until(values["today"], limits),
            }
        )
        attachments = self._debt_attach(files, claim)
        claim.attachment_ids = attachments
        summary = request.env._(
            "Said from the portal to have paid %(amount)s on %(date)s",
            amount=values["currency"].format(amount),
            date=fields.Date.to_string(day),
        )
        self._debt_inbound(
            partner,
            values,
            summary,
            moves,
            claim,
            activity=request.env._(
                "Look for the payment the customer says was made (reference: "
                "%(reference)s)",
                reference=claim.reference or "-",
            ),
            outcome=claim.reference,
        )
        return "paid"

    def _debt_post_contact(self, partner, values, post):
        email = (post.get("email") or "").strip()
        channel = post.get("channel") or False
        channels = dict(partner._fields["debt_portal_channel"].selection)
        if email and not email_normalize(email):
            raise PortalInputError(
                request.env._("%(email)s is not a valid email address.", email=email)
            )
        if channel and channel not in channels:
            raise PortalInputError(request.env._("Please choose a channel."))
        if not email and not channel:
            raise PortalInputError(
                request.env._("Please give an email address or a channel.")
            )
        billing = values["billing"]
        changes = []
        if email and email != billing.email:
            billing.email = email
            changes.append(request.env._("email %(email)s", email=email))
        if channel:
            partner.debt_portal_channel = channel
            changes.append(
                request.env._(
                    "prefers %(channel)s",
                    channel=dict(
                        partner._fields["debt_portal_channel"]._description_selection(
                            request.env
                        )
                    )[channel],
                )
            )
        summary = request.env._(
            "Contact details updated from the portal: %(changes)s",
            changes=", ".join(changes),
        )
        self._debt_inbound(partner, values, summary, request.env["account.move"])
        return "contact"

    def _debt_post_pause(self, partner, values, post):
        try:
            days = int(post.get("days") or 0)
        except ValueError:
            days = 0
        code = portal_service.check_pause(days)
        if code:
            self._debt_refuse(code, values)
        reason = (post.get("reason") or "").strip()
        if not reason:
            raise PortalInputError(
                request.env._("Please tell us why you would like a pause.")
            )
        pause = self._debt_sudo("debt.portal.pause").create(
            {
                "partner_id": partner.id,
                "company_id": values["company"].id,
                "days": days,
                "reason": reason[:2000],
            }
        )
        summary = request.env._(
            "Asked from the portal for a pause of %(days)s days", days=days
        )
        self._debt_inbound(
            partner,
            values,
            summary,
            request.env["account.move"],
            pause,
            activity=request.env._(
                "The customer asks for a pause of %(days)s days: approve or decline",
                days=days,
            ),
            outcome=reason,
        )
        return "pause"

    def _debt_post_plan(self, partner, values, post):
        """Preview the schedule (nothing written), sign it within the limits,
        or send it to a collector."""
        lines = values["actionable"]
        if not lines:
            raise PortalInputError(
                request.env._("Please choose one of your open invoices.")
            )
        moves = request.env["account.move"].sudo()
        for line in lines:
            moves |= line["move"]
        total = sum(moves.mapped("amount_residual"))
        hardship = post.get("hardship")
        if hardship not in dict(self._debt_hardships()):
            raise PortalInputError(
                request.env._("Please tell us why you cannot pay in full.")
            )
        monthly = self._debt_amount(post.get("monthly"))
        first = self._debt_date(post.get("date_first"))
        try:
            preview = portal_service.plan_preview(
                total,
                monthly,
                first,
                values["today"],
                values["limits"],
                values["currency"].rounding,
            )
        except schedule.ScheduleError as error:
            if error.code == portal_service.AMOUNT_TOO_HIGH:
                raise PortalInputError(
                    request.env._(
                        "You can pay the whole amount at once: please use Pay now "
                        "or promise a date."
                    )
                ) from error
            self._debt_refuse(error.code, values, owed=total)
        company = values["company"]
        sign = preview.within_limits and company.debt_portal_plan_auto
        if post.get("step") != "confirm":
            return self._debt_render(
                partner,
                values["access_token"],
                form=post,
                open_form="plan",
                preview={
                    "lines": preview.lines,
                    "total": total,
                    "sign": sign,
                    "problems": [
                        self._debt_refusal_text(code, values)
                        for code in preview.problems
                    ],
                },
            )
        signed_name = (post.get("signed_name") or "").strip()
        if sign and (not signed_name or post.get("accept") != "on"):
            raise PortalInputError(
                request.env._("To sign, type your full name and tick the box.")
            )
        reason = (post.get("reason") or "").strip()[:2000]
        # sudo: the customer's access was checked; the plan is made as a
        # collector makes one, from the schedule the customer saw.
        plan_request = self._debt_sudo("debt.portal.plan.request")._create_request(
            partner,
            moves,
            preview,
            {
                "company_id": company.id,
                "hardship": hardship,
                "reason": reason,
                "monthly_amount": monthly,
                "date_first": first,
                "limits_note": "; ".join(
                    self._debt_refusal_text(code, values) for code in preview.problems
                ),
            },
        )
        plan = plan_request.plan_id
        if sign:
            plan_request.write(
                {
                    "state": "signed",
                    "signed_name": signed_name[:200],
                    "signed_on": fields.Datetime.now(),
                    "signed_ip": request.httprequest.remote_addr,
                }
            )
            plan.agreed_partner_id = self._debt_author(partner)
            plan.action_activate()
            plan._portal_send_agreement()
            summary = request.env._(
                "Payment plan %(plan)s signed from the portal by %(name)s",
                plan=plan.name,
                name=signed_name,
            )
            self._debt_inbound(partner, values, summary, moves, outcome=reason)
            return "plan_signed"
        summary = request.env._(
            "Payment plan asked for from the portal: %(amount)s a month from %(date)s",
            amount=values["currency"].format(monthly),
            date=fields.Date.to_string(first),
        )
        self._debt_inbound(
            partner,
            values,
            summary,
            moves,
            plan_request,
            activity=request.env._(
                "Accept, adjust or decline the payment plan asked for"
            ),
            outcome=reason,
        )
        return "plan_asked"

    def _debt_refusal_text(self, code, values):
        try:
            self._debt_refuse(code, values)
        except PortalInputError as error:
            return str(error)
        return code

    # ------------------------------------------------------------------
    # What every action leaves behind
    # ------------------------------------------------------------------

    def _debt_sudo(self, model):
        """``model`` to write what the customer asked for: as superuser (the
        customer's access was checked), without making the visitor of a link
        a follower of what it creates."""
        return request.env[model].sudo().with_context(mail_create_nosubscribe=True)

    def _debt_author(self, partner):
        user = request.env.user
        return partner if user._is_public() else user.partner_id

    def _debt_chatter(self, partner, body):
        partner.message_post(body=body, author_id=self._debt_author(partner).id)

    def _debt_inbound(
        self, partner, values, summary, moves, record=None, activity=None, outcome=None
    ):
        """The contact log entry, the customer's chatter, and an activity for
        the collector when a person must act."""
        log = (
            request.env["debt.contact.log"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": values["company"].id,
                    "move_ids": [fields.Command.set(moves.ids)],
                    "channel": "portal",
                    "direction": "inbound",
                    "summary": summary,
                    "outcome": outcome or False,
                }
            )
        )
        self._debt_chatter(partner, summary)
        if record is not None and activity:
            collector = partner.with_company(values["company"])._debt_collector()
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


class DebtPaymentPortal(PaymentPortal):
    @http.route("/collections/<int:partner_id>/transaction", type="json", auth="public")
    def debt_transaction(
        self, partner_id, access_token=None, payment_reference=None, **kwargs
    ):
        """A transaction for the customer's overdue invoices, as computed here
        (not as posted): their open amount, in their currency."""
        portal = DebtPortal()
        partner = portal._debt_customer(partner_id, access_token)
        values = portal._debt_statement_values(partner, access_token)
        moves = portal._debt_pay_moves(values)
        if not moves or "pay" not in values["offered"]:
            raise NotFound()
        if len(moves.currency_id) > 1:
            raise ValidationError(
                request.env._("Invoices in several currencies are paid one by one.")
            )
        kwargs["amount"] = sum(moves.mapped("amount_residual"))
        self._validate_transaction_kwargs(kwargs)
        return self._process_transaction(
            partner.id, moves.currency_id.id, moves.ids, payment_reference, **kwargs
        )
