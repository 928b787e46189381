"""Which invoices may be chased, and which customers may be contacted.

"Verify before chase": money that is paid, being paid, reversed, blocked, excluded
by hand or too small to matter is never reminded, and a customer who is paused
or asked not to be contacted is left alone. Each refusal has a reason code the
collection run counts and shows.

Pure Python: facts in, decisions out. Nothing here imports Odoo.
"""

from dataclasses import dataclass
from datetime import date

from .money import is_below

# Reason codes. The models translate them through SKIP_REASONS.
PAID = "paid"
IN_PAYMENT = "in_payment"
REVERSED = "reversed"
BLOCKED = "blocked"
EXCLUDED = "excluded"
BELOW_TOLERANCE = "below_tolerance"
PAUSED = "paused"
DO_NOT_CONTACT = "do_not_contact"
NO_POLICY = "no_policy"
NO_CHANNEL = "no_channel"
INVALID_EMAIL = "invalid_email"
RECENTLY_CONTACTED = "recently_contacted"
PENDING_ACTION = "pending_action"
CREDIT_ON_ACCOUNT = "credit_on_account"
"""The customer's unapplied credit (a credit note or a payment not yet matched
with its invoices) covers what is overdue: the money is there, accounting has
to match it, the customer is not chased."""
CUSTOMER_REPLIED = "customer_replied"
"""The customer answered a collection message by email: reminders wait the
company's number of days (an auto-reply pauses nothing)."""
CONTACT_CAP = "contact_cap"
"""The customer had as many collection contacts as the company allows in its
window of days: the reminder is decided again the next day."""
HANDED_OFF = "handed_off"
"""The invoice was handed over to a mediator, an agency or a lawyer (a
hand-off sent or accepted): the run leaves it to them. The customer's other
invoices are still reminded, on their own rungs."""
# Held by an agreement with the customer (see InvoiceFacts.hold_reason).
PAYMENT_PLAN = "payment_plan"
PROMISED = "promised"
DISPUTED = "disputed"
PAYMENT_CLAIMED = "payment_claimed"
"""The customer says it is paid (from the portal): held while accounting
looks for the payment."""
HOLD_REASONS = (HANDED_OFF, DISPUTED, PAYMENT_PLAN, PROMISED, PAYMENT_CLAIMED)
"""Hold reasons, strongest first: an invoice held twice shows the first."""

INVOICE_REASONS = (PAID, IN_PAYMENT, REVERSED, BLOCKED, EXCLUDED, BELOW_TOLERANCE)
PARTNER_REASONS = (
    PAUSED,
    DO_NOT_CONTACT,
    NO_POLICY,
    NO_CHANNEL,
    INVALID_EMAIL,
    RECENTLY_CONTACTED,
    PENDING_ACTION,
    CREDIT_ON_ACCOUNT,
    CUSTOMER_REPLIED,
    CONTACT_CAP,
)

# payment_state values of account.move that mean "nothing left to chase".
_STATE_REASONS = {
    "paid": PAID,
    "in_payment": IN_PAYMENT,
    "reversed": REVERSED,
    "blocked": BLOCKED,
    "invoicing_legacy": PAID,
}


@dataclass(frozen=True)
class InvoiceFacts:
    """What the run knows of one customer invoice."""

    move_id: int
    partner_id: int
    payment_state: str
    residual: float
    """Open amount in company currency, from the receivable lines."""
    date_due: date | None
    """Due date of the oldest unpaid instalment."""
    excluded: bool = False
    stage_id: int | None = None
    hold_reason: str | None = None
    """Set when an agreement (plan, promise, dispute) holds the chase."""
    disputed: float = 0.0
    """The part of ``residual`` an open dispute holds (company currency): the
    whole of it for a dispute of the whole invoice, less for a partial one.
    The rest stays chaseable (see :func:`chaseable_residual`)."""
    skip_reason: str | None = None
    """Why the previous run did not chase it, as recorded on the invoice."""


@dataclass(frozen=True)
class PartnerFacts:
    """What the run knows of one commercial partner."""

    partner_id: int
    paused_until: date | None = None
    do_not_contact: bool = False
    last_contact: date | None = None
    """Date of the last outbound contact."""
    stage_id: int | None = None
    pending_action: bool = False
    """An action waits for review or sending."""
    has_email: bool = True
    """The billing contact has an email address Odoo can send to."""
    email_invalid: bool = False
    """It has one, but not valid, or it failed for good when last used."""
    agreement_broken: bool = False
    """A payment plan or promise broke since the last outbound contact."""
    handed_off: bool = False
    """The customer's rung is a hand-off (mediation, agency) stage: it no
    longer sets the tone of reminders about the invoices not handed over
    (those held by a hand-off are skipped one by one, :data:`HANDED_OFF`),
    which are reminded on their own rungs."""
    unapplied_credit: float = 0.0
    """Credit on the customer's receivable not matched with any invoice yet
    (company currency)."""
    replied_until: date | None = None
    """The customer answered a collection message by email: no reminder
    until this day has passed."""
    cap_free_from: date | None = None
    """The contact cap is reached: the first day one more contact fits
    (``services.governor.cap_room``); ``None``: it fits today."""


def invoice_skip_reason(invoice, tolerance, rounding):
    """Why ``invoice`` must not be chased, or ``None`` when it may be.

    :param InvoiceFacts invoice: the invoice's facts
    :param float tolerance: amounts below this (company currency) are not chased
    :param float rounding: the company currency's rounding
    """
    reason = _STATE_REASONS.get(invoice.payment_state)
    if reason:
        return reason
    if invoice.excluded:
        return EXCLUDED
    if fully_disputed(invoice, rounding):
        # The strongest hold: a dispute of the whole invoice holds it all.
        return DISPUTED
    if invoice.hold_reason:
        return invoice.hold_reason
    if invoice.date_due is None or not is_below(0.0, invoice.residual, rounding):
        # Nothing left open, or a balance in the customer's favour.
        return BELOW_TOLERANCE
    if is_below(chaseable_residual(invoice, rounding), tolerance, rounding):
        # What the dispute leaves is too small to chase: the dispute is why.
        return DISPUTED if is_disputed(invoice, rounding) else BELOW_TOLERANCE
    return None


def undisputed_amount(residual, disputed, rounding):
    """What is left to ask of ``residual`` when ``disputed`` of it is
    disputed: never below zero (a payment may have left less open than the
    dispute names)."""
    if not is_below(0.0, disputed, rounding):
        return residual
    if not is_below(disputed, residual, rounding):
        return 0.0
    return residual - disputed


def disputed_share(residual, disputed, residual_currency):
    """A disputed amount named in the invoice's currency, as a part of
    ``residual`` (company currency): in the proportion it has to the
    invoice's open amount in its own currency (``residual_currency``), so no
    exchange rate is needed; all of ``residual`` when it names at least as
    much as is open."""
    if residual_currency <= 0 or disputed >= residual_currency:
        return residual
    return residual * disputed / residual_currency


def is_disputed(invoice, rounding):
    """Whether an open dispute holds some of ``invoice``."""
    return is_below(0.0, invoice.disputed, rounding)


def fully_disputed(invoice, rounding):
    """Whether an open dispute holds all that is open of ``invoice``: then it
    is held as a whole, as a dispute always held it."""
    return is_disputed(invoice, rounding) and not is_below(
        invoice.disputed, invoice.residual, rounding
    )


def chaseable_residual(invoice, rounding):
    """The part of ``invoice``'s open amount a reminder may ask for (company
    currency): its residual less what an open dispute holds, never below
    zero."""
    return undisputed_amount(invoice.residual, invoice.disputed, rounding)


def partner_skip_reason(partner, as_of):
    """Why ``partner`` must not be contacted at all on ``as_of``, or ``None``."""
    if partner.do_not_contact:
        return DO_NOT_CONTACT
    if partner.paused_until and partner.paused_until >= as_of:
        return PAUSED
    if partner.replied_until and partner.replied_until >= as_of:
        return CUSTOMER_REPLIED
    if partner.pending_action:
        return PENDING_ACTION
    return None


def credit_covers(partner, invoices, as_of, tolerance, rounding):
    """Whether the customer's unapplied credit covers what is overdue among
    ``invoices`` (within ``tolerance``): then nothing is really owed."""
    if not is_below(0.0, partner.unapplied_credit, rounding):
        return False
    overdue = sum(
        chaseable_residual(invoice, rounding)
        for invoice in invoices
        if invoice.date_due is not None and invoice.date_due < as_of
    )
    return not is_below(partner.unapplied_credit + tolerance, overdue, rounding)


def no_channel_reason(partner):
    """Why a customer no stage channel reaches is not contacted."""
    return INVALID_EMAIL if partner.email_invalid else NO_CHANNEL


SKIP_REASONS = [
    # (code, label): the models translate the labels (selection values).
    (PAID, "Paid"),
    (IN_PAYMENT, "In payment"),
    (REVERSED, "Reversed"),
    (BLOCKED, "Payment blocked"),
    (EXCLUDED, "Excluded by hand"),
    (BELOW_TOLERANCE, "Below tolerance"),
    (PAUSED, "Customer paused"),
    (DO_NOT_CONTACT, "Do not contact"),
    (NO_POLICY, "No collection policy"),
    (NO_CHANNEL, "No way to reach the customer"),
    (INVALID_EMAIL, "Email address invalid or failing"),
    (RECENTLY_CONTACTED, "Contacted recently"),
    (PENDING_ACTION, "Action already pending"),
    (CUSTOMER_REPLIED, "Customer replied: reminders paused"),
    (CONTACT_CAP, "Contact limit reached: decided again the next day"),
    (HANDED_OFF, "Handed over (mediation, agency or lawyer)"),
    (CREDIT_ON_ACCOUNT, "Credit on account covers it"),
    (PAYMENT_PLAN, "Under payment plan"),
    (PROMISED, "Promised to pay"),
    (DISPUTED, "Disputed"),
    (PAYMENT_CLAIMED, "Said to be paid: being checked"),
]
