from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DebtHttpCase


@tagged("post_install", "-at_install")
class TestRunNow(DebtHttpCase):
    """ "Run now" as the runs list's header button, and what a run's date means."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._collections_user("debt_manager", "manager")
        cls.collector = cls._collections_user("debt_collector")

    def test_manager_presses_run_now_from_the_list(self):
        """The list's header button sends the selected ids (none): it works
        for a collections manager without administrator rights."""
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        self.assertFalse(self.manager.has_group("base.group_system"))
        result, error = self._press(
            self.manager, "debt.collection.run", "action_run_now", []
        )
        self.assertIsNone(error)
        run = self.env["debt.collection.run"].browse(result["res_id"])
        self.assertEqual((run.date, run.company_id), (self.today, self.company))
        self.assertEqual(run.action_ids.partner_id, self.customer)
        # Queued in the request; Sent once the mail queue delivered it.
        self.assertEqual(run.action_ids.state, "outgoing")
        self.assertEqual(len(self._mails(self.customer)), 1)
        self._deliver_mail()
        self.assertEqual(run.action_ids.state, "done")
        # Pressed with a run selected, too.
        _result, error = self._press(
            self.manager, "debt.collection.run", "action_run_now", run.ids
        )
        self.assertIsNone(error)
        self.assertEqual(len(self._mails(self.customer)), 1, "not contacted twice")

    def test_collector_cannot_start_a_run(self):
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        _result, error = self._press(
            self.collector, "debt.collection.run", "action_run_now", []
        )
        self.assertIn("Only collection managers", error["message"])
        self.assertFalse(
            self.env["debt.collection.run"].search([("date", "=", self.today)])
        )
        self.assertFalse(self._mails(self.customer))

    def test_second_run_now_picks_up_customers_due_since(self):
        first = self._create_invoice(self.customer, self.today - timedelta(days=10))
        Run = self.env["debt.collection.run"].with_user(self.manager)
        run = Run.browse(Run.action_run_now()["res_id"])
        self.assertEqual(run.action_ids.partner_id, self.customer)
        # Later that day: another customer's invoice is posted, overdue, and a
        # new invoice of the first customer too.
        late = self._create_customer("Lumber Inc")
        self._create_invoice(late, self.today - timedelta(days=12))
        self._create_invoice(self.customer, self.today - timedelta(days=15))
        again = Run.browse(Run.action_run_now()["res_id"])
        self._deliver_mail()
        self.assertEqual(again, run, "one run per company and day")
        self.assertEqual(run.action_ids.partner_id, self.customer | late)
        self.assertEqual(len(self._mails(self.customer)), 1, "never twice a day")
        self.assertEqual(len(self._mails(late)), 1)
        self.assertEqual(run.contact_count, 2)
        self.assertEqual(first.debt_last_contact_date, self.today)

    def test_run_in_the_future_is_refused(self):
        self._create_invoice(self.customer, self.today - timedelta(days=10))
        with self.assertRaisesRegex(UserError, "future"):
            self.env["debt.collection.run"]._run_collection(
                as_of=self.today + timedelta(days=1)
            )
        self.assertFalse(
            self.env["debt.collection.run"].search([("date", ">", self.today)])
        )
        self.assertFalse(self._mails(self.customer))

    def test_replay_decides_as_of_then_and_contacts_no_one(self):
        """A run dated in the past counts the ledger as it stood then (an
        invoice issued later is not there; a payment dated later is not yet
        counted) and contacts no one."""
        day = self.today - timedelta(days=20)
        old = self._create_invoice(self.customer, day - timedelta(days=10), 300.0)
        self._pay(old, amount=100.0, pay_date=day - timedelta(days=5))
        self._pay(old, amount=50.0, pay_date=day + timedelta(days=3))
        # Issued after the replayed day.
        self._create_invoice(self.customer, day + timedelta(days=40), 70.0)
        replay = self.env["debt.collection.run"]._run_collection(as_of=day)
        self.assertRecordValues(
            replay,
            [
                {
                    "replay": True,
                    "state": "done",
                    "invoice_count": 1,
                    "contact_count": 1,
                    "amount_chased": 200.0,
                }
            ],
        )
        self.assertFalse(replay.action_ids)
        self.assertFalse(self._mails(self.customer))
        self.assertFalse(self._logs(self.customer))
        self.assertFalse(old.debt_stage_id)
        self.assertFalse(self.customer.with_company(self.company).debt_stage_id)

    def test_run_title_uses_the_users_date_format(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        run = self.env["debt.collection.run"]._run_collection(as_of=self.today)
        self.assertEqual(run.name, "Collection run of 03/02/2026")
        self.assertEqual(
            run.with_context(lang="fr_FR").name,
            "Cycle de relance du 02/03/2026",
        )

    def test_contacts_logged_after_the_day_are_ignored(self):
        """A contact dated after a run's day does not silence the customer for
        that run (nor can one be logged in the future)."""
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        with freeze_time(self.today + timedelta(days=30)):
            self.env["debt.contact.log"].create(
                {
                    "partner_id": self.customer.id,
                    "summary": "Called",
                    "channel": "call",
                    "date": self.today + timedelta(days=30),
                }
            )
        self._run(self.today)
        self.assertEqual(len(self._mails(self.customer)), 1)
        self.assertEqual(invoice.debt_stage_id, self.stage_friendly)

    def test_reminder_carries_the_invoices_when_the_stage_says_so(self):
        invoice = self._create_invoice(self.customer, self.today - timedelta(days=10))
        self.stage_friendly.attach_invoice_pdf = True
        self._run(self.today)
        mail = self._mails(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertEqual(len(mail.attachment_ids), 1)
        self.assertEqual(
            (mail.attachment_ids.res_model, mail.attachment_ids.res_id),
            ("account.move", invoice.id),
        )

    def test_handed_off_invoices_are_left_to_the_mediator(self):
        """Once a file is handed over, its invoices are the mediator's; a new
        overdue invoice of the customer is reminded on its own rung, not at
        the hand-off's, and starts no other hand-off."""
        old = self._create_invoice(self.customer, self.today - timedelta(days=90))
        old.sudo().debt_stage_id = self.stage_handoff
        self.customer.with_company(
            self.company
        ).sudo().debt_stage_id = self.stage_handoff
        self._create_handoff(old)
        new = self._create_invoice(self.customer, self.today - timedelta(days=10))
        run = self._run(self.today)
        self.assertEqual(run.action_ids.stage_id, self.stage_friendly)
        self.assertEqual(run.action_ids.move_ids, new)
        self.assertEqual(old.debt_skip_reason, "handed_off")
        self.assertFalse(new.debt_skip_reason)
        # Everything settled: the customer starts again from the first rung.
        self._pay(old, pay_date=self.today)
        self._pay(new, pay_date=self.today)
        self._run(self.today + timedelta(days=1))
        self.assertFalse(self.customer.with_company(self.company).debt_stage_id)

    def test_credit_on_account_covering_the_debt_is_not_chased(self):
        """A credit note (or a payment) not yet matched with the invoice: the
        money is there, the customer is not reminded of it."""
        invoice = self._create_invoice(
            self.customer, self.today - timedelta(days=10), 300.0
        )
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.customer.id,
                "invoice_date": self.today - timedelta(days=5),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Returned",
                            "quantity": 1,
                            "price_unit": 300.0,
                            "tax_ids": [],
                        }
                    )
                ],
            }
        )
        refund.action_post()
        self.assertEqual(invoice.payment_state, "not_paid")
        run = self._run(self.today)
        self.assertFalse(run.action_ids)
        self.assertEqual(invoice.debt_skip_reason, "credit_on_account")
        self.assertFalse(self._mails(self.customer))
        # A smaller credit does not hide the rest that is owed.
        other = self._create_customer("Half Credit")
        self._create_invoice(other, self.today - timedelta(days=10), 300.0)
        half = refund.copy({"partner_id": other.id})
        half.invoice_line_ids.price_unit = 100.0
        half.action_post()
        self._run(self.today + timedelta(days=1))
        self.assertEqual(len(self._mails(other)), 1)
