"""What the pure tests of the ladder share: the day, the default ladder, and
an invoice factory (imported by the test files beside this one)."""

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
    """An open invoice of customer 1, ``days_overdue`` days past due on AS_OF."""
    return el.InvoiceFacts(
        move_id=move_id,
        partner_id=1,
        payment_state=values.pop("payment_state", "not_paid"),
        residual=values.pop("residual", 100.0),
        date_due=AS_OF - timedelta(days=days_overdue),
        stage_id=stage_id,
        **values,
    )
