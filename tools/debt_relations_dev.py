"""The logic behind bin/test and bin/demo (which stay thin shell entry points).

    python3 tools/debt_relations_dev.py test [--no-odoo] [--odoo-only] [--keep-db]
                                             [--verbose] [-k EXPR]
                                             [--no-alone] [--alone-only]
    python3 tools/debt_relations_dev.py odoo-info      # shell assignments
    python3 tools/debt_relations_dev.py free-port
    python3 tools/debt_relations_dev.py port-busy PORT

``test`` runs, and summarises in one line per step, then
``debt_relations: N passed, M failed``:

1. dev tools: requirements-dev.txt (pip) and package.json (npm ci), only
   when something is missing;
2. lint: ``pre-commit run --all-files`` (.pre-commit-config.yaml);
3. the Odoo test database: a template ``debt_relations_tmpl_<key>`` with the
   addon installed (demo data), built once per key (a hash of the addon's
   files outside tests/ and of the Odoo version) and reused while they do not
   change; each run tests a copy (``odoo db duplicate``, filestore included);
4. pytest, once, over tests/ (pure Python) and debt_relations/tests (Odoo,
   through pytest-odoo against the copy, with ``--odoo-http``), with the
   plugin tools/pytest_debt_relations.py that makes it as strict as Odoo's
   runner (ERROR log lines fail, skipped browser tests fail, only what Odoo
   would run is run, ODOO_TEST_TAGS selects);
5. each bridge alone (not with ``-k`` or ``--no-alone``): a template
   ``debt_relations_alone_<x>_tmpl_<key>`` with the addon and that bridge
   only, without demo data, made from ``debt_relations_nodemo_tmpl_<key>``
   (the addon alone) with the other bridges out of Odoo's sight; the bridge's
   own tests (tag ``/debt_relations_<x>``) run on a copy, one summary line
   each.

PostgreSQL itself is started by bin/lib.sh (ensure_postgres) before this runs.
"""

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing, contextmanager
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADDON = "debt_relations"


def addons():
    """The addon and its bridges (``debt_relations_<x>``: an addon folder at the
    repository's root), main addon first."""
    found = sorted(
        path.name
        for path in REPO.glob(f"{ADDON}_*")
        if (path / "__manifest__.py").is_file()
    )
    return (ADDON, *found)


TEST_MODULES = (*addons(), "payment_demo")
"""Installed in the test database: the addon and its bridges (together, as
``-i debt_relations,debt_relations_sms,...``), and the demo payment provider
its portal tests (and tours) pay with."""
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Odoo's log lines: "2026-12-01 10:16:49,827 9336 ERROR db logger: message"
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) "
    r"(?P<logger>\S+): (?P<message>.*)"
)


def info(text=""):
    print(text, flush=True)


def header(text):
    info(f"\n==== {text} ====")


# --- settings ---------------------------------------------------------------------


class Settings:
    """The environment bin/lib.sh documents, with the same defaults."""

    def __init__(self):
        env = os.environ
        self.pghost = env.get("PGHOST", "localhost")
        self.pgport = env.get("PGPORT", "5432")
        self.db_user = env.get("DEBT_DB_USER", "odoo")
        self.db_password = env.get("DEBT_DB_PASSWORD", "odoo")
        tmp = env.get("TMPDIR", "/tmp")
        # Filestores of the template and test databases.
        self.data_dir = Path(env.get("DEBT_TEST_DATA_DIR", f"{tmp}/{ADDON}_odoo_data"))

    def odoo_db_args(self):
        return [
            f"--db_host={self.pghost}",
            f"--db_port={self.pgport}",
            f"--db_user={self.db_user}",
            f"--db_password={self.db_password}",
        ]

    @contextmanager
    def connect(self, dbname="postgres"):
        import psycopg2  # Odoo's own dependency: there whenever Odoo is

        cnx = psycopg2.connect(
            host=self.pghost,
            port=self.pgport,
            user=self.db_user,
            password=self.db_password,
            dbname=dbname,
            connect_timeout=10,
        )
        cnx.autocommit = True
        with closing(cnx):
            yield cnx


# --- Odoo ---------------------------------------------------------------------------


class Odoo:
    """An installed Odoo 18.0: $ODOO_PATH (a source tree), else an importable
    ``odoo`` package. Never downloads or builds one."""

    def __init__(self, tree, how, python=sys.executable):
        self.tree = tree
        self.how = how
        release = {}
        exec((tree / "odoo" / "release.py").read_text(encoding="utf-8"), release)
        self.series = str(release.get("serie") or release.get("series") or "?")
        self.version = str(release.get("version") or self.series)
        if (tree / "odoo-bin").is_file():
            self.cmd = ["env", "TZ=UTC", python, str(tree / "odoo-bin")]
        elif os.environ.get("ODOO_PATH"):
            pythonpath = os.pathsep.join(
                filter(None, [str(tree), os.environ.get("PYTHONPATH")])
            )
            self.cmd = ["env", "TZ=UTC", f"PYTHONPATH={pythonpath}", python, "-m"]
            self.cmd.append("odoo")
        else:
            self.cmd = ["env", "TZ=UTC", python, "-m", "odoo"]
        paths = [
            str(path)
            for path in (tree / "addons", tree / "odoo" / "addons")
            if (path / "base" / "__manifest__.py").is_file()
            or (path / "web").is_dir()
            or (path / "account").is_dir()
        ]
        self.addons_path = ",".join([*paths, str(REPO)])

    @classmethod
    def find(cls):
        """(Odoo, None), or (None, one line saying why not)."""
        odoo_path = os.environ.get("ODOO_PATH")
        if odoo_path:
            tree = Path(odoo_path)
            if not (tree / "odoo" / "release.py").is_file():
                return None, (
                    f"ODOO_PATH={odoo_path} is not an Odoo source tree "
                    "(no odoo/release.py)"
                )
            found = cls(tree.resolve(), "ODOO_PATH")
        else:
            import importlib.util

            spec = importlib.util.find_spec("odoo")
            locations = list(spec.submodule_search_locations or []) if spec else []
            if not locations or not (Path(locations[0]) / "release.py").is_file():
                return None, (
                    f"Odoo 18 not found (no importable odoo in {sys.executable}, "
                    "no ODOO_PATH)"
                )
            tree = Path(os.path.realpath(locations[0])).parent
            found = cls(tree, f"importable odoo in {sys.executable}")
        if found.series != "18.0":
            return None, (
                f"Odoo at {found.tree} is series {found.series}, {ADDON} needs 18.0"
            )
        return found, None


# --- dev tools ----------------------------------------------------------------------


def missing_requirements(path):
    """The requirement lines of ``path`` not satisfied now."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # no packaging: check names only
        Requirement = None
    missing = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if Requirement:
            req = Requirement(line)
            if req.marker and not req.marker.evaluate():
                continue
            name, spec = req.name, req.specifier
        else:
            name, spec = re.split(r"[\s<>=!~;\[]", line, maxsplit=1)[0], None
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(line)
            continue
        if spec is not None and not spec.contains(version, prereleases=True):
            missing.append(f"{line} (installed: {version})")
    return missing


def step_tools():
    header("1. Dev tools (requirements-dev.txt, package.json)")
    notes = []
    missing = missing_requirements(REPO / "requirements-dev.txt")
    if missing:
        info(f"missing: {' '.join(missing)}")
        cmd = [sys.executable, "-m", "pip", "install", "-q", "-r"]
        cmd.append(str(REPO / "requirements-dev.txt"))
        info(f"+ {shlex.join(cmd)}")
        env = dict(
            os.environ, PIP_ROOT_USER_ACTION="ignore", PIP_DISABLE_PIP_VERSION_CHECK="1"
        )
        if subprocess.run(cmd, env=env, check=False).returncode:
            return Result.failed("dev tools", "pip install failed")
        notes.append("pip installed")
    # prettier + @prettier/plugin-xml, pinned in package-lock.json, into the
    # gitignored node_modules/ (npm's own record of it: node_modules/.package-lock.json)
    installed = REPO / "node_modules" / ".package-lock.json"
    lock = REPO / "package-lock.json"
    if not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime:
        npm = shutil.which("npm")
        if not npm:
            return Result.failed(
                "dev tools",
                "npm not found: prettier needs Node.js (Debian: apt-get install npm)",
            )
        cmd = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        info(f"+ {shlex.join(cmd)}")
        if subprocess.run(cmd, cwd=REPO, check=False).returncode:
            return Result.failed("dev tools", "npm ci failed")
        notes.append("npm installed")
    if not notes:
        info("all present")
    return Result("OK", "dev tools", note=", ".join(notes))


# --- lint ---------------------------------------------------------------------------


def has_browser_tests():
    return any(
        "start_tour" in path.read_text(encoding="utf-8", errors="replace")
        for addon in addons()
        for path in (REPO / addon / "tests").glob("*.py")
    )


def find_browser():
    return next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)


def ensure_browser():
    """Chrome or Chromium for the tours: installed with apt-get when missing
    (as root); None, or what went wrong (then the tours cannot run, and a
    skipped tour would prove nothing)."""
    if find_browser():
        return None
    if os.geteuid() == 0 and shutil.which("apt-get"):
        info("Chromium not found: installing Debian's chromium package (apt-get)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = ["apt-get", "install", "-y", "-q", "chromium"]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        if subprocess.run(install, env=env, check=False, **quiet).returncode:
            subprocess.run(["apt-get", "update", "-q"], env=env, check=False, **quiet)
            subprocess.run(install, env=env, check=False, **quiet)
        if find_browser():
            return None
        return "Chromium could not be installed (apt-get install chromium failed)"
    return (
        "no Chrome/Chromium found (looked for " + ", ".join(BROWSERS) + "): "
        "install one (Debian: apt-get install chromium), the tours need it"
    )


def step_lint():
    header("2. Lint: pre-commit run --all-files (.pre-commit-config.yaml)")
    # The hooks are `language: system`: put this interpreter's scripts first
    # on PATH, so that ruff, pylint and the OCA checks are the ones just checked.
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    cmd = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never"]
    info("+ pre-commit run --all-files --color=never")
    if not (REPO / ".git").exists():
        return Result.failed("pre-commit", "not a git checkout (pre-commit needs one)")
    rc = subprocess.run(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL).returncode
    if rc:
        return Result.failed("pre-commit", "see the hooks marked Failed above")
    return Result("OK", "pre-commit", passed=1)


# --- the Odoo test database -----------------------------------------------------------


def template_key(odoo, names=None, modules=TEST_MODULES, demo=True):
    """Hash of what an install depends on: the files of the addons ``names``
    (default: the addon and every bridge; their tests aside: they are not
    installed), the modules installed, with or without demo data, and the Odoo
    version and tree."""
    modules = ",".join(modules)
    data = "demo" if demo else "nodemo"
    digest = hashlib.sha256(
        f"{odoo.version}\0{odoo.tree}\0{data}\0{modules}\0".encode()
    )
    for name in names or addons():
        addon = REPO / name
        for path in sorted(addon.rglob("*")):
            rel = path.relative_to(addon)
            if (
                not path.is_file()
                or rel.parts[0] == "tests"
                or "__pycache__" in rel.parts
                or path.suffix in (".pyc", ".pyo")
            ):
                continue
            rel = f"{name}/{rel.as_posix()}"
            digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def log_problems(log_path):
    """(ERROR/CRITICAL lines, WARNING lines that mention the addon) of a log."""
    errors, warnings = [], []
    for line in (
        Path(log_path).read_text(encoding="utf-8", errors="replace").split("\n")
    ):
        match = LOG_LINE.match(line)
        if not match:
            continue
        if match["level"] in ("ERROR", "CRITICAL"):
            errors.append(line)
        elif match["level"] == "WARNING" and (
            ADDON in match["logger"] or ADDON in match["message"]
        ):
            warnings.append(line)
    return errors, warnings


MILESTONE = re.compile(rf"[Mm]odule {ADDON}[ :]|Modules loaded|loading \d+ modules")


def _milestone(match):
    """Whether a log line is shown without --verbose: the module loading
    milestones, our addon's lines, and every WARNING, ERROR or CRITICAL."""
    return (
        match["level"] in ("WARNING", "ERROR", "CRITICAL")
        or match["logger"].startswith(f"odoo.addons.{ADDON}")
        or MILESTONE.search(match["message"]) is not None
    )


def _like_prefix(prefix):
    """A LIKE pattern for the names that start with ``prefix`` (whose ``_``,
    LIKE's any-character, is escaped: one kind of template never matches
    another's)."""
    return prefix.replace("_", r"\_") + "%"


class TestDatabase:
    """A template database, built once per key and reused, and the run's copy
    of it: by default the addon with every bridge, with demo data (the main
    run); :meth:`alone` gives one bridge installed alone."""

    def __init__(
        self,
        odoo,
        settings,
        verbose=False,
        *,
        names=None,
        modules=TEST_MODULES,
        demo=True,
        kind="",
        base=None,
    ):
        self.odoo = odoo
        self.settings = settings
        self.verbose = verbose
        # The addons of this repository installed (no other one may be).
        self.names = tuple(names or addons())
        self.modules = tuple(modules)
        self.demo = demo
        # Built from another template (``base``): only what it lacks is
        # installed, with only this database's addons in sight.
        self.base = base
        self.key = template_key(odoo, self.names, self.modules, demo)
        self.prefix = f"{ADDON}_{kind}tmpl_"
        self.template = f"{self.prefix}{self.key}"
        self.name = f"{ADDON}_{kind}test_{os.getpid()}"

    @classmethod
    def alone(cls, odoo, settings, bridge, verbose=False):
        """The addon with only ``bridge`` (and payment_demo), without demo
        data, built from a shared template of the addon alone: a bridge that
        needs another one fails to install, or its tests fail, there."""
        base = cls(
            odoo,
            settings,
            verbose,
            names=(ADDON,),
            modules=(ADDON, "payment_demo"),
            demo=False,
            kind="nodemo_",
        )
        return cls(
            odoo,
            settings,
            verbose,
            names=(ADDON, bridge),
            modules=(ADDON, bridge, "payment_demo"),
            demo=False,
            kind=f"alone_{bridge.removeprefix(ADDON + '_')}_",
            base=base,
        )

    def _odoo(self, *args, log=None, quiet=False, addons_path=None):
        """Run Odoo with our addons path (or ``addons_path``), data dir and
        database options (``odoo db`` takes them before its verb)."""
        options = [
            f"--addons-path={addons_path or self.odoo.addons_path}",
            f"--data-dir={self.settings.data_dir}",
            *self.settings.odoo_db_args(),
        ]
        if args[0] == "db":
            cmd = [*self.odoo.cmd, "db", *options, *args[1:]]
        else:
            cmd = [*self.odoo.cmd, *args, *options]
        shown = re.sub(r"--db_password=\S+", "--db_password=***", shlex.join(cmd))
        info(f"+ {shown}")
        if log is None:
            return subprocess.run(cmd, stdin=subprocess.DEVNULL, check=False).returncode
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
            shown = False  # a traceback follows the line it belongs to
            for line in proc.stdout:
                out.write(line)
                match = LOG_LINE.match(line)
                if match:
                    shown = self.verbose or (not quiet and _milestone(match))
                if shown:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            return proc.wait()

    def databases(self, cnx, like):
        with cnx.cursor() as cr:
            cr.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [like])
            return sorted(row[0] for row in cr.fetchall())

    def module_state(self, dbname):
        """``installed`` when the addon and each bridge of this database are
        (and no other bridge is), else the state of the first one that is not
        (None: not there, or not an Odoo database)."""
        names = self.names
        try:
            with self.settings.connect(dbname) as cnx, cnx.cursor() as cr:
                cr.execute(
                    "SELECT name, state FROM ir_module_module "
                    "WHERE name = %s OR name LIKE %s",
                    [ADDON, _like_prefix(f"{ADDON}_")],
                )
                states = dict(cr.fetchall())
        except Exception:  # no such database, or not an Odoo one
            return None
        for name in names:
            if states.get(name) != "installed":
                return states.get(name)
        others = sorted(
            name
            for name, state in states.items()
            if name not in names and state not in ("uninstalled", "uninstallable")
        )
        if others:
            return f"{', '.join(others)} installed too"
        return "installed"

    def drop(self, cnx, dbname):
        from psycopg2 import sql

        with cnx.cursor() as cr:
            cr.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(dbname)
                )
            )
        shutil.rmtree(self.settings.data_dir / "filestore" / dbname, ignore_errors=True)

    def prepare(self):
        """Make sure the template exists and copy it for this run; None, or
        what went wrong. A PostgreSQL advisory lock per template: another
        bin/test may be building or copying the same one right now."""
        with self.settings.connect() as cnx:
            return self._locked(
                cnx, lambda: self._ensure_template(cnx) or self._create(cnx)
            )

    def _locked(self, cnx, work):
        """``work()``'s result, holding this template's advisory lock; old
        templates of the same kind dropped when it went well."""
        with cnx.cursor() as cr:
            cr.execute("SELECT pg_advisory_lock(hashtext(%s))", [self.template])
        try:
            problem = work()
        finally:
            with cnx.cursor() as cr:
                cr.execute("SELECT pg_advisory_unlock(hashtext(%s))", [self.template])
        if not problem:
            self._drop_old_templates(cnx)
        return problem

    @contextmanager
    def _addons_in_sight(self):
        """An addons path where, of this repository's addons, only this
        database's are: another bridge can neither install itself
        (``auto_install``) nor be depended upon."""
        if set(self.names) == set(addons()):
            yield self.odoo.addons_path
            return
        odoo_paths = [
            path for path in self.odoo.addons_path.split(",") if path != str(REPO)
        ]
        with tempfile.TemporaryDirectory(prefix=f"{ADDON}_addons_") as seen:
            for name in self.names:
                os.symlink(REPO / name, Path(seen) / name)
            yield ",".join([*odoo_paths, seen])

    def _what(self):
        """The install in words, for the log."""
        what = ", ".join(name for name in self.modules if name != "payment_demo")
        return f"{what} {'with' if self.demo else 'without'} demo data"

    def _ensure_template(self, cnx):
        if self.template in self.databases(cnx, self.template):
            if self.module_state(self.template) == "installed":
                info(
                    f"Reusing template database {self.template} "
                    f"({self._what()}; unchanged since it was built)"
                )
                self._mark_used()
                return None
            self.drop(cnx, self.template)
        build = f"{self.template}_build"
        self.drop(cnx, build)
        log = Path(tempfile.gettempdir()) / f"{build}.log"
        start = time.monotonic()
        options = [
            "--stop-after-init",
            "--no-http",
            "--max-cron-threads=0",
            "--log-level=info",
        ]
        if not self.demo:
            options.append("--without-demo=all")
        if self.base:
            problem = self.base._locked(cnx, lambda: self.base._ensure_template(cnx))
            if problem:
                return f"template {self.base.template}: {problem}"
            info(f"Building template database {self.template}: {self._what()}")
            rc = self._odoo(
                "db", "duplicate", self.base.template, build, log=log, quiet=True
            )
            install = [m for m in self.modules if m not in self.base.modules]
        else:
            info(
                f"Building template database {self.template}: installing "
                f"{self._what()} (Odoo installs 'account' first: a few minutes)"
            )
            rc = 0
            install = self.modules
        if not rc:
            with self._addons_in_sight() as addons_path:
                rc = self._odoo(
                    "-d",
                    build,
                    "-i",
                    ",".join(install),
                    *options,
                    log=log,
                    addons_path=addons_path,
                )
        info(f"Odoo exited with code {rc} after {time.monotonic() - start:.0f}s")
        errors, warnings = log_problems(log)
        problems = []
        if rc:
            problems.append(f"Odoo exit code {rc}")
        state = self.module_state(build)
        if state != "installed":
            problems.append(
                f"modules {', '.join(self.names)} not all installed alone "
                f"(state: {state or 'none'})"
            )
        if errors:
            problems.append(f"{len(errors)} ERROR/CRITICAL log line(s)")
        # Odoo installs an addon whose demo data fails without it, warning only:
        # the tests would then run on a database without the demo's story.
        demo_failed = [line for line in warnings if "demo data failed" in line]
        if demo_failed:
            problems.append("demo data failed to install (see the traceback)")
            errors += demo_failed
        if warnings:
            info(f"\nWARNING lines that mention {ADDON} (keep the log clean):")
            info("\n".join(warnings))
        if problems:
            info("\n---- ERROR/CRITICAL lines of the install (else its last 60) ----")
            lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
            info("\n".join(errors[:40] or lines[-60:]))
            info(f"full log: {log}")
            self.drop(cnx, build)
            return "install failed: " + "; ".join(problems)
        log.unlink()
        with cnx.cursor() as cr:
            from psycopg2 import sql

            cr.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(build), sql.Identifier(self.template)
                )
            )
        filestore = self.settings.data_dir / "filestore"
        if (filestore / build).is_dir():
            (filestore / build).rename(filestore / self.template)
        self._mark_used()
        return None

    def _mark_used(self):
        """The template's filestore folder dates its last use."""
        folder = self.settings.data_dir / "filestore" / self.template
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)

    def _drop_old_templates(self, cnx):
        """Drop the templates of other versions of the addon, once unused for
        half an hour (another checkout on this server may still use its own)."""
        for dbname in self.databases(cnx, _like_prefix(self.prefix)):
            if dbname == self.template or dbname.endswith("_build"):
                continue
            folder = self.settings.data_dir / "filestore" / dbname
            if folder.is_dir() and time.time() - folder.stat().st_mtime < 1800:
                continue
            info(f"Dropping the old template database {dbname}")
            self.drop(cnx, dbname)

    def _create(self, cnx):
        """The run's own copy of the template; None, or what went wrong."""
        self.drop(cnx, self.name)
        start = time.monotonic()
        log = Path(tempfile.gettempdir()) / f"{self.name}_duplicate.log"
        rc = self._odoo(
            "db", "duplicate", self.template, self.name, log=log, quiet=True
        )
        if rc or self.module_state(self.name) != "installed":
            info(log.read_text(encoding="utf-8", errors="replace")[-6000:])
            return f"could not copy {self.template} to {self.name} (exit code {rc})"
        log.unlink()
        info(f"Test database {self.name} ready in {time.monotonic() - start:.0f}s")
        return None

    def remove(self):
        with self.settings.connect() as cnx:
            self.drop(cnx, self.name)

    def pytest_args(self, verbose):
        s = self.settings
        extra = [
            f"data-dir={s.data_dir}",
            f"db_host={s.pghost}",
            f"db_port={s.pgport}",
            f"db_user={s.db_user}",
            f"db_password={s.db_password}",
            "http-interface=127.0.0.1",
            "max-cron-threads=0",
            # Odoo's test mode while pytest imports the tests (see
            # tools/pytest_debt_relations.py: off while the registry loads).
            "test-enable",
        ]
        return [
            f"--odoo-database={self.name}",
            f"--odoo-addons-path={self.odoo.addons_path}",
            "--odoo-http",
            f"--odoo-log-level={'info' if verbose else 'warn'}",
            *(f"--odoo-extra={option}" for option in extra),
        ]


# --- results and summary --------------------------------------------------------------


class Result:
    def __init__(self, status, name, passed=0, failed=0, skipped=0, note=""):
        self.status = status
        self.name = name
        self.passed = passed
        self.failed = failed
        self.skipped = skipped
        self.note = note
        self.counts = ""

    @classmethod
    def failed(cls, name, note, passed=0, failed=1, skipped=0):
        return cls("FAILED", name, passed, max(failed, 1), skipped, note)


def has_test_files(folder):
    return folder.is_dir() and any(
        path.name.startswith("test_") or path.name.endswith("_test.py")
        for path in folder.rglob("*.py")
    )


def run_pytest(paths, database, options, tags=None):
    """One pytest session over ``paths``; its Result. ``tags``: Odoo's test
    tags (default ``ODOO_TEST_TAGS``, else the addon's and each bridge's)."""
    results_file = Path(tempfile.mkstemp(prefix=f"{ADDON}_pytest_", suffix=".json")[1])
    cmd = [sys.executable, "-m", "pytest", "-p", "pytest_debt_relations"]
    cmd += [f"--debt-results={results_file}", "-rfEs"]
    cmd += ["-v", "-s"] if options.verbose else ["-q"]
    if database:
        cmd += database.pytest_args(options.verbose)
    else:
        cmd += ["-p", "no:odoo"]  # pytest-odoo: nothing to load without Odoo
    if options.k and not tags:
        cmd += ["-k", options.k]
    cmd += [str(path.relative_to(REPO)) for path in paths]
    env = dict(os.environ, TZ="UTC")
    # Odoo's tags: the addon's tests and its bridges'.
    if tags:
        env["ODOO_TEST_TAGS"] = tags
    env.setdefault("ODOO_TEST_TAGS", ",".join(f"/{addon}" for addon in addons()))
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO / "tools"), env.get("PYTHONPATH")])
    )
    shown = re.sub(r"db_password=\S+", "db_password=***", shlex.join(cmd[2:]))
    info(f"+ {shown}")
    rc = subprocess.run(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL).returncode
    try:
        report = json.loads(results_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = None
    results_file.unlink(missing_ok=True)

    problems = []
    counts = {}
    if report is None:
        problems.append(f"pytest stopped early (exit code {rc})")
    else:
        counts = report["counts"]
        problems += report["problems"]
        tested = [
            name
            for name in (database.names if database else ())
            if has_test_files(REPO / name / "tests")
        ]
        if database and report["odoo_items"] == 0 and tested:
            problems.append(
                f"0 Odoo tests ran but {tested[0]}/tests has test files "
                "(imported in tests/__init__.py? tagged? ODOO_TEST_TAGS?)"
            )
    if rc == 5:
        problems.append("no test collected")
    elif rc not in (0, 1) and report is not None:
        problems.append(f"pytest exit code {rc}")
    passed = sum(c["passed"] for c in counts.values())
    failed = sum(c["failed"] for c in counts.values())
    skipped = sum(c["skipped"] for c in counts.values())
    parts = [
        f"{folder}: {c['passed']} passed, {c['failed']} failed"
        + (f", {c['skipped']} skipped" if c["skipped"] else "")
        for folder, c in sorted(counts.items())
    ]
    if rc == 0 and not problems:
        result = Result("OK", "pytest", passed, 0, skipped)
    else:
        result = Result.failed("pytest", "; ".join(problems), passed, failed, skipped)
    result.counts = "; ".join(parts)
    return result


def summary(results, notes):
    header("Summary")
    for note in notes:
        info(note)
    for r in results:
        counts = r.counts or (
            f"{r.passed} passed, {r.failed} failed" if r.name == "pytest" else ""
        )
        note = f"  ({r.note})" if r.note else ""
        info(f"  {r.name:<12} {r.status:<8} {counts}{note}")
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    info()
    line = f"{ADDON}: {passed} passed, {failed} failed"
    info(f"{line}, {skipped} skipped" if skipped else line)
    return 1 if any(r.status == "FAILED" for r in results) else 0


# --- commands -----------------------------------------------------------------------


def step_odoo_db(options, results):
    """``(odoo, database)``: Odoo when it and PostgreSQL are there (the
    databases can be made), and the main run's test database (None with
    ``--alone-only`` or when it could not be made); what failed in
    ``results``."""
    header("3. Odoo test database")
    odoo, why_not = Odoo.find()
    if not (REPO / ADDON / "__manifest__.py").is_file():
        info(f"no {ADDON}/__manifest__.py yet: Odoo tests SKIPPED")
        results.append(Result("SKIPPED", "odoo tests", note="addon not there yet"))
    elif odoo is None:
        if os.environ.get("ODOO_PATH"):  # a wrong ODOO_PATH is a mistake
            info(why_not)
            results.append(Result.failed("odoo tests", "bad ODOO_PATH"))
        else:
            info(f"{why_not}: Odoo tests SKIPPED")
            results.append(Result("SKIPPED", "odoo tests", note=why_not))
    elif os.environ.get("DEBT_PG_OK") == "0":
        results.append(Result.failed("odoo db", "PostgreSQL unavailable (see above)"))
    elif has_browser_tests() and (browser_problem := ensure_browser()):
        info(browser_problem)
        results.append(Result.failed("browser", browser_problem))
    else:
        info(f"Odoo {odoo.series} at {odoo.tree} ({odoo.how})")
        if options.alone_only:
            return odoo, None
        database = TestDatabase(odoo, Settings(), verbose=options.verbose)
        problem = database.prepare()
        if problem:
            results.append(Result.failed("odoo db", problem))
            return odoo, None
        results.append(Result("OK", "odoo db", note=f"copy of {database.template}"))
        return odoo, database
    return None, None


def cmd_test(options):
    results, notes = [], []
    alone_only = options.alone_only
    # The Odoo tests need the dev tools too (pytest, pytest-odoo).
    results.append(step_tools())
    if not (options.odoo_only or alone_only):
        results.append(step_lint())

    odoo, database = None, None
    if not options.no_odoo:
        odoo, database = step_odoo_db(options, results)
    if os.environ.get("DEBT_PG_NOTE"):
        notes.append(os.environ["DEBT_PG_NOTE"])

    paths = []
    if not (options.odoo_only or alone_only) and has_test_files(REPO / "tests"):
        paths.append(REPO / "tests")
    if database:
        paths += [
            REPO / addon / "tests"
            for addon in addons()
            if has_test_files(REPO / addon / "tests")
        ]
    if paths:
        header(f"4. pytest {' '.join(str(p.relative_to(REPO)) for p in paths)}")
        try:
            results.append(run_pytest(paths, database, options))
        finally:
            if database and options.keep_db:
                notes.append(
                    f"--keep-db: kept database {database.name} "
                    f"(data dir {database.settings.data_dir}); open it: "
                    f"{shlex.join(database.odoo.cmd)} -d {database.name} "
                    f"--addons-path={database.odoo.addons_path} "
                    f"--data-dir={database.settings.data_dir}; test it again: "
                    f"pytest {' '.join(database.pytest_args(False))} "
                    f"{ADDON}/tests"
                )
            elif database:
                database.remove()
    elif not (options.odoo_only or alone_only):
        results.append(Result("SKIPPED", "pytest", note="no tests/test_*.py"))

    if odoo and (alone_only or not (options.k or options.no_alone)):
        results += step_alone(odoo, options, notes)
    return summary(results, notes)


def step_alone(odoo, options, notes):
    """Each bridge installed alone with the addon (no other bridge in sight,
    no demo data), its own tests run there: one Result per bridge."""
    results = []
    for bridge in addons()[1:]:
        header(f"5. {bridge} alone: installed with {ADDON} only, its tests")
        database = TestDatabase.alone(odoo, Settings(), bridge, options.verbose)
        label = f"{bridge} (alone)"
        problem = database.prepare()
        if problem:
            results.append(Result.failed("alone", problem))
            results[-1].counts = f"{label}: not installed"
            continue
        tests = REPO / bridge / "tests"
        try:
            if has_test_files(tests):
                result = run_pytest([tests], database, options, tags=f"/{bridge}")
            else:
                result = Result("OK", "pytest", note="installs; no tests")
        finally:
            if options.keep_db:
                notes.append(f"--keep-db: kept database {database.name}")
            else:
                database.remove()
        result.name = "alone"
        result.counts = f"{label}: {result.passed} passed, {result.failed} failed" + (
            f", {result.skipped} skipped" if result.skipped else ""
        )
        results.append(result)
    return results


def cmd_odoo_info(_options):
    """Shell assignments for bin/lib.sh's find_odoo (ODOO_* variables)."""
    odoo, why_not = Odoo.find()
    if odoo is None:
        print(f"ODOO_NOT_FOUND={shlex.quote(why_not)}")
        return 1
    print(f"ODOO_TREE={shlex.quote(str(odoo.tree))}")
    print(f"ODOO_SERIES={shlex.quote(odoo.series)}")
    print(f"ODOO_HOW={shlex.quote(odoo.how)}")
    print(f"ODOO_CMD=({shlex.join(odoo.cmd)})")
    print(f"ODOO_ADDONS_PATH={shlex.quote(odoo.addons_path)}")
    return 0


def cmd_free_port(_options):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        print(sock.getsockname()[1])
    return 0


def cmd_port_busy(options):
    with socket.socket() as sock:
        sock.settimeout(1)
        return 0 if sock.connect_ex(("127.0.0.1", options.port)) == 0 else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    test = sub.add_parser("test", help="lint, pure and Odoo tests, summary")
    test.add_argument("--no-odoo", action="store_true")
    test.add_argument("--odoo-only", action="store_true")
    test.add_argument("--keep-db", action="store_true")
    test.add_argument("--verbose", "-v", action="store_true")
    test.add_argument("-k", metavar="EXPR", help="pytest -k: select tests by name")
    test.add_argument(
        "--no-alone",
        action="store_true",
        help="skip each bridge's check alone (also skipped with -k)",
    )
    test.add_argument(
        "--alone-only",
        action="store_true",
        help="only each bridge's check alone (installed with the addon only)",
    )
    test.set_defaults(func=cmd_test)
    sub.add_parser("odoo-info").set_defaults(func=cmd_odoo_info)
    sub.add_parser("free-port").set_defaults(func=cmd_free_port)
    busy = sub.add_parser("port-busy")
    busy.add_argument("port", type=int)
    busy.set_defaults(func=cmd_port_busy)
    options = parser.parse_args(argv)
    return options.func(options)


if __name__ == "__main__":
    sys.exit(main())
