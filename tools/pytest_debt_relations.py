"""pytest plugin of the debt_relations test command (loaded with
``-p pytest_debt_relations``, next to pytest-odoo).

pytest-odoo runs Odoo tests under pytest; this plugin makes such a run as
strict as Odoo's own runner (``odoo-bin --test-enable --test-tags``):

- it runs the tests Odoo would run, and only those: test modules imported by
  the addon's ``tests/__init__.py``, test classes defined in their module, test
  methods defined in their class (unless ``allow_inherited_tests_method``),
  selected by ``ODOO_TEST_TAGS`` (Odoo's tag syntax, default
  ``/debt_relations``);
- an ERROR or CRITICAL log record fails the test during which it was logged
  (outside a test it fails the run), as it fails Odoo's runner;
- a browser test (tour) skipped because Chromium or websocket-client is
  missing, or an HttpCase skipped for want of ``--odoo-http``, fails the run:
  a skipped tour proves nothing;
- with ``--debt-results=FILE`` it writes what happened as JSON (passed,
  failed, skipped per test folder, and the problems), for the test command's
  summary.

It also lists the WARNING records that mention the addon, as Odoo's log
would show them.
"""

import ast
import json
import logging
import os
from pathlib import Path

import pytest

ADDON = "debt_relations"
BROWSER_SKIP_WORDS = ("chrome", "chromium", "websocket", "--odoo-http")


def pytest_addoption(parser):
    group = parser.getgroup("debt_relations")
    group.addoption(
        "--debt-results",
        action="store",
        default=None,
        help="write the run's counts and problems as JSON to this file",
    )


class _Records(logging.Handler):
    """Keeps ERROR+ records, and WARNING records that mention the addon."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.errors = []
        self.warnings = []

    def emit(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a broken log call is still worth reporting
            message = str(record.msg)
        line = f"{record.levelname} {record.name}: {message.splitlines()[0]}"
        if record.levelno >= logging.ERROR:
            self.errors.append(line)
        elif ADDON in record.name or ADDON in message:
            self.warnings.append(line)


def _registered_test_modules(tests_dir):
    """Names of the modules ``tests/__init__.py`` imports (``from . import x``)."""
    init = tests_dir / "__init__.py"
    if not init.is_file():
        return set()
    names = set()
    for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module:
            names.update(alias.name for alias in node.names)
    return names


def _addon_tests_dir(path):
    """The ``tests`` folder of an addon that holds ``path``, else None."""
    path = Path(path)
    for parent in [path.parent, *path.parents]:
        if parent.name == "tests" and (parent.parent / "__manifest__.py").is_file():
            return parent
    return None


class DebtRelationsPlugin:
    def __init__(self, config):
        self.config = config
        self.records = _Records()
        self.problems = []
        self.unregistered = []
        self.counts = {}  # folder -> {"passed": n, "failed": n, "skipped": n}
        self.odoo_items = 0
        self._start = 0  # index in records.errors where the current phase began
        self.outside = []  # ERROR+ records logged outside any test

    # --- collection: what Odoo's loader would run ------------------------------

    @pytest.hookimpl
    def pytest_ignore_collect(self, collection_path):
        if collection_path.suffix != ".py" or not collection_path.name.startswith(
            "test_"
        ):
            return None
        tests_dir = _addon_tests_dir(collection_path)
        if tests_dir is None:
            return None
        if collection_path.stem not in _registered_test_modules(tests_dir):
            self.unregistered.append(str(collection_path))
            return True
        return None

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, config, items):
        # Without pytest-odoo there is no Odoo test to select (and importing
        # odoo.tests outside Odoo's test mode logs an ERROR).
        selector = self._tags_selector() if _odoo_config(config) else None
        keep, drop = [], []
        for item in items:
            if self._odoo_would_run(item, selector):
                keep.append(item)
            else:
                drop.append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        self.odoo_items = sum(1 for item in items if _is_odoo_item(item))

    @staticmethod
    def _tags_selector():
        try:
            from odoo.tests.tag_selector import TagsSelector
        except ImportError:
            return None
        return TagsSelector(os.environ.get("ODOO_TEST_TAGS") or f"/{ADDON}")

    @staticmethod
    def _odoo_would_run(item, selector):
        if not _is_odoo_item(item):
            return True
        cls = item.cls
        module = item.module
        if cls.__module__ != module.__name__:
            return False  # imported into this module; Odoo runs it where defined
        name = item.originalname or item.name
        if name not in cls.__dict__ and not getattr(
            cls, "allow_inherited_tests_method", False
        ):
            return False
        if selector is None:
            return True
        return selector.check(cls(name))

    # --- Odoo's test mode, as odoo-bin --test-enable sets it ----------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection(self, session):
        # The test command starts Odoo in test mode (--odoo-extra=test-enable):
        # importing odoo.tests outside it logs an ERROR. Test mode goes off once
        # the tests are collected: with it on while pytest-odoo loads the
        # registry, Odoo would run every module's at_install tests; pytest-odoo
        # turns it on again around each test module.
        yield
        config = _odoo_config(session.config)
        if config:
            config["test_enable"] = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        if _is_odoo_item(item):
            # What Odoo's runner (odoo.tests.loader.run_suite) sets for its
            # tests and pytest-odoo does not on 18.0: without it Odoo really
            # connects to mail servers (ir.mail_server), as in production.
            from odoo.modules import module

            module.current_test = True

    # --- running -----------------------------------------------------------------

    @pytest.hookimpl
    def pytest_sessionstart(self, session):
        logging.getLogger().addHandler(self.records)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid, location):
        # What was logged since the previous test ended (collection, session
        # fixtures such as loading the registry) belongs to no test.
        self.outside += self.records.errors[self._start :]
        self._start = len(self.records.errors)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        if call.when == "setup":
            return  # setup's records are judged with the test's call
        report = outcome.get_result()
        logged = self.records.errors[self._start :]
        self._start = len(self.records.errors)
        if not logged:
            return
        if report.passed:
            report.outcome = "failed"
            report.longrepr = "ERROR/CRITICAL log line(s) during the test:\n" + (
                "\n".join(f"  {line}" for line in logged)
            )

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        if hasattr(report, "context"):  # a subtest: only its failure counts
            if report.failed:
                folder = _folder_of(report.nodeid)
                self.counts.setdefault(
                    folder, {"passed": 0, "failed": 0, "skipped": 0}
                )["failed"] += 1
            return
        folder = _folder_of(report.nodeid)
        counts = self.counts.setdefault(
            folder, {"passed": 0, "failed": 0, "skipped": 0}
        )
        if report.when == "call" and report.passed:
            counts["passed"] += 1
        elif report.failed:
            counts["failed"] += 1
        elif report.skipped:
            counts["skipped"] += 1
            # a skip's longrepr is (file, line, reason); an xfail's is a traceback
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else ""
            if any(word in str(reason).lower() for word in BROWSER_SKIP_WORDS):
                self.problems.append(
                    f"browser test skipped ({report.nodeid}): {reason} "
                    "- install Chromium and websocket-client"
                )

    # --- the end -----------------------------------------------------------------

    @pytest.hookimpl
    def pytest_sessionfinish(self, session, exitstatus):
        logging.getLogger().removeHandler(self.records)
        self.outside += self.records.errors[self._start :]
        outside = self.outside
        if outside:
            self.problems.append(
                f"{len(outside)} ERROR/CRITICAL log line(s) outside the tests"
            )
        if self.problems and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        path = self.config.getoption("--debt-results")
        if path:
            Path(path).write_text(
                json.dumps(
                    {
                        "counts": self.counts,
                        "odoo_items": self.odoo_items,
                        "problems": self.problems,
                        "outside_errors": outside,
                        "warnings": self.records.warnings,
                        "unregistered": self.unregistered,
                        "exitstatus": int(session.exitstatus),
                    },
                    indent=2,
                ),
                encoding="utf-8",
            )

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter):
        write = terminalreporter.write_line
        if self.unregistered:
            terminalreporter.section("test files Odoo would not run", sep="-")
            for path in self.unregistered:
                write(f"{path}: not imported in tests/__init__.py (not collected)")
        warnings = sorted(set(self.records.warnings))
        if warnings:
            terminalreporter.section(f"WARNING lines that mention {ADDON}", sep="-")
            for line in warnings:
                write(line)
        outside = self.outside
        if outside or self.problems:
            terminalreporter.section("debt_relations: problems", sep="-")
            for line in self.problems:
                write(f"- {line}")
            for line in outside[:40]:
                write(f"  {line}")


def _is_odoo_item(item):
    from unittest import TestCase

    cls = getattr(item, "cls", None)
    return (
        cls is not None
        and issubclass(cls, TestCase)
        and item.module.__name__.startswith("odoo.addons.")
    )


def _odoo_config(config):
    """Odoo's configuration when pytest-odoo runs (else None)."""
    if not config.pluginmanager.has_plugin("odoo"):
        return None
    from odoo.tools import config as odoo_config

    return odoo_config


def _folder_of(nodeid):
    """``tests`` or ``debt_relations/tests``: the folder a test id lives in."""
    path = nodeid.split("::", 1)[0]
    return str(Path(path).parent)


def pytest_configure(config):
    config.pluginmanager.register(DebtRelationsPlugin(config), "debt_relations_plugin")
