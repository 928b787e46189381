"""Tier thresholds met exactly, just missed, and thresholds below one unit.

A tier is met when every threshold is met: a minimum reached exactly counts,
a maximum reached exactly counts, and a threshold of 0 is no limit at all.
"""

from datetime import date

from services import profile as pr

AS_OF = date(2026, 3, 2)


def figures(**values):
    return pr.Figures(partner_id=1, **values)


def test_revenue_minimum_met_exactly():
    tier = pr.Tier(tier_id=1, min_revenue=50000.0)
    assert pr.meets(figures(revenue_12m=50000.0), tier, AS_OF)
    assert not pr.meets(figures(revenue_12m=49999.5), tier, AS_OF)
    assert not pr.meets(figures(revenue_12m=49999.99), tier, AS_OF)


def test_revenue_minimum_below_one_unit():
    tier = pr.Tier(tier_id=1, min_revenue=0.5)
    assert not pr.meets(figures(revenue_12m=0.2), tier, AS_OF)
    assert pr.meets(figures(revenue_12m=0.5), tier, AS_OF)


def test_no_revenue_minimum_also_meets_a_negative_revenue():
    # More credited than invoiced over the last 12 months: no limit is no limit.
    assert pr.meets(figures(revenue_12m=-300.0), pr.Tier(tier_id=1), AS_OF)


def test_average_days_late_maximum_met_exactly():
    tier = pr.Tier(tier_id=1, max_avg_days_late=3)
    assert pr.meets(figures(avg_days_late=3.0), tier, AS_OF)
    assert not pr.meets(figures(avg_days_late=3.1), tier, AS_OF)


def test_average_days_late_maximum_below_one_day():
    tier = pr.Tier(tier_id=1, max_avg_days_late=0.5)
    assert pr.meets(figures(avg_days_late=0.5), tier, AS_OF)
    assert not pr.meets(figures(avg_days_late=0.8), tier, AS_OF)


def test_on_time_share_met_exactly_in_whole_invoices():
    tier = pr.Tier(tier_id=1, min_on_time_ratio=0.6)
    # 0.6 * 5 is 3.0000000000000004 as a float: 3 of 5 still meets 60 %.
    assert pr.meets(figures(paid_count=5, on_time_count=3), tier, AS_OF)
    assert not pr.meets(figures(paid_count=5, on_time_count=2), tier, AS_OF)


def test_on_time_share_asked_and_nothing_paid_yet():
    # Nothing paid: no share to judge, even when no minimum count is asked.
    asking = pr.Tier(tier_id=1, sequence=10, min_on_time_ratio=0.8)
    fallback = pr.Tier(tier_id=2, sequence=20)
    assert not pr.meets(figures(paid_count=0), asking, AS_OF)
    assert pr.choose_tier(figures(paid_count=0), [asking, fallback], AS_OF) == 2


def test_paid_count_minimum_met_exactly():
    tier = pr.Tier(tier_id=1, min_paid_count=3)
    assert pr.meets(figures(paid_count=3, on_time_count=3), tier, AS_OF)
    assert not pr.meets(figures(paid_count=2, on_time_count=2), tier, AS_OF)


def test_tenure_minimum_reached_on_the_monthly_anniversary():
    tier = pr.Tier(tier_id=1, min_tenure_months=24)
    assert pr.meets(figures(customer_since=date(2024, 3, 2)), tier, AS_OF)
    assert not pr.meets(figures(customer_since=date(2024, 3, 3)), tier, AS_OF)


def test_tenure_under_a_month_is_zero_months():
    assert pr.tenure_months(date(2026, 2, 3), AS_OF) == 0
    assert pr.tenure_months(date(2026, 2, 2), AS_OF) == 1
    assert pr.tenure_months(AS_OF, AS_OF) == 0
    assert pr.tenure_months(date(2026, 3, 10), AS_OF) == 0
    reason = pr.reason(figures(customer_since=date(2026, 2, 20)), AS_OF)
    assert (reason["years"], reason["months"]) == (0, 0)
