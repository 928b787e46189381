import importlib.util
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

from freezegun import freeze_time

from odoo import Command
from odoo.modules.module import get_module_path
from odoo.tests import HttpCase, new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


def load_migration(version, name="post-migration.py"):
    """The addon's migration script ``name`` of ``version``, as a module."""
    path = Path(get_module_path("debt_relations"), "migrations", version, name)
    spec = importlib.util.spec_from_file_location(f"debt_migration_{version}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
        # The contact governor (contact hours, the contact limit) has its own
        # tests (test_governor.py); the others contact at any hour and as
        # often as the ladder says.
        cls.env["res.company"].search([]).write(
            {"debt_contact_calendar_id": False, "debt_contact_cap": 0}
        )
        cls.customer = cls._create_customer("Azure Interior")
        # The demo's queued mail is not these tests' business: each test class
        # starts with an empty outgoing queue.
        cls.env["mail.mail"].search([("state", "=", "outgoing")]).write(
            {"state": "cancel"}
        )
        cls.today = date(2026, 3, 2)

    @classmethod
    def setup_other_company(cls, **kwargs):
        """Another company, contacting at any hour and without a limit like
        the main one (see setUpClass)."""
        data = super().setup_other_company(**kwargs)
        data["company"].write(
            {"debt_contact_calendar_id": False, "debt_contact_cap": 0}
        )
        return data

    def setUp(self):
        super().setUp()
        # Each test happens on its ``today``, as the daily scheduled action
        # runs on its own day: a run dated before the day it is made is a
        # replay, which contacts no one.
        freezer = freeze_time(self.today, tick=True)
        freezer.start()
        self.addCleanup(freezer.stop)

    @classmethod
    def _office_hours(cls, periods=((9, 12, "morning"), (13, 17, "afternoon"))):
        """A contact calendar: office hours in Brussels, Monday to Friday,
        ``periods`` each day ((from, to, day period))."""
        return cls.env["resource.calendar"].create(
            {
                "name": "Office hours (Brussels)",
                "tz": "Europe/Brussels",
                "company_id": cls.company.id,
                "attendance_ids": [
                    Command.create(
                        {
                            "name": f"Day {day} {period}",
                            "dayofweek": str(day),
                            "hour_from": start,
                            "hour_to": stop,
                            "day_period": period,
                        }
                    )
                    for day in range(5)
                    for start, stop, period in periods
                ],
            }
        )

    def _public_holiday(self, calendar, day):
        """``day`` off in ``calendar``, midnight to midnight in Brussels in
        winter (UTC+1)."""
        start = datetime.combine(day, time()) - timedelta(hours=1)
        return self.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": calendar.id,
                "company_id": self.company.id,
                "date_from": start,
                "date_to": start + timedelta(days=1),
            }
        )

    def _thanks_rule(self, interval_days=30):
        """The thank-you rule with the shipped mail: at most one thank-you in
        ``interval_days``."""
        return self.env["debt.incentive.rule"].create(
            {
                "name": "Thanks",
                "kind": "thanks",
                "interval_days": interval_days,
                "mail_template_id": self.env.ref(
                    "debt_relations.mail_template_debt_thanks"
                ).id,
            }
        )

    @classmethod
    def _collections_user(cls, login, role="user", extra_groups=""):
        """An internal billing user of the test company with the collections
        group ``role`` ("user": collector, "manager") and ``extra_groups``
        (comma-separated xmlids), password = login."""
        return new_test_user(
            cls.env,
            login=login,
            groups="base.group_user,account.group_account_invoice,"
            f"debt_relations.group_debt_{role}"
            + (f",{extra_groups}" if extra_groups else ""),
            company_id=cls.env.company.id,
            company_ids=[cls.env.company.id],
        )

    def _only_this_company_runs(self):
        """The scheduled action runs every company with a policy: leave the
        others (and their demo ledgers) out of these counts."""
        self.env["res.company"].search([("id", "!=", self.company.id)]).write(
            {"debt_policy_id": False}
        )

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
        with freeze_time(as_of, tick=True):
            run = self.env["debt.collection.run"]._run_collection(
                as_of=as_of, company=company
            )
            self._deliver_mail()
        return run

    def _deliver_mail(self):
        """Odoo's mail queue sends what is queued (in tests the SMTP step is
        skipped and the mail counts as sent): the rungs follow delivery."""
        self.env["mail.mail"].process_email_queue()

    def _assert_run_queries_flat(self, build):
        """A run's query count does not grow with the ledger: ``build(count,
        prefix)`` adds ``count`` customers; runs over 10 and over 60 customers
        (after a warm-up run paying first-time costs) differ by a handful."""

        def count_queries(as_of):
            self.env.invalidate_all()
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            # The run's own queries: the mail queue delivers afterwards.
            with freeze_time(as_of, tick=True):
                self.env["debt.collection.run"]._run_collection(as_of=as_of)
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

    def _create_handoff(self, moves, state="sent", kind="mediation", **values):
        """A hand-off of ``moves`` (one customer) already in ``state``, as its
        buttons leave it (sent today), without mailing anyone."""
        handoff = (
            self.env["debt.handoff"]
            .sudo()
            .create(
                {
                    "partner_id": moves.commercial_partner_id.id,
                    "move_ids": [Command.set(moves.ids)],
                    "kind": kind,
                    **values,
                }
            )
        )
        if state != "draft":
            handoff._debt_as_owner().write(
                {
                    "state": state,
                    "date_sent": self.today,
                    "amount": sum(moves.mapped("amount_residual")),
                }
            )
        return handoff.sudo(False)

    def _logs(self, partner, **domain):
        return self.env["debt.contact.log"].search(
            [("partner_id", "=", partner.id)]
            + [(key, "=", value) for key, value in domain.items()],
            order="id",
        )


class DebtHttpCase(DebtRelationsCase, HttpCase):
    """Buttons pressed the way the web client presses them."""

    def _press(self, user, model, method, ids, context=None):
        """POST ``/web/dataset/call_button`` as ``user`` (password = login).

        :returns: (result, error) — ``error`` is None, or the error's
            ``{"name": ..., "message": ...}`` as the client receives it
        """
        return self._rpc(
            user,
            "/web/dataset/call_button",
            {
                "model": model,
                "method": method,
                "args": [ids],
                "kwargs": {"context": context or {}},
            },
        )

    def _call_kw(self, user, model, method, args, kwargs=None):
        """The ORM through JSON-RPC, as any script of ``user`` reaches it."""
        return self._rpc(
            user,
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def _rpc(self, user, route, params):
        self.authenticate(user.login, user.login)
        response = self.url_open(
            route,
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
            ),
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        body = response.json()
        error = body.get("error")
        return body.get("result"), error and error["data"]
