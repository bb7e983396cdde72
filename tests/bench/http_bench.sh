#!/usr/bin/env bash
# HTTP benchmark of weft against nginx measured in the same run, on the same
# machine, on free loopback ports:
#   nginx static JSON   vs  weft GET /health/live   (target >= 0.9x)
#                           weft GET /v1/auth/me    (target >= 0.6x, bearer token)
#                           weft POST /v1/auth/login (target p99 < 60 ms, -c16)
# Usage: tests/bench/http_bench.sh [path/to/weft]   (default build/main/weft)
# Env: BENCH_SECONDS (10), BENCH_THREADS (2), BENCH_CONNECTIONS (64),
#      BENCH_LOGIN_CONNECTIONS (16). Not a timed test: it prints figures and
#      exits 0 unless something could not be started.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
weft=${1:-build/main/weft}
secs=${BENCH_SECONDS:-10}
threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNECTIONS:-64}
login_conns=${BENCH_LOGIN_CONNECTIONS:-16}

for tool in nginx wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "http_bench: $tool not found (make setup)" >&2; exit 1; }
done
[ -x "$weft" ] || { echo "http_bench: weft binary not found at $weft" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-XXXXXX")
nginx_pid=""
weft_pid=""
cleanup() {
  [ -n "$weft_pid" ] && kill "$weft_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  [ -n "$weft_pid" ] && wait "$weft_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Polls a URL until it answers 2xx, for up to $2 seconds.
wait_http() {
  local url=$1 deadline=$((SECONDS + $2))
  while [ $SECONDS -lt "$deadline" ]; do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# -- nginx ------------------------------------------------------------------
nginx_port=$(free_port)
ndir=$work/nginx
mkdir -p "$ndir/www/health" "$ndir/tmp"
printf '{"status":"live"}' > "$ndir/www/health/live"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
sed -e "s|@DIR@|$ndir|g" -e "s|@PORT@|$nginx_port|g" -e "s|@USER@|$user_line|g" \
  "$here/nginx.conf.template" > "$ndir/nginx.conf"
nginx -p "$ndir" -c "$ndir/nginx.conf" -e "$ndir/error.log" -g 'daemon off;' &
nginx_pid=$!
wait_http "http://127.0.0.1:$nginx_port/health/live" 10 \
  || { echo "http_bench: nginx did not start:" >&2; cat "$ndir/error.log" >&2; exit 1; }

# -- weft -------------------------------------------------------------------
weft_port=$(free_port)
metrics_port=$(free_port)
email=bench@weft.test
password=bench-password-123
cat > "$work/weft.json" <<JSON
{
  "node": {"name": "bench"},
  "http": {"host": "127.0.0.1", "port": $weft_port},
  "metrics": {"host": "127.0.0.1", "port": $metrics_port},
  "log": {"level": "warn"},
  "auth": {"login_per_account": 1000000000, "login_per_ip": 1000000000}
}
JSON
WEFT_ROOT_EMAIL=$email WEFT_ROOT_PASSWORD=$password \
  "$weft" run --config "$work/weft.json" > "$work/weft.out" 2> "$work/weft.err" &
weft_pid=$!
wait_http "http://127.0.0.1:$weft_port/health/ready" 20 \
  || { echo "http_bench: weft did not become ready:" >&2; tail -20 "$work/weft.err" >&2; exit 1; }

token=$(curl -fsS -X POST -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
  "http://127.0.0.1:$weft_port/v1/auth/login" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') \
  || { echo "http_bench: could not log in to weft" >&2; exit 1; }

# -- runs -------------------------------------------------------------------
# run NAME CONNECTIONS URL [wrk args...]: wrk output in $work/NAME.txt
run() {
  local name=$1 c=$2 url=$3
  shift 3
  echo "http_bench: $name (-t$threads -c$c -d${secs}s) ..." >&2
  wrk -t"$threads" -c"$c" -d"${secs}s" --latency "$@" "$url" > "$work/$name.txt" 2>&1 || true
}

run nginx_static "$conns" "http://127.0.0.1:$nginx_port/health/live"
run weft_live "$conns" "http://127.0.0.1:$weft_port/health/live"
run weft_me "$conns" "http://127.0.0.1:$weft_port/v1/auth/me" -H "Authorization: Bearer $token"
BENCH_EMAIL=$email BENCH_PASSWORD=$password \
  run weft_login "$login_conns" "http://127.0.0.1:$weft_port/v1/auth/login" -s "$here/login.lua"
# Login is CPU-bound (Argon2id, 19 MiB, 2 passes, ~8 ms a hash): by Little's
# law its latency at c connections is at least c x hash time / cores, so the
# same run at 4 connections shows the latency the hashing itself costs.
BENCH_EMAIL=$email BENCH_PASSWORD=$password \
  run weft_login_c4 4 "http://127.0.0.1:$weft_port/v1/auth/login" -s "$here/login.lua"

# -- report -----------------------------------------------------------------
export BENCH_WORK=$work
python3 - <<'PY'
import os, re

work = os.environ["BENCH_WORK"]

def parse(name):
    text = open(os.path.join(work, name + ".txt")).read()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\b", text, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errs = re.search(r"Socket errors:(.*)", text)
    ms = None
    if p99:
        ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {
        "rps": float(rps.group(1)) if rps else None,
        "p99": ms,
        "non2xx": int(bad.group(1)) if bad else 0,
        "errors": errs.group(1).strip() if errs else "",
        "raw": text,
    }

runs = {n: parse(n) for n in ("nginx_static", "weft_live", "weft_me", "weft_login",
                               "weft_login_c4")}
ref = runs["nginx_static"]["rps"]

def fmt(v, f):
    return "-" if v is None else f.format(v)

rows = [
    ("nginx static JSON", "nginx_static", None),
    ("weft GET /health/live", "weft_live", ("ratio", 0.9)),
    ("weft GET /v1/auth/me", "weft_me", ("ratio", 0.6)),
    ("weft POST /v1/auth/login", "weft_login", ("p99", 60.0)),
    ("  same, 4 connections", "weft_login_c4", None),
]
print()
print(f"{'run':<26} {'req/s':>10} {'p99 ms':>9} {'x nginx':>8} {'non-2xx':>8}  target")
print("-" * 80)
for label, name, target in rows:
    r = runs[name]
    ratio = r["rps"] / ref if (r["rps"] and ref) else None
    verdict = "reference" if name == "nginx_static" else "information"
    if target and target[0] == "ratio":
        ok = ratio is not None and ratio >= target[1]
        verdict = f">= {target[1]}x nginx: {'met' if ok else 'MISSED'}"
    elif target and target[0] == "p99":
        ok = r["p99"] is not None and r["p99"] < target[1]
        verdict = f"p99 < {target[1]:.0f} ms: {'met' if ok else 'MISSED'}"
    print(f"{label:<26} {fmt(r['rps'], '{:.0f}'):>10} {fmt(r['p99'], '{:.2f}'):>9} "
          f"{fmt(ratio if name != 'nginx_static' else 1.0, '{:.2f}'):>8} {r['non2xx']:>8}  {verdict}")
    if r["errors"]:
        print(f"{'':<26} socket errors: {r['errors']}")
    if r["rps"] is None:
        print(f"{'':<26} wrk output: {r['raw'].strip()[:300]}")
print()
print("Figures from one run on a shared machine: compare ratios, not absolutes.")
PY
