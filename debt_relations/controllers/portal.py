"""The customer's side of collections: its statement, and what it can do there.

Two ways in, one page: the personal link of the reminders
(``/collections/<customer id>?access_token=...``, no account needed) and, for
a portal user of the customer, *My Account* > ``/my/collections``. A key that
never was, another customer's, or a wrong customer id gets the same plain
404; a link that was the customer's but is revoked or out of date gets a
plain page that offers to send a fresh one to the billing address on file.

The routes parse what was posted, call the models and render: who may do
what is decided by ``debt.portal`` (``_access``, ``_may``), each action by the
model it changes. Every POST carries Odoo's CSRF token (checked by the
framework); bad input answers with the page again and a message, and nothing
is written.
"""

from urllib.parse import urlsplit

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.account_payment.controllers.portal import PortalAccount

from ..models.debt_portal import ATTACHMENT_MAX_BYTES
from ..services import portal as portal_service


class DebtPortal(PortalAccount):
    # ------------------------------------------------------------------
    # My Account
    # ------------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "debt_collections_count" in counters:
            partner = request.env.user.partner_id.commercial_partner_id
            values["debt_collections_count"] = len(
                request.env["debt.portal"]._open_moves(partner)
            )
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
        partner, state = request.env["debt.portal"]._access(partner_id, access_token)
        if state in (portal_service.EXPIRED, portal_service.REVOKED):
            return self._debt_render_out_of_date(partner, access_token)
        if state != portal_service.VALID:
            raise NotFound()
        return self._debt_render(partner, access_token, message=message)

    @http.route(
        "/collections/<int:partner_id>/fresh-link",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def debt_fresh_link(self, partner_id, access_token=None, **post):
        """Send the customer's link to its billing address on file, asked
        from an out-of-date link; the page says the same whether it was sent
        or not."""
        portal = request.env["debt.portal"]
        partner, state = portal._access(partner_id, access_token)
        if state not in (portal_service.EXPIRED, portal_service.REVOKED):
            raise NotFound()
        portal._send_fresh_link(partner, access_token)
        return self._debt_render_out_of_date(partner, access_token, asked=True)

    @http.route(
        "/collections/<int:partner_id>/<string:action>",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def debt_action(self, partner_id, action, access_token=None, **post):
        partner = self._debt_customer(partner_id, access_token)
        self._debt_speak(partner, access_token)
        portal = self._debt_portal(access_token)
        statement = portal._statement(partner, self._debt_via(access_token))
        if not portal._may(statement, action):
            raise NotFound()
        try:
            result = portal._act(statement, action, self._debt_parse(action, post))
        except (UserError, ValidationError) as error:
            return self._debt_render(
                partner,
                access_token,
                error=error.args[0],
                form=post,
                open_form=action,
            )
        if isinstance(result, dict):  # the plan's preview, nothing written
            return self._debt_render(
                partner, access_token, form=post, open_form=action, preview=result
            )
        return request.redirect(self._debt_url(partner, access_token, result))

    @http.route(
        "/collections/<int:partner_id>/pay",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def debt_pay(self, partner_id, access_token=None, move_id=None, **kw):
        """Pay the overdue balance with Odoo's online payment, or (``move_id``)
        the part of one invoice a dispute leaves due (an invoice not disputed
        is paid from its own page, linked on the statement)."""
        partner = self._debt_customer(partner_id, access_token)
        portal = self._debt_portal(access_token)
        statement = portal._statement(partner, self._debt_via(access_token))
        if not portal._may(statement, "pay"):
            raise NotFound()
        move_id = self._debt_int(move_id)
        lines = portal._pay_lines(statement, move_id)
        if not lines:
            return request.redirect(self._debt_url(partner, access_token))
        moves = request.env["account.move"].sudo()
        for line in lines:
            moves |= line["move"]
        page = self._overdue_invoices_get_page_view_values(
            moves, access_token=access_token, **kw
        )
        residual = sum(line["pay_amount"] for line in lines)
        page["payment"]["amount"] = residual
        transaction_route = f"/collections/{partner.id}/transaction"
        if move_id:
            transaction_route += f"/{moves.id}"
        page.update(
            {
                "amount": residual,
                "transaction_route": transaction_route,
                "landing_route": self._debt_url(partner, access_token),
                "page_name": "debt_collections",
            }
        )
        return request.render("account_payment.portal_overdue_invoices_page", page)

    # ------------------------------------------------------------------
    # A new billing email, confirmed from the new address
    # ------------------------------------------------------------------

    @http.route(
        "/collections/contact/<int:request_id>/confirm",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
    )
    def debt_contact_confirm(self, request_id, key=None, **post):
        """The link mailed to the new address: a page with a button (a mail
        client opening the link changes nothing), then the change."""
        contact = request.env["debt.portal.contact"]._portal_find(request_id, key)
        if not contact:
            raise NotFound()
        if request.httprequest.method == "POST":
            state = contact._portal_confirm()
        elif contact.state != "requested":
            state = "used"
        elif portal_service.confirmation_open(
            contact.expires_at, fields.Datetime.now()
        ):
            state = "requested"
        else:
            state = "expired"
        return request.render(
            "debt_relations.portal_debt_contact_confirm",
            {
                "contact": contact,
                "state": state,
                "key": key,
                "action_url": f"/collections/contact/{contact.id}/confirm",
            },
        )

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def _debt_customer(self, partner_id, access_token):
        """The customer (sudo) whose statement is asked for, by a link that
        works or a logged-in user of the customer; 404 otherwise (the same
        whether the customer exists or not)."""
        partner, state = request.env["debt.portal"]._access(partner_id, access_token)
        if state != portal_service.VALID:
            raise NotFound()
        return partner

    def _debt_via(self, access_token):
        return portal_service.LINK if access_token else portal_service.LOGIN

    def _debt_portal(self, access_token):
        """``debt.portal`` as the page reads: by the link, the superuser once
        its key was checked; a portal user, with its own rights."""
        portal = request.env["debt.portal"]
        return portal.sudo() if access_token else portal

    def _debt_pay_url(self, partner, access_token, move=None):
        params = [f"access_token={access_token}"] if access_token else []
        if move:
            params.append(f"move_id={move.id}")
        url = f"/collections/{partner.id}/pay"
        return f"{url}?{'&'.join(params)}" if params else url

    def _debt_url(self, partner, access_token, message=None):
        if access_token:
            url = f"/collections/{partner.id}?access_token={access_token}"
            return f"{url}&message={message}" if message else url
        return f"/my/collections?message={message}" if message else "/my/collections"

    # ------------------------------------------------------------------
    # Reading what was posted
    # ------------------------------------------------------------------

    def _debt_parse(self, action, post):
        """The posted form as values (dates, amounts, numbers, files); the
        models check them."""
        values = {
            "move_id": post.get("move_id"),
            "date_promised": self._debt_date(post.get("date_promised")),
            "date_paid": self._debt_date(post.get("date_paid")),
            "date_first": self._debt_date(post.get("date_first")),
            "amount": self._debt_amount(post.get("amount")),
            "amount_given": bool(post.get("amount")),
            "amount_disputed": self._debt_amount(post.get("amount_disputed")),
            "amount_disputed_given": bool(post.get("amount_disputed")),
            "monthly": self._debt_amount(post.get("monthly")),
            "reason_id": post.get("reason_id"),
            "description": post.get("description"),
            "reference": post.get("reference"),
            "email": post.get("email"),
            "channel": post.get("channel"),
            "days": self._debt_int(post.get("days")),
            "reason": post.get("reason"),
            "hardship": post.get("hardship"),
            "step": post.get("step"),
            "signed_name": post.get("signed_name"),
            "accept": post.get("accept") == "on",
            "ask": post.get("ask") == "1",
            "signed_ip": request.httprequest.remote_addr,
        }
        if action in ("dispute", "paid"):
            values["files"] = self._debt_files()
        return values

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

    def _debt_int(self, raw):
        try:
            return int(raw or 0)
        except ValueError:
            return 0

    def _debt_files(self):
        """The uploaded files, each read up to one byte past the largest size
        (``debt.portal._check_files`` refuses what is too large)."""
        return [
            (upload.filename, upload.read(ATTACHMENT_MAX_BYTES + 1), upload.mimetype)
            for upload in request.httprequest.files.getlist("attachment")
            if upload and upload.filename
        ]

    # ------------------------------------------------------------------
    # What the page shows
    # ------------------------------------------------------------------

    def _debt_speak(self, partner, access_token):
        """A customer's link opens in the customer's language (its mails'
        one), whatever the browser says, unless the visitor chose a language
        with Odoo's language switcher (its ``frontend_lang`` cookie). Logged-in
        portal users read their own user's language."""
        if not access_token or request.httprequest.cookies.get("frontend_lang"):
            return
        # A language in the URL (``/de/collections/...``, rewritten by Odoo
        # before it reaches here) is the visitor's choice too.
        environ = request.httprequest.environ
        asked = urlsplit(environ.get("REQUEST_URI") or "").path
        if asked and asked != request.httprequest.path:
            return
        code = partner.sudo()._debt_lang(partner.sudo().company_id or None)
        lang = request.env["res.lang"]._get_data(code=code)
        if lang.id and code != request.env.lang:
            request.update_context(lang=code)
            request.lang = lang

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
        self._debt_speak(partner, access_token)
        statement = self._debt_portal(access_token)._statement(
            partner, self._debt_via(access_token)
        )
        statement.update(
            {
                "access_token": access_token,
                "action_url": f"/collections/{partner.id}",
                "pay_url": self._debt_pay_url(partner, access_token),
                "page_name": "debt_collections",
                "message": self._debt_done_messages().get(message),
                "error": error,
                "form": form or {},
                "open_form": open_form,
                "preview": preview,
                "hardships": self._debt_hardships(),
            }
        )
        for line in statement["lines"]:
            # Partly disputed: paid here, the part not disputed only.
            line["pay_url"] = (
                self._debt_pay_url(partner, access_token, line["move"])
                if line["disputed"]
                else line["move"].get_portal_url()
            )
        return request.render(
            "debt_relations.portal_debt_statement",
            statement,
            status=400 if error else 200,
        )

    def _debt_render_out_of_date(self, partner, access_token, asked=False):
        """The plain page of a revoked or expired link: it names nothing of
        the customer, and offers a fresh link by mail to the address on
        file."""
        self._debt_speak(partner, access_token)
        return request.render(
            "debt_relations.portal_debt_out_of_date",
            {
                "action_url": f"/collections/{partner.id}/fresh-link",
                "access_token": access_token,
                "asked": asked,
            },
            status=410,
        )

    def _debt_done_messages(self):
        return {
            "promise": request.env._("Thank you: we have noted the date you will pay."),
            "dispute": request.env._(
                "Thank you for telling us. We are looking into it and will come "
                "back to you; this invoice is not chased meanwhile."
            ),
            "dispute_part": request.env._(
                "Thank you for telling us. We are looking into the part you "
                "dispute and will come back to you; the rest of the invoice stays "
                "due."
            ),
            "paid": request.env._(
                "Thank you: we are looking for your payment. No reminder is sent "
                "for these invoices meanwhile."
            ),
            "contact": request.env._("Thank you: your contact details are updated."),
            "contact_asked": request.env._(
                "Thank you: we have sent a confirmation link to the new address. "
                "The billing email changes once it is confirmed from there "
                "(within %(hours)s hours); the current address is told of the "
                "change asked.",
                hours=request.env.company.debt_portal_confirm_hours,
            ),
            "pause": request.env._("Thank you: we will answer your request shortly."),
            "plan_signed": request.env._(
                "Thank you: your payment plan is agreed. The written agreement is "
                "on its way by email."
            ),
            "plan_asked": request.env._(
                "Thank you: a member of our team looks at the plan you asked for "
                "and answers you shortly. No reminder is sent meanwhile."
            ),
            "asked": request.env._(
                "Thank you: we have received your request. A member of our team "
                "will answer you shortly; until then the usual reminders may "
                "still reach you."
            ),
        }

    def _debt_hardships(self):
        return [
            ("cash_flow", request.env._("Cash flow")),
            ("illness", request.env._("Illness")),
            ("disaster", request.env._("Disaster")),
            ("other", request.env._("Other")),
        ]


class DebtPaymentPortal(PaymentPortal):
    @http.route(
        [
            "/collections/<int:partner_id>/transaction",
            "/collections/<int:partner_id>/transaction/<int:move_id>",
        ],
        type="json",
        auth="public",
    )
    def debt_transaction(
        self,
        partner_id,
        move_id=None,
        access_token=None,
        payment_reference=None,
        **kwargs,
    ):
        """A transaction for the customer's overdue invoices (or the one
        invoice ``move_id``), as computed here (not as posted): their open
        amount less what a dispute holds, in their currency."""
        portal = DebtPortal()
        partner = portal._debt_customer(partner_id, access_token)
        debt_portal = portal._debt_portal(access_token)
        statement = debt_portal._statement(partner, portal._debt_via(access_token))
        lines = debt_portal._pay_lines(statement, move_id)
        moves = request.env["account.move"].sudo()
        for line in lines:
            moves |= line["move"]
        if not moves or not debt_portal._may(statement, "pay"):
            raise NotFound()
        if len(moves.currency_id) > 1:
            raise ValidationError(
                request.env._("Invoices in several currencies are paid one by one.")
            )
        kwargs["amount"] = sum(line["pay_amount"] for line in lines)
        self._validate_transaction_kwargs(kwargs)
        return self._process_transaction(
            partner.id, moves.currency_id.id, moves.ids, payment_reference, **kwargs
        )
