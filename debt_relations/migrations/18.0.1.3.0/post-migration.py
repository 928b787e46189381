"""18.0.1.3.0: a reminder is *Sent* once delivered; what it asked is kept;
collections mail has a sender on any database.

- Actions whose email still waits in the mail queue were marked *Sent*
  (``done``) when queued: they become *Queued* (``outgoing``), and *Sent* when
  the mail server takes them.
- ``amount_asked``: what a reminder asked for, from the invoices its contact
  log entry kept (the open amounts of the day it was sent).
- The shipped templates' sender (``email_from``), when left as shipped, is the
  company's sender with its fallbacks (``res.company._debt_email_from``).
"""

from odoo.tools import SQL

OLD_SENDERS = {
    "{{ (object.company_id.email_formatted or user.email_formatted) }}": (
        "{{ object.company_id._debt_email_from() }}"
    ),
    "{{ (user.env.company.email_formatted or user.email_formatted) }}": (
        "{{ user.env.company._debt_email_from() }}"
    ),
}


def migrate(cr, version):
    cr.execute(
        SQL(
            """
        UPDATE debt_action
           SET state = 'outgoing'
         WHERE state = 'done'
           AND delivery_state = 'queued'
           AND NOT COALESCE(stages_moved, FALSE)
            """
        )
    )
    cr.execute(
        SQL(
            """
        UPDATE debt_action a
           SET amount_asked = s.amount
          FROM (SELECT DISTINCT ON (l.action_id) l.action_id,
                       (SELECT SUM((e ->> 'residual')::numeric)
                          FROM jsonb_array_elements(l.invoice_snapshot) e) AS amount
                  FROM debt_contact_log l
                 WHERE l.action_id IS NOT NULL
                   AND jsonb_typeof(l.invoice_snapshot) = 'array'
              ORDER BY l.action_id, l.id) s
         WHERE a.id = s.action_id
           AND COALESCE(a.amount_asked, 0) = 0
           AND s.amount IS NOT NULL
            """
        )
    )
    for old, new in OLD_SENDERS.items():
        cr.execute(
            SQL(
                """
            UPDATE mail_template t
               SET email_from = %(new)s
              FROM ir_model_data d
             WHERE d.model = 'mail.template'
               AND d.module = 'debt_relations'
               AND d.res_id = t.id
               AND t.email_from = %(old)s
                """,
                new=new,
                old=old,
            )
        )
