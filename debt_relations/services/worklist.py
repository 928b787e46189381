"""The collector's worklist: which reasons a row shows, and in what order.

A customer needs a person today for one or more reasons (a call due, an action
waiting for review, a broken promise ...). The worklist lists each customer
once with every reason, in the fixed order of :data:`REASON_CODES`, and orders
the customers by :func:`priority`: what is overdue, how long, weighted by the
relationship tier (a key account gets a person before a letter).

``debt.worklist`` computes the same in SQL (its view); a test compares both
on a known set of customers. Pure Python: nothing here imports Odoo.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

REASON_CODES = (
    "call",
    "review",
    "plan_at_risk",
    "plan_broken",
    "promise_due",
    "promise_broken",
    "dispute_late",
    "payment_claim",
    "portal_request",
    "reply",
    "handoff",
    "mail_failed",
)
"""Every reason a customer is on the worklist, in the order a row lists them."""

RECENT_DAYS = 30
"""A broken agreement or a customer's reply older than this is no longer news:
the ladder's next reminder has dealt with it (it acknowledges a broken
agreement) or a person has long seen it."""

PRIORITY_DIGITS = 2
"""The priority is rounded to two decimals (in SQL as here)."""


@dataclass(frozen=True)
class Priority:
    """How a row's priority is made: amount x days x weight."""

    overdue: float
    days: int
    weight: float
    value: float


def ordered_codes(codes):
    """``codes`` (any iterable, duplicates allowed) in the worklist's order,
    each once; an unknown code is refused.

    >>> ordered_codes(["reply", "call", "reply"])
    ('call', 'reply')
    """
    found = set(codes)
    unknown = found - set(REASON_CODES)
    if unknown:
        raise ValueError(f"unknown worklist reasons: {sorted(unknown)}")
    return tuple(code for code in REASON_CODES if code in found)


def reason_codes_text(codes):
    """The ``reason_codes`` column: the codes in order, space-separated."""
    return " ".join(ordered_codes(codes))


def split_codes(text):
    """The codes of a ``reason_codes`` column value, in order."""
    return ordered_codes((text or "").split())


def priority(overdue, days, weight=1.0):
    """The row's priority: overdue amount (company currency) x days overdue
    x the tier's weight (1 without a tier), nothing negative counted.

    The SQL of ``debt.worklist`` computes
    ``ROUND(GREATEST(overdue, 0) * GREATEST(days, 0) * COALESCE(weight, 1), 2)``
    in ``numeric``: the same value, rounded half away from zero.
    """
    overdue = max(Decimal(str(overdue or 0)), Decimal(0))
    days = max(int(days or 0), 0)
    weight = Decimal(str(1.0 if weight is None else weight))
    value = (overdue * days * weight).quantize(
        Decimal(1).scaleb(-PRIORITY_DIGITS), rounding=ROUND_HALF_UP
    )
    return Priority(
        overdue=float(overdue), days=days, weight=float(weight), value=float(value)
    )
