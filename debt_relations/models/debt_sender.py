"""The one way out: every message collections send.

Every outbound contact — a run's reminders, agreement notices and
confirmations, thank-yous and rewards, answers to what a customer asked on
the portal, a file handed over to a mediator or an agency — is a
:class:`Contact` given to :meth:`DebtSender._debt_send`. The pipeline

1. chooses each contact's channels (:meth:`DebtSender._debt_choose_channels`:
   those offered, only the customer's preferred one where it is offered, less
   those that cannot reach the customer);
2. prepares each channel's messages (``_debt_prepare_<channel>``: renders
   the mail or the SMS, prints the letter) and writes one contact log entry
   per contact and channel, keeping the full text once, sanitised;
3. sends them (``_debt_send_<channel>``: the mail queue, the SMS queue, the
   post room or Snailmail, the collector's call), each at the moment the
   contact governor allows, and leaves a short note on the chatter (what,
   rung, amount, channel, a link to the log entry).

A channel is a pair of hooks: a bridge adding one (``debt_relations_sms``)
adds its ``_debt_prepare_<channel>`` and ``_debt_send_<channel>`` and says
when the channel reaches a customer (``_debt_reachable``). Delivery is
followed on the log entries the same way for every channel (an email by the
mail queue, an SMS by its tracker, a posted letter by Snailmail's state, a
call once scheduled), and a reminder's rung follows its entry.
"""

from types import SimpleNamespace

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.tools import SQL, email_split, plaintext2html, split_every

from .. import fastpath
from ..services import channels as channel_service
from .mail_thread import company_sender

MAIL_LAYOUT = "debt_relations.mail_layout_debt"
"""The company's look around every mail a customer receives."""

BODY_MARK = "debt-relations-mail-body-7c1f0e"
"""Where the body goes in the layout rendered once per batch."""

RENDER_CHUNK = 500
"""Mails rendered and created together (a sending batch is 500 by default)."""

CHANNEL_ORDER = ("email", "sms", "letter", "call")
"""The order the channels of one batch are sent in; a bridge's channel not
named here comes after them."""

LINK_LABEL = object()
"""Key of the notes' link text among :meth:`DebtSender._channel_labels`."""

REMINDER = "reminder"
NOTICE = "notice"
CONFIRMATION = "confirmation"
COURTESY = "courtesy"
HANDOFF = "handoff"
KINDS = (REMINDER, NOTICE, CONFIRMATION, COURTESY, HANDOFF)
"""What a contact is: a run's reminder (its action); a notice the system
sends by itself about an agreement (governed: contact hours and cap); a
confirmation or answer to what the customer did, and a courtesy (thanks, a
reward), both exempt from the cap and sent at once; a file handed over
(written to the provider, about the customer)."""


class Contact(SimpleNamespace):
    """One outbound contact for :meth:`DebtSender._debt_send`.

    :param partner: the customer (commercial partner)
    :param kind: one of :data:`KINDS`
    :param record: what the message is rendered on (a mail template's model:
        a reminder's ``debt.action``, a plan, a promise, a request…)
    :param template: the mail template (email); an SMS template comes from
        the reminder's stage
    :param thread: the chatter the message is posted on (default: the
        customer); a note goes to the customer's chatter in any case
    :param channels: the channels offered (a reminder: its stage's)
    :param action: a reminder's ``debt.action``
    :param stage: the rung it is about
    :param moves: the invoices it is about
    :param amount: the amount it asks for or is about, with ``currency``
    :param summary: the log entry's summary (default: the mail's subject)
    :param subject, body: a message written rather than rendered (a
        collector's answer): its subject and its body (HTML)
    :param recipients: to whom (default: the customer's billing contact)
    :param email_to: addresses written to that are no contact in Odoo (a new
        billing address to confirm): the mail goes to them alone
    :param attachments: attachments besides the template's
    :param layout: the mail layout (default: the company's)
    :param log: more values of its log entries (``outcome``, ``handoff_id``…)
    """

    def __init__(self, partner, kind, record, **values):
        defaults = {
            "template": None,
            "thread": None,
            "channels": ("email",),
            "action": None,
            "stage": None,
            "moves": None,
            "amount": None,
            "currency": None,
            "summary": None,
            "subject": None,
            "body": None,
            "recipients": None,
            "email_to": None,
            "attachments": None,
            "layout": MAIL_LAYOUT,
            "log": None,
            "date": None,
        }
        unknown = set(values) - set(defaults)
        if unknown:
            raise TypeError(f"Unknown contact values: {sorted(unknown)}")
        super().__init__(
            partner=partner.commercial_partner_id,
            kind=kind,
            record=record,
            **{**defaults, **values},
            chosen=(),
            reasons=(),
            rendered=None,
            moment=None,
        )


class DebtSender(models.AbstractModel):
    """Collections' sending pipeline (see the module's docstring)."""

    _name = "debt.sender"
    _description = "Collection Sending"

    # ------------------------------------------------------------------
    # The entry point
    # ------------------------------------------------------------------

    @api.model
    def _debt_send(self, contacts):
        """Send ``contacts`` (:class:`Contact`) by their channels; returns
        their log entries (one per contact and channel used, in the order of
        ``contacts``). A contact no channel can reach gets none (its
        ``reasons`` say why)."""
        contacts = list(contacts)
        if not contacts:
            return self.env["debt.contact.log"]
        self._debt_choose_channels(contacts)
        batches = {}
        for contact in contacts:
            for channel in contact.chosen:
                batches.setdefault(channel, []).append(contact)
        order = sorted(batches, key=self._channel_rank)
        prepared = []
        for channel in order:
            values = getattr(self, f"_debt_prepare_{channel}")(batches[channel])
            prepared.append((channel, batches[channel], values))
        logs = self._debt_create_logs([v for _c, _b, vals in prepared for v in vals])
        start = 0
        for channel, batch, values in prepared:
            channel_logs = logs[start : start + len(values)]
            start += len(values)
            getattr(self, f"_debt_send_{channel}")(batch, channel_logs)
        return logs

    @api.model
    def _channel_rank(self, channel):
        if channel in CHANNEL_ORDER:
            return (CHANNEL_ORDER.index(channel), channel)
        return (len(CHANNEL_ORDER), channel)

    # ------------------------------------------------------------------
    # Channels
    # ------------------------------------------------------------------

    @api.model
    def _debt_choose_channels(self, contacts):
        """Each contact's channels (``services.channels``): those offered,
        only the customer's preferred one where it is offered, less those
        that cannot reach the customer; the reasons kept for the record."""
        for contact in contacts:
            offered = set(contact.channels)
            preferred = False
            if contact.kind == REMINDER:
                preferred = contact.partner.debt_portal_channel
            choice = channel_service.choose(
                offered, preferred, self._debt_reachable(contact, offered)
            )
            contact.chosen = tuple(sorted(choice.channels, key=self._channel_rank))
            contact.reasons = tuple(choice.reasons)

    @api.model
    def _debt_reachable(self, contact, offered):
        """The channels among ``offered`` that reach ``contact``'s
        recipient today. A bridge adding a channel says when it can."""
        if contact.action:
            return contact.action._debt_reachable_channels(offered)
        reachable = set(offered) - {"email", "sms"}
        if contact.email_to:
            addresses = email_split(contact.email_to)
        else:
            addresses = self._recipients(contact).mapped("email")
        if "email" in offered and all(
            fastpath.email_valid(self.env, address) for address in addresses
        ):
            reachable.add("email")
        return reachable

    @api.model
    def _recipients(self, contact):
        """To whom ``contact`` writes: those given, else the customer's
        billing contact (none: ``email_to`` is no contact)."""
        if contact.email_to:
            return self.env["res.partner"]
        if contact.recipients is not None:
            return contact.recipients
        if contact.action:
            return contact.action.recipient_id
        return contact.partner._debt_billing_contact()

    # ------------------------------------------------------------------
    # Log entries and chatter notes
    # ------------------------------------------------------------------

    @api.model
    def _log_values(self, contact, channel, summary, **extra):
        """The log entry of ``contact`` by ``channel`` (``body``: the full
        text, sanitised when the entries are written)."""
        if contact.action:
            values = contact.action._log_vals(channel, summary, **extra)
            if contact.date:
                values["date"] = contact.date
            return values
        moves = contact.moves or self.env["account.move"]
        values = {
            "partner_id": contact.partner.id,
            "move_ids": [fields.Command.set(moves.ids)],
            "date": contact.date or fields.Date.context_today(self),
            "channel": channel,
            "direction": "outbound",
            "delivery_state": "not_applicable",
            "stage_id": contact.stage.id if contact.stage else False,
            "summary": summary,
            "company_id": _company_of(self, contact).id,
            "courtesy": contact.kind == COURTESY,
            "confirmation": contact.kind == CONFIRMATION,
            **(contact.log or {}),
            **extra,
        }
        return values

    @api.model
    def _debt_create_logs(self, values_list):
        """Create the log entries; each one's full text (``body``) is stored
        sanitised once, with the field's own rules
        (:func:`..fastpath.write_sanitized`)."""
        bodies = [values.pop("body", None) for values in values_list]
        Log = self.env["debt.contact.log"].sudo()
        logs = Log.create(values_list)
        fastpath.write_sanitized(logs, "body", bodies)
        return logs

    @api.model
    def _debt_link_logs(self, logs, column_values):
        """Tie each of ``logs`` to what was sent (``column_values``: column ->
        one value per entry, e.g. ``message_id``): written once, right after
        the entries, in one statement per batch."""
        if not logs:
            return
        names = list(column_values)
        logs.flush_recordset(names)
        casts = {
            name: "int4[]" if logs._fields[name].type == "many2one" else "text[]"
            for name in names
        }
        self.env.execute_query(
            SQL(
                "UPDATE debt_contact_log l SET %s FROM (SELECT UNNEST(%s::int4[]) "
                "AS id, %s) AS d WHERE l.id = d.id",
                SQL(", ").join(
                    SQL("%s = d.%s", SQL.identifier(name), SQL.identifier(name))
                    for name in names
                ),
                logs.ids,
                SQL(", ").join(
                    SQL(
                        "UNNEST(%s::%s) AS %s",
                        [value or None for value in column_values[name]],
                        SQL(casts[name]),
                        SQL.identifier(name),
                    )
                    for name in names
                ),
            )
        )
        logs.invalidate_recordset(names)

    @api.model
    def _debt_note(self, contact, log, labels=None):
        """The chatter's short note of a contact by one channel: what, rung,
        amount, channel, and a link to its log entry (where the full text
        is). ``labels``: :meth:`_channel_labels`, read once by a batch."""
        labels = labels if labels is not None else self._channel_labels()
        parts = [escape(log.summary)]
        if contact.stage:
            parts.append(escape(contact.stage.name))
        amount = self._debt_amount_text(contact)
        if amount:
            parts.append(escape(amount))
        parts.append(escape(labels.get(log.channel, log.channel)))
        link = Markup('<a href="/odoo/debt.contact.log/%s">%s</a>') % (
            log.id,
            labels[LINK_LABEL],
        )
        return Markup("<p>%s</p><p>%s</p>") % (Markup(" · ").join(parts), link)

    @api.model
    def _debt_amount_text(self, contact):
        amount, currency = contact.amount, contact.currency
        if contact.action:
            amount = contact.action.amount_asked
            currency = contact.action.currency_id
        if not amount or not currency:
            return ""
        return fastpath.Formats.of(self.env).amount(amount, currency)

    @api.model
    def _channel_labels(self):
        """Channel -> its label in the reader's language, and the notes' link
        text (under :data:`LINK_LABEL`)."""
        labels = dict(
            self.env["debt.contact.log"]
            ._fields["channel"]
            ._description_selection(self.env)
        )
        labels[LINK_LABEL] = self.env._("Contact log entry")
        return labels

    @api.model
    def _channel_label(self, channel):
        return self._channel_labels().get(channel, channel)

    @api.model
    def _thread(self, contact):
        """The chatter ``contact``'s message goes on: its own, else the
        customer's."""
        return contact.thread if contact.thread is not None else contact.partner

    @api.model
    def _debt_post_notes(self, contacts, logs, customer_only=False):
        """A short note per contact and channel on the chatter of the
        contact's thread and on the customer's, when that is another one
        (``customer_only``: the customer's alone)."""
        author = self.env.company.partner_id
        for model, bodies in _grouped_notes(self, contacts, logs, customer_only):
            records = self.env[model].sudo().browse(list(bodies))
            records._message_log_batch(bodies=bodies, author_id=author.id)

    # ------------------------------------------------------------------
    # Email
    # ------------------------------------------------------------------

    @api.model
    def _debt_prepare_email(self, contacts):
        """Render each contact's mail (batched per template) and return its
        log entry's values, with the message as the customer reads it."""
        values_list = []
        # When each may go out, decided before its own entry is written (a
        # notice is no earlier contact of its own cap).
        moments = self._debt_moments(contacts, fields.Datetime.now())
        by_template = {}
        for contact in contacts:
            contact.moment = moments.get(id(contact))
            if contact.template:
                by_template.setdefault(contact.template, []).append(contact)
            else:
                contact.rendered = {
                    "subject": contact.subject,
                    "body_html": contact.body,
                }
        for template, batch in by_template.items():
            self._render_mails(template, batch)
        for contact in contacts:
            rendered = contact.rendered
            values_list.append(
                self._log_values(
                    contact,
                    "email",
                    contact.summary
                    or rendered.get("subject")
                    or (contact.stage.name if contact.stage else ""),
                    body=rendered.get("body_html") or "",
                    delivery_state="queued",
                )
            )
        return values_list

    @api.model
    def _render_mails(self, template, contacts):
        """Render ``template`` for ``contacts`` (their ``record``), in chunks
        (the body compiled once per chunk); its reports (a plan's written
        agreement) are printed for each contact that is no reminder (a
        reminder attaches its invoices)."""
        # sudo: a template is technical; the portal's visitor sends its own.
        template = template.sudo()
        reports = ("report_template_ids",) if template.report_template_ids else ()
        for chunk in split_every(RENDER_CHUNK, contacts):
            rendered = fastpath.render_batch(template)._generate_template(
                [contact.record.id for contact in chunk],
                (
                    *(() if any(contact.action for contact in chunk) else reports),
                    "attachment_ids",
                    "body_html",
                    "email_cc",
                    "email_from",
                    "email_to",
                    "partner_to",
                    "reply_to",
                    "subject",
                    "mail_server_id",
                ),
            )
            for contact in chunk:
                contact.rendered = rendered[contact.record.id]

    @api.model
    def _debt_send_email(self, contacts, logs):
        """One mail per contact in its layout, queued in Odoo's mail queue at
        the moment the governor allows; its chatter message is the short
        note, the mail carries the full text."""
        subtype = self.env.ref("mail.mt_note")
        frames = {}
        labels = self._channel_labels()
        values_list = []
        for contact, log in zip(contacts, logs, strict=True):
            rendered = dict(contact.rendered)
            company = _company_of(self, contact)
            thread = self._thread(contact)
            partner_ids = rendered.pop("partner_ids", None) or []
            if contact.email_to:
                partner_ids = []
                rendered["email_to"] = contact.email_to
            if not partner_ids and not rendered.get("email_to"):
                partner_ids = self._recipients(contact).ids
            attachments = list(rendered.get("attachment_ids") or [])
            attachments += self._debt_report_attachments(
                thread, rendered.pop("attachments", None)
            ).ids
            if contact.attachments:
                attachments += contact.attachments.ids
            if contact.action:
                attachments += contact.action.stage_id._invoice_attachments(
                    contact.action.move_ids
                ).ids
            lang = self._lang(contact)
            values_list.append(
                {
                    "subject": rendered.get("subject") or log.summary,
                    "body_html": _in_layout(
                        rendered.get("body_html"), frames, company, lang, contact.layout
                    ),
                    "body": self._debt_note(contact, log, labels),
                    "email_from": rendered.get("email_from")
                    or company._debt_email_from(),
                    "email_to": rendered.get("email_to"),
                    "email_cc": rendered.get("email_cc"),
                    "mail_server_id": rendered.get("mail_server_id"),
                    "recipient_ids": [fields.Command.link(pid) for pid in partner_ids],
                    "attachment_ids": [fields.Command.link(aid) for aid in attachments],
                    "model": thread._name,
                    "res_id": thread.id,
                    "record_name": thread.display_name,
                    "message_type": "email_outgoing",
                    "subtype_id": subtype.id,
                    "author_id": company.partner_id.id,
                    "auto_delete": False,
                    "reply_to": rendered.get("reply_to"),
                    "scheduled_date": contact.moment or False,
                }
            )
        self._fill_reply_to(contacts, values_list)
        mails = self.env["mail.mail"].sudo().create(values_list)
        self._debt_link_logs(
            logs,
            {
                "message_id": mails.mail_message_id.ids,
                "mail_id": mails.ids,
            },
        )
        for contact, mail in zip(contacts, mails, strict=True):
            if contact.action:
                contact.action.mail_message_id = mail.mail_message_id
        # Customers' own chatters, when the mail went on another one.
        elsewhere = [
            (contact, log)
            for contact, log in zip(contacts, logs, strict=True)
            if self._thread(contact) != contact.partner
        ]
        if elsewhere:
            self._debt_post_notes(
                [c for c, _log in elsewhere],
                self.env["debt.contact.log"].union(*[log for _c, log in elsewhere]),
                customer_only=True,
            )
        self._debt_wake_mail_queue(mails)
        return mails

    @api.model
    def _debt_report_attachments(self, thread, reports):
        """The reports a template printed (``[(name, base64 data)]``) as
        attachments of ``thread``, as Odoo keeps those of a message posted
        there."""
        Attachment = self.env["ir.attachment"].sudo()
        if not reports:
            return Attachment
        return Attachment.create(
            [
                {
                    "name": name,
                    "datas": data,
                    "type": "binary",
                    "res_model": thread._name,
                    "res_id": thread.id,
                }
                for name, data in reports
            ]
        )

    @api.model
    def _debt_moments(self, contacts, now):
        """id(contact) -> when its message may go out (naive UTC), for those
        the governor makes wait: a reminder waits for the contact hours in
        its customer's time zone (the run counted the cap when deciding); a
        notice also for the first day the cap has room; confirmations and
        courtesies go at once."""
        Governor = self.env["debt.contact.governor"]
        moments = {}
        reminders = [c for c in contacts if c.kind == REMINDER]
        for company, batch in _by_company(reminders).items():
            partners = self.env["res.partner"].union(*[c.partner for c in batch])
            found = Governor._next_allowed_moments(company, partners, now=now)
            for contact in batch:
                moment = found.get(contact.partner.id)
                if moment and moment > now:
                    moments[id(contact)] = moment
        for contact in contacts:
            if contact.kind == NOTICE:
                company = _company_of(self, contact)
                moment = Governor._postponed_moment(company, contact.partner, now=now)
                if moment and moment > now:
                    moments[id(contact)] = moment
        return moments

    @api.model
    def _lang(self, contact):
        if contact.action:
            return contact.action.customer_lang
        recipients = self._recipients(contact)
        return (
            recipients[:1].lang
            or contact.partner._debt_billing_contact().lang
            or self.env.lang
        )

    @api.model
    def _fill_reply_to(self, contacts, values_list):
        """Give the mails the template leaves without a Reply-To the one Odoo
        gives a message posted on their chatter (the catchall alias when
        there is one), so that answers land there: one lookup per sender
        address and model."""
        pending = {}
        for contact, values in zip(contacts, values_list, strict=True):
            if not values.get("reply_to"):
                thread = self._thread(contact)
                pending.setdefault((values["email_from"], thread._name), []).append(
                    (thread, values)
                )
        for (email_from, model), items in pending.items():
            threads = self.env[model].browse(list({t.id for t, _values in items}))
            reply_to = company_sender(threads)._notify_get_reply_to(default=email_from)
            for thread, values in items:
                values["reply_to"] = reply_to[thread.id]

    @api.model
    def _debt_wake_mail_queue(self, mails):
        """Have Odoo's mail queue send now (as ``message_post`` does), and
        again when the mails waiting for contact hours are due."""
        cron = self.env.ref(
            "mail.ir_cron_mail_scheduler_action", raise_if_not_found=False
        )
        if cron:
            # sudo: scheduled actions are technical records.
            cron.sudo()._trigger()
        later = [mail.scheduled_date for mail in mails if mail.scheduled_date]
        self.env["debt.contact.governor"]._wake_mail_queue_at(later)

    # ------------------------------------------------------------------
    # Letters
    # ------------------------------------------------------------------

    @api.model
    def _debt_prepare_letter(self, contacts):
        """Print one letter (PDF) per reminder, kept on the action and the log
        (letters are a reminder's channel); a bridge that posts them
        (``debt_relations_snailmail``, ``debt.action._post_letters``) hands
        them to the post here. The others go to the post room (the run's
        *Print letters*)."""
        actions = self.env["debt.action"].union(*[c.action for c in contacts])
        return self._dated(contacts, actions._print_letters())

    @api.model
    def _debt_send_letter(self, contacts, logs):
        """The letters are printed (and posted, where a bridge posts them):
        each leaves its note on the chatter."""
        self._debt_post_notes(contacts, logs)

    # ------------------------------------------------------------------
    # Calls
    # ------------------------------------------------------------------

    @api.model
    def _debt_prepare_call(self, contacts):
        """A phone-call activity for the customer's collector per reminder,
        due on the next day the contact hours allow (not a holiday)."""
        actions = self.env["debt.action"].union(*[c.action for c in contacts])
        return self._dated(contacts, actions._schedule_calls())

    @api.model
    def _debt_send_call(self, contacts, logs):
        self._debt_post_notes(contacts, logs)

    @api.model
    def _dated(self, contacts, values_list):
        """``values_list`` of ``contacts``, dated on each contact's own day
        when it has one (a letter sent instead of an email, later)."""
        for contact, values in zip(contacts, values_list, strict=True):
            if contact.date:
                values["date"] = contact.date
        return values_list

    # ------------------------------------------------------------------
    # Text
    # ------------------------------------------------------------------

    @api.model
    def _debt_text_body(self, text):
        """A plain text (a collector's answer) as a mail body."""
        return plaintext2html(text) if text else ""


def _grouped_notes(sender, contacts, logs, customer_only=False):
    """[(model, {record id: note})] for ``_message_log_batch``: one note a
    record per call (a record with two notes gets them in two calls)."""
    groups = []
    labels = sender._channel_labels()
    for contact, log in zip(contacts, logs, strict=True):
        note = sender._debt_note(contact, log, labels)
        thread = sender._thread(contact)
        targets = [contact.partner]
        if not customer_only and thread != contact.partner:
            targets.insert(0, thread)
        for target in targets:
            for model, bodies in groups:
                if model == target._name and target.id not in bodies:
                    bodies[target.id] = note
                    break
            else:
                groups.append((target._name, {target.id: note}))
    return groups


def _by_company(contacts):
    groups = {}
    for contact in contacts:
        groups.setdefault(contact.action.company_id, []).append(contact)
    return groups


def _company_of(sender, contact):
    """The company ``contact`` is sent for: its record's (a customer without
    one: the current company)."""
    record = contact.action or contact.record
    company = record.company_id if "company_id" in record else None
    return company or sender.env.company


def _in_layout(body, frames, company, lang, layout):
    """``body`` in ``layout`` for ``company`` in ``lang``.

    The layout is rendered once per company, language and layout of a sending
    batch (``frames``: its cache) around a mark, then put around each body:
    what rendering it around each body would give, without a QWeb rendering
    per message.
    """
    if not body:
        return body
    key = (company.id, lang, layout)
    if key not in frames:
        frames[key] = _layout_frame(company, lang, layout)
    frame = frames[key]
    if frame is None:
        return body
    before, after = frame
    return before + Markup(body) + after


def _layout_frame(company, lang, layout):
    """What ``layout`` writes before and after a message's body for
    ``company`` in ``lang``, or None when the layout is gone or edited to show
    the body other than once (the bodies are then sent as they are)."""
    qweb = company.env["ir.qweb"].with_context(lang=lang)
    framed = qweb._render(
        layout,
        {"message": SimpleNamespace(body=Markup(BODY_MARK)), "company": company},
        minimal_qcontext=True,
        raise_if_not_found=False,
    )
    if not framed or framed.count(BODY_MARK) != 1:
        return None
    before, after = framed.split(BODY_MARK)
    return Markup(before), Markup(after)
