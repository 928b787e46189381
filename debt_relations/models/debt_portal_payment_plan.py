from odoo import models


class DebtPaymentPlan(models.Model):
    """A plan agreed from the portal is confirmed with its written agreement."""

    _inherit = "debt.payment.plan"

    def _debt_portal_send_agreement(self, note=None):
        template = self.env.ref("debt_relations.mail_template_debt_portal_plan_signed")
        for plan in self:
            message = plan._debt_notify_customer(template)
            plan._debt_log(
                self.env._(
                    "Payment plan %(plan)s confirmed in writing", plan=plan.name
                ),
                message=message,
                outcome=note or False,
            )
