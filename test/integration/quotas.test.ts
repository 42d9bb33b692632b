// The [quota] section: connections per IP address and per second on a listener (refused on
// accept), and per-client messages and bytes per second (delayed by not reading the client, never
// dropped), with the disconnect of a client kept over its quota for abuse_disconnect_s.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import mqttPacket, { type IDisconnectPacket, type Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until } from '../helpers/clients.js';
import { RawClient, connectPacket, rawConnect } from '../helpers/raw-client.js';

/** Opens a socket from `localAddress` (any 127.x.y.z is this machine), CONNECTs; true when CONNACK 0 came. */
async function connectFrom(port: number, localAddress: string): Promise<{ ok: boolean; socket: net.Socket }> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => {});
  const ok = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => socket.write(mqttPacket.generate(connectPacket(uniqueId(), 4))));
    socket.once('data', (d) => resolve(d[0] === 0x20 && d[3] === 0));
    socket.once('close', () => resolve(false));
  });
  return { ok, socket };
}

function publishBytes(topic: string, payload: Buffer | string, v = 4): Buffer {
  return mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false } as Packet, {
    protocolVersion: v,
  });
}

/** The broker side of a raw client. */
function serverSide(b: TestBroker, c: RawClient) {
  const conn = [...b.broker.connections].find((x) => x.info.remotePort === c.socket.localPort);
  assert.ok(conn, 'the broker has the connection');
  return conn;
}

describe('quota.max_connections_per_ip', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ quota: { max_connections_per_ip: 2 } });
  });
  after(() => b.stop());

  it('a third connection from one address is closed before its CONNECT is read; other addresses are not counted; a freed slot is reused', async () => {
    const { c: c1 } = await rawConnect(b.port, uniqueId(), 4);
    const { c: c2 } = await rawConnect(b.port, uniqueId(), 5);
    const hits = b.broker.metrics.limits.max_connections_per_ip ?? 0;
    const third = await RawClient.open(b.port, 4);
    third.write(connectPacket(uniqueId(), 4));
    assert.equal(await third.waitClosed(3000), true, 'the third socket was closed');
    assert.equal(third.packets.length, 0, 'no CONNACK: nothing of it was read');
    assert.equal(b.broker.metrics.limits.max_connections_per_ip, hits + 1);
    // another address of this machine has its own count
    const other = await connectFrom(b.port, '127.0.0.2');
    assert.equal(other.ok, true, '127.0.0.2 connects');
    assert.equal(b.broker.connectionQuota!.openFrom('127.0.0.1'), 2);
    c1.close();
    await until(() => b.broker.connectionQuota!.openFrom('127.0.0.1') === 1, 3000, 'the slot to be freed');
    const { c: again } = await rawConnect(b.port, uniqueId(), 4);
    again.close();
    c2.close();
    other.socket.destroy();
    await until(() => b.broker.connections.size === 0, 3000, 'every connection gone');
    assert.equal(b.broker.connectionQuota!.openFrom('127.0.0.1'), 0, 'no count left behind');
  });
});

describe('quota.connection_rate', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ quota: { connection_rate: 5, connection_burst: 5 } });
  });
  after(() => b.stop());

  it('of 15 connections opened at once about the burst (5) get in, the rest are closed on accept; a second later more get in', async () => {
    const results = await Promise.all(Array.from({ length: 15 }, () => connectFrom(b.port, '127.0.0.1')));
    const accepted = results.filter((r) => r.ok).length;
    assert.ok(accepted >= 5 && accepted <= 7, `${accepted} of 15 accepted`);
    assert.ok((b.broker.metrics.limits.connection_rate ?? 0) >= 15 - accepted);
    for (const r of results) r.socket.destroy();
    await delay(1100);
    const later = await connectFrom(b.port, '127.0.0.1');
    assert.equal(later.ok, true, 'the bucket refilled');
    later.socket.destroy();
  });
});

describe('quota.messages_per_second and bytes_per_second: the excess is delayed, not dropped', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ quota: { messages_per_second: 100, messages_burst: 10, bytes_per_second: 20_000 } });
  });
  after(() => b.stop());

  async function pump(c: RawClient, topic: string, count: number, perWrite: number, payload: (i: number) => Buffer) {
    for (let i = 0; i < count; i += perWrite) {
      const n = Math.min(perWrite, count - i);
      c.socket.write(Buffer.concat(Array.from({ length: n }, (_, k) => publishBytes(topic, payload(i + k)))));
      await delay(5);
    }
  }

  it('300 PUBLISHes sent at about 1000/s arrive all, in order, at about 100/s', async () => {
    const topic = `q/m/${uniqueId()}`;
    const sub = await connect(b.port);
    await sub.client.subscribeAsync(topic, { qos: 0 });
    const { c } = await rawConnect(b.port, uniqueId(), 4);
    const dropped = b.broker.metrics.messagesDropped;
    const t0 = Date.now();
    await pump(c, topic, 300, 5, (i) => Buffer.from(`m${i}`));
    const sentIn = Date.now() - t0;
    const got = await sub.waitFor(300, 15_000);
    const took = Date.now() - t0;
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      Array.from({ length: 300 }, (_, i) => `m${i}`),
    );
    assert.ok(took >= 2000, `300 messages at 100/s with a burst of 10 took only ${took} ms (sent in ${sentIn} ms)`);
    assert.equal(b.broker.metrics.messagesDropped, dropped, 'nothing dropped');
    assert.ok((b.broker.metrics.limits.messages_per_second ?? 0) > 0, 'the quota was hit');
    assert.equal(c.closed, false, 'the publisher is still connected');
    c.close();
    await sub.end();
  });

  it('60 KB sent at once from a client with 20 KB/s arrive all, in order, delayed by the quota (1-2 s)', async () => {
    const topic = `q/b/${uniqueId()}`;
    const sub = await connect(b.port);
    await sub.client.subscribeAsync(topic, { qos: 0 });
    const { c } = await rawConnect(b.port, uniqueId(), 4);
    const t0 = Date.now();
    // 60 messages of 1000 bytes: 12 per second of the message quota's 100 is not what holds them
    await pump(c, topic, 60, 1, (i) => Buffer.alloc(1000, i));
    // a chunk is charged after it is handled, and reading resumes once its debt is paid; one read (up
    // to 64 KB) may then take all the rest, the marker sent after them included. So the bound is one
    // read's worth below (61 KB - 20 KB burst) / 20 KB/s = 2 s; without the quota all of it takes the
    // pump's 0.3 s
    c.socket.write(publishBytes(topic, Buffer.from([255])));
    const got = await sub.waitFor(61, 15_000);
    const took = Date.now() - t0;
    assert.deepEqual(
      got.map((m) => m.payload[0]),
      [...Array.from({ length: 60 }, (_, i) => i), 255],
    );
    assert.ok(took >= 1000, `60 KB at 20 KB/s, then a marker, took only ${took} ms`);
    assert.ok((b.broker.metrics.limits.bytes_per_second ?? 0) > 0, 'the quota was hit');
    c.close();
    await sub.end();
  });

  it('a quota pause and the broker-wide ingress hold do not resume each other', async () => {
    const topic = `q/h/${uniqueId()}`;
    const sub = await connect(b.port);
    await sub.client.subscribeAsync(topic, { qos: 0 });
    const { c } = await rawConnect(b.port, uniqueId(), 4);
    const conn = serverSide(b, c);
    // 50 at once: 40 over the burst, 0.4 s of debt at 100/s
    c.socket.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => publishBytes(topic, `a${i}`))));
    await until(() => conn.quota!.paused, 2000, 'the quota to pause reading');
    b.broker.holdIngress(true);
    b.broker.holdIngress(false); // released while the quota still holds: must not resume
    assert.equal(conn.socket.isPaused(), true, 'the quota still holds reading');
    b.broker.holdIngress(true);
    await until(() => !conn.quota!.paused, 3000, 'the quota debt to be paid');
    assert.equal(conn.socket.isPaused(), true, 'the ingress hold still holds reading after the quota resumed');
    await sub.waitFor(50, 3000);
    c.socket.write(publishBytes(topic, 'after'));
    await delay(300);
    assert.equal(sub.messages.length, 50, 'nothing read while held');
    b.broker.holdIngress(false);
    const got = await sub.waitFor(51, 3000);
    assert.equal(got[50]!.payload.toString(), 'after');
    c.close();
    await sub.end();
  });
});

describe('quota.abuse_disconnect_s', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ quota: { messages_per_second: 20, bytes_per_second: 5000, abuse_disconnect_s: 1 } });
  });
  after(() => b.stop());

  /** Writes `make()` every `ms` until the socket closes or `limitMs` passes. */
  async function flood(c: RawClient, make: () => Buffer, ms: number, limitMs: number): Promise<number> {
    const t0 = Date.now();
    while (!c.closed && Date.now() - t0 < limitMs) {
      c.socket.write(make());
      await delay(ms);
    }
    return Date.now() - t0;
  }

  it('5.0: a client that keeps publishing above messages_per_second gets DISCONNECT 0x96 Message rate too high', async () => {
    const topic = `abuse/${uniqueId()}`;
    const { c } = await rawConnect(b.port, uniqueId(), 5);
    const took = await flood(c, () => publishBytes(topic, 'x', 5), 5, 8000);
    const d = await c.next<IDisconnectPacket>('disconnect', 1000);
    assert.equal(d.reasonCode, 0x96);
    assert.ok(took >= 900, `disconnected after ${took} ms, before abuse_disconnect_s`);
    assert.ok((b.broker.metrics.limits.quota_abuse_messages ?? 0) >= 1);
  });

  it('5.0: a client that keeps sending above bytes_per_second (but few messages) gets DISCONNECT 0x97 Quota exceeded', async () => {
    const topic = `abuse/${uniqueId()}`;
    const { c } = await rawConnect(b.port, uniqueId(), 5);
    await flood(c, () => publishBytes(topic, Buffer.alloc(3000), 5), 100, 8000);
    const d = await c.next<IDisconnectPacket>('disconnect', 1000);
    assert.equal(d.reasonCode, 0x97);
    assert.ok((b.broker.metrics.limits.quota_abuse_bytes ?? 0) >= 1);
  });

  it('3.1.1: the abusing client is closed without a packet', async () => {
    const topic = `abuse/${uniqueId()}`;
    const { c } = await rawConnect(b.port, uniqueId(), 4);
    await flood(c, () => publishBytes(topic, 'x'), 5, 8000);
    assert.equal(await c.waitClosed(1000), true);
    assert.equal(c.packets.length, 0);
  });

  it('a client over its quota once, then within it, stays connected', async () => {
    const topic = `burst/${uniqueId()}`;
    const { c } = await rawConnect(b.port, uniqueId(), 5);
    c.socket.write(Buffer.concat(Array.from({ length: 60 }, () => publishBytes(topic, 'x', 5)))); // 2 s of debt
    await delay(2500);
    await flood(c, () => publishBytes(topic, 'y', 5), 100, 2000); // 10/s, half the quota
    assert.equal(c.closed, false, 'still connected');
    c.close();
  });
});
