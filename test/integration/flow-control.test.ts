// Flow control: the outbound inflight window (limits.max_inflight, and a v5 client's smaller Receive
// Maximum), released one by one by PUBACK / PUBCOMP; other packets not held back while the window is
// full; the queue behind a full window bounded by limits.max_queued_messages with drops counted; and
// the server's own Receive Maximum for inbound QoS 2 (DISCONNECT 0x93 when a v5 client exceeds it).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IDisconnectPacket, ISubackPacket, Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import type { BrokerConfigInput } from '../../src/lib/config.js';
import { connect, uniqueId, until } from '../helpers/clients.js';
import { rawConnect, rawSubscribe, nothing, publishes } from '../helpers/raw-client.js';

type Version = 4 | 5;
type QoS = 0 | 1 | 2;

/** Resolves when nothing of the given kind arrives within ms. */
/** Run fn against a broker of its own with the given configuration. */
async function withBroker(overrides: BrokerConfigInput, fn: (b: TestBroker) => Promise<void>): Promise<void> {
  const b = await startBroker(overrides);
  try {
    await fn(b);
  } finally {
    await b.stop();
  }
}

/** A raw subscriber that never acknowledges on its own, and an MQTT.js publisher. */
async function setup(b: TestBroker, v: Version, qos: QoS, extra: Record<string, unknown> = {}) {
  const topic = `flow/${uniqueId()}`;
  const { c: s } = await rawConnect(b.port, uniqueId('slow'), v, extra);
  await rawSubscribe(s, v, topic, qos);
  const pub = await connect(b.port, { protocolVersion: v });
  const publish = async (n: number, from = 0) => {
    for (let i = from; i < from + n; i++) await pub.client.publishAsync(topic, `m${i}`, { qos });
  };
  return { s, pub, publish, topic };
}

describe('flow control', () => {
  for (const v of [4, 5] as const) {
    it(`v${v} QoS 1: at most limits.max_inflight unacknowledged PUBLISHes; each PUBACK releases one more`, async () => {
      await withBroker({ limits: { max_inflight: 3 } }, async (b) => {
        const { s, pub, publish } = await setup(b, v, 1);
        await publish(10);
        const first = await publishes(s, 3);
        assert.deepEqual(
          first.map((p) => p.payload.toString()),
          ['m0', 'm1', 'm2'],
        );
        await nothing(s, 'publish');

        s.write({ cmd: 'puback', messageId: first[0]!.messageId } as Packet, v);
        const [fourth] = await publishes(s, 1);
        assert.equal(fourth!.payload.toString(), 'm3');
        await nothing(s, 'publish', 200);

        // acknowledge everything as it comes: the rest arrives, in order
        const rest: string[] = [];
        for (const p of [...first.slice(1), fourth!]) s.write({ cmd: 'puback', messageId: p.messageId } as Packet, v);
        for (let i = 0; i < 6; i++) {
          const [p] = await publishes(s, 1);
          rest.push(p!.payload.toString());
          s.write({ cmd: 'puback', messageId: p!.messageId } as Packet, v);
        }
        assert.deepEqual(rest, ['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
        s.close();
        await pub.end();
      });
    });
  }

  it('QoS 2: a slot is held until PUBCOMP, not released by PUBREC [MQTT-4.3.3-5]', async () => {
    await withBroker({ limits: { max_inflight: 2 } }, async (b) => {
      const { s, pub, publish } = await setup(b, 5, 2);
      await publish(4);
      const first = await publishes(s, 2);
      await nothing(s, 'publish');
      s.write({ cmd: 'pubrec', messageId: first[0]!.messageId } as Packet, 5);
      await s.next('pubrel');
      await nothing(s, 'publish', 200);
      s.write({ cmd: 'pubcomp', messageId: first[0]!.messageId } as Packet, 5);
      const [third] = await publishes(s, 1);
      assert.equal(third!.payload.toString(), 'm2');
      await nothing(s, 'publish', 200);
      s.close();
      await pub.end();
    });
  });

  it('v5: a PUBREC with an error reason code releases its slot (MQTT 5.0 §4.9)', async () => {
    await withBroker({ limits: { max_inflight: 1 } }, async (b) => {
      const { s, pub, publish } = await setup(b, 5, 2);
      await publish(2);
      const [first] = await publishes(s, 1);
      await nothing(s, 'publish', 200);
      s.write({ cmd: 'pubrec', messageId: first!.messageId, reasonCode: 0x83 } as Packet, 5);
      const [second] = await publishes(s, 1);
      assert.equal(second!.payload.toString(), 'm1');
      s.close();
      await pub.end();
    });
  });

  it('v5: a client Receive Maximum smaller than max_inflight is honoured [MQTT-3.3.4-9] [MQTT-4.9.0-2]', async () => {
    await withBroker({ limits: { max_inflight: 10 } }, async (b) => {
      const { s, pub, publish } = await setup(b, 5, 1, { properties: { receiveMaximum: 2 } });
      await publish(6);
      const first = await publishes(s, 2);
      await nothing(s, 'publish');
      s.write({ cmd: 'puback', messageId: first[1]!.messageId } as Packet, 5);
      const [third] = await publishes(s, 1);
      assert.equal(third!.payload.toString(), 'm2');
      await nothing(s, 'publish', 200);
      s.close();
      await pub.end();
    });
  });

  it('v5: a client Receive Maximum larger than max_inflight does not lift the server limit', async () => {
    await withBroker({ limits: { max_inflight: 2 } }, async (b) => {
      const { s, pub, publish } = await setup(b, 5, 1, { properties: { receiveMaximum: 100 } });
      await publish(5);
      await publishes(s, 2);
      await nothing(s, 'publish');
      s.close();
      await pub.end();
    });
  });

  it('other packets are not held back while the window is full [MQTT-4.9.0-3] [MQTT-3.3.4-10]; QoS 0 needs no slot', async () => {
    await withBroker({ limits: { max_inflight: 1 } }, async (b) => {
      const { s, pub, publish, topic } = await setup(b, 5, 1);
      await publish(1);
      const [first] = await publishes(s, 1);
      await nothing(s, 'publish', 200);
      s.write({ cmd: 'pingreq' } as Packet, 5);
      await s.next('pingresp');
      s.write({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: `${topic}/zero`, qos: 0 }] } as Packet, 5);
      assert.deepEqual((await s.next<ISubackPacket>('suback')).granted, [0]);
      s.write({ cmd: 'unsubscribe', messageId: 3, unsubscriptions: [`${topic}/other`] } as Packet, 5);
      await s.next('unsuback');
      // a QoS 0 message needs no slot; with nothing queued ahead of it, it goes out now (the broker
      // MAY send QoS 0 at zero quota [MQTT-4.9.0-2]; queued behind QoS 1 it would keep their order)
      await pub.client.publishAsync(`${topic}/zero`, 'fire and forget', { qos: 0 });
      const [zero] = await publishes(s, 1);
      assert.equal(zero!.payload.toString(), 'fire and forget');
      assert.equal(zero!.qos, 0);
      await publish(1, 1);
      await nothing(s, 'publish', 200);
      s.write({ cmd: 'puback', messageId: first!.messageId } as Packet, 5);
      const [next] = await publishes(s, 1);
      assert.equal(next!.payload.toString(), 'm1');
      s.close();
      await pub.end();
    });
  });

  it('behind a full window, an online session queues at most limits.max_queued_messages; drops are counted', async () => {
    await withBroker({ limits: { max_inflight: 2, max_queued_messages: 3 } }, async (b) => {
      const { s, pub, publish } = await setup(b, 4, 1);
      await publish(10);
      const first = await publishes(s, 2);
      assert.deepEqual(
        first.map((p) => p.payload.toString()),
        ['m0', 'm1'],
      );
      await until(() => b.broker.metrics.dropped.queue_full === 5, 2000, 'the drops to be counted');
      assert.equal(b.broker.metrics.limits.max_queued_messages, 5);
      const got: string[] = [];
      for (const p of first) s.write({ cmd: 'puback', messageId: p.messageId } as Packet, 4);
      for (let i = 0; i < 3; i++) {
        const [p] = await publishes(s, 1);
        got.push(p!.payload.toString());
        s.write({ cmd: 'puback', messageId: p!.messageId } as Packet, 4);
      }
      assert.deepEqual(got, ['m7', 'm8', 'm9'], 'the oldest queued were dropped (session.queue_drop = oldest)');
      await nothing(s, 'publish', 200);
      s.close();
      await pub.end();
    });
  });

  describe('server Receive Maximum (inbound)', () => {
    it('CONNACK carries limits.receive_maximum; one QoS 2 PUBLISH too many is DISCONNECT 0x93 (client rule [MQTT-3.3.4-7], MQTT 5.0 §3.2.2.3.3)', async () => {
      await withBroker({ limits: { receive_maximum: 3 } }, async (b) => {
        const topic = `flow/in/${uniqueId()}`;
        const { c: p, connack } = await rawConnect(b.port, uniqueId('fast'), 5);
        assert.equal(connack.properties?.receiveMaximum, 3);
        for (let id = 1; id <= 3; id++) {
          p.write({ cmd: 'publish', topic, payload: 'x', qos: 2, messageId: id } as Packet, 5);
          await p.next('pubrec');
        }
        // a re-sent PUBLISH of a pending id is not a new one and does not count [MQTT-4.3.3-10]
        p.write({ cmd: 'publish', topic, payload: 'x', qos: 2, messageId: 2, dup: true } as Packet, 5);
        await p.next('pubrec');
        p.write({ cmd: 'publish', topic, payload: 'x', qos: 2, messageId: 4 } as Packet, 5);
        const d = await p.next<IDisconnectPacket>('disconnect');
        assert.equal(d.reasonCode, 0x93);
        assert.ok(await p.waitClosed());
        assert.equal(b.broker.metrics.limits.receive_maximum, 1);
      });
    });

    it('PUBREL -> PUBCOMP frees a slot: receive_maximum pending at once, any number over time', async () => {
      await withBroker({ limits: { receive_maximum: 2 } }, async (b) => {
        const topic = `flow/in/${uniqueId()}`;
        const { c: p } = await rawConnect(b.port, uniqueId('steady'), 5);
        p.write({ cmd: 'publish', topic, payload: 'x', qos: 2, messageId: 1 } as Packet, 5);
        await p.next('pubrec');
        for (let id = 2; id <= 20; id++) {
          p.write({ cmd: 'publish', topic, payload: 'x', qos: 2, messageId: id } as Packet, 5);
          await p.next('pubrec');
          p.write({ cmd: 'pubrel', messageId: id } as Packet, 5);
          await p.next('pubcomp');
        }
        // QoS 1 is acknowledged at once, so it never fills the window
        for (let id = 100; id < 110; id++) {
          p.write({ cmd: 'publish', topic, payload: 'x', qos: 1, messageId: id } as Packet, 5);
        }
        for (let i = 0; i < 10; i++) await p.next('puback');
        assert.equal(p.closed, false);
        p.close();
      });
    });
  });
});
