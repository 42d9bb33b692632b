// Half-open TLS handshakes do not starve the broker: 2,000 TCP connections to a TLS listener that
// send nothing or a partial ClientHello, against a `server start` subprocess (both ends of each
// socket would be in one process with an in-process broker), while a plain TCP client connects,
// subscribes, publishes and receives, and a real TLS client gets through; then
// tls_handshake_timeout_ms closes every one of them. scripts/tls-halfopen-bench.mjs is the 10,000 case.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/child.js';
import { startCliBroker, type CliBroker } from '../helpers/cli.js';
import { connect, type TestClient } from '../helpers/clients.js';
import { makePki, type Pki } from '../helpers/tls-pki.js';

const HALF_OPEN = 2000;
const HANDSHAKE_TIMEOUT_MS = 6000;
/** The first bytes of a TLS record carrying a ClientHello of 512 bytes, and no more of it. */
const PARTIAL_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

/** Opens `n` sockets to port, 200 at a time; every other one sends a partial ClientHello. */
async function halfOpen(port: number, n: number, closed: { count: number; at: number[] }): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, n - i) }, (_, j) => {
        return new Promise<void>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => {
            if ((i + j) % 2 === 1) s.write(PARTIAL_HELLO);
            resolve();
          });
          s.on('error', reject);
          s.on('close', () => {
            closed.count++;
            closed.at.push(Date.now());
          });
          sockets.push(s);
        });
      }),
    );
  }
  for (const s of sockets) s.on('error', () => {});
  return sockets;
}

describe('half-open TLS handshakes (server start subprocess)', () => {
  let pki: Pki;
  let dir: string;
  let b: CliBroker;
  let tlsPort: number;
  let sockets: net.Socket[] = [];
  const clients: TestClient[] = [];

  before(async () => {
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), 'rmq-halfopen-'));
    tlsPort = await freePort();
    const file = join(dir, 'broker.toml');
    writeFileSync(
      file,
      [
        '[listeners.tls]',
        'kind = "tls"',
        `port = ${tlsPort}`,
        `tls_cert = "${pki.path('server.pem')}"`,
        `tls_key = "${pki.path('server.key')}"`,
        `tls_handshake_timeout_ms = ${HANDSHAKE_TIMEOUT_MS}`,
        '',
      ].join('\n'),
    );
    b = await startCliBroker(['--config', file]);
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    for (const c of clients) await c.end(true);
    await b?.stop();
    for (const d of [pki?.dir, dir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it(`serves TCP and TLS clients while ${HALF_OPEN} handshakes hang, then closes those at tls_handshake_timeout_ms`, async () => {
    const closed = { count: 0, at: [] as number[] };
    const opened = Date.now();
    sockets = await halfOpen(tlsPort, HALF_OPEN, closed);
    assert.equal(closed.count, 0, 'no half-open handshake closed before its timeout');

    // a plain TCP client: connect, subscribe, publish, receive
    const sub = await connect(b.mqttPort, { protocolVersion: 5 });
    clients.push(sub);
    await sub.client.subscribeAsync('halfopen/t', { qos: 1 });
    const pub = await connect(b.mqttPort);
    clients.push(pub);
    await pub.client.publishAsync('halfopen/t', 'still served', { qos: 1 });
    assert.equal((await sub.waitFor(1))[0]!.payload.toString(), 'still served');
    // and a TLS client that does finish its handshake gets in on the same listener
    const secure = await connect(tlsPort, { protocol: 'mqtts', ca: pki.read('ca.pem'), servername: 'localhost' });
    clients.push(secure);
    await secure.client.publishAsync('halfopen/t', 'over tls', { qos: 1 });
    assert.equal((await sub.waitFor(2))[1]!.payload.toString(), 'over tls');
    assert.ok(Date.now() - opened < HANDSHAKE_TIMEOUT_MS, 'the clients were served while the handshakes were pending');
    assert.equal(closed.count, 0);

    // the broker closes every half-open handshake once tls_handshake_timeout_ms has passed
    const deadline = Date.now() + HANDSHAKE_TIMEOUT_MS + 15_000;
    while (closed.count < HALF_OPEN && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.equal(closed.count, HALF_OPEN, 'every half-open handshake was closed by the broker');
    assert.ok(Math.min(...closed.at) - opened >= HANDSHAKE_TIMEOUT_MS - 1000, 'not closed before the timeout');
    // the finished TLS connection is not one of them
    assert.ok(secure.client.connected);
  });
});
