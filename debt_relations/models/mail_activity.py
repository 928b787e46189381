from odoo import models

from .mail_thread import company_sender


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def action_notify(self):
        """The assignment notices of collections' to-dos (on the addon's
        records and customers) have a sender even when the person who caused
        them has no address (a customer on the portal, a user without an
        email): the company's."""
        ours = self.filtered(lambda a: a._debt_is_collections())
        for company, activities in ours.grouped(
            lambda a: a._debt_company() or self.env.company
        ).items():
            super(
                MailActivity,
                company_sender(activities.with_company(company)),
            ).action_notify()
        return super(MailActivity, self - ours).action_notify()

    def _action_done(self, feedback=False, attachment_ids=None):
        """A collection call's to-do done: its contact log entry is
        delivered (before Odoo deletes the to-do)."""
        self._debt_call_logs()._call_made()
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def unlink(self):
        """A collection call's to-do deleted before it was done: its entry
        says the call was cancelled."""
        logs = self._debt_call_logs()
        result = super().unlink()
        logs._call_cancelled()
        return result

    def _debt_call_logs(self):
        """The call entries still waiting for these to-dos."""
        if not self.ids:
            return self.env["debt.contact.log"]
        # sudo: delivery is bookkeeping of the log, whoever marks the to-do.
        return (
            self.env["debt.contact.log"]
            .sudo()
            .search(
                [("activity_id", "in", self.ids), ("delivery_state", "=", "queued")]
            )
        )

    def _debt_is_collections(self):
        self.ensure_one()
        xmlid = self.activity_type_id.get_external_id().get(
            self.activity_type_id.id, ""
        )
        return (self.res_model or "").startswith("debt.") or xmlid.startswith(
            "debt_relations."
        )

    def _debt_company(self):
        """The company of the record the activity is on, when it has one."""
        self.ensure_one()
        record = (
            self.env[self.res_model].browse(self.res_id) if self.res_model else None
        )
        if record is not None and "company_id" in record._fields:
            # sudo: the company of the record, read to choose the sender.
            return record.sudo().company_id
        return None
