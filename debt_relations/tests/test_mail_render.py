from datetime import timedelta

from odoo.tests import tagged

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
        run = self.env["debt.collection.run"]._prepare_run(self.today, self.company)
        actions = run.action_ids.sorted("id")
        self.assertEqual(actions.partner_id, self.customer | other)
        for template in (
            self.stage_friendly.mail_template_id,
            self.stage_firm.mail_template_id,
            self.stage_formal.mail_template_id,
        ):
            odoo = template._render_field("body_html", actions.ids)
            batch = template.with_context(debt_render_batch=True)._render_field(
                "body_html", actions.ids
            )
            self.assertEqual(batch, odoo, template.name)
        bodies = self.stage_friendly.mail_template_id.with_context(
            debt_render_batch=True
        )._render_field("body_html", actions.ids)
        mine = bodies[actions.filtered(lambda a: a.partner_id == self.customer).id]
        yours = bodies[actions.filtered(lambda a: a.partner_id == other).id]
        self.assertIn(own.name, mine)
        self.assertNotIn(theirs.name, mine)
        self.assertIn(theirs.name, yours)
        self.assertIn(soon.name, yours)
        self.assertNotIn(own.name, yours)
