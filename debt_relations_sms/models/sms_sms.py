from odoo import api, fields, models
from odoo.osv import expression


class SmsSms(models.Model):
    """Collection SMS wait for the customer's contact hours: Odoo's SMS queue
    sends an SMS once its ``debt_scheduled_date`` has come, as the mail queue
    waits for a mail's ``scheduled_date``."""

    _inherit = "sms.sms"

    debt_scheduled_date = fields.Datetime(
        string="Scheduled Send Date",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The SMS queue does not send this SMS before this moment (the "
        "customer's next contact hours).",
    )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if self.env.context.get("debt_sms_due_only"):
            # Only narrows what the SMS queue picks (see _process_queue).
            domain = expression.AND(
                [
                    domain,
                    [
                        "|",
                        ("debt_scheduled_date", "=", False),
                        ("debt_scheduled_date", "<=", fields.Datetime.now()),
                    ],
                ]
            )
        return super()._search(domain, offset=offset, limit=limit, order=order)

    @api.model
    def _process_queue(self, ids=None):
        """The queue picks only the SMS that are due: without a scheduled date,
        or once it has come (in the same search as Odoo's, so that waiting SMS
        never take the place of due ones in its batch)."""
        return super(SmsSms, self.with_context(debt_sms_due_only=True))._process_queue(
            ids=ids
        )
