"""Thanking and rewarding customers who pay on time.

Rules (each one a promise to the customer):

* Thank-you: a customer who settles an invoice on time, or clears an overdue
  balance, is thanked; never more than once per ``interval_days``.
* Streak: the invoices paid on time (within a tolerance) since the last one
  paid late. A rule grants its reward after ``streak_length`` of them.
* Payment-term rewards last while the streak lasts: an invoice paid late past
  the tolerance after the grant schedules the revocation on the rule's next
  renewal date, never sooner and never retroactively.
* Recognition ends with the streak, at once (nothing to renew).
* A one-off credit is never taken back; another one needs a new streak.

Pure Python: facts in, decisions out. Nothing here imports Odoo.
"""

from dataclasses import dataclass, field
from datetime import date

THANKS = "thanks"
PAYMENT_TERM = "payment_term"
CREDIT = "credit"
RECOGNITION = "recognition"
REWARD_KINDS = (PAYMENT_TERM, CREDIT, RECOGNITION)

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"


@dataclass(frozen=True)
class Payment:
    """One invoice fully paid: when (last reconciliation) and how late."""

    move_id: int
    paid_date: date
    days_late: int
    """Days between the due date and the payment; 0 or less: on time."""


@dataclass(frozen=True)
class Rule:
    """An incentive rule, as the decision needs it."""

    rule_id: int
    kind: str
    streak_length: int = 0
    tolerance_days: int = 0
    renewal: str = MONTH


@dataclass(frozen=True)
class Reward:
    """A reward currently granted to the customer."""

    reward_id: int
    rule_id: int
    date: date
    revoke_date: date | None = None


@dataclass
class Decision:
    """What the run does with one customer's rewards."""

    partner_id: int
    grant: list = field(default_factory=list)
    """Rule ids whose reward is granted now."""
    schedule_revoke: dict = field(default_factory=dict)
    """Reward id -> renewal date it ends on (announced now)."""
    revoke: list = field(default_factory=list)
    """Reward ids ending now."""


def _recent_first(payments):
    return sorted(payments, key=lambda p: (p.paid_date, p.move_id), reverse=True)


def streak(payments, tolerance_days=0, after=None):
    """Invoices paid on time in a row, from the most recent one backwards.

    :param list payments: :class:`Payment` of the customer, any order
    :param int tolerance_days: days late still counted as on time
    :param date after: only payments made after this day count (last grant)
    """
    count = 0
    for payment in _recent_first(payments):
        if payment.days_late > tolerance_days:
            break
        if after and payment.paid_date <= after:
            break
        count += 1
    return count


def last_late(payments, tolerance_days=0):
    """Date of the last payment late past ``tolerance_days``, or ``None``."""
    late = [p.paid_date for p in payments if p.days_late > tolerance_days]
    return max(late, default=None)


def next_renewal(as_of, period):
    """First day of the month, quarter or year after ``as_of``."""
    if period == YEAR:
        return date(as_of.year + 1, 1, 1)
    step = 3 if period == QUARTER else 1
    month = ((as_of.month - 1) // step + 1) * step + 1
    if month > 12:
        return date(as_of.year + 1, month - 12, 1)
    return date(as_of.year, month, 1)


def should_thank(
    payments,
    since,
    cleared_overdue,
    last_thanked,
    interval_days,
    as_of,
    new_on_time=False,
    profiled_before=True,
):
    """True when the customer is to be thanked on ``as_of``.

    :param list payments: :class:`Payment` of the customer
    :param date since: the day of the last run (see :func:`is_new_payment`)
    :param bool cleared_overdue: an overdue balance was cleared since then
    :param date last_thanked: the last thank-you, or ``None``
    :param int interval_days: at most one thank-you per this many days
    :param bool new_on_time: more invoices count as paid on time than at the
        previous refresh (a payment booked after the run that would have seen
        it, with an earlier date: bank statements imported late)
    :param bool profiled_before: the last run had the customer's figures; when
        it had none, it saw none of its payments
    """
    if last_thanked and (as_of - last_thanked).days < max(interval_days, 1):
        return False
    paid_on_time = any(
        is_new_payment(p, since, as_of, seen_on_since=profiled_before)
        and p.days_late <= 0
        for p in payments
    )
    return paid_on_time or new_on_time or cleared_overdue


def is_new_payment(payment, since, as_of, seen_on_since=True):
    """True when ``payment`` is new to the run of ``as_of``.

    The last run, on ``since``, saw the payments booked before it ran; dates
    are days, so a payment dated ``since`` may have been booked after it (an
    invoice issued and paid that day, say). Payments after ``since`` are new;
    those dated ``since`` are new unless that run saw them all
    (``seen_on_since``: it had the customer's figures, and the count of
    invoices paid on time has not grown since, which the caller checks).
    """
    if payment.paid_date == since:
        return not seen_on_since
    return since < payment.paid_date <= as_of


def decide_rewards(partner_id, payments, rules, rewards, last_grants, as_of):
    """Grant and revoke the rewards of one customer on ``as_of``.

    :param list payments: :class:`Payment` of the customer (recent ones suffice:
        a few more than the longest streak asked for)
    :param list rules: :class:`Rule` of the company (thank-you rules ignored)
    :param list rewards: :class:`Reward` currently granted to the customer
    :param dict last_grants: rule id -> date of the last reward it granted
    :rtype: Decision
    """
    decision = Decision(partner_id=partner_id)
    granted = {}
    for reward in rewards:
        granted.setdefault(reward.rule_id, []).append(reward)
    for rule in rules:
        if rule.kind not in REWARD_KINDS:
            continue
        active = granted.get(rule.rule_id, [])
        late = last_late(payments, rule.tolerance_days)
        for reward in active:
            if rule.kind == CREDIT:
                continue  # one-off: never taken back by the run
            if reward.revoke_date:
                if as_of >= reward.revoke_date:
                    decision.revoke.append(reward.reward_id)
            elif late and late > reward.date:
                if rule.kind == PAYMENT_TERM:
                    decision.schedule_revoke[reward.reward_id] = next_renewal(
                        as_of, rule.renewal
                    )
                else:
                    decision.revoke.append(reward.reward_id)
        if active and rule.kind != CREDIT:
            continue  # one at a time; a new one after it has ended
        if rule.streak_length <= 0:
            continue
        count = streak(payments, rule.tolerance_days, last_grants.get(rule.rule_id))
        if count >= rule.streak_length:
            decision.grant.append(rule.rule_id)
    return decision
