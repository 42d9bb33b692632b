# Sourced by bench/run.sh and bench/workers.sh: checks what a run needs and copies the read-only
# shared harness to $work (default /tmp/robustmq-bench) with its dependencies installed.
# Sets: here, repo, shared, work.
here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
repo="$(dirname "$here")"
shared="${SHARED_BENCH:-$repo/../shared/bench}"
work="${BENCH_DIR:-/tmp/robustmq-bench}"

command -v mosquitto >/dev/null || { echo "mosquitto is not installed: apt-get install mosquitto" >&2; exit 1; }
[ -f "$repo/dist/src/server/broker.js" ] || { echo "build first: npm run build" >&2; exit 1; }

mkdir -p "$work"
cp -r "$shared"/. "$work"/
chmod -R u+w "$work"
(cd "$work" && [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null)
