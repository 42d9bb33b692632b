#!/usr/bin/env node
// Retained-message benchmark (not a test): starts the compiled broker in this process, stores N
// retained messages (default 100,000) over four topic levels with a real MQTT.js publisher, then
// measures how long wildcard subscriptions take to deliver their whole retained set to a real
// MQTT.js subscriber (SUBSCRIBE sent -> last retained PUBLISH received), and how long the retained
// index lookup alone takes compared with a scan of every retained message.
// Usage: npm run build && node scripts/retained-bench.mjs [--count 100000] [--runs 3] [--default-limits]
// --default-limits keeps max_write_buffer and max_queued_messages at their defaults and reports how
// many retained messages each subscription actually received.
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { Broker, loadConfig } from '../dist/src/index.js';
import { createLogger } from '../dist/src/lib/logger.js';
import { topicMatches } from '../dist/src/lib/topic.js';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const COUNT = arg('count', 100_000);
const RUNS = arg('runs', 3);
const DEFAULT_LIMITS = process.argv.includes('--default-limits');

// topics a/b{0..B-1}/c{0..19}/d{0..49}: 1,000 topics per b, so COUNT / 1000 values of b
const C = 20;
const D = 50;
const B = Math.max(1, Math.round(COUNT / (C * D)));
const TOTAL = B * C * D;

const config = loadConfig({
  overrides: {
    node: { log_level: 'silent' },
    mqtt: { bind: '127.0.0.1', port: 0 },
    sys: { enabled: false },
    // room for a whole retained set per subscriber: with the defaults (4 MiB write buffer, 1,000
    // queued messages) a '#' over 100,000 messages delivers what fits and drops the rest
    limits: DEFAULT_LIMITS ? {} : { max_write_buffer: 512 * 1024 * 1024, max_queued_messages: 10 * TOTAL },
  },
});
const broker = new Broker(config, { logger: createLogger('silent') });
await broker.start();
const port = broker.mqttPort;

function client(opts = {}) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({ host: '127.0.0.1', port, reconnectPeriod: 0, protocolVersion: 5, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

function fmt(n, digits = 1) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

// --- store ---
const pub = await client();
const payload = Buffer.from('retained-payload-0123456789'); // 27 bytes
let t0 = performance.now();
let sent = 0;
for (let b = 0; b < B; b++) {
  for (let c = 0; c < C; c++) {
    for (let d = 0; d < D; d++) {
      pub.publish(`a/b${b}/c${c}/d${d}`, payload, { qos: 0, retain: true });
      if (++sent % 5000 === 0) await new Promise((r) => setImmediate(r));
    }
  }
}
while (broker.retained.size < TOTAL) await new Promise((r) => setTimeout(r, 5));
const storeMs = performance.now() - t0;
await pub.endAsync();
const mem = process.memoryUsage();
console.log(`RobustMQ retained benchmark (node ${process.version}, broker and clients in one process)`);
console.log(
  `stored ${TOTAL.toLocaleString('en-US')} retained messages (a/b0..b${B - 1}/c0..c${C - 1}/d0..d${D - 1}, ` +
    `${payload.length}-byte payloads) in ${fmt(storeMs, 0)} ms via MQTT.js QoS 0; heap ${fmt(mem.heapUsed / 2 ** 20)} MiB`,
);

// --- subscriptions ---
const filters = [
  ['a/b42/c7/d13', 'narrow: one topic'],
  ['a/b42/#', 'one branch'],
  ['a/+/c7/#', "'+' then '#'"],
  ['+/+/+/d7', 'leading wildcards'],
  ['#', 'everything'],
];

async function deliver(filter, expected) {
  const sub = await client();
  let got = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  sub.on('message', () => {
    if (++got === expected) done();
  });
  const start = performance.now();
  sub.subscribe(filter, { qos: 0 });
  const timeout = setTimeout(() => done(), DEFAULT_LIMITS ? 2000 : 60_000);
  await finished;
  clearTimeout(timeout);
  const ms = performance.now() - start;
  await sub.endAsync(true);
  return { ms, got };
}

function indexVsScan(filter) {
  let s = performance.now();
  const viaIndex = broker.retained.match(filter).length;
  const indexMs = performance.now() - s;
  s = performance.now();
  const viaScan = broker.retained.all().filter((m) => topicMatches(filter, m.topic)).length;
  const scanMs = performance.now() - s;
  if (viaIndex !== viaScan) throw new Error(`index and scan disagree on ${filter}: ${viaIndex} vs ${viaScan}`);
  return { count: viaIndex, indexMs, scanMs };
}

console.log(
  DEFAULT_LIMITS
    ? `limits: defaults (max_write_buffer ${config.limits.max_write_buffer}, max_queued_messages ${config.limits.max_queued_messages})`
    : `limits: max_write_buffer ${config.limits.max_write_buffer}, max_queued_messages ${config.limits.max_queued_messages} (so every retained message can be delivered)`,
);
console.log('');
console.log(
  'filter'.padEnd(14) +
    'kind'.padEnd(20) +
    'matches'.padStart(9) +
    'index ms'.padStart(10) +
    'scan ms'.padStart(9) +
    `  deliver ms (median of ${RUNS})`.padStart(28) +
    'msg/s'.padStart(12),
);
for (const [filter, kind] of filters) {
  const { count, indexMs, scanMs } = indexVsScan(filter);
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const { ms, got } = await deliver(filter, count);
    if (got !== count && !DEFAULT_LIMITS) throw new Error(`${filter}: received ${got} of ${count} retained messages`);
    if (got !== count)
      console.log(`  ${filter}: received ${got.toLocaleString('en-US')} of ${count.toLocaleString('en-US')}`);
    times.push(ms);
  }
  times.sort((x, y) => x - y);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    filter.padEnd(14) +
      kind.padEnd(20) +
      count.toLocaleString('en-US').padStart(9) +
      fmt(indexMs, 2).padStart(10) +
      fmt(scanMs, 1).padStart(9) +
      fmt(median, 1).padStart(28) +
      (count > 1 ? Math.round((count / median) * 1000).toLocaleString('en-US') : '-').padStart(12),
  );
}

await broker.stop();
