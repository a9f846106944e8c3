#!/usr/bin/env bash
# Run the Go test suite with a real PostgreSQL available.
#
#   ./scripts/test.sh                       # go test ./...
#   ./scripts/test.sh -race -count=1 ./...  # extra args are passed to go test
#   ./scripts/test.sh --run CMD ARGS...     # run CMD with the database instead
#
# If USERMGMT_TEST_POSTGRES_DSN is set, that database is used as is.
# Otherwise a throwaway PostgreSQL cluster is created in a temporary
# directory (trust auth, 127.0.0.1 only, random free port, durability off),
# database "usermgmt_test" is created in it, and the cluster is stopped and
# deleted when this script exits (also on failure or interrupt).
#
# Environment:
#   USERMGMT_TEST_POSTGRES_DSN       use this database instead of a throwaway one
#   USERMGMT_TEST_POSTGRES_REQUIRED  exported as 1 (tests fail instead of skip)
#   USERMGMT_TEST_SKIP_POSTGRES=1    if no PostgreSQL binaries are found, run
#                                    SQLite-only instead of failing
#   USERMGMT_TEST_PG_BINDIR          directory with initdb/pg_ctl/postgres
#   USERMGMT_TEST_PG_OS_USER         OS user to run the server as when this
#                                    script runs as root (default: postgres)
#   USERMGMT_TEST_PG_KEEP=1          do not delete the cluster dir on exit
#                                    (the server is still stopped)
set -euo pipefail

log() { printf 'scripts/test.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Run with the repository root as working directory so "./..." works no
# matter where the script is invoked from.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# "--run CMD ARGS..." runs CMD instead of go test with the same database
# (the load script uses it): ./scripts/test.sh --run go run ./scripts/loadtest
cmd=(go test)
if [[ "${1:-}" == "--run" ]]; then
	shift
	[[ $# -gt 0 ]] || die "--run needs a command"
	cmd=("$1")
	shift
elif [[ $# -eq 0 ]]; then
	set -- ./...
fi

# ---------------------------------------------------------------------------
# 1. An externally provided database.
# ---------------------------------------------------------------------------
if [[ -n "${USERMGMT_TEST_POSTGRES_DSN:-}" ]]; then
	export USERMGMT_TEST_POSTGRES_REQUIRED="${USERMGMT_TEST_POSTGRES_REQUIRED:-1}"
	# Do not print a password if the DSN contains one.
	redacted="$(printf '%s' "$USERMGMT_TEST_POSTGRES_DSN" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#; s#(password=)[^ &]*#\1***#')"
	log "using PostgreSQL from USERMGMT_TEST_POSTGRES_DSN: $redacted"
	exec "${cmd[@]}" "$@"
fi

# ---------------------------------------------------------------------------
# 2. Find PostgreSQL server binaries.
# ---------------------------------------------------------------------------
find_bindir() {
	local d
	if [[ -n "${USERMGMT_TEST_PG_BINDIR:-}" ]]; then
		printf '%s\n' "$USERMGMT_TEST_PG_BINDIR"
		return 0
	fi
	# Newest /usr/lib/postgresql/<version>/bin first (Debian/Ubuntu layout).
	for d in $(compgen -G '/usr/lib/postgresql/*/bin' | sort -V -r); do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
			printf '%s\n' "$d"
			return 0
		fi
	done
	if command -v pg_config >/dev/null 2>&1; then
		d="$(pg_config --bindir 2>/dev/null || true)"
		if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
			printf '%s\n' "$d"
			return 0
		fi
	fi
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
		return 0
	fi
	return 1
}

if ! bindir="$(find_bindir)"; then
	if [[ "${USERMGMT_TEST_SKIP_POSTGRES:-}" == 1 ]]; then
		log "no PostgreSQL server binaries found; USERMGMT_TEST_SKIP_POSTGRES=1, running SQLite-only tests"
		unset USERMGMT_TEST_POSTGRES_REQUIRED
		exec "${cmd[@]}" "$@"
	fi
	die "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found in /usr/lib/postgresql/*/bin, pg_config --bindir or PATH.
  Install them (Debian/Ubuntu: apt-get install postgresql), point USERMGMT_TEST_PG_BINDIR at them,
  set USERMGMT_TEST_POSTGRES_DSN to an existing database, or set USERMGMT_TEST_SKIP_POSTGRES=1 to run SQLite-only."
fi

for tool in initdb pg_ctl postgres; do
	[[ -x "$bindir/$tool" ]] || die "$bindir/$tool not found or not executable"
done

# ---------------------------------------------------------------------------
# 3. Create and start a throwaway cluster.
# ---------------------------------------------------------------------------
# PostgreSQL refuses to run as root, so as root the server runs as an
# unprivileged OS user.
as_pg=()
if [[ "$(id -u)" -eq 0 ]]; then
	pg_user="${USERMGMT_TEST_PG_OS_USER:-postgres}"
	if ! id -u "$pg_user" >/dev/null 2>&1; then
		log "OS user '$pg_user' does not exist; running the server as 'nobody'"
		pg_user=nobody
	fi
	if command -v runuser >/dev/null 2>&1; then
		as_pg=(runuser -u "$pg_user" --)
	elif command -v setpriv >/dev/null 2>&1; then
		as_pg=(setpriv --reuid="$pg_user" --regid="$(id -g "$pg_user")" --clear-groups --)
	else
		die "running as root but neither runuser nor setpriv is available to drop privileges for PostgreSQL"
	fi
fi

# /tmp rather than $TMPDIR: as root, TMPDIR may be somewhere the server
# user cannot reach. Keep the path short (unix socket path length limit).
pgtmp="$(mktemp -d /tmp/usermgmt-pg.XXXXXX)"
datadir="$pgtmp/data"
sockdir="$pgtmp/sock"
pglog="$pgtmp/postgres.log"
mkdir -p "$sockdir"
if [[ ${#as_pg[@]} -gt 0 ]]; then
	chown -R "$pg_user" "$pgtmp"
fi

# Run a server-side command as the server user, from a directory it can read.
pg_run() { (cd "$pgtmp" && "${as_pg[@]}" "$@"); }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [[ -n "${gotest_pid:-}" ]] && kill -0 "$gotest_pid" 2>/dev/null; then
		if [[ -n "${gotest_pgid:-}" ]]; then
			kill -TERM -- "-$gotest_pgid" 2>/dev/null || true
		else
			kill -TERM "$gotest_pid" 2>/dev/null || true
		fi
		wait "$gotest_pid" 2>/dev/null || true
	fi
	if [[ -f "$datadir/postmaster.pid" ]]; then
		pg_run "$bindir/pg_ctl" -D "$datadir" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
	fi
	if [[ "${USERMGMT_TEST_PG_KEEP:-}" == 1 ]]; then
		log "kept cluster directory $pgtmp"
	else
		rm -rf "$pgtmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if ! pg_run "$bindir/initdb" -D "$datadir" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$pgtmp/initdb.log" 2>&1; then
	cat "$pgtmp/initdb.log" >&2
	die "initdb failed"
fi

cat >>"$datadir/postgresql.conf" <<EOF

# --- scripts/test.sh: throwaway test cluster, durability off ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
max_parallel_workers_per_gather = 0
EOF

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port=""
for _ in $(seq 1 20); do
	p=$((20000 + RANDOM % 20001))
	port_free "$p" || continue
	if pg_run "$bindir/pg_ctl" -D "$datadir" -l "$pglog" -o "-p $p" -w -t 60 start >/dev/null 2>&1; then
		port="$p"
		break
	fi
	# Port taken between the check and the bind, or a real failure: retry,
	# and show the log if every attempt fails.
	pg_run "$bindir/pg_ctl" -D "$datadir" -m immediate -w stop >/dev/null 2>&1 || true
done
if [[ -z "$port" ]]; then
	cat "$pglog" >&2 2>/dev/null || true
	die "could not start PostgreSQL from $bindir"
fi

psql_bin="$bindir/psql"
[[ -x "$psql_bin" ]] || psql_bin="psql"
"$psql_bin" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
	-c 'CREATE DATABASE usermgmt_test' >/dev/null ||
	die "could not create database usermgmt_test"

export USERMGMT_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:$port/usermgmt_test?sslmode=disable"
export USERMGMT_TEST_POSTGRES_REQUIRED=1
version="$("$bindir/postgres" --version 2>/dev/null | sed -E 's/^postgres \(PostgreSQL\) //')"
log "using throwaway PostgreSQL ${version:-?} ($bindir) at 127.0.0.1:$port, DSN $USERMGMT_TEST_POSTGRES_DSN"

if [[ -n "${USERMGMT_TEST_PG_HOOK:-}" ]]; then
	# Debug hook: run a shell command with the DSN exported (e.g. psql).
	bash -c "$USERMGMT_TEST_PG_HOOK"
fi

# Not exec: the EXIT trap must run after go test to stop the cluster.
# go test runs in the background in its own process group so that a signal
# sent to this script alone (e.g. a CI timeout) is handled right away: the
# trap stops go test and its test binaries, then the cluster.
if command -v setsid >/dev/null 2>&1; then
	setsid "${cmd[@]}" "$@" &
	gotest_pgid=$!
else
	"${cmd[@]}" "$@" &
fi
gotest_pid=$!
wait "$gotest_pid"
