"""Completed payment plans get the day they were completed (``date_done``,
new): the day the run last checked them, else their last instalment's due
date."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """UPDATE debt_payment_plan p
              SET date_done = COALESCE(
                      p.date_checked,
                      (SELECT MAX(i.date_due)
                         FROM debt_payment_plan_installment i
                        WHERE i.plan_id = p.id))
            WHERE p.state = 'completed' AND p.date_done IS NULL"""
    )
