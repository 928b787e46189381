from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import email_normalize

from odoo.addons.debt_relations import fastpath

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestFastPath(DebtRelationsCase):
    """Each shortcut through Odoo's internals gives what Odoo's own path
    gives: a change in Odoo's stable branch fails here first."""

    def _customers_due(self, count):
        customers = [self._create_customer(f"Fast {index}") for index in range(count)]
        for index, customer in enumerate(customers):
            self._create_invoice(
                customer, self.today - timedelta(days=9 + index), 100.0 + index
            )
        return customers

    def test_message_body_written_once_equals_the_one_create_writes(self):
        values = {
            "subject": "Reminder",
            "body_html": "<p>Dear <b>customer</b>, invoice INV/1 is due.</p>"
            "<script>alert(1)</script>",
            "email_to": "someone@example.com",
            "model": "res.partner",
            "res_id": self.customer.id,
            "message_type": "email_outgoing",
        }
        fast = fastpath.create_mails(self.env, [dict(values)])
        with patch.object(fastpath, "ENABLED", False):
            slow = fastpath.create_mails(self.env, [dict(values)])
        self.env.invalidate_all()
        self.assertEqual(fast.mail_message_id.body, slow.mail_message_id.body)
        self.assertNotIn("<script>", str(fast.mail_message_id.body))
        self.assertEqual(fast.body_html, slow.body_html)

    def test_batch_compiled_body_equals_odoo_rendering(self):
        customers = self._customers_due(3)
        run = self.env["debt.collection.run"]._prepare_run(self.company, self.today)
        self.assertEqual(len(run.action_ids), len(customers))
        template = self.stage_friendly.mail_template_id
        batch = template.with_context(debt_render_batch=True)._render_field(
            "body_html", run.action_ids.ids
        )
        odoo = template._render_field("body_html", run.action_ids.ids)
        with patch.object(fastpath, "ENABLED", False):
            switched_off = template.with_context(debt_render_batch=True)._render_field(
                "body_html", run.action_ids.ids
            )
        self.assertEqual(batch, odoo)
        self.assertEqual(switched_off, odoo)

    def test_plain_email_check_agrees_with_odoo_normalisation(self):
        addresses = [
            "bench.customer07.1234@example.com",
            "Jane.Doe+Bills@Mail.Example.COM",
            "a_b-c@x-y.example.org",
            "x@localhost",
            "x@-bad.com",
            "x@bad-.com",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "@example.com",
            "a@",
            "a@b@c.com",
            "no at sign",
            "Jane Doe <jane@example.com>",
            '"jane"@example.com',
            "jane@example.com, john@example.com",
            "jane @example.com",
            "jané@example.com",
            "jane@exämple.com",
            "jane@" + "l" * 64 + ".com",
            "",
            False,
            None,
        ]
        for address in addresses:
            with self.subTest(address=address):
                odoo = bool(address and email_normalize(address))
                self.assertEqual(fastpath.email_valid(self.env, address), odoo)
                if fastpath.PLAIN_EMAIL.fullmatch(address or ""):
                    self.assertTrue(odoo, "a plain address is one Odoo accepts")
                with patch.object(fastpath, "ENABLED", False):
                    self.assertEqual(fastpath.email_valid(self.env, address), odoo)
