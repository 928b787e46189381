"""The contact governor: send windows in the customer's time zone, holidays,
the cap across channels, and replies that pause the chase."""

from datetime import date, datetime

from services import governor
from services.governor import Window

# Monday to Friday, 9:00-12:00 and 13:00-17:30.
OFFICE = [Window(d, 9, 12) for d in range(5)] + [Window(d, 13, 17.5) for d in range(5)]


def test_inside_the_hours_now_is_allowed():
    # Monday 7 Dec 2026, 10:00 UTC = 11:00 in Paris.
    now = datetime(2026, 12, 7, 10, 0)
    assert governor.next_allowed(now, "Europe/Paris", OFFICE) == now


def test_three_in_the_morning_waits_for_nine_in_the_customers_zone():
    # 02:00 UTC on Monday is 03:00 in Paris: 9:00 Paris is 08:00 UTC.
    now = datetime(2026, 12, 7, 2, 0)
    assert governor.next_allowed(now, "Europe/Paris", OFFICE) == datetime(
        2026, 12, 7, 8, 0
    )
    # The same moment in New York is Sunday 21:00: Monday 9:00 EST = 14:00 UTC.
    assert governor.next_allowed(now, "America/New_York", OFFICE) == datetime(
        2026, 12, 7, 14, 0
    )


def test_lunch_and_evening_wait_for_the_next_window():
    # 11:30 UTC = 12:30 Paris (lunch): 13:00 Paris = 12:00 UTC.
    assert governor.next_allowed(
        datetime(2026, 12, 7, 11, 30), "Europe/Paris", OFFICE
    ) == datetime(2026, 12, 7, 12, 0)
    # Friday 17:00 UTC = 18:00 Paris: Monday 9:00 Paris.
    assert governor.next_allowed(
        datetime(2026, 12, 11, 17, 0), "Europe/Paris", OFFICE
    ) == datetime(2026, 12, 14, 8, 0)


def test_half_hours_and_summer_time():
    # Friday 3 July 2026, 15:20 UTC = 17:20 Paris (CEST): before 17:30.
    now = datetime(2026, 7, 3, 15, 20)
    assert governor.next_allowed(now, "Europe/Paris", OFFICE) == now
    # 15:31 UTC = 17:31: Monday 6 July 9:00 CEST = 07:00 UTC.
    assert governor.next_allowed(
        datetime(2026, 7, 3, 15, 31), "Europe/Paris", OFFICE
    ) == datetime(2026, 7, 6, 7, 0)


def test_public_holidays_are_skipped():
    # Thursday 24 Dec 2026, 20:00 UTC: Friday 25 is a holiday, the weekend
    # follows: Monday 28 Dec, 9:00 Paris = 08:00 UTC.
    now = datetime(2026, 12, 24, 20, 0)
    holidays = {date(2026, 12, 25)}
    assert governor.next_allowed(now, "Europe/Paris", OFFICE, holidays) == datetime(
        2026, 12, 28, 8, 0
    )
    assert governor.next_allowed_day(date(2026, 12, 25), OFFICE, holidays) == date(
        2026, 12, 28
    )


def test_no_schedule_never_sends_at_night():
    assert governor.next_allowed(datetime(2026, 12, 7), "UTC", []) is None
    assert governor.next_allowed_day(date(2026, 12, 7), []) is None


def test_the_cap_counts_every_contact_in_the_window():
    today = date(2026, 12, 10)
    # 3 in 7 days: contacts on 4, 6 and 9 Dec fill the window.
    contacts = [date(2026, 12, 4), date(2026, 12, 6), date(2026, 12, 9)]
    assert governor.cap_room(contacts, today, 3, 7) == (False, date(2026, 12, 11))
    # On 11 Dec the 4 Dec contact has left the window (5..11).
    assert governor.cap_room(contacts, date(2026, 12, 11), 3, 7) == (
        True,
        date(2026, 12, 11),
    )
    # Two contacts only: room today.
    assert governor.cap_room(contacts[1:], today, 3, 7) == (True, today)
    # No cap.
    assert governor.cap_room(contacts, today, 0, 7) == (True, today)


def test_a_full_window_waits_for_enough_contacts_to_leave():
    # Cap 2 in 7 days with 3 contacts (two on the same day): room comes back
    # when the second most recent leaves, 7 days after it.
    contacts = [date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 9)]
    assert governor.cap_room(contacts, date(2026, 12, 10), 2, 7) == (
        False,
        date(2026, 12, 16),
    )


def test_auto_replies_are_recognised():
    assert governor.is_auto_reply({"Auto-Submitted": "auto-replied"})
    assert not governor.is_auto_reply({"Auto-Submitted": "no"})
    assert governor.is_auto_reply({"X-Autoreply": "yes"})
    assert governor.is_auto_reply({"x-autorespond": ""})
    assert governor.is_auto_reply({"Precedence": "bulk"})
    assert governor.is_auto_reply({"PRECEDENCE": " Auto_Reply "})
    assert not governor.is_auto_reply({"Precedence": "first-class"})
    assert not governor.is_auto_reply({"Subject": "Re: your reminder"})


def test_a_reply_pauses_for_its_days():
    reply = date(2026, 12, 7)
    assert governor.paused_by_reply(reply, date(2026, 12, 7), 5)
    assert governor.paused_by_reply(reply, date(2026, 12, 11), 5)
    assert not governor.paused_by_reply(reply, date(2026, 12, 12), 5)
    assert not governor.paused_by_reply(None, date(2026, 12, 7), 5)
    assert not governor.paused_by_reply(reply, date(2026, 12, 7), 0)
