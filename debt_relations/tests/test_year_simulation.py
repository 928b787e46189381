"""A year of daily collection runs over a small, seeded ledger.

Customers get monthly invoices and pay them on time, late or very late (some
in two parts); one makes a promise and breaks it, one disputes an invoice, one
agrees a payment plan, one is paused for a while and one asks not to be
contacted. Each day's run is made on its own day (``_run`` freezes time to it)
and every contact it produces is checked against the ladder's promises:

* tone never falls back: an overdue reminder is sent at least at the highest
  rung any invoice it lists had already reached, and at least at the previous
  overdue reminder's rung unless the customer settled everything in between;
* it rises at most one rung between two consecutive overdue reminders;
* a note before due lists only invoices not yet due;
* never a paid invoice, never one held by a plan, promise or dispute, never a
  paused or do-not-contact customer;
* never two reminders to a customer the same day, and each stage's minimum gap
  since the previous contact is respected.
"""

import random
from collections import Counter, defaultdict
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DebtRelationsCase

OPEN_STATES = ("not_paid", "partial")

# Days between the due date and the payment, by kind of payer.
PAYERS = {
    "punctual": (-12, 2),
    "late": (5, 35),
    "very_late": (25, 80),
}


@tagged("post_install", "-at_install")
class TestYearSimulation(DebtRelationsCase):
    SEED = 20250106
    START = date(2025, 1, 6)
    DAYS = 365

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ladder = cls.policy._get_ladder_stages()
        cls.rank = {stage.id: index for index, stage in enumerate(cls.ladder)}
        cls.first_overdue = min(
            index for index, stage in enumerate(cls.ladder) if stage.offset_days >= 0
        )

    # ------------------------------------------------------------------
    # The ledger
    # ------------------------------------------------------------------

    def _build_customers(self, rng):
        kinds = ["punctual"] * 3 + ["late"] * 5 + ["very_late"] * 4
        self.customers = []
        for number, kind in enumerate(kinds, start=1):
            partner = self._create_customer(f"Sim {number:02d} {kind}")
            self.customers.append(
                {
                    "partner": partner,
                    "kind": kind,
                    "day": rng.randint(1, 28),
                    "split": rng.random() < 0.3 and kind != "punctual",
                }
            )
        late = [c for c in self.customers if c["kind"] == "late"]
        very_late = [c for c in self.customers if c["kind"] == "very_late"]
        self.promiser, self.disputer, self.silenced = late[:3]
        self.planner, self.paused = very_late[:2]

    def _schedule_payments(self, rng, customer, invoice):
        """Book the days this invoice will be paid on, as its payer does."""
        low, high = PAYERS[customer["kind"]]
        due = invoice.invoice_date_due
        pay_day = max(due + timedelta(days=rng.randint(low, high)), self.first_day)
        if customer["split"] and rng.random() < 0.5:
            half = round(invoice.amount_total / 2, 2)
            early = max(pay_day - timedelta(days=rng.randint(4, 15)), self.first_day)
            self.payments[early].append((invoice, half))
        self.payments[pay_day].append((invoice, None))

    def _new_invoice(self, rng, customer, due):
        amount = rng.choice([120.0, 260.0, 480.0, 950.0, 1700.0])
        invoice = self._create_invoice(customer["partner"], due, amount)
        self.invoices |= invoice
        self._schedule_payments(rng, customer, invoice)
        return invoice

    def _unschedule(self, invoices):
        for planned in self.payments.values():
            planned[:] = [
                (inv, amount) for inv, amount in planned if inv not in invoices
            ]

    def _pay_due(self, day):
        for invoice, amount in self.payments.pop(day, []):
            if invoice.payment_state not in OPEN_STATES:
                continue
            if (
                amount is not None
                and invoice.currency_id.compare_amounts(amount, invoice.amount_residual)
                >= 0
            ):
                amount = None
            self._pay(invoice, amount=amount, pay_date=day)

    def _overdue_open(self, partner, day):
        return self.invoices.filtered(
            lambda m: (
                m.partner_id == partner
                and m.payment_state in OPEN_STATES
                and m.invoice_date_due < day
                and m not in self.held
            )
        )

    # ------------------------------------------------------------------
    # What happens to the customers, day by day
    # ------------------------------------------------------------------

    def _events(self, rng, index, day):
        for customer in self.customers:
            if day.day == customer["day"]:
                self._new_invoice(rng, customer, day + timedelta(days=30))
        self._pay_due(day)
        self._agreements(index, day)
        if index == 100:
            self.paused["partner"].write(
                {
                    "debt_paused_until": day + timedelta(days=40),
                    "debt_pause_reason": "Owner in hospital",
                }
            )
            self.events["paused"] = day
        if index == 150:
            self.silenced["partner"].debt_do_not_contact = True
            self.events["do_not_contact"] = day

    def _agreements(self, index, day):
        """A broken promise, a dispute rejected after a while, a payment plan."""
        if index >= 60 and "dispute" not in self.events:
            invoice = self._overdue_open(self.disputer["partner"], day)[:1]
            if invoice:
                self.dispute = self.env["debt.dispute"].create(
                    {
                        "move_id": invoice.id,
                        "reason": self.env.ref(
                            "debt_relations.debt_dispute_reason_pricing"
                        ).id,
                        "description": "The price is not the one quoted.",
                    }
                )
                self.held |= invoice
                self._unschedule(invoice)
                self.events["dispute"] = day
        if self.events.get("dispute") == day - timedelta(days=40):
            self.dispute.action_reject()
            self.held -= self.dispute.move_id
            self.payments[day + timedelta(days=25)].append((self.dispute.move_id, None))
            self.events["dispute_rejected"] = day

        if index >= 120 and "promise" not in self.events:
            invoices = self._overdue_open(self.promiser["partner"], day)
            if invoices:
                self.promise = self.env["debt.promise"].create(
                    {
                        "partner_id": self.promiser["partner"].id,
                        "move_ids": [Command.set(invoices.ids)],
                        "amount": sum(invoices.mapped("amount_residual")),
                        "date": day,
                        "date_promised": day + timedelta(days=10),
                    }
                )
                self.held |= invoices
                self._unschedule(invoices)
                self.events["promise"] = day
        promise = self.events.get("promise")
        if promise and "promise_broken" not in self.events:
            if self.promise.state != "open":
                self.events["promise_broken"] = day
                self.held -= self.promise.move_ids
                for invoice in self.promise.move_ids:
                    self.payments[day + timedelta(days=30)].append((invoice, None))

        if index >= 200 and "plan" not in self.events:
            invoices = self._overdue_open(self.planner["partner"], day)
            if invoices:
                self._start_plan(invoices, day)

    def _start_plan(self, invoices, day):
        action = invoices[:1].action_debt_offer_plan()
        wizard = (
            self.env["debt.payment.plan.wizard"]
            .with_context(**action["context"])
            .create(
                {
                    "move_ids": [Command.set(invoices.ids)],
                    "date": day,
                    "first_date": day + timedelta(days=7),
                    "installment_count": 3,
                    "frequency": "monthly",
                }
            )
        )
        plan = self.env["debt.payment.plan"].browse(
            wizard.action_create_plan()["res_id"]
        )
        plan.action_propose()
        plan.action_activate()
        self.plan = plan
        self.held |= invoices
        self._unschedule(invoices)
        self.events["plan"] = day
        # The customer pays each instalment on its day, oldest invoice first.
        residual = {invoice: invoice.amount_residual for invoice in invoices}
        for installment in plan.installment_ids:
            left = installment.amount
            for invoice in invoices.sorted(lambda m: (m.invoice_date_due, m.id)):
                part = min(left, residual[invoice])
                if part > 0:
                    self.plan_payments[installment.date_due].append((invoice, part))
                    residual[invoice] -= part
                    left -= part

    def _pay_plan(self, day):
        for invoice, amount in self.plan_payments.pop(day, []):
            if invoice.payment_state not in OPEN_STATES:
                continue
            if (
                invoice.currency_id.compare_amounts(amount, invoice.amount_residual)
                >= 0
            ):
                amount = None
            self._pay(invoice, amount=amount, pay_date=day)

    # ------------------------------------------------------------------
    # The checks
    # ------------------------------------------------------------------

    def _stage_ranks(self):
        """Open invoice -> rank of the rung it reached (``None``: none yet)."""
        self.invoices.invalidate_recordset(["debt_stage_id", "payment_state"])
        return {
            move.id: self.rank.get(move.debt_stage_id.id)
            for move in self.invoices
            if move.payment_state in OPEN_STATES
        }

    def _new_contacts(self):
        logs = self.env["debt.contact.log"].search(
            [
                ("id", ">", self.last_log_id),
                ("direction", "=", "outbound"),
                ("courtesy", "=", False),
            ],
            order="id",
        )
        if logs:
            self.last_log_id = logs[-1].id
        return logs

    def _held_by_agreement(self, moves, fed=None):
        """Invoices of ``moves`` held by an agreement now (but the hand-off
        ``fed`` that the reminder itself prepared with them)."""
        held = self.env["account.move"]
        handoffs = self.env["debt.handoff"].search(
            [
                ("state", "in", ("draft", "sent", "accepted")),
                ("move_ids", "in", moves.ids),
                ("id", "not in", (fed or self.env["debt.handoff"]).ids),
            ]
        )
        held |= handoffs.move_ids & moves
        for model, field, states in (
            ("debt.promise", "move_ids", ("open",)),
            ("debt.dispute", "move_id", ("open",)),
            ("debt.payment.plan", "move_ids", ("active",)),
        ):
            agreements = self.env[model].search(
                [("state", "in", states), (field, "in", moves.ids)]
            )
            held |= agreements[field] & moves
        return held

    def _check_reminder(self, day, action, logs, before):
        """Every promise of the ladder, for one reminder sent on ``day``."""
        partner = action.partner_id
        stage = action.stage_id
        rank = self.rank[stage.id]
        where = (
            f"{day} {partner.name}: {stage.name} about {action.move_ids.mapped('name')}"
        )
        self.assertTrue(logs, f"{where}: the reminder is logged")
        self.assertEqual(set(logs.mapped("date")), {day}, where)
        self.assertEqual(stage.policy_id, self.policy, where)
        self.assertTrue(action.move_ids, f"{where}: lists its invoices")

        # Never a paid, held, paused or do-not-contact one.
        for move in action.move_ids:
            self.assertIn(move.payment_state, OPEN_STATES, f"{where}: paid {move.name}")
        self.assertFalse(
            self._held_by_agreement(action.move_ids, logs.handoff_id),
            f"{where}: held invoice",
        )
        self.assertFalse(partner.debt_do_not_contact, f"{where}: do not contact")
        paused = partner.debt_paused_until
        self.assertFalse(paused and paused >= day, f"{where}: paused until {paused}")

        # Never twice the same day; the gap since the previous contact.
        last = self.last_contact.get(partner.id)
        if last:
            self.assertLess(last, day, f"{where}: contacted already on {last}")
            self.assertGreaterEqual(
                (day - last).days,
                stage.min_gap_days,
                f"{where}: previous contact on {last}",
            )

        listed = [before.get(move.id) for move in action.move_ids]
        if stage.offset_days < 0:
            # A note before due: only invoices not yet due.
            for move in action.move_ids:
                self.assertGreaterEqual(
                    move.invoice_date_due, day, f"{where}: {move.name} is overdue"
                )
            self.stats["note before due"] += 1
            waiting = self.invoices.filtered(
                lambda m: (
                    m.partner_id == partner
                    and before.get(m.id) is not None
                    and m.invoice_date_due < day
                )
            )
            if waiting:
                self.stats["note while an overdue invoice waits"] += 1
            return
        reached = max((r for r in listed if r is not None), default=None)
        if reached is not None:
            self.assertGreaterEqual(
                rank, reached, f"{where}: below a listed invoice's rung"
            )
        previous = self.previous_reminder.get(partner.id)
        if partner.id in self.handed_off:
            # The file was handed over: the customer's other invoices are
            # reminded on their own rungs, each one rung at a time.
            ceiling = max(
                [self.first_overdue] + [r + 1 for r in listed if r is not None]
            )
            self.assertLessEqual(rank, ceiling, f"{where}: jumped")
        elif previous is None:
            self.assertLessEqual(rank, self.first_overdue, f"{where}: jumped in")
        else:
            self.assertGreaterEqual(
                rank, previous, f"{where}: fell back from rung {previous}"
            )
            self.assertLessEqual(
                rank, previous + 1, f"{where}: jumped from rung {previous}"
            )
        if rank > self.first_overdue and None in listed:
            # A new invoice listed beside older ones: the tone stays theirs.
            self.stats["new invoice in a firmer reminder"] += 1
        if stage.is_handoff:
            # The file leaves the ladder: the customer's other invoices start
            # again, each on its own rung.
            self.previous_reminder.pop(partner.id, None)
            self.handed_off.add(partner.id)
        else:
            self.previous_reminder[partner.id] = rank
        self.stats[stage.name] += 1

    def _check_day(self, day, run, before):
        actions = self.env["debt.action"].search(
            [("date", "=", day), ("state", "=", "done")]
        )
        self.assertFalse(actions.filtered(lambda a: a.run_id != run), day)
        logs = self._new_contacts()
        reminder_logs = logs.filtered("action_id")
        self.assertEqual(reminder_logs.action_id, actions, f"{day}: logged reminders")
        per_partner = Counter(actions.mapped("partner_id.id"))
        self.assertLessEqual(
            max(per_partner.values(), default=0), 1, f"{day}: two reminders"
        )
        logs_of = defaultdict(lambda: self.env["debt.contact.log"])
        for log in reminder_logs:
            logs_of[log.action_id] |= log
        for action in actions:
            self._check_reminder(day, action, logs_of[action], before)
        for log in logs:
            self.last_contact[log.partner_id.id] = log.date

        after = self._stage_ranks()
        partners = (
            self.env["res.partner"]
            .browse([c["partner"].id for c in self.customers])
            .with_company(self.company)
        )
        partners.invalidate_recordset(["debt_stage_id"])
        partner_ranks = {p.id: self.rank.get(p.debt_stage_id.id) for p in partners}
        for partner_id, partner_rank in partner_ranks.items():
            if partner_rank is None:
                # Settled everything: the next reminder starts again.
                self.previous_reminder.pop(partner_id, None)
                self.handed_off.discard(partner_id)
        for move in self.invoices:
            rank = after.get(move.id)
            if rank is None:
                continue
            partner_rank = partner_ranks[move.partner_id.id]
            self.assertIsNotNone(partner_rank, f"{day} {move.name}")
            self.assertLessEqual(
                rank, partner_rank, f"{day} {move.name}: above its customer's rung"
            )
            if before.get(move.id) is not None:
                self.assertGreaterEqual(rank, before[move.id], f"{day} {move.name}")

    # ------------------------------------------------------------------
    # The year
    # ------------------------------------------------------------------

    def test_a_year_of_daily_runs_keeps_the_ladder_promises(self):
        rng = random.Random(self.SEED)
        self.first_day = self.START
        self.invoices = self.env["account.move"]
        self.held = self.env["account.move"]
        self.payments = defaultdict(list)
        self.plan_payments = defaultdict(list)
        self.events = {}
        self.stats = Counter()
        self.last_contact = {}
        self.previous_reminder = {}
        self.handed_off = set()
        self.last_log_id = 0
        with freeze_time(self.START):
            self._build_customers(rng)
            # A ledger with a past: invoices dated before the first day.
            for customer in self.customers:
                for due in (-40, -15, 12):
                    self._new_invoice(
                        rng,
                        customer,
                        self.START + timedelta(days=due + rng.randint(0, 5)),
                    )

        for index in range(self.DAYS):
            day = self.START + timedelta(days=index)
            with freeze_time(day):
                self._events(rng, index, day)
                self._pay_plan(day)
            for log in self._new_contacts():
                # Contacts made before the run (agreements sent) count too.
                self.last_contact[log.partner_id.id] = log.date
            before = self._stage_ranks()
            run = self._run(day)
            waiting = run.action_ids.filtered(lambda a: a.state == "to_review")
            if waiting:
                with freeze_time(day):
                    waiting.action_approve()  # a reviewer approves at once
                self.stats["approved"] += len(waiting)
            self._check_day(day, run, before)

        # The year went through what it was meant to.
        self.assertTrue(
            {
                "paused",
                "do_not_contact",
                "dispute",
                "dispute_rejected",
                "promise",
                "promise_broken",
                "plan",
            }
            <= set(self.events),
            self.events,
        )
        self.assertEqual(self.promise.state, "broken")
        self.assertTrue(self.stats["note before due"], self.stats)
        for stage in self.ladder[self.first_overdue : self.first_overdue + 4]:
            self.assertTrue(self.stats[stage.name], f"{stage.name}: {self.stats}")
        self.assertTrue(self.stats["note while an overdue invoice waits"], self.stats)
        self.assertTrue(self.stats["new invoice in a firmer reminder"], self.stats)
        self.assertTrue(self.stats["approved"], self.stats)
        for customer in (self.paused, self.silenced):
            self.assertTrue(
                self._logs(customer["partner"], direction="outbound"),
                "contacted before being paused or silenced",
            )
        silenced_since = self.events["do_not_contact"]
        self.assertFalse(
            self._logs(self.silenced["partner"], direction="outbound").filtered(
                lambda lg: lg.date >= silenced_since and not lg.courtesy
            )
        )
