"""The escalation ladder: which rung a customer is on and which comes next.

Rules (each one a promise to the customer):

* Friendly before due: a rung with a negative offset reminds before the due date.
  Once an invoice is overdue, rungs meant for "before due" no longer apply.
* Yellow card before red: an invoice climbs one rung per contact, and so does the
  customer. An invoice first seen long overdue starts at the first overdue rung.
* Never sooner than the target rung's ``min_gap_days`` after the previous
  outbound contact, and never twice on the same day.
* One message per customer per run, listing every open, overdue invoice.

The tone of a contact (the rung it is sent at) follows from these, in order:

1. Each invoice that may be reminded has its *candidate*: the rung after the
   one it reached, once that rung's offset is reached (:func:`next_rung`).
   Without any candidate there is no contact.
2. A *pre-due note* is a contact whose every candidate is a "before due" rung
   (negative offset). It lists only the invoices not yet due (due today or
   later) that have a candidate, and is sent at the highest of their
   candidates: overdue invoices wait for their own rung, they are not listed
   and do not make the note jump. The customer keeps its rung.
3. Any other contact is an *overdue reminder*. It lists every overdue invoice
   and every invoice with a candidate, and is sent at the highest of:
   the candidates, the highest rung a listed invoice already reached, and the
   customer's own rung (tone never falls back: a customer who had a firm
   reminder about invoice A never gets a friendly one listing A again because
   a new invoice B reached the friendly rung; it gets a firm one).
4. The ceiling: never more than one rung above the customer's own (the next
   rung after it whose offset the oldest overdue invoice has reached, skipping
   "before due" rungs for an overdue invoice), and no higher than the
   customer's own rung when the reminder acknowledges a broken plan or promise.
   The customer's own rung is the highest rung it was contacted at since it
   last settled everything (or, unknown, the highest rung its invoices
   reached), so between two consecutive overdue reminders the rung rises by
   at most one, and a listed invoice's rung never exceeds it. Only when the
   facts disagree (an invoice left above its customer's rung, e.g. set by
   hand) do 3 and 4 meet: the ceiling wins.
5. Listed invoices climb to their candidate, never above the contact's rung;
   the customer's rung becomes the contact's rung, never lower than before.
   A customer with nothing open any more starts again from the first rung.

Pure Python: facts in, decisions out. Nothing here imports Odoo.
"""

from dataclasses import dataclass, field

from . import eligibility


@dataclass(frozen=True)
class Rung:
    """One stage of a policy, as the decision needs it."""

    stage_id: int
    offset_days: int
    min_gap_days: int = 0
    requires_review: bool = False
    send_email: bool = True
    send_letter: bool = False
    schedule_call: bool = False
    other_channels: bool = False
    """The stage also uses a channel a bridge adds (e.g. SMS): whether it
    reaches the customer is checked when sending."""


@dataclass(frozen=True)
class Policy:
    """A customer's policy, as the decision needs it."""

    ladder: tuple = ()
    """The :class:`Rung` of the policy, in order."""
    tolerance: float = 0.0
    """Open amounts below it are not chased."""


NO_POLICY = Policy()


@dataclass
class Decision:
    """What the run does with one customer."""

    partner_id: int
    stage_id: int | None = None
    """The rung the customer is contacted at; ``None``: no contact."""
    requires_review: bool = False
    move_ids: list = field(default_factory=list)
    """Invoices listed in the reminder."""
    move_stages: dict = field(default_factory=dict)
    """Invoices that climb: move id -> new stage id."""
    skipped: dict = field(default_factory=dict)
    """Invoices not chased: move id -> reason code."""
    reason: str | None = None
    """Why the customer is not contacted, when a reason applies."""
    partner_stage_id: int | None = None
    """The customer's rung after the contact (never lower than before)."""
    agreement_broken: bool = False
    """The reminder acknowledges a broken payment plan or promise."""


def days_overdue(date_due, as_of):
    """Days past ``date_due`` on ``as_of``; negative before it is due."""
    return (as_of - date_due).days


def rung_index(ladder, stage_id, stage_offsets=None):
    """Position of ``stage_id`` on ``ladder``, or ``None`` when not on it.

    A stage from another ladder (the customer's policy changed) maps to the last
    rung whose offset does not exceed that stage's offset, so a customer never
    falls back to a friendlier rung nor jumps ahead because a policy changed.
    """
    if not stage_id:
        return None
    for index, rung in enumerate(ladder):
        if rung.stage_id == stage_id:
            return index
    offset = (stage_offsets or {}).get(stage_id)
    if offset is None:
        return None
    found = None
    for index, rung in enumerate(ladder):
        if rung.offset_days <= offset:
            found = index
    return found


def next_rung(ladder, current, overdue_days):
    """Index of the rung reached next by an invoice, or ``None`` if none is due.

    :param list ladder: the policy's rungs, in order
    :param current: index of the rung already reached, ``None`` for none
    :param int overdue_days: days past due as of the run (negative before due)
    """
    candidate = 0 if current is None else current + 1
    if overdue_days > 0:
        # Reminders meant for "before due" make no sense any more.
        while candidate < len(ladder) and ladder[candidate].offset_days < 0:
            candidate += 1
    if candidate >= len(ladder) or overdue_days < ladder[candidate].offset_days:
        return None
    return candidate


def _channel_available(rung, has_email):
    return (
        (rung.send_email and has_email)
        or rung.send_letter
        or rung.schedule_call
        or rung.other_channels
    )


def _remind_at_reached_rung(ladder, partner, eligible, climbing, current, ages):
    """After a broken plan or promise, overdue invoices are reminded again at
    the rung they had reached, even when their next rung is not due yet."""
    if not partner.agreement_broken:
        return
    for inv in eligible:
        reached = current[inv.move_id]
        if (
            inv.move_id not in climbing
            and reached is not None
            and ages[inv.move_id] > 0
            # A "before due" rung no longer applies to an overdue invoice.
            and ladder[reached].offset_days >= 0
        ):
            climbing[inv.move_id] = reached


def _partner_cap(ladder, partner, partner_current, oldest_age):
    """Highest rung the customer may be contacted at: one above its own, or its
    own when the reminder acknowledges a broken plan or promise."""
    if (
        partner.agreement_broken
        and partner_current is not None
        and ladder[partner_current].offset_days >= 0
    ):
        return partner_current
    cap = next_rung(ladder, partner_current, oldest_age)
    if cap is None:
        cap = len(ladder) - 1 if partner_current is None else partner_current
    return cap


def _no_contact_reason(ladder, partner, eligible, as_of, tolerance, rounding):
    """Why the customer is not contacted at all, whatever its invoices' rungs."""
    reason = eligibility.partner_skip_reason(partner, as_of)
    if reason:
        return reason
    if eligibility.credit_covers(partner, eligible, as_of, tolerance, rounding):
        return eligibility.CREDIT_ON_ACCOUNT
    if not ladder:
        return eligibility.NO_POLICY
    return None


def decide_partner(ladder, partner, invoices, as_of, tolerance, rounding, offsets=None):
    """Decide what to do with one customer on ``as_of``.

    :param list ladder: :class:`Rung` of the customer's policy, in order
    :param PartnerFacts partner: the customer's facts
    :param list invoices: :class:`~.eligibility.InvoiceFacts` of its open invoices
    :param date as_of: the day the decision is taken for
    :param float tolerance: open amounts below it are not chased
    :param float rounding: the company currency's rounding
    :param dict offsets: stage id -> offset, for stages of other ladders
    :rtype: Decision
    """
    decision = Decision(partner_id=partner.partner_id)
    eligible = []
    for invoice in invoices:
        reason = eligibility.invoice_skip_reason(invoice, tolerance, rounding)
        if reason:
            decision.skipped[invoice.move_id] = reason
        else:
            eligible.append(invoice)
    if not eligible:
        return decision

    def _skip_all(reason):
        decision.reason = reason
        decision.skipped.update({inv.move_id: reason for inv in eligible})
        return decision

    reason = _no_contact_reason(ladder, partner, eligible, as_of, tolerance, rounding)
    if reason:
        return _skip_all(reason)

    ages = {inv.move_id: days_overdue(inv.date_due, as_of) for inv in eligible}
    current = {
        inv.move_id: rung_index(ladder, inv.stage_id, offsets) for inv in eligible
    }
    climbing = {}
    for inv in eligible:
        candidate = next_rung(ladder, current[inv.move_id], ages[inv.move_id])
        if candidate is not None:
            climbing[inv.move_id] = candidate
    _remind_at_reached_rung(ladder, partner, eligible, climbing, current, ages)
    if not climbing:
        return decision  # nothing is due yet: no contact, nothing skipped

    # The customer climbs one rung at most: the rung after its own. A
    # customer whose file was handed over is reminded of its other invoices
    # on their own rungs, not at the hand-off's.
    own = rung_index(ladder, partner.stage_id, offsets)
    partner_current = None if partner.handed_off else own
    if partner_current is None:
        # Unknown for the customer: as high as its invoices went.
        partner_current = max(
            (index for index in current.values() if index is not None), default=None
        )
    cap = _partner_cap(ladder, partner, partner_current, max(ages.values()))
    target, listed = _contact_rung(ladder, climbing, current, ages, partner_current)
    target = min(target, cap)
    if ladder[target].offset_days < 0:
        # A note before due (also when the ceiling keeps a contact there).
        listed = [move_id for move_id in climbing if ages[move_id] <= 0]
        if not listed:
            return decision
    rung = ladder[target]

    if _recently_contacted(partner, rung, as_of):
        return _postpone(decision, climbing, eligibility.RECENTLY_CONTACTED)
    if not _channel_available(rung, partner.has_email):
        return _skip_all(eligibility.no_channel_reason(partner))
    if partner.cap_free_from and partner.cap_free_from > as_of:
        # The contact limit: postponed, not dropped (decided again later).
        return _postpone(decision, climbing, eligibility.CONTACT_CAP)

    decision.stage_id = rung.stage_id
    decision.requires_review = rung.requires_review
    decision.agreement_broken = partner.agreement_broken
    reached = target if partner_current is None else max(target, partner_current)
    if own is not None:
        # Never lower than before: a customer handed over stays at the
        # hand-off rung, above every invoice it handed over.
        reached = max(reached, own)
    decision.partner_stage_id = ladder[reached].stage_id
    decision.move_stages = _climbs(ladder, listed, climbing, current, target)
    decision.move_ids = sorted(listed)
    return decision


def _recently_contacted(partner, rung, as_of):
    """Whether the last contact is too recent for ``rung`` (or today)."""
    return bool(partner.last_contact) and (
        partner.last_contact >= as_of
        or days_overdue(partner.last_contact, as_of) < rung.min_gap_days
    )


def _postpone(decision, climbing, reason):
    """No contact today for ``reason``; the climbing invoices show it."""
    decision.skipped.update(dict.fromkeys(climbing, reason))
    decision.reason = reason
    return decision


def _climbs(ladder, listed, climbing, current, target):
    """Listed invoices climb to their candidate, never above the contact's rung.

    :returns: dict move id -> new stage id
    """
    stages = {}
    for move_id in listed:
        if move_id not in climbing:
            continue
        reached = min(climbing[move_id], target)
        if current[move_id] is None or reached > current[move_id]:
            stages[move_id] = ladder[reached].stage_id
    return stages


def _contact_rung(ladder, climbing, current, ages, partner_current):
    """The rung a contact is wanted at, before the ceiling, and what it lists.

    A pre-due note (every candidate a "before due" rung) lists the invoices
    not yet due that climb, at their highest candidate. An overdue reminder
    lists every overdue or climbing invoice, at the highest of their
    candidates, the rungs they already reached and the customer's own rung.

    :returns: (rung index, list of listed move ids)
    """
    wanted = max(climbing.values())
    if all(ladder[index].offset_days < 0 for index in climbing.values()):
        return wanted, [move_id for move_id in climbing if ages[move_id] <= 0]
    listed = [
        move_id for move_id in current if move_id in climbing or ages[move_id] > 0
    ]
    floors = [current[move_id] for move_id in listed if current[move_id] is not None]
    if partner_current is not None:
        floors.append(partner_current)
    return max([wanted, *floors]), listed


def decide_run(policies, partners, invoices, as_of, rounding, offsets=None):
    """Decide for every customer of a run.

    :param dict policies: partner id -> :class:`Policy` (its ladder and
        tolerance); a customer without one is not contacted
    :param dict partners: partner id -> :class:`~.eligibility.PartnerFacts`
    :param list invoices: every open :class:`~.eligibility.InvoiceFacts`
    :returns: list of :class:`Decision`, one per customer having invoices
    """
    by_partner = {}
    for invoice in invoices:
        by_partner.setdefault(invoice.partner_id, []).append(invoice)
    decisions = []
    for partner_id, partner_invoices in sorted(by_partner.items()):
        policy = policies.get(partner_id) or NO_POLICY
        decisions.append(
            decide_partner(
                list(policy.ladder),
                partners.get(partner_id) or eligibility.PartnerFacts(partner_id),
                partner_invoices,
                as_of,
                policy.tolerance,
                rounding,
                offsets,
            )
        )
    return decisions


def reverify(invoices, tolerance, rounding):
    """Split invoices of a prepared action into still chaseable and dropped.

    Used just before a prepared reminder is sent (e.g. after a review): money
    paid or disputed in the meantime is not reminded.

    :returns: (list of move ids still due, dict move id -> reason)
    """
    keep, dropped = [], {}
    for invoice in invoices:
        reason = eligibility.invoice_skip_reason(invoice, tolerance, rounding)
        if reason:
            dropped[invoice.move_id] = reason
        else:
            keep.append(invoice.move_id)
    return keep, dropped
