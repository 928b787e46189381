from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class DebtRelationsCase(AccountTestInvoicingCommon):
    """A company with the shipped default policy and small factories.

    Mail is not delivered in tests: reminders are queued ``mail.mail`` records
    the tests inspect.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("debt_relations.group_debt_manager")
        cls.company = cls.env.company
        # A new company gets the shipped tiers and incentive rules (see
        # res.company._debt_ensure_defaults); tests make the ones they need.
        for model in ("debt.relationship.tier", "debt.incentive.rule"):
            cls.env[model].with_context(active_test=False).search(
                [("company_id", "=", cls.company.id)]
            ).unlink()
        cls.policy = cls.company.debt_policy_id
        stages = cls.policy._get_ladder_stages()
        (
            cls.stage_before,
            cls.stage_friendly,
            cls.stage_firm,
            cls.stage_formal,
            cls.stage_final,
            cls.stage_handoff,
        ) = stages
        cls.customer = cls._create_customer("Azure Interior")
        cls.today = date(2026, 3, 2)

    @classmethod
    def _create_customer(cls, name, email=True, **values):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "email": email and f"{name.lower().replace(' ', '.')}@example.com",
                **values,
            }
        )

    @classmethod
    def _create_invoice(cls, partner, due, amount=100.0, post=True, company=None):
        """A customer invoice of ``amount`` (no tax) due on ``due``."""
        company = company or cls.env.company
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": due - timedelta(days=30),
                    "invoice_date_due": due,
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Consulting",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [],
                            }
                        )
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, amount=None, pay_date=None):
        """Register a payment through Odoo's payment wizard."""
        ctx = {"active_model": "account.move", "active_ids": invoice.ids}
        values = {"payment_date": pay_date or invoice.invoice_date}
        if amount is not None:
            values["amount"] = amount
        return (
            cls.env["account.payment.register"]
            .with_context(**ctx)
            .create(values)
            ._create_payments()
        )

    def _run(self, as_of, company=None):
        """The run of ``as_of``, made on that day (time frozen to it), as the
        daily scheduled action makes it: a run dated before today is a replay."""
        with freeze_time(as_of):
            return self.env["debt.collection.run"]._run_collection(
                as_of=as_of, company=company
            )

    def _assert_run_queries_flat(self, build):
        """A run's query count does not grow with the ledger: ``build(count,
        prefix)`` adds ``count`` customers; runs over 10 and over 60 customers
        (after a warm-up run paying first-time costs) differ by a handful."""

        def count_queries(as_of):
            self.env.invalidate_all()
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self._run(as_of)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        build(2, "Warm-up")  # first-time costs: template compilation, caches
        count_queries(self.today - timedelta(days=1))
        build(10, "Small")
        small = count_queries(self.today)
        build(50, "Large")  # the customers before are recently contacted: skipped
        large = count_queries(self.today + timedelta(days=1))
        self.assertLessEqual(
            abs(large - small),
            8,
            f"10 customers: {small} queries, 60 customers: {large} queries",
        )

    def _mails(self, partner):
        """Reminder mails queued on the customer's chatter, oldest first."""
        return self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id)],
            order="id",
        )

    def _logs(self, partner, **domain):
        return self.env["debt.contact.log"].search(
            [("partner_id", "=", partner.id)]
            + [(key, "=", value) for key, value in domain.items()],
            order="id",
        )
