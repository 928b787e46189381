"""The credit limit a tier suggests, and when a customer's limit is reviewed."""

from datetime import date

from services import credit

AS_OF = date(2026, 3, 2)
CENT = 0.01


def test_months_invoiced_counts_the_window_the_customer_was_there():
    # A customer of years: the whole window.
    assert credit.months_invoiced(date(2020, 1, 1), AS_OF) == 12
    # Exactly a year: still twelve, never thirteen.
    assert credit.months_invoiced(date(2025, 3, 2), AS_OF) == 12
    # Since mid-December: December, January, February, a bit of March.
    assert credit.months_invoiced(date(2025, 12, 15), AS_OF) == 3
    # Invoiced for the first time this month: one month, not a fraction.
    assert credit.months_invoiced(date(2026, 3, 1), AS_OF) == 1
    assert credit.months_invoiced(None, AS_OF) == 12
    assert credit.months_invoiced(date(2024, 1, 1), AS_OF, window=6) == 6


def test_average_monthly_invoicing():
    assert credit.average_monthly(12400.0, date(2023, 5, 1), AS_OF) == 12400.0 / 12
    # Three months of 3,000: 1,000 a month, not 250.
    assert credit.average_monthly(3000.0, date(2025, 12, 15), AS_OF) == 1000.0
    # Credit notes above the invoices: nothing invoiced, not a negative average.
    assert credit.average_monthly(-500.0, date(2023, 5, 1), AS_OF) == 0.0


def test_months_rule_rounds_down_to_the_step():
    rule = credit.Rule(credit.MONTHS, months=3, step=500)
    # 12,400 a year: 1,033.33 a month, x3 = 3,100, down to 3,000.
    assert credit.suggest(rule, 12400.0 / 12, CENT) == 3000.0
    assert credit.suggest(rule, 1000.0, CENT) == 3000.0
    assert credit.suggest(rule, 999.99, CENT) == 2500.0
    # Half a month, to the cent.
    half = credit.Rule(credit.MONTHS, months=0.5)
    assert credit.suggest(half, 1033.335, CENT) == 516.66
    # A step that is no whole number of cents, and float noise.
    assert credit.suggest(credit.Rule(credit.MONTHS, 3, step=0.1), 0.1, CENT) == 0.3


def test_fixed_rule():
    rule = credit.Rule(credit.FIXED, amount=2500.0, step=1000)
    assert credit.suggest(rule, 0.0, CENT) == 2000.0
    assert credit.suggest(credit.Rule(credit.FIXED, amount=2500.0), 99.0, CENT) == 2500


def test_nothing_or_zero_is_no_suggestion():
    # Odoo reads a limit of 0 as "no limit": never suggested.
    assert credit.suggest(credit.Rule(), 5000.0, CENT) is None
    assert credit.suggest(credit.Rule(credit.MONTHS, 3, step=1000), 0.0, CENT) is None
    assert credit.suggest(credit.Rule(credit.MONTHS, 3, step=1000), 300, CENT) is None
    assert credit.suggest(credit.Rule(credit.MONTHS, 0), 5000.0, CENT) is None
    assert credit.suggest(credit.Rule(credit.FIXED, amount=0.0), 5000.0, CENT) is None
    assert credit.suggest(credit.Rule(credit.MONTHS, -2), 5000.0, CENT) is None


RANKS = {1: (10, 1), 2: (20, 2), 3: (30, 3), 4: (40, 4), 5: (20, 5)}


def test_tier_dropped_follows_the_tiers_order():
    assert credit.tier_dropped(1, 4, RANKS)
    assert credit.tier_dropped(2, 3, RANKS)
    # Same sequence: the id orders them, as the tiers are checked.
    assert credit.tier_dropped(2, 5, RANKS)
    assert not credit.tier_dropped(5, 2, RANKS)
    # Up, or the same.
    assert not credit.tier_dropped(4, 1, RANKS)
    assert not credit.tier_dropped(3, 3, RANKS)
    # Meets no tier any more: dropped; had none: nothing to drop from.
    assert credit.tier_dropped(3, None, RANKS)
    assert not credit.tier_dropped(None, 4, RANKS)
    assert not credit.tier_dropped(None, None, RANKS)
    # A tier archived since is not compared.
    assert not credit.tier_dropped(9, 4, RANKS)
    assert not credit.tier_dropped(1, 9, RANKS)


def test_review_reason():
    assert credit.review_reason(1, 4, RANKS) == credit.DROPPED
    assert credit.review_reason(4, 1, RANKS) is None
    assert credit.review_reason(4, 4, RANKS, broken=True) == credit.BROKEN
    assert credit.review_reason(1, 4, RANKS, broken=True) == credit.BROKEN
