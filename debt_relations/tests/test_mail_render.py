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

    def test_mail_body_sanitized_once_as_odoo_stores_it(self):
        """The chatter body is sanitized once, yet is exactly what Odoo's own
        create stores; the mail sent keeps the rendered HTML."""
        body = (
            '<div style="margin: 0px; color: red;" onclick="steal()">'
            "<p>Dear <b>customer</b>,</p><script>alert(1)</script>"
            '<table><tr><td style="padding: 4px 8px;">INV/1</td></tr></table></div>'
        )
        mail = self.env["debt.action"]._create_mails([self._mail_values(body)])
        odoo = self.env["mail.mail"].create(dict(self._mail_values(body), body=body))
        self.env.invalidate_all()
        self.assertEqual(mail.mail_message_id.body, odoo.mail_message_id.body)
        self.assertEqual(mail.body, odoo.body)
        self.assertNotIn("<script", mail.mail_message_id.body)
        self.assertNotIn("onclick", mail.mail_message_id.body)
        self.assertIn("INV/1", mail.mail_message_id.body)
        self.assertEqual(mail.body_html, body)
        self.assertEqual(mail.mail_message_id.model, "res.partner")
        self.assertEqual(mail.mail_message_id.res_id, self.customer.id)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertEqual(mail.state, "outgoing")
        self.assertIn(mail.mail_message_id, self.customer.message_ids)

    def test_mail_body_with_embedded_image_keeps_odoo_handling(self):
        image = (
            '<p>Logo <img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB'
            'CAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==" '
            'data-filename="logo.png"></p>'
        )
        mail = self.env["debt.action"]._create_mails([self._mail_values(image)])
        self.assertEqual(mail.mail_message_id.attachment_ids.name, "logo.png")
        self.assertIn("/web/image/", mail.mail_message_id.body)
        self.assertNotIn("base64", mail.mail_message_id.body)

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
