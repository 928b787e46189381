"""Expected payment dates on small histories worked out by hand."""

from datetime import date, timedelta

from services import payment_date as pd
from services.payment_date import History, OpenInvoice, Payment

TODAY = date(2026, 12, 7)


def paid(days_late, amount=500.0, paid_days_ago=30):
    paid_on = TODAY - timedelta(days=paid_days_ago)
    return Payment(paid_on - timedelta(days=days_late), paid_on, amount)


def history(*payments, **kwargs):
    return History(tuple(payments), TODAY, **kwargs)


def test_weighted_median_is_the_lower_middle():
    assert pd.weighted_median([(5, 1), (10, 1), (20, 1)]) == 10
    assert pd.weighted_median([(5, 1), (10, 1)]) == 5
    assert pd.weighted_median([(5, 1), (10, 3)]) == 10
    assert pd.weighted_median([]) is None


def test_own_history_gives_the_usual_lateness():
    # Lateness 5, 12, 20 days: the median is 12. Due in 10 days: 12 days
    # after the due date.
    own = history(paid(5), paid(12), paid(20))
    invoice = OpenInvoice(TODAY + timedelta(days=10), 500.0)
    result = pd.expect(invoice, own)
    assert result == pd.Expectation(TODAY + timedelta(days=22), pd.OWN, 12, 3)


def test_recent_payments_weigh_more():
    # Two old payments 40 days late (paid two years ago: weight 0.5 ** 4 each,
    # 0.125 together) against one recent on time (weight about 0.89): the
    # recent habit wins.
    own = history(paid(40, paid_days_ago=720), paid(40, paid_days_ago=720), paid(0))
    invoice = OpenInvoice(TODAY + timedelta(days=5), 500.0)
    assert pd.expect(invoice, own).lateness == 0


def test_amount_band_when_it_has_enough_samples():
    # Small invoices paid on time, large ones 30 days late.
    own = history(
        paid(0, 100.0), paid(1, 120.0), paid(2, 90.0),
        paid(30, 5000.0), paid(31, 6000.0), paid(29, 7000.0),
    )  # fmt: skip
    due = TODAY + timedelta(days=3)
    assert pd.expect(OpenInvoice(due, 150.0), own).lateness == 1
    assert pd.expect(OpenInvoice(due, 5500.0), own).lateness == 30
    # No large band history: all bands (lateness 0, 1, 2, 29, 30, 31 -> 2).
    assert pd.expect(OpenInvoice(due, 50000.0), own).lateness == 2


def test_an_invoice_already_late_is_compared_with_later_payments_only():
    # Usually 5 days late, once 40: an invoice 10 days late now is expected
    # like the 40-day one, not five days ago.
    own = history(paid(3), paid(5), paid(6), paid(40))
    invoice = OpenInvoice(TODAY - timedelta(days=10), 500.0)
    result = pd.expect(invoice, own)
    assert result.date == TODAY + timedelta(days=30)
    assert result.lateness == 40


def test_later_than_ever_is_expected_now():
    own = history(paid(3), paid(5), paid(6))
    invoice = OpenInvoice(TODAY - timedelta(days=60), 500.0)
    result = pd.expect(invoice, own)
    assert (result.date, result.basis) == (TODAY, pd.OWN)


def test_too_little_history_falls_back_to_the_tier_and_says_so():
    own = history(paid(2))
    tier = history(paid(10), paid(14), paid(18), paid(50))
    invoice = OpenInvoice(TODAY + timedelta(days=1), 500.0)
    result = pd.expect(invoice, own, tier)
    assert (result.basis, result.lateness) == (pd.TIER, 14)
    assert result.date == TODAY + timedelta(days=15)


def test_a_thin_history_beats_none():
    # Two payments 30 and 40 days late, no tier history: the lower median, 30.
    own = history(paid(30), paid(40))
    invoice = OpenInvoice(TODAY + timedelta(days=1), 500.0)
    result = pd.expect(invoice, own, history(paid(2)))
    assert (result.basis, result.lateness, result.samples) == (pd.OWN, 30, 2)


def test_no_history_at_all_expects_the_due_date():
    invoice = OpenInvoice(TODAY + timedelta(days=4), 500.0)
    result = pd.expect(invoice, history(), history())
    assert (result.date, result.basis) == (TODAY + timedelta(days=4), pd.NO_HISTORY)
    late = OpenInvoice(TODAY - timedelta(days=4), 500.0)
    assert pd.expect(late, history()).date == TODAY


def test_what_is_known_now_overrides_history():
    own = history(paid(5), paid(12), paid(20))
    due = TODAY - timedelta(days=20)
    promised = OpenInvoice(due, 500.0, promise_date=TODAY + timedelta(days=9))
    assert pd.expect(promised, own) == pd.Expectation(
        TODAY + timedelta(days=9), pd.PROMISE
    )
    planned = OpenInvoice(
        due,
        500.0,
        plan_dates=(TODAY - timedelta(days=1), TODAY + timedelta(days=30)),
    )
    assert pd.expect(planned, own).date == TODAY + timedelta(days=30)
    handed = OpenInvoice(due, 500.0, handed_off=True)
    assert pd.expect(handed, own) == pd.Expectation(None, pd.HANDOFF)


def test_a_broken_promise_no_longer_counts():
    own = history(paid(5), paid(12), paid(25))
    invoice = OpenInvoice(
        TODAY - timedelta(days=20), 500.0, promise_date=TODAY - timedelta(days=2)
    )
    result = pd.expect(invoice, own)
    assert (result.basis, result.lateness) == (pd.OWN, 25)


def test_a_dispute_waits_for_its_target_date():
    own = history(paid(5), paid(12), paid(20))
    due = TODAY - timedelta(days=3)
    disputed = OpenInvoice(
        due, 500.0, disputed=True, dispute_target_date=TODAY + timedelta(days=14)
    )
    # Target in 14 days, then its usual lateness among payments at least
    # 3 days late (5, 12, 20 -> 12).
    assert pd.expect(disputed, own) == pd.Expectation(
        TODAY + timedelta(days=26), pd.DISPUTE
    )
    open_ended = OpenInvoice(due, 500.0, disputed=True)
    assert pd.expect(open_ended, own) == pd.Expectation(None, pd.DISPUTE)


def test_plan_instalments_pay_the_oldest_invoice_first():
    d = [TODAY + timedelta(days=30 * i) for i in range(1, 4)]
    # 300 + 150 owed, three instalments of 150: the older invoice is paid by
    # the first two, the newer by the third.
    found = pd.plan_dates(
        [("new", TODAY - timedelta(days=5), 150.0), ("old", TODAY, 300.0)],
        [(d[2], 150.0), (d[0], 150.0), (d[1], 150.0)],
    )
    # The due dates order them: "new" is due first here.
    assert found == {"new": (d[0],), "old": (d[1], d[2])}
    # Split across an instalment boundary: both instalments pay it.
    found = pd.plan_dates(
        [("a", TODAY, 100.0), ("b", TODAY + timedelta(days=1), 100.0)],
        [(d[0], 150.0), (d[1], 50.0)],
    )
    assert found == {"a": (d[0],), "b": (d[0], d[1])}


def test_plan_schedule_shorter_than_the_debt_falls_to_its_last_instalment():
    d1, d2 = TODAY + timedelta(days=10), TODAY + timedelta(days=40)
    found = pd.plan_dates(
        [("a", TODAY, 100.0), ("b", TODAY, 100.0)], [(d1, 50.0), (d2, 0.0)]
    )
    # The paid instalment (nothing left) pays nothing.
    assert found == {"a": (d1,), "b": (d1,)}
    assert pd.plan_dates([("a", TODAY, 100.0)], []) == {}


def test_a_plan_instalment_gives_the_date_of_the_last_one_paying_it():
    own = history(paid(5), paid(12), paid(20))
    d1, d2 = TODAY + timedelta(days=10), TODAY + timedelta(days=40)
    dates = pd.plan_dates(
        [("a", TODAY - timedelta(days=30), 200.0)], [(d1, 100.0), (d2, 100.0)]
    )
    invoice = OpenInvoice(TODAY - timedelta(days=30), 200.0, plan_dates=dates["a"])
    assert pd.expect(invoice, own) == pd.Expectation(d2, pd.PLAN)
