from datetime import date, timedelta

from services import incentives as inc

AS_OF = date(2026, 3, 2)


def pay(move_id, days_ago, days_late=0):
    return inc.Payment(move_id, AS_OF - timedelta(days=days_ago), days_late)


def test_streak_counts_back_to_the_last_late_payment():
    payments = [pay(1, 50, 10), pay(2, 40), pay(3, 30, -5), pay(4, 20)]
    assert inc.streak(payments) == 3
    assert inc.streak(payments + [pay(5, 10, 2)]) == 0
    assert inc.streak(payments + [pay(5, 10, 2)], tolerance_days=2) == 4
    assert inc.streak([]) == 0


def test_streak_after_last_grant():
    payments = [pay(1, 40), pay(2, 30), pay(3, 20), pay(4, 10)]
    assert inc.streak(payments, after=AS_OF - timedelta(days=25)) == 2


def test_last_late():
    payments = [pay(1, 40, 5), pay(2, 30, 1), pay(3, 20)]
    assert inc.last_late(payments) == AS_OF - timedelta(days=30)
    assert inc.last_late(payments, tolerance_days=3) == AS_OF - timedelta(days=40)
    assert inc.last_late([pay(3, 20)]) is None


def test_next_renewal():
    assert inc.next_renewal(date(2026, 3, 2), inc.MONTH) == date(2026, 4, 1)
    assert inc.next_renewal(date(2026, 12, 31), inc.MONTH) == date(2027, 1, 1)
    assert inc.next_renewal(date(2026, 3, 2), inc.QUARTER) == date(2026, 4, 1)
    assert inc.next_renewal(date(2026, 4, 1), inc.QUARTER) == date(2026, 7, 1)
    assert inc.next_renewal(date(2026, 11, 5), inc.QUARTER) == date(2027, 1, 1)
    assert inc.next_renewal(date(2026, 3, 2), inc.YEAR) == date(2027, 1, 1)


def test_thank_for_an_invoice_paid_on_time_since_last_run():
    since = AS_OF - timedelta(days=1)
    assert inc.should_thank([pay(1, 0)], since, False, None, 30, AS_OF)
    assert not inc.should_thank([pay(1, 0, 3)], since, False, None, 30, AS_OF)
    assert not inc.should_thank([pay(1, 5)], since, False, None, 30, AS_OF)


def test_thank_for_clearing_an_overdue_balance():
    since = AS_OF - timedelta(days=1)
    assert inc.should_thank([pay(1, 0, 20)], since, True, None, 30, AS_OF)


def test_thank_you_rate_limit():
    since = AS_OF - timedelta(days=1)
    recent = AS_OF - timedelta(days=10)
    assert not inc.should_thank([pay(1, 0)], since, False, recent, 30, AS_OF)
    assert inc.should_thank([pay(1, 0)], since, False, recent, 10, AS_OF)
    # Never twice the same day, even with an interval of 0.
    assert not inc.should_thank([pay(1, 0)], since, True, AS_OF, 0, AS_OF)


def test_payment_on_the_day_of_the_last_run():
    """The last run's day is new when that run cannot have seen the payment:
    it had no figures for the customer (an invoice issued and paid that day,
    after the run)."""
    since = AS_OF - timedelta(days=1)
    assert not inc.should_thank([pay(1, 1)], since, False, None, 30, AS_OF)
    assert inc.should_thank(
        [pay(1, 1)], since, False, None, 30, AS_OF, profiled_before=False
    )
    assert inc.should_thank([pay(1, 0)], since, False, None, 30, AS_OF)
    assert not inc.should_thank(
        [pay(1, 2)], since, False, None, 30, AS_OF, profiled_before=False
    )
    assert not inc.should_thank(
        [pay(1, 1, 2)], since, False, None, 30, AS_OF, profiled_before=False
    ), "Paid late: no thanks"


def test_is_new_payment_boundaries():
    since = AS_OF - timedelta(days=3)
    assert not inc.is_new_payment(pay(1, 3), since, AS_OF)
    assert inc.is_new_payment(pay(1, 3), since, AS_OF, seen_on_since=False)
    assert inc.is_new_payment(pay(1, 2), since, AS_OF)
    assert inc.is_new_payment(pay(1, 0), since, AS_OF)
    assert not inc.is_new_payment(pay(1, 4), since, AS_OF, seen_on_since=False)
    assert not inc.is_new_payment(pay(1, -1), since, AS_OF), "Not yet paid"


def test_thank_you_interval_boundary():
    since = AS_OF - timedelta(days=1)
    thanked = AS_OF - timedelta(days=10)
    assert inc.should_thank([pay(1, 0)], since, False, thanked, 10, AS_OF)
    assert not inc.should_thank([pay(1, 0)], since, False, thanked, 11, AS_OF)
    assert not inc.should_thank([pay(1, 0)], since, True, AS_OF, 1, AS_OF)
    assert inc.should_thank([], since, False, None, 30, AS_OF, new_on_time=True)
    assert not inc.should_thank([], since, False, None, 30, AS_OF)


TERM = inc.Rule(1, inc.PAYMENT_TERM, streak_length=3, tolerance_days=2)
CREDIT = inc.Rule(2, inc.CREDIT, streak_length=4)
BADGE = inc.Rule(3, inc.RECOGNITION, streak_length=2)
THANKS = inc.Rule(4, inc.THANKS)
RULES = [TERM, CREDIT, BADGE, THANKS]


def test_streak_grants_each_kind():
    payments = [pay(1, 40), pay(2, 30, -3), pay(3, 20), pay(4, 10)]
    decision = inc.decide_rewards(7, payments, RULES, [], {}, AS_OF)
    assert decision.grant == [TERM.rule_id, CREDIT.rule_id, BADGE.rule_id]
    # Two days late is on time for TERM (tolerance 2), late for CREDIT.
    payments.append(pay(5, 5, 2))
    decision = inc.decide_rewards(7, payments, RULES, [], {}, AS_OF)
    assert decision.grant == [TERM.rule_id]
    assert not decision.revoke and not decision.schedule_revoke


def test_short_streak_grants_nothing():
    payments = [pay(1, 40), pay(2, 35), pay(3, 30, 9), pay(4, 20)]
    decision = inc.decide_rewards(7, payments, RULES, [], {}, AS_OF)
    assert decision.grant == []


def test_no_second_reward_while_one_is_granted():
    payments = [pay(n, 50 - n) for n in range(10)]
    rewards = [inc.Reward(11, TERM.rule_id, AS_OF - timedelta(days=20))]
    decision = inc.decide_rewards(7, payments, [TERM], rewards, {}, AS_OF)
    assert decision.grant == []


def test_credit_needs_a_new_streak_after_its_grant():
    payments = [pay(n, 50 - n) for n in range(10)]
    last = {CREDIT.rule_id: AS_OF - timedelta(days=45)}
    rewards = [inc.Reward(12, CREDIT.rule_id, AS_OF - timedelta(days=45))]
    decision = inc.decide_rewards(7, payments, [CREDIT], rewards, last, AS_OF)
    assert decision.grant == [CREDIT.rule_id]  # 4 paid on time since
    last = {CREDIT.rule_id: AS_OF - timedelta(days=43)}
    decision = inc.decide_rewards(7, payments, [CREDIT], rewards, last, AS_OF)
    assert decision.grant == []
    assert decision.revoke == []


def test_late_payment_schedules_term_revocation_on_renewal():
    granted = AS_OF - timedelta(days=30)
    rewards = [
        inc.Reward(11, TERM.rule_id, granted),
        inc.Reward(13, BADGE.rule_id, granted),
    ]
    payments = [pay(1, 40), pay(2, 35), pay(3, 33), pay(4, 1, 5)]
    decision = inc.decide_rewards(7, payments, [TERM, BADGE], rewards, {}, AS_OF)
    assert decision.schedule_revoke == {11: date(2026, 4, 1)}
    assert decision.revoke == [13], "Recognition ends at once"
    assert decision.grant == []


def test_late_within_tolerance_keeps_the_reward():
    rewards = [inc.Reward(11, TERM.rule_id, AS_OF - timedelta(days=30))]
    payments = [pay(1, 40), pay(4, 1, 2)]
    decision = inc.decide_rewards(7, payments, [TERM], rewards, {}, AS_OF)
    assert not decision.schedule_revoke and not decision.revoke


def test_late_payment_before_the_grant_does_not_revoke():
    rewards = [inc.Reward(11, TERM.rule_id, AS_OF - timedelta(days=30))]
    payments = [pay(1, 40, 9), pay(2, 35), pay(3, 33), pay(4, 31)]
    decision = inc.decide_rewards(7, payments, [TERM], rewards, {}, AS_OF)
    assert not decision.schedule_revoke and not decision.revoke


def test_scheduled_revocation_happens_on_its_date():
    rewards = [
        inc.Reward(11, TERM.rule_id, date(2026, 1, 5), revoke_date=date(2026, 4, 1))
    ]
    payments = [pay(4, 1, 5)]
    before = inc.decide_rewards(7, payments, [TERM], rewards, {}, date(2026, 3, 31))
    assert before.revoke == [] and before.schedule_revoke == {}
    on = inc.decide_rewards(7, payments, [TERM], rewards, {}, date(2026, 4, 1))
    assert on.revoke == [11]
