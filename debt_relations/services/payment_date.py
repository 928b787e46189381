"""When a customer will likely pay an open invoice.

The guess starts from how late the customer paid its past invoices: the
weighted median of their lateness (days between due date and payment), each
payment weighing less as it gets older (half its weight every
``half_life_days``), among invoices of the same amount band when there are
enough of them. An invoice already late is only compared with the payments
that were at least as late (its customer evidently did not pay it early): the
guess is never a day already gone by.

With fewer than ``min_samples`` payments of its own, the customer is guessed
from the company's customers of the same relationship tier, and the
expectation says so (``basis``); when neither has that many, the thin history
is used (its own first). With no history at all, the due date (or today, when
it has passed) is the guess.

What is known now overrides history: a promise's date, the last date of the
payment plan's instalments that cover the invoice (:func:`plan_dates`), a
dispute (no date until it is settled: its target date plus the customer's
usual lateness, when it has one; the target date is the day the dispute was
opened plus the company's "Dispute Answered Within" days, and a company that
sets no target expects no date for a disputed invoice), a hand-off sent to or
accepted by a mediator, an agency or a lawyer (no date: the provider collects).
A dispute holds the whole invoice's date, even when it names only part of it.
An open promise counts whether or not it holds the reminders; a promise past
its date (broken, or within its grace) no longer does.

Pure Python: facts in, expectation out. Nothing here imports Odoo.
"""

from dataclasses import dataclass
from datetime import timedelta

OWN = "own_history"
TIER = "tier_history"
NO_HISTORY = "no_history"
PROMISE = "promise"
PLAN = "plan"
DISPUTE = "dispute"
HANDOFF = "handoff"
BASES = (OWN, TIER, NO_HISTORY, PROMISE, PLAN, DISPUTE, HANDOFF)

DEFAULT_BANDS = (1000.0, 10000.0)
"""Upper bounds of the amount bands (company currency): below 1,000, below
10,000, and the rest."""


@dataclass(frozen=True)
class Payment:
    """A paid invoice: when it was due, when it was paid in full, how much."""

    due_date: object
    paid_date: object
    amount: float

    @property
    def lateness(self):
        return (self.paid_date - self.due_date).days


@dataclass(frozen=True)
class OpenInvoice:
    due_date: object
    amount: float
    promise_date: object = None
    plan_dates: tuple = ()
    dispute_target_date: object = None
    disputed: bool = False
    handed_off: bool = False


@dataclass(frozen=True)
class Expectation:
    date: object
    basis: str
    lateness: int | None = None
    """Days after the due date the history suggests (None: not from history)."""
    samples: int = 0


def amount_band(amount, bands=DEFAULT_BANDS):
    for index, bound in enumerate(bands):
        if amount < bound:
            return index
    return len(bands)


def weight(payment, as_of, half_life_days):
    age = max((as_of - payment.paid_date).days, 0)
    return 0.5 ** (age / half_life_days)


def weighted_median(pairs):
    """The lower weighted median of ``(value, weight)`` pairs (None if empty)."""
    pairs = sorted(pair for pair in pairs if pair[1] > 0)
    total = sum(w for _v, w in pairs)
    if not pairs:
        return None
    running = 0.0
    for value, w in pairs:
        running += w
        if running >= total / 2:
            return value
    return pairs[-1][0]  # pragma: no cover - float rounding only


@dataclass(frozen=True)
class History:
    """Past payments of one customer (or one tier), ready to be asked."""

    payments: tuple
    as_of: object
    half_life_days: float = 180.0
    bands: tuple = DEFAULT_BANDS

    def lateness(self, amount, at_least, min_samples):
        """(median lateness, samples) of the payments at least ``at_least``
        days late: in ``amount``'s band when it has ``min_samples`` of them,
        else over all bands; (None, 0) when none was that late."""
        late_enough = [p for p in self.payments if p.lateness >= at_least]
        band = amount_band(amount, self.bands)
        same_band = [
            p for p in late_enough if amount_band(p.amount, self.bands) == band
        ]
        chosen = same_band if len(same_band) >= min_samples else late_enough
        if not chosen:
            return None, 0
        pairs = [
            (p.lateness, weight(p, self.as_of, self.half_life_days)) for p in chosen
        ]
        return weighted_median(pairs), len(chosen)

    def has_enough(self, min_samples):
        return len(self.payments) >= min_samples


def expect(invoice, own, tier=None, as_of=None, min_samples=3):
    """The :class:`Expectation` for ``invoice`` (an :class:`OpenInvoice`) as of
    ``as_of``, from ``own`` (its customer's :class:`History`) and ``tier`` (the
    same tier's, or None)."""
    as_of = as_of or own.as_of
    if invoice.handed_off:
        return Expectation(None, HANDOFF)
    if invoice.promise_date and invoice.promise_date >= as_of:
        return Expectation(invoice.promise_date, PROMISE)
    future_instalments = [day for day in invoice.plan_dates if day >= as_of]
    if future_instalments:
        return Expectation(max(future_instalments), PLAN)
    # Negative before the due date: a payment made earlier than today would
    # have been made already.
    days_late_now = (as_of - invoice.due_date).days
    lateness, samples, basis = _from_history(
        invoice, own, tier, days_late_now, min_samples
    )
    if invoice.disputed:
        if not invoice.dispute_target_date:
            return Expectation(None, DISPUTE)
        start = max(invoice.dispute_target_date, as_of)
        return Expectation(start + timedelta(days=max(lateness or 0, 0)), DISPUTE)
    if lateness is None:
        return Expectation(max(invoice.due_date, as_of), NO_HISTORY)
    expected = invoice.due_date + timedelta(days=lateness)
    return Expectation(max(expected, as_of), basis, lateness, samples)


def plan_dates(invoices, instalments, rounding=0.01):
    """Which of a payment plan's unpaid instalments pay each of its invoices.

    The customer's payments go to the oldest instalment first, and Odoo's
    reconciliation to the invoice the payment names; the guess lines them up
    the same way: the open amounts of the invoices, oldest due date first,
    are paid by the instalments still to pay, earliest first. An invoice is
    covered by every instalment whose part of the schedule overlaps its own
    part of what is owed; what the schedule does not cover (it asked less)
    falls to the last instalment.

    :param invoices: ``(key, due date, open amount)`` of the plan's invoices
    :param instalments: ``(due date, amount left to pay)`` of its instalments
    :return: {key: tuple of instalment dates}
    """
    schedule = sorted(
        (day, amount) for day, amount in instalments if amount > rounding / 2
    )
    found = {}
    if not schedule:
        return found
    start = 0.0
    for key, _due, amount in sorted(invoices, key=lambda i: (i[1], i[0])):
        end = start + max(amount, 0.0)
        dates = []
        covered = 0.0
        for day, part in schedule:
            if covered < end - rounding / 2 and covered + part > start + rounding / 2:
                dates.append(day)
            covered += part
        if end > covered + rounding / 2 and schedule[-1][0] not in dates:
            dates.append(schedule[-1][0])
        found[key] = tuple(dates)
        start = end
    return found


def _from_history(invoice, own, tier, days_late_now, min_samples):
    """(lateness, samples, basis): from the customer's history when it has
    ``min_samples`` payments, else its tier's; else whichever of the two has
    any payment at all (a thin history beats none); (None, 0, NO_HISTORY)
    when neither has one."""
    sources = ((own, OWN), (tier, TIER))
    for needed in (min_samples, 1):
        for history, basis in sources:
            if history is None or not history.has_enough(needed):
                continue
            lateness, samples = history.lateness(
                invoice.amount, days_late_now, min_samples
            )
            if lateness is None:
                # Later than every payment it ever made: expected now.
                return days_late_now, samples, basis
            return lateness, samples, basis
    return None, 0, NO_HISTORY
