// Sessions: clean session (3.1.1) and clean start + session expiry (5.0) with the Session Present
// flag, session end on expiry and on DISCONNECT, offline persistent sessions that queue messages
// (bounded, with drops counted), and session takeover by a second connection with the same client id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IConnackPacket, IDisconnectPacket, IPublishPacket, Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until, type TestClient } from '../helpers/clients.js';
import { RawClient, rawConnect, rawSubscribe, nothing } from '../helpers/raw-client.js';

type Version = 4 | 5;

/** CONNECT fields for a session that outlives its connection (3.1.1 CleanSession=0, 5.0 expiry). */
function persistent(v: Version, expiry = 60): Record<string, unknown> {
  return v === 5 ? { clean: false, properties: { sessionExpiryInterval: expiry } } : { clean: false };
}

/** Close a raw client's socket and wait until the broker has detached it from its session. */
async function drop(b: TestBroker, c: RawClient, clientId: string): Promise<void> {
  c.close();
  await until(() => !b.broker.sessions.get(clientId)?.connected, 3000, 'the broker to see the close');
}

/** The Session Present flag of the CONNACK an MQTT.js client got. */
function sessionPresent(t: TestClient): boolean {
  return (t.client as unknown as { connackPacket: IConnackPacket }).connackPacket.sessionPresent;
}

/** Resolves when nothing of the given kind arrives within ms. */
describe('sessions', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  describe('MQTT 3.1.1 clean session', () => {
    it('CleanSession=0: Session Present 0 the first time [MQTT-3.2.2-3], 1 when the session exists [MQTT-3.2.2-2]', async () => {
      const id = uniqueId('cs0');
      const topic = `sess/${id}`;
      const first = await connect(b.port, { clientId: id, clean: false });
      assert.equal(sessionPresent(first), false);
      await first.client.subscribeAsync(topic, { qos: 1 });
      await first.end();

      // [MQTT-3.1.2-4] the session, with its subscription, is resumed
      const second = await connect(b.port, { clientId: id, clean: false });
      assert.equal(sessionPresent(second), true);
      const pub = await connect(b.port);
      await pub.client.publishAsync(topic, 'kept', { qos: 1 });
      const [m] = await second.waitFor(1);
      assert.equal(m!.payload.toString(), 'kept');
      await pub.end();
      await second.end();
    });

    it('CleanSession=1: Session Present 0 [MQTT-3.2.2-1]; the old session is discarded and the new one ends with the connection [MQTT-3.1.2-6]', async () => {
      const id = uniqueId('cs1');
      const topic = `sess/${id}`;
      const { c: a } = await rawConnect(b.port, id, 4, { clean: false });
      await rawSubscribe(a, 4, topic, 1);
      await drop(b, a, id);
      assert.ok(b.broker.sessions.get(id), 'the CleanSession=0 session outlives its connection');

      const { c: clean, connack } = await rawConnect(b.port, id, 4, { clean: true });
      assert.equal(connack.sessionPresent, false);
      assert.equal(b.broker.sessions.get(id)?.subscriptions.size, 0, 'old subscriptions are gone');
      await drop(b, clean, id);
      assert.equal(b.broker.sessions.get(id), undefined, 'a clean session ends with its connection');

      // nothing of either session is left: no session present, no subscription
      const { c: again, connack: ack2 } = await rawConnect(b.port, id, 4, { clean: false });
      assert.equal(ack2.sessionPresent, false);
      const pub = await connect(b.port);
      await pub.client.publishAsync(topic, 'lost', { qos: 1 });
      await nothing(again, 'publish');
      await pub.end();
      again.close();
    });
  });

  describe('MQTT 5 clean start and session expiry', () => {
    it('Clean Start 1 gives Session Present 0 and discards an existing session [MQTT-3.2.2-2] [MQTT-3.1.2-4]', async () => {
      const id = uniqueId('v5cs');
      const topic = `sess/${id}`;
      const { c: a, connack } = await rawConnect(b.port, id, 5, persistent(5));
      assert.equal(connack.sessionPresent, false, '[MQTT-3.2.2-3] no session yet');
      await rawSubscribe(a, 5, topic, 1);
      await drop(b, a, id);

      const { c: resumed, connack: ack2 } = await rawConnect(b.port, id, 5, persistent(5));
      assert.equal(ack2.sessionPresent, true, '[MQTT-3.2.2-3] Clean Start 0 and a session exists');
      await drop(b, resumed, id);

      const { c: fresh, connack: ack3 } = await rawConnect(b.port, id, 5, {
        clean: true,
        properties: { sessionExpiryInterval: 60 },
      });
      assert.equal(ack3.sessionPresent, false);
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(topic, 'x', { qos: 1 });
      await nothing(fresh, 'publish');
      await pub.end();
      fresh.close();
    });

    it('no Session Expiry Interval (0): the session ends when the connection closes', async () => {
      const id = uniqueId('v5exp0');
      const { c: a } = await rawConnect(b.port, id, 5, { clean: false });
      await rawSubscribe(a, 5, `sess/${id}`, 1);
      await drop(b, a, id);
      assert.equal(b.broker.sessions.get(id), undefined);
      const { c: again, connack } = await rawConnect(b.port, id, 5, { clean: false });
      assert.equal(connack.sessionPresent, false);
      again.close();
    });

    it('the session outlives its connection for the Session Expiry Interval, then is discarded [MQTT-3.1.2-25] [MQTT-4.1.0-2]', async () => {
      const id = uniqueId('v5exp1');
      const topic = `sess/${id}`;
      const { c: a } = await rawConnect(b.port, id, 5, persistent(5, 1));
      await rawSubscribe(a, 5, topic, 1);
      // [MQTT-4.1.0-1] not discarded while the connection is open, however long
      await delay(1300);
      await drop(b, a, id);

      const { c: back, connack } = await rawConnect(b.port, id, 5, persistent(5, 1));
      assert.equal(connack.sessionPresent, true, 'resumed within the interval');
      await drop(b, back, id);

      await until(() => b.broker.sessions.get(id) === undefined, 3000, 'the session to expire');
      const { c: late, connack: ack2 } = await rawConnect(b.port, id, 5, persistent(5, 1));
      assert.equal(ack2.sessionPresent, false, 'expired');
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(topic, 'x', { qos: 1 });
      await nothing(late, 'publish');
      await pub.end();
      late.close();
    });

    it('a Session Expiry Interval on DISCONNECT replaces the one from CONNECT: 0 ends the session now', async () => {
      const id = uniqueId('v5disc0');
      const { c: a } = await rawConnect(b.port, id, 5, persistent(5, 60));
      await rawSubscribe(a, 5, `sess/${id}`, 1);
      a.write({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } } as Packet, 5);
      assert.ok(await a.waitClosed(), 'the broker closes after DISCONNECT');
      await until(() => b.broker.sessions.get(id) === undefined, 3000, 'the session to end');
      // the storage engine must not keep the record of a session that has ended
      const stored = await b.broker.storage.loadSessions();
      assert.equal(
        stored.find((r) => r.clientId === id),
        undefined,
        'ended session removed from storage',
      );
      const { c: again, connack } = await rawConnect(b.port, id, 5, persistent(5, 60));
      assert.equal(connack.sessionPresent, false);
      again.close();
    });

    it('a Session Expiry Interval on DISCONNECT replaces the one from CONNECT: a longer one keeps the session', async () => {
      const id = uniqueId('v5disc60');
      const { c: a } = await rawConnect(b.port, id, 5, persistent(5, 1));
      a.write({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } } as Packet, 5);
      assert.ok(await a.waitClosed());
      await delay(1500); // past the 1 s given at CONNECT
      const { c: again, connack } = await rawConnect(b.port, id, 5, persistent(5, 60));
      assert.equal(connack.sessionPresent, true);
      again.close();
    });

    it('0 at CONNECT and non-zero at DISCONNECT is a Protocol Error: DISCONNECT 0x82, the session ends (MQTT 5.0 §3.14.2.2.2)', async () => {
      const id = uniqueId('v5disc-bad');
      const { c: a } = await rawConnect(b.port, id, 5, { clean: false });
      a.write({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 30 } } as Packet, 5);
      const d = await a.next<IDisconnectPacket>('disconnect');
      assert.equal(d.reasonCode, 0x82);
      assert.ok(await a.waitClosed());
      await until(() => b.broker.sessions.get(id) === undefined, 3000, 'the session to end');
      const { c: again, connack } = await rawConnect(b.port, id, 5, { clean: false });
      assert.equal(connack.sessionPresent, false, 'the session was not kept for 30 s');
      again.close();
    });

    it('a session resumed with Session Expiry Interval 0 ends with that connection, in memory and in storage', async () => {
      const id = uniqueId('v5to0');
      const { c: a } = await rawConnect(b.port, id, 5, persistent(5, 60));
      await rawSubscribe(a, 5, `sess/${id}`, 1);
      await drop(b, a, id);
      const { c: back, connack } = await rawConnect(b.port, id, 5, { clean: false });
      assert.equal(connack.sessionPresent, true);
      await drop(b, back, id);
      assert.equal(b.broker.sessions.get(id), undefined);
      const stored = await b.broker.storage.loadSessions();
      assert.equal(
        stored.find((r) => r.clientId === id),
        undefined,
        'ended session removed from storage',
      );
    });
  });

  describe('offline persistent sessions', () => {
    for (const v of [4, 5] as const) {
      it(`v${v}: messages published while the subscriber is offline are delivered on reconnect, in order [MQTT-4.5.0-1] [MQTT-4.6.0-6]`, async () => {
        const id = uniqueId(`off${v}`);
        const topic = `offline/${id}`;
        const opts = { clientId: id, protocolVersion: v, clean: false, properties: { sessionExpiryInterval: 60 } };
        const sub = await connect(b.port, opts);
        await sub.client.subscribeAsync(topic, { qos: 2 });
        await sub.end();

        const pub = await connect(b.port, { protocolVersion: v });
        const sent: Array<[string, 0 | 1 | 2]> = [];
        for (let i = 0; i < 15; i++) {
          const qos = (i % 3) as 0 | 1 | 2;
          sent.push([`m${i}`, qos]);
          await pub.client.publishAsync(topic, `m${i}`, { qos });
        }
        await pub.end();
        assert.equal(b.broker.sessions.get(id)?.queued, 15, 'held for the offline session');

        // a raw client sees the PUBLISH packets in the order the broker sends them (MQTT.js would
        // hand a QoS 2 message to the application only at PUBREL)
        const { c: back, connack } = await rawConnect(b.port, id, v, persistent(v));
        assert.equal(connack.sessionPresent, true);
        const got: Array<[string, number]> = [];
        for (let i = 0; i < 15; i++) {
          const p = await back.next<IPublishPacket>('publish');
          got.push([p.payload.toString(), p.qos]);
          assert.equal(p.dup, false, 'first delivery, not a re-send');
          if (p.qos === 1) back.write({ cmd: 'puback', messageId: p.messageId } as Packet, v);
          if (p.qos === 2) back.write({ cmd: 'pubrec', messageId: p.messageId } as Packet, v);
        }
        assert.deepEqual(got, sent);
        await nothing(back, 'publish', 150);
        back.close();
      });
    }

    it('QoS 0 messages are not queued for an offline session when session.queue_qos0 is false (counted as dropped)', async () => {
      const nb = await startBroker({ session: { queue_qos0: false } });
      try {
        const id = uniqueId('q0');
        const topic = `offline/${id}`;
        const sub = await connect(nb.port, { clientId: id, clean: false });
        await sub.client.subscribeAsync(topic, { qos: 1 });
        await sub.end();
        const pub = await connect(nb.port);
        await pub.client.publishAsync(topic, 'q0', { qos: 0 });
        await pub.client.publishAsync(topic, 'q1', { qos: 1 });
        await pub.end();
        await until(() => nb.broker.metrics.dropped.offline_qos0 === 1, 2000, 'the QoS 0 drop to be counted');
        const back = await connect(nb.port, { clientId: id, clean: false });
        const got = await back.waitFor(1);
        await delay(150);
        assert.deepEqual(
          got.map((m) => m.payload.toString()),
          ['q1'],
        );
        await back.end();
      } finally {
        await nb.stop();
      }
    });

    for (const policy of ['oldest', 'newest'] as const) {
      it(`the offline queue is bounded by limits.max_queued_messages; drop ${policy}, counted in metrics`, async () => {
        const nb = await startBroker({
          limits: { max_queued_messages: 5 },
          session: { queue_drop: policy },
        });
        try {
          const id = uniqueId('bounded');
          const topic = `offline/${id}`;
          const opts = {
            clientId: id,
            protocolVersion: 5 as const,
            clean: false,
            properties: { sessionExpiryInterval: 60 },
          };
          const sub = await connect(nb.port, opts);
          await sub.client.subscribeAsync(topic, { qos: 1 });
          await sub.end();

          const pub = await connect(nb.port, { protocolVersion: 5 });
          for (let i = 0; i < 12; i++) await pub.client.publishAsync(topic, `m${i}`, { qos: 1 });
          await pub.end();
          assert.equal(nb.broker.sessions.get(id)?.queued, 5);
          assert.equal(nb.broker.metrics.dropped.queue_full, 7);
          assert.equal(nb.broker.metrics.limits.max_queued_messages, 7);
          assert.equal(nb.broker.metrics.messagesDropped, 7);

          const back = await connect(nb.port, opts);
          const got = await back.waitFor(5);
          await delay(150);
          const expected = policy === 'oldest' ? [7, 8, 9, 10, 11] : [0, 1, 2, 3, 4];
          assert.deepEqual(
            got.map((m) => m.payload.toString()),
            expected.map((i) => `m${i}`),
          );
          await back.end();
        } finally {
          await nb.stop();
        }
      });
    }
  });

  describe('session takeover', () => {
    it('v5: the existing connection gets DISCONNECT 0x8E and is closed [MQTT-3.1.4-3]', async () => {
      const id = uniqueId('take5');
      const { c: old } = await rawConnect(b.port, id, 5);
      const { c: taker, connack } = await rawConnect(b.port, id, 5);
      assert.equal(connack.reasonCode, 0);
      const d = await old.next<IDisconnectPacket>('disconnect');
      assert.equal(d.reasonCode, 0x8e);
      assert.ok(await old.waitClosed(), 'old connection closed');
      assert.equal(taker.closed, false, 'the new connection stays');
      taker.write({ cmd: 'pingreq' } as Packet, 5);
      await taker.next('pingresp');
      taker.close();
    });

    it('v3.1.1: the existing connection is closed (MQTT.js sees the close) [MQTT-3.1.4-2]', async () => {
      const id = uniqueId('take4');
      const old = await connect(b.port, { clientId: id });
      const closed = new Promise<void>((resolve) => old.client.once('close', () => resolve()));
      const taker = await connect(b.port, { clientId: id });
      await closed;
      assert.equal(taker.client.connected, true);
      assert.equal(b.broker.sessions.get(id)?.output !== null, true);
      await taker.end();
      old.client.end(true);
    });

    it('v3.1.1 raw: the old connection is closed without any packet (there is no server DISCONNECT in 3.1.1)', async () => {
      const id = uniqueId('take4raw');
      const { c: old } = await rawConnect(b.port, id, 4);
      const { c: taker } = await rawConnect(b.port, id, 4);
      assert.ok(await old.waitClosed());
      assert.deepEqual(old.packets, []);
      taker.close();
    });

    for (const v of [4, 5] as const) {
      it(`v${v}: with Clean Start 0 the taker resumes the session: Session Present 1, subscriptions carry over`, async () => {
        const id = uniqueId(`takesub${v}`);
        const topic = `take/${id}`;
        const opts = { clientId: id, protocolVersion: v, clean: false, properties: { sessionExpiryInterval: 60 } };
        const old = await connect(b.port, opts);
        await old.client.subscribeAsync(topic, { qos: 1 });
        const taker = await connect(b.port, opts);
        assert.equal(sessionPresent(taker), true);
        const pub = await connect(b.port, { protocolVersion: v });
        await pub.client.publishAsync(topic, 'to the taker', { qos: 1 });
        const [m] = await taker.waitFor(1);
        assert.equal(m!.payload.toString(), 'to the taker');
        await delay(100);
        assert.equal(old.messages.length, 0, 'nothing for the closed connection');
        await pub.end();
        await taker.end();
        old.client.end(true);
      });
    }

    it('v5: with Clean Start 1 the taker starts a new session: Session Present 0, no old subscriptions', async () => {
      const id = uniqueId('takeclean');
      const topic = `take/${id}`;
      const { c: old } = await rawConnect(b.port, id, 5, persistent(5));
      await rawSubscribe(old, 5, topic, 1);
      const { c: taker, connack } = await rawConnect(b.port, id, 5, {
        clean: true,
        properties: { sessionExpiryInterval: 60 },
      });
      assert.equal(connack.sessionPresent, false);
      assert.equal((await old.next<IDisconnectPacket>('disconnect')).reasonCode, 0x8e);
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(topic, 'x', { qos: 1 });
      await nothing(taker, 'publish');
      await pub.end();
      taker.close();
    });

    it('v5: a takeover moves unacknowledged messages to the new connection, re-sent with DUP [MQTT-4.4.0-1]', async () => {
      const id = uniqueId('takeinflight');
      const topic = `take/${id}`;
      const { c: old } = await rawConnect(b.port, id, 5, persistent(5));
      await rawSubscribe(old, 5, topic, 1);
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(topic, 'unacked', { qos: 1 });
      const first = await old.next<IPublishPacket>('publish');
      assert.equal(first.dup, false);
      const { c: taker } = await rawConnect(b.port, id, 5, persistent(5));
      const again = await taker.next<IPublishPacket>('publish');
      assert.equal(again.dup, true);
      assert.equal(again.messageId, first.messageId);
      assert.equal(again.payload.toString(), 'unacked');
      await pub.end();
      taker.close();
    });
  });
});
