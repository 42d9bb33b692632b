#!/usr/bin/env bash
# The whole CI: system packages the tests use, npm ci (builds), lint + format check, the tests.
# Runs on a fresh Debian machine with Node 20 as root (CI) or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v mosquitto_sub >/dev/null 2>&1 || need_apt+=(mosquitto-clients)
command -v mosquitto >/dev/null 2>&1 || need_apt+=(mosquitto)
/usr/bin/python3 -c 'import paho.mqtt' >/dev/null 2>&1 || need_apt+=(python3-paho-mqtt)
# the admin TLS tests make their certificates with openssl
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# the tcp-options test reads socket timers with ss
command -v ss >/dev/null 2>&1 || need_apt+=(iproute2)
# better-sqlite3 is compiled from source: node-gyp needs python3, make and a C++ compiler
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
# the postgres storage tests start a throwaway server from these binaries (test/helpers/postgres.ts)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
# the database authentication tests start throwaway MariaDB and Redis servers (test/helpers/mariadb.ts, redis.ts)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_apt+=(mariadb-server)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing system packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# better-sqlite3 compiles from source; build it against the local Node headers when the machine
# has them (Debian's nodejs package does), instead of downloading headers that may be unreachable
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/common.gypi ]; then
  export npm_config_nodedir=/usr
fi

echo "==> npm ci"
npm ci --no-audit --no-fund
echo "==> build"
npm run build
echo "==> lint and format"
npm run lint
echo "==> tests"
npm test
