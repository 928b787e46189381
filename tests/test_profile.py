from datetime import date

from services import profile as pr

AS_OF = date(2026, 3, 2)
KEY = pr.Tier(
    tier_id=1,
    sequence=10,
    min_tenure_months=24,
    min_on_time_ratio=0.9,
    min_revenue=50000.0,
    max_avg_days_late=3,
    min_paid_count=6,
)
RELIABLE = pr.Tier(tier_id=2, sequence=20, min_on_time_ratio=0.8, min_paid_count=3)
STANDARD = pr.Tier(tier_id=3, sequence=30, max_avg_days_late=15)
WATCH = pr.Tier(tier_id=4, sequence=40)
TIERS = [WATCH, STANDARD, KEY, RELIABLE]


def figures(**values):
    return pr.Figures(partner_id=1, **values)


def test_on_time_ratio():
    assert figures(paid_count=24, on_time_count=23).on_time_ratio == 23 / 24
    assert figures().on_time_ratio == 0.0


def test_tenure_months():
    assert pr.tenure_months(date(2022, 3, 2), AS_OF) == 48
    assert pr.tenure_months(date(2022, 3, 3), AS_OF) == 47
    assert pr.tenure_months(None, AS_OF) == 0
    assert pr.tenure_months(date(2027, 1, 1), AS_OF) == 0


def test_key_account():
    long_standing = figures(
        customer_since=date(2022, 1, 10),
        revenue_12m=80000.0,
        paid_count=24,
        on_time_count=23,
        avg_days_late=0.5,
    )
    assert pr.choose_tier(long_standing, TIERS, AS_OF) == KEY.tier_id


def test_key_account_needs_revenue_and_tenure():
    small = figures(
        customer_since=date(2022, 1, 10),
        revenue_12m=10000.0,
        paid_count=24,
        on_time_count=24,
    )
    assert pr.choose_tier(small, TIERS, AS_OF) == RELIABLE.tier_id
    recent = figures(
        customer_since=date(2025, 6, 1),
        revenue_12m=90000.0,
        paid_count=10,
        on_time_count=10,
    )
    assert pr.choose_tier(recent, TIERS, AS_OF) == RELIABLE.tier_id


def test_ratio_compared_in_whole_invoices():
    # 4 of 5 is exactly 80 %: meets the threshold despite float arithmetic.
    assert pr.meets(figures(paid_count=5, on_time_count=4), RELIABLE, AS_OF)
    assert not pr.meets(figures(paid_count=5, on_time_count=3), RELIABLE, AS_OF)


def test_new_customer_is_standard():
    new = figures(customer_since=date(2026, 2, 1))
    assert pr.choose_tier(new, TIERS, AS_OF) == STANDARD.tier_id


def test_chronic_late_payer_is_watch():
    late = figures(
        customer_since=date(2020, 1, 1),
        paid_count=10,
        on_time_count=2,
        avg_days_late=30,
    )
    assert pr.choose_tier(late, TIERS, AS_OF) == WATCH.tier_id


def test_no_tier_matches():
    assert pr.choose_tier(figures(avg_days_late=40), [KEY, STANDARD], AS_OF) is None
    assert pr.choose_tier(figures(), [], AS_OF) is None


def test_reason():
    facts = pr.reason(
        figures(
            customer_since=date(2022, 1, 10),
            paid_count=24,
            on_time_count=23,
            avg_days_late=0.456,
        ),
        AS_OF,
    )
    assert facts == {
        "kind": pr.HISTORY,
        "broken": 0,
        "paid": 24,
        "on_time": 23,
        "years": 4,
        "months": 1,
        "avg_days_late": 0.5,
        "overdue": 0.0,
    }
    assert pr.reason(figures(), AS_OF)["kind"] == pr.NEW


def test_broken_agreement_is_history_not_a_new_customer():
    """A customer with nothing paid yet but a plan or promise broken in 12
    months is not judged new: the tiers asking for none broken are not met,
    and it falls to the tier that asks for nothing (watch)."""
    standard = pr.Tier(tier_id=3, sequence=30, max_avg_days_late=15, no_broken=True)
    tiers = [WATCH, standard]
    assert pr.choose_tier(figures(), tiers, AS_OF) == standard.tier_id
    broken = figures(broken_12m=1)
    assert pr.choose_tier(broken, tiers, AS_OF) == WATCH.tier_id
    assert pr.reason(broken, AS_OF)["kind"] == pr.BROKEN
    assert pr.reason(broken, AS_OF)["broken"] == 1
    assert pr.reason(figures(), AS_OF)["kind"] == pr.NEW
    # A long good history does not erase a recent broken agreement.
    good = figures(
        customer_since=date(2022, 1, 10),
        paid_count=24,
        on_time_count=24,
        broken_12m=1,
    )
    reliable = pr.Tier(
        tier_id=2, sequence=20, min_on_time_ratio=0.8, min_paid_count=3, no_broken=True
    )
    assert pr.choose_tier(good, [reliable, WATCH], AS_OF) == WATCH.tier_id
    assert pr.reason(good, AS_OF)["kind"] == pr.HISTORY
    # A tier that does not ask keeps its customers.
    assert pr.choose_tier(broken, [STANDARD, WATCH], AS_OF) == STANDARD.tier_id
