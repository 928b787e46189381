"""Payment plan schedules: splitting, rounding, dates, and paying them off.

Rules (each one a promise to the customer):

* The instalments of a plan always add up exactly to its total, in the
  currency's rounding: the last instalment absorbs the remainder.
* Every instalment is strictly positive and falls on or after the plan date.
* What the customer paid is allocated to the instalments oldest first.
* A missed instalment gets a grace period: late but within it the plan is
  "at risk"; past it the plan is broken.

Amounts are worked in whole units of the currency's rounding (cents for 0.01),
so no float is ever compared raw. Pure Python: nothing here imports Odoo.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from .money import from_units, to_units

WEEKLY = "weekly"
BIWEEKLY = "biweekly"
MONTHLY = "monthly"
FREQUENCIES = (WEEKLY, BIWEEKLY, MONTHLY)

# Problems found in a schedule (the models translate them).
NON_POSITIVE = "non_positive"
BEFORE_PLAN_DATE = "before_plan_date"
TOTAL_MISMATCH = "total_mismatch"
EMPTY = "empty"

# Situation of a plan on a given day.
ON_SCHEDULE = "on_schedule"
AT_RISK = "at_risk"
BROKEN = "broken"
COMPLETED = "completed"

# Instalment states.
OPEN = "open"
PAID = "paid"
LATE = "late"


class ScheduleError(ValueError):
    """A schedule cannot be built from the given terms; ``code`` says why."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Installment:
    """One instalment as the decisions need it."""

    date_due: date
    amount: float
    amount_paid: float = 0.0


def add_months(day, months, anchor_day=None):
    """``day`` moved ``months`` later, clamped to the month's last day.

    :param int anchor_day: day of month to aim for (the first instalment's), so
        31 Jan -> 28 Feb -> 31 Mar rather than drifting to the 28th.
    """
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(anchor_day or day.day, last))


def installment_dates(first_date, count, frequency):
    """``count`` due dates starting on ``first_date`` at ``frequency``."""
    if frequency not in FREQUENCIES:
        raise ScheduleError("frequency")
    if frequency == MONTHLY:
        return [add_months(first_date, i, first_date.day) for i in range(count)]
    step = timedelta(days=7 if frequency == WEEKLY else 14)
    return [first_date + step * i for i in range(count)]


def split_amounts(total, rounding, count=None, amount=None):
    """Split ``total`` into instalments that add up to it exactly.

    Either ``count`` equal instalments, or instalments of ``amount`` each; the
    last one absorbs the remainder (it is never larger than the others by more
    than the rounding remainder with ``count``, and never larger than ``amount``
    with ``amount``).
    """
    total_units = to_units(total, rounding)
    if total_units <= 0:
        raise ScheduleError(NON_POSITIVE)
    if count is not None:
        if count <= 0:
            raise ScheduleError(NON_POSITIVE)
        if count > total_units:
            raise ScheduleError(NON_POSITIVE)
        each = total_units // count
        units = [each] * (count - 1) + [total_units - each * (count - 1)]
    elif amount is not None:
        each = to_units(amount, rounding)
        if each <= 0:
            raise ScheduleError(NON_POSITIVE)
        full, remainder = divmod(total_units, each)
        units = [each] * full + ([remainder] if remainder else [])
    else:
        raise ScheduleError(EMPTY)
    return [from_units(u, rounding) for u in units]


def build_schedule(
    total,
    rounding,
    first_date,
    frequency,
    count=None,
    amount=None,
    down_payment=0.0,
    down_payment_date=None,
):
    """Instalments ``[(date_due, amount)]`` for a plan of ``total``.

    An optional down payment comes first (on ``down_payment_date``, default the
    first date); the rest is split by ``count`` or ``amount`` from ``first_date``
    (or the next period when a down payment takes the first date).
    """
    down_units = to_units(down_payment or 0.0, rounding)
    if down_units < 0:
        raise ScheduleError(NON_POSITIVE)
    total_units = to_units(total, rounding)
    if down_units >= total_units:
        raise ScheduleError(TOTAL_MISMATCH)
    lines = []
    start = first_date
    if down_units:
        down_date = down_payment_date or first_date
        lines.append((down_date, from_units(down_units, rounding)))
        if down_date >= first_date:
            start = installment_dates(first_date, 2, frequency)[1]
    amounts = split_amounts(
        from_units(total_units - down_units, rounding), rounding, count, amount
    )
    dates = installment_dates(start, len(amounts), frequency)
    lines += list(zip(dates, amounts, strict=True))
    return lines


def check_schedule(total, lines, plan_date, rounding):
    """Problems of a schedule ``[(date_due, amount)]``: a list of codes.

    Empty when the schedule is sound: at least one instalment, each one
    positive and not before ``plan_date``, adding up exactly to ``total``.
    """
    problems = []
    if not lines:
        return [EMPTY]
    if any(to_units(amount, rounding) <= 0 for _day, amount in lines):
        problems.append(NON_POSITIVE)
    if plan_date and any(day and day < plan_date for day, _amount in lines):
        problems.append(BEFORE_PLAN_DATE)
    if sum(to_units(amount, rounding) for _day, amount in lines) != to_units(
        total, rounding
    ):
        problems.append(TOTAL_MISMATCH)
    return problems


def allocate(paid, amounts, rounding):
    """Spread ``paid`` over instalments of ``amounts`` (oldest first).

    :returns: the amount paid on each instalment, in order; an overpayment
        stays on the last instalment's side (never more than its amount).
    """
    left = max(to_units(paid, rounding), 0)
    result = []
    for amount in amounts:
        units = to_units(amount, rounding)
        taken = min(left, max(units, 0))
        left -= taken
        result.append(from_units(taken, rounding))
    return result


def installment_state(installment, as_of, rounding):
    """``paid``, ``late`` (due before ``as_of``, not fully paid) or ``open``."""
    if to_units(installment.amount_paid, rounding) >= to_units(
        installment.amount, rounding
    ):
        return PAID
    if as_of and installment.date_due < as_of:
        return LATE
    return OPEN


def plan_status(installments, as_of, grace_days, rounding):
    """Where a plan stands on ``as_of``.

    ``completed`` when everything is paid; ``broken`` when an instalment is
    still unpaid more than ``grace_days`` after its due date; ``at_risk`` when
    one is late but within the grace; ``on_schedule`` otherwise.
    """
    states = [installment_state(inst, as_of, rounding) for inst in installments]
    if states and all(state == PAID for state in states):
        return COMPLETED
    late = [
        inst for inst, state in zip(installments, states, strict=True) if state == LATE
    ]
    if not late:
        return ON_SCHEDULE
    oldest = min(inst.date_due for inst in late)
    if (as_of - oldest).days > grace_days:
        return BROKEN
    return AT_RISK


def due_for_reminder(installment, as_of, days_before, rounding):
    """True when a friendly reminder of ``installment`` is due on ``as_of``.

    From ``days_before`` days before the due date until the due date itself,
    for an instalment not yet fully paid.
    """
    if installment_state(installment, as_of, rounding) == PAID:
        return False
    return (
        installment.date_due - timedelta(days=days_before)
        <= as_of
        <= installment.date_due
    )
