#!/usr/bin/env python3
"""Mutation run over debt_relations/services with the pure tests of tests/.

Run by hand, never from bin/test (a full run takes a few minutes):

    pip install mutmut==3.8.1
    python3 scripts/mutation_run.py            # full run, then the figures
    python3 scripts/mutation_run.py --show     # also the diff of each survivor

mutmut names a mutant after the module path of its file, and the pure tests
import the services as the top-level package ``services`` (tests/conftest.py),
so mutmut runs in a staging folder (``--stage``, default
``${TMPDIR:-/tmp}/debt_relations_mutation``) that holds ``services/`` (a copy
of debt_relations/services), ``tests/`` and ``setup.cfg`` (its ``[mutmut]``
section is the configuration). The working tree is never mutated.

The figures: mutants in total, killed, survived, timeouts, and the survivors
known to be equivalent (same behaviour: listed in EQUIVALENT below with why,
and in docs/mutation.md); the score is killed / (total - equivalent).
Exit status 1 when the score is below ``--target`` (90 %).
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT_VERSION = "3.8.1"

# Survivors that behave exactly as the original, by function and mutated line
# (whitespace-insensitive), so they are recognised whatever their number.
EQUIVALENT = {
    (
        "services.money.x_is_below",
        "if gap >= CLEAR_GAP:",
    ): "amounts exactly 1.5 steps apart are at least one step apart once "
    "rounded: both paths answer the same",
    (
        "services.money.x_is_below",
        "if gap <= -CLEAR_GAP:",
    ): "amounts exactly 1.5 steps apart are at least one step apart once "
    "rounded: both paths answer the same",
    (
        "services.forecast.x_forecast_partner",
        "elif _stops(None, ladder):",
    ): "past a reason that stops, every later day stops the same way: no step "
    "is found either way, only later",
    (
        "services.portal.x__down_payment",
        "if to_units(share, rounding) < 0:",
    ): "a share of 0 gives a down payment of one instalment: the same schedule as none",
    (
        "services.portal.x__down_payment",
        "if to_units(share, rounding) <= 1:",
    ): "a share of 1 cent gives a down payment of one instalment: the same "
    "schedule as none",
    (
        "services.profile.x_tenure_months",
        "if not since or since >= as_of:",
    ): "since == as_of gives 0 months on both paths",
    (
        "services.profile.x_meets",
        "if figures.on_time_count + 1e-9 <= needed:",
    ): "an integer count plus 1e-9 never equals ratio * count exactly",
    (
        "services.profile.x_meets",
        "if tier.min_revenue > 0 and figures.revenue_12m + 1e-9 <= tier.min_revenue:",
    ): "differs only when revenue is the threshold minus exactly 1e-9",
    (
        "services.incentives.x_is_new_payment",
        "return since <= payment.paid_date <= as_of",
    ): "paid_date == since returned one line above",
    (
        "services.incentives.x_decide_rewards",
        "break  # one-off: never taken back by the run",
    ): "every reward of the loop belongs to the same rule, so the same kind",
    (
        "services.schedule.x_installment_dates",
        "return [add_months(first_date, i, None) for i in range(count)]",
    ): "without an anchor add_months uses first_date.day, the same anchor",
    (
        "services.schedule.x_installment_dates",
        "return [add_months(first_date, i, ) for i in range(count)]",
    ): "without an anchor add_months uses first_date.day, the same anchor",
    (
        "services.schedule.x_build_schedule",
        "start = installment_dates(first_date, 3, frequency)[1]",
    ): "the second date is the same whether 2 or 3 dates are built",
    (
        "services.schedule.x_due_for_reminder",
        "if installment_state(installment, None, rounding) == PAID:",
    ): "the date only tells late from open; paid depends on amounts only",
    (
        "services.escalation.x__partner_cap",
        "cap = len(ladder) + 1 if partner_current is None else partner_current",
    ): "the wanted rung is an index of the ladder, never above len - 1",
    (
        "services.escalation.x__partner_cap",
        "cap = len(ladder) - 2 if partner_current is None else partner_current",
    ): "reached only when every candidate is the first rung before due "
    "(index 0); with a one-rung ladder index -1 is that same rung",
    (
        "services.escalation.x_decide_partner",
        "listed = [move_id for move_id in climbing if ages[move_id] <= 1]",
    ): "a note before due is never sent while an overdue invoice climbs "
    "(ladders are ordered by offset, debt.policy enforces it)",
    (
        "services.escalation.x__contact_rung",
        "return wanted, [move_id for move_id in climbing if ages[move_id] < 0]",
    ): "decide_partner lists the invoices of every note before due again",
    (
        "services.escalation.x__contact_rung",
        "return wanted, [move_id for move_id in climbing if ages[move_id] <= 1]",
    ): "decide_partner lists the invoices of every note before due again",
    (
        "services.forecast.x__after_contact",
        "agreement_broken=None,",
    ): "None and False are both 'no broken agreement'",
    (
        "services.forecast.x_forecast_partner",
        "listed = set(today.move_ids) if (today.stage_id) or True else set()",
    ): "a decision without a contact lists no invoice",
    (
        "services.forecast.x_forecast_partner",
        "if reason in eligibility.INVOICE_REASONS and reason in "
        "eligibility.HOLD_REASONS",
    ): "only stops the simulation later: never-listed invoices add no step",
    (
        "services.forecast.x_forecast_partner",
        "if steps >= MAX_STEPS or chaseable < set(result.invoice_steps):",
    ): "only stops the simulation later: first steps are kept, none added",
}


def _norm(line):
    return " ".join(line.split())


_EQUIVALENT = {
    (function, _norm(line)): why for (function, line), why in EQUIVALENT.items()
}


def _strict_zip(line):
    return re.search(r"zip\(.*(strict=(None|False)|, \))", line) is not None


def _why_equivalent(name, added_lines):
    function = name.partition("__mutmut_")[0]
    for line in added_lines:
        why = _EQUIVALENT.get((function, _norm(line)))
        if why:
            return why
        if _strict_zip(line):
            return "zip(strict=True) guards lists built to the same length"
    return None


def _stage(stage, keep):
    if not keep and stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True, exist_ok=True)
    for name in ("services", "tests"):
        target = stage / name
        if target.exists():
            shutil.rmtree(target)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(
        ROOT / "debt_relations" / "services", stage / "services", ignore=ignore
    )
    shutil.copytree(ROOT / "tests", stage / "tests", ignore=ignore)
    shutil.copy2(ROOT / "setup.cfg", stage / "setup.cfg")


def _mutmut(stage, *args, capture=True):
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args],
        cwd=stage,
        check=False,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
    )


def _diff_lines(stage, name):
    shown = _mutmut(stage, "show", name).stdout
    added = [
        line[1:]
        for line in shown.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    return shown, added


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_stage = Path(tempfile.gettempdir()) / "debt_relations_mutation"
    parser.add_argument("--stage", type=Path, default=default_stage)
    parser.add_argument(
        "--keep", action="store_true", help="reuse mutmut's results in the stage"
    )
    parser.add_argument(
        "--show", action="store_true", help="print the diff of each survivor"
    )
    parser.add_argument("--target", type=float, default=90.0)
    args = parser.parse_args()

    try:
        import mutmut  # noqa: F401
    except ImportError:
        sys.exit(f"mutmut is missing: pip install mutmut=={MUTMUT_VERSION}")

    _stage(args.stage, args.keep)
    print(f"+ mutmut run  (in {args.stage})", flush=True)
    run = _mutmut(args.stage, "run", capture=True)
    if run.returncode:
        print(run.stdout[-4000:])
        sys.exit(f"mutmut run failed ({run.returncode})")

    results = _mutmut(args.stage, "results", "--all", "true").stdout
    statuses = {}
    for line in results.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            statuses[name] = status.strip()
    counts = Counter(statuses.values())
    equivalent, alive = {}, []
    for name, status in sorted(statuses.items()):
        if status != "survived":
            continue
        shown, added = _diff_lines(args.stage, name)
        why = _why_equivalent(name, added)
        if why:
            equivalent[name] = why
        else:
            alive.append((name, shown))

    total = len(statuses)
    killed = counts.get("killed", 0)
    scored = total - len(equivalent)
    score = 100.0 * killed / scored if scored else 0.0
    print(f"mutants: {total}")
    for status, count in sorted(counts.items()):
        print(f"  {status}: {count}")
    print(f"  of the survivors, equivalent: {len(equivalent)}")
    print(f"killed {killed} of {scored} non-equivalent mutants: {score:.1f} %")
    timeouts = counts.get("timeout", 0)
    if timeouts:
        print(f"  (timeouts, a test hung on the mutant: {timeouts}, not counted)")
    for name, why in equivalent.items():
        print(f"  equivalent {name}: {why}")
    for name, shown in alive:
        print(f"  SURVIVED {name}")
        if args.show:
            print(shown)
    others = {n: s for n, s in statuses.items() if s not in ("killed", "survived")}
    for name, status in sorted(others.items()):
        print(f"  {status.upper()} {name}")
    return 0 if score >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
