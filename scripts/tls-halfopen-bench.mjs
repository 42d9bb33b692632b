#!/usr/bin/env node
// Half-open TLS handshakes against the broker (a benchmark, not a test): how long a plain TCP client
// takes to connect, subscribe, publish and receive its message while N TCP connections (default
// 10,000) sit on a TLS listener without finishing their handshake (half send nothing, half the first
// 11 bytes of a ClientHello), and how long a full TLS client takes then. It
//   1. makes a throwaway CA and server certificate with openssl;
//   2. starts the built broker as its own process (`bin/run.js server start --storage memory`, a TLS
//      listener [listeners.tls], free loopback ports, tls_handshake_timeout_ms from --timeout-ms);
//   3. times R rounds (default 20) of the plain client's connect + subscribe + publish + receive,
//      and of a TLS client's connect + publish, before any half-open connection (baseline);
//   4. opens the N half-open connections (500 at a time), records the broker's RSS, and times the
//      same rounds again while they are all pending;
//   5. waits until the broker has closed every one of them (the handshake timeout) and says when.
// p50 / max in milliseconds to stdout. This process and the broker each stay under 20,000 open files.
// Usage: npm run build && node scripts/tls-halfopen-bench.mjs [--half-open 10000] [--rounds 20]
//          [--timeout-ms 60000]  (above the time it takes to open them all, so that all are pending)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';

const { values: args } = parseArgs({
  options: {
    'half-open': { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '20' },
    'timeout-ms': { type: 'string', default: '60000' },
  },
});
const HALF_OPEN = Number(args['half-open']);
const ROUNDS = Number(args.rounds);
const TIMEOUT_MS = Number(args['timeout-ms']);
const RUN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const PARTIAL_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
const log = (line) => process.stderr.write(`${line}\n`);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function makePki(dir) {
  const ssl = (...a) => execFileSync('openssl', a, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bench-ca');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2');
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    'server.pem',
    '-extfile',
    'san.ext',
  );
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

function connected(opts) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({ host: '127.0.0.1', reconnectPeriod: 0, connectTimeout: 30_000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** One plain-TCP round: connect, subscribe, publish QoS 1 to itself, receive; ms. */
async function tcpRound(port, i) {
  const t0 = performance.now();
  const c = await connected({ port, clientId: `bench-tcp-${i}` });
  await c.subscribeAsync(`bench/${i}`, { qos: 1 });
  const got = new Promise((resolve) => c.once('message', resolve));
  await c.publishAsync(`bench/${i}`, 'x', { qos: 1 });
  await got;
  const ms = performance.now() - t0;
  await c.endAsync();
  return ms;
}

/** One TLS round: connect (full handshake) and publish QoS 1; ms. */
async function tlsRound(port, ca, i) {
  const t0 = performance.now();
  const c = await connected({ port, protocol: 'mqtts', ca, servername: 'localhost', clientId: `bench-tls-${i}` });
  await c.publishAsync('bench/tls', 'x', { qos: 1 });
  const ms = performance.now() - t0;
  await c.endAsync();
  return ms;
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)].toFixed(1)} / ${s[s.length - 1].toFixed(1)}`;
}

async function rounds(mqttPort, tlsPort, ca) {
  const tcp = [];
  const tls = [];
  for (let i = 0; i < ROUNDS; i++) {
    tcp.push(await tcpRound(mqttPort, i));
    tls.push(await tlsRound(tlsPort, ca, i));
  }
  return { tcp: stats(tcp), tls: stats(tls) };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'rmq-tls-bench-'));
  let broker;
  const sockets = [];
  try {
    makePki(dir);
    const ca = readFileSync(join(dir, 'ca.pem'));
    const [mqttPort, tlsPort, adminPort, httpPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const file = join(dir, 'broker.toml');
    writeFileSync(
      file,
      `[listeners.tls]\nkind = "tls"\nport = ${tlsPort}\ntls_cert = "${join(dir, 'server.pem')}"\ntls_key = "${join(dir, 'server.key')}"\ntls_handshake_timeout_ms = ${TIMEOUT_MS}\n`,
    );
    broker = spawn(
      process.execPath,
      [
        RUN,
        'server',
        'start',
        '--config',
        file,
        '--storage',
        'memory',
        '--data-dir',
        dir,
        '--mqtt-port',
        String(mqttPort),
        '--admin-port',
        String(adminPort),
        '--http-port',
        String(httpPort),
        '--log-level',
        'info',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve, reject) => {
      let out = '';
      broker.stdout.on('data', (d) => {
        out += d;
        if (out.includes('RobustMQ broker started')) resolve();
      });
      broker.once('exit', (code) => reject(new Error(`broker exited ${code}`)));
    });
    broker.stdout.resume();
    log(`broker pid ${broker.pid}: mqtt ${mqttPort}, tls ${tlsPort}; RSS ${rssMb(broker.pid)} MB`);

    // one round first, not counted: the first connection of each kind warms up both processes
    await tcpRound(mqttPort, 'warm');
    await tlsRound(tlsPort, ca, 'warm');
    const before = await rounds(mqttPort, tlsPort, ca);
    log(`baseline done`);

    let closed = 0;
    let firstClose = 0;
    let lastClose = 0;
    const t0 = performance.now();
    for (let i = 0; i < HALF_OPEN; i += 500) {
      await Promise.all(
        Array.from(
          { length: Math.min(500, HALF_OPEN - i) },
          (_, j) =>
            new Promise((resolve, reject) => {
              const s = net.connect(tlsPort, '127.0.0.1', () => {
                if ((i + j) % 2 === 1) s.write(PARTIAL_HELLO);
                resolve();
              });
              s.on('error', reject);
              s.on('close', () => {
                closed++;
                const at = performance.now() - t0;
                if (!firstClose) firstClose = at;
                lastClose = at;
              });
              sockets.push(s);
            }),
        ),
      );
    }
    for (const s of sockets) s.on('error', () => {});
    const openMs = performance.now() - t0;
    const rssHalfOpen = rssMb(broker.pid);
    log(`${HALF_OPEN} half-open in ${openMs.toFixed(0)} ms; RSS ${rssHalfOpen} MB; closed so far ${closed}`);
    const during = await rounds(mqttPort, tlsPort, ca);
    const duringEndMs = performance.now() - t0;
    const closedDuring = closed;

    const deadline = performance.now() + TIMEOUT_MS + 30_000;
    while (closed < HALF_OPEN && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    console.log(
      `half-open TLS handshakes: ${HALF_OPEN} (half silent, half a partial ClientHello), tls_handshake_timeout_ms ${TIMEOUT_MS}, ${ROUNDS} rounds`,
    );
    console.log(`opening them took ${openMs.toFixed(0)} ms; broker RSS ${rssHalfOpen} MB with them open`);
    console.log('| phase | TCP connect+sub+pub+receive p50 / max ms | TLS connect+pub p50 / max ms |');
    console.log('| --- | --- | --- |');
    console.log(`| no half-open handshakes | ${before.tcp} | ${before.tls} |`);
    console.log(`| ${HALF_OPEN} half-open handshakes | ${during.tcp} | ${during.tls} |`);
    console.log(
      `rounds under load ended ${duringEndMs.toFixed(0)} ms after the first half-open connection; ${closedDuring} of them closed by then`,
    );
    console.log(
      `closed by the broker: ${closed} of ${HALF_OPEN}, the first at ${(firstClose / 1000).toFixed(1)} s, the last at ${(lastClose / 1000).toFixed(1)} s after the first was opened`,
    );
  } finally {
    for (const s of sockets) s.destroy();
    if (broker && broker.exitCode === null) {
      broker.kill('SIGTERM');
      await new Promise((r) => broker.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
