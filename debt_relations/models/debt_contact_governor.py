"""The contact governor: when a customer may be reached, and how often.

The facts (the company's contact calendar, the customers' time zones, the
contact log) are gathered here and handed to the pure rules of
``services.governor``; every channel asks the same methods: the run's
reminders and calls, the agreements' mails, and any other channel (an SMS)
through ``res.partner._debt_next_allowed_moment``.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from odoo import api, fields, models
from odoo.tools import html2plaintext, plaintext2html

from ..services import governor

COUNTED_CHANNELS = ("email", "letter", "call", "sms")
"""Channels of a contact the cap counts (notes and the portal are not one)."""

HOLIDAY_HORIZON_DAYS = governor.SEARCH_DAYS + 1
"""Public holidays read ahead of now (as far as an allowed moment is looked
for)."""

REPLY_TEXT_LIMIT = 2000
"""Characters of a customer's reply copied into the collector's activity."""


def _zone(name):
    """``name`` if it is a time zone Python knows, else None."""
    return name if name and name in _ZONES else None


_ZONES = available_timezones()


class DebtContactGovernor(models.AbstractModel):
    _name = "debt.contact.governor"
    _description = "Contact Governor"

    # ------------------------------------------------------------------
    # When
    # ------------------------------------------------------------------

    @api.model
    def _calendar(self, company):
        """The company's contact calendar (its working hours unless changed);
        none: customers are reached at any hour."""
        # sudo: calendars are read by whoever sends, collectors included.
        return company.sudo().debt_contact_calendar_id

    @api.model
    def _schedule(self, company, now=None):
        """``(windows, holidays, calendar time zone)`` of ``company``'s contact
        calendar: its attendances as :class:`services.governor.Window`, its
        public holidays (leaves of no resource) as local dates of the
        calendar's time zone from yesterday on. ``windows`` is empty when the
        company has no calendar (nothing is restricted then)."""
        calendar = self._calendar(company)
        if not calendar:
            return (), frozenset(), None
        windows = tuple(
            governor.Window(int(att.dayofweek), att.hour_from, att.hour_to)
            for att in calendar.attendance_ids
            if not att.display_type
            and att.day_period != "lunch"
            and not att.resource_id
            and att.hour_to > att.hour_from
        )
        zone = _zone(calendar.tz) or "UTC"
        now = now or fields.Datetime.now()
        start = now - timedelta(days=1)
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search(
                [
                    ("calendar_id", "in", (False, calendar.id)),
                    ("company_id", "in", (False, company.id)),
                    ("resource_id", "=", False),
                    ("date_to", ">=", start),
                    ("date_from", "<=", now + timedelta(days=HOLIDAY_HORIZON_DAYS)),
                ]
            )
        )
        tzinfo = ZoneInfo(zone)
        utc = ZoneInfo("UTC")
        holidays = set()
        for leave in leaves:
            first = leave.date_from.replace(tzinfo=utc).astimezone(tzinfo).date()
            # A leave ends at its end's instant: ending at midnight, that day
            # is not part of it.
            last = (
                (leave.date_to - timedelta(microseconds=1))
                .replace(tzinfo=utc)
                .astimezone(tzinfo)
                .date()
            )
            day = first
            while day <= last:
                holidays.add(day)
                day += timedelta(days=1)
        return windows, frozenset(holidays), zone

    @api.model
    def _partner_zone(self, partner, default=None):
        """The time zone a customer is reached in: its billing contact's, else
        the customer's own, else ``default`` (the calendar's)."""
        billing = partner._debt_billing_contact()
        return (
            _zone(billing.tz)
            or _zone(partner.commercial_partner_id.tz)
            or default
            or "UTC"
        )

    @api.model
    def _next_allowed_moments(self, company, partners, now=None, schedule=None):
        """Partner id -> the first moment at or after ``now`` (naive UTC) the
        company's contact calendar allows reaching it, in its time zone.
        ``now`` when the company restricts nothing."""
        now = now or fields.Datetime.now()
        windows, holidays, zone = schedule or self._schedule(company, now)
        moments = {}
        for partner in partners:
            if not windows:
                moments[partner.id] = now
                continue
            moment = governor.next_allowed(
                now, self._partner_zone(partner, zone), windows, holidays
            )
            moments[partner.id] = moment or now
        return moments

    @api.model
    def _next_allowed_days(self, company, partners, day):
        """Partner id -> the first local date from ``day`` with contact hours
        that is not a public holiday (a call's due date)."""
        windows, holidays, _zone_name = self._schedule(company)
        if not windows:
            return dict.fromkeys(partners.ids, day)
        found = governor.next_allowed_day(day, windows, holidays) or day
        return dict.fromkeys(partners.ids, found)

    @api.model
    def _wake_mail_queue_at(self, moments):
        """Have Odoo's mail queue run at each of ``moments`` (it otherwise
        runs once an hour)."""
        cron = self.env.ref(
            "mail.ir_cron_mail_scheduler_action", raise_if_not_found=False
        )
        if cron and moments:
            # sudo: scheduled actions are technical records.
            cron.sudo()._trigger(at=sorted(set(moments)))

    # ------------------------------------------------------------------
    # How often
    # ------------------------------------------------------------------

    @api.model
    def _counted_domain(self, company, date_from, date_to):
        """Contact log entries the cap counts: outbound collection contacts by
        a channel that reaches the customer, not failed, neither a courtesy
        (thank-you, reward) nor a confirmation of what the customer did, nor
        about a hand-off (written to a mediator, an agency or a lawyer)."""
        return [
            ("company_id", "=", company.id),
            ("direction", "=", "outbound"),
            ("channel", "in", COUNTED_CHANNELS),
            ("courtesy", "=", False),
            ("confirmation", "=", False),
            ("handoff_id", "=", False),
            ("delivery_state", "!=", "failed"),
            ("date", ">=", date_from),
            ("date", "<=", date_to),
        ]

    @api.model
    def _cap_free_from(self, company, as_of, partner_ids=None):
        """Partner id -> the first day one more collection contact fits, for
        the customers already at the company's cap on ``as_of`` (the others
        are absent). Set-based: one grouped count of the window."""
        cap, days = company.debt_contact_cap, company.debt_contact_cap_days
        if cap <= 0 or days <= 0:
            return {}
        domain = self._counted_domain(company, as_of - timedelta(days=days - 1), as_of)
        if partner_ids is not None:
            domain.append(("partner_id", "in", list(partner_ids)))
        contact_days = {}
        for partner, day, count in (
            self.env["debt.contact.log"]
            .sudo()
            ._read_group(domain, ["partner_id", "date:day"], ["__count"])
        ):
            contact_days.setdefault(partner.id, []).extend([day] * count)
        found = {}
        for partner_id, contacts in contact_days.items():
            if len(contacts) < cap:
                continue
            allowed, first_day = governor.cap_room(contacts, as_of, cap, days)
            if not allowed:
                found[partner_id] = first_day
        return found

    @api.model
    def _postponed_moment(self, company, partner, now=None):
        """When a governed mail to ``partner`` may go out: the next allowed
        moment, on the first day the contact cap has room (the customer's
        local day). Naive UTC."""
        now = now or fields.Datetime.now()
        schedule = self._schedule(company, now)
        zone = self._partner_zone(partner, schedule[2])
        tzinfo = ZoneInfo(zone)
        local_today = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(tzinfo).date()
        partner = partner.commercial_partner_id
        free = self._cap_free_from(company, local_today, [partner.id]).get(partner.id)
        start = now
        if free and free > local_today:
            start = (
                datetime.combine(free, time(), tzinfo)
                .astimezone(ZoneInfo("UTC"))
                .replace(tzinfo=None)
            )
        return self._next_allowed_moments(
            company, partner, now=start, schedule=schedule
        )[partner.id]

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------

    @api.model
    def _collection_entry(self, message):
        """The outbound contact log entry of a collection message (a
        reminder, an agreement or instalment notice), or an empty
        recordset."""
        if not message:
            return self.env["debt.contact.log"]
        # sudo: the mail gateway routes as whoever sent; the log is read to
        # know the customer and the company the message was about.
        Log = self.env["debt.contact.log"].sudo()
        entry = Log.search(
            [("message_id", "=", message.id), ("direction", "=", "outbound")],
            limit=1,
        )
        if not entry:
            action = (
                self.env["debt.action"]
                .sudo()
                .search([("mail_message_id", "=", message.id)], limit=1)
            )
            entry = action.contact_log_ids.filtered(
                lambda log: log.direction == "outbound"
            )[:1]
        return entry

    @api.model
    def _record_reply(self, parent, reply, headers):
        """An email answering the collection message ``parent`` (both
        ``mail.message``), received by the mail gateway: logged as an inbound
        contact; unless it is an auto-reply (``headers``), the collector gets
        an activity with its text and the reminders pause for the company's
        number of days."""
        entry = self._collection_entry(parent)
        if not entry or not reply:
            return False
        if reply.author_id.user_ids.filtered(lambda user: not user.share):
            return False  # a colleague answering by email, not the customer
        company = entry.company_id
        partner = entry.partner_id.commercial_partner_id.with_company(company)
        auto = governor.is_auto_reply(headers)
        today = fields.Date.context_today(self)
        subject = reply.subject or parent.subject or ""
        Log = self.env["debt.contact.log"].sudo().with_company(company)
        summary = (
            self.env._("Automatic reply by email: %(subject)s", subject=subject)
            if auto
            else self.env._("Customer replied by email: %(subject)s", subject=subject)
        )
        collector = partner._debt_collector(entry.stage_id.policy_id)
        log = Log.create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "move_ids": [fields.Command.set(entry.move_ids.ids)],
                "date": today,
                "channel": "email",
                "direction": "inbound",
                "summary": summary[:250],
                "message_id": reply.id,
                "user_id": collector.id,
            }
        )
        if auto:
            return log
        text = html2plaintext(reply.body or "").strip()
        if len(text) > REPLY_TEXT_LIMIT:
            text = text[:REPLY_TEXT_LIMIT] + "…"
        # sudo: the activity is the run's to-do for the collector, on the
        # customer, whoever the mail gateway runs as.
        partner.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=today,
            summary=self.env._("Customer replied"),
            # Text, escaped: what a customer writes never becomes markup.
            note=plaintext2html(
                self.env._(
                    "%(customer)s answered %(what)s: %(text)s",
                    customer=partner.display_name,
                    what=entry.summary,
                    text=text,
                )
            ),
            user_id=collector.id,
        )
        days = company.debt_reply_pause_days
        if days > 0:
            until = today + timedelta(days=days - 1)
            Profile = self.env["debt.partner.profile"].sudo()
            current = Profile.search(
                [("partner_id", "=", partner.id), ("company_id", "=", company.id)],
                limit=1,
            ).replied_until
            if not current or current < until:
                Profile._upsert(company, {partner.id: {"replied_until": until}})
        return log
