"""18.0.1.4.0: files at a hand-off rung become draft hand-offs.

Before, a customer whose rung was a hand-off stage was not reminded at all,
and the collector got a to-do "Hand the file over to mediation". A hand-off
now holds only its own invoices (the customer's other invoices are reminded
on their own rungs): the open invoices already at a hand-off rung are put in
a draft hand-off per customer and company, held as before, for the
collector to complete (the provider) and send, or return to the ladder (at
the rung before the hand-off).
"""

from odoo import SUPERUSER_ID, Command, api


def prepare_drafts(env):
    """Draft hand-offs of the open invoices at a hand-off rung that no
    hand-off holds yet; returns them."""
    Handoff = env["debt.handoff"]
    moves = env["account.move"].search(
        [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("debt_stage_id.is_handoff", "=", True),
            ("debt_handoff_ids", "=", False),
        ]
    )
    created = Handoff
    for (partner, company), group in moves.grouped(
        lambda m: (m.commercial_partner_id, m.company_id)
    ).items():
        stage = group[0].debt_stage_id
        ladder = stage.policy_id._get_ladder_stages()
        below = ladder[: list(ladder).index(stage)] if stage in ladder else ladder
        before = below.filtered(lambda s: not s.is_handoff)[-1:]
        handoff = Handoff._debt_as_owner().create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "move_ids": [Command.set(group.ids)],
                "stage_id": stage.id,
                "user_id": partner.with_company(company)._debt_collector().id,
            }
        )
        handoff._debt_as_owner().write(
            {
                "previous_stages": {str(m.id): before.id or None for m in group},
                "previous_partner_stage_id": before.id,
            }
        )
        created |= handoff
    return created


def migrate(cr, version):
    if version:
        prepare_drafts(api.Environment(cr, SUPERUSER_ID, {}))
