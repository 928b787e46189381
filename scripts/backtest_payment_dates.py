#!/usr/bin/env python3
"""Backtest of the expected payment dates on a real ledger.

Run by hand, never in CI: ``python3 scripts/backtest_payment_dates.py -d DB``
(``--host``, ``--port``, ``--user``, ``--password`` as for ``psql``; defaults
from ``PGHOST``/``PGPORT`` and the test command's role ``odoo``/``odoo``). The
figures it printed are in ``docs/forecast.md``.

Every customer invoice of the database that was paid in full, and was still
open on its due date (one paid earlier never needed a guess), is replayed *as
of its due date*: the guess (``services.payment_date.expect``) sees only the
payments of that customer completed before that day, and the company's other
customers of the same relationship tier likewise (tier as it is today: the
tiers of the past are not kept). Its error is the number of days between the
guessed and the real payment date. Two naive guesses are scored the same way:
the due date itself, and the due date plus the customer's plain average
lateness so far (the due date without history). Promises, plans and disputes
are left out: the backtest measures history, the part that is a guess.

Reads the ledger with SQL only (no Odoo registry): posted ``out_invoice`` moves,
their receivable lines and the partial reconciliations on them (the day the
last one was made is the payment date).
"""

import argparse
import os
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "debt_relations"))

from services import payment_date  # noqa: E402  (the addon's pure services)

LEDGER = """
SELECT m.id, m.company_id, m.commercial_partner_id, m.invoice_date_due,
       ABS(m.amount_total_signed), paid.day, profile.tier_id
  FROM account_move m
  JOIN LATERAL (
        SELECT MAX(p.max_date) AS day
          FROM account_move_line l
          JOIN account_account a ON a.id = l.account_id
          JOIN account_partial_reconcile p
            ON p.debit_move_id = l.id OR p.credit_move_id = l.id
         WHERE l.move_id = m.id AND a.account_type = 'asset_receivable'
       ) paid ON TRUE
  LEFT JOIN debt_partner_profile profile
    ON profile.partner_id = m.commercial_partner_id
   AND profile.company_id = m.company_id
 WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
   AND m.payment_state IN ('paid', 'in_payment')
   AND m.invoice_date_due IS NOT NULL AND paid.day >= m.invoice_date_due
 ORDER BY m.invoice_date_due, m.id
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--host", default=os.environ.get("PGHOST", "localhost"))
    parser.add_argument("--port", default=os.environ.get("PGPORT", "5432"))
    parser.add_argument("--user", default=os.environ.get("DEBT_DB_USER", "odoo"))
    parser.add_argument(
        "--password", default=os.environ.get("DEBT_DB_PASSWORD", "odoo")
    )
    parser.add_argument("--min-samples", type=int, default=3)
    parser.add_argument("--half-life", type=float, default=180.0)
    return parser.parse_args()


def load(args):
    with (
        psycopg2.connect(
            dbname=args.database,
            host=args.host,
            port=args.port,
            user=args.user,
            password=args.password,
        ) as cnx,
        cnx.cursor() as cr,
    ):
        cr.execute(LEDGER)
        return cr.fetchall()


def backtest(rows, min_samples=3, half_life=180.0):
    """{guess name: [absolute errors in days]} and the bases used."""
    by_partner = defaultdict(list)
    by_tier = defaultdict(list)
    for _id, company, partner, due, amount, paid_day, tier in rows:
        payment = payment_date.Payment(due, paid_day, float(amount))
        by_partner[(company, partner)].append(payment)
        by_tier[(company, tier)].append(payment)
    errors = defaultdict(list)
    bases = defaultdict(int)
    for _id, company, partner, due, amount, paid_day, tier in rows:

        def known(payments, due=due):
            return tuple(p for p in payments if p.paid_date < due)

        own = known(by_partner[(company, partner)])
        peers = known(by_tier[(company, tier)]) if tier else ()
        guess = payment_date.expect(
            payment_date.OpenInvoice(due, float(amount)),
            payment_date.History(own, due, half_life),
            payment_date.History(peers, due, half_life) if peers else None,
            as_of=due,
            min_samples=min_samples,
        )
        bases[guess.basis] += 1
        errors["expected payment date"].append(abs((guess.date - paid_day).days))
        errors["due date"].append(abs((due - paid_day).days))
        average = statistics.fmean(p.lateness for p in own) if own else 0.0
        plain = (paid_day - due).days - average
        errors["due date + plain average lateness"].append(abs(plain))
    return errors, bases


def main():
    args = parse_args()
    rows = load(args)
    if not rows:
        sys.exit(f"{args.database}: no paid customer invoice to replay")
    errors, bases = backtest(rows, args.min_samples, args.half_life)
    print(f"{args.database}: {len(rows)} paid invoices replayed as of their due date")
    print(f"{'guess':<36} {'MAE (days)':>10} {'median':>7}")
    for name, values in errors.items():
        print(
            f"{name:<36} {statistics.fmean(values):>10.2f} "
            f"{statistics.median(values):>7.1f}"
        )
    used = ", ".join(f"{basis} {count}" for basis, count in sorted(bases.items()))
    print(f"bases of the guess: {used}")


if __name__ == "__main__":
    main()
