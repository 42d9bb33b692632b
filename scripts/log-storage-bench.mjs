#!/usr/bin/env node
// Topic-log storage benchmark (not a test, not run by CI): how many bytes the storage engine uses per
// published message when N offline persistent sessions (default 10,000) are subscribed to one topic,
// for a created topic with a log (the message is stored once, each session keeps a cursor) against a
// plain topic (a copy is queued and stored for every session), on the sqlite and postgres engines.
// Per engine and mode: a fresh store and broker (in this process), the sessions made over raw sockets
// (MQTT 3.1.1, clean session off, QoS 1 subscription, then DISCONNECT), the store measured (S0), M
// messages published at QoS 1 (default 200, 64-byte payloads), the store measured again (S1), and
// three of the sessions reconnected to check that each gets all M messages.
// Store size: sqlite, robustmq.db + robustmq.db-wal with the broker stopped (close() checkpoints);
// postgres, after a flush and VACUUM, the main fork of every table in `public`, its indexes and its
// TOAST table and index (free space and visibility maps left out: VACUUM creates them unevenly).
// Usage: npm run build && node scripts/log-storage-bench.mjs [--messages 200] [--sessions 10000]
//          [--engines sqlite,postgres] [--window 32] [--concurrency 200]
// The table goes to stdout, progress to stderr; it takes minutes. Needs the Debian `postgresql`
// package for the postgres engine (a throwaway server is started in a temp dir).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import mqttPacket from 'mqtt-packet';
import pg from 'pg';
import { Broker, loadConfig } from '../dist/src/index.js';
import { createLogger } from '../dist/src/lib/logger.js';
import { sqliteFile } from '../dist/src/server/storage/create-storage.js';
import { startPostgres } from '../dist/test/helpers/postgres.js';

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '200' },
    sessions: { type: 'string', default: '10000' },
    engines: { type: 'string', default: 'sqlite,postgres' },
    window: { type: 'string', default: '32' },
    concurrency: { type: 'string', default: '200' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(
    'node scripts/log-storage-bench.mjs [--messages 200] [--sessions 10000] [--engines sqlite,postgres]\n' +
      '  [--window 32 (unacknowledged QoS 1 PUBLISHes)] [--concurrency 200 (session set-ups in flight)]',
  );
  process.exit(0);
}
function positive(name) {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1`);
  return n;
}
const MESSAGES = positive('messages');
const SESSIONS = positive('sessions');
const WINDOW = Math.min(positive('window'), 65535);
const CONCURRENCY = positive('concurrency');
const ENGINES = opts.engines.split(',').map((e) => e.trim());
for (const e of ENGINES) if (e !== 'sqlite' && e !== 'postgres') throw new Error(`unknown engine ${e}`);

const TOPIC = 'fleet/updates';
const PAYLOAD_BYTES = 64;
const VERIFY_SESSIONS = Math.min(3, SESSIONS);
const HOST = '127.0.0.1';
const clientId = (i) => `device-${String(i).padStart(6, '0')}`;

const started = performance.now();
const stamp = () => `[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
const progress = (msg) => process.stderr.write(`${stamp()} ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Payload of message i: its index first (for the check), padded to PAYLOAD_BYTES. */
function payload(i) {
  const b = Buffer.alloc(PAYLOAD_BYTES, 0x2e);
  b.write(`msg ${i} `, 'latin1');
  return b;
}

// ----- raw MQTT 3.1.1 clients

/** One socket with an mqtt-packet parser; `next(cmd)` waits for the next packet of that kind. */
function rawClient(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const waiting = [];
    const listeners = new Set();
    let failure;
    const fail = (err) => {
      failure ??= err;
      for (const w of waiting.splice(0)) w.reject(failure);
    };
    parser.on('packet', (p) => {
      for (const l of listeners) l(p);
      const i = waiting.findIndex((w) => w.cmd === p.cmd);
      if (i >= 0) waiting.splice(i, 1)[0].resolve(p);
    });
    parser.on('error', fail);
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the broker')));
    socket.once('connect', () =>
      resolve({
        socket,
        send: (packet) => socket.write(mqttPacket.generate(packet, { protocolVersion: 4 })),
        next: (cmd, ms = 60_000) =>
          failure
            ? Promise.reject(failure)
            : new Promise((res, rej) => {
                const t = setTimeout(() => rej(new Error(`no ${cmd} within ${ms} ms`)), ms);
                waiting.push({
                  cmd,
                  resolve: (p) => (clearTimeout(t), res(p)),
                  reject: (e) => (clearTimeout(t), rej(e)),
                });
              }),
        onPacket: (l) => listeners.add(l),
        close: () =>
          new Promise((res) => {
            if (socket.destroyed) return res();
            socket.once('close', res);
            socket.end();
          }),
      }),
    );
    socket.once('error', reject);
  });
}

/** `onPacket` sees every packet from the start (PUBLISHes can come in the same read as the CONNACK). */
async function connect(port, id, clean, onPacket) {
  const c = await rawClient(port);
  if (onPacket) c.onPacket((p) => onPacket(p, c));
  c.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, clientId: id, keepalive: 0 });
  const ack = await c.next('connack');
  if (ack.returnCode !== 0) throw new Error(`${id}: CONNACK return code ${ack.returnCode}`);
  return { c, sessionPresent: ack.sessionPresent };
}

/** A persistent session subscribed at QoS 1 to TOPIC, then offline (DISCONNECT). */
async function makeSession(port, id) {
  const { c } = await connect(port, id, false);
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: TOPIC, qos: 1 }] });
  const suback = await c.next('suback');
  if (suback.granted[0] !== 1) throw new Error(`${id}: SUBACK granted ${suback.granted[0]}`);
  c.send({ cmd: 'disconnect' });
  await c.close();
}

async function makeSessions(broker) {
  const port = broker.mqttPort;
  let nextIndex = 0;
  let done = 0;
  const step = Math.max(1, Math.round(SESSIONS / 10));
  const worker = async () => {
    while (nextIndex < SESSIONS) {
      await makeSession(port, clientId(nextIndex++));
      if (++done % step === 0)
        progress(`  sessions ${done.toLocaleString('en-US')} / ${SESSIONS.toLocaleString('en-US')}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, SESSIONS) }, worker));
  // the broker settles a session when it sees the socket close: wait until every one is offline
  for (let i = 0; broker.connections.size > 0 || [...broker.sessions.values()].some((s) => s.connected); i++) {
    if (i > 3000) throw new Error('sessions still connected 30 s after their DISCONNECT');
    await sleep(10);
  }
  if (broker.sessions.size !== SESSIONS) throw new Error(`${broker.sessions.size} sessions, expected ${SESSIONS}`);
}

/** M messages at QoS 1 from one clean-session publisher, at most WINDOW unacknowledged. */
async function publishAll(port) {
  const inflight = new Map();
  let acked = 0;
  let wake;
  const { c } = await connect(port, 'bench-publisher', true, (p) => {
    if (p.cmd !== 'puback') return;
    if (!inflight.delete(p.messageId)) throw new Error(`PUBACK for unknown packet id ${p.messageId}`);
    acked++;
    wake?.();
  });
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    while (inflight.size >= WINDOW) await new Promise((r) => (wake = r));
    const messageId = (i % 65535) + 1;
    inflight.set(messageId, i);
    c.send({ cmd: 'publish', topic: TOPIC, payload: payload(i), qos: 1, retain: false, dup: false, messageId });
  }
  const deadline = Date.now() + 600_000;
  while (acked < MESSAGES) {
    if (Date.now() > deadline) throw new Error(`only ${acked} of ${MESSAGES} PUBACKs`);
    await Promise.race([new Promise((r) => (wake = r)), sleep(1000)]);
  }
  const ms = performance.now() - t0;
  c.send({ cmd: 'disconnect' });
  await c.close();
  return ms;
}

/** Reconnects a session and checks that it receives messages 0..M-1 (each once) on TOPIC. */
async function verifySession(port, id) {
  const seen = new Set();
  let duplicates = 0;
  let wake;
  const { c, sessionPresent } = await connect(port, id, false, (p, c) => {
    if (p.cmd !== 'publish') return;
    if (p.qos === 1) c.send({ cmd: 'puback', messageId: p.messageId });
    const m = /^msg (\d+) /.exec(p.payload.toString('latin1'));
    if (p.topic !== TOPIC || !m || p.payload.length !== PAYLOAD_BYTES) throw new Error(`${id}: unexpected message`);
    if (seen.has(Number(m[1]))) duplicates++;
    seen.add(Number(m[1]));
    if (seen.size === MESSAGES) wake?.();
  });
  if (!sessionPresent) throw new Error(`${id}: the broker had no session for it (session present = 0)`);
  const deadline = Date.now() + 120_000;
  while (seen.size < MESSAGES && Date.now() < deadline)
    await Promise.race([new Promise((r) => (wake = r)), sleep(500)]);
  await sleep(200); // anything beyond the M messages would show as a duplicate
  c.send({ cmd: 'disconnect' });
  await c.close();
  const missing = MESSAGES - seen.size;
  if (missing > 0 || duplicates > 0) {
    throw new Error(`${id}: received ${seen.size} of ${MESSAGES} messages, ${duplicates} duplicates`);
  }
}

// ----- store sizes

function sqliteSize(dataDir) {
  const file = sqliteFile(dataDir);
  const size = (f) => (existsSync(f) ? statSync(f).size : 0);
  return size(file) + size(`${file}-wal`);
}

/** Bytes of the tables of `public`: main fork of the heap, its indexes, its TOAST table and index. */
async function postgresSize(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('VACUUM');
    const { rows } = await c.query(`
      SELECT c.relname AS name,
             pg_relation_size(c.oid) AS heap,
             COALESCE((SELECT sum(pg_relation_size(i.indexrelid)) FROM pg_index i WHERE i.indrelid = c.oid), 0)
               AS indexes,
             CASE WHEN c.reltoastrelid = 0 THEN 0 ELSE pg_relation_size(c.reltoastrelid) +
               COALESCE((SELECT sum(pg_relation_size(i.indexrelid)) FROM pg_index i
                         WHERE i.indrelid = c.reltoastrelid), 0) END AS toast
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r'
      ORDER BY c.relname`);
    const tables = {};
    let total = 0;
    for (const r of rows) {
      const bytes = Number(r.heap) + Number(r.indexes) + Number(r.toast);
      tables[r.name] = bytes;
      total += bytes;
    }
    return { total, tables };
  } finally {
    await c.end();
  }
}

// ----- one engine and mode

async function run(engine, mode, pgServer) {
  progress(`${engine} / ${mode === 'logged' ? 'created topic with a log' : 'plain topic'}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'rmq-logbench-'));
  const url = engine === 'postgres' ? await pgServer.createDatabase() : '';
  const config = loadConfig({
    overrides: {
      node: { log_level: 'silent', data_dir: dataDir },
      mqtt: { bind: HOST, port: 0 },
      sys: { enabled: false },
      limits: { max_queued_messages: Math.max(100_000, MESSAGES) },
      storage: engine === 'postgres' ? { engine, postgres_url: url } : { engine },
    },
  });
  let broker;
  const start = async () => {
    broker = new Broker(config, { logger: createLogger('silent') });
    await broker.start();
  };
  // sqlite: the file is measured with the broker stopped; postgres: after a flush, the broker running
  const measure = async () => {
    if (engine === 'sqlite') {
      await broker.stop();
      const total = sqliteSize(dataDir);
      await start();
      return { total };
    }
    await broker.storage.flush();
    return postgresSize(url);
  };
  try {
    await start();
    if (mode === 'logged') broker.logs.create({ name: TOPIC, partitions: 1 });
    let t = performance.now();
    await makeSessions(broker);
    progress(
      `  ${SESSIONS.toLocaleString('en-US')} offline sessions in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const s0 = await measure();
    progress(`  S0 ${s0.total.toLocaleString('en-US')} bytes${s0.tables ? ' ' + JSON.stringify(s0.tables) : ''}`);
    const publishMs = await publishAll(broker.mqttPort);
    progress(`  ${MESSAGES} messages published in ${(publishMs / 1000).toFixed(2)} s`);
    if (mode === 'logged') {
      const [b] = broker.logs.bounds(TOPIC);
      if (b.next !== MESSAGES) throw new Error(`the log holds ${b.next} messages, expected ${MESSAGES}`);
    }
    t = performance.now();
    const s1 = await measure();
    progress(
      `  S1 ${s1.total.toLocaleString('en-US')} bytes${s1.tables ? ' ' + JSON.stringify(s1.tables) : ''} ` +
        `(measured in ${((performance.now() - t) / 1000).toFixed(1)} s)`,
    );
    for (let i = 0; i < VERIFY_SESSIONS; i++) {
      // first, middle and last session
      const index = Math.round((i * (SESSIONS - 1)) / Math.max(1, VERIFY_SESSIONS - 1));
      await verifySession(broker.mqttPort, clientId(index));
    }
    progress(`  checked: ${VERIFY_SESSIONS} reconnected sessions each received all ${MESSAGES} messages`);
    return { engine, mode, s0: s0.total, s1: s1.total, publishMs };
  } finally {
    await broker?.stop().catch((err) => progress(`  stopping the broker failed: ${err.message}`));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ----- main

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const results = [];
let pgServer;
try {
  for (const engine of ENGINES) {
    if (engine === 'postgres') {
      progress('starting a throwaway PostgreSQL server');
      pgServer = await startPostgres();
    }
    for (const mode of ['logged', 'plain']) results.push(await run(engine, mode, pgServer));
    if (engine === 'postgres') {
      await pgServer.stop();
      pgServer = undefined;
    }
  }
} finally {
  await pgServer?.stop();
}

const totalS = (performance.now() - started) / 1000;
const command =
  `node scripts/log-storage-bench.mjs --messages ${MESSAGES} --sessions ${SESSIONS} --engines ${ENGINES.join(',')}` +
  ` --window ${WINDOW} --concurrency ${CONCURRENCY}`;
console.log(`RobustMQ topic-log storage benchmark (node ${process.version}, broker and clients in one process)`);
console.log('');
console.log('```sh');
console.log(command);
console.log('```');
console.log('');
console.log(
  `${fmt(SESSIONS)} offline persistent sessions (MQTT 3.1.1, clean session off, client ids like ` +
    `\`${clientId(0)}\`) subscribed at QoS 1 to \`${TOPIC}\`; ${fmt(MESSAGES)} messages of ` +
    `${PAYLOAD_BYTES}-byte payload published at QoS 1 (${WINDOW} unacknowledged at most, each PUBACK after ` +
    `the storage commit). Store growth = S1 - S0; sqlite: file + WAL with the broker stopped; postgres: ` +
    `tables, indexes and TOAST of the database after VACUUM. Checked: ${VERIFY_SESSIONS} sessions reconnected and ` +
    `each received all ${fmt(MESSAGES)} messages.`,
);
console.log('');
const header = [
  'engine',
  'topic',
  'store after subscribe (S0)',
  'store growth (S1 − S0)',
  'bytes / message',
  'payload bytes / message',
  '× payload',
  'bytes / message / session',
  'publish time',
  'msg/s',
];
const rows = results.map((r) => {
  const perMessage = (r.s1 - r.s0) / MESSAGES;
  return [
    r.engine,
    r.mode === 'logged' ? 'created, with log' : 'plain',
    `${fmt(r.s0 / 2 ** 20, 1)} MiB`,
    `${fmt((r.s1 - r.s0) / 2 ** 20, 2)} MiB`,
    fmt(perMessage),
    fmt(PAYLOAD_BYTES),
    fmt(perMessage / PAYLOAD_BYTES, 1),
    fmt(perMessage / SESSIONS, 2),
    `${fmt(r.publishMs / 1000, 2)} s`,
    fmt((MESSAGES / r.publishMs) * 1000),
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
console.log(line(header));
console.log(`| ${widths.map((w, i) => (i < 2 ? '-'.repeat(w) : '-'.repeat(w - 1) + ':')).join(' | ')} |`);
for (const r of rows) console.log(line(r));
console.log('');
for (const engine of ENGINES) {
  const logged = results.find((r) => r.engine === engine && r.mode === 'logged');
  const plain = results.find((r) => r.engine === engine && r.mode === 'plain');
  if (logged && plain && logged.s1 > logged.s0) {
    console.log(
      `${engine}: a plain topic uses ${fmt((plain.s1 - plain.s0) / (logged.s1 - logged.s0), 0)}× the storage of a ` +
        `topic with a log for the same messages.`,
    );
  }
}
// both engines grow their files a page at a time, per table and per index
const pages = { sqlite: 4096, postgres: 8192 };
console.log(
  `Sizes count whole pages (${ENGINES.map((e) => `${e} ${fmt(pages[e])} bytes`).join(', ')}): every table or ` +
    `index that grew may hold one partly filled page, up to ${ENGINES.map((e) => `${fmt(pages[e] / MESSAGES)}`).join(' / ')} ` +
    `bytes per message each at ${fmt(MESSAGES)} messages, which matters for the logged rows only (more --messages ` +
    `narrows it).`,
);
console.log(`Total run time ${fmt(totalS / 60, 1)} min.`);
