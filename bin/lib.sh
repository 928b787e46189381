# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables set here are read by bin/test, bin/demo
# Shared helpers for bin/test and bin/demo. Source it, do not run it.
#
# It only defines variables (all overridable from the environment) and
# functions. The two things that take thought are here:
#   find_odoo        locate an installed Odoo 18.0 (never downloads or builds one)
#   ensure_postgres  use a PostgreSQL server that answers, or start our own cluster
# The rest of the logic (finding Odoo, the test run) is Python:
# tools/debt_relations_dev.py.

# --- settings (environment overrides) --------------------------------------

ADDON=debt_relations
REPO_ROOT="${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
PYTHON="${PYTHON:-python3}"

PGHOST="${PGHOST:-localhost}"
PGPORT="${PGPORT:-5432}"
DEBT_DB_USER="${DEBT_DB_USER:-odoo}"
DEBT_DB_PASSWORD="${DEBT_DB_PASSWORD:-odoo}"
# Data directory of the cluster we start ourselves when no server answers.
DEBT_PG_DATA="${DEBT_PG_DATA:-${TMPDIR:-/tmp}/debt_relations_pg}"

# --- output ------------------------------------------------------------------

# header TEXT: a visible step header.
header() {
    printf '\n==== %s ====\n' "$*"
}

info() {
    printf '%s\n' "$*"
}

warn() {
    printf 'WARNING: %s\n' "$*" >&2
}

# die MESSAGE: print and exit 1 (use in top-level flows, not in test steps).
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

# --- Python / Odoo -------------------------------------------------------------

# find_python: check that $PYTHON runs.
find_python() {
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        die "python interpreter '$PYTHON' not found (set PYTHON=/path/to/python3)"
    fi
}

# find_odoo: set ODOO_TREE, ODOO_SERIES, ODOO_CMD (array), ODOO_ADDONS_PATH and
# ODOO_HOW. Returns 1 with ODOO_NOT_FOUND (one line) when there is no usable
# Odoo 18.0. Order: $ODOO_PATH (a source tree), then an importable `odoo`
# (tools/debt_relations_dev.py odoo-info does the looking).
find_odoo() {
    ODOO_TREE=""
    ODOO_SERIES=""
    ODOO_CMD=()
    ODOO_ADDONS_PATH=""
    ODOO_HOW=""
    ODOO_NOT_FOUND=""
    local assignments rc=0
    assignments="$("$PYTHON" "$REPO_ROOT/tools/debt_relations_dev.py" odoo-info)" || rc=$?
    eval "$assignments"
    return "$rc"
}

# The connection options for Odoo.
ODOO_DB_ARGS=(--db_host="$PGHOST" --db_port="$PGPORT"
    --db_user="$DEBT_DB_USER" --db_password="$DEBT_DB_PASSWORD")

# free_tcp_port: print a TCP port nobody listens on right now.
free_tcp_port() {
    "$PYTHON" "$REPO_ROOT/tools/debt_relations_dev.py" free-port
}

# tcp_port_busy PORT: true if something listens on localhost:PORT.
tcp_port_busy() {
    "$PYTHON" "$REPO_ROOT/tools/debt_relations_dev.py" port-busy "$1"
}

# --- PostgreSQL ------------------------------------------------------------------

# find_pg_bindir: set PG_BINDIR to a dir holding the server binaries (pg_ctl,
# initdb), empty when there is none. `pg_config --bindir` first, then the
# highest /usr/lib/postgresql/*/bin.
find_pg_bindir() {
    PG_BINDIR="${PG_BINDIR:-}"
    if [ -n "$PG_BINDIR" ] && [ -x "$PG_BINDIR/pg_ctl" ]; then
        return 0
    fi
    PG_BINDIR=""
    local dir
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then
            PG_BINDIR="$dir"
            return 0
        fi
    fi
    dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then
        PG_BINDIR="$dir"
    fi
}

# pg_tool NAME: print the path of a client tool (psql, pg_isready, dropdb…).
pg_tool() {
    if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/$1" ]; then
        printf '%s\n' "$PG_BINDIR/$1"
    elif command -v "$1" >/dev/null 2>&1; then
        command -v "$1"
    else
        return 1
    fi
}

# as_postgres CMD…: run a command as the `postgres` system user (from / so it
# never complains about an unreadable working directory).
as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        (cd / && "$@")
    elif command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- "$@")
    else
        local cmd
        cmd="$(printf '%q ' "$@")"
        (cd / && su postgres -s /bin/sh -c "$cmd")
    fi
}

# db_psql ARGS…: psql as our role on the configured server (database postgres).
db_psql() {
    PGPASSWORD="$DEBT_DB_PASSWORD" PGCONNECT_TIMEOUT=5 \
        "$(pg_tool psql)" -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" \
        -U "$DEBT_DB_USER" -d postgres "$@"
}

pg_answers() {
    local isready
    isready="$(pg_tool pg_isready)" || return 1
    "$isready" -q -h "$PGHOST" -p "$PGPORT" -t 3 >/dev/null 2>&1
}

# role_can_login: our role logs in and may create databases.
role_can_login() {
    local ok
    ok="$(db_psql -Atc 'SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user' 2>/dev/null || true)"
    [ "$ok" = t ]
}

# db_exists NAME
db_exists() {
    local found
    found="$(db_psql -Atc "SELECT 1 FROM pg_database WHERE datname = '${1//\'/\'\'}'" 2>/dev/null || true)"
    [ "$found" = 1 ]
}

# drop_db NAME: drop a database, closing its connections.
drop_db() {
    PGPASSWORD="$DEBT_DB_PASSWORD" PGCONNECT_TIMEOUT=5 \
        "$(pg_tool dropdb)" --if-exists --force -h "$PGHOST" -p "$PGPORT" \
        -U "$DEBT_DB_USER" "$1"
}

# module_state DB MODULE: print the ir_module_module state ("installed"…).
module_state() {
    PGPASSWORD="$DEBT_DB_PASSWORD" PGCONNECT_TIMEOUT=5 \
        "$(pg_tool psql)" -X -q -h "$PGHOST" -p "$PGPORT" -U "$DEBT_DB_USER" \
        -d "$1" -Atc "SELECT state FROM ir_module_module WHERE name = '$2'" \
        2>/dev/null || true
}

# create_role_sql: psql script creating/updating our role (variables u, p).
create_role_sql() {
    cat <<'SQL'
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') AS missing \gset
\if :missing
CREATE ROLE :"u" LOGIN CREATEDB PASSWORD :'p';
\else
ALTER ROLE :"u" LOGIN CREATEDB PASSWORD :'p';
\endif
SQL
}

# own_cluster_port: the port our cluster is running on (empty if stopped).
own_cluster_port() {
    [ -f "$DEBT_PG_DATA/postmaster.pid" ] || return 0
    if as_postgres "$PG_BINDIR/pg_ctl" -D "$DEBT_PG_DATA" status >/dev/null 2>&1; then
        sed -n 4p "$DEBT_PG_DATA/postmaster.pid"
    fi
}

# start_own_cluster: initdb (first time) and start the throwaway cluster in
# $DEBT_PG_DATA as the postgres system user, listening on localhost:$PGPORT.
start_own_cluster() {
    case "$PGHOST" in
        localhost | 127.0.0.1 | ::1) ;;
        *) die "no PostgreSQL answers at $PGHOST:$PGPORT, and we only start our own on localhost (unset PGHOST)" ;;
    esac
    if ! is_root && [ "$(id -un)" != postgres ]; then
        die "no PostgreSQL answers at $PGHOST:$PGPORT and we are not root, so we cannot start one as the postgres user.
  Start a server yourself and create the role:  CREATE ROLE $DEBT_DB_USER LOGIN CREATEDB PASSWORD '…';
  then set PGHOST/PGPORT/DEBT_DB_USER/DEBT_DB_PASSWORD (or run this as root)."
    fi
    find_pg_bindir
    if [ -z "$PG_BINDIR" ]; then
        die "no PostgreSQL server binaries found (pg_config --bindir, /usr/lib/postgresql/*/bin).
  Install them, e.g. on Debian/Ubuntu: apt-get install postgresql"
    fi
    if ! getent passwd postgres >/dev/null 2>&1; then
        die "no 'postgres' system user to run the cluster as (Debian's postgresql package creates it)"
    fi

    local running_port
    running_port="$(own_cluster_port)"
    if [ -n "$running_port" ] && [ "$running_port" != "$PGPORT" ]; then
        die "our cluster in $DEBT_PG_DATA runs on port $running_port, not $PGPORT: use PGPORT=$running_port, or stop it:
  runuser -u postgres -- $PG_BINDIR/pg_ctl -D $DEBT_PG_DATA stop"
    fi

    if [ ! -f "$DEBT_PG_DATA/PG_VERSION" ]; then
        info "Creating a throwaway PostgreSQL cluster in $DEBT_PG_DATA ($PG_BINDIR)"
        mkdir -p "$DEBT_PG_DATA"
        chown postgres: "$DEBT_PG_DATA"
        chmod 700 "$DEBT_PG_DATA"
        if ! as_postgres test -w "$DEBT_PG_DATA"; then
            die "the postgres user cannot write $DEBT_PG_DATA (a parent dir is private?): set DEBT_PG_DATA to a path under /tmp"
        fi
        local locale_opt=(--no-locale)
        if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
            locale_opt=(--locale=C.UTF-8)
        fi
        as_postgres "$PG_BINDIR/initdb" -D "$DEBT_PG_DATA" -U postgres \
            --auth=trust -E UTF8 "${locale_opt[@]}" >"$DEBT_PG_DATA.initdb.log" 2>&1 ||
            { cat "$DEBT_PG_DATA.initdb.log" >&2; die "initdb failed"; }
        rm -f "$DEBT_PG_DATA.initdb.log"
        printf "\ninclude_if_exists = 'debt_relations.conf'\n" |
            as_postgres tee -a "$DEBT_PG_DATA/postgresql.conf" >/dev/null
    else
        local have want
        have="$(cat "$DEBT_PG_DATA/PG_VERSION")"
        want="$("$PG_BINDIR/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')"
        if [ "$have" != "$want" ]; then
            die "$DEBT_PG_DATA holds a PostgreSQL $have cluster but the binaries are $want: remove it (rm -rf $DEBT_PG_DATA)"
        fi
    fi

    if [ -z "$running_port" ]; then
        # Throwaway settings: this cluster holds test and demo data only, so
        # durability is traded for speed.
        as_postgres tee "$DEBT_PG_DATA/debt_relations.conf" >/dev/null <<CONF
# written by bin/lib.sh at each start
port = $PGPORT
listen_addresses = 'localhost'
unix_socket_directories = '$DEBT_PG_DATA'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
        info "Starting PostgreSQL cluster $DEBT_PG_DATA on localhost:$PGPORT"
        if ! as_postgres "$PG_BINDIR/pg_ctl" -D "$DEBT_PG_DATA" \
            -l "$DEBT_PG_DATA/server.log" -w -t 60 start >/dev/null; then
            tail -n 20 "$DEBT_PG_DATA/server.log" >&2 || true
            die "could not start PostgreSQL (log: $DEBT_PG_DATA/server.log)"
        fi
    fi

    local i
    for i in $(seq 1 30); do
        pg_answers && break
        [ "$i" -eq 30 ] && die "PostgreSQL in $DEBT_PG_DATA does not answer on $PGHOST:$PGPORT"
        sleep 1
    done

    # Our role, as the cluster's superuser over the Unix socket (trust auth).
    create_role_sql | as_postgres "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
        -h "$DEBT_PG_DATA" -p "$PGPORT" -U postgres -d postgres \
        -v u="$DEBT_DB_USER" -v p="$DEBT_DB_PASSWORD" >/dev/null ||
        die "could not create the PostgreSQL role $DEBT_DB_USER"
    PG_OWN_CLUSTER=1
}

# ensure_postgres: make sure $DEBT_DB_USER can log in at $PGHOST:$PGPORT with
# CREATEDB. Uses a server that answers, else starts our own cluster.
ensure_postgres() {
    PG_OWN_CLUSTER=0
    if [ "$DEBT_DB_USER" = postgres ]; then
        die "Odoo refuses to run as the 'postgres' database role: set DEBT_DB_USER to another role"
    fi
    find_pg_bindir
    if ! pg_tool psql >/dev/null || ! pg_tool pg_isready >/dev/null; then
        die "PostgreSQL client tools (psql, pg_isready) not found: install PostgreSQL (Debian: apt-get install postgresql)"
    fi

    if pg_answers; then
        if [ -n "$PG_BINDIR" ] && [ -n "$(own_cluster_port)" ]; then
            PG_OWN_CLUSTER=1
        fi
        if role_can_login; then
            info "PostgreSQL: using the server at $PGHOST:$PGPORT as role $DEBT_DB_USER"
            return 0
        fi
        if [ "$PG_OWN_CLUSTER" = 1 ]; then
            start_own_cluster # running already: only (re)creates the role
        elif is_root && command -v runuser >/dev/null 2>&1; then
            # A local server we did not start (e.g. Debian's): try the postgres
            # superuser over its default Unix socket (peer authentication).
            info "PostgreSQL at $PGHOST:$PGPORT: role $DEBT_DB_USER cannot log in; trying to create it as the postgres user"
            create_role_sql | as_postgres "$(pg_tool psql)" -X -q -v ON_ERROR_STOP=1 \
                -p "$PGPORT" -d postgres -v u="$DEBT_DB_USER" \
                -v p="$DEBT_DB_PASSWORD" >/dev/null 2>&1 || true
        fi
        if ! role_can_login; then
            die "a PostgreSQL server answers at $PGHOST:$PGPORT but role '$DEBT_DB_USER' cannot log in with CREATEDB.
  Create it (CREATE ROLE $DEBT_DB_USER LOGIN CREATEDB PASSWORD '…'), set DEBT_DB_USER/DEBT_DB_PASSWORD,
  or set PGPORT to a free port so that a throwaway cluster is started there."
        fi
        info "PostgreSQL: using the server at $PGHOST:$PGPORT as role $DEBT_DB_USER"
        return 0
    fi

    start_own_cluster
    role_can_login || die "role $DEBT_DB_USER cannot log in to our cluster at $PGHOST:$PGPORT"
    info "PostgreSQL: our cluster $DEBT_PG_DATA on $PGHOST:$PGPORT, role $DEBT_DB_USER"
}

# pg_left_running_note: say that our cluster keeps running, and how to stop it.
pg_left_running_note() {
    if [ -z "${PG_OWN_CLUSTER:-}" ]; then # ensure_postgres ran in a subshell
        find_pg_bindir
        PG_OWN_CLUSTER=0
        [ -n "$PG_BINDIR" ] && [ -n "$(own_cluster_port)" ] && PG_OWN_CLUSTER=1
    fi
    if [ "${PG_OWN_CLUSTER:-0}" = 1 ]; then
        info "PostgreSQL cluster $DEBT_PG_DATA is left running on $PGHOST:$PGPORT (next runs are faster)."
        info "  stop it: runuser -u postgres -- $PG_BINDIR/pg_ctl -D $DEBT_PG_DATA stop"
    fi
}

# ensure_wkhtmltopdf: PDF reports need it; install Debian's package when we can.
ensure_wkhtmltopdf() {
    if command -v wkhtmltopdf >/dev/null 2>&1; then
        return 0
    fi
    if is_root && command -v apt-get >/dev/null 2>&1; then
        info "wkhtmltopdf is missing: installing Debian's wkhtmltopdf package"
        if DEBIAN_FRONTEND=noninteractive apt-get install -y -q wkhtmltopdf >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1 &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q wkhtmltopdf >/dev/null 2>&1; }; then
            return 0
        fi
        warn "apt-get install wkhtmltopdf failed"
    fi
    warn "wkhtmltopdf not found: PDF reports (letters, dossiers) will not print.
  Install it: apt-get install wkhtmltopdf (Debian/Ubuntu), or see https://wkhtmltopdf.org/downloads.html"
    return 0
}

# ensure_browser_deps: Odoo skips browser tests (tours) without Chromium and
# websocket-client, and a skipped tour proves nothing: install both when the
# addon has such tests.
ensure_browser_deps() {
    if ! grep -rqE 'start_tour|browser_js' "$ADDON/tests" 2>/dev/null; then
        return 0
    fi
    info "the addon has browser tests: checking Chromium and websocket-client"
    if ! "$PYTHON" -c 'import websocket' 2>/dev/null; then
        PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q websocket-client ||
            warn "could not install websocket-client"
    fi
    if ! command -v chromium >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1 &&
        ! command -v chromium-browser >/dev/null 2>&1; then
        if is_root && command -v apt-get >/dev/null 2>&1; then
            info "installing Debian's chromium package (once)"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 ||
                { apt-get update -q >/dev/null 2>&1 &&
                    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } ||
                warn "could not install chromium: browser tests will be skipped (and fail this run)"
        else
            warn "Chromium not found: install it (Debian: apt-get install chromium)"
        fi
    fi
}
