from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DebtRelationsCase, load_migration


@tagged("post_install", "-at_install")
class TestRelationshipFigures(DebtRelationsCase):
    """The relationship figures of March 2026 on a small ledger worked out by
    hand (amounts without tax, invoice date = due date - 30 days):

    ====  ========  ======  ==========  ===========  =====================
    inv   customer  amount  invoiced    due          paid / contacts
    ====  ========  ======  ==========  ===========  =====================
    A1    Alder     1000    16 Jan      15 Feb       10 Mar; firm email 2 Mar
    A2    Alder      500    31 Mar      30 Apr       open
    B1    Birch     2000    21 Jan      20 Feb       20 Mar; formal letter 5 Mar
    C1    Cedar      600    18 Feb      20 Mar       open; friendly email 25 Mar
    C2    Cedar      300    16 Mar      15 Apr       open
    ====  ========  ======  ==========  ===========  =====================

    - Receivables at 28 Feb: A1 + B1 + C1 = 3600; at 31 Mar: A2 + C1 + C2 =
      1400, of which not yet due A2 + C2 = 800. March sales: A2 + C2 = 800.
    - CEI = (3600 + 800 - 1400) / (3600 + 800 - 800) = 3000 / 3600 = 0.8333.
    - DSO (countback from 31 Mar): March's 800 of sales covers 800 of the
      1400 (31 days), February's 600 (C1) the last 600: 28 days; DSO 59.
      Best possible DSO: the 800 not due is March's 800 of sales: 31 days.
      ADD = 59 - 31 = 28.
    - Promises due in March: Alder's kept (5 Mar), Cedar's broken (25 Mar);
      Birch's (10 Apr) is outside: 1 / 2.
    - Plans ended in March: Birch's completed (15 Mar), Cedar's broken
      (28 Mar); Alder's broken on 10 Feb is outside: 1 / 2.
    - Settled overdue in March: Alder (A1, firm), Birch (B1, formal):
      escalation depth firm 1/2, formal 1/2. Both escalated; Alder invoiced
      again 21 days after settling (A2), Birch not within 90 days (over on
      18 Jun, before today, 1 Jul): retained 1 / 2.
    - Disputes: one on C1, opened 22 Mar, resolved 30 Mar: 8 days; one
      dispute for the two invoices issued in March: 0.5.
    - Collected in March: 1000 + 2000 = 3000; outbound contacts in March:
      two emails, one letter.
    - Overdue on 31 Mar: C1, 600.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        stages = cls.policy.stage_ids
        cls.firm = stages.filtered(lambda s: s.tone == "firm")[:1]
        cls.formal = stages.filtered(lambda s: s.tone == "formal")[:1]
        cls.friendly = stages.filtered(lambda s: s.tone == "friendly")[:1]
        cls.alder = cls._create_customer("Alder")
        cls.birch = cls._create_customer("Birch")
        cls.cedar = cls._create_customer("Cedar")
        cls.a1 = cls._create_invoice(cls.alder, date(2026, 2, 15), 1000)
        cls.a2 = cls._create_invoice(cls.alder, date(2026, 4, 30), 500)
        cls.b1 = cls._create_invoice(cls.birch, date(2026, 2, 20), 2000)
        cls.c1 = cls._create_invoice(cls.cedar, date(2026, 3, 20), 600)
        cls.c2 = cls._create_invoice(cls.cedar, date(2026, 4, 15), 300)
        with freeze_time("2026-02-25"):
            cls._record_agreements()
        cls._record_contacts()
        cls._pay(cls.a1, pay_date=date(2026, 3, 10))
        cls._pay(cls.b1, pay_date=date(2026, 3, 20))
        cls.customers = (cls.alder | cls.birch | cls.cedar).ids

    @classmethod
    def _record_agreements(cls):
        Promise = cls.env["debt.promise"].sudo()
        for partner, invoice, day, state in (
            (cls.alder, cls.a1, date(2026, 3, 5), "kept"),
            (cls.cedar, cls.c1, date(2026, 3, 25), "broken"),
            (cls.birch, cls.b1, date(2026, 4, 10), "kept"),
        ):
            promise = Promise.create(
                {
                    "partner_id": partner.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "date_promised": day,
                    "amount": invoice.amount_residual,
                }
            )
            promise.write({"state": state})
        for partner, invoices, values in (
            (cls.birch, cls.b1, {"state": "completed", "date_done": date(2026, 3, 15)}),
            (cls.cedar, cls.c1, {"state": "broken", "date_broken": date(2026, 3, 28)}),
            (cls.alder, cls.a1, {"state": "broken", "date_broken": date(2026, 2, 10)}),
        ):
            plan = cls.env["debt.payment.plan"].create(
                {
                    "partner_id": partner.id,
                    "move_ids": [Command.set(invoices.ids)],
                    "installment_ids": [
                        Command.create(
                            {
                                "date_due": date(2026, 3, 1),
                                "amount": invoices.amount_residual,
                            }
                        )
                    ],
                }
            )
            plan.sudo().write(values)

    @classmethod
    def _record_contacts(cls):
        with freeze_time("2026-03-22"):
            dispute = cls.env["debt.dispute"].create(
                {
                    "move_id": cls.c1.id,
                    "reason": cls.env.ref(
                        "debt_relations.debt_dispute_reason_pricing"
                    ).id,
                    "date": date(2026, 3, 22),
                }
            )
        dispute.sudo().write({"state": "resolved", "date_done": date(2026, 3, 30)})
        Log = cls.env["debt.contact.log"].sudo()
        for partner, invoice, day, channel, stage in (
            (cls.alder, cls.a1, date(2026, 3, 2), "email", cls.firm),
            (cls.birch, cls.b1, date(2026, 3, 5), "letter", cls.formal),
            (cls.cedar, cls.c1, date(2026, 3, 25), "email", cls.friendly),
        ):
            with freeze_time(day):
                Log.create(
                    {
                        "partner_id": partner.id,
                        "move_ids": [Command.set(invoice.ids)],
                        "date": day,
                        "channel": channel,
                        "stage_id": stage.id,
                        "summary": f"{stage.name} about {invoice.name}",
                    }
                )

    def _figures(self, partner_ids=None):
        with freeze_time("2026-07-01"):
            return self.company._debt_relationship_figures(
                date(2026, 3, 1),
                date(2026, 3, 31),
                self.customers if partner_ids is None else partner_ids,
            )

    def test_ledger_figures(self):
        figures = self._figures()
        self.assertAlmostEqual(figures["cei"], 3000 / 3600)
        self.assertAlmostEqual(figures["dso"], 59.0)
        self.assertAlmostEqual(figures["add"], 28.0)

    def test_agreement_figures(self):
        figures = self._figures()
        self.assertEqual(figures["promise_kept_rate"], 0.5)
        self.assertEqual(figures["plan_completion_rate"], 0.5)

    def test_escalation_and_retention(self):
        figures = self._figures()
        self.assertEqual(figures["retained_after_collection"], 0.5)
        depth = figures["escalation_depth"]
        self.assertEqual((depth["firm"], depth["formal"]), (0.5, 0.5))
        self.assertEqual(depth["none"] + depth["friendly"] + depth["final"], 0)
        # Within Birch's 90 days (on 1 May), only Alder counts: retained 1 / 1.
        with freeze_time("2026-05-01"):
            early = self.company._debt_relationship_figures(
                date(2026, 3, 1), date(2026, 3, 31), self.customers
            )
        self.assertEqual(early["retained_after_collection"], 1.0)

    def test_disputes_cost_and_ageing(self):
        figures = self._figures()
        reason = self.env.ref("debt_relations.debt_dispute_reason_pricing")
        self.assertEqual(figures["dispute_rate"], {reason.display_name: 0.5})
        self.assertEqual(figures["dispute_days_to_resolve"], 8.0)
        cost = figures["contacts_per_collected"]
        self.assertAlmostEqual(cost["email"], 2 / 3000)
        self.assertAlmostEqual(cost["letter"], 1 / 3000)
        self.assertAlmostEqual(sum(figures["overdue_by_rung"].values()), 600)

    def test_nothing_qualifies_gives_none(self):
        figures = self._figures(partner_ids=[])
        for key in (
            "dso",
            "cei",
            "add",
            "promise_kept_rate",
            "plan_completion_rate",
            "retained_after_collection",
        ):
            self.assertIsNone(figures[key], key)

    def test_migration_dates_plans_completed_before(self):
        plan = self.env["debt.payment.plan"].search(
            [("partner_id", "=", self.birch.id), ("state", "=", "completed")]
        )
        self.env.cr.execute(
            "UPDATE debt_payment_plan SET date_done = NULL, date_checked = NULL"
            " WHERE id = %s",
            [plan.id],
        )
        load_migration("18.0.1.4.0", "post-plan_date_done.py").migrate(
            self.env.cr, "18.0.1.3.0"
        )
        plan.invalidate_recordset()
        self.assertEqual(plan.date_done, date(2026, 3, 1), "its last instalment")
