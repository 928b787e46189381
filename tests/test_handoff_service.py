from datetime import date, timedelta

from ladder_factories import AS_OF, LADDER, inv
from services import eligibility as el
from services import escalation as esc
from services import handoff as ho


def past(kind, state, outcome=None):
    return ho.PastHandoff(kind, state, outcome)


def test_mediation_is_always_allowed():
    assert ho.kind_refusal(ho.MEDIATION, [], False, None) is None
    assert ho.first_kind([]) == ho.MEDIATION
    assert not ho.needs_override(ho.MEDIATION, [])


def test_agency_needs_a_mediation_without_agreement():
    for kind in (ho.AGENCY, ho.LEGAL):
        assert ho.kind_refusal(kind, [], False, None) == ho.MEDIATION_FIRST
        assert ho.needs_override(kind, [])
    # A mediation still running, settled, or returned with an agreement
    # does not open the way.
    for state, outcome in (
        ("sent", None),
        ("accepted", None),
        ("settled", "paid"),
        ("returned", "agreement"),
        ("returned", None),
        ("written_off", "unreachable"),
    ):
        history = [past(ho.MEDIATION, state, outcome)]
        assert ho.kind_refusal(ho.AGENCY, history, False, None) == (
            ho.MEDIATION_FIRST
        ), (state, outcome)
    # Returned or written off without agreement: agency and lawyer allowed.
    for state in ("returned", "written_off"):
        history = [past(ho.MEDIATION, state, ho.NO_AGREEMENT)]
        assert ho.mediation_failed(history)
        assert ho.kind_refusal(ho.AGENCY, history, False, None) is None
        assert ho.kind_refusal(ho.LEGAL, history, False, None) is None
        assert ho.first_kind(history) == ho.AGENCY
    # An agency that failed is no mediation.
    history = [past(ho.AGENCY, "returned", ho.NO_AGREEMENT)]
    assert not ho.mediation_failed(history)


def test_manager_overrides_with_a_reason_only():
    assert ho.kind_refusal(ho.AGENCY, [], True, None) == ho.REASON_REQUIRED
    assert ho.kind_refusal(ho.AGENCY, [], True, "   ") == ho.REASON_REQUIRED
    assert ho.kind_refusal(ho.LEGAL, [], True, "Customer left the country") is None
    # A collector's reason changes nothing.
    assert ho.kind_refusal(ho.AGENCY, [], False, "Urgent") == ho.MEDIATION_FIRST


def test_settled_when_nothing_is_left_to_pay():
    assert ho.is_settled([0.0, 0.004], 0.01)
    assert not ho.is_settled([0.0, 0.01], 0.01)
    assert ho.is_settled([], 0.01)
    # An overpayment leaves nothing to pay.
    assert ho.is_settled([-5.0], 0.01)


def test_recovered_counts_payments_since_sending():
    payments = [(date(2026, 3, 1), 50.0), (date(2026, 3, 2), 30.0), (AS_OF, 20.0)]
    assert ho.recovered(payments, date(2026, 3, 2)) == 50.0
    assert ho.recovered(payments, None) == 0.0


def test_run_skips_only_the_invoices_handed_over():
    """The customer's rung is the hand-off: its handed-over invoice is held;
    another invoice is reminded on its own rung (the first overdue one), not
    at the hand-off's."""
    partner = el.PartnerFacts(1, stage_id=50, handed_off=True)
    handed = inv(1, 80, stage_id=50, hold_reason=el.HANDED_OFF)
    other = inv(2, 10)
    decision = esc.decide_partner(LADDER, partner, [handed, other], AS_OF, 1.0, 0.01)
    assert decision.skipped == {1: el.HANDED_OFF}
    assert decision.reason is None
    assert decision.move_ids == [2]
    assert decision.stage_id == 20
    # The customer stays at the hand-off rung, above the invoice it handed
    # over; the next reminder of its other invoices is again on their rungs.
    assert decision.partner_stage_id == 50
    later = esc.decide_partner(
        LADDER,
        el.PartnerFacts(1, stage_id=50, handed_off=True, last_contact=AS_OF),
        [handed, inv(2, 30, stage_id=20)],
        AS_OF + timedelta(days=10),
        1.0,
        0.01,
    )
    assert later.stage_id == 30
