#!/usr/bin/env bash
# One worker against two (node.workers), side by side in one run of ../shared/bench/compare.mjs,
# alternating, with Mosquitto as the reference. Not part of CI.
# Usage: bench/workers.sh [--reps N] [--scenarios fanin,fanout,qos2] [-- bench options]
# The harness reads CPU and RSS of the process it started: for two workers that is the primary
# only, so compare throughput and the host's idle time, not broker_cpu_pct.
set -euo pipefail
# shellcheck source=bench/prepare.sh
source "$(dirname "$0")/prepare.sh"

cat > "$work/brokers/robustmq-workers.json" <<JSON
{
  "brokers": [
    { "name": "robustmq-w1", "port": 18833, "cmd": ["$repo/bin/run.js", "server", "start", "--config", "$here/robustmq.toml", "--admin-port", "0"] },
    { "name": "robustmq-w2", "port": 18833, "cmd": ["$repo/bin/run.js", "server", "start", "--config", "$here/robustmq.toml", "--admin-port", "0", "--workers", "2"] },
    { "name": "mosquitto-if0", "port": 18831, "cmd": ["mosquitto", "-c", "mosquitto-inflight0.conf"] }
  ]
}
JSON

args=("$@")
has_scen=no
for a in "${args[@]}"; do [ "$a" = "--" ] && break; [ "$a" = "--scenarios" ] && has_scen=yes; done
[ "$has_scen" = yes ] || set -- --scenarios fanin,fanout,qos2 "$@"

ulimit -n 20000
cd "$work"
node compare.mjs --config brokers/robustmq-workers.json \
  --ratio robustmq-w2/robustmq-w1 --ratio robustmq-w1/mosquitto-if0 --ratio robustmq-w2/mosquitto-if0 "$@"
