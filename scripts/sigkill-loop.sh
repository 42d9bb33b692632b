#!/usr/bin/env bash
# The SIGKILL recovery test, N times in a row (default 20), stopping at the first failure.
# Not part of CI. Usage: scripts/sigkill-loop.sh [runs]   (CRASH_MESSAGES=5000 per publisher by default)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
npm run build --silent >/dev/null
for i in $(seq 1 "$runs"); do
  if out="$(node scripts/run-tests.mjs crash-recovery 2>&1)"; then
    echo "run $i/$runs: ok  $(grep -h '^# ' <<<"$out" | tr '\n' ' ')"
  else
    echo "$out"
    echo "run $i/$runs: FAILED"
    exit 1
  fi
done
echo "$runs passed, 0 failed"
