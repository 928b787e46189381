"""What a customer may do from the collections portal, and what it shows.

The portal's decisions, kept apart from the web pages: the status of each
invoice on the statement, what a customer may promise or claim given the
company's limits, whether a plan they ask for may be signed online, and how
many actions a customer may post in an hour. Each refusal is a code the
controller turns into a message in the customer's language.

Pure Python: facts in, decisions out. Nothing here imports Odoo.
"""

from dataclasses import dataclass
from datetime import timedelta

from . import eligibility, schedule
from .money import is_below, to_units

# Statement statuses of an open invoice, as the customer reads them.
DUE = "due"
OVERDUE = "overdue"
IN_PLAN = "in_plan"
PROMISED = "promised"
DISPUTED = "disputed"
CHECKING = "checking"
"""The customer said it is paid: accounting is looking for the payment."""

STATUSES = [
    (DUE, "Due"),
    (OVERDUE, "Overdue"),
    (IN_PLAN, "In a payment plan"),
    (PROMISED, "Promised"),
    (DISPUTED, "Disputed"),
    (CHECKING, "Payment being checked"),
]

_HOLD_STATUSES = {
    eligibility.DISPUTED: DISPUTED,
    eligibility.PAYMENT_PLAN: IN_PLAN,
    eligibility.PROMISED: PROMISED,
    eligibility.PAYMENT_CLAIMED: CHECKING,
}

# Why a value posted from the portal is refused.
NOT_ALLOWED = "not_allowed"
NO_INVOICE = "no_invoice"
DATE_MISSING = "date_missing"
DATE_PAST = "date_past"
DATE_TOO_FAR = "date_too_far"
DATE_FUTURE = "date_future"
AMOUNT_NOT_POSITIVE = "amount_not_positive"
AMOUNT_TOO_HIGH = "amount_too_high"
RATE_LIMITED = "rate_limited"
PLAN_TOO_LONG = "plan_too_long"
PLAN_INSTALMENT_TOO_SMALL = "plan_instalment_too_small"
PAUSE_DAYS = "pause_days"

ACTIONS = ("pay", "promise", "dispute", "paid", "plan", "contact")
"""What the portal can offer; each company chooses (res.company settings)."""

HARDSHIPS = ("cash_flow", "illness", "disaster", "other")
"""Why a customer asks for a plan."""

MAX_PAUSE_DAYS = 60


@dataclass(frozen=True)
class Limits:
    """The company's portal settings."""

    promise_days: int = 30
    plan_months: int = 12
    plan_min_amount: float = 50.0
    down_payment_percent: float = 10.0
    paid_hold_days: int = 7
    rate_limit: int = 10
    link_days: int = 180
    confirm_hours: int = 48
    resign_months: int = 6
    """Months after a broken plan or promise during which a new one is asked
    for, not agreed online."""
    stall_days: int = 90
    """Days after a broken promise or a payment claimed and not found during
    which a new promise or claim does not hold the chase by itself."""


# Who is on the statement: the visitor of a reminder's link, or a logged-in
# portal user of the customer.
LINK = "link"
LOGIN = "login"

# How an action may be done: at once, or only once confirmed from the new
# address (a change of the billing email made with the link alone).
NOW = "now"
CONFIRM = "confirm"

CONTACT_EMAIL = "contact_email"
"""Changing the billing email (``contact`` with an address)."""

# What a link is, as its key says.
VALID = "valid"
EXPIRED = "expired"
REVOKED = "revoked"

FRESH_LINKS_PER_HOUR = 3
"""Fresh links one customer's billing address is sent in an hour, at most."""


def may(action, via, offered):
    """How ``action`` may be done on the statement reached ``via`` a link or
    a login, given the actions the company ``offered``: ``NOW``, ``CONFIRM``
    or ``None`` (not at all).

    A link is forwarded (to an accountant, a colleague, by mistake): whoever
    holds it may see, pay and tell what is going on, but moves the reminders
    to another mailbox only once the new address confirms. A logged-in user
    of the customer changes it at once.
    """
    if action == CONTACT_EMAIL:
        if "contact" not in offered:
            return None
        return NOW if via == LOGIN else CONFIRM
    if action not in offered:
        return None
    return NOW


# How the portal agrees a plan or a promise: signed online at once, or asked
# for, a person deciding.
SIGN = "sign"
ASK = "ask"

RESIGN_REFUSED = "resign_refused"
"""A plan or promise posted to be agreed online where only asking is offered."""


def agreement_mode(broken_on, today, limits):
    """``SIGN`` when the customer may agree a plan or a promise online,
    ``ASK`` when it broke one (``broken_on``, the last day a plan or a
    promise of it broke) within the company's ``resign_months``: a person
    then decides on the new one."""
    if broken_on is None or limits.resign_months < 1:
        return SIGN
    if today < schedule.add_months(broken_on, limits.resign_months):
        return ASK
    return SIGN


def holds_chase(stalled_on, today, limits):
    """Whether a promise or an "already paid" claim posted today holds the
    chase by itself: not within ``stall_days`` after a promise broke or a
    claimed payment was not found (``stalled_on``, the last such day), so
    that the chase cannot be held off forever; the collector still reads
    it."""
    if stalled_on is None or limits.stall_days < 1:
        return True
    return today > stalled_on + timedelta(days=limits.stall_days)


def link_state(sent_on, today, link_days):
    """``VALID`` while a link was carried by a message within ``link_days``
    (counting the day it was sent), else ``EXPIRED``; a link never recorded as
    sent is expired."""
    if sent_on is None or link_days < 1:
        return EXPIRED
    if today > sent_on + timedelta(days=link_days):
        return EXPIRED
    return VALID


def confirmation_expires(asked_at, confirm_hours):
    """When a confirmation asked at ``asked_at`` may no longer be given."""
    return asked_at + timedelta(hours=max(confirm_hours, 0))


def confirmation_open(expires_at, now):
    """Whether a confirmation that expires at ``expires_at`` may be given."""
    return expires_at is not None and now <= expires_at


def invoice_status(hold_reason, date_due, today, fully_disputed=False):
    """The status the statement shows for an open invoice.

    :param bool fully_disputed: an open dispute holds all it owes (a partial
        dispute leaves the rest due or overdue: ``eligibility.fully_disputed``)
    """
    if fully_disputed:
        return DISPUTED
    status = _HOLD_STATUSES.get(hold_reason)
    if status:
        return status
    if date_due is not None and date_due < today:
        return OVERDUE
    return DUE


def days_overdue(date_due, today):
    """Days past due, 0 when not yet due."""
    if date_due is None:
        return 0
    return max((today - date_due).days, 0)


def rate_limited(recent_count, limit):
    """Whether one more action would exceed ``limit`` actions in the window."""
    return recent_count >= max(limit, 0)


def check_promise_date(day, today, limits):
    """Why a promise to pay by ``day`` is refused, or ``None``."""
    if day is None:
        return DATE_MISSING
    if day < today:
        return DATE_PAST
    if day > today + timedelta(days=limits.promise_days):
        return DATE_TOO_FAR
    return None


def check_amount(amount, owed, rounding):
    """Why ``amount`` (of what is ``owed``) is refused, or ``None``."""
    if amount is None or to_units(amount, rounding) <= 0:
        return AMOUNT_NOT_POSITIVE
    if is_below(owed, amount, rounding):
        return AMOUNT_TOO_HIGH
    return None


def check_paid_claim(day, amount, owed, today, rounding):
    """Why an "I have already paid" claim is refused, or ``None``: the payment
    was made by today, of a positive amount not above what is owed."""
    if day is None:
        return DATE_MISSING
    if day > today:
        return DATE_FUTURE
    return check_amount(amount, owed, rounding)


def claim_hold_until(day, limits):
    """The last day invoices claimed paid on ``day`` are held."""
    return day + timedelta(days=limits.paid_hold_days)


def check_pause(days):
    """Why a pause of ``days`` is refused, or ``None``."""
    if days is None or days < 1 or days > MAX_PAUSE_DAYS:
        return PAUSE_DAYS
    return None


@dataclass(frozen=True)
class PlanPreview:
    """The schedule a plan request would make, and whether it may be signed."""

    lines: tuple
    """((date_due, amount), ...) the instalments, down payment first."""
    problems: tuple
    """Why it is outside the limits (codes); empty: within them."""

    @property
    def within_limits(self):
        return not self.problems


def plan_preview(total, monthly, first_date, today, limits, rounding):
    """The monthly schedule of ``total`` at ``monthly`` a month from
    ``first_date``, with a down payment of the limits' share, and what keeps
    it from being signed online.

    :raises schedule.ScheduleError: when no schedule can be made at all
        (nothing owed, a non-positive instalment)
    """
    if first_date is None:
        raise schedule.ScheduleError(DATE_MISSING)
    if first_date < today:
        raise schedule.ScheduleError(DATE_PAST)
    if first_date > today + timedelta(days=limits.promise_days):
        raise schedule.ScheduleError(DATE_TOO_FAR)
    if monthly is None or to_units(monthly, rounding) <= 0:
        raise schedule.ScheduleError(AMOUNT_NOT_POSITIVE)
    if not is_below(monthly, total, rounding):
        raise schedule.ScheduleError(AMOUNT_TOO_HIGH)
    down = _down_payment(total, monthly, limits, rounding)
    lines = schedule.build_schedule(
        total,
        rounding,
        first_date,
        schedule.MONTHLY,
        amount=monthly,
        down_payment=down,
    )
    problems = []
    last = lines[-1][0]
    if schedule.add_months(first_date, limits.plan_months) < last:
        problems.append(PLAN_TOO_LONG)
    if is_below(monthly, limits.plan_min_amount, rounding):
        problems.append(PLAN_INSTALMENT_TOO_SMALL)
    return PlanPreview(lines=tuple(lines), problems=tuple(problems))


def _down_payment(total, monthly, limits, rounding):
    """The down payment: the limits' share of ``total``, at least one
    instalment (the first payment is then the larger of the two); none when
    the share is nil."""
    share = total * max(limits.down_payment_percent, 0.0) / 100.0
    if to_units(share, rounding) <= 0:
        return 0.0
    down = max(share, monthly)
    if not is_below(down, total, rounding):
        return 0.0
    return down
