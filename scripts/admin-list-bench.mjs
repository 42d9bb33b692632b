#!/usr/bin/env node
// Admin list calls at scale (a benchmark, not a test): how long `client list`, `session list`,
// `subscription list` and `retained list` take on a broker holding 100,000 persistent sessions in
// its store and 15,000 connected clients. It
//   1. pre-seeds a fresh SQLite store through the storage engine itself (SqliteStorage.saveSession,
//      putRetained), before the broker starts: 100,000 persistent sessions (never expiring,
//      disconnected, one subscription each) and 10,000 retained messages;
//   2. starts the built broker as its own process (`bin/run.js server start --storage sqlite`, free
//      loopback ports), which restores them all;
//   3. connects 15,000 live MQTT 3.1.1 clients from this process over raw sockets (a hand-written
//      CONNECT, clean session, no keep alive), at most 500 handshakes at a time;
//   4. times each list call with the gRPC client in this process (first page, a page in the middle
//      reached by walking the page tokens once, a filtered call; N calls each) and with the CLI as a
//      subprocess end to end (`robustmq-cli ... --json`), and prints p50 / max in milliseconds.
// Each process stays under 20,000 open files (the broker holds ~15,000 sockets, this one as many).
// Usage: npm run build && node scripts/admin-list-bench.mjs [--sessions 100000] [--clients 15000]
//        [--retained 10000] [--calls 20] [--cli-calls 5]
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AdminGrpcClient } from '../dist/src/lib/admin-grpc-client.js';
import { createMessage } from '../dist/src/server/message.js';
import { sqliteFile } from '../dist/src/server/storage/create-storage.js';
import { SqliteStorage } from '../dist/src/server/storage/sqlite-storage.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN = join(ROOT, 'bin', 'run.js');
const run = promisify(execFile);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const SESSIONS = arg('sessions', 100_000);
const CLIENTS = arg('clients', 15_000);
const RETAINED = arg('retained', 10_000);
const CALLS = arg('calls', 20);
const CLI_CALLS = arg('cli-calls', 5);
const NEVER = 4_294_967_295;

const pad = (n, w = 6) => String(n).padStart(w, '0');
const sessionId = (i) => `bench-s-${pad(i)}`;
const liveId = (i) => `bench-live-${pad(i, 5)}`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function log(...a) {
  process.stderr.write(`${a.join(' ')}\n`);
}

// ---- 1. seed the store ----
const dir = mkdtempSync(join(tmpdir(), 'rmq-admin-bench-'));
let broker;
const sockets = [];
process.on('exit', () => {
  for (const s of sockets) s.destroy();
  broker?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
let t0 = performance.now();
{
  const store = new SqliteStorage(sqliteFile(dir));
  await store.open();
  const now = Date.now();
  for (let i = 0; i < SESSIONS; i++) {
    store.saveSession({
      clientId: sessionId(i),
      protocolVersion: i % 2 ? 5 : 4,
      expiryInterval: NEVER,
      disconnectedAt: now - i,
      subscriptions: [
        { rawFilter: `bench/s/${i}/#`, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      ],
    });
    if (i % 10_000 === 9_999) await store.flush();
  }
  const payload = Buffer.from('retained-payload-0123456789');
  for (let i = 0; i < RETAINED; i++) {
    store.putRetained(
      createMessage({ topic: `bench/r/${i % 100}/${pad(i)}`, payload, qos: 1, retain: true, origin: 'seed' }),
    );
  }
  await store.flush();
  await store.close();
}
log(
  `seeded ${SESSIONS} sessions and ${RETAINED} retained messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

// ---- 2. start the broker ----
const mqttPort = await freePort();
const adminPort = await freePort();
const httpPort = await freePort();
const admin = `127.0.0.1:${adminPort}`;
t0 = performance.now();
broker = spawn(
  process.execPath,
  [
    RUN,
    'server',
    'start',
    '--storage',
    'sqlite',
    '--data-dir',
    dir,
    '--bind',
    '127.0.0.1',
    '--mqtt-port',
    String(mqttPort),
    '--admin-port',
    String(adminPort),
    '--http-port',
    String(httpPort),
    '--log-level',
    'info',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ROBUSTMQ_SYS_ENABLED: 'false' } },
);
await new Promise((resolve, reject) => {
  let buf = '';
  broker.stdout.setEncoding('utf8');
  broker.stdout.on('data', (chunk) => {
    buf += chunk;
    if (buf.includes('RobustMQ broker started')) resolve();
    if (buf.length > 100_000) buf = buf.slice(-1000);
  });
  broker.once('exit', (code) => reject(new Error(`broker exited (${code}) before it started`)));
});
broker.stdout.resume();
log(`broker started (restoring the store) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// ---- 3. connect the live clients ----
function connectPacket(clientId) {
  const id = Buffer.from(clientId);
  // variable header: protocol name "MQTT", level 4, flags clean session, keep alive 0; payload: the id
  const body = Buffer.concat([
    Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x00]),
    Buffer.from([id.length >> 8, id.length & 0xff]),
    id,
  ]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

function connectOne(clientId) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: mqttPort });
    s.setNoDelay(true);
    s.once('error', reject);
    s.once('connect', () => s.write(connectPacket(clientId)));
    s.once('data', (d) => {
      if (d[0] !== 0x20 || d[3] !== 0)
        return reject(new Error(`CONNACK refused for ${clientId}: ${d.toString('hex')}`));
      s.removeAllListeners('error');
      s.on('error', () => {});
      s.on('data', () => {});
      sockets.push(s);
      resolve();
    });
  });
}

t0 = performance.now();
{
  let next = 0;
  const worker = async () => {
    while (next < CLIENTS) await connectOne(liveId(next++));
  };
  await Promise.all(Array.from({ length: 500 }, worker));
}
log(`${CLIENTS} clients connected in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// ---- 4. measure ----
const api = new AdminGrpcClient(admin, { timeoutMs: 60_000 });
const status = await api.clusterStatus();
const node = status.nodes[0];
log(
  `broker holds ${node.sessions} sessions, ${node.connections} connections, ${node.subscriptions} subscriptions, ${node.retained} retained`,
);

/** The token of the page that starts in the middle: walked once with pages of 1000. */
async function middleToken(list, filter, total) {
  let token = '';
  for (let seen = 0; seen < total / 2;) {
    const page = await list({ ...filter, limit: 1000, pageToken: token || undefined });
    seen += page.items.length;
    token = page.nextPageToken;
    if (!token) break;
  }
  return token;
}

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: sorted[Math.floor((sorted.length - 1) / 2)], max: sorted[sorted.length - 1] };
}

async function timeCalls(fn, n) {
  const times = [];
  let last;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    last = await fn();
    times.push(performance.now() - t);
  }
  return { ...stats(times), last };
}

const lists = [
  {
    noun: 'client list',
    call: (f) => api.listClients(f),
    total: CLIENTS,
    filter: { clientId: 'live-07' },
    filterText: "--client-id 'live-07'",
    cli: ['client', 'list'],
    cliFilter: ['--client-id', 'live-07'],
  },
  {
    noun: 'session list',
    call: (f) => api.listSessions(f),
    total: SESSIONS + CLIENTS,
    filter: { clientId: '-s-07', connected: false },
    filterText: "--client-id '-s-07' --disconnected",
    cli: ['session', 'list'],
    cliFilter: ['--client-id', '-s-07', '--disconnected'],
  },
  {
    noun: 'subscription list',
    call: (f) => api.listSubscriptions(f),
    total: SESSIONS,
    filter: { filter: 'bench/s/7' },
    filterText: "--filter 'bench/s/7'",
    cli: ['subscription', 'list'],
    cliFilter: ['--filter', 'bench/s/7'],
  },
  {
    noun: 'retained list',
    call: (f) => api.listRetained(f),
    total: RETAINED,
    filter: { topic: 'bench/r/7/+' },
    filterText: "--topic 'bench/r/7/+'",
    cli: ['retained', 'list'],
    cliFilter: ['--topic', 'bench/r/7/+'],
  },
];

const rows = [];
for (const l of lists) {
  const token = await middleToken(l.call, {}, l.total);
  const first = await timeCalls(() => l.call({ limit: 100 }), CALLS);
  const middle = await timeCalls(() => l.call({ limit: 100, pageToken: token }), CALLS);
  const filtered = await timeCalls(() => l.call({ ...l.filter, limit: 100 }), CALLS);
  const cli = async (extra) =>
    timeCalls(
      () => run(process.execPath, [RUN, ...l.cli, '--json', '--limit', '100', '--server', admin, ...extra]),
      CLI_CALLS,
    );
  const cliFirst = await cli([]);
  const cliMiddle = await cli(['--page-token', token]);
  const cliFiltered = await cli(l.cliFilter);
  rows.push({
    list: l.noun,
    total: first.last.total,
    filterText: `${l.filterText} (${filtered.last.total} match)`,
    first,
    middle,
    filtered,
    cliFirst,
    cliMiddle,
    cliFiltered,
  });
  log(`measured ${l.noun}`);
}
await api.close();

const ms = (s) => `${s.p50.toFixed(1)} / ${s.max.toFixed(1)}`;
console.log(
  `\nAdmin list calls, ${SESSIONS.toLocaleString('en-US')} stored persistent sessions + ${CLIENTS.toLocaleString('en-US')} connected clients, ${RETAINED.toLocaleString('en-US')} retained; page size 100.`,
);
console.log(`gRPC: p50 / max ms over ${CALLS} calls; CLI (subprocess, --json): p50 / max ms over ${CLI_CALLS} runs.\n`);
console.log(
  '| list | items | gRPC first page | gRPC middle page | gRPC filtered | CLI first page | CLI middle page | CLI filtered | filter |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) {
  console.log(
    `| ${r.list} | ${r.total.toLocaleString('en-US')} | ${ms(r.first)} | ${ms(r.middle)} | ${ms(r.filtered)} | ${ms(r.cliFirst)} | ${ms(r.cliMiddle)} | ${ms(r.cliFiltered)} | ${r.filterText} |`,
  );
}

for (const s of sockets) s.destroy();
broker.kill('SIGTERM');
await new Promise((r) => broker.once('exit', r));
broker = undefined;
