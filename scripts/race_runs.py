"""Two workers deciding the same company's run at once, for real.

Odoo's test framework runs every test in one transaction, so it cannot show
what two PostgreSQL transactions do to each other. This script can: against a
throwaway database that has debt_relations installed (``bin/test --odoo-only
--keep-db`` leaves one), it starts the daily scheduled action's job and "Run
now" in two threads, each in its own cursor and transaction, at the same
moment, and checks what the reliability promise says:

* they meet at one run per company and day, neither fails: "Run now" is
  retried the way the web client's request is (``odoo.service.model.retrying``),
  the scheduled action defers to the other worker;
* no customer gets two reminders that day.

It COMMITS runs and mails into the database: never point it at real data.

    python3 scripts/race_runs.py --database debt_relations_test_1234 \\
        --addons-path=/opt/odoo18/addons,/opt/odoo18/odoo/addons,. \\
        --db_host=localhost --db_user=odoo --db_password=odoo
"""

import argparse
import sys
import threading
import traceback
from collections import Counter


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args, odoo_args = parser.parse_known_args()

    import odoo
    from odoo import SUPERUSER_ID, api, fields
    from odoo.service.model import retrying

    odoo.tools.config.parse_config([*odoo_args, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    barrier = threading.Barrier(2)
    errors = []

    def in_transaction(work):
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                barrier.wait(timeout=30)
                retrying(lambda: work(env), env)
        except Exception:  # noqa: BLE001 - reported below
            errors.append(traceback.format_exc())

    def cron(env):
        env["debt.collection.run"]._cron_run_collection()

    def run_now(env):
        admin = env.ref("base.user_admin")
        env["debt.collection.run"].with_user(admin).action_run_now()

    for round_ in range(args.rounds):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            today = fields.Date.context_today(env["debt.collection.run"])
            # Start the day afresh: today's runs and what they sent go.
            runs = env["debt.collection.run"].search([("date", "=", today)])
            env["debt.contact.log"].flush_model()
            cr.execute(
                "DELETE FROM debt_contact_log WHERE action_id IN "
                "(SELECT id FROM debt_action WHERE run_id = ANY(%s))",
                [runs.ids],
            )
            cr.execute("DELETE FROM debt_action WHERE run_id = ANY(%s)", [runs.ids])
            cr.execute("DELETE FROM debt_collection_run WHERE id = ANY(%s)", [runs.ids])
        threads = [
            threading.Thread(target=in_transaction, args=(work,))
            for work in (cron, run_now)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            runs = env["debt.collection.run"].search([("date", "=", today)])
            per_company = Counter(runs.company_id.ids)
            actions = runs.action_ids.filtered(lambda a: a.state != "cancelled")
            per_customer = Counter(actions.partner_id.ids)
            twice = [pid for pid, n in per_customer.items() if n > 1]
            print(
                f"round {round_ + 1}: {len(runs)} run(s) for "
                f"{len(per_company)} company(ies), {len(actions)} action(s), "
                f"errors: {len(errors)}, customers contacted twice: {len(twice)}"
            )
            if any(n > 1 for n in per_company.values()) or twice or errors:
                for error in errors:
                    print(error, file=sys.stderr)
                return 1
    print("OK: the two workers met at one run per company; nobody was contacted twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
