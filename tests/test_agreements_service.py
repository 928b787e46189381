"""The ladder after a broken payment plan or promise (services/escalation.py)."""

from datetime import date, timedelta

from services import eligibility as el
from services import escalation as esc

AS_OF = date(2026, 3, 2)
LADDER = [
    esc.Rung(stage_id=10, offset_days=-3, min_gap_days=0),
    esc.Rung(stage_id=20, offset_days=7, min_gap_days=5),
    esc.Rung(stage_id=30, offset_days=21, min_gap_days=10, schedule_call=True),
    esc.Rung(stage_id=40, offset_days=42, min_gap_days=14, send_letter=True),
]


def inv(move_id, days_overdue, stage_id=None, **values):
    return el.InvoiceFacts(
        move_id=move_id,
        partner_id=1,
        payment_state="not_paid",
        residual=100.0,
        date_due=AS_OF - timedelta(days=days_overdue),
        stage_id=stage_id,
        **values,
    )


def decide(invoices, **partner):
    return esc.decide_partner(
        LADDER, el.PartnerFacts(1, **partner), invoices, AS_OF, 1.0, 0.01
    )


def test_held_invoices_are_skipped_with_their_reason():
    decision = decide(
        [
            inv(1, 30, hold_reason=el.PAYMENT_PLAN),
            inv(2, 30, hold_reason=el.PROMISED),
            inv(3, 30, hold_reason=el.DISPUTED),
            inv(4, 10),
        ]
    )
    assert decision.skipped == {1: el.PAYMENT_PLAN, 2: el.PROMISED, 3: el.DISPUTED}
    assert decision.move_ids == [4]
    assert decision.stage_id == 20


def test_without_a_broken_agreement_the_customer_climbs():
    decision = decide([inv(1, 50, stage_id=30)], stage_id=30)
    assert decision.stage_id == 40


def test_broken_agreement_is_acknowledged_at_the_current_rung():
    decision = decide([inv(1, 50, stage_id=30)], stage_id=30, agreement_broken=True)
    assert decision.stage_id == 30
    assert decision.agreement_broken
    assert decision.move_stages == {}
    assert decision.partner_stage_id == 30


def test_broken_agreement_reminds_even_before_the_next_rung_is_due():
    # 25 days overdue at the firm rung: the formal rung (42) is not due yet.
    assert decide([inv(1, 25, stage_id=30)], stage_id=30).stage_id is None
    decision = decide([inv(1, 25, stage_id=30)], stage_id=30, agreement_broken=True)
    assert decision.stage_id == 30
    assert decision.move_ids == [1]


def test_broken_agreement_still_respects_the_gap():
    decision = decide(
        [inv(1, 50, stage_id=30)],
        stage_id=30,
        agreement_broken=True,
        last_contact=AS_OF - timedelta(days=3),
    )
    assert decision.stage_id is None
    assert decision.reason == el.RECENTLY_CONTACTED
