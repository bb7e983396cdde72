#!/usr/bin/env bash
# A Weft cluster on this machine: nats-server (JetStream), a PostgreSQL
# cluster, two service nodes (auth, audit, notifications, webhooks) and one adapter
# node, all on loopback, nodes authenticated by mutual TLS with certificates
# made here. Prints where the API is; Ctrl-C stops everything it started.
# Usage: deploy/local/cluster.sh [build-dir]   (default: build; make build first)
# Env: API_PORT (8080, the adapter's API), WEFT_ROOT_EMAIL, WEFT_ROOT_PASSWORD.
set -euo pipefail

build=${1:-build}
weft="$build/main/weft"
[ -x "$weft" ] || { echo "cluster.sh: $weft not built (make build)" >&2; exit 1; }
for tool in nats-server openssl python3; do
  command -v "$tool" >/dev/null || { echo "cluster.sh: $tool not found (make setup)" >&2; exit 1; }
done
pgbin=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$pgbin/pg_ctl" ] || { echo "cluster.sh: PostgreSQL server binaries not found (PG_BINDIR)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/weft-cluster-XXXXXX")
chmod 755 "$work"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$work/pg-parent" && chown postgres:postgres "$work/pg-parent"
  as_pg=(runuser -u postgres --)
else
  mkdir -p "$work/pg-parent"
fi
pids=()
pg_up=0
cleanup() {
  trap - EXIT INT TERM
  echo "cluster.sh: stopping ..." >&2
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "$pg_up" = 1 ] && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg-parent/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() { # url seconds
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt "$deadline" ]; do
    python3 - "$1" <<'PY' 2>/dev/null && return 0
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=1)
PY
    sleep 0.2
  done
  return 1
}

# -- certificates: one CA, one certificate per node ------------------------------
tls="$work/tls"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj /CN=weft-local-ca \
  -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
for n in service-1 service-2 adapter-1; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$n" -keyout "$tls/$n.key" -out "$tls/$n.csr" 2>/dev/null
  openssl x509 -req -days 7 -in "$tls/$n.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -out "$tls/$n.pem" 2>/dev/null
done
chmod 644 "$tls"/*

# -- servers ---------------------------------------------------------------------
nats_port=$(free_port)
nats-server -js -sd "$work/nats" -a 127.0.0.1 -p "$nats_port" > "$work/nats.log" 2>&1 &
pids+=($!)
echo "cluster.sh: nats-server pid $!" >&2
pg_port=$(free_port)
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg-parent/pg" -U postgres -A trust -E UTF8 --no-locale \
  > "$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg-parent/pg" -l "$work/pg-parent/pg.log" -w -t 60 \
  -o "-p $pg_port -k $work/pg-parent -c listen_addresses=127.0.0.1" start > /dev/null
pg_up=1
"${as_pg[@]}" "$pgbin/psql" -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE weft" >/dev/null

# -- nodes -----------------------------------------------------------------------
secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
c1=$(free_port); c2=$(free_port); ca=$(free_port)
node() { # name cluster-port http-port services-json seeds-json
  cat > "$work/$1.json" <<JSON
{
  "node": {"name": "$1"$( [ -n "$4" ] && echo ", \"services\": $4")},
  "http": {"host": "127.0.0.1", "port": $3},
  "metrics": {"host": "127.0.0.1", "port": 0},
  "database": {"url": "postgresql://postgres@127.0.0.1:$pg_port/weft"},
  "nats": {"url": "nats://127.0.0.1:$nats_port", "partitions": 8},
  "auth": {"jwt_secret": "$secret"},
  "cluster": {"listen": "127.0.0.1:$2", "seeds": $5,
              "tls": {"cert": "$tls/$1.pem", "key": "$tls/$1.key", "ca": "$tls/ca.pem"}}
}
JSON
  WEFT_ROOT_EMAIL=${WEFT_ROOT_EMAIL:-root@weft.local} WEFT_ROOT_PASSWORD=${WEFT_ROOT_PASSWORD:-root-password-123} \
    "$weft" run --config "$work/$1.json" > "$work/$1.log" 2>&1 &
  pids+=($!)
  echo "cluster.sh: $1 pid $!" >&2
}
api_port=${API_PORT:-8080}
node service-1 "$c1" "$(free_port)" "" "[\"127.0.0.1:$c2\"]"
node service-2 "$c2" "$(free_port)" "" "[\"127.0.0.1:$c1\"]"
node adapter-1 "$ca" "$api_port" "[]" "[\"127.0.0.1:$c1\", \"127.0.0.1:$c2\"]"
wait_http "http://127.0.0.1:$api_port/health/ready" 60 \
  || { echo "cluster.sh: the adapter did not become ready; logs in $work" >&2; tail -5 "$work"/*.log >&2; exit 1; }

cat <<EOF
cluster.sh: a Weft cluster is up (logs and certificates in $work)
  API (adapter-1):   http://127.0.0.1:$api_port/v1   (OpenAPI: /v1/openapi.json)
  members:           GET /v1/cluster/nodes as root (${WEFT_ROOT_EMAIL:-root@weft.local})
  service nodes:     service-1 (peers :$c1), service-2 (peers :$c2), mutual TLS
  NATS, PostgreSQL:  nats://127.0.0.1:$nats_port, postgresql://postgres@127.0.0.1:$pg_port/weft
Ctrl-C stops everything.
EOF
exited=""
wait -n -p exited "${pids[@]}" || true
echo "cluster.sh: process $exited exited; stopping the rest (logs: $(ls "$work"/*.log | tr '\n' ' '))" >&2
tail -n 5 "$work"/*.log >&2 || true
