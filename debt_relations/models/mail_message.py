from odoo import models
from odoo.tools import SQL


class MailMessage(models.Model):
    _inherit = "mail.message"

    def unlink(self):
        """A contact log entry forgets the mails of deleted messages first.

        Deleting a message deletes its mails (cascade) and clears the log
        entries' message (set null) in one statement; PostgreSQL fires those
        two actions in the order of its triggers' names, and an entry written
        in the same transaction is checked again after the first: its mail,
        already gone, would refuse the delete. Clearing it here makes the
        order irrelevant.
        """
        if self.ids:
            self.env["debt.contact.log"].flush_model(["mail_id"])
            self.env["mail.mail"].flush_model(["mail_message_id"])
            self.env.execute_query(
                SQL(
                    "UPDATE debt_contact_log SET mail_id = NULL "
                    "WHERE mail_id IN (SELECT id FROM mail_mail "
                    "WHERE mail_message_id = ANY(%s))",
                    list(self.ids),
                )
            )
            self.env["debt.contact.log"].invalidate_model(["mail_id"])
        return super().unlink()
