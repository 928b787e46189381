"""The ladder on its boundary days: the due day itself, offsets reached exactly,
rungs for the due day (offset 0), stages of another ladder, broken agreements.
"""

from datetime import timedelta

from ladder_factories import AS_OF, LADDER, inv
from services import eligibility as el
from services import escalation as esc

# A ladder with a rung on the due day itself.
DUE_DAY = [
    esc.Rung(stage_id=1, offset_days=-3),
    esc.Rung(stage_id=2, offset_days=0),
    esc.Rung(stage_id=3, offset_days=10),
]


def decide(invoices, partner=None, ladder=LADDER, offsets=None):
    return esc.decide_partner(
        ladder, partner or el.PartnerFacts(1), invoices, AS_OF, 1.0, 0.01, offsets
    )


def test_offset_reached_exactly():
    assert esc.next_rung(LADDER, None, 7) == 1
    assert esc.next_rung(LADDER, None, 6) is None
    assert esc.next_rung(LADDER, 1, 21) == 2
    assert esc.next_rung(LADDER, 1, 20) is None
    assert esc.next_rung(LADDER, None, -3) == 0
    assert esc.next_rung(LADDER, None, -4) is None


def test_no_note_before_due_once_overdue_even_by_one_day():
    assert esc.next_rung(LADDER, None, 0) == 0
    assert esc.next_rung(LADDER, None, 1) is None
    decision = decide([inv(1, 1)])
    assert decision.stage_id is None


def test_due_day_rung_is_not_a_note_before_due():
    # An invoice first seen 3 days overdue starts at the due-day rung.
    assert esc.next_rung(DUE_DAY, None, 3) == 1
    assert esc.next_rung(DUE_DAY, None, 0) == 0
    assert esc.next_rung(DUE_DAY, 0, 0) == 1


def test_several_notes_before_due_are_all_skipped_once_overdue():
    ladder = [
        esc.Rung(stage_id=1, offset_days=-7),
        esc.Rung(stage_id=2, offset_days=-3),
        esc.Rung(stage_id=3, offset_days=7),
    ]
    assert esc.next_rung(ladder, None, 10) == 2
    assert esc.next_rung(ladder, 0, 10) == 2


def test_stage_of_another_ladder_with_the_same_offset_maps_to_that_rung():
    assert esc.rung_index(LADDER, 99, {99: 21}) == 2
    assert esc.rung_index(LADDER, 99, {99: 20}) == 1
    assert esc.rung_index(LADDER, 99, {99: -5}) is None


def test_policy_changed_tone_never_falls_back():
    # Under its old policy the customer reached the last rung (offset 60) and
    # this invoice the firm one (offset 21).
    offsets = {98: 60, 99: 21}
    partner = el.PartnerFacts(1, stage_id=98, last_contact=AS_OF - timedelta(30))
    decision = decide([inv(1, 50, stage_id=99)], partner, offsets=offsets)
    assert decision.stage_id == 50
    assert decision.partner_stage_id == 50
    assert decision.move_stages == {1: 40}


def test_policy_changed_invoice_keeps_its_rung():
    offsets = {99: 21}
    partner = el.PartnerFacts(1, last_contact=AS_OF - timedelta(30))
    decision = decide([inv(1, 50, stage_id=99)], partner, offsets=offsets)
    # Mapped to the firm rung, it climbs to the next one, not back to friendly.
    assert decision.stage_id == 40
    assert decision.move_stages == {1: 40}


def test_decide_run_uses_the_partners_facts_and_other_ladders_stages():
    policy = esc.Policy(tuple(LADDER), 1.0)
    policies = {1: policy, 2: policy}
    partners = {
        1: el.PartnerFacts(1, do_not_contact=True),
        2: el.PartnerFacts(2, last_contact=AS_OF - timedelta(30)),
    }
    invoices = [
        inv(1, 30),
        el.InvoiceFacts(2, 2, "not_paid", 100.0, AS_OF - timedelta(50), stage_id=99),
    ]
    first, second = esc.decide_run(policies, partners, invoices, AS_OF, 0.01, {99: 21})
    assert first.reason == el.DO_NOT_CONTACT
    assert first.stage_id is None
    assert second.stage_id == 40


def test_letter_reaches_a_customer_without_email():
    ladder = [esc.Rung(stage_id=1, offset_days=7, send_letter=True)]
    partner = el.PartnerFacts(1, has_email=False)
    decision = decide([inv(1, 10)], partner, ladder=ladder)
    assert decision.stage_id == 1
    call = [esc.Rung(stage_id=1, offset_days=7, send_email=False, schedule_call=True)]
    assert decide([inv(1, 10)], partner, ladder=call).stage_id == 1
    email = [esc.Rung(stage_id=1, offset_days=7)]
    assert decide([inv(1, 10)], partner, ladder=email).reason == el.NO_CHANNEL


def test_due_day_rung_reminder_lists_the_overdue_invoices_too():
    # Invoice 1 is due today and reaches the due-day rung; invoice 2, five
    # days overdue, already had it: both are listed, as in any reminder sent
    # on or after the due day.
    partner = el.PartnerFacts(1, stage_id=2, last_contact=AS_OF - timedelta(5))
    decision = decide([inv(1, 0, stage_id=1), inv(2, 5, stage_id=2)], partner, DUE_DAY)
    assert decision.stage_id == 2
    assert decision.move_ids == [1, 2]
    assert decision.move_stages == {1: 2}


def test_invoice_due_today_is_not_listed_in_an_overdue_reminder():
    # Invoice 2 is due today and already had its note before due: it is not
    # overdue yet, so a reminder about invoice 1 does not list it.
    partner = el.PartnerFacts(1, stage_id=20, last_contact=AS_OF - timedelta(20))
    decision = decide([inv(1, 30, stage_id=20), inv(2, 0, stage_id=10)], partner)
    assert decision.stage_id == 30
    assert decision.move_ids == [1]


def test_invoice_one_day_overdue_is_listed_in_an_overdue_reminder():
    partner = el.PartnerFacts(1, stage_id=20, last_contact=AS_OF - timedelta(20))
    decision = decide([inv(1, 30, stage_id=20), inv(2, 1, stage_id=10)], partner)
    assert decision.stage_id == 30
    assert decision.move_ids == [1, 2]
    assert decision.move_stages == {1: 30}


def test_invoice_due_today_gets_its_note_before_due():
    decision = decide([inv(1, 0)])
    assert decision.stage_id == 10
    assert decision.move_ids == [1]


def test_ceiling_wins_over_an_invoice_left_above_its_customer():
    # Invoice 1 was set by hand to the call rung; the customer is on the
    # friendly one. A new overdue invoice makes a contact: one rung above the
    # customer's at most, which is the friendly one it already had.
    partner = el.PartnerFacts(1, stage_id=20, last_contact=AS_OF - timedelta(20))
    decision = decide([inv(1, 10, stage_id=30), inv(2, 8)], partner)
    assert decision.stage_id == 20
    assert decision.move_ids == [1, 2]
    assert decision.move_stages == {2: 20}


def test_broken_agreement_with_a_new_invoice_never_reminded():
    # The plan broke; invoice 1 is reminded again at its rung, invoice 2,
    # newly overdue, at its first overdue rung; invoice 3 is not due yet.
    partner = el.PartnerFacts(
        1, stage_id=20, last_contact=AS_OF - timedelta(10), agreement_broken=True
    )
    decision = decide([inv(1, 15, stage_id=20), inv(2, 9), inv(3, -10)], partner)
    assert decision.stage_id == 20
    assert decision.agreement_broken
    assert decision.move_ids == [1, 2]
    assert decision.move_stages == {2: 20}


def test_broken_agreement_on_a_due_day_rung():
    # The customer and its invoice are on the due-day rung; the plan broke.
    partner = el.PartnerFacts(1, stage_id=2, agreement_broken=True)
    decision = decide([inv(1, 1, stage_id=2)], partner, DUE_DAY)
    assert decision.stage_id == 2
    assert decision.move_ids == [1]
    # Reminded again at its rung, not one above: the reminder acknowledges it.
    decision = decide([inv(1, 30, stage_id=2)], partner, DUE_DAY)
    assert decision.stage_id == 2
    assert decision.move_stages == {}


def test_broken_agreement_is_not_a_reminder_on_the_due_day_itself():
    partner = el.PartnerFacts(1, stage_id=2, agreement_broken=True)
    decision = decide([inv(1, 0, stage_id=2)], partner, DUE_DAY)
    assert decision.stage_id is None


def test_broken_agreement_lets_a_due_invoice_climb_to_the_customers_rung():
    # The customer is on the call rung; its invoice on the friendly one has
    # reached the call rung's offset: the reminder after the broken plan, at
    # the customer's rung, takes it there.
    partner = el.PartnerFacts(1, stage_id=30, agreement_broken=True)
    decision = decide([inv(1, 30, stage_id=20)], partner)
    assert decision.stage_id == 30
    assert decision.move_stages == {1: 30}


def test_decide_run_applies_each_customers_own_policy():
    """One call, two policies: each customer's ladder and tolerance."""
    tolerant = esc.Policy((esc.Rung(stage_id=7, offset_days=1),), 500.0)
    strict = esc.Policy(tuple(LADDER), 1.0)
    invoices = [
        el.InvoiceFacts(1, 1, "not_paid", 100.0, AS_OF - timedelta(30)),
        el.InvoiceFacts(2, 2, "not_paid", 100.0, AS_OF - timedelta(30)),
        el.InvoiceFacts(3, 3, "not_paid", 900.0, AS_OF - timedelta(30)),
    ]
    first, second, third = esc.decide_run(
        {1: tolerant, 2: strict}, {}, invoices, AS_OF, 0.01
    )
    assert first.skipped == {1: el.BELOW_TOLERANCE}
    assert first.stage_id is None
    assert second.stage_id == 20 and second.move_ids == [2]
    # Without a policy, nobody is chased.
    assert third.stage_id is None and third.move_ids == []


def test_credit_on_account_covering_the_overdue_stops_the_contact():
    partner = el.PartnerFacts(1, unapplied_credit=500.0)
    decision = decide([inv(1, 30), inv(2, 10)], partner)
    assert decision.reason == el.CREDIT_ON_ACCOUNT
    assert decision.stage_id is None
    # 50 short of covering, 49 of tolerance: still owed.
    short = el.PartnerFacts(1, unapplied_credit=150.0)
    decision = esc.decide_partner(
        LADDER, short, [inv(1, 30), inv(2, 10)], AS_OF, 49.0, 0.01
    )
    assert decision.stage_id == 20
