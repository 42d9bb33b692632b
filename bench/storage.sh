#!/usr/bin/env bash
# What durability costs: RobustMQ with the memory, sqlite and postgres engines side by side in one
# run of ../shared/bench (QoS 1 fan-in by default). In the *-log variants every topic of the bench
# gets a topic log (topics.log_filters = ["bench/#"]), so each PUBLISH is written durably before its
# PUBACK (group commit); sqlite-plain is the default configuration, where the bench's clean sessions
# leave nothing to write. Each broker start gets an empty store. Not part of CI.
# Usage: bench/storage.sh [--reps N] [--scenarios fanin] [-- bench options]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
shared="${SHARED_BENCH:-$repo/../shared/bench}"
work="${BENCH_DIR:-/tmp/robustmq-bench}"
[ -f "$repo/dist/test/helpers/postgres.js" ] || { echo "build first: npm run build" >&2; exit 1; }

mkdir -p "$work"
cp -r "$shared"/. "$work"/
chmod -R u+w "$work"
(cd "$work" && [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null)

pg_out="$work/postgres.url"
rm -f "$pg_out"
node "$here/postgres-server.mjs" >"$pg_out" &
pg_pid=$!
trap 'kill $pg_pid 2>/dev/null || true; wait $pg_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$pg_out" ] && break; sleep 0.2; done
url="$(head -1 "$pg_out")"
[ -n "$url" ] || { echo "PostgreSQL did not start" >&2; exit 1; }

conf() { # name engine log(yes|no)
  local f="$work/rmq-$1.toml"
  {
    printf '[node]\nlog_level = "warn"\ndata_dir = "%s"\n' "$work/data-$1"
    printf '[mqtt]\nbind = "127.0.0.1"\nport = 18833\n'
    printf '[limits]\nmax_queued_messages = 100000\nmax_inflight = 65535\nmax_connections = 30000\n'
    printf '[storage]\nengine = "%s"\n' "$2"
    [ "$2" = postgres ] && printf 'postgres_url = "%s"\n' "$url"
    [ "$3" = yes ] && printf '[topics]\nlog_filters = ["bench/#"]\n'
  } >"$f"
  echo "$f"
}
# one start script per broker: empty the store, then exec the broker (the PID stays the broker's)
starter() { # name engine log(yes|no) reset-command
  local f="$work/start-$1.sh"
  printf '#!/usr/bin/env bash\nset -e\n%s\nexec %q server start --config %q\n' "$4" "$repo/bin/run.js" "$(conf "$1" "$2" "$3")" >"$f"
  echo "$f"
}
reset_pg="psql '$url' -qc 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null"
cat >"$work/brokers/robustmq-storage.json" <<JSON
{
  "brokers": [
    { "name": "memory-log", "port": 18833, "cmd": ["bash", "$(starter memory-log memory yes true)"] },
    { "name": "sqlite-log", "port": 18833, "cmd": ["bash", "$(starter sqlite-log sqlite yes "rm -rf $work/data-sqlite-log")"] },
    { "name": "postgres-log", "port": 18833, "cmd": ["bash", "$(starter postgres-log postgres yes "$reset_pg")"] },
    { "name": "sqlite-plain", "port": 18833, "cmd": ["bash", "$(starter sqlite-plain sqlite no "rm -rf $work/data-sqlite-plain")"] }
  ]
}
JSON

ulimit -n 20000
cd "$work"
node compare.mjs --config brokers/robustmq-storage.json --scenarios fanin-qos1 \
  --ratio sqlite-log/memory-log --ratio postgres-log/memory-log --ratio sqlite-plain/memory-log "$@"
