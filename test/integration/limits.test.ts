// Configured limits, each hit observable by the client and counted in broker.metrics.limits:
// limits.max_connections, max_subscriptions_per_client (SUBACK 0x97 / 0x80), max_topic_levels
// (SUBACK 0x8F / 0x80, PUBACK/PUBREC 0x90), max_qos (granted QoS capped) and max_packet_size (v3).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IConnackPacket, IPubackPacket, IPubrecPacket, ISubackPacket, IUnsubackPacket, Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until, type TestClient } from '../helpers/clients.js';
import { connectPacket, RawClient } from '../helpers/raw-client.js';

async function raw(port: number, version: 4 | 5): Promise<RawClient> {
  const c = await RawClient.open(port, version);
  c.write(connectPacket(uniqueId('lim'), version), version);
  const connack = await c.next<IConnackPacket>('connack');
  assert.equal(connack.returnCode ?? connack.reasonCode ?? 0, 0);
  return c;
}

let mid = 1;
async function subscribe(c: RawClient, version: 4 | 5, topics: string[], qos: 0 | 1 | 2 = 0): Promise<number[]> {
  c.write(
    { cmd: 'subscribe', messageId: mid++, subscriptions: topics.map((topic) => ({ topic, qos })) } as Packet,
    version,
  );
  return (await c.next<ISubackPacket>('suback')).granted as number[];
}

describe('limits.max_connections', () => {
  let b: TestBroker;
  const open: TestClient[] = [];
  before(async () => {
    b = await startBroker({ limits: { max_connections: 3 } });
  });
  after(async () => {
    for (const c of open) await c.end(true);
    await b.stop();
  });

  it('closes sockets beyond the limit, counts them, and serves the others', async () => {
    for (let i = 0; i < 3; i++) open.push(await connect(b.port, { protocolVersion: 5 }));
    const before = b.broker.metrics.limits.max_connections ?? 0;
    const extra = await RawClient.open(b.port, 4);
    assert.ok(await extra.waitClosed(2000), 'the fourth socket is closed');
    const extra2 = await RawClient.open(b.port, 4);
    extra2.write(connectPacket(uniqueId(), 4), 4);
    assert.ok(await extra2.waitClosed(2000), 'and so is a fifth that sends CONNECT');
    assert.equal(extra2.packets.length, 0, 'no CONNACK for it');
    assert.equal(b.broker.metrics.limits.max_connections, before + 2);
    // the three connected clients still work
    const t = `limits/${uniqueId()}`;
    await open[0]!.client.subscribeAsync(t, { qos: 1 });
    await open[1]!.client.publishAsync(t, 'still here', { qos: 1 });
    await open[0]!.waitFor(1);
    // room again once one leaves
    await open.pop()!.end();
    await until(() => b.broker.connections.size === 2, 2000, 'the broker to see the client go');
    open.push(await connect(b.port));
  });
});

describe('limits.max_subscriptions_per_client', () => {
  let b: TestBroker;
  const raws: RawClient[] = [];
  before(async () => {
    b = await startBroker({ limits: { max_subscriptions_per_client: 2 } });
  });
  after(async () => {
    for (const r of raws) r.close();
    await b.stop();
  });

  for (const version of [5, 4] as const) {
    const no = version === 5 ? 0x97 : 0x80;
    it(`refuses subscriptions past the limit with ${version === 5 ? '0x97 (Quota exceeded)' : '0x80'} (v${version})`, async () => {
      const c = await raw(b.port, version);
      raws.push(c);
      const base = `limits/${uniqueId()}`;
      const before = b.broker.metrics.limits.max_subscriptions_per_client ?? 0;
      assert.deepEqual(await subscribe(c, version, [`${base}/a`, `${base}/b`, `${base}/c`]), [0, 0, no]);
      // replacing an existing subscription is not a new one [MQTT-3.8.4-3]
      assert.deepEqual(await subscribe(c, version, [`${base}/a`], 1), [1]);
      assert.deepEqual(await subscribe(c, version, [`$share/g/${base}/d`]), [no], 'shared ones count too');
      assert.equal(b.broker.metrics.limits.max_subscriptions_per_client, before + 2);
      // the refused filter gets nothing
      const pub = await connect(b.port);
      await pub.client.publishAsync(`${base}/c`, 'refused', { qos: 1 });
      await pub.client.publishAsync(`${base}/b`, 'granted', { qos: 1 });
      const m = await c.next('publish');
      assert.equal((m as { payload: Buffer }).payload.toString(), 'granted');
      await pub.end();
      // after an UNSUBSCRIBE there is room again
      c.write({ cmd: 'unsubscribe', messageId: mid++, unsubscriptions: [`${base}/a`] } as Packet, version);
      await c.next<IUnsubackPacket>('unsuback');
      assert.deepEqual(await subscribe(c, version, [`${base}/c`]), [0]);
    });
  }
});

describe('limits.max_topic_levels', () => {
  let b: TestBroker;
  const raws: RawClient[] = [];
  before(async () => {
    b = await startBroker({ limits: { max_topic_levels: 3 } });
  });
  after(async () => {
    for (const r of raws) r.close();
    await b.stop();
  });

  for (const version of [5, 4] as const) {
    const no = version === 5 ? 0x8f : 0x80;
    it(`refuses filters with too many levels with ${version === 5 ? '0x8F' : '0x80'} (v${version})`, async () => {
      const c = await raw(b.port, version);
      raws.push(c);
      const before = b.broker.metrics.limits.max_topic_levels ?? 0;
      const granted = await subscribe(c, version, [
        'a/b/c',
        'a/b/c/d',
        'a/+/+/#',
        '$share/g/a/b/c',
        '$share/g/a/b/c/d',
        '/a/b',
        '/a/b/',
      ]);
      assert.deepEqual(granted, [0, no, no, 0, no, 0, no]);
      assert.equal(b.broker.metrics.limits.max_topic_levels, before + 4, 'each refusal is counted');
      assert.ok(!c.closed);
    });
  }

  it('a QoS 1 PUBLISH to a topic with too many levels gets PUBACK 0x90 (v5) and is not delivered', async () => {
    const sub = await connect(b.port, { protocolVersion: 5 });
    await sub.client.subscribeAsync('#', { qos: 1 });
    const pub = await raw(b.port, 5);
    raws.push(pub);
    const before = b.broker.metrics.limits.max_topic_levels ?? 0;
    const deep = `${uniqueId()}/b/c/d`;
    pub.write(
      {
        cmd: 'publish',
        topic: deep,
        payload: Buffer.from('deep'),
        qos: 1,
        messageId: 7,
        retain: false,
        dup: false,
      } as Packet,
      5,
    );
    const ack = await pub.next<IPubackPacket>('puback');
    assert.equal(ack.messageId, 7);
    assert.equal(ack.reasonCode, 0x90);
    pub.write(
      {
        cmd: 'publish',
        topic: deep,
        payload: Buffer.from('deep2'),
        qos: 2,
        messageId: 8,
        retain: false,
        dup: false,
      } as Packet,
      5,
    );
    const rec = await pub.next<IPubrecPacket>('pubrec');
    assert.equal(rec.reasonCode, 0x90);
    assert.equal(b.broker.metrics.limits.max_topic_levels, before + 2);
    assert.ok(!pub.closed, 'a policy limit, not a protocol error: the connection stays');
    const ok = `${uniqueId()}/b/c`;
    pub.write(
      {
        cmd: 'publish',
        topic: ok,
        payload: Buffer.from('fits'),
        qos: 1,
        messageId: 9,
        retain: false,
        dup: false,
      } as Packet,
      5,
    );
    await pub.next('puback');
    const [m] = await sub.waitFor(1);
    await delay(100);
    assert.equal(sub.messages.length, 1);
    assert.equal(m!.topic, ok);
    await sub.end();
  });

  it('an MQTT 3.1.1 QoS 1 PUBLISH to a too-deep topic is acknowledged and not delivered', async () => {
    const sub = await connect(b.port);
    await sub.client.subscribeAsync('#', { qos: 1 });
    const pub = await raw(b.port, 4);
    raws.push(pub);
    pub.write(
      {
        cmd: 'publish',
        topic: 'a/b/c/d',
        payload: Buffer.from('deep'),
        qos: 1,
        messageId: 3,
        retain: false,
        dup: false,
      } as Packet,
      4,
    );
    const ack = await pub.next<IPubackPacket>('puback');
    assert.equal(ack.messageId, 3);
    pub.write(
      {
        cmd: 'publish',
        topic: 'a/b/c',
        payload: Buffer.from('fits'),
        qos: 1,
        messageId: 4,
        retain: false,
        dup: false,
      } as Packet,
      4,
    );
    const [m] = await sub.waitFor(1);
    await delay(100);
    assert.equal(sub.messages.length, 1);
    assert.equal(m!.payload.toString(), 'fits');
    await sub.end();
  });
});

describe('limits.max_qos = 1', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ limits: { max_qos: 1 } });
  });
  after(() => b.stop());

  for (const version of [5, 4] as const) {
    it(`SUBSCRIBE with QoS 2 is accepted and granted QoS 1 (v${version}) [MQTT-3.2.2-10]`, async () => {
      const c = await raw(b.port, version);
      const t = `maxqos/${uniqueId()}`;
      assert.deepEqual(await subscribe(c, version, [t], 2), [1]);
      assert.deepEqual(await subscribe(c, version, [`${t}/0`], 0), [0]);
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(t, 'x', { qos: 1 });
      const m = await c.next('publish');
      assert.equal((m as { qos: number }).qos, 1);
      await pub.end();
      c.close();
    });
  }
});

describe('limits.max_packet_size with MQTT 3.1.1', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ limits: { max_packet_size: 256 } });
  });
  after(() => b.stop());

  it('an oversize packet closes a 3.1.1 connection (no DISCONNECT in v3) and is counted', async () => {
    const sub = await connect(b.port);
    const t = `mps/${uniqueId()}`;
    await sub.client.subscribeAsync(t, { qos: 0 });
    const c = await raw(b.port, 4);
    const before = b.broker.metrics.limits.max_packet_size ?? 0;
    c.write(
      { cmd: 'publish', topic: t, payload: Buffer.alloc(300, 1), qos: 0, retain: false, dup: false } as Packet,
      4,
    );
    assert.ok(await c.waitClosed(2000));
    assert.deepEqual(c.packets, [], 'nothing is sent to a v3 client before closing');
    assert.equal(b.broker.metrics.limits.max_packet_size, before + 1);
    // one just below the limit goes through
    const c2 = await raw(b.port, 4);
    c2.write(
      { cmd: 'publish', topic: t, payload: Buffer.alloc(200, 1), qos: 0, retain: false, dup: false } as Packet,
      4,
    );
    const [m] = await sub.waitFor(1);
    assert.equal(m!.payload.length, 200);
    c2.close();
    await sub.end();
  });
});
