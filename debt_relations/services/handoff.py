"""Handing a file over: mediation first, then an agency or a lawyer.

The articles this product follows insist on seeking professional mediation
before an agency or a lawyer: a customer's file goes to an agency or a law
firm only after a mediation that ended without agreement, unless a manager
decides otherwise and says why. A hand-off closes as settled once nothing is
left to pay on the invoices it holds.

Pure Python: facts in, decisions out. Nothing here imports Odoo.
"""

from dataclasses import dataclass

from .money import is_below

MEDIATION = "mediation"
AGENCY = "agency"
LEGAL = "legal"

PROVIDER_OF_KIND = {MEDIATION: "mediator", AGENCY: "agency", LEGAL: "law_firm"}
"""The kind of provider (``res.partner.debt_handoff_provider``) of each kind
of hand-off."""

RETURNED = "returned"
WRITTEN_OFF = "written_off"
NO_AGREEMENT = "no_agreement"

OPEN_STATES = ("sent", "accepted")
"""States in which the provider holds the file: the run leaves its invoices."""
CLOSED_STATES = ("settled", RETURNED, WRITTEN_OFF)

# Why a kind of hand-off is refused (the models translate them).
MEDIATION_FIRST = "mediation_first"
"""An agency or legal hand-off without a mediation that failed, by a user who
may not override the rule."""
REASON_REQUIRED = "reason_required"
"""A manager overrides the rule without saying why."""


@dataclass(frozen=True)
class PastHandoff:
    """A hand-off of the same customer, as the rule needs it."""

    kind: str
    state: str
    outcome: str | None = None


def mediation_failed(past):
    """Whether a mediation of the customer ended without agreement (returned
    or written off, with the outcome "no agreement").

    :param past: :class:`PastHandoff` of the customer's other hand-offs
    """
    return any(
        handoff.kind == MEDIATION
        and handoff.state in (RETURNED, WRITTEN_OFF)
        and handoff.outcome == NO_AGREEMENT
        for handoff in past
    )


def kind_refusal(kind, past, is_manager, override_reason):
    """Why a hand-off of ``kind`` may not be made, or ``None`` when it may.

    Mediation always may. An agency or legal hand-off may after a mediation
    that failed; otherwise only a manager may, giving a reason (the
    override, logged by the model).

    :param past: :class:`PastHandoff` of the customer's other hand-offs
    :param bool is_manager: the user may override the rule
    :param override_reason: the reason given, if any
    """
    if kind == MEDIATION or mediation_failed(past):
        return None
    if not is_manager:
        return MEDIATION_FIRST
    if not (override_reason or "").strip():
        return REASON_REQUIRED
    return None


def needs_override(kind, past):
    """Whether a hand-off of ``kind`` goes against the mediation-first rule."""
    return kind != MEDIATION and not mediation_failed(past)


def first_kind(past):
    """The kind a new hand-off of the customer is prepared with: mediation,
    or an agency once a mediation failed."""
    return AGENCY if mediation_failed(past) else MEDIATION


def is_settled(residuals, rounding):
    """Whether nothing is left to pay on the invoices (their open amounts),
    to the currency's rounding."""
    return all(not is_below(0.0, residual, rounding) for residual in residuals)


def recovered(payments, sent_on):
    """What was paid on the invoices since the hand-off was sent.

    :param payments: ``(date, amount)`` of the payments matched with the
        invoices (a reconciliation counts from the later of the two entries'
        dates)
    :param sent_on: the day the hand-off was sent
    """
    if sent_on is None:
        return 0.0
    return sum(amount for day, amount in payments if day >= sent_on)
