// QoS 1 and QoS 2 flows, packet by packet: unacknowledged outbound PUBLISHes re-sent with DUP and
// their original packet ids on session resume, PUBREL (not PUBLISH) re-sent after PUBREC, inbound
// QoS 2 exactly once (duplicate PUBLISH before PUBREL, PUBREL -> PUBCOMP, unknown PUBREL), packet
// ids unique and non-zero while in use (also across the 65535 wrap), delivered QoS = min(published,
// granted), overlapping subscriptions delivered once at the highest QoS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IPubcompPacket, IPublishPacket, IPubrecPacket, IPubrelPacket, ISubackPacket, Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until } from '../helpers/clients.js';
import { RawClient, rawConnect, rawSubscribe, nothing, publishes } from '../helpers/raw-client.js';

type Version = 4 | 5;

/** CONNECT fields for a session that outlives its connection (3.1.1 CleanSession=0, 5.0 expiry). */
function persistent(v: Version): Record<string, unknown> {
  return v === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };
}

/** Close a raw client's socket and wait until the broker has detached it from its session. */
async function drop(b: TestBroker, c: RawClient, clientId: string): Promise<void> {
  c.close();
  await until(() => !b.broker.sessions.get(clientId)?.connected, 3000, 'the broker to see the close');
}

/** Resolves when nothing of the given kind arrives within ms. */
describe('QoS 1 and QoS 2 flows', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  describe('outbound re-delivery on session resume', () => {
    for (const v of [4, 5] as const) {
      it(`v${v} QoS 1: unacknowledged PUBLISHes are re-sent with DUP=1, the same packet ids, in order [MQTT-4.4.0-1] [MQTT-3.3.1-1]`, async () => {
        const id = uniqueId(`resend1-${v}`);
        const topic = `qos/${id}`;
        const { c: s } = await rawConnect(b.port, id, v, persistent(v));
        await rawSubscribe(s, v, topic, 1);
        const pub = await connect(b.port, { protocolVersion: v });
        for (let i = 0; i < 3; i++) await pub.client.publishAsync(topic, `m${i}`, { qos: 1 });
        const first = await publishes(s, 3);
        assert.ok(
          first.every((p) => p.dup === false && p.qos === 1),
          '[MQTT-4.3.2-2] first sent with DUP=0',
        );
        await drop(b, s, id);

        const { c: back, connack } = await rawConnect(b.port, id, v, persistent(v));
        assert.equal(connack.sessionPresent, true);
        const again = await publishes(back, 3);
        assert.deepEqual(
          again.map((p) => [p.messageId, p.payload.toString(), p.dup, p.qos]),
          first.map((p) => [p.messageId, p.payload.toString(), true, 1]),
        );
        for (const p of again) back.write({ cmd: 'puback', messageId: p.messageId } as Packet, v);
        await until(() => b.broker.sessions.get(id)?.inflight.size === 0, 2000, 'the PUBACKs to be processed');
        await drop(b, back, id);

        // acknowledged messages are not sent again [MQTT-4.4.0-1]: only re-send on resume, only unacked
        const { c: third } = await rawConnect(b.port, id, v, persistent(v));
        await nothing(third, 'publish');
        third.close();
        await pub.end();
      });

      it(`v${v} QoS 2: PUBLISH re-sent with DUP before PUBREC; after PUBREC, PUBREL is re-sent and PUBLISH is not [MQTT-4.4.0-1] [MQTT-4.3.3-6]`, async () => {
        const id = uniqueId(`resend2-${v}`);
        const topic = `qos/${id}`;
        const { c: s } = await rawConnect(b.port, id, v, persistent(v));
        await rawSubscribe(s, v, topic, 2);
        const pub = await connect(b.port, { protocolVersion: v });
        await pub.client.publishAsync(topic, 'exactly once', { qos: 2 });
        const [first] = await publishes(s, 1);
        assert.equal(first!.dup, false);
        assert.equal(first!.qos, 2);
        await drop(b, s, id);

        // no PUBREC yet: the PUBLISH comes again
        const { c: s2 } = await rawConnect(b.port, id, v, persistent(v));
        const [again] = await publishes(s2, 1);
        assert.equal(again!.dup, true);
        assert.equal(again!.messageId, first!.messageId);
        assert.equal(again!.payload.toString(), 'exactly once');
        s2.write({ cmd: 'pubrec', messageId: again!.messageId } as Packet, v);
        const rel = await s2.next<IPubrelPacket>('pubrel');
        assert.equal(rel.messageId, first!.messageId, '[MQTT-4.3.3-4] PUBREL has the PUBLISH packet id');
        await drop(b, s2, id); // no PUBCOMP

        // PUBREC was received: the broker re-sends PUBREL only
        const { c: s3 } = await rawConnect(b.port, id, v, persistent(v));
        const rel2 = await s3.next<IPubrelPacket>('pubrel');
        assert.equal(rel2.messageId, first!.messageId);
        await nothing(s3, 'publish');
        s3.write({ cmd: 'pubcomp', messageId: rel2.messageId } as Packet, v);
        await until(() => b.broker.sessions.get(id)?.inflight.size === 0, 2000, 'the PUBCOMP to be processed');
        await drop(b, s3, id);

        // complete: nothing more on the next resume
        const { c: s4 } = await rawConnect(b.port, id, v, persistent(v));
        await nothing(s4, 'pubrel', 200);
        assert.equal(s4.packets.filter((p) => p.cmd === 'publish').length, 0);
        s4.close();
        await pub.end();
      });
    }

    it('v5: PUBREC with a reason code >= 0x80 ends the flow; that PUBLISH is not re-sent [MQTT-4.4.0-2]', async () => {
      const id = uniqueId('pubrec-err');
      const topic = `qos/${id}`;
      const { c: s } = await rawConnect(b.port, id, 5, persistent(5));
      await rawSubscribe(s, 5, topic, 2);
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(topic, 'refused', { qos: 2 });
      const [p] = await publishes(s, 1);
      s.write({ cmd: 'pubrec', messageId: p!.messageId, reasonCode: 0x80 } as Packet, 5);
      await nothing(s, 'pubrel', 200);
      await drop(b, s, id);
      const { c: back } = await rawConnect(b.port, id, 5, persistent(5));
      await nothing(back, 'publish');
      assert.equal(back.packets.length, 0);
      back.close();
      await pub.end();
    });
  });

  describe('inbound QoS 2 exactly once', () => {
    for (const v of [4, 5] as const) {
      it(`v${v}: a PUBLISH repeated (DUP) before PUBREL gets PUBREC again and is delivered once [MQTT-4.3.3-10]; PUBREL -> PUBCOMP [MQTT-4.3.3-11]`, async () => {
        const topic = `qos2in/${uniqueId()}`;
        const sub = await connect(b.port, { protocolVersion: v });
        await sub.client.subscribeAsync(topic, { qos: 2 });
        const { c: p } = await rawConnect(b.port, uniqueId('pub2'), v);
        const publish = (dup: boolean, payload: string): Packet =>
          ({ cmd: 'publish', topic, payload, qos: 2, messageId: 7, dup, retain: false }) as Packet;

        p.write(publish(false, 'once'), v);
        assert.equal((await p.next<IPubrecPacket>('pubrec')).messageId, 7, '[MQTT-4.3.3-8]');
        p.write(publish(true, 'once'), v);
        assert.equal((await p.next<IPubrecPacket>('pubrec')).messageId, 7);
        p.write({ cmd: 'pubrel', messageId: 7 } as Packet, v);
        const comp = await p.next<IPubcompPacket>('pubcomp');
        assert.equal(comp.messageId, 7);
        if (v === 5) assert.equal(comp.reasonCode ?? 0, 0);

        await sub.waitFor(1);
        await delay(200);
        assert.deepEqual(
          sub.messages.map((m) => m.payload.toString()),
          ['once'],
        );

        // [MQTT-4.3.3-12] after PUBCOMP the same packet id is a new message
        p.write(publish(false, 'second'), v);
        await p.next('pubrec');
        p.write({ cmd: 'pubrel', messageId: 7 } as Packet, v);
        await p.next('pubcomp');
        await sub.waitFor(2);
        assert.deepEqual(
          sub.messages.map((m) => m.payload.toString()),
          ['once', 'second'],
        );
        p.close();
        await sub.end();
      });
    }

    it('v5: PUBREL for an unknown packet id is answered with PUBCOMP 0x92 (Packet Identifier not found)', async () => {
      const { c: p } = await rawConnect(b.port, uniqueId('rel'), 5);
      p.write({ cmd: 'pubrel', messageId: 4242 } as Packet, 5);
      const comp = await p.next<IPubcompPacket>('pubcomp');
      assert.equal(comp.messageId, 4242);
      assert.equal(comp.reasonCode, 0x92);
      assert.equal(p.closed, false, 'not a protocol error');
      p.close();
    });

    it('v3.1.1: PUBREL for an unknown packet id is still answered with PUBCOMP [MQTT-4.3.3-2]', async () => {
      const { c: p } = await rawConnect(b.port, uniqueId('rel4'), 4);
      p.write({ cmd: 'pubrel', messageId: 4242 } as Packet, 4);
      assert.equal((await p.next<IPubcompPacket>('pubcomp')).messageId, 4242);
      p.close();
    });

    it('the PUBREL-pending packet ids belong to the session: a re-sent PUBLISH after reconnecting is not delivered twice', async () => {
      const topic = `qos2in/${uniqueId()}`;
      const sub = await connect(b.port, { protocolVersion: 5 });
      await sub.client.subscribeAsync(topic, { qos: 2 });
      const id = uniqueId('pub2s');
      const publish = (dup: boolean): Packet =>
        ({ cmd: 'publish', topic, payload: 'once', qos: 2, messageId: 9, dup, retain: false }) as Packet;
      const { c: p } = await rawConnect(b.port, id, 5, persistent(5));
      p.write(publish(false), 5);
      await p.next('pubrec');
      await drop(b, p, id);

      const { c: p2, connack } = await rawConnect(b.port, id, 5, persistent(5));
      assert.equal(connack.sessionPresent, true);
      p2.write(publish(true), 5); // [MQTT-4.4.0-1] the client re-sends with the original id
      await p2.next('pubrec');
      p2.write({ cmd: 'pubrel', messageId: 9 } as Packet, 5);
      assert.equal((await p2.next<IPubcompPacket>('pubcomp')).reasonCode ?? 0, 0, 'the id was still known');
      await sub.waitFor(1);
      await delay(200);
      assert.equal(sub.messages.length, 1);
      p2.close();
      await sub.end();
    });
  });

  describe('packet identifiers', () => {
    it('many QoS 1 messages in flight at once have unique, non-zero packet ids [MQTT-2.2.1-4]', async () => {
      const nb = await startBroker({ limits: { max_inflight: 500, max_queued_messages: 1000 } });
      try {
        const id = uniqueId('ids');
        const topic = `ids/${id}`;
        const { c: s } = await rawConnect(nb.port, id, 5);
        await rawSubscribe(s, 5, topic, 1);
        const pub = await connect(nb.port, { protocolVersion: 5 });
        await Promise.all(Array.from({ length: 300 }, (_, i) => pub.client.publishAsync(topic, `m${i}`, { qos: 1 })));
        const got = await publishes(s, 300);
        const ids = got.map((p) => p.messageId!);
        assert.ok(
          ids.every((n) => Number.isInteger(n) && n > 0 && n <= 65535),
          'non-zero 16-bit ids',
        );
        assert.equal(new Set(ids).size, 300, 'no id used twice while all are unacknowledged');
        s.close();
        await pub.end();
      } finally {
        await nb.stop();
      }
    });

    it('after the packet id counter wraps past 65535, ids still in flight are skipped [MQTT-2.2.1-4]', async () => {
      const nb = await startBroker({ limits: { max_inflight: 1000, max_queued_messages: 100_000 } });
      try {
        const id = uniqueId('wrap');
        const topic = `ids/${id}`;
        const { c: s } = await rawConnect(nb.port, id, 4);
        await rawSubscribe(s, 4, topic, 1);
        const { c: p } = await rawConnect(nb.port, uniqueId('wrap-pub'), 4);
        const send = (from: number, n: number) => {
          for (let i = from; i < from + n; i++) {
            p.write({ cmd: 'publish', topic, payload: `${i}`, qos: 1, messageId: (i % 65535) + 1 } as Packet, 4);
          }
        };
        // five messages left unacknowledged: their ids stay in use for the whole test
        send(0, 5);
        const held = new Set((await publishes(s, 5)).map((x) => x.messageId!));
        assert.equal(held.size, 5);

        const total = 65_600;
        let sent = 5;
        let received = 0;
        let reused = 0;
        let zero = 0;
        while (received < total) {
          if (sent < total + 5 && sent - 5 - received < 5000) {
            const n = Math.min(5000, total + 5 - sent);
            send(sent, n);
            sent += n;
          }
          const x = await s.next<IPublishPacket>('publish', 5000);
          received++;
          if (!x.messageId) zero++;
          if (held.has(x.messageId!)) reused++;
          s.write({ cmd: 'puback', messageId: x.messageId } as Packet, 4);
          p.packets.length = 0; // the publisher's PUBACKs are of no interest here
        }
        assert.equal(zero, 0);
        assert.equal(reused, 0, 'an id in flight was handed out again');
        const session = nb.broker.sessions.get(id)!;
        await until(() => session.inflight.size === 5, 3000, 'the last PUBACKs to be processed');
        assert.deepEqual(
          [...session.inflight.keys()].sort((a, c) => a - c),
          [...held].sort((a, c) => a - c),
          'only the five held messages are still in flight',
        );
        s.close();
        p.close();
      } finally {
        await nb.stop();
      }
    });
  });

  describe('delivered QoS', () => {
    for (const v of [4, 5] as const) {
      it(`v${v}: every (published, granted) pair is delivered at min(published, granted) [MQTT-3.8.4-8]`, async () => {
        const base = `minqos/${uniqueId()}`;
        const sub = await connect(b.port, { protocolVersion: v });
        for (const g of [0, 1, 2] as const) await sub.client.subscribeAsync(`${base}/${g}`, { qos: g });
        const pub = await connect(b.port, { protocolVersion: v });
        for (const p of [0, 1, 2] as const) {
          for (const g of [0, 1, 2] as const) await pub.client.publishAsync(`${base}/${g}`, `${p}${g}`, { qos: p });
        }
        await sub.waitFor(9);
        for (const m of sub.messages) {
          const [p, g] = [...m.payload.toString()].map(Number) as [number, number];
          assert.equal(m.packet.qos, Math.min(p, g), `published ${p}, granted ${g}`);
        }
        await pub.end();
        await sub.end();
      });

      it(`v${v}: overlapping subscriptions give one delivery at the highest matching QoS [MQTT-3.3.4-2]`, async () => {
        const base = `overlap/${uniqueId()}`;
        const { c: s } = await rawConnect(b.port, uniqueId('ov'), v);
        s.write(
          {
            cmd: 'subscribe',
            messageId: 1,
            subscriptions: [
              { topic: `${base}/+/x`, qos: 0 },
              { topic: `${base}/a/x`, qos: 1 },
              { topic: `${base}/#`, qos: 2 },
            ],
          } as Packet,
          v,
        );
        assert.deepEqual((await s.next<ISubackPacket>('suback')).granted, [0, 1, 2]);
        const pub = await connect(b.port, { protocolVersion: v });
        await pub.client.publishAsync(`${base}/a/x`, 'q2', { qos: 2 });
        const [first] = await publishes(s, 1);
        assert.equal(first!.qos, 2);
        s.write({ cmd: 'pubrec', messageId: first!.messageId } as Packet, v);
        await nothing(s, 'publish', 200);

        await pub.client.publishAsync(`${base}/a/x`, 'q1', { qos: 1 });
        const [second] = await publishes(s, 1);
        assert.equal(second!.payload.toString(), 'q1');
        assert.equal(second!.qos, 1, 'min(1, max granted 2)');
        await nothing(s, 'publish', 200);
        s.close();
        await pub.end();
      });
    }
  });
});
