from datetime import timedelta

from ladder_factories import AS_OF, LADDER, inv
from services import eligibility as el
from services import escalation as esc
from services import forecast as fc


def forecast(invoices, partner=None, ladder=LADDER, as_of=AS_OF):
    return fc.forecast_partner(
        ladder, partner or el.PartnerFacts(1), invoices, as_of, 1.0, 0.01
    )


def days(count):
    return AS_OF + timedelta(days=count)


def test_next_rung_waits_for_its_offset():
    # Friendly reached 5 days ago (12 days overdue): firm at 21 days overdue.
    partner = el.PartnerFacts(1, last_contact=days(-5), stage_id=20)
    result = forecast([inv(1, 12, stage_id=20)], partner)
    assert result.next_step == fc.NextStep(days(9), 30, (1,), False)
    assert result.reasons == {1: fc.WAITING}
    assert result.invoice_steps[1].date == days(9)
    assert result.days_overdue == {1: 12}


def test_next_rung_waits_for_its_gap():
    # Firm reached 3 days ago, 40 days overdue: the formal rung comes once
    # both its offset (42 days) and its 14-day gap are reached.
    partner = el.PartnerFacts(1, last_contact=days(-3), stage_id=30)
    result = forecast([inv(1, 40, stage_id=30)], partner)
    # Offset 42 reached in 2 days, the 14-day gap only in 11.
    assert result.next_step.date == days(11)
    assert result.next_step.stage_id == 40
    assert result.reasons == {1: fc.WAITING}


def test_gap_not_reached_is_recently_contacted():
    # Formal is due by its offset (45 days overdue) but firm was sent 3 days ago.
    partner = el.PartnerFacts(1, last_contact=days(-3), stage_id=30)
    result = forecast([inv(1, 45, stage_id=30)], partner)
    assert result.reasons == {1: el.RECENTLY_CONTACTED}
    assert result.next_step.date == days(11)


def test_due_today_is_today():
    result = forecast([inv(1, 10)])
    assert result.next_step.date == AS_OF
    assert result.next_step.stage_id == 20
    assert result.reasons == {}


def test_not_due_yet_then_pre_due_note():
    result = forecast([inv(1, -10)])
    assert result.reasons == {1: fc.NOT_DUE_YET}
    assert result.next_step.date == days(7)
    assert result.next_step.stage_id == 10


def test_top_of_the_ladder_has_no_next_step():
    # 70 days overdue, already at the last rung (e.g. after a broken plan was
    # acknowledged there): nothing more is sent, and the invoice says why.
    partner = el.PartnerFacts(1, last_contact=days(-20), stage_id=50)
    result = forecast([inv(1, 70, stage_id=50)], partner)
    assert result.next_step is None
    assert result.reasons == {1: fc.LADDER_END}


def test_held_invoice_keeps_its_hold_reason_and_has_no_step():
    result = forecast([inv(1, 70, hold_reason=el.PAYMENT_PLAN), inv(2, 10)])
    assert result.reasons == {1: el.PAYMENT_PLAN}
    assert result.next_step.move_ids == (2,)
    assert 1 not in result.invoice_steps


def test_do_not_contact_stops_everything():
    partner = el.PartnerFacts(1, do_not_contact=True)
    result = forecast([inv(1, 30)], partner)
    assert result.next_step is None
    assert result.stopped_by == el.DO_NOT_CONTACT
    assert result.reasons == {1: el.DO_NOT_CONTACT}


def test_pending_action_stops_the_forecast():
    partner = el.PartnerFacts(1, pending_action=True)
    result = forecast([inv(1, 30)], partner)
    assert result.stopped_by == el.PENDING_ACTION
    assert result.next_step is None


def test_pause_ends_then_the_ladder_goes_on():
    partner = el.PartnerFacts(1, paused_until=days(4))
    result = forecast([inv(1, 10)], partner)
    assert result.reasons == {1: el.PAUSED}
    assert result.next_step.date == days(5)


def test_invoice_not_listed_first_gets_its_own_step():
    # Invoice 2 is due in 20 days: today's reminder lists only the overdue
    # invoice 1; invoice 2 is listed by a later contact.
    result = forecast([inv(1, 10), inv(2, -20)])
    assert result.next_step.date == AS_OF
    assert 2 in result.invoice_steps
    assert result.invoice_steps[2].date > AS_OF
    assert result.reasons == {2: fc.NOT_DUE_YET}


def test_paid_invoice_has_a_reason_and_no_step():
    result = forecast([inv(1, 30, payment_state="paid")])
    assert result.reasons == {1: el.PAID}
    assert result.next_step is None


def test_nothing_beyond_the_horizon():
    result = fc.forecast_partner(
        LADDER, el.PartnerFacts(1), [inv(1, -100)], AS_OF, 1.0, 0.01, horizon=30
    )
    assert result.next_step is None
    assert result.reasons == {1: fc.NOT_DUE_YET}


def test_no_channel_stops_everything():
    ladder = [esc.Rung(stage_id=20, offset_days=7, min_gap_days=5)]
    partner = el.PartnerFacts(1, has_email=False)
    result = forecast([inv(1, 30)], partner, ladder=ladder)
    assert result.stopped_by == el.NO_CHANNEL
    assert result.next_step is None
    assert result.reasons == {1: el.NO_CHANNEL}


def test_credit_on_account_covering_the_invoice_once_due_stops_the_forecast():
    # Not due yet and no rung before due: the credit covers it once overdue.
    partner = el.PartnerFacts(1, unapplied_credit=500.0)
    result = forecast([inv(1, -5)], partner, ladder=LADDER[1:])
    assert isinstance(result, fc.Forecast)
    assert result.next_step is None


def test_a_later_step_no_channel_reaches_ends_the_forecast():
    # Not due yet: nothing to say today. Once overdue, the only rung is an
    # email the customer cannot receive: no step, and nothing after it.
    partner = el.PartnerFacts(1, has_email=False)
    email_only = [esc.Rung(stage_id=20, offset_days=7)]
    result = forecast([inv(1, -5)], partner, ladder=email_only)
    assert isinstance(result, fc.Forecast)
    assert result.next_step is None
    assert result.reasons == {1: fc.NOT_DUE_YET}
