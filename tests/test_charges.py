"""Late-payment charges on worked examples, each computed by hand below."""

from datetime import date
from decimal import Decimal as D

import pytest
from services import charges
from services.charges import Rule

EU = Rule(charges.EU_STATUTORY)
UK = Rule(charges.UK_STATUTORY)
EU_RATES = [
    (date(2024, 7, 1), "4.25"),
    (date(2025, 1, 1), "3.15"),
    (date(2025, 7, 1), "2.15"),
]
UK_RATES = [(date(2025, 8, 7), "4.00"), (date(2025, 12, 18), "3.75")]


def test_eu_one_month_unpaid():
    # 1,000.00 due 31 Jan 2026; 1 Feb .. 2 Mar = 28 + 2 = 30 days.
    # Rate on 1 Jan 2026: 2.15 + 8 = 10.15 %.
    # 1000 * 0.1015 * 30 / 365 = 8.3424... -> 8.34; compensation 40.
    result = charges.accrued(
        EU, 1000, date(2026, 1, 31), date(2026, 3, 2), reference_rates=EU_RATES
    )
    assert result.interest == D("8.34")
    assert result.compensation == D("40")
    assert result.total == D("48.34")
    assert [p.days for p in result.periods] == [30]


def test_eu_rate_changes_mid_period():
    # Due 20 Jun 2025: 21..30 Jun = 10 days at 3.15 + 8 = 11.15 %,
    # 1..10 Jul = 10 days at 2.15 + 8 = 10.15 %.
    # 1000 * (0.1115 * 10 + 0.1015 * 10) / 365 = 21.3 / 365 * 100 = 5.8356 -> 5.84
    result = charges.accrued(
        EU, 1000, date(2025, 6, 20), date(2025, 7, 10), reference_rates=EU_RATES
    )
    assert result.interest == D("5.84")
    assert [(p.days, p.rate) for p in result.periods] == [
        (10, D("11.15")),
        (10, D("10.15")),
    ]


def test_partial_payment_lowers_the_base_from_its_date():
    # 1,000 due 31 Jan 2026, 400 paid on 11 Feb, as of 2 Mar (10.15 %):
    # 1..10 Feb: 10 days on 1000; 11 Feb..2 Mar: 18 + 2 = 20 days on 600.
    # (10 * 1000 + 20 * 600) * 0.1015 / 365 = 22000 * 0.1015 / 365 = 6.1178 -> 6.12
    result = charges.accrued(
        EU,
        1000,
        date(2026, 1, 31),
        date(2026, 3, 2),
        reductions=[(date(2026, 2, 11), 400)],
        reference_rates=EU_RATES,
    )
    assert result.interest == D("6.12")
    assert [(p.days, p.base) for p in result.periods] == [(10, D(1000)), (20, D(600))]
    assert result.compensation == D("40")


def test_leap_year_counts_366_days_over_365():
    # Custom 10 %, 1,000 due 31 Dec 2027, as of 31 Dec 2028: 366 days.
    # 1000 * 0.10 * 366 / 365 = 100.2739... -> 100.27
    result = charges.accrued(
        Rule(charges.CUSTOM, rate=D("10")), 1000, date(2027, 12, 31), date(2028, 12, 31)
    )
    assert result.interest == D("100.27")
    assert result.compensation == 0


def test_a_credit_note_accrues_nothing_and_a_credit_lowers_the_base():
    assert charges.accrued(EU, -500, date(2026, 1, 31), date(2026, 3, 2)) == (
        charges.NOTHING
    )
    # A 1,000 invoice credited 1,000 on 10 Feb: 1..9 Feb only, 9 days on 1000
    # at 10.15 %: 1000 * 0.1015 * 9 / 365 = 2.5027 -> 2.50.
    result = charges.accrued(
        EU,
        1000,
        date(2026, 1, 31),
        date(2026, 3, 2),
        reductions=[(date(2026, 2, 10), 1000)],
        reference_rates=EU_RATES,
    )
    assert result.interest == D("2.50")


@pytest.mark.parametrize(
    ("debt", "compensation"),
    [(999.99, 40), (1000, 70), (9999.99, 70), (10000, 100), (250000, 100)],
)
def test_uk_compensation_by_size_of_the_debt(debt, compensation):
    result = charges.accrued(
        UK, debt, date(2026, 1, 31), date(2026, 2, 1), reference_rates=UK_RATES
    )
    assert result.compensation == D(compensation)


def test_uk_rate_is_fixed_when_interest_starts_to_run():
    # Due 20 Jun 2026: interest starts on 21 Jun, so the base rate in force on
    # 31 Dec 2025 (3.75) + 8 = 11.75 % holds for the whole debt, July included.
    # 2,000 * 0.1175 * 20 / 365 = 12.8767 -> 12.88
    rates = UK_RATES + [(date(2026, 5, 1), "3.50")]
    result = charges.accrued(
        UK, 2000, date(2026, 6, 20), date(2026, 7, 10), reference_rates=rates
    )
    assert {p.rate for p in result.periods} == {D("11.75")}
    assert result.interest == D("12.88")
    assert result.compensation == D("70")


@pytest.mark.parametrize(("rounding", "interest"), [("1", "8"), ("0.05", "8.35")])
def test_interest_is_rounded_with_the_invoice_currency(rounding, interest):
    result = charges.accrued(
        EU,
        1000,
        date(2026, 1, 31),
        date(2026, 3, 2),
        reference_rates=EU_RATES,
        rounding=rounding,
        compensation=40,
    )
    assert result.interest == D(interest)


def test_paid_on_its_due_date_owes_nothing():
    result = charges.accrued(
        EU,
        1000,
        date(2026, 1, 31),
        date(2026, 3, 2),
        reductions=[(date(2026, 1, 31), 1000)],
        reference_rates=EU_RATES,
    )
    assert result == charges.NOTHING
    assert charges.accrued(EU, 1000, date(2026, 1, 31), date(2026, 1, 31)) == (
        charges.NOTHING
    )


def test_a_missing_rate_is_an_error_never_zero():
    with pytest.raises(charges.MissingRate) as error:
        charges.accrued(
            EU, 1000, date(2024, 3, 31), date(2024, 4, 30), reference_rates=EU_RATES
        )
    assert error.value.reference_day == date(2024, 1, 1)
    assert error.value.period_start == date(2024, 1, 1)


def test_fixed_fee_once_the_rung_is_reached():
    rule = Rule(charges.FIXED, fixed_amount=D("25"))
    due, as_of = date(2026, 1, 31), date(2026, 3, 2)
    assert charges.accrued(rule, 1000, due, as_of, fee_due=False) == charges.NOTHING
    assert charges.accrued(rule, 1000, due, as_of).total == D("25")


def test_no_rule_no_charges():
    assert charges.accrued(Rule(), 1000, date(2026, 1, 31), date(2027, 1, 31)) == (
        charges.NOTHING
    )


def test_nothing_accrues_while_a_plan_or_dispute_holds_the_invoice():
    # Custom 10 %, 3,650 due 31 Jan 2026, as of 2 Mar (30 days); disputed from
    # 6 Feb to 25 Feb (20 days): 10 days charged, 3650 * 0.10 * 10 / 365 = 10.00.
    result = charges.accrued(
        Rule(charges.CUSTOM, rate=D("10")),
        3650,
        date(2026, 1, 31),
        date(2026, 3, 2),
        suspensions=[(date(2026, 2, 6), date(2026, 2, 25))],
    )
    assert result.interest == D("10.00")
    # A plan still running since 11 Feb: 1..10 Feb only.
    running = charges.accrued(
        Rule(charges.CUSTOM, rate=D("10")),
        3650,
        date(2026, 1, 31),
        date(2026, 3, 2),
        suspensions=[(date(2026, 2, 11), None)],
    )
    assert running.interest == D("10.00")


def test_custom_rule_adds_its_fixed_amount():
    rule = Rule(charges.CUSTOM, rate=D("10"), fixed_amount=D("15"))
    result = charges.accrued(rule, 3650, date(2026, 1, 31), date(2026, 2, 10))
    assert (result.interest, result.compensation) == (D("10.00"), D("15"))


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError):
        Rule("penalty")
    with pytest.raises(ValueError):
        Rule(charges.CUSTOM)
