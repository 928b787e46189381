from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..services import charges as charges_service

REFERENCE_RULES = [
    (charges_service.EU_STATUTORY, "EU statutory (ECB main refinancing rate)"),
    (charges_service.UK_STATUTORY, "UK statutory (Bank of England base rate)"),
]


class DebtReferenceRate(models.Model):
    """A published reference rate of a statutory late-payment rule, from a day.

    The rate in force on a day is the latest one dated on or before it. Only
    confirmed rates count: the shipped values are samples an administrator
    checks against the published ones and confirms. Public figures, the same
    for every company.
    """

    _name = "debt.reference.rate"
    _description = "Late-Payment Reference Rate"
    _order = "rule, date_from desc"
    _rec_name = "date_from"

    rule = fields.Selection(REFERENCE_RULES, required=True, index=True)
    date_from = fields.Date(
        string="In Force From",
        required=True,
        help="EU: the rate in force on 1 January applies from January to June, "
        "that of 1 July from July to December. UK: the rate in force on "
        "31 December applies from January to June, that of 30 June from July "
        "to December.",
    )
    rate = fields.Float(
        string="Reference Rate (%)",
        digits=(6, 2),
        required=True,
        help="The published reference rate, in percent a year, before the "
        "statutory 8 points are added.",
    )
    confirmed = fields.Boolean(
        help="Checked against the published rate. Unconfirmed rates (such as "
        "the sample values shipped with the module) are not used: a reminder "
        "or a charge needing one says which is missing.",
    )
    note = fields.Char(string="Source")

    _sql_constraints = [
        (
            "rule_date_unique",
            "UNIQUE(rule, date_from)",
            "There is already a reference rate of this rule from this date.",
        ),
    ]

    @api.constrains("rate")
    def _check_rate(self):
        for record in self:
            if record.rate < 0:
                raise ValidationError(
                    self.env._(
                        "A reference rate cannot be negative (%(rule)s from %(date)s).",
                        rule=dict(
                            record._fields["rule"]._description_selection(self.env)
                        )[record.rule],
                        date=fields.Date.to_string(record.date_from),
                    )
                )

    @api.model
    def _rates(self, rule):
        """The confirmed ``(date_from, rate)`` of ``rule``, for the service."""
        # sudo: the public rates are read for whoever sees a statement (a
        # portal customer, an invoicing user).
        return [
            (record.date_from, record.rate)
            for record in self.sudo().search(
                [("rule", "=", rule), ("confirmed", "=", True)]
            )
        ]
