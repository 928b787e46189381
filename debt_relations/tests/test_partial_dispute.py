import re
from datetime import date, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .portal_common import DebtPortalCase


@tagged("post_install", "-at_install")
class TestPartialDispute(DebtPortalCase):
    """ "2 of 10 licences are wrong": a dispute names the part of the invoice
    it is about; the rest stays due, reminded and payable."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.licences = cls._create_invoice(cls.customer, date(2026, 2, 10), 6000.0)
        cls.reason = cls.env.ref("debt_relations.debt_dispute_reason_quality")

    def _text(self, response):
        return response.text.replace("\xa0", " ").replace("&nbsp;", " ")

    def _dispute(self, **values):
        return self.env["debt.dispute"].search(
            [("move_id", "=", self.licences.id), ("state", "=", "open")]
        )

    def _reminder(self, day=None):
        """The run of ``day`` (today), sent: its one action for the customer."""
        self._only_this_company_runs()
        self._run(day or self.today)
        action = self.env["debt.action"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(action), 1)
        self.assertEqual(action.state, "done")
        return action

    def _portal_dispute(self, **values):
        return self._post(
            "dispute",
            {
                "move_id": str(self.licences.id),
                "reason_id": str(self.reason.id),
                "description": "2 of the 10 licences were never activated.",
                **values,
            },
        )

    # ------------------------------------------------------------------
    # A collector records it
    # ------------------------------------------------------------------

    def test_collector_records_a_partial_dispute_from_the_invoice(self):
        action, error = self._press(
            self.collector,
            "account.move",
            "action_debt_record_dispute",
            self.licences.ids,
        )
        self.assertFalse(error, error)
        # The dialog opens on the invoice: the amount disputed starts at all
        # it owes, as the form's onchange shows it.
        defaults, error = self._call_kw(
            self.collector,
            "debt.dispute",
            "onchange",
            [[], {}, [], {"move_id": {}, "amount_disputed": {}}],
            {"context": action["context"]},
        )
        self.assertFalse(error, error)
        self.assertEqual(defaults["value"]["amount_disputed"], 6000.0)
        saved, error = self._call_kw(
            self.collector,
            "debt.dispute",
            "web_save",
            [
                [],
                {
                    "move_id": self.licences.id,
                    "reason": self.reason.id,
                    "description": "2 of 10 licences",
                    "amount_disputed": 1200.0,
                },
            ],
            {"specification": {"amount_disputed": {}}, "context": action["context"]},
        )
        self.assertFalse(error, error)
        dispute = self.env["debt.dispute"].browse(saved[0]["id"])
        self.assertRecordValues(
            dispute,
            [{"state": "open", "amount_disputed": 1200.0, "origin": "collector"}],
        )

        # The run reminds the rest: 4,800.00 of the licences, 300.00 overdue.
        reminder = self._reminder()
        self.assertEqual(reminder.move_ids, self.overdue | self.licences)
        self.assertAlmostEqual(reminder.amount_asked, 4800.0 + 300.0)
        self.assertEqual(self.licences.debt_stage_id, self.stage_friendly)
        body = self._mails(self.customer)[-1].body_html.replace("\xa0", " ")
        self.assertIn(self.licences.name, body)
        self.assertIn("4,800.00", body)
        self.assertNotIn("6,000.00", body)

        # The statement says which part is disputed, and lets the rest be paid.
        text = self._text(self._page())
        self.assertIn("1,200.00 disputed, $ 4,800.00 due", text)
        row = re.search(
            rf'data-invoice="{re.escape(self.licences.name)}".*?</tr>', text, re.S
        )[0]
        self.assertIn("o_debt_status_overdue", row)
        self.assertIn(f"move_id={self.licences.id}", row)

    def test_collector_cannot_dispute_more_than_is_owed(self):
        action, error = self._press(
            self.collector,
            "account.move",
            "action_debt_record_dispute",
            self.licences.ids,
        )
        self.assertFalse(error, error)
        for amount, message in (
            (6000.01, "more than the invoice still owes"),
            (0.0, "must be above zero"),
            (-5.0, "must be above zero"),
        ):
            with self.subTest(amount=amount):
                _saved, error = self._call_kw(
                    self.collector,
                    "debt.dispute",
                    "web_save",
                    [
                        [],
                        {
                            "move_id": self.licences.id,
                            "reason": self.reason.id,
                            "amount_disputed": amount,
                        },
                    ],
                    {"specification": {}, "context": action["context"]},
                )
                self.assertEqual(error["name"], "odoo.exceptions.ValidationError")
                self.assertIn(message, error["message"])
        self.assertFalse(self._dispute())
        # The same rule for any caller; at the currency's rounding.
        with self.assertRaises(ValidationError):
            self.env["debt.dispute"].create(
                {
                    "move_id": self.licences.id,
                    "reason": "pricing",
                    "amount_disputed": 6000.01,
                }
            )
        dispute = self.env["debt.dispute"].create(
            {
                "move_id": self.licences.id,
                "reason": "pricing",
                "amount_disputed": 6000.004,
            }
        )
        self.assertEqual(dispute.state, "open")

    # ------------------------------------------------------------------
    # The customer names it on the portal
    # ------------------------------------------------------------------

    def test_customer_disputes_a_part_on_the_portal(self):
        response = self._portal_dispute(amount_disputed="1200")
        self.assertEqual(response.status_code, 200, response.text[:500])
        dispute = self._dispute()
        self.assertRecordValues(
            dispute, [{"amount_disputed": 1200.0, "origin": "portal"}]
        )
        bodies = [
            str(body).replace("\xa0", " ").replace("&nbsp;", " ")
            for body in self.env["mail.message"]
            .search([("model", "=", "debt.dispute"), ("res_id", "=", dispute.id)])
            .mapped("body")
        ]
        self.assertTrue(
            any("disputes $ 1,200.00 of this invoice" in body for body in bodies),
            bodies,
        )
        text = self._text(response)
        self.assertIn("the rest of the invoice stays due", text)
        self.assertIn("1,200.00 disputed, $ 4,800.00 due", text)

        # Paying from the statement pays the part not disputed.
        pay = self._text(
            self.url_open(
                f"/collections/{self.customer.id}/pay?access_token={self.token}"
                f"&move_id={self.licences.id}"
            )
        )
        self.assertIn("4,800.00", pay)
        # (Paying it through its own transaction route: the phone tour.)
        # The overdue balance: 300.00 and the licences' 4,800.00.
        pay = self._text(
            self.url_open(
                f"/collections/{self.customer.id}/pay?access_token={self.token}"
            )
        )
        self.assertIn("5,100.00", pay)

        # The customer answered today: reminded the next day.
        reminder = self._reminder(self.today + timedelta(days=1))
        self.assertAlmostEqual(reminder.amount_asked, 5100.0)
        self.assertIn(self.licences, reminder.move_ids)

    def test_customer_cannot_dispute_more_than_is_owed(self):
        for amount, message in (
            ("7000", "more than what is owed"),
            ("0", "above zero"),
            ("lots", "above zero"),
        ):
            with self.subTest(amount=amount):
                response = self._portal_dispute(amount_disputed=amount)
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
        self.assertFalse(self._dispute())
        self.assertFalse(self._portal_logs())

    # ------------------------------------------------------------------
    # A dispute of the whole invoice, as before
    # ------------------------------------------------------------------

    def test_full_dispute_still_holds_the_invoice(self):
        response = self._portal_dispute()  # no amount: the whole invoice
        self.assertEqual(response.status_code, 200)
        dispute = self._dispute()
        self.assertEqual(dispute.amount_disputed, 6000.0)
        text = self._text(response)
        row = re.search(
            rf'data-invoice="{re.escape(self.licences.name)}".*?</tr>', text, re.S
        )[0]
        self.assertIn("o_debt_status_disputed", row)
        self.assertNotIn("o_debt_pay_invoice", row)
        self.assertNotIn(" disputed, ", text)

        reminder = self._reminder(self.today + timedelta(days=1))
        self.assertEqual(reminder.move_ids, self.overdue)
        self.assertAlmostEqual(reminder.amount_asked, 300.0)
        self.assertEqual(self.licences.debt_skip_reason, "disputed")

    def test_dispute_without_an_amount_holds_the_whole_invoice(self):
        """A dispute from before disputes named an amount (none stored) holds
        the whole invoice, as it did."""
        dispute = self.env["debt.dispute"].create(
            {"move_id": self.licences.id, "reason": "pricing"}
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE debt_dispute SET amount_disputed = NULL WHERE id = %s",
            [dispute.id],
        )
        self.env.invalidate_all()
        reminder = self._reminder()
        self.assertEqual(reminder.move_ids, self.overdue)
        self.assertEqual(self.licences.debt_skip_reason, "disputed")

    def test_payment_leaving_only_the_disputed_part_holds_the_invoice(self):
        self.env["debt.dispute"].create(
            {
                "move_id": self.licences.id,
                "reason": "pricing",
                "amount_disputed": 1200.0,
            }
        )
        self._pay(self.licences, 4800.0)
        reminder = self._reminder()
        self.assertEqual(reminder.move_ids, self.overdue)
        self.assertEqual(self.licences.debt_skip_reason, "disputed")
        text = self._text(self._page())
        row = re.search(
            rf'data-invoice="{re.escape(self.licences.name)}".*?</tr>', text, re.S
        )[0]
        self.assertIn("o_debt_status_disputed", row)
