# common.sh: the start every script in bench/ shares: logging, the domicile binary, running
# servers as `postgres` under root, a clean libpq environment, free loopback ports.
# Sourced, not run: `source "$BENCH_DIR/common.sh"` after setting REPO_DIR and PG_BIN.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# DOMICILE_BIN as the caller set it, else build-bench's binary, else build's.
if [[ -z "${DOMICILE_BIN:-}" ]]; then
  for candidate in "$REPO_DIR/build-bench/src/domicile" "$REPO_DIR/build/src/domicile"; do
    if [[ -x "$candidate" ]]; then DOMICILE_BIN="$candidate"; break; fi
  done
fi
[[ -x "${DOMICILE_BIN:-}" ]] || die "no domicile binary; build one with
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench -j2 --target domicile
or set DOMICILE_BIN"
[[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] || die "no PostgreSQL server in $PG_BIN (set PG_BIN)"
PSQL="$(command -v psql || echo "$PG_BIN/psql")"
PGBENCH="$(command -v pgbench || echo "$PG_BIN/pgbench")"

# Servers run as `postgres` when we are root (initdb and postgres refuse root).
if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user"
  SERVER_USER=postgres
  as_server() { runuser -u postgres -- "$@"; }
else
  SERVER_USER="$(id -un)"
  as_server() { "$@"; }
fi

# Nothing from the caller's libpq environment may steer the clients; TLS and GSS are off for
# every target alike.
unset PGOPTIONS PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE PGSERVICE \
      PGSERVICEFILE PGTARGETSESSIONATTRS PGAPPNAME 2>/dev/null || true
export PGSSLMODE=disable PGGSSENCMODE=disable PGCONNECT_TIMEOUT=10

# pick_free_port VAR: sets VAR to a loopback port nothing listens on and no earlier call of
# this script picked (assigned here, not echoed, so the list of taken ports survives).
TAKEN_PORTS=" "
pick_free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 40000))
    [[ "$TAKEN_PORTS" == *" $p "* ]] && continue
    if command -v ss >/dev/null && [[ -n "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]]; then
      continue
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    TAKEN_PORTS+="$p "
    printf -v "$1" '%s' "$p"
    return 0
  done
  die "no free port found"
}
