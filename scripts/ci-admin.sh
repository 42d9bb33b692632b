#!/usr/bin/env bash
# Scripted administration the way a CI pipeline does it: start a broker, then with robustmq-cli only
# (JSON output parsed by `node -e`): create a topic, a user and an ACL rule, publish, read the message
# back from the topic log, list the clients. Every step must exit 0; the last line is "ci-admin: ok".
# Run by test/integration/ci-admin-script.test.ts; usable alone: bash scripts/ci-admin.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=(node bin/run.js)

# a port below the kernel's ephemeral range (32768+), so no outgoing connection takes it before the broker binds it
free_port() {
  node -e '
    const net = require("net");
    const tryPort = (n) => {
      if (n === 0) { console.error("ci-admin: no free port in 20000-31999"); process.exit(1); }
      const port = 20000 + Math.floor(Math.random() * 12000);
      const s = net.createServer();
      s.once("error", () => tryPort(n - 1));
      s.listen(port, "127.0.0.1", () => s.close(() => console.log(port)));
    };
    tryPort(50);'
}
# json_get EXPR: evaluates EXPR with `d` the JSON document read from stdin, prints the result
json_get() {
  EXPR="$1" node -e '
    let t = "";
    process.stdin.on("data", (c) => (t += c)).on("end", () => {
      const d = JSON.parse(t);
      const v = new Function("d", `return (${process.env.EXPR});`)(d);
      if (v === undefined || v === false) {
        console.error(`ci-admin: check failed: ${process.env.EXPR} on ${t.slice(0, 400)}`);
        process.exit(1);
      }
      console.log(typeof v === "string" ? v : JSON.stringify(v));
    });'
}
step() { echo "ci-admin: $*" >&2; }

data=$(mktemp -d)
mqtt_port=$(free_port)
admin_port=$(free_port)
http_port=$(free_port)
export ROBUSTMQ_SERVER="127.0.0.1:${admin_port}"
broker_pid=""
watcher_pid=""
cleanup() {
  [ -n "$watcher_pid" ] && kill "$watcher_pid" 2>/dev/null || true
  if [ -n "$broker_pid" ]; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

step "starting a broker (mqtt ${mqtt_port}, admin ${admin_port})"
"${CLI[@]}" server start --bind 127.0.0.1 --mqtt-port "$mqtt_port" --admin-port "$admin_port" \
  --http-port "$http_port" --data-dir "$data" --log-level warn >"$data/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 100); do
  "${CLI[@]}" server status --json >/dev/null 2>&1 && break
  sleep 0.2
done
"${CLI[@]}" server status --json | json_get 'd.status === "running"' >/dev/null

step "topic create"
"${CLI[@]}" topic create --name ci/orders --partitions 1 --json | json_get 'd.name === "ci/orders" && d.partitions === 1' >/dev/null

step "user create (password from stdin)"
printf 's3cret-ci-pass\n' | "${CLI[@]}" user create ci-bot --password-stdin --json | json_get 'd.username === "ci-bot"' >/dev/null

step "acl add"
rule_id=$("${CLI[@]}" acl add --permission allow --action publish --topic 'ci/${username}/#' --username ci-bot --json | json_get 'd.id')
"${CLI[@]}" acl list --json | json_get "d.rules.some(r => r.id === '${rule_id}')" >/dev/null

step "a subscriber connects"
"${CLI[@]}" message subscribe -p "$mqtt_port" -i ci-watcher -t 'ci/#' -q 1 --json >"$data/watcher.out" 2>"$data/watcher.err" &
watcher_pid=$!
# the publish must come after the SUBSCRIBE: wait until the broker lists the subscription
for _ in $(seq 1 300); do
  "${CLI[@]}" subscription list --client-id ci-watcher --json 2>/dev/null | json_get 'd.total === 1' >/dev/null 2>&1 && break
  sleep 0.1
done
"${CLI[@]}" subscription list --client-id ci-watcher --json | json_get 'd.total === 1' >/dev/null

step "message publish"
"${CLI[@]}" message publish -p "$mqtt_port" --topic ci/orders --payload '{"order":42}' --qos 1 --json |
  json_get 'd.topic === "ci/orders"' >/dev/null

step "message read (the topic log)"
"${CLI[@]}" message read --topic ci/orders --partition 0 --offset 0 --json |
  json_get 'd.messages.length === 1 && JSON.parse(d.messages[0].payload).order === 42' >/dev/null

step "client list --json"
"${CLI[@]}" client list --json | json_get 'd.clients.some(c => c.clientId === "ci-watcher") && d.total >= 1' >/dev/null

step "the subscriber got the message"
for _ in $(seq 1 300); do
  [ -s "$data/watcher.out" ] && break
  sleep 0.1
done
[ -s "$data/watcher.out" ] || { echo "ci-admin: the subscriber got nothing in 30 s: $(cat "$data/watcher.err")" >&2; exit 1; }
head -n 1 "$data/watcher.out" | json_get 'd.topic === "ci/orders" && JSON.parse(d.payload).order === 42' >/dev/null

step "clean up: acl remove, user delete, topic delete"
"${CLI[@]}" acl remove "$rule_id" >/dev/null
"${CLI[@]}" user delete ci-bot >/dev/null
"${CLI[@]}" topic delete ci/orders >/dev/null
echo "ci-admin: ok"
