#!/usr/bin/env bash
# Side-by-side benchmark: RobustMQ, Mosquitto and Aedes in one run of ../shared/bench/compare.mjs.
# The shared harness is read-only, so it is copied to $BENCH_DIR (default /tmp/robustmq-bench)
# and its dependencies (mqtt-packet, Aedes) installed there. Needs `apt-get install mosquitto`.
# Usage: bench/run.sh [--reps N] [--scenarios fanin,fanout,p2p,qos2,connections] [--out DIR] [-- bench options]
# Prints compare.mjs's summary, then the goal table of bench/goals.mjs (ratios to the best other broker).
set -euo pipefail
# shellcheck source=bench/prepare.sh
source "$(dirname "$0")/prepare.sh"
(cd "$work/brokers/aedes" && [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null)

cat > "$work/brokers/robustmq-compare.json" <<JSON
{
  "brokers": [
    { "name": "robustmq", "port": 18833, "cmd": ["$repo/bin/run.js", "server", "start", "--config", "$here/robustmq.toml"] },
    { "name": "mosquitto-if0", "port": 18831, "cmd": ["mosquitto", "-c", "mosquitto-inflight0.conf"] },
    { "name": "mosquitto-nd", "port": 18831, "cmd": ["mosquitto", "-c", "mosquitto-nodelay.conf"] },
    { "name": "aedes-nd", "port": 18835, "cmd": ["node", "aedes/server.mjs", "--port", "18835", "--no-delay"] }
  ]
}
JSON

# the results folder: --out if given, else a new one named by the time
out="$work/results/$(date -u +%Y%m%dT%H%M%SZ)"
args=("$@")
has_out=no
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = "--" ] && break
  if [ "${args[$i]}" = "--out" ]; then
    out="${args[$((i + 1))]}"
    has_out=yes
  fi
done
[ "$has_out" = yes ] || set -- --out "$out" "$@"

ulimit -n 20000
cd "$work"
node compare.mjs --config brokers/robustmq-compare.json \
  --ratio robustmq/mosquitto-if0 --ratio robustmq/mosquitto-nd --ratio robustmq/aedes-nd "$@"
echo
echo "## Goals (docs/performance.md)"
node "$here/goals.mjs" "$out/results.jsonl"
