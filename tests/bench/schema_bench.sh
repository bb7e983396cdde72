#!/usr/bin/env bash
# Schema-driven services against the hand-written ones, in one run, on one
# node (embedded defaults: memory store, in-process bus), same connections:
#   POST /v1/notes (generated)     vs POST /v1/auth/api-keys   (target >= 0.9x)
#   GET /v1/notes/{id} (generated) vs GET /v1/auth/me          (target >= 0.8x)
# and the load time of a 200-entity schema (target < 200 ms): `weft schema
# check` of it, less `weft schema check` of a one-entity schema (the
# process's own start), best of 5 each.
# With BENCH_DURABLE=1 the node runs on PostgreSQL + JetStream of its own
# (tests/bench/servers.sh: fsync and synchronous_commit on), both sides of
# each ratio then writing and reading there.
# Usage: tests/bench/schema_bench.sh [path/to/weft]   (default build/main/weft)
# Env: BENCH_SECONDS (10), BENCH_THREADS (2), BENCH_CONNECTIONS (32), BENCH_DURABLE (0).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
weft=${1:-build/main/weft}
secs=${BENCH_SECONDS:-10}
threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNECTIONS:-32}
durable=${BENCH_DURABLE:-0}

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "schema_bench: $tool not found (make setup)" >&2; exit 1; }
done
[ -x "$weft" ] || { echo "schema_bench: weft binary not found at $weft" >&2; exit 1; }

log() { echo "schema_bench: $*" >&2; }
. "$here/servers.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-schema-bench-XXXXXX")
[ "$durable" = 1 ] && servers_init
weft_pid=""
cleanup() {
  [ -n "$weft_pid" ] && kill "$weft_pid" 2>/dev/null || true
  [ -n "$weft_pid" ] && wait "$weft_pid" 2>/dev/null || true
  [ "$durable" = 1 ] && servers_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() {
  local url=$1 deadline=$((SECONDS + $2))
  while [ $SECONDS -lt "$deadline" ]; do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# -- schema load time ---------------------------------------------------------
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
lines = ["erDiagram"]
for i in range(200):
    lines += [f"Entity{i} {{",
              "    String name UK",
              "    Text description",
              "    Integer count",
              "    %% @default(0)",
              "    Float score",
              "    Boolean active",
              "    %% @index",
              "    DateTime due",
              "    Array[String] tags",
              "    JSON extra",
              f"    %% @service crud.rest.weft {{ plural: \"things{i}\", hidden: [\"extra\"] }}",
              "}"]
for i in range(1, 200):
    lines.append(f"Entity{i-1} ||--o{{ Entity{i} : has")
open(f"{work}/big.mmd", "w").write("\n".join(lines) + "\n")
open(f"{work}/one.mmd", "w").write("erDiagram\nOne {\n    String name\n}\n")
PY
best_ms() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
best = None
for _ in range(5):
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ms = (time.perf_counter() - t) * 1000
    best = ms if best is None else min(best, ms)
print(f"{best:.1f}")
PY
}
big_ms=$(best_ms "$weft" schema check "$work/big.mmd")
one_ms=$(best_ms "$weft" schema check "$work/one.mmd")

# -- the node ---------------------------------------------------------------
cat > "$work/app.mmd" <<'MMD'
erDiagram
Note {
    String title
    Text body
    String owner
    %% @index
    Integer stars
    %% @default(0)
    %% @service crud.rest.weft {}
}
MMD
port=$(free_port)
metrics_port=$(free_port)
email=bench@weft.test
password=bench-password-123
stores=""
mode="embedded (memory store, in-process bus)"
if [ "$durable" = 1 ]; then
  servers_start
  sql "CREATE DATABASE weft_schema"
  stores=", \"database\": {\"url\": \"$pg_url/weft_schema\"}, \"nats\": {\"url\": \"$nats_url\"}"
  mode="PostgreSQL + JetStream (fsync $(sql 'SHOW fsync'), synchronous_commit $(sql 'SHOW synchronous_commit'))"
fi
cat > "$work/weft.json" <<JSON
{
  "node": {"name": "bench"}$stores,
  "http": {"host": "127.0.0.1", "port": $port},
  "metrics": {"host": "127.0.0.1", "port": $metrics_port},
  "log": {"level": "warn"},
  "auth": {"login_per_account": 1000000000, "login_per_ip": 1000000000},
  "schema": {"file": "$work/app.mmd"}
}
JSON
WEFT_ROOT_EMAIL=$email WEFT_ROOT_PASSWORD=$password \
  "$weft" run --config "$work/weft.json" > "$work/weft.out" 2> "$work/weft.err" &
weft_pid=$!
wait_http "http://127.0.0.1:$port/health/ready" 60 \
  || { echo "schema_bench: weft did not become ready:" >&2; tail -20 "$work/weft.err" >&2; exit 1; }
token=$(curl -fsS -X POST -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
  "http://127.0.0.1:$port/v1/auth/login" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
note=$(curl -fsS -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
  -d '{"title":"read me","body":"x","owner":"bench"}' "http://127.0.0.1:$port/v1/notes" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')

run() {
  local name=$1 url=$2
  shift 2
  echo "schema_bench: $name (-t$threads -c$conns -d${secs}s) ..." >&2
  wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$@" "$url" > "$work/$name.txt" 2>&1 || true
}
export BENCH_TOKEN=$token
run post_keys "http://127.0.0.1:$port/v1/auth/api-keys" -s "$here/api_keys.lua"
run post_notes "http://127.0.0.1:$port/v1/notes" -s "$here/notes.lua"
run get_me "http://127.0.0.1:$port/v1/auth/me" -H "Authorization: Bearer $token"
run get_note "http://127.0.0.1:$port/v1/notes/$note" -H "Authorization: Bearer $token"

export BENCH_WORK=$work BIG_MS=$big_ms ONE_MS=$one_ms BENCH_MODE=$mode
python3 - <<'PY'
import os, re
work = os.environ["BENCH_WORK"]
def parse(name):
    text = open(os.path.join(work, name + ".txt")).read()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\b", text, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)] if p99 else None
    return (float(rps.group(1)) if rps else None, ms, int(bad.group(1)) if bad else 0)
r = {n: parse(n) for n in ("post_keys", "post_notes", "get_me", "get_note")}
print(f"\nnode: {os.environ['BENCH_MODE']}")
print("\n| what | req/s | p99 ms | non-2xx |\n|---|---|---|---|")
for n, label in (("post_keys", "POST /v1/auth/api-keys (hand-written)"),
                 ("post_notes", "POST /v1/notes (schema)"),
                 ("get_me", "GET /v1/auth/me (hand-written)"),
                 ("get_note", "GET /v1/notes/{id} (schema)")):
    rps, p99, bad = r[n]
    print(f"| {label} | {rps:,.0f} | {p99:.2f} | {bad} |")
def ratio(a, b):
    return r[a][0] / r[b][0] if r[a][0] and r[b][0] else float("nan")
print(f"\nPOST notes / POST api-keys: {ratio('post_notes', 'post_keys'):.2f}x (target >= 0.9x)")
print(f"GET note / GET me:          {ratio('get_note', 'get_me'):.2f}x (target >= 0.8x)")
big, one = float(os.environ["BIG_MS"]), float(os.environ["ONE_MS"])
print(f"200-entity schema: check {big:.1f} ms, one-entity {one:.1f} ms: load {big - one:.1f} ms (target < 200 ms)")
PY
