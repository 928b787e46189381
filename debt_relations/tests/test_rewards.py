from datetime import date, timedelta

from odoo import Command
from odoo.tests import tagged

from .common import DebtRelationsCase


@tagged("post_install", "-at_install")
class TestRewards(DebtRelationsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["debt.incentive.rule"]
        cls.early_terms = cls.env.ref(
            "account.account_payment_term_30days_early_discount"
        )
        cls.reward_template = cls.env.ref("debt_relations.mail_template_debt_reward")

    def _partner(self, partner=None):
        return (partner or self.customer).with_company(self.company)

    def _paid_on_time(self, count, start=100, partner=None, days_late=0):
        """``count`` invoices due 10 days apart from ``start`` days ago, paid."""
        invoices = self.env["account.move"]
        for index in range(count):
            due = self.today - timedelta(days=start - 10 * index)
            invoice = self._create_invoice(partner or self.customer, due)
            self._pay(invoice, pay_date=due + timedelta(days=days_late))
            invoices |= invoice
        return invoices

    def _thanks_mails(self, partner=None):
        return self._mails(partner or self.customer).filtered(
            lambda m: "thank you" in (m.subject or "").lower()
        )

    # ------------------------------------------------------------------
    # Thank-you
    # ------------------------------------------------------------------

    def test_thank_you_with_rate_limit(self):
        self._thanks_rule(10)
        day = self.today
        first = self._create_invoice(self.customer, day + timedelta(days=5))
        second = self._create_invoice(self.customer, day + timedelta(days=30))
        third = self._create_invoice(self.customer, day + timedelta(days=40))
        late = self._create_invoice(self.customer, day + timedelta(days=12))

        self._pay(first, pay_date=day)
        self._run(day)
        mails = self._thanks_mails()
        self.assertEqual(len(mails), 1, "Settled on time: thanked")
        self.assertIn("Thank you for settling on time", mails.body_html)
        log = self._logs(self.customer)
        self.assertRecordValues(
            log,
            [
                {
                    "channel": "email",
                    "direction": "outbound",
                    "courtesy": True,
                    "date": day,
                    "message_id": mails.mail_message_id.id,
                }
            ],
        )
        self.assertEqual(self._partner().debt_thanked_on, day)

        self._pay(second, pay_date=day + timedelta(days=3))
        self._run(day + timedelta(days=3))
        self.assertEqual(len(self._thanks_mails()), 1, "At most one per 10 days")

        self._run(day + timedelta(days=11))
        self.assertEqual(len(self._thanks_mails()), 1, "No new payment: no thanks")

        self._pay(late, pay_date=day + timedelta(days=20))
        self._run(day + timedelta(days=20))
        self.assertEqual(len(self._thanks_mails()), 1, "Paid late: no thanks")

        self._pay(third, pay_date=day + timedelta(days=25))
        self._run(day + timedelta(days=25))
        self.assertEqual(len(self._thanks_mails()), 2, "Thanked again after 10 days")

    def test_thank_you_for_clearing_an_overdue_balance(self):
        self._thanks_rule()
        overdue = self._create_invoice(self.customer, self.today - timedelta(days=8))
        self._run(self.today)
        self.assertEqual(len(self._mails(self.customer)), 1, "The reminder")
        self.assertFalse(self._thanks_mails())
        self._pay(overdue, pay_date=self.today + timedelta(days=1))
        self._run(self.today + timedelta(days=1))
        self.assertEqual(len(self._thanks_mails()), 1)

    def test_no_thanks_while_something_is_overdue(self):
        self._thanks_rule()
        paid = self._create_invoice(self.customer, self.today + timedelta(days=5))
        self._create_invoice(self.customer, self.today - timedelta(days=2))
        self._pay(paid, pay_date=self.today - timedelta(days=1))
        self._run(self.today - timedelta(days=1))
        self.assertFalse(self._thanks_mails(), "Something overdue: no thanks yet")

    # ------------------------------------------------------------------
    # Streak rewards
    # ------------------------------------------------------------------

    def _term_rule(self):
        return self.Rule.create(
            {
                "name": "Early-payment terms",
                "kind": "payment_term",
                "streak_length": 3,
                "tolerance_days": 2,
                "renewal": "month",
                "payment_term_id": self.early_terms.id,
                "mail_template_id": self.reward_template.id,
            }
        )

    def test_streak_grants_payment_terms_then_revokes_on_renewal(self):
        rule = self._term_rule()
        self._paid_on_time(2, start=60)
        self._run(self.today)
        self.assertFalse(self._partner().debt_reward_ids, "Two in a row: not yet")

        self._paid_on_time(1, start=20, days_late=2)  # within the tolerance
        self._run(self.today + timedelta(days=1))
        reward = self._partner().debt_reward_ids
        self.assertRecordValues(
            reward,
            [
                {
                    "rule_id": rule.id,
                    "kind": "payment_term",
                    "state": "granted",
                    "date": self.today + timedelta(days=1),
                    "payment_term_id": self.early_terms.id,
                    "previous_payment_term_id": False,
                }
            ],
        )
        self.assertEqual(self._partner().property_payment_term_id, self.early_terms)
        self.assertEqual(self._partner().debt_reward_count, 1)
        granted_mail = self._mails(self.customer)[-1:]
        self.assertIn("Payment terms of future invoices", granted_mail.body_html)

        # An invoice issued while the reward lasts gets the early-payment terms.
        during = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": self.today + timedelta(days=2),
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "price_unit": 100.0})
                ],
            }
        )
        during.action_post()
        self.assertEqual(during.invoice_payment_term_id, self.early_terms)

        # Reminder templates mention what the customer keeps.
        reminded = self._create_invoice(self.customer, self.today + timedelta(days=5))
        self._run(self.today + timedelta(days=2))
        reminder = self._mails(self.customer)[-1:]
        self.assertIn("to keep your 2.0 % early-payment terms", reminder.body_html)
        # Never a day to pay by that has already passed.
        partner = self._partner()
        kept = partner._debt_kept_terms(reminded, self.today)
        self.assertEqual(kept["date"], reminded.invoice_date_due + timedelta(days=2))
        late_day = reminded.invoice_date_due + timedelta(days=3)
        self.assertFalse(partner._debt_kept_terms(reminded, late_day)["date"])
        self._pay(reminded, pay_date=self.today + timedelta(days=3))

        # Paid late past the tolerance: the streak ends, the terms end on the
        # first day of next month, announced now.
        late = self._create_invoice(self.customer, self.today - timedelta(days=5))
        day = date(2026, 3, 10)
        self._pay(late, pay_date=day)
        self._run(day)
        self.assertEqual(reward.state, "granted")
        self.assertEqual(reward.revoke_date, date(2026, 4, 1))
        self.assertEqual(self._partner().property_payment_term_id, self.early_terms)
        ending = self._mails(self.customer)[-1:]
        self.assertIn("Invoices already issued keep their terms", ending.body_html)

        self._run(date(2026, 3, 31))
        self.assertEqual(reward.state, "granted", "Never before the renewal date")
        self._run(date(2026, 4, 1))
        self.assertEqual(reward.state, "revoked")
        self.assertEqual(reward.date_revoked, date(2026, 4, 1))
        self.assertEqual(
            self._partner().debt_reward_count, 1, "Revoked rewards stay in history"
        )
        self.assertFalse(self._partner().property_payment_term_id)
        self.assertEqual(
            during.invoice_payment_term_id,
            self.early_terms,
            "Past invoices keep their terms",
        )

    def test_late_payment_ends_the_streak(self):
        self._term_rule()
        self._paid_on_time(2, start=80)
        self._paid_on_time(1, start=50, days_late=3)  # past the tolerance
        self._paid_on_time(2, start=40)
        self._run(self.today)
        self.assertFalse(self._partner().debt_reward_ids, "Only 2 since the late one")
        self._paid_on_time(1, start=10)
        self._run(self.today + timedelta(days=1))
        self.assertEqual(len(self._partner().debt_reward_ids), 1)

    def test_streak_grants_a_draft_credit_note(self):
        rule = self.Rule.create(
            {
                "name": "Loyalty credit",
                "kind": "credit",
                "streak_length": 3,
                "credit_amount": 50.0,
            }
        )
        self._paid_on_time(3)
        self._run(self.today)
        reward = self._partner().debt_reward_ids
        self.assertEqual(reward.kind, "credit")
        credit_note = reward.credit_note_id
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "draft",
                    "partner_id": self.customer.id,
                }
            ],
        )
        self.assertTrue(
            credit_note.currency_id.is_zero(credit_note.amount_total - 50.0)
        )
        # The same streak is not rewarded twice; a new streak of 3 is.
        self._run(self.today + timedelta(days=1))
        self.assertEqual(len(self._partner().debt_reward_ids), 1)
        self._paid_on_time(3, start=-10)
        self._run(self.today + timedelta(days=40))
        self.assertEqual(
            len(self._partner().debt_reward_ids.filtered(lambda r: r.rule_id == rule)),
            2,
        )
        # Revoked by hand: the draft credit note is cancelled, never posted.
        reward.action_revoke()
        self.assertEqual(reward.state, "revoked")
        self.assertEqual(credit_note.state, "cancel")

    def test_streak_grants_recognition_and_late_payment_ends_it(self):
        self.Rule.create(
            {
                "name": "Punctual payer",
                "kind": "recognition",
                "streak_length": 2,
                "mail_template_id": self.reward_template.id,
            }
        )
        self._paid_on_time(2)
        self._run(self.today)
        reward = self._partner().debt_reward_ids
        self.assertRecordValues(reward, [{"kind": "recognition", "state": "granted"}])
        self.assertIn("Punctual payer", self._mails(self.customer)[-1:].body_html)
        self._paid_on_time(1, start=-5, days_late=4)
        self._run(self.today + timedelta(days=10))
        self.assertEqual(reward.state, "revoked", "Recognition ends with the streak")
