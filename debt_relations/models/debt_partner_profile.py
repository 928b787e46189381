from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

FIGURE_FIELDS = (
    "tier_id",
    "tier_reason",
    "on_time_ratio",
    "avg_days_late",
    "customer_since",
    "paid_count",
    "on_time_count",
    "revenue_12m",
    "overdue_amount",
)
"""What a profile refresh computes (see ``debt.relationship.tier``)."""
RUN_FIELDS = (*FIGURE_FIELDS, "thanked_on", "replied_until")
"""Every value of a profile: all written by the collection run (the last one
by the mail gateway, when the customer answers)."""
UPSERT_BATCH = 1000
"""Profiles one ``INSERT ... ON CONFLICT`` writes."""


def _column_value(value):
    """A profile value as its column takes it (Odoo's False is SQL's NULL)."""
    return None if value is False else value


class DebtPartnerProfile(models.Model):
    """How one customer pays one company: the relationship profile.

    One per commercial partner and company, kept by the collection run (the
    daily refresh upserts the profiles that changed, see
    :meth:`_upsert`); the partner form shows the current company's
    through ``res.partner``'s ``debt_*`` profile fields. Nobody edits a
    profile by hand: it is what the ledger says.
    """

    _name = "debt.partner.profile"
    _inherit = "debt.owned.mixin"
    _description = "Customer Relationship Profile"
    _order = "company_id, partner_id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    tier_id = fields.Many2one(
        "debt.relationship.tier",
        string="Relationship Tier",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
        help="Earned from the payment history; its policy chases the customer "
        "unless a collection policy is set by hand.",
    )
    tier_reason = fields.Char(string="Why This Tier", readonly=True)
    # Shares and averages: grouped, they average (a sum of ratios is no ratio).
    on_time_ratio = fields.Float(
        string="Paid on Time", readonly=True, digits=(3, 2), aggregator="avg"
    )
    avg_days_late = fields.Float(
        string="Average Days Late", readonly=True, digits=(16, 1), aggregator="avg"
    )
    customer_since = fields.Date(readonly=True)
    paid_count = fields.Integer(string="Invoices Paid", readonly=True)
    on_time_count = fields.Integer(string="Invoices Paid on Time", readonly=True)
    revenue_12m = fields.Monetary(string="Revenue (12 months)", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True)
    thanked_on = fields.Date(string="Last Thanked", readonly=True)
    replied_until = fields.Date(
        string="Replied: Reminders Paused Until",
        readonly=True,
        help="The customer answered a collection message by email: no "
        "reminder until this day has passed.",
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "UNIQUE(partner_id, company_id)",
            "A customer has one relationship profile per company.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        if not self._debt_is_owner():
            self._debt_refuse_owned(["partner_id"])
        return super().create(vals_list)

    def _debt_owned(self, fnames):
        """Every value of a profile is the run's."""
        return list(fnames)

    def _debt_refuse_owned(self, fnames):
        if fnames:
            raise UserError(
                self.env._(
                    "Relationship profiles are computed by the collection run "
                    "from the payment history; they cannot be edited."
                )
            )

    @api.model
    def _read_stored(self, company):
        """Partner id -> its stored profile in ``company`` (values of
        :data:`RUN_FIELDS` as Python values), for every customer profiled
        there. One pass over the table, no ORM cache filled."""
        self.flush_model(["partner_id", "company_id", *RUN_FIELDS])
        rows = self.env.execute_query_dict(
            SQL(
                "SELECT partner_id, %s FROM debt_partner_profile WHERE company_id = %s",
                SQL(", ").join(SQL.identifier(name) for name in RUN_FIELDS),
                company.id,
            )
        )
        floats = {
            name
            for name in RUN_FIELDS
            if self._fields[name].type in ("float", "monetary")
        }
        return {
            row.pop("partner_id"): {
                name: float(value) if name in floats and value is not None else value
                for name, value in row.items()
            }
            for row in rows
        }

    @api.model
    def _upsert(self, company, updates):
        """Write the profiles of many customers of ``company``, creating those
        missing: one ``INSERT ... ON CONFLICT DO UPDATE`` per
        :data:`UPSERT_BATCH` customers.

        The ORM would cost queries per record for what is the run's own
        bookkeeping; no compute or constraint of the model depends on these
        columns.

        :param dict updates: partner id -> {field: value}, fields among
            :data:`RUN_FIELDS` (each batch with the same fields)
        """
        if not updates:
            return
        names = sorted({name for values in updates.values() for name in values})
        if set(names) - set(RUN_FIELDS):
            self._debt_refuse_owned(sorted(set(names) - set(RUN_FIELDS)))
        self.flush_model(["partner_id", "company_id", *names])
        columns = ["partner_id", "company_id", *names]
        uid = self.env.uid
        for batch in split_every(UPSERT_BATCH, sorted(updates.items()), list):
            rows = SQL(", ").join(
                SQL(
                    "(%s, %s, %s, %s, %s, now() at time zone 'UTC', "
                    "now() at time zone 'UTC')",
                    pid,
                    company.id,
                    SQL(", ").join(
                        SQL("%s", _column_value(values.get(name))) for name in names
                    ),
                    uid,
                    uid,
                )
                for pid, values in batch
            )
            self.env.execute_query(
                SQL(
                    """
                INSERT INTO debt_partner_profile
                       (%(columns)s, create_uid, write_uid, create_date, write_date)
                VALUES %(rows)s
                ON CONFLICT (partner_id, company_id) DO UPDATE
                   SET %(assignments)s, write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date
                    """,
                    columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                    rows=rows,
                    assignments=SQL(", ").join(
                        SQL(
                            "%s = EXCLUDED.%s",
                            SQL.identifier(name),
                            SQL.identifier(name),
                        )
                        for name in names
                    ),
                )
            )
        self.invalidate_model(names)
        self.env["res.partner"].browse(list(updates)).invalidate_recordset(
            ["debt_profile_ids", *self.env["res.partner"]._debt_profile_fields()]
        )
