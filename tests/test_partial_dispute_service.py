"""A dispute may name a part of an invoice: the rest stays chaseable."""

from datetime import date

import pytest
from ladder_factories import AS_OF, LADDER, inv
from services import eligibility as el
from services import escalation as esc
from services import portal as portal_service


def test_undisputed_part_is_what_is_left_never_below_zero():
    assert el.undisputed_amount(6000.0, 1200.0, 0.01) == 4800.0
    assert el.undisputed_amount(6000.0, 0.0, 0.01) == 6000.0
    assert el.undisputed_amount(6000.0, 6000.0, 0.01) == 0.0
    # A payment left less open than the dispute names: nothing to ask.
    assert el.undisputed_amount(1000.0, 1200.0, 0.01) == 0.0
    # Equal at the currency's rounding: the whole is disputed.
    assert el.undisputed_amount(6000.0, 5999.996, 0.01) == 0.0


def test_disputed_share_in_company_currency():
    # 1,200 of 6,000 in the invoice's currency is a fifth of the residual.
    assert el.disputed_share(3000.0, 1200.0, 6000.0) == pytest.approx(600.0)
    assert el.disputed_share(3000.0, 6000.0, 6000.0) == 3000.0
    assert el.disputed_share(3000.0, 7000.0, 6000.0) == 3000.0
    assert el.disputed_share(3000.0, 10.0, 0.0) == 3000.0


def test_partial_dispute_leaves_the_rest_chaseable():
    facts = inv(1, 20, residual=6000.0, disputed=1200.0)
    assert el.invoice_skip_reason(facts, 1.0, 0.01) is None
    assert el.chaseable_residual(facts, 0.01) == 4800.0
    assert el.is_disputed(facts, 0.01)
    assert not el.fully_disputed(facts, 0.01)


def test_full_dispute_holds_the_invoice():
    facts = inv(1, 20, residual=6000.0, disputed=6000.0)
    assert el.fully_disputed(facts, 0.01)
    assert el.invoice_skip_reason(facts, 1.0, 0.01) == el.DISPUTED
    assert el.chaseable_residual(facts, 0.01) == 0.0
    # Stronger than any other hold, as before.
    held = inv(1, 20, residual=6000.0, disputed=6000.0, hold_reason=el.PROMISED)
    assert el.invoice_skip_reason(held, 1.0, 0.01) == el.DISPUTED


def test_a_partly_disputed_invoice_under_another_hold_stays_held():
    facts = inv(1, 20, residual=6000.0, disputed=1200.0, hold_reason=el.PAYMENT_PLAN)
    assert el.invoice_skip_reason(facts, 1.0, 0.01) == el.PAYMENT_PLAN


def test_rest_below_tolerance_is_not_chased_because_of_the_dispute():
    facts = inv(1, 20, residual=100.0, disputed=99.5)
    assert el.invoice_skip_reason(facts, 1.0, 0.01) == el.DISPUTED
    undisputed = inv(1, 20, residual=0.5)
    assert el.invoice_skip_reason(undisputed, 1.0, 0.01) == el.BELOW_TOLERANCE


def test_credit_covers_only_the_undisputed_part():
    partner = el.PartnerFacts(partner_id=1, unapplied_credit=4800.0)
    facts = inv(1, 20, residual=6000.0, disputed=1200.0)
    assert el.credit_covers(partner, [facts], AS_OF, 0.0, 0.01)
    assert not el.credit_covers(
        partner, [inv(1, 20, residual=6000.0)], AS_OF, 0.0, 0.01
    )


def test_run_reminds_a_partly_disputed_invoice_and_holds_a_fully_disputed_one():
    partner = el.PartnerFacts(partner_id=1)
    partial = inv(1, 10, residual=6000.0, disputed=1200.0)
    full = inv(2, 10, residual=500.0, disputed=500.0)
    decision = esc.decide_partner(LADDER, partner, [partial, full], AS_OF, 1.0, 0.01)
    assert decision.move_ids == [1]
    assert decision.skipped == {2: el.DISPUTED}


def test_reverify_keeps_a_partly_disputed_invoice():
    keep, dropped = esc.reverify(
        [inv(1, 10, residual=6000.0, disputed=1200.0), inv(2, 10, disputed=100.0)],
        1.0,
        0.01,
    )
    assert keep == [1]
    assert dropped == {2: el.DISPUTED}


def test_statement_status_of_disputed_invoices():
    today = date(2026, 3, 2)
    due = date(2026, 2, 1)
    assert portal_service.invoice_status(None, due, today) == portal_service.OVERDUE
    assert (
        portal_service.invoice_status(None, due, today, fully_disputed=True)
        == portal_service.DISPUTED
    )
    assert (
        portal_service.invoice_status(el.PROMISED, due, today, fully_disputed=True)
        == portal_service.DISPUTED
    )
