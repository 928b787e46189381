"""No markup a customer or a user types becomes active in a collector's browser.

Every text a customer or a user sets that reaches a message or a log (names,
invoice references, what the customer writes on the portal, a logged call)
carries the payloads below; what the backend shows as HTML (the contact log's
body, a prepared reminder's preview, the chatter, activities), the mails and
the portal statement are then read as the web client and the browser read
them, and searched, parsed, for active markup.
"""

import re
from datetime import timedelta

from lxml import etree, html

from odoo.tests import tagged
from odoo.tools import SQL

from .common import load_migration
from .portal_common import DebtPortalCase

PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" jav&#x09;ascript:alert(1)">y</a>',
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%">',
    '<p style="width:expression(alert(1))">',
    "<svg onload=alert(1)>",
)
TEXT = " ".join(PAYLOADS)
"""What every field of the tests is given, around a plain word or two."""

MARK = "alert(1)"
"""What the payloads' scripts run: a page's own scripts never hold it."""

ACTIVE_TAGS = frozenset(
    "script iframe frame frameset object embed applet base link meta style form "
    "noscript template".split()
)
"""Elements that run code, load or restyle a page, or send it somewhere."""

URL_ATTRIBUTES = frozenset(
    "href src action formaction background lowsrc dynsrc poster data srcset "
    "xlink:href to from values".split()
)
"""Attributes a browser follows or loads (``to``: an SVG animation's)."""
BAD_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:text/html")
BAD_STYLES = ("position:fixed", "expression(", "javascript:", "behavior:", "binding")


def _as_read(value):
    """A link or a style as a browser reads it: without the whitespace and
    control characters it skips, CSS comments and escapes, in lower case
    (lxml has already decoded the entities)."""
    value = re.sub(r"/\*.*?\*/", "", value, flags=re.S).replace("\\", "")
    return re.sub(r"[\x00-\x20]+", "", value).lower()


def active_markup(text, page=False):
    """The active markup of the HTML ``text``, each found as a short
    description (an empty list: none).

    Active: an element that runs code or loads something
    (:data:`ACTIVE_TAGS`), an event handler (``on...``), a link or source
    to a script scheme, a style that covers the page or runs code.

    :param page: ``text`` is a whole page of Odoo's (its own scripts, styles,
        links, forms): those elements count only when they hold the
        payloads' :data:`MARK`
    """
    if not text or not str(text).strip():
        return []
    try:
        root = html.document_fromstring(str(text))
    except etree.ParserError:
        return []
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # a comment or a processing instruction: inert
        tag = element.tag.lower()
        source = etree.tostring(element, encoding="unicode", with_tail=False)[:120]
        if tag in ACTIVE_TAGS and (not page or MARK in source):
            found.append(f"element <{tag}>: {source}")
        for name, value in element.items():
            name = name.lower()
            read = _as_read(value)
            if name.startswith("on") and (not page or MARK in value):
                found.append(f"handler {name}= on <{tag}>: {source}")
            elif name in URL_ATTRIBUTES and read.startswith(BAD_SCHEMES):
                found.append(f"script link {name}= on <{tag}>: {source}")
            elif name == "style" and any(bad in read for bad in BAD_STYLES):
                found.append(f"style on <{tag}>: {source}")
    return found


def text_of(text):
    """What a reader sees of the HTML ``text``: its text, markup decoded."""
    if not text or not str(text).strip():
        return ""
    return html.document_fromstring(str(text)).text_content()


class MarkupCase(DebtPortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.company"].search([("id", "!=", cls.company.id)]).write(
            {"debt_policy_id": False}
        )
        cls.customer.name = f"Azure {TEXT}"
        cls.billing = cls.env["res.partner"].create(
            {
                "name": f"Jane {TEXT}",
                "type": "invoice",
                "parent_id": cls.customer.id,
                "email": "jane.billing@example.com",
            }
        )
        cls.referenced = cls._create_invoice(
            cls.customer, cls.today - timedelta(days=10), 80.0, post=False
        )
        cls.referenced.write({"ref": f"PO {TEXT}", "payment_reference": f"RF {TEXT}"})
        cls.referenced.action_post()

    def assertInert(self, text, where, page=False):
        self.assertEqual(active_markup(text, page=page), [], where)

    def assertShowsText(self, text, payload, where):
        """``payload`` is shown as the text it is, not read as markup."""
        self.assertIn(payload, text_of(text), where)

    # ------------------------------------------------------------------
    # What the web client reads
    # ------------------------------------------------------------------

    def _web_read(self, user, model, ids, fnames):
        result, error = self._call_kw(
            user,
            model,
            "web_read",
            [ids],
            {"specification": {fname: {} for fname in fnames}},
        )
        self.assertIsNone(error)
        return result

    def _chatter(self, user, record):
        """The bodies of ``record``'s messages and notes of its activities,
        as the chatter fetches them."""
        messages, error = self._rpc(
            user,
            "/mail/thread/messages",
            {"thread_model": record._name, "thread_id": record.id, "limit": 100},
        )
        self.assertIsNone(error)
        data, error = self._rpc(
            user,
            "/mail/thread/data",
            {
                "thread_model": record._name,
                "thread_id": record.id,
                "request_list": ["activities"],
            },
        )
        self.assertIsNone(error)
        found = []
        for key, entries in [*messages["data"].items(), *data.items()]:
            if key in ("mail.message", "mail.activity"):
                found += [
                    (f"{key} {entry['id']}", entry.get("body") or entry.get("note"))
                    for entry in entries
                ]
        return found

    def _assert_chatter_inert(self, record):
        found = self._chatter(self.collector, record)
        for where, text in found:
            self.assertInert(text, f"{record} {where}")
        return found


@tagged("post_install", "-at_install")
class TestMarkup(MarkupCase):
    def test_helper_finds_active_markup(self):
        """The helper tells every payload apart from its escaped text."""
        for payload in PAYLOADS:
            self.assertTrue(active_markup(f"<p>{payload}</p>"), payload)
            escaped = payload.replace("&", "&amp;").replace("<", "&lt;")
            self.assertEqual(active_markup(f"<p>{escaped}</p>"), [], payload)
            self.assertIn(payload, text_of(f"<p>{escaped}</p>"), payload)
        page = "<html><head><script>odoo.define()</script></head><body></body></html>"
        self.assertEqual(active_markup(page, page=True), [])
        self.assertTrue(active_markup(page.replace("()", f"({MARK})"), page=True))

    def test_reminder_preview_log_chatter_and_mail(self):
        self.policy.stage_ids.requires_review = True
        run = self._run(self.today)
        action = run.action_ids.filtered(lambda a: a.partner_id == self.customer)
        self.assertEqual(action.state, "to_review")
        # The review screen's preview, read by the collector.
        [read] = self._web_read(
            self.collector, "debt.action", action.ids, ["preview_body"]
        )
        preview = read["preview_body"]
        self.assertInert(preview, "the action's preview")
        self.assertShowsText(preview, f"Jane {TEXT}", "the billing contact's name")
        self.assertShowsText(preview, f"RF {TEXT}", "the payment reference")

        _result, error = self._press(
            self.collector, "debt.action", "action_approve", action.ids
        )
        self.assertIsNone(error)
        self._deliver_mail()
        mail = self._mails(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertInert(mail.body_html, "the reminder mail", page=True)
        self.assertShowsText(mail.body_html, f"Jane {TEXT}", "the mail's greeting")
        self.assertShowsText(mail.body_html, f"RF {TEXT}", "the mail's invoices")
        # The preview was the message as the contact log keeps the sent email.
        self.assertEqual(self._logs(self.customer, channel="email").body, preview)

        # The contact log form, as the collector opens it.
        log = self._logs(self.customer, channel="email")
        self.assertEqual(len(log), 1)
        [read] = self._web_read(
            self.collector, "debt.contact.log", log.ids, ["body", "summary"]
        )
        self.assertInert(read["body"], "the contact log's body")
        self.assertShowsText(read["body"], f"Jane {TEXT}", "the log's body")
        self.assertShowsText(read["body"], f"RF {TEXT}", "the log's invoices")
        # The chatter holds a short note linking to the entry, not the text.
        bodies = dict(self._assert_chatter_inert(self.customer))
        note = bodies[f"mail.message {mail.mail_message_id.id}"]
        self.assertIn(f"/odoo/debt.contact.log/{log.id}", note)
        self.assertNotIn(f"RF {TEXT}", note)

    def test_portal_texts(self):
        """What the customer writes on its statement: the dispute's text,
        a plan's reason and signature, a pause's reason, a payment's
        reference."""
        before = self.env["mail.mail"].search([], order="id desc", limit=1).id
        reason = self.env.ref("debt_relations.debt_dispute_reason_quality")
        posts = [
            (
                "dispute",
                {
                    "move_id": str(self.overdue.id),
                    "reason_id": str(reason.id),
                    "description": f"Broken {TEXT}",
                },
            ),
            (
                "paid",
                {
                    "move_id": str(self.referenced.id),
                    "date_paid": str(self.today - timedelta(days=1)),
                    "amount": "80",
                    "reference": f"TRF {TEXT}"[:200],
                },
            ),
            ("pause", {"days": "14", "reason": f"Away {TEXT}"}),
        ]
        plan = {
            "hardship": "cash_flow",
            "monthly": "100",
            "date_first": str(self.today + timedelta(days=13)),
            "step": "confirm",
        }
        # Another customer signs its plan at once, with a name of its own.
        self.other.name = f"Deco {TEXT}"
        response = self._post(
            "plan",
            dict(plan, signed_name=f"Brandon {TEXT}", accept="on"),
            partner=self.other,
            token=self.other_token,
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertInert(response.text, "the page after signing", page=True)
        signed = self.env["debt.payment.plan"].search(
            [("partner_id", "=", self.other.id)]
        )
        self.assertEqual(signed.state, "active")
        # This one's plan waits for a collector, with its reason.
        self.company.debt_portal_plan_auto = False
        posts.append(("plan", dict(plan, reason=f"Late payers {TEXT}")))
        for action, values in posts:
            response = self._post(action, values)
            self.assertEqual(response.status_code, 200, f"{action}: {response.text}")
            self.assertInert(response.text, f"the page after {action}", page=True)

        dispute = self.env["debt.dispute"].search([("move_id", "=", self.overdue.id)])
        pause = self.env["debt.portal.pause"].search(
            [("partner_id", "=", self.customer.id)]
        )
        claim = self.env["debt.portal.claim"].search(
            [("partner_id", "=", self.customer.id)]
        )
        plan_request = self.env["debt.portal.plan.request"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertTrue(dispute and pause and claim and plan_request)
        self.assertEqual(dispute.description, f"Broken {TEXT}")

        # The collector's to-do on each request quotes the customer's words.
        for record, words in (
            (dispute, "Broken"),
            (pause, "Away"),
            (claim, "TRF"),
            (plan_request, "Late payers"),
        ):
            notes = [
                text
                for where, text in self._chatter(self.collector, record)
                if where.startswith("mail.activity")
            ]
            self.assertEqual(len(notes), 1, record)
            self.assertShowsText(notes[0], f"{words} {TEXT}"[:200], record)

        # The chatter and activities of the customer and of each request.
        shown = []
        for record in (
            self.customer,
            dispute,
            pause,
            claim,
            plan_request,
            plan_request.plan_id,
            self.other,
            signed,
        ):
            shown += self._assert_chatter_inert(record)
        seen = " ".join(text_of(text) for _where, text in shown)
        for words in ("Broken", "Away", "Late payers", "TRF", "Brandon"):
            self.assertIn(f"{words} {PAYLOADS[0]}", seen, words)

        # The contact log, as the collector reads it.
        logs = self._logs(self.customer) | self._logs(self.other)
        self.assertEqual(len(logs.filtered(lambda log: log.channel == "portal")), 5)
        for read in self._web_read(
            self.collector, "debt.contact.log", logs.ids, ["body", "outcome"]
        ):
            self.assertInert(read["body"], f"contact log {read['id']}")

        # The mails the customer was sent (the plan's agreement).
        mails = self.env["mail.mail"].search([("id", ">", before)])
        self.assertTrue(mails)
        for mail in mails:
            self.assertInert(mail.body_html, f"mail {mail.subject}", page=True)

        # The statements over HTTP, with the customers' own links.
        response = self._page()
        self.assertEqual(response.status_code, 200)
        self.assertInert(response.text, "the statement", page=True)
        self.assertShowsText(response.text, f"Azure {TEXT}", "the customer's name")
        response = self._page(self._path(self.other, self.other_token))
        self.assertEqual(response.status_code, 200)
        self.assertInert(response.text, "the other statement", page=True)
        self.assertShowsText(response.text, f"Deco {TEXT}", "the other's name")

    def test_log_a_contact(self):
        """The run schedules a call with the stage's note (a manager's text);
        the collector logs it, its outcome a promise to pay."""
        self.policy.stage_ids.write({"schedule_call": True, "note": f"Ask {TEXT}"})
        self._run(self.today)
        call_type = self.env.ref("debt_relations.mail_activity_type_debt_call")
        calls = self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id == call_type
        )
        self.assertEqual(calls.user_id, self.collector)
        found = self._assert_chatter_inert(self.customer)
        notes = [text for where, text in found if where.startswith("mail.activity")]
        self.assertShowsText(notes[0], f"Ask {TEXT}", "the call's note")
        wizard_id, error = self._call_kw(
            self.collector,
            "debt.contact.wizard",
            "create",
            [
                {
                    "partner_id": self.customer.id,
                    "move_ids": [[6, 0, self.overdue.ids]],
                    "channel": "call",
                    "summary": f"Called {TEXT}",
                    "outcome": f"Will pay {TEXT}\nsecond line",
                    "is_promise": True,
                    "promise_amount": 300.0,
                    "promise_date": str(self.today + timedelta(days=7)),
                }
            ],
        )
        self.assertIsNone(error)
        _result, error = self._press(
            self.collector, "debt.contact.wizard", "action_log", [wizard_id]
        )
        self.assertIsNone(error)
        log = self.env["debt.contact.wizard"].browse(wizard_id).log_id
        self.assertEqual(log.outcome, f"Will pay {TEXT}\nsecond line")
        promise = self.env["debt.promise"].search([("contact_log_id", "=", log.id)])
        self.assertTrue(promise)
        found = self._assert_chatter_inert(self.customer)
        self._assert_chatter_inert(promise)
        seen = " ".join(text_of(text) for _where, text in found)
        self.assertIn(f"Called {PAYLOADS[0]}", seen, "the call's feedback")
        self.assertIn(f"Will pay {PAYLOADS[0]}", seen, "the call's outcome")
        self.assertFalse(calls.exists(), "the call is done")
        [read] = self._web_read(
            self.collector, "debt.contact.log", log.ids, ["body", "summary"]
        )
        self.assertFalse(read["body"])
        self.assertEqual(read["summary"], f"Called {TEXT}")

    def test_html_written_through_json_rpc_is_sanitised(self):
        """A script that writes a log entry's body, or a plan's terms, gets
        them sanitised: no active markup is stored."""
        log_id, error = self._call_kw(
            self.collector,
            "debt.contact.log",
            "create",
            [
                {
                    "partner_id": self.customer.id,
                    "summary": "Noted",
                    "channel": "note",
                    "body": f"<p>Said {TEXT}</p>",
                }
            ],
        )
        self.assertIsNone(error)
        [read] = self._web_read(self.collector, "debt.contact.log", [log_id], ["body"])
        self.assertInert(read["body"], "a body written through JSON-RPC")
        self.assertIn("Said", text_of(read["body"]))

        plan_id, error = self._call_kw(
            self.collector,
            "debt.payment.plan",
            "create",
            [
                {
                    "partner_id": self.customer.id,
                    "move_ids": [[6, 0, self.overdue.ids]],
                    "terms": f"<p>Terms {TEXT}</p>",
                }
            ],
        )
        self.assertIsNone(error)
        [read] = self._web_read(
            self.collector, "debt.payment.plan", [plan_id], ["terms"]
        )
        self.assertInert(read["terms"], "a plan's terms")

    def test_log_body_has_the_chatter_rules(self):
        """The sender copies the chatter message's sanitised body into the
        entry: right only while both fields sanitise alike."""
        message = self.env["mail.message"]._fields["body"]
        for model, fname in (
            ("debt.contact.log", "body"),
            ("debt.action", "preview_body"),
        ):
            field = self.env[model]._fields[fname]
            for rule in (
                "sanitize",
                "sanitize_overridable",
                "sanitize_tags",
                "sanitize_attributes",
                "sanitize_style",
                "sanitize_form",
                "sanitize_conditional_comments",
                "sanitize_output_method",
                "strip_style",
                "strip_classes",
            ):
                self.assertEqual(
                    getattr(field, rule), getattr(message, rule), f"{fname} {rule}"
                )

    def test_migration_sanitises_the_bodies_kept(self):
        """18.0.1.3.0: bodies stored unsanitised before are sanitised."""
        self._run(self.today)
        sent = self._logs(self.customer, channel="email")
        self.assertTrue(sent.message_id)
        old = self.env["debt.contact.log"].create(
            {"partner_id": self.customer.id, "summary": "Old", "channel": "email"}
        )
        raw = f"<p>Dear Jane</p>{TEXT}"
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                "UPDATE debt_contact_log SET body = %s WHERE id = ANY(%s)",
                raw,
                (sent | old).ids,
            )
        )
        # As an entry of then: its chatter message held the text, sanitised.
        Log = self.env["debt.contact.log"]
        self.env.execute_query(
            SQL(
                "UPDATE mail_message SET body = %s WHERE id = %s",
                Log._fields["body"].convert_to_column(raw, Log),
                sent.message_id.id,
            )
        )
        self.env.invalidate_all()
        self.assertTrue(active_markup(old.body))
        load_migration("18.0.1.3.0", "post-sanitized_log_bodies.py").migrate(
            self.env.cr, "18.0.1.2.0"
        )
        self.env.invalidate_all()
        self.assertEqual(sent.body, sent.message_id.body)
        self.assertInert(sent.body, "a sent email's entry")
        self.assertIn("Dear Jane", text_of(sent.body))
        self.assertInert(old.body, "an old entry without message")
        self.assertIn("Dear Jane", text_of(old.body))
