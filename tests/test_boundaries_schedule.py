"""Payment plan schedules at their limits: one cent, one step, no down payment."""

from datetime import date

import pytest
from services import schedule as sc

PLAN_DATE = date(2026, 3, 2)


def code_of(call, *args, **kwargs):
    with pytest.raises(sc.ScheduleError) as caught:
        call(*args, **kwargs)
    assert str(caught.value) == caught.value.code
    return caught.value.code


def test_one_cent_is_a_plan_of_one_instalment():
    assert sc.split_amounts(0.01, 0.01, count=1) == [0.01]
    assert sc.split_amounts(0.03, 0.01, amount=0.01) == [0.01, 0.01, 0.01]
    assert sc.check_schedule(0.01, [(PLAN_DATE, 0.01)], PLAN_DATE, 0.01) == []


def test_nothing_to_split_is_refused_with_its_reason():
    assert code_of(sc.split_amounts, 0.0, 0.01, amount=10.0) == sc.NON_POSITIVE
    assert code_of(sc.split_amounts, 0.004, 0.01, count=1) == sc.NON_POSITIVE
    assert code_of(sc.split_amounts, 10.0, 0.01, count=0) == sc.NON_POSITIVE
    # Three instalments of two cents: one would be nothing.
    assert code_of(sc.split_amounts, 0.02, 0.01, count=3) == sc.NON_POSITIVE
    assert sc.split_amounts(0.03, 0.01, count=3) == [0.01, 0.01, 0.01]
    assert code_of(sc.split_amounts, 10.0, 0.01, amount=0.004) == sc.NON_POSITIVE
    assert code_of(sc.split_amounts, 10.0, 0.01) == sc.EMPTY


def test_unknown_frequency_is_refused_with_its_reason():
    assert code_of(sc.installment_dates, PLAN_DATE, 2, "daily") == "frequency"


def test_schedule_without_down_payment():
    expected = [
        (date(2026, 3, 2), 100.0),
        (date(2026, 4, 2), 100.0),
        (date(2026, 5, 2), 100.0),
    ]
    assert sc.build_schedule(300.0, 0.01, PLAN_DATE, sc.MONTHLY, count=3) == expected
    assert (
        sc.build_schedule(300.0, 0.01, PLAN_DATE, sc.MONTHLY, count=3, down_payment=0.0)
        == expected
    )
    assert (
        sc.build_schedule(
            300.0, 0.01, PLAN_DATE, sc.MONTHLY, count=3, down_payment=None
        )
        == expected
    )


def test_schedule_by_instalment_amount():
    lines = sc.build_schedule(250.0, 0.01, PLAN_DATE, sc.WEEKLY, amount=100.0)
    assert lines == [
        (date(2026, 3, 2), 100.0),
        (date(2026, 3, 9), 100.0),
        (date(2026, 3, 16), 50.0),
    ]


def test_one_cent_down_payment_and_negative_one():
    lines = sc.build_schedule(
        10.0, 0.01, PLAN_DATE, sc.WEEKLY, count=1, down_payment=0.01
    )
    assert lines == [(date(2026, 3, 2), 0.01), (date(2026, 3, 9), 9.99)]
    assert (
        code_of(
            sc.build_schedule,
            10.0,
            0.01,
            PLAN_DATE,
            sc.WEEKLY,
            count=1,
            down_payment=-0.01,
        )
        == sc.NON_POSITIVE
    )


def test_month_end_anchor_comes_back_after_a_short_month():
    assert sc.add_months(date(2026, 2, 28), 1, anchor_day=31) == date(2026, 3, 31)
    assert sc.add_months(date(2026, 2, 28), 1) == date(2026, 3, 28)


def test_allocation_gives_nothing_to_an_empty_instalment():
    assert sc.allocate(10.0, [0.0, 10.0], 0.01) == [0.0, 10.0]


def test_grace_reached_exactly_is_still_at_risk():
    inst = [sc.Installment(date(2026, 3, 1), 100.0)]
    assert sc.plan_status(inst, date(2026, 3, 1), 5, 0.01) == sc.ON_SCHEDULE
    assert sc.plan_status(inst, date(2026, 3, 6), 5, 0.01) == sc.AT_RISK
    assert sc.plan_status(inst, date(2026, 3, 7), 5, 0.01) == sc.BROKEN


def test_reminder_window_includes_both_ends():
    inst = sc.Installment(date(2026, 3, 10), 100.0)
    assert not sc.due_for_reminder(inst, date(2026, 3, 6), 3, 0.01)
    assert sc.due_for_reminder(inst, date(2026, 3, 7), 3, 0.01)
    assert sc.due_for_reminder(inst, date(2026, 3, 10), 3, 0.01)
    assert not sc.due_for_reminder(inst, date(2026, 3, 11), 3, 0.01)
