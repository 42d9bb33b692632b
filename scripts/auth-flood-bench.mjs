#!/usr/bin/env node
// Password-guessing flood against the built-in users (a benchmark, not a test, not run by CI): how
// long a legitimate client takes to connect and to get its own message back while N attackers
// reconnect in a loop with a wrong password for a known user (each refusal costs the broker one
// scrypt verification, tens of ms on the libuv threadpool), against the same client with no flood.
// The broker runs in a child process (memory storage, free loopback port, one user "alice"), so the
// attackers' and the probe's JavaScript does not share its event loop. The legitimate client is
// measured twice per phase: anonymous (no password: no scrypt at all) and with alice's right
// password (its verification queues with the attackers'). Attackers connect from 127.0.0.2, the
// probe from 127.0.0.1 (per-address fairness is the broker's to give).
// Usage: npm run build && node scripts/auth-flood-bench.mjs [--attackers 20] [--samples 40] [--warmup-ms 1000]
// Prints p50 / p99 / max in ms of CONNECT->CONNACK and PUBLISH->own message, per phase and client.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mqttPacket from 'mqtt-packet';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .join(' ')
    .split('--')
    .filter(Boolean)
    .map((a) => a.trim().split(/\s+/)),
);
const ATTACKERS = Number(args.attackers ?? 20);
const SAMPLES = Number(args.samples ?? 40);
const WARMUP_MS = Number(args['warmup-ms'] ?? 1000);

if (process.argv[2] === '--serve') {
  // the broker process
  const { Broker } = await import('../dist/src/server/broker.js');
  const { loadConfig } = await import('../dist/src/lib/config.js');
  const dir = mkdtempSync(join(tmpdir(), 'rmq-authflood-'));
  const config = loadConfig({
    overrides: {
      node: { log_level: 'error', data_dir: dir },
      mqtt: { bind: '127.0.0.1', port: 0 },
      sys: { enabled: false },
      admin: { grpc_enabled: false, http_enabled: false },
      storage: { engine: 'memory' },
    },
  });
  const broker = new Broker(config);
  await broker.start();
  await broker.admin.createUser({ username: 'alice', password: 'wonderland' });
  process.send({ port: broker.mqttPort });
  process.on('message', async () => {
    process.send({ failures: broker.authChain.failures });
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
} else {
  await main();
}

function connectBytes(clientId, username, password) {
  return mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId,
    keepalive: 60,
    ...(username ? { username, password: Buffer.from(password) } : {}),
  });
}

/** One socket with an mqtt-packet parser; resolves packets in order. */
function open(port, localAddress) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const queue = [];
    const waiters = [];
    parser.on('packet', (p) => (waiters.length ? waiters.shift()(p) : queue.push(p)));
    socket.on('data', (d) => parser.parse(d));
    const closed = new Promise((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.once('connect', () =>
      resolve({
        socket,
        closed,
        next: () =>
          queue.length
            ? Promise.resolve(queue.shift())
            : new Promise((r) => {
                waiters.push(r);
                closed.then(() => r(null));
              }),
      }),
    );
    socket.once('error', reject);
  });
}

async function attacker(port, stop, counter) {
  let i = 0;
  while (!stop.done) {
    try {
      const c = await open(port, '127.0.0.2');
      c.socket.write(connectBytes(`attacker-${i++}-${Math.random()}`, 'alice', 'wrong-password'));
      const ack = await c.next();
      if (ack?.cmd === 'connack') counter.refused += ack.returnCode === 4 ? 1 : 0;
      c.socket.destroy();
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** One probe: connect (timed), subscribe to its own topic, publish and time the echo, disconnect. */
async function probe(port, withPassword) {
  const id = `probe-${Math.random().toString(16).slice(2)}`;
  const t0 = performance.now();
  const c = await open(port, '127.0.0.1');
  c.socket.write(withPassword ? connectBytes(id, 'alice', 'wonderland') : connectBytes(id));
  const ack = await c.next();
  const connectMs = performance.now() - t0;
  if (ack?.cmd !== 'connack' || ack.returnCode !== 0) throw new Error(`probe refused: ${JSON.stringify(ack)}`);
  const topic = `flood/${id}`;
  c.socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] }));
  await c.next();
  const t1 = performance.now();
  c.socket.write(mqttPacket.generate({ cmd: 'publish', topic, payload: 'x', qos: 0, retain: false, dup: false }));
  const p = await c.next();
  const rttMs = performance.now() - t1;
  if (p?.cmd !== 'publish') throw new Error('no echo');
  c.socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
  return { connectMs, rttMs };
}

function pct(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function measure(port, label) {
  const rows = [];
  for (const withPassword of [false, true]) {
    const c = [];
    const r = [];
    for (let i = 0; i < SAMPLES; i++) {
      const m = await probe(port, withPassword);
      c.push(m.connectMs);
      r.push(m.rttMs);
      await new Promise((res) => setTimeout(res, 20));
    }
    const f = (xs) => `${pct(xs, 0.5).toFixed(1)} / ${pct(xs, 0.99).toFixed(1)} / ${Math.max(...xs).toFixed(1)}`;
    rows.push(`| ${label} | ${withPassword ? 'right password' : 'anonymous'} | ${f(c)} | ${f(r)} |`);
  }
  return rows;
}

async function main() {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: 'inherit' });
  const { port } = await new Promise((r) => child.once('message', r));
  const rows = await measure(port, 'no flood');
  const stop = { done: false };
  const counter = { refused: 0 };
  const t0 = performance.now();
  const flood = Array.from({ length: ATTACKERS }, () => attacker(port, stop, counter));
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  rows.push(...(await measure(port, `${ATTACKERS} attackers`)));
  stop.done = true;
  await Promise.all(flood);
  const floodS = (performance.now() - t0) / 1000;
  child.send('stop');
  const { failures } = await new Promise((r) => child.once('message', r));
  await new Promise((r) => child.once('exit', r));
  console.log(
    `| phase | legitimate client | CONNECT->CONNACK p50 / p99 / max (ms) | PUBLISH->echo p50 / p99 / max (ms) |`,
  );
  console.log(`| --- | --- | --: | --: |`);
  for (const row of rows) console.log(row);
  console.log(
    `\nattackers were refused ${counter.refused} times in ${floodS.toFixed(1)} s ` +
      `(${(counter.refused / floodS).toFixed(0)}/s; broker counted ${failures} failures); ${SAMPLES} samples per row`,
  );
}
