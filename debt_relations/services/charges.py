"""What the law or the terms allow on a late invoice: interest and compensation.

A company chooses one rule for its customers (a customer's contract rate
overrides it):

``none``
    nothing accrues.
``fixed``
    a fee per invoice (``Rule.fixed_amount``) once the invoice reached the
    company's chosen rung (the caller says so with ``fee_due``); no interest.
``eu_statutory``
    Directive 2011/7/EU: the reference rate plus 8 percentage points, and a
    compensation of EUR 40 per invoice (the caller passes it converted to the
    invoice's currency). The reference rate in force on 1 January applies from
    January to June, the one in force on 1 July from July to December, so the
    rate follows the half-year of each day of lateness.
``uk_statutory``
    Late Payment of Commercial Debts (Interest) Act 1998: the Bank of England
    base rate plus 8 %, and GBP 40 / 70 / 100 by the size of the debt (below
    1,000; below 10,000; from 10,000). The reference rate is the one in force on
    31 December (for January to June) or 30 June (for July to December)
    *immediately before the day interest starts to run*, and it stays fixed for
    that debt (the Late Payment of Commercial Debts (Rate of Interest) (No. 3)
    Order 2002, article 4).
``custom``
    an annual rate (``Rule.rate``, percent) and an optional fixed amount per
    invoice (``Rule.fixed_amount``).

Interest is simple, per day, actual/365 (a leap year's 366 days are 366/365 of
a year), on the amount still unpaid each day: a payment or a credit lowers the
base from its own date. It runs from the day after the due date up to and
including the day it is computed for. The compensation is owed once per invoice,
when some of it was still unpaid the day after its due date. Both are rounded
half-up to the invoice currency's rounding; interest once, on its total.

Pure Python: nothing here imports Odoo.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

NONE = "none"
FIXED = "fixed"
EU_STATUTORY = "eu_statutory"
UK_STATUTORY = "uk_statutory"
CUSTOM = "custom"
RULES = (NONE, FIXED, EU_STATUTORY, UK_STATUTORY, CUSTOM)
STATUTORY = (EU_STATUTORY, UK_STATUTORY)

STATUTORY_MARGIN = Decimal("8")
"""Percentage points both statutory rules add to their reference rate."""

EU_COMPENSATION = Decimal("40")
"""EUR per invoice (Directive 2011/7/EU, article 6)."""

UK_COMPENSATION_BANDS = (
    (Decimal("1000"), Decimal("40")),
    (Decimal("10000"), Decimal("70")),
    (None, Decimal("100")),
)
"""(debt below, GBP) — the Act's section 5A."""

DAYS_IN_YEAR = Decimal("365")
ZERO = Decimal("0")


class MissingRate(Exception):
    """No reference rate is known for a half-year: never assume zero."""

    def __init__(self, rule, period_start, reference_day):
        self.rule = rule
        self.period_start = period_start
        self.reference_day = reference_day
        super().__init__(
            f"no {rule} reference rate in force on {reference_day.isoformat()} "
            f"(for the half-year from {period_start.isoformat()})"
        )


@dataclass(frozen=True)
class Rule:
    """The rule in force for one invoice."""

    kind: str = NONE
    rate: Decimal | None = None
    """Annual rate in percent, for ``custom`` (a contract rate)."""
    fixed_amount: Decimal = ZERO
    """The fee of ``fixed``; the optional fixed amount of ``custom``."""

    def __post_init__(self):
        if self.kind not in RULES:
            raise ValueError(f"unknown late-payment rule {self.kind!r}")
        if self.kind == CUSTOM and self.rate is None:
            raise ValueError("a custom rule needs an annual rate")


@dataclass(frozen=True)
class Period:
    """Days charged at one base and one rate."""

    date_from: date
    date_to: date
    base: Decimal
    rate: Decimal

    @property
    def days(self):
        return (self.date_to - self.date_from).days + 1

    @property
    def interest(self):
        """Unrounded: the total is rounded once."""
        return self.base * self.rate / 100 * self.days / DAYS_IN_YEAR


@dataclass(frozen=True)
class Charges:
    interest: Decimal = ZERO
    compensation: Decimal = ZERO
    periods: tuple = field(default=(), compare=False)

    @property
    def total(self):
        return self.interest + self.compensation


NOTHING = Charges()


def half_year_start(day):
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_half_year(day):
    start = half_year_start(day)
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


def reference_day(kind, day):
    """The day whose reference rate applies to the half-year holding ``day``."""
    start = half_year_start(day)
    if kind == UK_STATUTORY:
        return start - timedelta(days=1)  # 31 December or 30 June before it
    return start


def rate_in_force(reference_rates, day):
    """The rate of the latest ``(date_from, rate)`` on or before ``day``."""
    best = None
    for date_from, rate in reference_rates:
        if date_from <= day and (best is None or date_from > best[0]):
            best = (date_from, rate)
    return None if best is None else Decimal(str(best[1]))


def annual_rate(rule, reference_rates, day, first_day):
    """Annual rate in percent charged on ``day`` (interest started on
    ``first_day``)."""
    if rule.kind == CUSTOM:
        return Decimal(str(rule.rate))
    when = first_day if rule.kind == UK_STATUTORY else day
    ref_day = reference_day(rule.kind, when)
    reference = rate_in_force(reference_rates, ref_day)
    if reference is None:
        raise MissingRate(rule.kind, half_year_start(when), ref_day)
    return reference + STATUTORY_MARGIN


def uk_compensation(debt):
    for below, amount in UK_COMPENSATION_BANDS:
        if below is None or debt < below:
            return amount
    raise AssertionError("unreachable")  # pragma: no cover


def round_to(amount, rounding):
    step = Decimal(str(rounding))
    return (Decimal(amount) / step).quantize(Decimal(1), ROUND_HALF_UP) * step


def _rate_changes(rule, first_day, last_day):
    """Days after ``first_day`` up to ``last_day`` on which the rate may change."""
    if rule.kind != EU_STATUTORY:
        return []
    days, day = [], next_half_year(first_day)
    while day <= last_day:
        days.append(day)
        day = next_half_year(day)
    return days


def accrued(
    rule,
    amount,
    due_date,
    as_of,
    reductions=(),
    reference_rates=(),
    rounding="0.01",
    compensation=None,
    fee_due=True,
    suspensions=(),
):
    """Charges accrued on an invoice by the end of ``as_of``.

    ``amount``: the invoice's total (a credit note, zero or below, accrues
    nothing). ``reductions``: ``(date, amount)`` of each payment or credit
    applied to it. ``reference_rates``: ``(date_from, rate)`` of the rule's
    reference rate. ``compensation``: the EU compensation in the invoice's
    currency (default EUR 40). ``fee_due``: whether the ``fixed`` rule's rung was
    reached. ``suspensions``: ``(date_from, date_to)`` spans (``date_to`` None:
    still running) in which nothing accrues, such as an active payment plan or
    an open dispute on the invoice. Raises :class:`MissingRate` when a needed
    reference rate is unknown.
    """
    amount = Decimal(str(amount))
    if rule.kind == NONE or amount <= 0 or as_of <= due_date:
        return NOTHING
    first_day = due_date + timedelta(days=1)
    reductions = sorted((day, Decimal(str(value))) for day, value in reductions)

    def base_on(day):
        paid = sum((value for when, value in reductions if when <= day), ZERO)
        return max(amount - paid, ZERO)

    overdue = base_on(first_day)
    if not overdue:
        return NOTHING
    compensation_due = _compensation(rule, overdue, compensation, fee_due)
    if rule.kind == FIXED:
        return Charges(compensation=round_to(compensation_due, rounding))

    changes = {first_day, as_of + timedelta(days=1)}
    changes.update(day for day, _value in reductions if first_day < day <= as_of)
    changes.update(_rate_changes(rule, first_day, as_of))
    for date_from, date_to in suspensions:
        for day in (date_from, date_to and date_to + timedelta(days=1)):
            if day and first_day < day <= as_of:
                changes.add(day)
    bounds = sorted(changes)
    periods = []
    for start, stop in zip(bounds, bounds[1:], strict=False):
        base = base_on(start)
        if not base or _suspended(start, suspensions):
            continue
        rate = annual_rate(rule, reference_rates, start, first_day)
        periods.append(Period(start, stop - timedelta(days=1), base, rate))
    interest = sum((period.interest for period in periods), ZERO)
    return Charges(
        interest=round_to(interest, rounding),
        compensation=round_to(compensation_due, rounding),
        periods=tuple(periods),
    )


def _suspended(day, suspensions):
    return any(
        date_from <= day and (date_to is None or day <= date_to)
        for date_from, date_to in suspensions
    )


def _compensation(rule, overdue, eu_amount, fee_due):
    if rule.kind == EU_STATUTORY:
        return EU_COMPENSATION if eu_amount is None else Decimal(str(eu_amount))
    if rule.kind == UK_STATUTORY:
        return uk_compensation(overdue)
    if rule.kind == FIXED:
        return Decimal(str(rule.fixed_amount)) if fee_due else ZERO
    return Decimal(str(rule.fixed_amount or 0))
