"""Credit assessment: the credit limit a relationship tier suggests, and when a
customer's limit deserves a second look.

Odoo's own credit limit (``res.partner.credit_limit``, its warnings on invoices
and sales orders) stays the limit in force: these functions only suggest one.
A person applies it.

A tier's rule is one of:

- :data:`NONE`: the tier suggests nothing;
- :data:`MONTHS`: a number of months of the customer's average monthly
  invoicing. The average is taken over the last :data:`WINDOW_MONTHS` months
  (taxed, in the company's currency, credit notes deducted: what the
  receivable and Odoo's credit limit count), divided by the months the
  customer has been invoiced in that window (a customer of three months is
  not averaged over twelve);
- :data:`FIXED`: a fixed amount.

The result is rounded down to the tier's step (a limit is never above what
the rule gives). Nothing, or zero, is no suggestion: Odoo reads a credit
limit of 0 as "no limit", the opposite of what a rule giving nothing means.

A customer's limit is reviewed when it drops a tier (its new tier comes later
in the tiers' order, sequence then id, or it meets no tier any more) or when
it breaks a payment plan or a promise to pay.

Pure Python: nothing here imports Odoo.
"""

import math
from dataclasses import dataclass

from . import money
from .profile import tenure_months

NONE = "none"
MONTHS = "months"
FIXED = "fixed"

WINDOW_MONTHS = 12
"""The months over which the average monthly invoicing is taken."""

DROPPED = "dropped"
"""Review reason: the customer dropped a tier."""
BROKEN = "broken"
"""Review reason: the customer broke a payment plan or a promise to pay."""


@dataclass(frozen=True)
class Rule:
    """A tier's credit limit rule."""

    kind: str = NONE
    months: float = 0.0
    """:data:`MONTHS`: months of average monthly invoicing."""
    amount: float = 0.0
    """:data:`FIXED`: the limit."""
    step: float = 0.0
    """Round the limit down to a whole number of this; 0: the currency's rounding."""


def months_invoiced(first_invoice, as_of, window=WINDOW_MONTHS):
    """The months of the window the customer has been invoiced in: from its
    first invoice (a month begun counts), at least 1, at most ``window``."""
    if not first_invoice:
        return window
    return max(1, min(window, tenure_months(first_invoice, as_of) + 1))


def average_monthly(invoiced, first_invoice, as_of, window=WINDOW_MONTHS):
    """Average monthly invoicing: ``invoiced`` over the last ``window`` months,
    divided by :func:`months_invoiced`. Never below 0 (credit notes above the
    invoices)."""
    return max(invoiced, 0.0) / months_invoiced(first_invoice, as_of, window)


def round_down(amount, step, rounding):
    """``amount`` rounded down to a whole number of ``step`` (or of the
    currency's ``rounding`` when ``step`` is 0), in the currency's rounding."""
    step = step if step and step > 0 else rounding
    # The float error of the division must not lose a whole step (3 x 0.1).
    steps = math.floor(amount / step + 1e-9)
    return money.from_units(money.to_units(steps * step, rounding), rounding)


def suggest(rule, average, rounding):
    """The credit limit ``rule`` suggests for a customer invoicing ``average``
    a month, or None when it suggests nothing.

    :param Rule rule: the tier's rule
    :param float average: :func:`average_monthly`
    :param float rounding: the currency's rounding (0.01)
    """
    if rule.kind == MONTHS:
        amount = max(average, 0.0) * max(rule.months, 0.0)
    elif rule.kind == FIXED:
        amount = max(rule.amount, 0.0)
    else:
        return None
    limit = round_down(amount, rule.step, rounding)
    if money.to_units(limit, rounding) <= 0:
        return None
    return limit


def tier_dropped(old_tier, new_tier, ranks):
    """True when a customer moved from ``old_tier`` to a later tier, or to
    none at all.

    :param old_tier: the tier id before (None: it had none)
    :param new_tier: the tier id now (None: it meets none)
    :param dict ranks: tier id -> its order key, ``(sequence, id)``, of the
        company's active tiers; a tier not in it (archived since) is not
        compared: the move is no drop
    """
    if old_tier is None or old_tier == new_tier or old_tier not in ranks:
        return False
    if new_tier is None:
        return True
    if new_tier not in ranks:
        return False
    return ranks[new_tier] > ranks[old_tier]


def review_reason(old_tier, new_tier, ranks, broken=False):
    """Why the customer's credit limit needs a review: :data:`BROKEN` (an
    agreement broken), :data:`DROPPED` (a tier dropped), or None."""
    if broken:
        return BROKEN
    if tier_dropped(old_tier, new_tier, ranks):
        return DROPPED
    return None
