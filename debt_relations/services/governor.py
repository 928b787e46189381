"""The contact governor: when a customer may be reached, and how often.

*When*: a weekly schedule of working hours (the company's contact calendar),
read in the customer's time zone, with its public holidays skipped. A mail or
an SMS decided outside those hours waits for the next allowed moment; a call
falls due on the next allowed day.

*How often*: at most ``cap`` outbound collection contacts per customer in any
``days`` consecutive days, across every channel and kind. A contact the cap
stops is postponed to the first day the window has room again, not dropped.
Confirmations of something the customer just did and thank-yous are exempt
(the caller does not count them, nor ask).

*Answers*: an email that answers a collection message pauses the chase for a
number of days, unless it is an auto-reply (RFC 3834 ``Auto-Submitted``, the
``X-Autoreply``/``X-Autorespond`` headers, ``Precedence: auto_reply|bulk|junk``).

Pure Python: nothing here imports Odoo. Moments are naive UTC datetimes, as
Odoo stores them; schedules are in local time.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

SEARCH_DAYS = 366
"""How far ahead an allowed moment is looked for before giving up."""


@dataclass(frozen=True)
class Window:
    """Working hours of one weekday (0 Monday), as hours from midnight."""

    weekday: int
    hour_from: float
    hour_to: float


def _at(day, hours):
    hours = min(max(hours, 0.0), 24.0)
    if hours >= 24.0:
        return datetime.combine(day + timedelta(days=1), time())
    whole = int(hours)
    minutes = round((hours - whole) * 60)
    if minutes == 60:
        whole, minutes = whole + 1, 0
    return datetime.combine(day, time(whole, minutes))


def next_allowed(now_utc, tz_name, windows, holidays=()):
    """The first moment at or after ``now_utc`` (naive UTC) inside one of
    ``windows`` in the time zone ``tz_name``, on a day not in ``holidays``
    (local dates); naive UTC. None when no window exists in a year ahead (an
    empty schedule: the caller says so rather than sending at night)."""
    zone = ZoneInfo(tz_name or "UTC")
    local_now = now_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    holidays = set(holidays)
    by_day = {}
    for window in windows:
        by_day.setdefault(window.weekday, []).append(window)
    if not by_day:
        return None
    day = local_now.date()
    for _offset in range(SEARCH_DAYS):
        if day not in holidays:
            for window in sorted(by_day.get(day.weekday(), ()), key=_start):
                start = _at(day, window.hour_from).replace(tzinfo=zone)
                stop = _at(day, window.hour_to).replace(tzinfo=zone)
                if stop <= local_now or stop <= start:
                    continue
                moment = max(start, local_now)
                return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        day += timedelta(days=1)
    return None


def _start(window):
    return window.hour_from


def next_allowed_day(today_local, windows, holidays=()):
    """The first local date from ``today_local`` with working hours that is
    not a holiday (for calls); None if none within a year."""
    weekdays = {
        window.weekday for window in windows if window.hour_to > window.hour_from
    }
    holidays = set(holidays)
    day = today_local
    for _offset in range(SEARCH_DAYS):
        if day.weekday() in weekdays and day not in holidays:
            return day
        day += timedelta(days=1)
    return None


def cap_room(contact_days, today, cap, days):
    """``(allowed, first_day)``: whether one more contact fits on ``today``
    given the dates of the customer's counted contacts, and else the first day
    it will (when the oldest contact in the window leaves it). ``cap`` 0 or
    less means no cap."""
    if cap <= 0 or days <= 0:
        return True, today
    window_start = today - timedelta(days=days - 1)
    recent = sorted(day for day in contact_days if window_start <= day <= today)
    if len(recent) < cap:
        return True, today
    # Room comes back when enough of the recent contacts leave the window:
    # the one at position len - cap leaves ``days`` days after it was made.
    leaving = recent[len(recent) - cap]
    return False, leaving + timedelta(days=days)


AUTO_PRECEDENCE = ("auto_reply", "bulk", "junk")


def is_auto_reply(headers):
    """Whether an inbound email's headers (a mapping, any case) mark it as
    sent by a machine."""
    lowered = {str(k).lower(): str(v).strip().lower() for k, v in headers.items()}
    auto = lowered.get("auto-submitted")
    if auto and auto != "no":
        return True
    if "x-autoreply" in lowered or "x-autorespond" in lowered:
        return True
    return lowered.get("precedence") in AUTO_PRECEDENCE


def paused_by_reply(reply_day, today, pause_days):
    """Whether a reply received on ``reply_day`` still pauses the chase on
    ``today`` (the pause covers ``pause_days`` days from the reply's day)."""
    if reply_day is None or pause_days <= 0:
        return False
    return reply_day <= today < reply_day + timedelta(days=pause_days)
