#!/usr/bin/env bash
# move_bench.sh: online tenant moves between two PostgreSQL servers while writers run,
# next to the physical reference (COPY TO STDOUT | COPY FROM STDIN between the same servers).
#
#   bench/move_bench.sh
#
# Environment (all optional):
#   ROWS=1000000       the moving tenant's rows, split 40/40/20 over accounts/events/notes
#   MOVES=10           moves, alternating source -> target -> source ...
#   RATE=200           each writer's transactions per second (pgbench -R), through the router
#   DOMICILE_BIN=path  default: build-bench/src/domicile, then build/src/domicile
#   PG_BIN=dir         default: /usr/lib/postgresql/15/bin
#   KEEP_TMP=1         keep the temp dir (server logs, move outputs, pgbench logs)
#
# Prints one line per move (rows, MB, copy time and rate from the first row to the last,
# lag before the hold, drain under hold, hold time, total time) and a summary: copy rate against the raw COPY pipe, and the
# hold time's median and max. Servers run on 127.0.0.1 and free ports in a temp dir and are
# stopped by PID on exit, failure or Ctrl-C.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"
ROWS="${ROWS:-1000000}"
MOVES="${MOVES:-10}"
RATE="${RATE:-200}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
for v in ROWS MOVES RATE; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "move_bench.sh: $v must be a positive integer" >&2; exit 2; }
done
[[ $# == 0 ]] || { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 2; }

source "$BENCH_DIR/common.sh"

WORK=""; PIDS=()
stop_pid() {
  local pid="$1" sig="$2" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]%%:*}" "${PIDS[$i]#*:}"; done
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if [[ "${KEEP_TMP:-0}" == 1 || $rc != 0 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
WORK="$(mktemp -d "${TMPDIR:-/tmp}/move_bench.XXXXXX")"
chmod 755 "$WORK"


# start_pg NAME PORT: a throwaway server with logical decoding on.
start_pg() {
  local name="$1" port="$2"
  mkdir -p "$WORK/$name"; [[ "$(id -u)" == 0 ]] && chown postgres "$WORK/$name"
  as_server "$PG_BIN/initdb" -D "$WORK/$name/data" -U postgres --auth=trust --no-sync -E UTF8 \
    >"$WORK/$name/initdb.log" 2>&1 || die "initdb $name failed"
  as_server "$PG_BIN/pg_ctl" -D "$WORK/$name/data" -l "$WORK/$name/postgres.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$WORK/$name \
        -c fsync=off -c wal_level=logical -c max_wal_senders=20 -c max_replication_slots=20 \
        -c shared_buffers=256MB -c max_connections=200" start >/dev/null \
    || { tail -20 "$WORK/$name/postgres.log" >&2; die "$name did not start"; }
  PIDS+=("$(head -1 "$WORK/$name/data/postmaster.pid"):INT")
}
pick_free_port A_PORT; pick_free_port B_PORT; pick_free_port R_PORT
log "two PostgreSQL 15 servers on $A_PORT and $B_PORT"
start_pg a "$A_PORT"
start_pg b "$B_PORT"
q() { local port="$1"; shift; "$PSQL" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d app "$@"; }
SCHEMA="
CREATE TABLE accounts (tenant_id text, id bigint, balance bigint NOT NULL, note text, PRIMARY KEY (tenant_id, id));
CREATE TABLE events (tenant_id text, id bigint, kind text NOT NULL, payload text, PRIMARY KEY (tenant_id, id));
CREATE TABLE notes (tenant_id text, id bigint, body text, PRIMARY KEY (tenant_id, id));"
for port in "$A_PORT" "$B_PORT"; do
  "$PSQL" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE app"
  q "$port" -c "$SCHEMA"
  # The reference pipe writes into look-alike tables (no tenant key column name clash with
  # the move: domicile moves only tables with tenant_id, so these are renamed).
  for t in accounts events notes; do
    q "$port" -c "CREATE TABLE ref_$t (LIKE $t INCLUDING ALL); ALTER TABLE ref_$t RENAME tenant_id TO tenant"
  done
done
A40=$((ROWS * 2 / 5)); A20=$((ROWS - 2 * A40))
log "loading tenant big: $ROWS rows (accounts $A40, events $A40, notes $A20), and small, other"
q "$A_PORT" -c "
INSERT INTO accounts SELECT 'big', g, g, md5(g::text) FROM generate_series(1, $A40) g;
INSERT INTO events SELECT 'big', g, 'seed', repeat(md5(g::text), 2) FROM generate_series(1, $A40) g;
INSERT INTO notes SELECT 'big', g, 'note ' || md5(g::text) FROM generate_series(1, $A20) g;
INSERT INTO accounts SELECT 'small', g, g, 'x' FROM generate_series(1, 10000) g;" -c "VACUUM ANALYZE"
q "$B_PORT" -c "INSERT INTO accounts SELECT 'other', g, g, 'x' FROM generate_series(1, 10000) g;" -c "VACUUM ANALYZE"

# --- the physical reference ----------------------------------------------------------------
# reference FROM_PORT TO_PORT: seconds for COPY TO STDOUT | COPY FROM STDIN of the tenant's
# rows, table by table, into look-alike tables on the other server (emptied afterwards).
reference() {
  local from="$1" to="$2" s e t
  s=$(date +%s.%N)
  for t in accounts events notes; do
    q "$from" -c "\\copy (SELECT * FROM $t WHERE tenant_id = 'big') TO STDOUT" \
      | q "$to" -c "\\copy ref_$t FROM STDIN"
  done
  e=$(date +%s.%N)
  for t in accounts events notes; do q "$to" -c "TRUNCATE ref_$t"; done
  echo "$e - $s" | bc -l
}
REF_BYTES=$(q "$A_PORT" -Atc "SELECT sum(pg_column_size(t.*)) FROM (SELECT * FROM accounts WHERE tenant_id='big' UNION ALL SELECT tenant_id, id, 0, kind || payload FROM events WHERE tenant_id='big' UNION ALL SELECT tenant_id, id, 0, body FROM notes WHERE tenant_id='big') t")

# --- catalog, router, writers ---------------------------------------------------------------
mkdir -p "$WORK/dom"
cat >"$WORK/dom/topology.toml" <<TOML
[[jurisdiction]]
code = "EU"
regions = ["aws:eu-central-1", "aws:eu-west-1"]
[[shard]]
id = "a"
engine = "postgres"
region = "aws:eu-central-1"
dsn = "host=127.0.0.1 port=$A_PORT dbname=app user=postgres"
[[shard]]
id = "b"
engine = "postgres"
region = "aws:eu-west-1"
dsn = "host=127.0.0.1 port=$B_PORT dbname=app user=postgres"
[[tenant]]
id = "big"
allow = ["EU"]
shard = "a"
[[tenant]]
id = "small"
allow = ["EU"]
shard = "a"
[[tenant]]
id = "other"
allow = ["EU"]
shard = "b"
TOML
printf '[routing]\ncatalog_ttl_ms = 20\nhold_timeout_ms = 10000\n' >"$WORK/dom/settings.toml"
DATA="$WORK/dom/data"
"$DOMICILE_BIN" catalog apply --data "$DATA" "$WORK/dom/topology.toml" >/dev/null
"$DOMICILE_BIN" serve --data "$DATA" --listen "127.0.0.1:$R_PORT" --config "$WORK/dom/settings.toml" \
  >"$WORK/dom/serve.log" 2>&1 &
PIDS+=("$!:TERM")
for ((i = 0; i < 100; i++)); do
  PGOPTIONS='-c domicile.tenant=big' "$PSQL" -X -q -h 127.0.0.1 -p "$R_PORT" -U postgres -d app -Atc 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.1
done
writer() {  # writer TENANT: pgbench through the router until killed
  cat >"$WORK/dom/writer-$1.sql" <<SQL
\\set id random(1, 100000)
\\set eid random(100000000, 2000000000)
BEGIN;
UPDATE accounts SET balance = balance + 1 WHERE tenant_id = '$1' AND id = :id;
INSERT INTO events VALUES ('$1', :eid, 'write', 'x') ON CONFLICT DO NOTHING;
END;
SQL
  PGOPTIONS="-c domicile.tenant=$1" "$PGBENCH" -n -c 2 -j 1 -R "$RATE" -T 100000 \
    -f "$WORK/dom/writer-$1.sql" -h 127.0.0.1 -p "$R_PORT" -U postgres app >"$WORK/dom/writer-$1.log" 2>&1 &
  PIDS+=("$!:TERM")
}
writer big
writer small
writer other
sleep 2

# --- the moves --------------------------------------------------------------------------------
printf '\n%-5s %-6s %9s %8s %8s %11s %8s %11s %6s %10s %9s %8s %8s\n' move route rows MB copy_s rows/s MB/s pipe_rows/s ratio lag_bytes drain_ms hold_ms total_s
from=a; to=b
COPY_RATES=(); HOLDS=(); RATIOS=()
port_of() { [[ "$1" == a ]] && echo "$A_PORT" || echo "$B_PORT"; }
for ((m = 1; m <= MOVES; m++)); do
  ref_s=$(reference "$(port_of "$from")" "$(port_of "$to")")
  ref_rate=$(echo "$ROWS / $ref_s" | bc)
  out="$WORK/dom/move-$m.log"
  s=$(date +%s.%N)
  "$DOMICILE_BIN" --data "$DATA" tenant move big --to "$to" --grace-ms 0 >"$out" 2>&1 \
    || { cat "$out" >&2; die "move $m failed"; }
  e=$(date +%s.%N)
  metric() { sed -n "s/^  metric $1=//p" "$out" | tail -1; }
  rows=$(sed -n 's/.*: copied \([0-9]*\) rows, \([0-9.]*\) MB.*/\1/p' "$out")
  mb=$(sed -n 's/.*: copied \([0-9]*\) rows, \([0-9.]*\) MB.*/\2/p' "$out")
  copy_ms=$(metric copy_rows_ms); hold=$(metric hold_ms)
  rate=$(echo "$rows * 1000 / $copy_ms" | bc)
  ratio=$(echo "$rate / $ref_rate" | bc -l)
  COPY_RATES+=("$rate"); HOLDS+=("$hold"); RATIOS+=("$ratio")
  printf '%-5s %-6s %9s %8s %8.2f %11s %8.1f %11s %6.2f %10s %9s %8s %8.2f\n' "$m" "$from>$to" "$rows" "$mb" \
    "$(echo "$copy_ms / 1000" | bc -l)" "$rate" "$(echo "$mb * 1000 / $copy_ms" | bc -l)" \
    "$ref_rate" "$ratio" "$(metric lag_bytes)" "$(metric drain_ms)" "$hold" "$(echo "$e - $s" | bc -l)"
  tmp=$from; from=$to; to=$tmp
done

# --- summary ----------------------------------------------------------------------------------
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
max() { printf '%s\n' "$@" | sort -n | tail -1; }
printf '\nrow data of the moving tenant: %s bytes (pg_column_size), %s rows\n' "$REF_BYTES" "$ROWS"
printf 'domicile copy: median %s rows/s; median ratio to the raw COPY pipe run just before each move: %.2fx (target >= 0.80)\n' \
  "$(median "${COPY_RATES[@]}")" "$(median "${RATIOS[@]}")"
printf 'hold of the tenant'"'"'s transactions at cutover: median %s ms, max %s ms over %s moves (target < 100 ms)\n' \
  "$(median "${HOLDS[@]}")" "$(max "${HOLDS[@]}")" "$MOVES"
for ((i = ${#PIDS[@]} - 1; i >= 3; i--)); do  # the writers (servers and router stop on exit)
  stop_pid "${PIDS[$i]%%:*}" TERM
  wait "${PIDS[$i]%%:*}" 2>/dev/null || true
done
for t in big small other; do
  aborted=$(grep -c "aborted\|ERROR" "$WORK/dom/writer-$t.log" || true)
  printf 'writer %-5s: %s error lines in pgbench output\n' "$t" "$aborted"
done
