// Hostile clients around authentication: wrong passwords in a loop (each costs the broker a scrypt
// verification) while others connect, slow-loris CONNECTs that trickle one byte a second, and an
// auth provider that never answers. Each must leave other clients working; the last two are closed
// by mqtt.connect_timeout_ms. (connect.test.ts "connect timeout" covers a socket that sends nothing
// and one that sends part of a CONNECT at once.)
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import mqttPacket, { type IConnackPacket } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until } from '../helpers/clients.js';
import { RawClient, connectPacket } from '../helpers/raw-client.js';
import { IGNORE, type AuthProvider } from '../../src/server/security/auth-types.js';

const TIMEOUT_MS = 1500;

/** A client that connects (timed) and gets its own message back (timed). */
async function legitimateRoundTrip(port: number, opts: { username?: string; password?: string } = {}) {
  const t0 = Date.now();
  const c = await connect(port, { ...opts, connectTimeout: 5000 });
  const connectMs = Date.now() - t0;
  const topic = `legit/${uniqueId()}`;
  await c.client.subscribeAsync(topic, { qos: 1 });
  const t1 = Date.now();
  await c.client.publishAsync(topic, 'hello', { qos: 1 });
  await c.waitFor(1, 5000);
  const rttMs = Date.now() - t1;
  await c.end();
  return { connectMs, rttMs };
}

/** Opens a socket from 127.0.0.2 and CONNECTs as alice with a wrong password; resolves the CONNACK return code. */
function wrongPassword(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    s.on('error', () => resolve(undefined));
    s.once('connect', () =>
      s.write(
        mqttPacket.generate(
          connectPacket(uniqueId('attacker'), 4, { username: 'alice', password: Buffer.from('nope') }),
        ),
      ),
    );
    s.once('data', (d) => {
      resolve(d[0] === 0x20 ? d[3] : undefined);
      s.destroy();
    });
    s.once('close', () => resolve(undefined));
  });
}

describe('wrong passwords in a loop', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
    await b.broker.admin.createUser({ username: 'alice', password: 'wonderland' });
  });
  after(() => b.stop());

  it('10 attackers reconnecting with wrong passwords do not stop anonymous and password clients from connecting and exchanging messages', async () => {
    let stop = false;
    let refused = 0;
    const attackers = Array.from({ length: 10 }, async () => {
      while (!stop) if ((await wrongPassword(b.port)) === 4) refused++; // 4: bad user name or password
    });
    await until(() => refused >= 5, 10_000, 'the flood to start');
    const anonymous = await legitimateRoundTrip(b.port);
    const withPassword = await legitimateRoundTrip(b.port, { username: 'alice', password: 'wonderland' });
    stop = true;
    await Promise.all(attackers);
    // generous bounds: this asserts that they work under the flood, not how fast (scripts/auth-flood-bench.mjs)
    assert.ok(anonymous.connectMs < 5000 && anonymous.rttMs < 5000, JSON.stringify(anonymous));
    assert.ok(withPassword.connectMs < 5000 && withPassword.rttMs < 5000, JSON.stringify(withPassword));
    assert.ok(refused >= 5, `the attackers were refused ${refused} times`);
    assert.ok(b.broker.authChain.failures >= refused);
  });
});

describe('slow loris: CONNECTs trickled one byte a second are closed by mqtt.connect_timeout_ms', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ mqtt: { connect_timeout_ms: TIMEOUT_MS } });
  });
  after(() => b.stop());

  /** Sends `bytes` one a second until the broker closes the socket; resolves ms until the close and bytes sent. */
  async function trickle(bytes: Buffer): Promise<{ closedAfter: number; sent: number; answered: number }> {
    const c = await RawClient.open(b.port, 4);
    const t0 = Date.now();
    let sent = 0;
    while (!c.closed && sent < bytes.length && Date.now() - t0 < 10_000) {
      c.socket.write(bytes.subarray(sent, sent + 1));
      sent++;
      await Promise.race([delay(1000), c.waitClosed(1000)]);
    }
    return { closedAfter: Date.now() - t0, sent, answered: c.packets.length };
  }

  it('a whole CONNECT sent one byte a second is closed at the timeout, before it completes; a connected client is not disturbed', async () => {
    const ok = await connect(b.port, { keepalive: 0 });
    const full = mqttPacket.generate(connectPacket(uniqueId(), 4));
    const r = await trickle(full);
    assert.ok(r.sent < full.length, `sent ${r.sent} of ${full.length} bytes: closed before the CONNECT completed`);
    assert.ok(
      r.closedAfter >= TIMEOUT_MS - 100 && r.closedAfter < TIMEOUT_MS + 2000,
      `closed after ${r.closedAfter} ms`,
    );
    assert.equal(r.answered, 0, 'no CONNACK');
    assert.equal(ok.client.connected, true);
    await ok.client.publishAsync('t', 'still here', { qos: 1 });
    await ok.end();
  });

  it('a CONNECT whose remaining length announces ~1 MB (under max_packet_size), trickled, is closed at the timeout', async () => {
    // 0x10 CONNECT, remaining length 1,000,000 (varint c0 84 3d), then the start of its variable header
    const head = Buffer.from([0x10, 0xc0, 0x84, 0x3d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c]);
    const hits = b.broker.metrics.limits.connect_timeout ?? 0;
    const r = await trickle(head);
    assert.ok(r.sent < head.length);
    assert.ok(
      r.closedAfter >= TIMEOUT_MS - 100 && r.closedAfter < TIMEOUT_MS + 2000,
      `closed after ${r.closedAfter} ms`,
    );
    assert.ok((b.broker.metrics.limits.connect_timeout ?? 0) > hits, 'counted as a connect timeout');
    await until(() => b.broker.connections.size === 0, 3000, 'nothing left of it');
  });
});

describe('an auth provider that never answers', () => {
  let b: TestBroker;
  let asked = 0;
  before(async () => {
    b = await startBroker({ mqtt: { connect_timeout_ms: TIMEOUT_MS } });
    // test-only provider, first in the chain: hangs for username "hang", passes everyone else on
    const hanging: AuthProvider = {
      name: 'hanging',
      authenticate: (req) => {
        if (req.username !== 'hang') return IGNORE;
        asked++;
        return new Promise(() => {});
      },
    };
    b.broker.authChain.providers.unshift(hanging);
  });
  after(() => b.stop());

  it('20 clients it never answers are closed by the connect timeout without a CONNACK; others connect and exchange messages meanwhile', async () => {
    const hung = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const c = await RawClient.open(b.port, 5);
        c.write(connectPacket(uniqueId('hung'), 5, { username: 'hang', password: Buffer.from('x') }), 5);
        return c;
      }),
    );
    const t0 = Date.now();
    await until(() => asked === 20, 3000, 'the provider to be asked 20 times');
    assert.equal(
      [...b.broker.connections].filter((c) => c.state === 'authenticating').length,
      20,
      'all 20 wait for the provider',
    );
    const other = await legitimateRoundTrip(b.port);
    assert.ok(other.connectMs < 1000, `another client connected in ${other.connectMs} ms`);
    const closed = await Promise.all(hung.map((c) => c.waitClosed(TIMEOUT_MS + 3000)));
    assert.ok(
      closed.every((x) => x),
      'every hung client was closed',
    );
    assert.ok(Date.now() - t0 >= TIMEOUT_MS - 200, 'not before the timeout');
    assert.ok(
      hung.every((c) => !c.packets.some((p) => p.cmd === 'connack')),
      'no CONNACK: the provider never answered',
    );
    await until(() => b.broker.connections.size === 0, 3000, 'the hung connections to be forgotten');
    // a late answer for a closed client must not open a session: admit() checks the state
    const ack = await (async () => {
      const c = await RawClient.open(b.port, 5);
      c.write(connectPacket(uniqueId(), 5), 5);
      const a = await c.next<IConnackPacket>('connack');
      c.close();
      return a;
    })();
    assert.equal(ack.reasonCode, 0);
  });
});
