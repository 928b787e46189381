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

    def _message_route_process(self, message, message_dict, routes):
        """An email the mail gateway files as an answer to a collection
        message (a reminder on the customer's chatter, an agreement's or an
        instalment's notice) is the customer answering: logged, given to its
        collector, and, unless a machine sent it, pausing the reminders (see
        ``debt.contact.governor._record_reply``)."""
        parent_id = message_dict.get("parent_id")
        headers = {key: str(value) for key, value in message.items()}
        thread_id = super()._message_route_process(message, message_dict, routes)
        if parent_id and routes:
            Message = self.env["mail.message"].sudo()
            reply = Message.search(
                [
                    ("message_id", "=", message_dict.get("message_id")),
                    ("message_type", "=", "email"),
                ],
                limit=1,
                order="id desc",
            )
            self.env["debt.contact.governor"]._record_reply(
                Message.browse(parent_id), reply, headers
            )
        return thread_id
