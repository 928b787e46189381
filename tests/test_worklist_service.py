"""The worklist's reasons in their fixed order, and its priority formula."""

import pytest
from services import worklist


def test_reasons_are_listed_in_the_fixed_order_each_once():
    assert worklist.ordered_codes(["reply", "call", "reply", "review"]) == (
        "call",
        "review",
        "reply",
    )
    assert worklist.reason_codes_text({"mail_failed", "handoff", "call"}) == (
        "call handoff mail_failed"
    )
    assert worklist.split_codes("promise_broken plan_at_risk") == (
        "plan_at_risk",
        "promise_broken",
    )
    assert worklist.split_codes("") == ()
    assert worklist.split_codes(None) == ()


def test_the_public_codes_are_the_issues_list():
    assert worklist.REASON_CODES == tuple(
        "call review plan_at_risk plan_broken promise_due promise_broken "
        "dispute_late payment_claim portal_request reply handoff mail_failed".split()
    )


def test_an_unknown_reason_is_refused():
    with pytest.raises(ValueError, match="lunch"):
        worklist.ordered_codes(["call", "lunch"])


def test_priority_is_amount_times_days_times_weight():
    found = worklist.priority(4800.0, 37, 1.5)
    assert found.value == 266400.0
    assert (found.overdue, found.days, found.weight) == (4800.0, 37, 1.5)
    # No tier: weight 1.
    assert worklist.priority(100.0, 10, None).value == 1000.0
    assert worklist.priority(100.0, 10).value == 1000.0


def test_nothing_overdue_or_not_late_is_priority_zero():
    assert worklist.priority(0, 40, 2.0).value == 0.0
    assert worklist.priority(500.0, 0, 2.0).value == 0.0
    # A credit or a not-yet-due invoice never counts negatively.
    assert worklist.priority(-300.0, 12, 1.0).value == 0.0
    assert worklist.priority(300.0, -5, 1.0).value == 0.0
    assert worklist.priority(None, None).value == 0.0


def test_priority_rounds_half_up_to_cents_as_sql_numeric_does():
    # 0.125 x 1 x 1 -> 0.13 (numeric ROUND is half away from zero).
    assert worklist.priority(0.125, 1, 1.0).value == 0.13
    # Float noise does not change the cents: 0.1 + 0.2 is read as written.
    assert worklist.priority(0.1 + 0.2, 3, 1.0).value == 0.9


def test_key_accounts_come_before_a_larger_standard_debt_of_the_same_age():
    key = worklist.priority(1000.0, 30, 1.5).value
    standard = worklist.priority(1400.0, 30, 1.0).value
    assert key > standard
