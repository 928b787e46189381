from odoo import models

SENDER_KEY = "debt_company_sender"
"""Context key asking for the company's sender when the author has none (a
:class:`_CompanySender`, never a value a caller can send)."""


class _CompanySender:
    """Module-private: a JSON-RPC caller's context cannot hold one, so no
    caller posts as the company."""

    __slots__ = ()


_COMPANY_SENDER = _CompanySender()


def company_sender(records):
    """``records`` posting on behalf of the company: a message whose author
    has no address goes out from the company's sender."""
    return records.with_context(**{SENDER_KEY: _COMPANY_SENDER})


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_compute_author(
        self, author_id=None, email_from=None, raise_on_email=True
    ):
        """A message collections send on behalf of the company
        (:func:`company_sender`) whose author has no address goes out from
        the company's sender (:meth:`res.company._debt_email_from`) instead
        of leaving the mail queue without one."""
        if self.env.context.get(SENDER_KEY) is not _COMPANY_SENDER:
            return super()._message_compute_author(
                author_id=author_id,
                email_from=email_from,
                raise_on_email=raise_on_email,
            )
        author_id, email_from = super()._message_compute_author(
            author_id=author_id, email_from=email_from, raise_on_email=False
        )
        return author_id, email_from or self.env.company._debt_email_from()
