"""The forecast against the run, day by day, and on its own limits.

The forecast promises the step the run will take "exactly as the run would",
while it only looks at the days on which a decision can change. The reference
here decides every single day, as the daily run does, and applies each contact
as the run records it (invoices climb, the customer's rung and last contact
move, a broken agreement is acknowledged): both must agree.
"""

import dataclasses
import random
from datetime import timedelta

from ladder_factories import AS_OF, LADDER, inv
from services import eligibility as el
from services import escalation as esc
from services import forecast as fc

LADDERS = [
    LADDER,
    [
        esc.Rung(stage_id=1, offset_days=-5, min_gap_days=0),
        esc.Rung(stage_id=2, offset_days=0, min_gap_days=3),
        esc.Rung(
            stage_id=3,
            offset_days=10,
            min_gap_days=7,
            send_email=False,
            send_letter=True,
        ),
        esc.Rung(stage_id=4, offset_days=30, min_gap_days=12),
    ],
    [
        esc.Rung(stage_id=5, offset_days=1, min_gap_days=2),
        esc.Rung(stage_id=6, offset_days=15, min_gap_days=15, requires_review=True),
    ],
]
# Overdue rungs without a minimum gap: one contact a day at most.
NO_GAP = [
    esc.Rung(stage_id=7, offset_days=0),
    esc.Rung(stage_id=8, offset_days=5),
    esc.Rung(stage_id=9, offset_days=10),
]
LADDERS.append(NO_GAP)
HORIZON = 150


def days(count):
    return AS_OF + timedelta(days=count)


def forecast(invoices, partner=None, ladder=LADDER, offsets=None, **kwargs):
    return fc.forecast_partner(
        ladder,
        partner or el.PartnerFacts(1),
        invoices,
        AS_OF,
        1.0,
        0.01,
        offsets,
        **kwargs,
    )


def day_by_day(ladder, partner, invoices, horizon):
    """(first step, move id -> first step listing it), deciding every day."""
    first, by_invoice, steps = None, {}, 0
    for offset in range(horizon + 1):
        day = AS_OF + timedelta(days=offset)
        decision = esc.decide_partner(ladder, partner, invoices, day, 1.0, 0.01)
        if not decision.stage_id:
            continue
        step = fc.NextStep(
            day, decision.stage_id, tuple(decision.move_ids), decision.requires_review
        )
        first = first or step
        for move_id in decision.move_ids:
            by_invoice.setdefault(move_id, step)
        steps += 1
        if steps >= fc.MAX_STEPS:
            break
        invoices = [
            dataclasses.replace(i, stage_id=decision.move_stages[i.move_id])
            if i.move_id in decision.move_stages
            else i
            for i in invoices
        ]
        partner = dataclasses.replace(
            partner,
            last_contact=day,
            stage_id=decision.partner_stage_id,
            agreement_broken=False,
        )
    return first, by_invoice


def scenario(rng):
    ladder = rng.choice(LADDERS)
    stages = [None] + [rung.stage_id for rung in ladder]
    last = rng.choice([None, rng.randint(-30, 0)])
    partner = el.PartnerFacts(
        1,
        paused_until=rng.choice([None, None, days(rng.randint(-2, 20))]),
        last_contact=None if last is None else days(last),
        stage_id=rng.choice(stages),
        agreement_broken=rng.random() < 0.25,
    )
    invoices = []
    for move_id in range(1, rng.randint(1, 4) + 1):
        state = rng.choice(["not_paid"] * 6 + ["paid"])
        invoices.append(
            inv(
                move_id,
                rng.randint(-40, 80),
                rng.choice(stages),
                payment_state=state,
                hold_reason=rng.choice([None] * 6 + [el.PROMISED]),
            )
        )
    return ladder, partner, invoices


def test_forecast_agrees_with_deciding_every_day():
    rng = random.Random(20260302)
    compared = contacts = 0
    for _attempt in range(300):
        ladder, partner, invoices = scenario(rng)
        result = fc.forecast_partner(
            ladder, partner, invoices, AS_OF, 1.0, 0.01, horizon=HORIZON
        )
        first, by_invoice = day_by_day(ladder, partner, invoices, HORIZON)
        assert result.next_step == first, (ladder, partner, invoices)
        assert result.invoice_steps == by_invoice, (ladder, partner, invoices)
        compared += 1
        contacts += bool(first)
    # The scenarios do exercise contacts, not only silence.
    assert compared == 300
    assert contacts > 150


def test_no_email_for_the_note_before_due_does_not_hide_the_letter_after_it():
    # The customer has no email and is on the letter rung (40); invoice 1 is
    # due in 6 days, invoice 2 on the call rung, 17 days overdue. The note
    # before due for invoice 1 cannot be sent (email only); once invoice 1 is
    # 7 days overdue the run sends the letter listing both.
    partner = el.PartnerFacts(1, stage_id=40, last_contact=days(-3), has_email=False)
    invoices = [inv(1, -6), inv(2, 17, stage_id=30)]
    first, _by_invoice = day_by_day(LADDER, partner, invoices, HORIZON)
    assert first == fc.NextStep(days(13), 40, (1, 2), False)
    assert forecast(invoices, partner).next_step == first


def test_step_on_the_last_day_of_the_horizon_is_forecast():
    # Due in 13 days: the note before due is sent in 10 days.
    result = forecast([inv(1, -13)], horizon=10)
    assert result.next_step == fc.NextStep(days(10), 10, (1,), False)
    assert forecast([inv(1, -13)], horizon=9).next_step is None


def test_review_rung_is_forecast_as_needing_review():
    partner = el.PartnerFacts(1, stage_id=40, last_contact=days(-20))
    result = forecast([inv(1, 70, stage_id=40)], partner)
    assert result.next_step == fc.NextStep(AS_OF, 50, (1,), True)


def test_invoice_without_due_date_does_not_hide_the_others():
    invoices = [
        el.InvoiceFacts(1, 1, "not_paid", 100.0, None),
        inv(2, -13),
    ]
    result = forecast(invoices)
    assert result.next_step == fc.NextStep(days(10), 10, (2,), False)
    assert result.reasons[1] == el.BELOW_TOLERANCE


def test_today_reasons_on_the_due_day_and_the_day_after():
    # Both had their note before due; the next rung comes 7 days overdue.
    partner = el.PartnerFacts(1, stage_id=10, last_contact=days(-3))
    result = forecast([inv(1, 0, stage_id=10), inv(2, 1, stage_id=10)], partner)
    assert result.reasons == {1: fc.NOT_DUE_YET, 2: fc.WAITING}


def test_last_rung_of_another_ladder_is_the_ladder_end():
    offsets = {99: 60}
    partner = el.PartnerFacts(1, stage_id=99, last_contact=days(-1))
    result = forecast([inv(1, 90, stage_id=99)], partner, offsets=offsets)
    assert result.reasons == {1: fc.LADDER_END}
    assert result.next_step is None


def test_forecast_reads_stages_of_another_ladder():
    # The old policy had the invoice on its firm rung (offset 21).
    offsets = {99: 21}
    partner = el.PartnerFacts(1, stage_id=99, last_contact=days(-20))
    result = forecast([inv(1, 30, stage_id=99)], partner, offsets=offsets)
    assert result.next_step == fc.NextStep(days(12), 40, (1,), False)


def test_paused_today_every_invoice_still_gets_its_step():
    # Paused today: both invoices are skipped as paused, and both are
    # forecast: the note before due for invoice 1, the friendly reminder for
    # invoice 2 once it is 7 days overdue.
    partner = el.PartnerFacts(1, paused_until=AS_OF)
    result = forecast([inv(1, -4), inv(2, 1, stage_id=10)], partner)
    assert result.reasons == {1: el.PAUSED, 2: el.PAUSED}
    assert result.next_step == fc.NextStep(days(1), 10, (1,), False)
    assert result.invoice_steps[2].date == days(6)
    assert result.invoice_steps[2].stage_id == 20


def test_at_most_max_steps_contacts_are_simulated():
    ladder = [esc.Rung(stage_id=10, offset_days=-3)]
    invoices = [inv(n, -3 - 7 * n) for n in range(1, 31)]
    result = forecast(invoices, ladder=ladder)
    assert sorted(result.invoice_steps) == list(range(1, fc.MAX_STEPS + 1))
    assert result.invoice_steps[fc.MAX_STEPS].date == days(7 * fc.MAX_STEPS)


def test_forecast_stops_at_a_rung_that_cannot_reach_the_customer():
    # The letter reaches a customer without email; the next rung is email only.
    ladder = [
        esc.Rung(stage_id=1, offset_days=7, send_letter=True),
        esc.Rung(stage_id=2, offset_days=21),
    ]
    partner = el.PartnerFacts(1, has_email=False)
    result = forecast([inv(1, 10), inv(2, -10)], partner, ladder=ladder)
    assert isinstance(result, fc.Forecast)
    assert result.next_step == fc.NextStep(AS_OF, 1, (1,), False)
    assert 2 not in result.invoice_steps


def test_without_a_gap_the_next_rung_comes_the_day_after_a_contact():
    # Invoice 1 is 30 days overdue: the three rungs on three days running, then
    # invoice 2, due in 5 days, is listed on its due day at the last rung.
    result = forecast([inv(1, 30), inv(2, -5)], ladder=NO_GAP)
    assert result.next_step == fc.NextStep(AS_OF, 7, (1,), False)
    assert result.invoice_steps[2] == fc.NextStep(days(5), 9, (1, 2), False)
    first, by_invoice = day_by_day(
        NO_GAP, el.PartnerFacts(1), [inv(1, 30), inv(2, -5)], HORIZON
    )
    assert (first, by_invoice) == (result.next_step, result.invoice_steps)
