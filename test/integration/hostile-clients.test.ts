// Clients that try to make the broker use unbounded memory or lose messages: repeated filters in
// one SUBSCRIBE, a client that never reads, a shared-group member that leaves, zero-valued limits,
// and in-flight messages a resumed client can no longer receive.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IConnackPacket, IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until } from '../helpers/clients.js';
import { RawClient, connectPacket, rawConnect } from '../helpers/raw-client.js';

describe('hostile and unlucky clients', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ limits: { max_write_buffer: 16 * 1024, max_inflight: 1 } });
  });
  after(() => b.stop());

  it('a filter repeated 1000 times in one SUBSCRIBE is one subscription and gets retained messages once [MQTT-3.8.4-3]', async () => {
    const topic = `rep/${uniqueId()}`;
    const pub = await connect(b.port);
    await pub.client.publishAsync(topic, 'kept', { retain: true, qos: 1 });
    const before = b.broker.router.size;
    const { c } = await rawConnect(b.port, uniqueId(), 4);
    const subscriptions = Array.from({ length: 1000 }, () => ({ topic, qos: 0 as const }));
    c.write({ cmd: 'subscribe', messageId: 1, subscriptions } as Packet, 4);
    const suback = await c.next<ISubackPacket>('suback');
    assert.equal(suback.granted.length, 1000);
    assert.equal(b.broker.router.size, before + 1);
    await c.next('publish');
    await delay(200);
    assert.equal(c.packets.filter((p) => p.cmd === 'publish').length, 0, 'the retained message came once');
    c.close();
    await pub.end();
  });

  it('stops reading a client that never reads its answers, and loses none of them', async () => {
    const c = await RawClient.open(b.port, 4);
    c.write(connectPacket(uniqueId(), 4));
    await c.next('connack');
    c.socket.pause(); // never read
    const n = 2_000_000;
    c.socket.write(Buffer.alloc(n * 2, Buffer.from([0xc0, 0x00]))); // PINGREQ x n
    await delay(1500);
    const conn = [...b.broker.connections].find((x) => x.info.remotePort === c.socket.localPort)!;
    assert.ok(conn, 'the connection is still open');
    assert.ok(
      conn.socket.writableLength < 1024 * 1024,
      `the broker buffered ${conn.socket.writableLength} bytes for a client that does not read`,
    );
    c.socket.resume();
    await until(() => c.packets.length >= n, 20_000, `${n} PINGRESPs`);
    assert.ok(c.packets.every((p) => p.cmd === 'pingresp'));
    c.close();
  });

  it('a leaving shared member with expiry 0 hands its unacknowledged QoS 1 messages to an offline persistent member', async () => {
    const group = `g${uniqueId()}`;
    const topic = `shared/${uniqueId()}`;
    const filter = `$share/${group}/${topic}`;
    // B: persistent, subscribes, goes offline
    const bId = uniqueId('B');
    const b1 = await connect(b.port, { clientId: bId, clean: false });
    await b1.client.subscribeAsync(filter, { qos: 1 });
    await b1.end();
    // A: online, expiry 0, receives and never acknowledges
    const { c: a } = await rawConnect(b.port, uniqueId('A'), 5);
    a.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 1 }] } as Packet, 5);
    await a.next('suback');
    const pub = await connect(b.port);
    await pub.client.publishAsync(topic, 'must-not-be-lost', { qos: 1 }); // acknowledged to the publisher
    await a.next<IPublishPacket>('publish');
    a.close();
    await delay(100);
    const b2 = await connect(b.port, { clientId: bId, clean: false });
    const [m] = await b2.waitFor(1);
    assert.equal(m!.payload.toString(), 'must-not-be-lost');
    await b2.end();
    await pub.end();
  });

  it('a CONNECT with Receive Maximum 0 is a Protocol Error: CONNACK 0x82 (5.0 3.1.2.11.3)', async () => {
    const c = await RawClient.open(b.port, 5);
    c.write(connectPacket(uniqueId(), 5, { properties: { receiveMaximum: 0 } }), 5);
    const connack = await c.next<IConnackPacket>('connack');
    assert.equal(connack.reasonCode, 0x82);
    assert.equal(await c.waitClosed(), true);
  });

  it('an in-flight message too large for the resumed connection is dropped and frees its slot [MQTT-3.1.2-25]', async () => {
    const clientId = uniqueId('small');
    const topic = `big/${clientId}`;
    const props = { sessionExpiryInterval: 60 };
    const { c: first } = await rawConnect(b.port, clientId, 5, { properties: props });
    first.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] } as Packet, 5);
    await first.next('suback');
    const pub = await connect(b.port);
    await pub.client.publishAsync(topic, Buffer.alloc(1000, 1), { qos: 1 });
    await first.next('publish'); // in flight, window (max_inflight 1) now full
    first.close();
    await delay(100);
    const { c: second } = await rawConnect(b.port, clientId, 5, {
      clean: false,
      properties: { ...props, maximumPacketSize: 200 },
    });
    await pub.client.publishAsync(topic, 'small', { qos: 1 });
    const p = await second.next<IPublishPacket>('publish');
    assert.equal(p.payload.toString(), 'small');
    second.close();
    await pub.end();
  });
});
