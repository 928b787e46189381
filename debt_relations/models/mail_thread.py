from odoo import models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_compute_author(
        self, author_id=None, email_from=None, raise_on_email=True
    ):
        """A message collections send on behalf of the company (context
        ``debt_company_sender``) whose author has no address goes out from
        the company's sender (:meth:`res.company._debt_email_from`) instead
        of leaving the mail queue without one. The key only fills a missing
        sender, with the company's own."""
        if not self.env.context.get("debt_company_sender"):
            return super()._message_compute_author(
                author_id=author_id,
                email_from=email_from,
                raise_on_email=raise_on_email,
            )
        author_id, email_from = super()._message_compute_author(
            author_id=author_id, email_from=email_from, raise_on_email=False
        )
        return author_id, email_from or self.env.company._debt_email_from()
