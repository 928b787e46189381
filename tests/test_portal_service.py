"""The portal's decisions (debt_relations/services/portal.py), without Odoo."""

from datetime import date, datetime, timedelta

import pytest
from services import eligibility, schedule
from services import portal as svc

TODAY = date(2026, 3, 2)
LIMITS = svc.Limits(
    promise_days=30,
    plan_months=12,
    plan_min_amount=50.0,
    down_payment_percent=10.0,
    paid_hold_days=7,
    rate_limit=3,
)


@pytest.mark.parametrize(
    ("hold", "due", "status"),
    [
        (None, date(2026, 3, 1), svc.OVERDUE),
        (None, TODAY, svc.DUE),
        (None, date(2026, 4, 1), svc.DUE),
        (None, None, svc.DUE),
        (eligibility.PROMISED, date(2026, 1, 1), svc.PROMISED),
        (eligibility.DISPUTED, date(2026, 1, 1), svc.DISPUTED),
        (eligibility.PAYMENT_PLAN, date(2026, 1, 1), svc.IN_PLAN),
        (eligibility.PAYMENT_CLAIMED, date(2026, 1, 1), svc.CHECKING),
    ],
)
def test_invoice_status(hold, due, status):
    assert svc.invoice_status(hold, due, TODAY) == status


def test_days_overdue():
    assert svc.days_overdue(date(2026, 2, 20), TODAY) == 10
    assert svc.days_overdue(date(2026, 3, 20), TODAY) == 0
    assert svc.days_overdue(None, TODAY) == 0


def test_rate_limit_at_the_limit():
    assert not svc.rate_limited(2, 3)
    assert svc.rate_limited(3, 3)
    assert svc.rate_limited(0, 0)


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (None, svc.DATE_MISSING),
        (date(2026, 3, 1), svc.DATE_PAST),
        (TODAY, None),
        (date(2026, 4, 1), None),  # exactly 30 days
        (date(2026, 4, 2), svc.DATE_TOO_FAR),
    ],
)
def test_promise_date(day, code):
    assert svc.check_promise_date(day, TODAY, LIMITS) == code


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (None, svc.AMOUNT_NOT_POSITIVE),
        (0.0, svc.AMOUNT_NOT_POSITIVE),
        (-5.0, svc.AMOUNT_NOT_POSITIVE),
        (0.004, svc.AMOUNT_NOT_POSITIVE),  # rounds to nothing
        (0.01, None),
        (300.0, None),
        (300.004, None),  # the same cents as what is owed
        (300.01, svc.AMOUNT_TOO_HIGH),
    ],
)
def test_amount(amount, code):
    assert svc.check_amount(amount, 300.0, 0.01) == code


def test_paid_claim():
    assert svc.check_paid_claim(None, 10.0, 300.0, TODAY, 0.01) == svc.DATE_MISSING
    assert (
        svc.check_paid_claim(date(2026, 3, 3), 10.0, 300.0, TODAY, 0.01)
        == svc.DATE_FUTURE
    )
    assert svc.check_paid_claim(TODAY, 301.0, 300.0, TODAY, 0.01) == (
        svc.AMOUNT_TOO_HIGH
    )
    assert svc.check_paid_claim(date(2026, 2, 1), 300.0, 300.0, TODAY, 0.01) is None
    assert svc.claim_hold_until(TODAY, LIMITS) == date(2026, 3, 9)


@pytest.mark.parametrize(
    ("days", "code"),
    [
        (None, svc.PAUSE_DAYS),
        (0, svc.PAUSE_DAYS),
        (1, None),
        (60, None),
        (61, svc.PAUSE_DAYS),
    ],
)
def test_pause(days, code):
    assert svc.check_pause(days) == code


def test_plan_within_limits():
    preview = svc.plan_preview(1000.0, 100.0, date(2026, 3, 15), TODAY, LIMITS, 0.01)
    assert preview.within_limits
    # A down payment of the limits' share (10 % = 100), then 100 a month.
    assert preview.lines[0] == (date(2026, 3, 15), 100.0)
    assert preview.lines[1][0] == date(2026, 4, 15)
    assert sum(amount for _day, amount in preview.lines) == pytest.approx(1000.0)
    assert len(preview.lines) == 10


def test_plan_down_payment_larger_than_instalment():
    preview = svc.plan_preview(2000.0, 100.0, TODAY, TODAY, LIMITS, 0.01)
    assert preview.lines[0][1] == 200.0
    assert sum(amount for _day, amount in preview.lines) == pytest.approx(2000.0)


def test_plan_outside_limits():
    too_long = svc.plan_preview(5000.0, 100.0, TODAY, TODAY, LIMITS, 0.01)
    assert too_long.problems == (svc.PLAN_TOO_LONG,)
    assert not too_long.within_limits
    small = svc.plan_preview(400.0, 40.0, TODAY, TODAY, LIMITS, 0.01)
    assert small.problems == (svc.PLAN_INSTALMENT_TOO_SMALL,)


def test_plan_at_the_longest_term():
    # 10 % down (120) then 99 a month: the last instalment 11 months after
    # the first date, inside 12 months.
    preview = svc.plan_preview(1200.0, 99.0, TODAY, TODAY, LIMITS, 0.01)
    assert preview.within_limits
    assert preview.lines[-1][0] <= date(2027, 3, 2)


@pytest.mark.parametrize(
    ("monthly", "first", "code"),
    [
        (100.0, None, svc.DATE_MISSING),
        (100.0, date(2026, 3, 1), svc.DATE_PAST),
        (100.0, date(2026, 4, 2), svc.DATE_TOO_FAR),
        (0.0, TODAY, svc.AMOUNT_NOT_POSITIVE),
        (None, TODAY, svc.AMOUNT_NOT_POSITIVE),
        (1000.0, TODAY, svc.AMOUNT_TOO_HIGH),
    ],
)
def test_plan_refused(monthly, first, code):
    with pytest.raises(schedule.ScheduleError) as error:
        svc.plan_preview(1000.0, monthly, first, TODAY, LIMITS, 0.01)
    assert error.value.code == code


def test_no_down_payment():
    limits = svc.Limits(down_payment_percent=0.0, plan_months=12)
    preview = svc.plan_preview(300.0, 100.0, TODAY, TODAY, limits, 0.01)
    assert [amount for _day, amount in preview.lines] == [100.0, 100.0, 100.0]


def test_plan_boundaries_first_date_and_smallest_instalment():
    # The first payment on the last day a promise may reach: accepted.
    last_day = date(2026, 4, 1)  # TODAY + 30 days
    assert svc.plan_preview(1000.0, 100.0, last_day, TODAY, LIMITS, 0.01).lines
    # One cent a month is an instalment.
    limits = svc.Limits(down_payment_percent=0.0, plan_min_amount=0.0)
    preview = svc.plan_preview(0.05, 0.01, TODAY, TODAY, limits, 0.01)
    assert [amount for _day, amount in preview.lines] == [0.01] * 5


def test_plan_length_is_judged_on_its_last_instalment():
    limits = svc.Limits(down_payment_percent=0.0, plan_months=12)
    # 13 instalments: the last one exactly 12 months after the first.
    exact = svc.plan_preview(1300.0, 100.0, TODAY, TODAY, limits, 0.01)
    assert exact.lines[-1][0] == date(2027, 3, 2)
    assert svc.PLAN_TOO_LONG not in exact.problems
    # 14: the last one month beyond, the one before still within.
    beyond = svc.plan_preview(1400.0, 100.0, TODAY, TODAY, limits, 0.01)
    assert svc.PLAN_TOO_LONG in beyond.problems


def test_down_payment_share_above_the_instalment_or_the_whole_amount():
    # No share asked: no down payment, even when 1 % would exceed the instalment.
    none = svc.Limits(down_payment_percent=0.0, plan_months=240)
    preview = svc.plan_preview(10000.0, 50.0, TODAY, TODAY, none, 0.01)
    assert preview.lines[0][1] == 50.0
    # A share of the whole amount is no plan's down payment: none either.
    whole = svc.Limits(down_payment_percent=100.0, plan_months=24)
    preview = svc.plan_preview(300.0, 100.0, TODAY, TODAY, whole, 0.01)
    assert [amount for _day, amount in preview.lines] == [100.0, 100.0, 100.0]


# ----------------------------------------------------------------------
# What a link may do, and how long it works
# ----------------------------------------------------------------------

OFFERED = ["pay", "promise", "dispute", "paid", "plan", "contact", "pause"]


@pytest.mark.parametrize("action", OFFERED)
@pytest.mark.parametrize("via", [svc.LINK, svc.LOGIN])
def test_a_link_may_do_what_a_login_may(action, via):
    assert svc.may(action, via, OFFERED) == svc.NOW


def test_a_new_billing_email_by_link_waits_for_confirmation():
    assert svc.may(svc.CONTACT_EMAIL, svc.LINK, OFFERED) == svc.CONFIRM
    assert svc.may(svc.CONTACT_EMAIL, svc.LOGIN, OFFERED) == svc.NOW


def test_what_the_company_does_not_offer_is_refused():
    assert svc.may("promise", svc.LOGIN, ["pay"]) is None
    assert svc.may(svc.CONTACT_EMAIL, svc.LOGIN, ["pay"]) is None
    assert svc.may("unknown", svc.LINK, OFFERED) is None


@pytest.mark.parametrize(
    ("sent_on", "state"),
    [
        (TODAY, svc.VALID),
        (date(2025, 9, 3), svc.VALID),  # 180 days ago
        (date(2025, 9, 2), svc.EXPIRED),  # 181 days ago
        (date(2026, 6, 1), svc.VALID),  # dated after today: not expired
        (None, svc.EXPIRED),
    ],
)
def test_link_state(sent_on, state):
    assert svc.link_state(sent_on, TODAY, 180) == state


def test_a_lifetime_below_one_day_expires_every_link():
    assert svc.link_state(TODAY, TODAY, 0) == svc.EXPIRED


def test_confirmation_window():
    asked = datetime(2026, 3, 2, 10, 0)
    expires = svc.confirmation_expires(asked, 48)
    assert expires == asked + timedelta(hours=48)
    assert svc.confirmation_open(expires, expires)
    assert not svc.confirmation_open(expires, expires + timedelta(seconds=1))
    assert not svc.confirmation_open(None, asked)
    assert svc.confirmation_expires(asked, -5) == asked


def test_no_online_agreement_within_months_of_a_broken_one():
    limits = svc.Limits(resign_months=6)
    assert svc.agreement_mode(None, TODAY, limits) == svc.SIGN
    broken = date(2026, 1, 15)
    assert svc.agreement_mode(broken, TODAY, limits) == svc.ASK
    assert svc.agreement_mode(broken, date(2026, 7, 14), limits) == svc.ASK
    assert svc.agreement_mode(broken, date(2026, 7, 15), limits) == svc.SIGN
    # 0 months: always online.
    assert svc.agreement_mode(broken, TODAY, svc.Limits(resign_months=0)) == svc.SIGN
    # The default is six months.
    assert svc.Limits().resign_months == 6


def test_a_promise_or_claim_after_a_stall_does_not_hold():
    limits = svc.Limits(stall_days=90)
    assert svc.holds_chase(None, TODAY, limits)
    stalled = date(2026, 2, 1)
    assert not svc.holds_chase(stalled, TODAY, limits)
    assert not svc.holds_chase(stalled, stalled + timedelta(days=90), limits)
    assert svc.holds_chase(stalled, stalled + timedelta(days=91), limits)
    # 0 days: a promise always holds.
    assert svc.holds_chase(stalled, TODAY, svc.Limits(stall_days=0))
    assert svc.Limits().stall_days == 90
