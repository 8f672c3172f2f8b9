#!/usr/bin/env bash
# pgwire_compare.sh: pgbench against PostgreSQL directly, through PgBouncer and through
# `domicile serve`, side by side on loopback, with throwaway servers in a temp dir.
#
#   bench/pgwire_compare.sh                 one shard, pgbench's built-in scripts
#   bench/pgwire_compare.sh --two-shards    two shards, tenant key in every statement
#
# Environment (all optional):
#   QUICK=1            3 s per run instead of 10 (DURATION wins when both are set)
#   DURATION=T         seconds per pgbench run                       (default 10, QUICK: 3)
#   ROUNDS=R           rounds; tps is the median over rounds          (default 3)
#   CLIENTS="8 64"     client counts for the throughput runs; -j is min(JOBS, clients)
#   JOBS=2             pgbench threads
#   WORKERS=N          domicile serve --workers (default: its own, half the cores, at least 1)
#   POOL_SIZE=20       PgBouncer default_pool_size; domicile [pool] global_max, and max_size
#                      per shard (POOL_SIZE / shards: the same server connections in all)
#   SCALE=10           pgbench -i -s (one-shard mode)
#   TENANTS=100        tenants 1..N (two-shard mode), odd ones on shard a, even on b
#   ACCOUNTS=5000      accounts per tenant (two-shard mode)
#   LATENCY=1          0 skips the 1-client p50/p99 runs
#   DOMICILE_BIN=path  default: build-bench/src/domicile, then build/src/domicile
#   PG_BIN=dir         default: /usr/lib/postgresql/15/bin
#   KEEP_TMP=1         keep the temp dir (server logs, pgbench output) for inspection
#
# Stdout gets the result tables; progress goes to stderr. Every server is started here, on
# 127.0.0.1 and free ports, and stopped by PID on exit, failure or Ctrl-C. Run as root, the
# PostgreSQL server and PgBouncer run as the `postgres` user (runuser); domicile and pgbench
# run as the invoking user.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"
readonly BENCH_DIR REPO_DIR

TWO_SHARDS=0
for arg in "$@"; do
  case "$arg" in
    --two-shards) TWO_SHARDS=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "pgwire_compare.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

if [[ -n "${DURATION:-}" ]]; then T="$DURATION"; elif [[ "${QUICK:-0}" == 1 ]]; then T=3; else T=10; fi
ROUNDS="${ROUNDS:-3}"
CLIENTS="${CLIENTS:-8 64}"
JOBS="${JOBS:-2}"
WORKERS="${WORKERS:-}"  # empty: serve's own default, read back from its log below
POOL_SIZE="${POOL_SIZE:-20}"
SCALE="${SCALE:-10}"
TENANTS="${TENANTS:-100}"
ACCOUNTS="${ACCOUNTS:-5000}"
LATENCY="${LATENCY:-1}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
[[ -z "$WORKERS" || "$WORKERS" =~ ^[1-9][0-9]*$ ]] || { echo "pgwire_compare.sh: WORKERS must be a positive integer" >&2; exit 2; }
for v in T ROUNDS JOBS POOL_SIZE SCALE TENANTS ACCOUNTS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "pgwire_compare.sh: $v must be a positive integer" >&2; exit 2; }
done
# Longest a single pgbench may take before it is killed: keeps the runtime bounded even
# when a server stops answering.
readonly RUN_TIMEOUT=$((T + 60))

source "$BENCH_DIR/common.sh"
PGBOUNCER="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
for tool in "$PGBENCH" "$PSQL" "$PGBOUNCER"; do [[ -x "$tool" ]] || die "missing $tool"; done
CLK_TCK="$(getconf CLK_TCK)"

# --- cleanup ---------------------------------------------------------------------------------
WORK=""
PG_PID=""
PGB_PID=""
DOM_PID=""
BENCH_PID=""

# Sends `sig` to `pid`, waits up to `secs` for it to go, then SIGKILLs it.
stop_pid() {
  local pid="$1" sig="$2" secs="$3" name="$4" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$name (pid $pid) ignored SIG$sig for ${secs}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$BENCH_PID" TERM 10 pgbench
  stop_pid "$DOM_PID" TERM 10 domicile
  stop_pid "$PGB_PID" TERM 10 pgbouncer
  stop_pid "$PG_PID" INT 30 postgres   # SIGINT: fast shutdown
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if [[ "${KEEP_TMP:-0}" == 1 || $rc != 0 ]]; then
      log "kept $WORK (logs: pg/postgres.log, pgb/pgbouncer.log, domicile/serve.log, runs/)"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pgwire_compare.XXXXXX")"
chmod 755 "$WORK"   # the server user has to reach its own subdirectories
mkdir -p "$WORK/pg" "$WORK/pgb" "$WORK/domicile" "$WORK/runs" "$WORK/lat"
[[ "$SERVER_USER" == "$(id -un)" ]] || chown "$SERVER_USER" "$WORK/pg" "$WORK/pgb"

# --- free ports ------------------------------------------------------------------------------
pick_free_port PG_PORT
pick_free_port PGB_PORT
pick_free_port DOM_PORT

# Waits until `psql` gets an answer from port $1, database $2 (PGOPTIONS $3).
wait_ready() {
  local port="$1" db="$2" opts="$3" name="$4" pid="$5" i
  for ((i = 0; i < 300; i++)); do
    if PGOPTIONS="$opts" "$PSQL" -X -q -h 127.0.0.1 -p "$port" -U postgres -d "$db" -Atc 'SELECT 1' \
        >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || die "$name exited during startup"
    sleep 0.1
  done
  die "$name did not answer on port $port within 30 s"
}

psql_direct() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }

# --- PostgreSQL ------------------------------------------------------------------------------
log "PostgreSQL 15: initdb in $WORK/pg/data, port $PG_PORT"
as_server "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust --no-sync -E UTF8 \
  >"$WORK/pg/initdb.log" 2>&1 || { cat "$WORK/pg/initdb.log" >&2; die "initdb failed"; }
as_server "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/postgres.log" -w -t 60 \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$WORK/pg \
      -c fsync=off -c max_connections=300 -c shared_buffers=256MB" start >/dev/null \
  || { tail -20 "$WORK/pg/postgres.log" >&2; die "PostgreSQL did not start"; }
PG_PID="$(head -1 "$WORK/pg/data/postmaster.pid")"
wait_ready "$PG_PORT" postgres "" PostgreSQL "$PG_PID"

if [[ "$TWO_SHARDS" == 0 ]]; then
  DBS=(bench)
  BOUNCER_DB=bench
else
  DBS=(shard_a shard_b)
  BOUNCER_DB=shard_a   # PgBouncer and the direct runs use one shard: all tenants are there
fi
for db in "${DBS[@]}"; do psql_direct -d postgres -c "CREATE DATABASE $db"; done

if [[ "$TWO_SHARDS" == 0 ]]; then
  log "pgbench -i -s $SCALE"
  "$PGBENCH" -i -q -s "$SCALE" -h 127.0.0.1 -p "$PG_PORT" -U postgres bench \
    >"$WORK/pg/pgbench_init.log" 2>&1 || { cat "$WORK/pg/pgbench_init.log" >&2; die "pgbench -i failed"; }
else
  # Both shards hold every tenant's rows, so a query costs the server the same whichever
  # shard answers it, and the single-database baselines (direct, PgBouncer) do the same work.
  log "two shards: $TENANTS tenants x $ACCOUNTS accounts in each of ${DBS[*]}"
  for db in "${DBS[@]}"; do
    psql_direct -d "$db" >/dev/null <<SQL
CREATE TABLE accounts (tenant_id int NOT NULL, aid int NOT NULL, abalance int NOT NULL,
                       filler char(84), PRIMARY KEY (tenant_id, aid));
CREATE TABLE history (tenant_id int NOT NULL, aid int NOT NULL, delta int NOT NULL,
                      mtime timestamp);
INSERT INTO accounts SELECT t, a, 0, '' FROM generate_series(1, $TENANTS) t,
                                            generate_series(1, $ACCOUNTS) a;
VACUUM ANALYZE accounts;
SQL
  done
fi

# --- PgBouncer -------------------------------------------------------------------------------
{
  echo '[databases]'
  for db in "${DBS[@]}"; do echo "$db = host=127.0.0.1 port=$PG_PORT dbname=$db"; done
  cat <<INI
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $WORK/pgb/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = $POOL_SIZE
logfile = $WORK/pgb/pgbouncer.log
pidfile = $WORK/pgb/pgbouncer.pid
admin_users = postgres
ignore_startup_parameters = extra_float_digits
INI
} >"$WORK/pgb/pgbouncer.ini"
echo '"postgres" ""' >"$WORK/pgb/userlist.txt"
[[ "$SERVER_USER" == "$(id -un)" ]] || chown "$SERVER_USER" "$WORK/pgb"/*
log "PgBouncer on port $PGB_PORT (transaction pooling, pool $POOL_SIZE)"
as_server "$PGBOUNCER" -d "$WORK/pgb/pgbouncer.ini" >"$WORK/pgb/start.log" 2>&1 \
  || { cat "$WORK/pgb/start.log" "$WORK/pgb/pgbouncer.log" >&2 2>/dev/null; die "PgBouncer did not start"; }
for ((i = 0; i < 100; i++)); do [[ -s "$WORK/pgb/pgbouncer.pid" ]] && break; sleep 0.1; done
PGB_PID="$(cat "$WORK/pgb/pgbouncer.pid" 2>/dev/null)" || die "PgBouncer wrote no pidfile"
wait_ready "$PGB_PORT" "$BOUNCER_DB" "" PgBouncer "$PGB_PID"

# --- domicile --------------------------------------------------------------------------------
DOM_DIR="$WORK/domicile"
{
  cat <<TOML
[[jurisdiction]]
code = "LO"
name = "Loopback"
regions = ["local:loopback"]
TOML
  for db in "${DBS[@]}"; do
    printf '\n[[shard]]\nid = "%s"\nengine = "postgres"\nregion = "local:loopback"\n' "$db"
    printf 'dsn = "host=127.0.0.1 port=%s dbname=%s user=postgres"\n' "$PG_PORT" "$db"
  done
  if [[ "$TWO_SHARDS" == 0 ]]; then
    printf '\n[[tenant]]\nid = "bench"\nallow = ["LO"]\nshard = "bench"\n'
  else
    for ((t = 1; t <= TENANTS; t++)); do
      printf '\n[[tenant]]\nid = "%d"\nallow = ["LO"]\nshard = "%s"\n' "$t" "${DBS[$(((t + 1) % 2))]}"
    done
  fi
} >"$DOM_DIR/topology.toml"
# As many server connections in all as PgBouncer's one pool: each shard gets its share.
SHARD_POOL_SIZE=$(( POOL_SIZE / ${#DBS[@]} > 0 ? POOL_SIZE / ${#DBS[@]} : 1 ))
cat >"$DOM_DIR/settings.toml" <<TOML
[pool]
mode = "transaction"
max_size = $SHARD_POOL_SIZE
global_max = $POOL_SIZE

[routing]
tenant_key = "tenant_id"
TOML
"$DOMICILE_BIN" catalog apply --data "$DOM_DIR/data" "$DOM_DIR/topology.toml" \
  >"$DOM_DIR/apply.log" 2>&1 || { cat "$DOM_DIR/apply.log" >&2; die "domicile catalog apply failed"; }
log "domicile serve on port $DOM_PORT (${WORKERS:-default} workers, pool $POOL_SIZE): $DOMICILE_BIN"
# In its own session, as PgBouncer (-d) and PostgreSQL are: with autogroup scheduling
# (kernel.sched_autogroup_enabled=1, Debian's default) a process started with a bare `&`
# shares this script's scheduling group with pgbench and gets a smaller share of the CPU
# (measured: 0.5-0.6 involuntary context switches per select against PgBouncer's 0.3).
# Without job control the background child is no group leader, so setsid execs in place
# and $! stays domicile's PID.
setsid "$DOMICILE_BIN" serve --data "$DOM_DIR/data" --listen "127.0.0.1:$DOM_PORT" \
  --config "$DOM_DIR/settings.toml" ${WORKERS:+--workers "$WORKERS"} >"$DOM_DIR/serve.log" 2>&1 &
DOM_PID=$!
if [[ "$TWO_SHARDS" == 0 ]]; then
  DOM_OPTIONS="-c domicile.tenant=bench"
  wait_ready "$DOM_PORT" "$BOUNCER_DB" "$DOM_OPTIONS" domicile "$DOM_PID"
else
  DOM_OPTIONS=""   # the runs key by tenant_id in the SQL; the probe names a tenant
  wait_ready "$DOM_PORT" "$BOUNCER_DB" "-c domicile.tenant=1" domicile "$DOM_PID"
fi
# The thread count serve chose, as it says at start ("... with N worker threads ...").
WORKERS="$(grep -oE 'with [0-9]+ worker threads' "$DOM_DIR/serve.log" | grep -oE '[0-9]+' | head -1)"
WORKERS="${WORKERS:-?}"

# --- one pgbench run -------------------------------------------------------------------------
# CPU ticks (utime + stime, all threads) of a process; the comm field may hold spaces.
cpu_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
  stat="${stat##*) }"
  awk '{ print $12 + $13 }' <<<"$stat"
}

TARGETS=(direct pgbouncer domicile)
target_port() {
  case "$1" in direct) echo "$PG_PORT" ;; pgbouncer) echo "$PGB_PORT" ;; domicile) echo "$DOM_PORT" ;; esac
}
target_pid() {
  case "$1" in direct) echo "" ;; pgbouncer) echo "$PGB_PID" ;; domicile) echo "$DOM_PID" ;; esac
}
target_options() { if [[ "$1" == domicile ]]; then echo "$DOM_OPTIONS"; fi; }

# Sets SCRIPT_ARGS to pgbench's arguments for script $1.
script_args() {
  local vars=(-D "ntenants=$TENANTS" -D "naccounts=$ACCOUNTS")
  case "$1" in
    select-only) SCRIPT_ARGS=(-S) ;;
    tpcb-like) SCRIPT_ARGS=() ;;
    tenant-select) SCRIPT_ARGS=(-f "$BENCH_DIR/tenant_select.sql" "${vars[@]}") ;;
    tenant-rw) SCRIPT_ARGS=(-f "$BENCH_DIR/tenant_rw.sql" "${vars[@]}") ;;
  esac
}

RESULTS="$WORK/results.txt"     # key target round tps latency_ms txns cpu_ticks errors
FAILURES="$WORK/failures.txt"
: >"$RESULTS"
: >"$FAILURES"

# run_pgbench TARGET MODE SCRIPT CLIENTS ROUND [extra pgbench args...]
# Appends one line to $RESULTS; pgbench's output stays in $WORK/runs.
run_pgbench() {
  local target="$1" mode="$2" script="$3" clients="$4" round="$5"
  shift 5
  local out="$WORK/runs/${target}_${mode}_${script}_c${clients}_r${round}.log"
  local pid jobs before after rc=0 tps lat txns errs
  pid="$(target_pid "$target")"
  jobs=$((clients < JOBS ? clients : JOBS))
  if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
    echo "$mode $script c=$clients $target round $round: server process $pid is gone" >>"$FAILURES"
    log "  r$round $mode $script c=$clients $target: skipped, $target (pid $pid) is gone"
    echo "$mode|$script|$clients $target $round NA NA 0 0 1" >>"$RESULTS"
    return 0
  fi
  before="$( [[ -n "$pid" ]] && cpu_ticks "$pid" || echo 0)"
  script_args "$script"
  # In the background so that `wait` returns at once on Ctrl-C/SIGTERM and the trap runs
  # (a foreground child would delay it until the run ends); cleanup stops BENCH_PID.
  PGOPTIONS="$(target_options "$target")" timeout -k 5 "$RUN_TIMEOUT" "$PGBENCH" -n \
    -M "$mode" -c "$clients" -j "$jobs" -T "$T" -h 127.0.0.1 -p "$(target_port "$target")" \
    -U postgres "${SCRIPT_ARGS[@]}" "$@" "$BOUNCER_DB" >"$out" 2>&1 &
  BENCH_PID=$!
  wait "$BENCH_PID" || rc=$?
  BENCH_PID=""
  after="$( [[ -n "$pid" ]] && cpu_ticks "$pid" || echo 0)"
  tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out" | head -1)"
  lat="$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$out" | head -1)"
  txns="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out" | head -1)"
  errs="$(grep -Eci 'error|fatal|abort|timeout' "$out" || true)"
  if [[ $rc != 0 || "$errs" != 0 || -z "$tps" ]]; then
    {
      echo "$mode $script c=$clients $target round $round: pgbench exit $rc${tps:+, tps $tps}"
      grep -Ei 'error|fatal|abort|timeout|warning' "$out" | sort | uniq -c | sort -rn | head -5 \
        | sed 's/^/    /'
    } >>"$FAILURES"
    errs=$((errs > 0 ? errs : 1))
  fi
  echo "$mode|$script|$clients $target $round ${tps:-NA} ${lat:-NA} ${txns:-0} $((after - before)) $errs" \
    >>"$RESULTS"
  log "  r$round $mode $script c=$clients $target: tps ${tps:-NA}, lat ${lat:-NA} ms$([[ $errs != 0 ]] && echo ", ERRORS (see end)")"
}

# Target order rotates every round so no target always runs first (or right after another).
rotated_targets() {
  local r="$1" i
  for ((i = 0; i < 3; i++)); do echo "${TARGETS[$(((r - 1 + i) % 3))]}"; done
}

if [[ "$TWO_SHARDS" == 0 ]]; then SCRIPTS=(select-only tpcb-like); else SCRIPTS=(tenant-select tenant-rw); fi
MODES=(simple extended)

machine_note() {
  local cpu
  cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "$(nproc) CPUs (${cpu:-unknown}), $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
}
START_LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
START_TIME="$(date +%s)"

# --- throughput runs -------------------------------------------------------------------------
total=$((ROUNDS * ${#MODES[@]} * ${#SCRIPTS[@]} * $(wc -w <<<"$CLIENTS") * 3))
log "throughput: $total pgbench runs of ${T}s (rounds $ROUNDS)"
for ((round = 1; round <= ROUNDS; round++)); do
  for mode in "${MODES[@]}"; do
    for script in "${SCRIPTS[@]}"; do
      for clients in $CLIENTS; do
        while read -r target; do
          run_pgbench "$target" "$mode" "$script" "$clients" "$round"
        done < <(rotated_targets "$round")
      done
    done
  done
done

# --- 1-client latency runs -------------------------------------------------------------------
LAT_SCRIPT="${SCRIPTS[0]}"
if [[ "$LATENCY" == 1 ]]; then
  log "latency: 1 client, $LAT_SCRIPT, per-transaction logs, $ROUNDS rounds"
  for ((round = 1; round <= ROUNDS; round++)); do
    for mode in "${MODES[@]}"; do
      while read -r target; do
        run_pgbench "$target" "$mode" "$LAT_SCRIPT" 1 "lat$round" \
          --log --log-prefix="$WORK/lat/${target}_${mode}_r${round}"
      done < <(rotated_targets "$round")
    done
  done
fi

# --- report ----------------------------------------------------------------------------------
# Median of the numbers on stdin (NA lines skipped; NA when none).
median() {
  grep -v '^NA$' | sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) print "NA"; else if (NR % 2) print v[(NR + 1) / 2];
          else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# field KEY TARGET COLUMN: the values of COLUMN (4 tps, 5 latency) over rounds.
field() { awk -v k="$1" -v t="$2" -v c="$3" '$1 == k && $2 == t && $3 !~ /^lat/ { print $c }' "$RESULTS"; }
# CPU microseconds per transaction over all rounds of KEY for TARGET.
cpu_us() {
  awk -v k="$1" -v t="$2" -v hz="$CLK_TCK" '$1 == k && $2 == t && $3 !~ /^lat/ { n += $6; c += $7 }
    END { if (n > 0) printf "%.1f", c * 1e6 / hz / n; else print "NA" }' "$RESULTS"
}
errors_of() { awk -v k="$1" -v t="$2" '$1 == k && $2 == t && $3 !~ /^lat/ && $8 > 0 { n++ } END { print n + 0 }' "$RESULTS"; }
num0() { awk -v a="$1" 'BEGIN { if (a == "NA") print a; else printf "%.0f", a }'; }
# paired_ratio KEY A B: the median over rounds of A's tps / B's tps in the same round. Runs of
# one round are minutes apart from the other rounds' but seconds from each other, and this
# machine's speed drifts by 10-20% over minutes (seen here: PostgreSQL's own CPU per select
# moved from 59 to 76 us between runs a minute apart). A ratio of two medians mixes rounds;
# a per-round ratio cancels the drift the two runs share.
paired_ratios() {
  awk -v k="$1" -v a="$2" -v b="$3" '$1 == k && $3 !~ /^lat/ && $4 != "NA" {
      if ($2 == a) ta[$3] = $4; else if ($2 == b) tb[$3] = $4 }
    END { for (r in ta) if ((r in tb) && tb[r] > 0) print ta[r] / tb[r] }' "$RESULTS"
}
paired_ratio() { paired_ratios "$@" | median | awk '{ if ($1 == "NA") print; else printf "%.2f", $1 }'; }
# ratio_range KEY A B: the lowest and highest of those per-round ratios, "0.91-1.07": how far
# one round can land from the median on this machine.
ratio_range() {
  paired_ratios "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) print "NA"; else printf "%.2f-%.2f", v[1], v[NR] }'
}

# Percentile P (0-100) of the sorted numbers in file $1 (nearest rank).
percentile() {
  awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "NA"; exit }
    i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.3f", v[i] / 1000 }' "$1"
}

REPORT="$WORK/report.txt"
{
  echo "pgwire_compare.sh$([[ $TWO_SHARDS == 1 ]] && echo " --two-shards"): ${T}s per run, $ROUNDS rounds (median), \
pgbench -j min($JOBS, clients) -n, pool $POOL_SIZE (domicile: $SHARD_POOL_SIZE per shard), domicile --workers $WORKERS"
  if [[ "$TWO_SHARDS" == 1 ]]; then
    echo "two shards (shard_a, shard_b) on one PostgreSQL, $TENANTS tenants x $ACCOUNTS accounts;" \
      "direct and PgBouncer run against shard_a; domicile routes by tenant_id in the SQL"
  else
    echo "one shard (pgbench -s $SCALE), domicile tenant chosen by PGOPTIONS='-c domicile.tenant=bench'"
  fi
  echo "machine: $(machine_note); load average at start $START_LOAD, at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "tps (median over rounds), mean latency ms (median over rounds), dom/pgb and dom/dir (median over"
  echo "rounds of the ratio of the two runs in one round; pgb_range: the lowest and highest of the"
  echo "dom/pgb ratios), router CPU us per transaction"
  printf '%-8s %-13s %3s | %9s %9s %9s | %7s %7s %7s | %7s %9s %7s | %7s %7s | %s\n' \
    mode script cl direct pgbouncer domicile lat_dir lat_pgb lat_dom dom/pgb pgb_range dom/dir \
    cpu_pgb cpu_dom errors
  for mode in "${MODES[@]}"; do
    for script in "${SCRIPTS[@]}"; do
      for clients in $CLIENTS; do
        key="$mode|$script|$clients"
        td="$(field "$key" direct 4 | median)"
        tb="$(field "$key" pgbouncer 4 | median)"
        tx="$(field "$key" domicile 4 | median)"
        errs=""
        for target in "${TARGETS[@]}"; do
          n="$(errors_of "$key" "$target")"
          [[ "$n" != 0 ]] && errs+="${target}:${n}/${ROUNDS} "
        done
        printf '%-8s %-13s %3s | %9s %9s %9s | %7s %7s %7s | %7s %9s %7s | %7s %7s | %s\n' \
          "$mode" "$script" "$clients" "$(num0 "$td")" "$(num0 "$tb")" "$(num0 "$tx")" \
          "$(field "$key" direct 5 | median)" "$(field "$key" pgbouncer 5 | median)" \
          "$(field "$key" domicile 5 | median)" "$(paired_ratio "$key" domicile pgbouncer)" \
          "$(ratio_range "$key" domicile pgbouncer)" "$(paired_ratio "$key" domicile direct)" \
          "$(cpu_us "$key" pgbouncer)" "$(cpu_us "$key" domicile)" "${errs:--}"
      done
    done
  done
  if [[ "$LATENCY" == 1 ]]; then
    echo
    echo "1-client latency, $LAT_SCRIPT, ms from pgbench --log (all transactions of $ROUNDS rounds)"
    printf '%-8s %-10s %9s %9s %9s %9s\n' mode target txns p50 p99 errors
    for mode in "${MODES[@]}"; do
      for target in "${TARGETS[@]}"; do
        sorted="$WORK/lat/${target}_${mode}.sorted"
        cat "$WORK/lat/${target}_${mode}"_r*.* 2>/dev/null | awk '{ print $3 }' | sort -n >"$sorted" || true
        n_err="$(awk -v k="$mode|$LAT_SCRIPT|1" -v t="$target" '$1 == k && $2 == t && $8 > 0 { n++ } END { print n + 0 }' "$RESULTS")"
        printf '%-8s %-10s %9s %9s %9s %9s\n' "$mode" "$target" "$(wc -l <"$sorted")" \
          "$(percentile "$sorted" 50)" "$(percentile "$sorted" 99)" "$n_err/$ROUNDS"
      done
    done
  fi
  if [[ "$TWO_SHARDS" == 1 ]]; then
    # Only domicile writes to shard_b, and only for its tenants (the even ones).
    echo
    echo "routing check: $(psql_direct -d shard_b -Atc "SELECT count(*) || ' history rows on shard_b, '
      || count(*) FILTER (WHERE tenant_id % 2 = 1) || ' of them from odd tenants (misrouted); '
      || count(DISTINCT tenant_id) || ' distinct tenants' FROM history" 2>&1)"
  fi
  if [[ -s "$FAILURES" ]]; then
    echo
    echo "runs with errors (pgbench output, counted and deduplicated):"
    cat "$FAILURES"
  fi
  echo
  echo "wall time $(( $(date +%s) - START_TIME ))s"
} >"$REPORT"
cat "$REPORT"
