from datetime import date, timedelta

import pytest
from services import eligibility as el

AS_OF = date(2026, 3, 2)


def invoice(**values):
    base = {
        "move_id": 1,
        "partner_id": 7,
        "payment_state": "not_paid",
        "residual": 100.0,
        "date_due": date(2026, 2, 1),
    }
    return el.InvoiceFacts(**(base | values))


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("paid", el.PAID),
        ("in_payment", el.IN_PAYMENT),
        ("reversed", el.REVERSED),
        ("blocked", el.BLOCKED),
        ("not_paid", None),
        ("partial", None),
    ],
)
def test_payment_states(state, reason):
    assert el.invoice_skip_reason(invoice(payment_state=state), 1.0, 0.01) == reason


def test_excluded_and_held():
    assert el.invoice_skip_reason(invoice(excluded=True), 1.0, 0.01) == el.EXCLUDED
    held = invoice(hold_reason="disputed")
    assert el.invoice_skip_reason(held, 1.0, 0.01) == "disputed"


@pytest.mark.parametrize(
    ("residual", "reason"),
    [
        (0.99, el.BELOW_TOLERANCE),
        (0.995, None),  # rounds to 1.00: at the tolerance, chased
        (1.0, None),
        (0.0, el.BELOW_TOLERANCE),
        (-50.0, el.BELOW_TOLERANCE),
    ],
)
def test_tolerance_uses_currency_rounding(residual, reason):
    assert el.invoice_skip_reason(invoice(residual=residual), 1.0, 0.01) == reason


def test_no_open_instalment_is_not_chased():
    facts = invoice(date_due=None, residual=0.0)
    assert el.invoice_skip_reason(facts, 1.0, 0.01) == el.BELOW_TOLERANCE


def test_is_below_rounds_both_sides():
    assert not el.is_below(0.1 + 0.2, 0.3, 0.01)
    assert el.is_below(0.29, 0.3, 0.01)
    assert not el.is_below(10, 10, 1.0)


def test_partner_reasons():
    partner = el.PartnerFacts(1)
    assert el.partner_skip_reason(partner, AS_OF) is None
    dnc = el.PartnerFacts(1, do_not_contact=True)
    assert el.partner_skip_reason(dnc, AS_OF) == el.DO_NOT_CONTACT
    paused = el.PartnerFacts(1, paused_until=AS_OF)
    assert el.partner_skip_reason(paused, AS_OF) == el.PAUSED
    assert el.partner_skip_reason(paused, date(2026, 3, 3)) is None
    pending = el.PartnerFacts(1, pending_action=True)
    assert el.partner_skip_reason(pending, AS_OF) == el.PENDING_ACTION


def test_handed_off_customer_is_still_contacted_about_its_other_invoices():
    """A hand-off holds its own invoices (HANDED_OFF, one by one), not the
    customer: its other invoices are still reminded."""
    handed = el.PartnerFacts(partner_id=1, handed_off=True)
    assert el.partner_skip_reason(handed, date(2026, 3, 2)) is None
    both = el.PartnerFacts(partner_id=1, handed_off=True, do_not_contact=True)
    assert el.partner_skip_reason(both, date(2026, 3, 2)) == el.DO_NOT_CONTACT
    assert el.HANDED_OFF not in el.PARTNER_REASONS


def test_invoice_handed_over_is_held():
    held = invoice(hold_reason=el.HANDED_OFF)
    assert el.invoice_skip_reason(held, 1.0, 0.01) == el.HANDED_OFF
    # The strongest hold: a hand-off wins over a dispute or a plan.
    assert el.HOLD_REASONS[0] == el.HANDED_OFF
    # Paid stays paid, whoever holds the file.
    paid = invoice(hold_reason=el.HANDED_OFF, payment_state="paid")
    assert el.invoice_skip_reason(paid, 1.0, 0.01) == el.PAID
    assert el.HANDED_OFF in dict(el.SKIP_REASONS)


def _overdue(move_id, residual, days):
    return el.InvoiceFacts(
        move_id=move_id,
        partner_id=1,
        payment_state="not_paid",
        residual=residual,
        date_due=date(2026, 3, 2) - timedelta(days=days),
    )


def test_unapplied_credit_covering_the_overdue_amount():
    as_of = date(2026, 3, 2)
    invoices = [_overdue(1, 300.0, 10), _overdue(2, 200.0, 0)]  # 2: due today
    covered = el.PartnerFacts(1, unapplied_credit=300.0)
    assert el.credit_covers(covered, invoices, as_of, 0.0, 0.01)
    # Within tolerance of covering it: covered.
    assert el.credit_covers(
        el.PartnerFacts(1, unapplied_credit=299.0), invoices, as_of, 1.0, 0.01
    )
    # One cent short: the rest is owed.
    short = el.PartnerFacts(1, unapplied_credit=299.99)
    assert not el.credit_covers(short, invoices, as_of, 0.0, 0.01)
    assert not el.credit_covers(el.PartnerFacts(1), invoices, as_of, 0.0, 0.01)


def test_a_credit_of_less_than_one_unit_still_covers():
    as_of = date(2026, 3, 2)
    small = el.PartnerFacts(1, unapplied_credit=0.5)
    assert el.credit_covers(small, [_overdue(1, 0.5, 10)], as_of, 0.0, 0.01)
