#!/usr/bin/env bash
# Durable delivery benchmark, all in one run on this machine: its own
# nats-server -js and a throwaway PostgreSQL cluster (default durability:
# fsync on, synchronous_commit on) on free loopback ports, then
#   a. raw NATS.c JetStream: async publish, pull fetch + ack   (raw_jetstream)
#   b. raw libpq: 100-row INSERTs (1 and 4 connections), COPY  (raw_postgres)
#   c. Weft end to end: outbox (transactions of 100) -> relay -> JetStream ->
#      durable inbox -> weft_audit_trail, and row writes per event (durable_e2e)
#   d. commit -> handler latency at a steady 1,000 events/s      (durable_e2e)
#   e. POST /v1/auth/api-keys on the real weft binary in durable mode (wrk),
#      then how long the events behind those requests take to reach the trail,
#      and how fast the node drains a backlog of 100,000 outbox rows.
# Usage: tests/bench/durable_bench.sh [build-dir]   (default: build)
# Env: BENCH_SERVICES (auth,audit; "all" = every module), BENCH_EVENTS (200000), BENCH_WRITERS (4), BENCH_AGGREGATES (0 = one per
#      event), BENCH_LATENCY_SECONDS (10), BENCH_RATE (1000), BENCH_SECONDS (10,
#      wrk), BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_BACKLOG (100000),
#      BENCH_FSYNC_OFF (0; 1 repeats c and d on the same cluster restarted
#      with fsync=off), BENCH_NODE_ENV (variables for the node of e, e.g.
#      "WEFT_DATABASE_POOL_SIZE=16").
# Not a timed test: prints figures and exits 0 unless something could not start.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
events=${BENCH_EVENTS:-200000}
writers=${BENCH_WRITERS:-4}
aggregates=${BENCH_AGGREGATES:-0}
lat_secs=${BENCH_LATENCY_SECONDS:-10}
rate=${BENCH_RATE:-1000}
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
fsync_off=${BENCH_FSYNC_OFF:-0}
backlog=${BENCH_BACKLOG:-100000}

bin() { echo "$build/$1"; }
for exe in tests/bench/raw_jetstream tests/bench/raw_postgres tests/bench/durable_e2e main/weft; do
  [ -x "$(bin $exe)" ] || { echo "durable_bench: $(bin $exe) not built (make bench-programs)" >&2; exit 1; }
done
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "durable_bench: $tool not found (make setup)" >&2; exit 1; }
done
log() { echo "durable_bench: $*" >&2; }
. "$here/servers.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/weft-durable-bench-XXXXXX")
servers_init
weft_pid=""
cleanup() {
  [ -n "$weft_pid" ] && kill "$weft_pid" 2>/dev/null && wait "$weft_pid" 2>/dev/null || true
  servers_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -- servers ----------------------------------------------------------------
servers_start
for db in bench_raw weft_e2e weft_http; do sql "CREATE DATABASE $db"; done
log "nats $nats_url, PostgreSQL $pg_url (fsync $(sql 'SHOW fsync'), synchronous_commit $(sql 'SHOW synchronous_commit'))"

# -- a, b: raw references -----------------------------------------------------
log "a. raw JetStream ($events events) ..."
"$(bin tests/bench/raw_jetstream)" "$nats_url" "$events" > "$work/raw_js.txt"
log "b. raw PostgreSQL ($events rows) ..."
"$(bin tests/bench/raw_postgres)" "$pg_url/bench_raw" "$events" 4 > "$work/raw_pg.txt"
sql "DROP DATABASE bench_raw"

# -- c, d: Weft end to end ------------------------------------------------------
e2e() { # label database
  log "c, d. Weft end to end ($events events, $writers writers; then ${lat_secs} s at $rate/s) [$1] ..."
  BENCH_PG_PID=$(head -1 "$work/pg/postmaster.pid") BENCH_NATS_PID=$nats_pid \
    "$(bin tests/bench/durable_e2e)" "$pg_url/$2" "$nats_url" "$events" "$writers" "$aggregates" \
    "$lat_secs" "$rate" > "$work/e2e_$1.txt" 2> "$work/e2e_$1.err" \
    || { log "durable_e2e failed:"; tail -20 "$work/e2e_$1.err" >&2; }
}
e2e fsync_on weft_e2e

# -- e: HTTP writes on the weft binary, and the backlog behind them --------------
weft_port=$(free_port)
metrics_port=$(free_port)
email=bench@weft.test
password=bench-password-123
# The services of the node (BENCH_SERVICES, comma separated): auth and audit
# by default, as the figures of earlier runs were measured; "all" hosts
# every module (notifications also writes a row and an event per key).
services=${BENCH_SERVICES:-auth,audit}
if [ "$services" = all ]; then
  services_json=""
else
  services_json=", \"services\": [$(echo "$services" | sed 's/[^,]*/"&"/g')]"
fi
cat > "$work/weft.json" <<JSON
{
  "node": {"name": "bench"$services_json},
  "http": {"host": "127.0.0.1", "port": $weft_port},
  "metrics": {"host": "127.0.0.1", "port": $metrics_port},
  "log": {"level": "warn"}
}
JSON
log "e. weft POST /v1/auth/api-keys (wrk -t$threads -c$conns -d${secs}s) ..."
env ${BENCH_NODE_ENV:-} DATABASE_URL="$pg_url/weft_http" NATS_URL="$nats_url" WEFT_ROOT_EMAIL=$email WEFT_ROOT_PASSWORD=$password \
  "$(bin main/weft)" run --config "$work/weft.json" > "$work/weft.out" 2> "$work/weft.err" &
weft_pid=$!
ready=0
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$weft_port/health/ready" 2>/dev/null && { ready=1; break; }
  sleep 0.05
done
[ "$ready" = 1 ] || { log "weft did not become ready:"; tail -20 "$work/weft.err" >&2; exit 1; }
token=$(curl -fsS -X POST -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
  "http://127.0.0.1:$weft_port/v1/auth/login" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') \
  || { log "could not log in to weft"; exit 1; }
trail_keys() { sql "SELECT count(*) FROM weft_audit_trail WHERE type = 'auth.apikey.created'" weft_http; }
BENCH_TOKEN=$token wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$here/api_keys.lua" \
  "http://127.0.0.1:$weft_port/v1/auth/api-keys" > "$work/wrk_keys.txt" 2>&1 || true
t_end=$(date +%s.%N)
at_end=$(trail_keys)
# Requests in flight when wrk stopped may still commit: count keys again
# until the trail holds as many as there are keys.
keys=$(sql "SELECT count(*) FROM weft_api_keys" weft_http)
now_in=$at_end
while [ "$now_in" -lt "$keys" ]; do
  sleep 0.1
  now_in=$(trail_keys)
  keys=$(sql "SELECT count(*) FROM weft_api_keys" weft_http)
  python3 -c "import sys,time; sys.exit(0 if time.time() - $t_end < 120 else 1)" || break
done
t_drained=$(date +%s.%N)
echo "keys=$keys at_end=$at_end final=$now_in t_end=$t_end t_drained=$t_drained" > "$work/drain.txt"

# The node's pipeline with a backlog: $backlog outbox rows committed at once
# (as by a burst the relay fell behind), the relay woken by NOTIFY, timed until
# all are in the trail. ANALYZE first, as autovacuum does on a live node: the
# planner then believes the outbox holds nothing pending (it did).
log "e. the node drains a backlog of $backlog outbox rows ..."
sql "ANALYZE weft_outbox" weft_http
inbox_batches() {
  curl -fsS "http://127.0.0.1:$metrics_port/metrics" \
    | awk '/^weft_inbox_batch_size_count\{consumer="audit"\}/ && !seen {print $2; seen=1}'
}
batches0=$(inbox_batches)
b0=$(date +%s.%N)
sql "INSERT INTO weft_outbox (event_id, type, subject, payload)
     SELECT id, 'bench.item.created', 'item-' || g, json_build_object('specversion', '1.0',
       'id', id, 'source', '/weft/bench', 'type', 'bench.item.created',
       'time', to_char(now() AT TIME ZONE 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
       'subject', 'item-' || g, 'datacontenttype', 'application/json',
       'data', json_build_object('n', g, 'note', 'the quick brown fox jumps over the lazy dog'))::text
     FROM (SELECT gen_random_uuid() AS id, g FROM generate_series(1, $backlog) g) s" weft_http
sql "SELECT pg_notify('weft_outbox', '')" weft_http > /dev/null
b1=$(date +%s.%N)
done_rows=0
while [ "$done_rows" -lt "$backlog" ]; do
  sleep 0.1
  done_rows=$(sql "SELECT count(*) FROM weft_audit_trail WHERE type = 'bench.item.created'" weft_http)
  python3 -c "import sys,time; sys.exit(0 if time.time() - $b1 < 120 else 1)" || break
done
b2=$(date +%s.%N)
batches1=$(inbox_batches)
batches=$(python3 -c "print(int(float('${batches1:-0}') - float('${batches0:-0}')))")
echo "rows=$backlog done=$done_rows t_insert=$b0 t_committed=$b1 t_done=$b2 batches=$batches" > "$work/backlog.txt"
kill "$weft_pid" 2>/dev/null && wait "$weft_pid" 2>/dev/null || true
weft_pid=""

if [ "$fsync_off" = 1 ]; then
  pg_stop
  pg_start -c fsync=off
  sql "CREATE DATABASE weft_e2e_nofsync"
  e2e fsync_off weft_e2e_nofsync
fi

# -- report -----------------------------------------------------------------
export BENCH_WORK=$work BENCH_EVENTS=$events BENCH_RATE=$rate BENCH_CONNECTIONS=$conns
python3 "$here/durable_report.py"
