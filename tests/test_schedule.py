from datetime import date

import pytest
from services import schedule as sc

PLAN_DATE = date(2026, 3, 2)


def test_split_by_count_last_absorbs_remainder():
    amounts = sc.split_amounts(100.0, 0.01, count=3)
    assert amounts == [33.33, 33.33, 33.34]
    assert sc.to_units(sum(amounts), 0.01) == 10000


def test_split_by_count_whole_currency():
    assert sc.split_amounts(1000, 1.0, count=3) == [333.0, 333.0, 334.0]


def test_split_by_amount_last_is_smaller():
    assert sc.split_amounts(250.0, 0.01, amount=100.0) == [100.0, 100.0, 50.0]
    assert sc.split_amounts(300.0, 0.01, amount=100.0) == [100.0, 100.0, 100.0]


def test_split_sums_exactly_for_awkward_totals():
    for total in (0.07, 10.01, 999.99, 1234.57, 0.1 + 0.2):
        for count in (1, 2, 3, 7):
            amounts = sc.split_amounts(total, 0.01, count=count)
            assert len(amounts) == count
            assert sc.to_units(sum(amounts), 0.01) == sc.to_units(total, 0.01)
            assert all(amount > 0 for amount in amounts)


def test_split_refuses_non_positive():
    for kwargs in ({"count": 0}, {"amount": 0.0}, {"amount": -5.0}):
        with pytest.raises(sc.ScheduleError) as info:
            sc.split_amounts(100.0, 0.01, **kwargs)
        assert info.value.code == sc.NON_POSITIVE
    with pytest.raises(sc.ScheduleError):
        sc.split_amounts(0.0, 0.01, count=2)
    with pytest.raises(sc.ScheduleError):
        sc.split_amounts(0.02, 0.01, count=3)  # would need a zero instalment


def test_dates_weekly_biweekly():
    assert sc.installment_dates(PLAN_DATE, 3, sc.WEEKLY) == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
    ]
    assert sc.installment_dates(PLAN_DATE, 2, sc.BIWEEKLY) == [
        date(2026, 3, 2),
        date(2026, 3, 16),
    ]


def test_dates_monthly_keep_day_and_clamp_to_month_end():
    assert sc.installment_dates(date(2026, 1, 31), 4, sc.MONTHLY) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert sc.installment_dates(date(2027, 11, 15), 3, sc.MONTHLY)[-1] == date(
        2028, 1, 15
    )


def test_build_schedule_with_down_payment():
    lines = sc.build_schedule(
        1000.0, 0.01, PLAN_DATE, sc.MONTHLY, count=3, down_payment=100.0
    )
    assert lines == [
        (date(2026, 3, 2), 100.0),
        (date(2026, 4, 2), 300.0),
        (date(2026, 5, 2), 300.0),
        (date(2026, 6, 2), 300.0),
    ]
    assert sc.check_schedule(1000.0, lines, PLAN_DATE, 0.01) == []


def test_build_schedule_down_payment_too_large():
    with pytest.raises(sc.ScheduleError) as info:
        sc.build_schedule(100.0, 0.01, PLAN_DATE, sc.WEEKLY, count=2, down_payment=100)
    assert info.value.code == sc.TOTAL_MISMATCH


def test_check_schedule_problems():
    assert sc.check_schedule(100.0, [], PLAN_DATE, 0.01) == [sc.EMPTY]
    assert sc.check_schedule(
        100.0, [(PLAN_DATE, 50.0), (PLAN_DATE, 49.99)], PLAN_DATE, 0.01
    ) == [sc.TOTAL_MISMATCH]
    assert sc.check_schedule(
        100.0, [(PLAN_DATE, 100.0), (PLAN_DATE, 0.0)], PLAN_DATE, 0.01
    ) == [sc.NON_POSITIVE]
    assert sc.check_schedule(100.0, [(date(2026, 3, 1), 100.0)], PLAN_DATE, 0.01) == [
        sc.BEFORE_PLAN_DATE
    ]
    # Float noise does not make a sound schedule fail.
    assert (
        sc.check_schedule(0.3, [(PLAN_DATE, 0.1), (PLAN_DATE, 0.2)], None, 0.01) == []
    )


def test_allocate_oldest_first():
    assert sc.allocate(150.0, [100.0, 100.0, 100.0], 0.01) == [100.0, 50.0, 0.0]
    assert sc.allocate(0.0, [100.0, 100.0], 0.01) == [0.0, 0.0]
    assert sc.allocate(-5.0, [100.0], 0.01) == [0.0]
    assert sc.allocate(500.0, [100.0, 100.0], 0.01) == [100.0, 100.0]
    assert sc.allocate(33.33 + 33.33, [33.33, 33.33, 33.34], 0.01) == [
        33.33,
        33.33,
        0.0,
    ]


def _plan(*paid):
    return [
        sc.Installment(date(2026, 3, 2), 100.0, paid[0]),
        sc.Installment(date(2026, 4, 2), 100.0, paid[1]),
    ]


def test_installment_state():
    inst = sc.Installment(date(2026, 3, 2), 100.0, 40.0)
    assert sc.installment_state(inst, date(2026, 3, 2), 0.01) == sc.OPEN
    assert sc.installment_state(inst, date(2026, 3, 3), 0.01) == sc.LATE
    paid = sc.Installment(date(2026, 3, 2), 100.0, 99.999)
    assert sc.installment_state(paid, date(2026, 4, 1), 0.01) == sc.PAID


def test_plan_status_grace_then_broken():
    plan = _plan(0.0, 0.0)
    assert sc.plan_status(plan, date(2026, 3, 2), 7, 0.01) == sc.ON_SCHEDULE
    assert sc.plan_status(plan, date(2026, 3, 3), 7, 0.01) == sc.AT_RISK
    assert sc.plan_status(plan, date(2026, 3, 9), 7, 0.01) == sc.AT_RISK
    assert sc.plan_status(plan, date(2026, 3, 10), 7, 0.01) == sc.BROKEN
    assert sc.plan_status(_plan(100.0, 0.0), date(2026, 3, 20), 7, 0.01) == (
        sc.ON_SCHEDULE
    )
    assert sc.plan_status(_plan(100.0, 100.0), date(2026, 9, 1), 7, 0.01) == (
        sc.COMPLETED
    )


def test_due_for_reminder_window():
    inst = sc.Installment(date(2026, 3, 10), 100.0, 0.0)
    assert not sc.due_for_reminder(inst, date(2026, 3, 6), 3, 0.01)
    assert sc.due_for_reminder(inst, date(2026, 3, 7), 3, 0.01)
    assert sc.due_for_reminder(inst, date(2026, 3, 10), 3, 0.01)
    assert not sc.due_for_reminder(inst, date(2026, 3, 11), 3, 0.01)
    paid = sc.Installment(date(2026, 3, 10), 100.0, 100.0)
    assert not sc.due_for_reminder(paid, date(2026, 3, 8), 3, 0.01)
