from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import safe_eval

from odoo.addons.debt_relations import fastpath
from odoo.addons.mail.models.models import BaseModel as MailBaseModel

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestMailRender(DebtRelationsCase):
    """A batch of reminders is rendered from a body compiled once: every
    customer still gets exactly the body Odoo's own rendering gives it."""

    def test_batch_rendering_matches_odoo_rendering(self):
        other = self._create_customer("Deco Addict", lang="en_US")
        overdue = self.today - timedelta(days=9)
        own = self._create_invoice(self.customer, overdue, 120.0)
        theirs = self._create_invoice(other, overdue - timedelta(days=2), 480.0)
        soon = self._create_invoice(other, self.today + timedelta(days=3), 75.0)
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        actions = run.action_ids.sorted("id")
        self.assertEqual(actions.partner_id, self.customer | other)
        for template in (
            self.stage_friendly.mail_template_id,
            self.stage_firm.mail_template_id,
            self.stage_formal.mail_template_id,
        ):
            odoo = template._render_field("body_html", actions.ids)
            batch = fastpath.render_batch(template)._render_field(
                "body_html", actions.ids
            )
            self.assertEqual(batch, odoo, template.name)
        bodies = fastpath.render_batch(
            self.stage_friendly.mail_template_id
        )._render_field("body_html", actions.ids)
        mine = bodies[actions.filtered(lambda a: a.partner_id == self.customer).id]
        yours = bodies[actions.filtered(lambda a: a.partner_id == other).id]
        self.assertIn(own.name, mine)
        self.assertNotIn(theirs.name, mine)
        self.assertIn(theirs.name, yours)
        self.assertIn(soon.name, yours)
        self.assertNotIn(own.name, yours)

    def _mail_values(self, body):
        return {
            "subject": "Reminder",
            "body_html": body,
            "email_from": "collections@example.com",
            "model": "res.partner",
            "res_id": self.customer.id,
            "recipient_ids": [(4, self.customer.id)],
            "message_type": "email_outgoing",
            "subtype_id": self.env.ref("mail.mt_note").id,
            "auto_delete": False,
            "reply_to": False,
        }

    def test_plain_field_paths_read_without_evaluating_code(self):
        """Subject, recipient and language of the reminders are plain field
        paths Odoo reads without ``safe_eval``: the same text as evaluating them."""
        self.env["res.lang"]._activate_lang("fr_FR")
        other = self._create_customer("Deco Addict", lang="fr_FR")
        self._create_invoice(self.customer, self.today - timedelta(days=9))
        self._create_invoice(other, self.today - timedelta(days=9))
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        actions = run.action_ids.sorted("id")
        template = self.stage_friendly.mail_template_id
        fields = ("subject", "partner_to", "lang")
        evaluations = []
        real_safe_eval = safe_eval.safe_eval

        def counted(expr, *args, **kwargs):
            evaluations.append(expr)
            return real_safe_eval(expr, *args, **kwargs)

        with patch.object(safe_eval, "safe_eval", counted):
            read = {name: template._render_field(name, actions.ids) for name in fields}
        self.assertEqual(evaluations, [])
        base = MailBaseModel.mail_allowed_qweb_expressions
        Action = type(self.env["debt.action"])
        with patch.object(Action, "mail_allowed_qweb_expressions", base):
            with patch.object(safe_eval, "safe_eval", counted):
                evaluated = {
                    name: template._render_field(name, actions.ids) for name in fields
                }
        self.assertEqual(len(evaluations), len(fields) * len(actions))
        self.assertEqual(read, evaluated)
        first, second = actions
        self.assertEqual(
            read["subject"][first.id],
            f"{self.company.name}: a friendly reminder about your invoices",
        )
        self.assertEqual(read["partner_to"][second.id], str(other.id))
        self.assertEqual(read["lang"][second.id], "fr_FR")

    def test_reminder_full_text_kept_once_short_note_on_the_chatter(self):
        """Through the sending pipeline: the mail carries the rendered text in
        the company's layout, the contact log keeps it once (sanitised as
        Odoo sanitises it), and the chatter holds a short note linking to the
        log entry, not the text."""
        self._create_invoice(self.customer, self.today - timedelta(days=9), 321.0)
        self._run(self.today)
        log = self._logs(self.customer)
        mail = log.mail_id
        self.assertEqual(len(log), 1)
        self.assertEqual(log.channel, "email")
        self.assertIn("we hope all is well", str(log.body).lower())
        self.assertIn("321", str(log.body))
        # Sanitised with the field's own rules: what Odoo's create stores.
        Log = self.env["debt.contact.log"]
        self.assertEqual(
            str(log.body),
            str(Log._fields["body"].convert_to_column(str(log.body), Log)),
        )
        self.assertIn("o_debt_mail_layout", mail.body_html)
        self.assertIn("321", mail.body_html)
        note = str(mail.mail_message_id.body)
        self.assertIn(f'href="/odoo/debt.contact.log/{log.id}"', note)
        self.assertIn(self.stage_friendly.name, note)
        self.assertIn("Email", note)
        self.assertNotIn("we hope all is well", note.lower())
        self.assertLess(len(note), 600)
        self.assertEqual(mail.mail_message_id.model, "res.partner")
        self.assertEqual(mail.mail_message_id.res_id, self.customer.id)
        self.assertEqual(log.message_id, mail.mail_message_id)
        self.assertIn(mail.mail_message_id, self.customer.message_ids)

    def test_script_in_a_rendered_body_is_not_kept_by_the_log(self):
        """A template edited to hold a script: the mail is what the template
        says; the contact log's copy is sanitised."""
        template = self.stage_friendly.mail_template_id
        # As an admin may write it, past the editor (the field is raw QWeb).
        self.env.cr.execute(
            "UPDATE mail_template SET body_html = jsonb_build_object('en_US', %s) "
            "WHERE id = %s",
            [
                '<div><p onclick="steal()">Dear customer</p>'
                "<script>alert(1)</script><p>INV</p></div>",
                template.id,
            ],
        )
        template.invalidate_recordset(["body_html"])
        self._create_invoice(self.customer, self.today - timedelta(days=9))
        self._run(self.today)
        log = self._logs(self.customer)
        self.assertIn("Dear customer", str(log.body))
        self.assertNotIn("<script", str(log.body))
        self.assertNotIn("onclick", str(log.body))
        self.assertNotIn("<script", str(log.mail_id.mail_message_id.body))

    def test_replies_to_a_reminder_reach_the_customer_chatter(self):
        """Without a Reply-To in the template, the reminder gets the one Odoo
        gives messages on the customer: the company's catchall alias."""
        self.company.alias_domain_id = self.env["mail.alias.domain"].create(
            {"name": "collections.example.com", "catchall_alias": "catchall"}
        )
        self.assertFalse(self.stage_friendly.mail_template_id.reply_to)
        self._create_invoice(self.customer, self.today - timedelta(days=9))
        self._run(self.today)
        [mail] = self._mails(self.customer)
        expected = self.customer._notify_get_reply_to(default=mail.email_from)
        self.assertEqual(mail.reply_to, expected[self.customer.id])
        self.assertIn("catchall@collections.example.com", mail.reply_to)
