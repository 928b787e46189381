"""Thank-yous and rewards on the exact days and counts where they change."""

from datetime import date, timedelta

from services import incentives as inc

AS_OF = date(2026, 3, 2)
YESTERDAY = AS_OF - timedelta(days=1)


def pay(move_id, days_ago, days_late=0):
    return inc.Payment(move_id, AS_OF - timedelta(days=days_ago), days_late)


def test_one_day_late_breaks_a_streak_without_tolerance():
    assert inc.streak([pay(1, 20), pay(2, 10, days_late=1)]) == 0
    assert inc.streak([pay(1, 20), pay(2, 10, days_late=0)]) == 2


def test_payments_on_the_grant_day_belong_to_the_earned_streak():
    granted = AS_OF - timedelta(days=10)
    assert inc.streak([pay(1, 20), pay(2, 10)], after=granted) == 0
    assert inc.streak([pay(1, 20), pay(2, 9)], after=granted) == 1


def test_next_renewal_month_ends_and_year_end():
    assert inc.next_renewal(date(2026, 1, 15), inc.MONTH) == date(2026, 2, 1)
    assert inc.next_renewal(date(2026, 11, 15), inc.MONTH) == date(2026, 12, 1)
    assert inc.next_renewal(date(2026, 12, 31), inc.MONTH) == date(2027, 1, 1)
    assert inc.next_renewal(date(2026, 9, 30), inc.QUARTER) == date(2026, 10, 1)
    assert inc.next_renewal(date(2026, 10, 1), inc.QUARTER) == date(2027, 1, 1)
    assert inc.next_renewal(date(2026, 1, 1), inc.YEAR) == date(2027, 1, 1)


def test_thanked_again_the_day_after_with_a_one_day_interval():
    payments = [inc.Payment(1, AS_OF, 0)]
    assert inc.should_thank(payments, YESTERDAY, False, YESTERDAY, 1, AS_OF)
    assert not inc.should_thank(payments, YESTERDAY, False, AS_OF, 1, AS_OF)
    # An interval of 0 still means once a day at most.
    assert not inc.should_thank(payments, YESTERDAY, False, AS_OF, 0, AS_OF)
    assert inc.should_thank(payments, YESTERDAY, False, YESTERDAY, 0, AS_OF)


def test_thank_you_interval_reached_exactly():
    payments = [inc.Payment(1, AS_OF, 0)]
    thanked = AS_OF - timedelta(days=30)
    assert inc.should_thank(payments, YESTERDAY, False, thanked, 30, AS_OF)
    thanked = AS_OF - timedelta(days=29)
    assert not inc.should_thank(payments, YESTERDAY, False, thanked, 30, AS_OF)


def test_paid_one_day_late_is_not_thanked():
    late = [inc.Payment(1, AS_OF, 1)]
    assert not inc.should_thank(late, YESTERDAY, False, None, 30, AS_OF)
    on_due_day = [inc.Payment(1, AS_OF, 0)]
    assert inc.should_thank(on_due_day, YESTERDAY, False, None, 30, AS_OF)


def test_new_payment_window_ends_on_the_run_day():
    since = AS_OF - timedelta(days=7)
    assert inc.is_new_payment(
        inc.Payment(1, since + timedelta(days=1), 0), since, AS_OF
    )
    assert inc.is_new_payment(inc.Payment(1, AS_OF, 0), since, AS_OF)
    assert not inc.is_new_payment(
        inc.Payment(1, AS_OF + timedelta(days=1), 0), since, AS_OF
    )
    assert not inc.is_new_payment(
        inc.Payment(1, since - timedelta(days=1), 0), since, AS_OF
    )


def test_decision_names_its_customer():
    assert inc.decide_rewards(7, [], [], [], {}, AS_OF).partner_id == 7


def test_a_thank_you_rule_does_not_hide_the_rules_after_it():
    rules = [
        inc.Rule(1, inc.THANKS),
        inc.Rule(2, inc.CREDIT, streak_length=3),
    ]
    payments = [pay(1, 30), pay(2, 20), pay(3, 10)]
    assert inc.decide_rewards(7, payments, rules, [], {}, AS_OF).grant == [2]


def test_streak_length_of_one_and_of_zero():
    payments = [pay(1, 10)]
    one = inc.Rule(1, inc.RECOGNITION, streak_length=1)
    zero = inc.Rule(2, inc.CREDIT, streak_length=0)
    after = inc.Rule(3, inc.CREDIT, streak_length=1)
    decision = inc.decide_rewards(7, payments, [zero, one, after], [], {}, AS_OF)
    # A rule without a streak length never grants; it does not stop the others.
    assert decision.grant == [1, 3]
    assert inc.decide_rewards(7, [], [zero], [], {}, AS_OF).grant == []


def test_late_payment_on_the_grant_day_does_not_end_the_reward():
    granted = AS_OF - timedelta(days=10)
    term = inc.Rule(1, inc.PAYMENT_TERM, streak_length=3)
    rewards = [inc.Reward(11, 1, granted)]
    same_day = [inc.Payment(5, granted, 4)]
    decision = inc.decide_rewards(7, same_day, [term], rewards, {}, AS_OF)
    assert decision.schedule_revoke == {}
    assert decision.revoke == []
    day_after = [inc.Payment(5, granted + timedelta(days=1), 4)]
    decision = inc.decide_rewards(7, day_after, [term], rewards, {}, AS_OF)
    assert decision.schedule_revoke == {11: date(2026, 4, 1)}


def test_term_revocation_follows_the_rules_renewal_period():
    granted = AS_OF - timedelta(days=30)
    late = [pay(5, 5, days_late=10)]
    for renewal, ends in (
        (inc.QUARTER, date(2026, 4, 1)),
        (inc.YEAR, date(2027, 1, 1)),
        (inc.MONTH, date(2026, 4, 1)),
    ):
        rule = inc.Rule(1, inc.PAYMENT_TERM, streak_length=3, renewal=renewal)
        rewards = [inc.Reward(11, 1, granted)]
        decision = inc.decide_rewards(7, late, [rule], rewards, {}, AS_OF)
        assert decision.schedule_revoke == {11: ends}, renewal
    on_month = date(2026, 5, 20)
    rule = inc.Rule(1, inc.PAYMENT_TERM, streak_length=3, renewal=inc.QUARTER)
    decision = inc.decide_rewards(
        7, late, [rule], [inc.Reward(11, 1, granted)], {}, on_month
    )
    assert decision.schedule_revoke == {11: date(2026, 7, 1)}
