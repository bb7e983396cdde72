# Sourced by the benchmarks that run on real servers (durable_bench.sh,
# schema_bench.sh with BENCH_DURABLE=1): a nats-server with JetStream and a
# throwaway PostgreSQL cluster with its durable defaults (fsync on,
# synchronous_commit on), on free loopback ports, their data under $work.
# The caller defines `log` and `work` (a fresh directory), calls
# servers_init, then servers_start, and servers_stop from its EXIT trap.
# After servers_start: nats_url, pg_url, pg_port; `sql "..." [db]`;
# `pg_start [options]` starts the cluster again after a `pg_stop`.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_tcp() { # port seconds
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt "$deadline" ]; do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

servers_init() {
  for tool in nats-server psql; do
    command -v "$tool" >/dev/null || { log "$tool not found (make setup)"; exit 1; }
  done
  pgbin=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
  [ -x "$pgbin/pg_ctl" ] || { log "PostgreSQL server binaries not found (PG_BINDIR)"; exit 1; }
  chmod 755 "$work"
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then # PostgreSQL refuses to run as root
    chown postgres:postgres "$work"
    as_pg=(runuser -u postgres --)
  fi
  nats_pid=""
  pg_up=0
}

pg_start() { # extra server options
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -t 60 \
    -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 $*" start > /dev/null \
    || { log "PostgreSQL did not start"; tail -20 "$work/pg.log" >&2; exit 1; }
  pg_up=1
}

pg_stop() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop > /dev/null
  pg_up=0
}

sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$pg_url/${2:-postgres}" -c "$1"; }

servers_start() {
  local nats_port
  nats_port=$(free_port)
  nats-server -js -sd "$work/nats" -a 127.0.0.1 -p "$nats_port" > "$work/nats.log" 2>&1 &
  nats_pid=$!
  wait_tcp "$nats_port" 10 || { log "nats-server did not start"; cat "$work/nats.log" >&2; exit 1; }
  nats_url="nats://127.0.0.1:$nats_port"
  pg_port=$(free_port)
  "${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    > "$work/initdb.log" 2>&1 || { log "initdb failed"; cat "$work/initdb.log" >&2; exit 1; }
  pg_start
  pg_url="postgresql://postgres@127.0.0.1:$pg_port"
}

servers_stop() {
  [ "${pg_up:-0}" = 1 ] && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
  [ -n "${nats_pid:-}" ] && kill -INT "$nats_pid" 2>/dev/null && wait "$nats_pid" 2>/dev/null || true
}
