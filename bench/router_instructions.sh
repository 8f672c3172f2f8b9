#!/usr/bin/env bash
# router_instructions.sh: instructions the router executes per transaction, counted by
# callgrind. Unlike tps or CPU time this does not move with the machine's load, so it shows
# what a change to the data plane saves (or costs) even on a busy shared VM.
#
#   bench/router_instructions.sh                      select-only, simple protocol
#   bench/router_instructions.sh -M extended          any pgbench options are passed on
#   bench/router_instructions.sh -M prepared -N       (-N: TPC-B-like without branch updates)
#   KEY_IN_SQL=1 bench/router_instructions.sh -f bench/tenant_select.sql -D ntenants=100 \
#       -D naccounts=1000                             (tenant key parsed from the SQL, as in
#                                                      pgwire_compare.sh --two-shards)
#
# Environment (all optional):
#   TXNS=2000          transactions per client in the counted run (8 clients)
#   DOMICILE_BIN=path  default: build-bench/src/domicile, then build/src/domicile
#   PG_BIN=dir         default: /usr/lib/postgresql/15/bin
#   KEY_IN_SQL=1       no startup-option tenant: every statement must carry its tenant key
#                      (the database also holds pgwire_compare.sh's accounts and history tables,
#                      tenants 1..100 with 1000 accounts each, all on the one shard)
#
# One PostgreSQL (pgbench -i -s 1) and `domicile serve --workers 1` under
# `valgrind --tool=callgrind --instr-atstart=no`, in a temp dir on free loopback ports; a
# warm-up run, then counting is switched on for one `pgbench -c 8 -j 2 -t TXNS` run only.
# Prints instructions per transaction (everything the router process ran meanwhile,
# including its catalog refresher) and keeps the callgrind file for callgrind_annotate.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"
TXNS="${TXNS:-2000}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
[[ "$TXNS" =~ ^[1-9][0-9]*$ ]] || { echo "router_instructions.sh: TXNS must be a positive integer" >&2; exit 2; }

source "$BENCH_DIR/common.sh"
for tool in valgrind callgrind_control callgrind_annotate "$PGBENCH" "$PSQL"; do
  command -v "$tool" >/dev/null || die "missing $tool"
done

WORK=""
PG_STARTED=0
DOM_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$DOM_PID" ]] && kill -0 "$DOM_PID" 2>/dev/null; then
    kill -TERM "$DOM_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$DOM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DOM_PID" 2>/dev/null || true
  fi
  if [[ "$PG_STARTED" == 1 ]]; then
    as_server "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  fi
  [[ -n "$WORK" && $rc == 0 ]] && rm -rf "$WORK/pg" "$WORK/data"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK="$(mktemp -d "${TMPDIR:-/tmp}/router_instructions.XXXXXX")"
chmod 755 "$WORK"
pick_free_port PG_PORT
pick_free_port DOM_PORT

log "PostgreSQL on port $PG_PORT, pgbench -i -s 1"
mkdir -p "$WORK/pg"
[[ "$SERVER_USER" == "$(id -un)" ]] || chown "$SERVER_USER" "$WORK/pg"
as_server "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust --no-sync >"$WORK/initdb.log" 2>&1 \
  || die "initdb failed (see $WORK/initdb.log)"
as_server "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/postgres.log" -w -t 60 \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$WORK/pg -c fsync=off" \
  start >/dev/null || die "PostgreSQL did not start"
PG_STARTED=1
"$PSQL" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE bench"
"$PGBENCH" -i -q -s 1 -h 127.0.0.1 -p "$PG_PORT" -U postgres bench >"$WORK/init.log" 2>&1 \
  || die "pgbench -i failed"
# pgwire_compare.sh --two-shards' tables, for its tenant-keyed scripts.
"$PSQL" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench >/dev/null <<SQL
CREATE TABLE accounts (tenant_id int NOT NULL, aid int NOT NULL, abalance int NOT NULL,
                       filler char(84), PRIMARY KEY (tenant_id, aid));
CREATE TABLE history (tenant_id int NOT NULL, aid int NOT NULL, delta int NOT NULL,
                      mtime timestamp);
INSERT INTO accounts SELECT t, a, 0, '' FROM generate_series(1, 100) t, generate_series(1, 1000) a;
VACUUM ANALYZE accounts;
SQL

cat >"$WORK/topology.toml" <<TOML
[[jurisdiction]]
code = "LO"
name = "Loopback"
regions = ["local:loopback"]

[[shard]]
id = "bench"
engine = "postgres"
region = "local:loopback"
dsn = "host=127.0.0.1 port=$PG_PORT dbname=bench user=postgres"

[[tenant]]
id = "bench"
allow = ["LO"]
shard = "bench"
TOML
for ((t = 1; t <= 100; t++)); do
  printf '\n[[tenant]]\nid = "%d"\nallow = ["LO"]\nshard = "bench"\n' "$t" >>"$WORK/topology.toml"
done
"$DOMICILE_BIN" catalog apply --data "$WORK/data" "$WORK/topology.toml" >/dev/null
OUT="$WORK/callgrind.out"
log "domicile serve under callgrind on port $DOM_PORT: $DOMICILE_BIN"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" \
  "$DOMICILE_BIN" serve --data "$WORK/data" --listen "127.0.0.1:$DOM_PORT" --workers 1 \
  >"$WORK/serve.log" 2>&1 &
DOM_PID=$!
export PGOPTIONS="-c domicile.tenant=bench"
for i in $(seq 300); do
  "$PSQL" -X -h 127.0.0.1 -p "$DOM_PORT" -U postgres -d bench -Atc 'SELECT 1' >/dev/null 2>&1 && break
  kill -0 "$DOM_PID" 2>/dev/null || die "domicile exited (see $WORK/serve.log)"
  sleep 0.2
  [[ $i == 300 ]] && die "domicile did not answer within 60 s"
done
[[ "${KEY_IN_SQL:-0}" == 1 ]] && unset PGOPTIONS
PGBENCH_ARGS=("$@")
[[ ${#PGBENCH_ARGS[@]} -gt 0 ]] || PGBENCH_ARGS=(-S)
run_pgbench() {
  "$PGBENCH" -n -c 8 -j 2 -t "$1" -h 127.0.0.1 -p "$DOM_PORT" -U postgres "${PGBENCH_ARGS[@]}" bench \
    >"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log" >&2; die "pgbench failed"; }
}
log "warm-up: pgbench ${PGBENCH_ARGS[*]} -c 8 -t 200"
run_pgbench 200
callgrind_control -i on "$DOM_PID" >/dev/null 2>&1
log "counted: pgbench ${PGBENCH_ARGS[*]} -c 8 -t $TXNS"
run_pgbench "$TXNS"
callgrind_control -i off "$DOM_PID" >/dev/null 2>&1
kill -TERM "$DOM_PID"
wait "$DOM_PID" 2>/dev/null || true
DOM_PID=""
processed=$(grep -oP 'processed: \K[0-9]+' "$WORK/pgbench.log")
total=$(callgrind_annotate "$OUT" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
[[ -n "$processed" && -n "$total" ]] || die "no counts (see $WORK)"
echo "pgbench ${PGBENCH_ARGS[*]}: $processed transactions, $total router instructions, $((total / processed)) per transaction"
echo "callgrind file: $OUT (callgrind_annotate --inclusive=no $OUT)"
