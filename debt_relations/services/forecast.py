"""What happens next to a customer and its invoices, if nothing changes.

The collector asks two questions the run does not answer by itself: *why* is
this open invoice not chased today, and *what comes next*, on which day, unless
it is paid. Both answers come from the ladder's own decision
(:func:`.escalation.decide_partner`), taken again on the days ahead with the
same facts: the next step is the first day a contact is decided, so it waits
until the next rung's offset and its minimum gap are both reached, exactly as
the run would.

Only the days on which a decision can change are looked at (an offset reached,
a gap elapsed, a pause ended), so a forecast costs a handful of decisions.

Pure Python: facts in, forecast out. Nothing here imports Odoo.
"""

import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta

from . import eligibility, escalation

# Why an open invoice is not chased today, besides the run's skip reasons
# (services.eligibility). The models translate them.
NOT_DUE_YET = "not_due_yet"
"""Not overdue, and no rung before its due date is reached yet."""
WAITING = "waiting"
"""Overdue, but its next rung (offset or minimum gap) is not reached yet."""
LADDER_END = "ladder_end"
"""Every rung of the ladder reached: nothing more is sent about it."""

STOPPING_REASONS = tuple(
    reason
    for reason in eligibility.PARTNER_REASONS
    if reason
    not in (
        eligibility.PAUSED,
        eligibility.RECENTLY_CONTACTED,
        eligibility.CUSTOMER_REPLIED,
        eligibility.CONTACT_CAP,
        # A credit covers today's overdue amount, maybe not next month's.
        eligibility.CREDIT_ON_ACCOUNT,
    )
)
"""Customer reasons no passing day lifts (do not contact, no policy, no way
to reach the customer, an action pending, a hand-off): the forecast stops at
them (no way to reach it only when no rung of the ladder writes or calls)."""
CHANNEL_REASONS = (eligibility.NO_CHANNEL, eligibility.INVALID_EMAIL)


def _stops(reason, ladder):
    """Whether no later day can lift ``reason``: a customer no email reaches
    is still reached by a later rung that writes or calls."""
    if reason in CHANNEL_REASONS:
        return not any(
            rung.send_letter or rung.schedule_call or rung.other_channels
            for rung in ladder
        )
    return reason in STOPPING_REASONS


HORIZON_DAYS = 400
"""Days looked ahead; a step further away is not forecast."""
MAX_STEPS = 24
"""Contacts simulated at most, to find the first one listing each invoice."""


@dataclass(frozen=True)
class NextStep:
    """A contact the ladder will make unless the money is paid."""

    date: object
    """The day the run decides it."""
    stage_id: int
    move_ids: tuple = ()
    """Invoices it lists."""
    requires_review: bool = False


@dataclass
class Forecast:
    """What is known of one customer's next steps."""

    next_step: NextStep | None = None
    """The customer's next contact; ``None``: nothing is due in the horizon."""
    stopped_by: str | None = None
    """A customer reason that stops every contact (do not contact, pending …)."""
    reasons: dict = field(default_factory=dict)
    """Move id -> why it is not chased today, for every open invoice not listed
    in today's contact."""
    invoice_steps: dict = field(default_factory=dict)
    """Move id -> the first :class:`NextStep` that lists it."""
    days_overdue: dict = field(default_factory=dict)
    """Move id -> days past its oldest unpaid due date (negative: not yet due)."""


def _change_days(ladder, partner, invoices, after):
    """Days after ``after`` on which a decision may differ from the day before."""
    days = set()
    for invoice in invoices:
        if invoice.date_due is None:
            continue
        days.add(invoice.date_due + timedelta(days=1))
        days.update(
            invoice.date_due + timedelta(days=rung.offset_days) for rung in ladder
        )
    if partner.last_contact:
        days.add(partner.last_contact + timedelta(days=1))
        days.update(
            partner.last_contact + timedelta(days=rung.min_gap_days) for rung in ladder
        )
    if partner.paused_until:
        days.add(partner.paused_until + timedelta(days=1))
    return sorted(day for day in days if day > after)


def _after_contact(decision, partner, invoices, day):
    """The facts as they stand once ``decision`` is sent on ``day``."""
    invoices = [
        dataclasses.replace(inv, stage_id=decision.move_stages[inv.move_id])
        if inv.move_id in decision.move_stages
        else inv
        for inv in invoices
    ]
    partner = dataclasses.replace(
        partner,
        last_contact=day,
        stage_id=decision.partner_stage_id or partner.stage_id,
        agreement_broken=False,
    )
    return partner, invoices


def _today_reason(ladder, invoice, as_of, offsets):
    """Why an invoice the ladder may chase is not listed in today's contact."""
    current = escalation.rung_index(ladder, invoice.stage_id, offsets)
    if current is not None and current == len(ladder) - 1:
        return LADDER_END
    if escalation.days_overdue(invoice.date_due, as_of) <= 0:
        return NOT_DUE_YET
    return WAITING


def forecast_partner(
    ladder,
    partner,
    invoices,
    as_of,
    tolerance,
    rounding,
    offsets=None,
    horizon=HORIZON_DAYS,
):
    """Forecast one customer's next steps from ``as_of`` on.

    Same arguments as :func:`.escalation.decide_partner`.

    :param int horizon: days looked ahead
    :rtype: Forecast
    """

    def decide(day, partner_facts, invoice_facts):
        return escalation.decide_partner(
            ladder, partner_facts, invoice_facts, day, tolerance, rounding, offsets
        )

    result = Forecast(
        days_overdue={
            inv.move_id: escalation.days_overdue(inv.date_due, as_of)
            for inv in invoices
            if inv.date_due
        }
    )
    today = decide(as_of, partner, invoices)
    result.reasons.update(today.skipped)
    if _stops(today.reason, ladder):
        result.stopped_by = today.reason
        return result
    listed = set(today.move_ids) if today.stage_id else set()
    for invoice in invoices:
        if invoice.move_id not in result.reasons and invoice.move_id not in listed:
            result.reasons[invoice.move_id] = _today_reason(
                ladder, invoice, as_of, offsets
            )

    chaseable = {inv.move_id for inv in invoices} - {
        move_id
        for move_id, reason in today.skipped.items()
        if reason in eligibility.INVOICE_REASONS or reason in eligibility.HOLD_REASONS
    }
    end = as_of + timedelta(days=horizon)
    day, decision = as_of, today
    steps = 0
    while True:
        if decision.stage_id:
            step = NextStep(
                date=day,
                stage_id=decision.stage_id,
                move_ids=tuple(decision.move_ids),
                requires_review=decision.requires_review,
            )
            result.next_step = result.next_step or step
            for move_id in decision.move_ids:
                result.invoice_steps.setdefault(move_id, step)
            steps += 1
            if steps >= MAX_STEPS or chaseable <= set(result.invoice_steps):
                break
            partner, invoices = _after_contact(decision, partner, invoices, day)
        elif _stops(decision.reason, ladder):
            break
        upcoming = [d for d in _change_days(ladder, partner, invoices, day) if d <= end]
        if not upcoming:
            break
        day = upcoming[0]
        decision = decide(day, partner, invoices)
    return result
