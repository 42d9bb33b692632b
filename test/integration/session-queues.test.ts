// Resume after a reconnect with a smaller Receive Maximum, and retained messages sent on SUBSCRIBE
// that exceed the live queue bound.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IPublishPacket } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId } from '../helpers/clients.js';
import { RawClient, connectPacket } from '../helpers/raw-client.js';

describe('session queues', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ limits: { max_inflight: 10, max_queued_messages: 10 } });
  });
  after(() => b.stop());

  it('re-sends at most the new Receive Maximum after a resume, the rest as acks free slots [MQTT-3.3.4-9] [MQTT-4.4.0-1]', async () => {
    const clientId = uniqueId('resume');
    const topic = `resume/${clientId}`;
    const props = { sessionExpiryInterval: 60 };
    const first = await RawClient.open(b.port, 5);
    first.write(connectPacket(clientId, 5, { properties: props }), 5);
    await first.next('connack');
    first.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] } as never, 5);
    await first.next('suback');
    const pub = await connect(b.port, { protocolVersion: 5 });
    for (let i = 0; i < 5; i++) await pub.client.publishAsync(topic, `m${i}`, { qos: 1 });
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await first.next<IPublishPacket>('publish')).messageId!);
    first.close(); // none acknowledged
    await delay(100);

    const second = await RawClient.open(b.port, 5);
    second.write(connectPacket(clientId, 5, { clean: false, properties: { ...props, receiveMaximum: 2 } }), 5);
    const connack = await second.next<{ cmd: 'connack'; sessionPresent: boolean }>('connack');
    assert.equal(connack.sessionPresent, true);
    const r1 = await second.next<IPublishPacket>('publish');
    const r2 = await second.next<IPublishPacket>('publish');
    assert.deepEqual([r1.messageId, r2.messageId], ids.slice(0, 2));
    assert.ok(r1.dup && r2.dup);
    await assert.rejects(second.next('publish', 300), /timed out/, 'a third PUBLISH exceeds Receive Maximum 2');
    second.write({ cmd: 'puback', messageId: r1.messageId } as never, 5);
    const r3 = await second.next<IPublishPacket>('publish');
    assert.equal(r3.messageId, ids[2], 'the next one keeps its original packet identifier');
    assert.ok(r3.dup);
    assert.equal(r3.payload.toString(), 'm2');
    second.close();
    await pub.end();
  });

  it('delivers every retained message on SUBSCRIBE even beyond max_queued_messages', async () => {
    const prefix = `many/${uniqueId()}`;
    const pub = await connect(b.port);
    for (let i = 0; i < 200; i++) await pub.client.publishAsync(`${prefix}/${i}`, `r${i}`, { qos: 1, retain: true });
    const dropped = b.broker.metrics.messagesDropped;
    const sub = await connect(b.port);
    await sub.client.subscribeAsync(`${prefix}/#`, { qos: 1 }); // window 10, live queue 10
    const got = await sub.waitFor(200);
    assert.equal(new Set(got.map((m) => m.topic)).size, 200);
    assert.ok(got.every((m) => m.packet.retain));
    assert.equal(b.broker.metrics.messagesDropped, dropped, 'nothing dropped');
    await pub.end();
    await sub.end();
  });
});

describe('limits.max_session_expiry_interval', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ limits: { max_session_expiry_interval: 1 } });
  });
  after(() => b.stop());

  it('also caps 3.1.1 CleanSession=0 sessions, which otherwise never expire', async () => {
    const clientId = uniqueId('v3cap');
    const first = await connect(b.port, { clientId, clean: false });
    await first.client.subscribeAsync('cap/x', { qos: 1 });
    await first.end();
    const back = await connect(b.port, { clientId, clean: false });
    assert.equal(b.broker.sessions.get(clientId)?.subscriptions.size, 1, 'resumed within the interval');
    await back.end();
    await delay(1600);
    assert.equal(b.broker.sessions.get(clientId), undefined, 'expired after the capped interval');
  });
});

describe('retained message expiry', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  it('an expired retained message leaves the store without any SUBSCRIBE [MQTT-3.3.2-5]', async () => {
    const pub = await connect(b.port, { protocolVersion: 5 });
    const topic = `exp/${uniqueId()}`;
    await pub.client.publishAsync(topic, 'short-lived', {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 1 },
    });
    assert.ok(b.broker.retained.get(topic));
    await delay(1700);
    assert.equal(b.broker.retained.get(topic), undefined);
    await pub.end();
  });
});
