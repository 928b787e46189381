"""Which invoices may be chased: the limits of "nothing left open"."""

from datetime import date

from services import eligibility as el

AS_OF = date(2026, 3, 2)


def invoice(**values):
    values.setdefault("payment_state", "not_paid")
    values.setdefault("residual", 100.0)
    values.setdefault("date_due", AS_OF)
    return el.InvoiceFacts(move_id=1, partner_id=1, **values)


def test_no_due_date_is_never_chased():
    assert el.invoice_skip_reason(invoice(date_due=None), 1.0, 0.01) == (
        el.BELOW_TOLERANCE
    )
    assert el.invoice_skip_reason(invoice(date_due=None), 0.0, 0.01) == (
        el.BELOW_TOLERANCE
    )


def test_nothing_open_is_not_chased_even_without_tolerance():
    assert el.invoice_skip_reason(invoice(residual=0.0), 0.0, 0.01) == (
        el.BELOW_TOLERANCE
    )
    assert el.invoice_skip_reason(invoice(residual=-5.0), 0.0, 0.01) == (
        el.BELOW_TOLERANCE
    )
    # Half a cent is nothing at a cent's rounding; one cent is something.
    assert el.invoice_skip_reason(invoice(residual=0.004), 0.0, 0.01) == (
        el.BELOW_TOLERANCE
    )
    assert el.invoice_skip_reason(invoice(residual=0.01), 0.0, 0.01) is None


def test_tolerance_met_exactly_is_chased():
    assert el.invoice_skip_reason(invoice(residual=5.0), 5.0, 0.01) is None
    assert el.invoice_skip_reason(invoice(residual=4.99), 5.0, 0.01) == (
        el.BELOW_TOLERANCE
    )


def test_pause_ends_the_day_after_its_last_day():
    paused = el.PartnerFacts(1, paused_until=AS_OF)
    assert el.partner_skip_reason(paused, AS_OF) == el.PAUSED
    assert el.partner_skip_reason(paused, date(2026, 3, 3)) is None


def test_unreachable_customer_reason():
    assert el.no_channel_reason(el.PartnerFacts(1, email_invalid=True)) == (
        el.INVALID_EMAIL
    )
    assert el.no_channel_reason(el.PartnerFacts(1, has_email=False)) == (el.NO_CHANNEL)
