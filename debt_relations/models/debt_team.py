from odoo import api, fields, models


class DebtTeam(models.Model):
    """A team of collectors, for the worklist's "My team" filter: a leader
    sees the customers of every member, a member those of his teammates."""

    _name = "debt.team"
    _description = "Collection Team"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    leader_id = fields.Many2one(
        "res.users",
        string="Team Leader",
        domain="[('share', '=', False)]",
        help="Sees the team's customers with the worklist's \"My team\" filter, "
        "as the members do.",
    )
    member_ids = fields.Many2many(
        "res.users",
        "debt_team_user_rel",
        "team_id",
        "user_id",
        string="Collectors",
        domain="[('share', '=', False)]",
    )

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "A collection team's name is unique in its company.",
        )
    ]

    @api.model
    def _teammates(self, user):
        """``user`` and every collector of the teams he leads or belongs to
        (``res.users``); only ``user`` when he is in no team."""
        # sudo: who is in which team is no secret to a teammate, and the
        # filter must not depend on the reader's rights on teams.
        teams = (
            self.sudo()
            .with_context(active_test=True)
            .search(["|", ("leader_id", "=", user.id), ("member_ids", "in", user.ids)])
        )
        return user | teams.member_ids | teams.leader_id
