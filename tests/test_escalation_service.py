from datetime import date, timedelta

from services import eligibility as el
from services import escalation as esc

AS_OF = date(2026, 3, 2)
LADDER = [
    esc.Rung(stage_id=10, offset_days=-3, min_gap_days=0),
    esc.Rung(stage_id=20, offset_days=7, min_gap_days=5),
    esc.Rung(stage_id=30, offset_days=21, min_gap_days=10, schedule_call=True),
    esc.Rung(stage_id=40, offset_days=42, min_gap_days=14, send_letter=True),
    esc.Rung(stage_id=50, offset_days=60, min_gap_days=14, requires_review=True),
]


def inv(move_id, days_overdue, stage_id=None, **values):
    return el.InvoiceFacts(
        move_id=move_id,
        partner_id=1,
        payment_state=values.pop("payment_state", "not_paid"),
        residual=values.pop("residual", 100.0),
        date_due=AS_OF - timedelta(days=days_overdue),
        stage_id=stage_id,
        **values,
    )


def decide(invoices, partner=None, ladder=LADDER, as_of=AS_OF):
    return esc.decide_partner(
        ladder, partner or el.PartnerFacts(1), invoices, as_of, 1.0, 0.01
    )


def test_friendly_before_due():
    decision = decide([inv(1, -3)])
    assert decision.stage_id == 10
    assert decision.move_stages == {1: 10}
    assert decision.move_ids == [1]


def test_nothing_before_the_first_offset():
    decision = decide([inv(1, -4)])
    assert decision.stage_id is None
    assert not decision.skipped


def test_long_overdue_starts_at_first_overdue_rung():
    decision = decide([inv(1, 90)])
    assert decision.stage_id == 20
    assert decision.move_stages == {1: 20}


def test_one_rung_per_contact():
    decision = decide([inv(1, 90, stage_id=20)])
    assert decision.stage_id == 30
    decision = decide([inv(1, 90, stage_id=30)])
    assert decision.stage_id == 40


def test_customer_climbs_at_most_one_rung():
    # An invoice left at a high rung while the customer was reset.
    partner = el.PartnerFacts(1, stage_id=20)
    decision = decide([inv(1, 90, stage_id=40), inv(2, 30, stage_id=20)], partner)
    assert decision.stage_id == 30
    assert decision.partner_stage_id == 30


def test_min_gap_and_same_day():
    partner = el.PartnerFacts(1, last_contact=AS_OF - timedelta(days=9))
    decision = decide([inv(1, 90, stage_id=20)], partner)
    assert decision.stage_id is None
    assert decision.reason == el.RECENTLY_CONTACTED
    assert decision.skipped == {1: el.RECENTLY_CONTACTED}
    partner = el.PartnerFacts(1, last_contact=AS_OF - timedelta(days=10))
    assert decide([inv(1, 90, stage_id=20)], partner).stage_id == 30
    today = el.PartnerFacts(1, last_contact=AS_OF)
    no_gap = [esc.Rung(stage_id=10, offset_days=0, min_gap_days=0)]
    assert decide([inv(1, 5)], today, ladder=no_gap).stage_id is None


def test_lists_every_overdue_invoice_once():
    partner = el.PartnerFacts(1, stage_id=30)
    decision = decide(
        [inv(1, 30, stage_id=30), inv(2, 8), inv(3, -10), inv(4, 9, residual=0.5)],
        partner,
    )
    assert decision.stage_id == 20
    assert decision.move_ids == [1, 2]
    assert decision.move_stages == {2: 20}
    assert decision.partner_stage_id == 30, "never lower than before"
    assert decision.skipped == {4: el.BELOW_TOLERANCE}


def test_partner_reasons_skip_every_eligible_invoice():
    partner = el.PartnerFacts(1, paused_until=AS_OF + timedelta(days=2))
    decision = decide([inv(1, 30), inv(2, 40, payment_state="paid")], partner)
    assert decision.stage_id is None
    assert decision.skipped == {1: el.PAUSED, 2: el.PAID}


def test_review_and_channels():
    decision = decide([inv(1, 70, stage_id=40)])
    assert decision.stage_id == 50
    assert decision.requires_review
    email_only = [esc.Rung(stage_id=20, offset_days=7)]
    partner = el.PartnerFacts(1, has_email=False)
    assert decide([inv(1, 8)], partner, ladder=email_only).reason == el.NO_CHANNEL


def test_no_policy():
    assert decide([inv(1, 8)], ladder=[]).reason == el.NO_POLICY


def test_stage_of_another_ladder_maps_by_offset():
    assert esc.rung_index(LADDER, 99, {99: 30}) == 2
    assert esc.rung_index(LADDER, 99, {99: -10}) is None
    assert esc.rung_index(LADDER, 40) == 3


def test_decide_run_groups_by_customer():
    invoices = [inv(1, 8), inv(2, 9)]
    other = el.InvoiceFacts(3, 2, "not_paid", 100.0, AS_OF - timedelta(days=8))
    decisions = esc.decide_run(
        {1: LADDER, 2: LADDER}, {}, [*invoices, other], AS_OF, 1.0, 0.01
    )
    assert [(d.partner_id, d.move_ids) for d in decisions] == [(1, [1, 2]), (2, [3])]


def test_reverify_drops_settled_money():
    keep, dropped = esc.reverify(
        [inv(1, 30), inv(2, 30, payment_state="paid")], 1.0, 0.01
    )
    assert keep == [1]
    assert dropped == {2: el.PAID}
