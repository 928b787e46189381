from datetime import timedelta

from odoo import api, fields, models

from .debt_portal import key_hash


class DebtPortalLinkEvent(models.Model):
    """What happened to a customer's statement link: a key retired (by *New
    link*, or replaced once out of date) and fresh links mailed on request.

    A retired key is kept hashed, never in clear: enough to tell its holder
    that the link is out of date (instead of the 404 of a key that never
    was), not enough to open anything. Written by the portal only.
    """

    _name = "debt.portal.link.event"
    _description = "Statement Link History"
    _order = "id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    kind = fields.Selection(
        [
            ("revoked", "Revoked by a New Link"),
            ("expired", "Replaced Once Out of Date"),
            ("fresh_sent", "Fresh Link Sent"),
        ],
        required=True,
        readonly=True,
    )
    key_hash = fields.Char(readonly=True, index="btree_not_null")

    @api.model
    def _was_key(self, partner, key):
        """Whether ``key`` was once the statement link key of ``partner``."""
        return bool(
            self.sudo().search_count(
                [
                    ("partner_id", "=", partner.id),
                    ("key_hash", "=", key_hash(key)),
                    ("kind", "in", ("revoked", "expired")),
                ],
                limit=1,
            )
        )

    @api.model
    def _fresh_links_sent(self, partner):
        """Fresh links mailed to ``partner`` in the last hour."""
        return self.sudo().search_count(
            [
                ("partner_id", "=", partner.id),
                ("kind", "=", "fresh_sent"),
                ("create_date", ">=", fields.Datetime.now() - timedelta(hours=1)),
            ]
        )
