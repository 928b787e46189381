from datetime import timedelta

from ladder_factories import AS_OF, LADDER, inv
from services import eligibility as el
from services import escalation as esc


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
    assert decision.stage_id == 30, "tone never falls back below invoice 1's rung"
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
    policy = esc.Policy(tuple(LADDER), 1.0)
    decisions = esc.decide_run(
        {1: policy, 2: policy}, {}, [*invoices, other], AS_OF, 0.01
    )
    assert [(d.partner_id, d.move_ids) for d in decisions] == [(1, [1, 2]), (2, [3])]


def test_reverify_drops_settled_money():
    keep, dropped = esc.reverify(
        [inv(1, 30), inv(2, 30, payment_state="paid")], 1.0, 0.01
    )
    assert keep == [1]
    assert dropped == {2: el.PAID}


# ----------------------------------------------------------------------
# The tone of a grouped reminder: never below what was reached, one rung up
# ----------------------------------------------------------------------


def test_reminder_never_below_a_listed_invoice_rung():
    # Firm about A, then B reaches the friendly rung: the reminder listing
    # both stays firm (firm -> friendly -> formal was the bug).
    partner = el.PartnerFacts(1, stage_id=30, last_contact=AS_OF - timedelta(days=10))
    decision = decide([inv(1, 25, stage_id=30), inv(2, 7)], partner)
    assert decision.stage_id == 30
    assert decision.move_ids == [1, 2]
    assert decision.move_stages == {2: 20}, "B climbs its own first rung only"
    assert decision.partner_stage_id == 30
    # The day before B's offset is reached: nothing climbs, no contact.
    assert decide([inv(1, 25, stage_id=30), inv(2, 6)], partner).stage_id is None


def test_raised_reminder_waits_for_its_own_gap():
    # Raised to firm, the reminder waits firm's 10 days, not friendly's 5.
    invoices = [inv(1, 25, stage_id=30), inv(2, 8)]
    partner = el.PartnerFacts(1, stage_id=30, last_contact=AS_OF - timedelta(days=9))
    decision = decide(invoices, partner)
    assert decision.stage_id is None
    assert decision.reason == el.RECENTLY_CONTACTED
    assert decision.skipped == {2: el.RECENTLY_CONTACTED}
    partner = el.PartnerFacts(1, stage_id=30, last_contact=AS_OF - timedelta(days=10))
    assert decide(invoices, partner).stage_id == 30


def test_next_reminder_rises_one_rung_from_the_raised_one():
    # After the firm reminder listing A and B: A reaches formal's offset on
    # the day formal's gap is reached; B climbs one rung too, to firm.
    partner = el.PartnerFacts(1, stage_id=30, last_contact=AS_OF - timedelta(days=14))
    decision = decide([inv(1, 42, stage_id=30), inv(2, 21, stage_id=20)], partner)
    assert decision.stage_id == 40
    assert decision.move_stages == {1: 40, 2: 30}
    assert decision.partner_stage_id == 40
    partner = el.PartnerFacts(1, stage_id=30, last_contact=AS_OF - timedelta(days=13))
    decision = decide([inv(1, 42, stage_id=30), inv(2, 21, stage_id=20)], partner)
    assert decision.reason == el.RECENTLY_CONTACTED
    # One day before formal's offset: B alone climbs, the tone stays firm.
    partner = el.PartnerFacts(1, stage_id=30, last_contact=AS_OF - timedelta(days=14))
    decision = decide([inv(1, 41, stage_id=30), inv(2, 21, stage_id=20)], partner)
    assert decision.stage_id == 30
    assert decision.move_stages == {2: 30}


def test_reminder_never_below_the_customer_rung():
    # A (firm) is on a payment plan; B, new, reaches the friendly rung: the
    # customer was firmly reminded already, the tone does not fall back.
    partner = el.PartnerFacts(1, stage_id=30)
    decision = decide(
        [inv(1, 40, stage_id=30, hold_reason=el.PAYMENT_PLAN), inv(2, 7)], partner
    )
    assert decision.stage_id == 30
    assert decision.move_ids == [2]
    assert decision.move_stages == {2: 20}
    assert decision.skipped == {1: el.PAYMENT_PLAN}


def test_rises_at_most_one_rung_above_the_customer():
    # Every invoice may climb to formal, the customer is at friendly: firm.
    partner = el.PartnerFacts(1, stage_id=20)
    decision = decide([inv(1, 90, stage_id=30), inv(2, 90, stage_id=30)], partner)
    assert decision.stage_id == 30
    assert decision.move_stages == {}, "no invoice goes above the contact's rung"
    assert decision.partner_stage_id == 30
    # Customer's rung unknown: the highest its invoices reached is the reference.
    decision = decide([inv(1, 90, stage_id=30), inv(2, 90)])
    assert decision.stage_id == 40
    assert decision.move_stages == {1: 40, 2: 20}
    assert decision.partner_stage_id == 40
    # The customer's next rung is not due for its oldest invoice: it stays.
    partner = el.PartnerFacts(1, stage_id=30)
    decision = decide([inv(1, 30, stage_id=30), inv(2, 41, stage_id=20)], partner)
    assert decision.stage_id == 30
    assert decision.move_stages == {2: 30}


def test_pre_due_note_lists_only_invoices_not_yet_due():
    # A is overdue, waiting for its next rung; B is 3 days before due (the
    # note's offset reached exactly): the note lists B alone, at its rung.
    partner = el.PartnerFacts(1, stage_id=30, last_contact=AS_OF - timedelta(days=3))
    decision = decide([inv(1, 25, stage_id=30), inv(2, -3), inv(3, 2)], partner)
    assert decision.stage_id == 10, "the overdue invoices do not make it jump"
    assert decision.move_ids == [2]
    assert decision.move_stages == {2: 10}
    assert decision.partner_stage_id == 30, "the customer keeps its rung"
    # 4 days before due: the note's offset is not reached, no contact.
    assert decide([inv(1, 25, stage_id=30), inv(2, -4)], partner).stage_id is None


def test_pre_due_note_on_the_due_day():
    # Due today: still not overdue, the note before due may go out; an
    # invoice one day overdue is not listed in it.
    decision = decide([inv(1, 0), inv(2, 1)])
    assert decision.stage_id == 10
    assert decision.move_ids == [1]
    assert decision.move_stages == {1: 10}
    # Noted already: nothing more until the first overdue rung.
    assert decide([inv(1, 0, stage_id=10)]).stage_id is None
    # One day overdue and never reminded: rungs before due no longer apply.
    assert decide([inv(1, 1)]).stage_id is None


def test_overdue_reminder_also_lists_invoices_soon_due():
    partner = el.PartnerFacts(1, stage_id=20)
    decision = decide([inv(1, 21, stage_id=20), inv(2, -3)], partner)
    assert decision.stage_id == 30
    assert decision.move_ids == [1, 2]
    assert decision.move_stages == {1: 30, 2: 10}


def test_broken_agreement_after_a_note_before_due():
    # The customer only had the note before due; its promise broke and the
    # invoice is overdue: the first overdue rung, never a "before due" note.
    partner = el.PartnerFacts(1, stage_id=10, agreement_broken=True)
    decision = decide([inv(1, 8, stage_id=10)], partner)
    assert decision.stage_id == 20
    assert decision.move_ids == [1]
    assert decision.agreement_broken
    # Before the first overdue rung's offset: nothing to acknowledge yet.
    assert decide([inv(1, 3, stage_id=10)], partner).stage_id is None


def test_broken_agreement_reminds_at_the_reached_rung():
    partner = el.PartnerFacts(1, stage_id=30, agreement_broken=True)
    decision = decide([inv(1, 25, stage_id=30), inv(2, 90, stage_id=30)], partner)
    assert decision.stage_id == 30, "no higher than the customer's rung"
    assert decision.move_ids == [1, 2]
    assert decision.move_stages == {}


def test_contact_cap_postpones_the_contact_to_a_day_with_room():
    partner = el.PartnerFacts(1, cap_free_from=AS_OF + timedelta(days=2))
    decision = decide([inv(1, 90, stage_id=20)], partner)
    assert decision.stage_id is None
    assert decision.reason == el.CONTACT_CAP
    assert decision.skipped == {1: el.CONTACT_CAP}
    # Room again: the same contact is made.
    later = decide([inv(1, 92, stage_id=20)], partner, as_of=AS_OF + timedelta(2))
    assert later.stage_id == 30
    # Nothing due: the cap names nothing.
    assert not decide([inv(1, -4)], partner).skipped


def test_a_reply_pauses_like_a_pause():
    partner = el.PartnerFacts(1, replied_until=AS_OF + timedelta(days=4))
    decision = decide([inv(1, 30)], partner)
    assert decision.stage_id is None
    assert decision.skipped == {1: el.CUSTOMER_REPLIED}
    after = decide([inv(1, 35)], partner, as_of=AS_OF + timedelta(days=5))
    assert after.stage_id is not None
