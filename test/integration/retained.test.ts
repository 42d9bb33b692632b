// Retained messages against a real broker with MQTT.js (v3.1.1, v5), raw packets and mosquitto
// clients: store, replace, delete with an empty payload, RETAIN on subscribe vs. on established
// subscriptions, retain-as-published, retain handling 0/1/2, wildcard filters and '$' topics,
// message expiry of retained messages, and shared subscriptions (which get no retained messages).
//
// Statement numbers differ between the versions: MQTT 3.1.1 section 3.3.1.3 ([MQTT-3.3.1-5..12])
// and MQTT 5.0 section 3.3.1.3 ([MQTT-3.3.1-5..13]); each test cites both where they differ.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { IClientSubscribeOptions } from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, type Received, type TestClient } from '../helpers/clients.js';
import { connectPacket, RawClient } from '../helpers/raw-client.js';

const run = promisify(execFile);

/**
 * Subscribe, then publish a non-retained marker on `markerTopic` from the same client and wait for
 * it: the broker hands a session its retained messages before anything published after the
 * SUBACK, so everything that arrived before the marker is what the SUBSCRIBE produced.
 */
async function subscribeAndSettle(
  c: TestClient,
  filter: string,
  markerTopic: string,
  opts: IClientSubscribeOptions = { qos: 1 },
): Promise<Received[]> {
  const before = c.messages.length;
  await c.client.subscribeAsync(filter, opts);
  return settle(c, markerTopic, before);
}

async function settle(c: TestClient, markerTopic: string, from = c.messages.length): Promise<Received[]> {
  const marker = `marker-${uniqueId()}`;
  await c.client.publishAsync(markerTopic, marker, { qos: 1 });
  const deadline = Date.now() + 5000;
  while (!c.messages.slice(from).some((m) => m.payload.toString() === marker)) {
    if (Date.now() > deadline) throw new Error('marker message did not arrive');
    await delay(5);
  }
  const got = c.messages.slice(from);
  // markers of other clients' settle() calls on the same topic are not part of the result
  return got
    .slice(
      0,
      got.findIndex((m) => m.payload.toString() === marker),
    )
    .filter((m) => !m.payload.toString().startsWith('marker-'));
}

describe('retained messages', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  for (const protocolVersion of [4, 5] as const) {
    describe(`MQTT.js v${protocolVersion === 4 ? '3.1.1' : '5'}`, () => {
      it('a retained message is stored and sent to a later subscriber with RETAIN=1 [MQTT-3.3.1-5] (v3.1.1 [MQTT-3.3.1-6], [MQTT-3.3.1-8]; v5 [MQTT-3.3.1-9])', async () => {
        const topic = `ret/${uniqueId()}`;
        const pub = await connect(b.port, { protocolVersion });
        await pub.client.publishAsync(topic, 'stored', { qos: 1, retain: true });
        await pub.end();
        assert.equal(b.broker.retained.get(topic)?.payload.toString(), 'stored');

        const sub = await connect(b.port, { protocolVersion });
        const got = await subscribeAndSettle(sub, topic, topic, { qos: 1 });
        assert.equal(got.length, 1);
        assert.equal(got[0]!.topic, topic);
        assert.equal(got[0]!.payload.toString(), 'stored');
        assert.equal(got[0]!.packet.retain, true);
        assert.equal(got[0]!.packet.qos, 1);
        await sub.end();
      });

      it('the retained QoS is kept and the delivery QoS is min(retained QoS, granted QoS) [MQTT-3.3.1-5]', async () => {
        const topic = `ret/${uniqueId()}`;
        const pub = await connect(b.port, { protocolVersion });
        await pub.client.publishAsync(`${topic}/q2`, 'two', { qos: 2, retain: true });
        await pub.client.publishAsync(`${topic}/q0`, 'zero', { qos: 0, retain: true });
        await pub.end();
        const sub2 = await connect(b.port, { protocolVersion });
        const got2 = await subscribeAndSettle(sub2, `${topic}/+`, `${topic}/m`, { qos: 2 });
        assert.deepEqual(got2.map((m) => [m.payload.toString(), m.packet.qos]).sort(), [
          ['two', 2],
          ['zero', 0],
        ]);
        const sub1 = await connect(b.port, { protocolVersion });
        const got1 = await subscribeAndSettle(sub1, `${topic}/+`, `${topic}/m`, { qos: 1 });
        assert.deepEqual(got1.map((m) => [m.payload.toString(), m.packet.qos]).sort(), [
          ['two', 1],
          ['zero', 0],
        ]);
        await sub1.end();
        await sub2.end();
      });

      it('a new retained message replaces the previous one on the topic (v3.1.1 [MQTT-3.3.1-7]; v5 [MQTT-3.3.1-5])', async () => {
        const topic = `ret/${uniqueId()}`;
        const pub = await connect(b.port, { protocolVersion });
        await pub.client.publishAsync(topic, 'first', { qos: 1, retain: true });
        await pub.client.publishAsync(topic, 'second', { qos: 0, retain: true });
        await pub.client.publishAsync(topic, 'third', { qos: 1, retain: true });
        await pub.end();
        const sub = await connect(b.port, { protocolVersion });
        const got = await subscribeAndSettle(sub, topic, topic);
        assert.deepEqual(
          got.map((m) => m.payload.toString()),
          ['third'],
        );
        await sub.end();
      });

      it('a PUBLISH with RETAIN=0 neither stores nor removes nor replaces the retained message (v3.1.1 [MQTT-3.3.1-12]; v5 [MQTT-3.3.1-8])', async () => {
        const topic = `ret/${uniqueId()}`;
        const pub = await connect(b.port, { protocolVersion });
        await pub.client.publishAsync(`${topic}/plain`, 'not retained', { qos: 1 });
        await pub.client.publishAsync(`${topic}/kept`, 'kept', { qos: 1, retain: true });
        await pub.client.publishAsync(`${topic}/kept`, 'live only', { qos: 1 });
        await pub.client.publishAsync(`${topic}/kept`, '', { qos: 1 }); // empty but RETAIN=0: no delete
        await pub.end();
        assert.equal(b.broker.retained.get(`${topic}/plain`), undefined);
        const sub = await connect(b.port, { protocolVersion });
        const got = await subscribeAndSettle(sub, `${topic}/#`, `${topic}/m`);
        assert.deepEqual(
          got.map((m) => `${m.topic}=${m.payload.toString()}`),
          [`${topic}/kept=kept`],
        );
        await sub.end();
      });

      it('an empty retained PUBLISH goes to current subscribers as normal, deletes the retained message and is not stored (v3.1.1 [MQTT-3.3.1-10], [MQTT-3.3.1-11]; v5 [MQTT-3.3.1-6], [MQTT-3.3.1-7])', async () => {
        const topic = `ret/${uniqueId()}`;
        const pub = await connect(b.port, { protocolVersion });
        await pub.client.publishAsync(topic, 'to be deleted', { qos: 1, retain: true });
        const existing = await connect(b.port, { protocolVersion });
        await subscribeAndSettle(existing, topic, topic);
        const sizeBefore = b.broker.retained.size;

        const mark = existing.messages.length;
        await pub.client.publishAsync(topic, '', { qos: 1, retain: true });
        const live = await settle(existing, topic, mark);
        // processed as normal: delivered to the established subscription, with RETAIN=0
        assert.equal(live.length, 1);
        assert.equal(live[0]!.payload.length, 0);
        assert.equal(live[0]!.packet.retain, false);
        assert.equal(b.broker.retained.get(topic), undefined);
        assert.equal(b.broker.retained.size, sizeBefore - 1);

        // future subscribers get no retained message
        const later = await connect(b.port, { protocolVersion });
        assert.deepEqual(await subscribeAndSettle(later, topic, topic), []);

        // an empty retained message on a topic with nothing retained is not stored either
        const other = `${topic}/never`;
        await pub.client.publishAsync(other, '', { qos: 1, retain: true });
        assert.equal(b.broker.retained.get(other), undefined);
        assert.equal(b.broker.retained.size, sizeBefore - 1);
        assert.deepEqual(await subscribeAndSettle(later, other, other), []);
        await Promise.all([pub.end(), existing.end(), later.end()]);
      });

      it('established subscriptions get retained PUBLISHes with RETAIN=0 (v3.1.1 [MQTT-3.3.1-9]; v5 [MQTT-3.3.1-12])', async () => {
        const topic = `ret/${uniqueId()}`;
        const sub = await connect(b.port, { protocolVersion });
        await subscribeAndSettle(sub, topic, topic);
        const pub = await connect(b.port, { protocolVersion });
        const mark = sub.messages.length;
        await pub.client.publishAsync(topic, 'live', { qos: 1, retain: true });
        const got = await settle(sub, topic, mark);
        assert.equal(got.length, 1);
        assert.equal(got[0]!.payload.toString(), 'live');
        assert.equal(got[0]!.packet.retain, false);
        // and the same message reaches a new subscription with RETAIN=1
        const got2 = await subscribeAndSettle(sub, `${topic}/#`, topic);
        assert.deepEqual(
          got2.filter((m) => m.packet.retain).map((m) => m.payload.toString()),
          ['live'],
        );
        await Promise.all([pub.end(), sub.end()]);
      });

      it('subscribing again to the same filter sends the retained messages again (retain handling 0) [MQTT-3.3.1-9]', async () => {
        const topic = `ret/${uniqueId()}`;
        const pub = await connect(b.port, { protocolVersion });
        await pub.client.publishAsync(topic, 'again', { qos: 1, retain: true });
        const sub = await connect(b.port, { protocolVersion });
        assert.equal((await subscribeAndSettle(sub, topic, topic)).length, 1);
        const again = await subscribeAndSettle(sub, topic, topic);
        assert.equal(again.length, 1);
        assert.equal(again[0]!.packet.retain, true);
        await Promise.all([pub.end(), sub.end()]);
      });
    });
  }

  it('MQTT 3.1.1 on the wire: the retained PUBLISH after SUBSCRIBE has the RETAIN bit set [MQTT-3.3.1-8]', async () => {
    const topic = `ret/${uniqueId()}`;
    const pub = await connect(b.port, { protocolVersion: 4 });
    await pub.client.publishAsync(topic, 'wire', { qos: 0, retain: true });
    await pub.end();
    const raw = await RawClient.open(b.port, 4);
    raw.write(connectPacket(uniqueId(), 4));
    await raw.next('connack');
    raw.write({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic, qos: 0 }] } as never);
    const suback = await raw.next('suback');
    assert.deepEqual((suback as unknown as { granted: number[] }).granted, [0]);
    const p = (await raw.next('publish')) as unknown as { topic: string; retain: boolean; payload: Buffer };
    assert.equal(p.topic, topic);
    assert.equal(p.retain, true);
    assert.equal(p.payload.toString(), 'wire');
    raw.close();
  });

  describe('MQTT 5 subscription options', () => {
    it('retain as published = 1 keeps RETAIN=1 for established subscriptions [MQTT-3.3.1-13]; = 0 clears it [MQTT-3.3.1-12]', async () => {
      const topic = `ret/${uniqueId()}`;
      const rap = await connect(b.port, { protocolVersion: 5 });
      await subscribeAndSettle(rap, topic, topic, { qos: 1, rap: true });
      const plain = await connect(b.port, { protocolVersion: 5 });
      await subscribeAndSettle(plain, topic, topic, { qos: 1, rap: false });
      const pub = await connect(b.port, { protocolVersion: 5 });
      const [markRap, markPlain] = [rap.messages.length, plain.messages.length];
      await pub.client.publishAsync(topic, 'r', { qos: 1, retain: true });
      await pub.client.publishAsync(topic, 'n', { qos: 1, retain: false });
      const gotRap = await settle(rap, topic, markRap);
      const gotPlain = await settle(plain, topic, markPlain);
      assert.deepEqual(
        gotRap.map((m) => [m.payload.toString(), m.packet.retain]),
        [
          ['r', true],
          ['n', false],
        ],
      );
      assert.deepEqual(
        gotPlain.map((m) => [m.payload.toString(), m.packet.retain]),
        [
          ['r', false],
          ['n', false],
        ],
      );
      await Promise.all([rap.end(), plain.end(), pub.end()]);
    });

    it('retain handling 1 sends retained messages only when the subscription did not exist [MQTT-3.3.1-10]', async () => {
      const topic = `ret/${uniqueId()}`;
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(topic, 'rh1', { qos: 1, retain: true });
      const sub = await connect(b.port, { protocolVersion: 5 });
      const first = await subscribeAndSettle(sub, topic, topic, { qos: 1, rh: 1 });
      assert.deepEqual(
        first.map((m) => [m.payload.toString(), m.packet.retain]),
        [['rh1', true]],
      );
      // the same filter again: the subscription exists, so nothing is sent
      assert.deepEqual(await subscribeAndSettle(sub, topic, topic, { qos: 1, rh: 1 }), []);
      // a different filter that matches is a new subscription: sent
      assert.equal((await subscribeAndSettle(sub, `${topic}/#`, topic, { qos: 1, rh: 1 })).length, 1);
      // after UNSUBSCRIBE the subscription no longer exists: sent again
      await sub.client.unsubscribeAsync(topic);
      assert.equal((await subscribeAndSettle(sub, topic, `${topic}/x`, { qos: 1, rh: 1 })).length, 1);
      await Promise.all([pub.end(), sub.end()]);
    });

    it('retain handling 1: a subscription kept in a resumed session counts as existing [MQTT-3.3.1-10]', async () => {
      const topic = `ret/${uniqueId()}`;
      const clientId = uniqueId('rh1-persist');
      const opts = { protocolVersion: 5 as const, clientId, clean: false, properties: { sessionExpiryInterval: 30 } };
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(topic, 'persisted', { qos: 1, retain: true });
      const first = await connect(b.port, opts);
      assert.equal((await subscribeAndSettle(first, topic, topic, { qos: 1, rh: 1 })).length, 1);
      await first.end();
      const second = await connect(b.port, opts);
      assert.deepEqual(await subscribeAndSettle(second, topic, topic, { qos: 1, rh: 1 }), []);
      // retain handling 0 on the same existing subscription does send them
      assert.equal((await subscribeAndSettle(second, topic, topic, { qos: 1, rh: 0 })).length, 1);
      await second.client.unsubscribeAsync(topic);
      await Promise.all([pub.end(), second.end()]);
    });

    it('retain handling 2 never sends retained messages at subscribe time [MQTT-3.3.1-11]', async () => {
      const topic = `ret/${uniqueId()}`;
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(topic, 'rh2', { qos: 1, retain: true });
      const sub = await connect(b.port, { protocolVersion: 5 });
      assert.deepEqual(await subscribeAndSettle(sub, topic, topic, { qos: 1, rh: 2 }), []);
      assert.deepEqual(await subscribeAndSettle(sub, `${topic}/#`, topic, { qos: 1, rh: 2 }), []);
      // later publications still arrive
      const mark = sub.messages.length;
      await pub.client.publishAsync(topic, 'later', { qos: 1, retain: true });
      const live = await settle(sub, topic, mark);
      assert.ok(live.some((m) => m.payload.toString() === 'later'));
      await Promise.all([pub.end(), sub.end()]);
    });

    it('a retained message keeps its properties (user properties in order, content type, correlation data) [MQTT-3.3.2-17]', async () => {
      const topic = `ret/${uniqueId()}`;
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(topic, 'props', {
        qos: 1,
        retain: true,
        properties: {
          contentType: 'text/plain',
          responseTopic: `${topic}/reply`,
          correlationData: Buffer.from([1, 2, 3]),
          payloadFormatIndicator: true,
          userProperties: { first: '1', second: ['2', '3'] },
        },
      });
      const sub = await connect(b.port, { protocolVersion: 5 });
      const [m] = await subscribeAndSettle(sub, topic, topic);
      const p = m!.packet.properties!;
      assert.equal(p.contentType, 'text/plain');
      assert.equal(p.responseTopic, `${topic}/reply`);
      assert.deepEqual(p.correlationData, Buffer.from([1, 2, 3]));
      assert.equal(p.payloadFormatIndicator, true);
      assert.deepEqual({ ...p.userProperties }, { first: '1', second: ['2', '3'] });
      await Promise.all([pub.end(), sub.end()]);
    });

    it('a retained message is not sent after its message expiry interval, and is sent with the remaining time before [MQTT-3.3.2-5], [MQTT-3.3.2-6]', async () => {
      const topic = `ret/${uniqueId()}`;
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(`${topic}/short`, 'short', {
        qos: 1,
        retain: true,
        properties: { messageExpiryInterval: 1 },
      });
      await pub.client.publishAsync(`${topic}/long`, 'long', {
        qos: 1,
        retain: true,
        properties: { messageExpiryInterval: 100 },
      });
      const early = await connect(b.port, { protocolVersion: 5 });
      const got = await subscribeAndSettle(early, `${topic}/+`, `${topic}/m`);
      assert.deepEqual(got.map((m) => m.payload.toString()).sort(), ['long', 'short']);
      for (const m of got) {
        const left = m.packet.properties?.messageExpiryInterval;
        assert.ok(left !== undefined && left <= (m.topic.endsWith('short') ? 1 : 100) && left >= 0, String(left));
      }
      await delay(1150);
      const late = await connect(b.port, { protocolVersion: 5 });
      const got2 = await subscribeAndSettle(late, `${topic}/+`, `${topic}/m`);
      assert.deepEqual(
        got2.map((m) => m.payload.toString()),
        ['long'],
      );
      const left = got2[0]!.packet.properties?.messageExpiryInterval;
      assert.ok(left !== undefined && left >= 98 && left <= 99, `remaining expiry ${left}`);
      // the expired message is gone from the store, not only hidden
      assert.equal(b.broker.retained.get(`${topic}/short`), undefined);
      await Promise.all([pub.end(), early.end(), late.end()]);
    });

    it('shared subscriptions get no retained messages when they are made (MQTT 5.0 section 4.8.2)', async () => {
      const topic = `ret/${uniqueId()}`;
      const pub = await connect(b.port, { protocolVersion: 5 });
      await pub.client.publishAsync(topic, 'not for groups', { qos: 1, retain: true });
      const sub = await connect(b.port, { protocolVersion: 5 });
      const got = await subscribeAndSettle(sub, `$share/g1/${topic}`, topic);
      assert.deepEqual(got, []);
      const got2 = await subscribeAndSettle(sub, `$queue/${topic}`, topic);
      assert.deepEqual(got2, []);
      // the shared subscriptions work: live messages arrive through them (the marker did)
      assert.ok(sub.messages.length >= 2);
      // a v3.1.1 client with a shared subscription: the same
      const v4 = await connect(b.port, { protocolVersion: 4 });
      assert.deepEqual(await subscribeAndSettle(v4, `$share/g2/${topic}`, topic), []);
      await Promise.all([pub.end(), sub.end(), v4.end()]);
    });
  });
});

describe('retained messages and wildcard filters', () => {
  // a broker of its own, so that '#' sees only the retained messages stored here
  let b: TestBroker;
  let pub: TestClient;
  const topics = ['w', 'w/a', 'w/a/x', 'w/b/x', 'w/a/y/z', 'w//x', 'other/x', '$ret/x', '$ret/a/x', '$SYS/fake'];
  before(async () => {
    b = await startBroker();
    pub = await connect(b.port, { protocolVersion: 5 });
    for (const t of topics) await pub.client.publishAsync(t, t, { qos: 1, retain: true });
  });
  after(async () => {
    await pub.end();
    await b.stop();
  });

  const cases: Array<[string, string[]]> = [
    ['w/+/x', ['w//x', 'w/a/x', 'w/b/x']],
    ['w/#', ['w', 'w//x', 'w/a', 'w/a/x', 'w/a/y/z', 'w/b/x']], // '#' includes the parent [MQTT-4.7.1-2]
    ['w/a/#', ['w/a', 'w/a/x', 'w/a/y/z']],
    ['+/+/x', ['w//x', 'w/a/x', 'w/b/x']],
    ['+', ['w']],
    ['w/+', ['w/a']],
    // [MQTT-4.7.2-1] a leading wildcard does not match topics that start with '$'
    ['#', ['other/x', 'w', 'w//x', 'w/a', 'w/a/x', 'w/a/y/z', 'w/b/x']],
    ['+/x', ['other/x']],
    ['+/a/x', ['w/a/x']],
    ['$ret/#', ['$ret/a/x', '$ret/x']],
    ['$ret/+', ['$ret/x']],
    ['$ret/+/x', ['$ret/a/x']],
    ['$SYS/#', ['$SYS/fake']],
    ['w/a/y/z', ['w/a/y/z']],
    ['nothing/#', []],
  ];
  for (const protocolVersion of [4, 5] as const) {
    for (const [filter, expected] of cases) {
      it(`v${protocolVersion}: '${filter}' gets ${expected.length ? expected.join(', ') : 'nothing'}`, async () => {
        const sub = await connect(b.port, { protocolVersion });
        const markerTopic = `marker/${uniqueId()}`;
        await sub.client.subscribeAsync(markerTopic, { qos: 1 });
        const got = await subscribeAndSettle(sub, filter, markerTopic, { qos: 1 });
        assert.deepEqual(got.map((m) => m.topic).sort(), [...expected].sort());
        assert.ok(got.every((m) => m.packet.retain && m.payload.toString() === m.topic));
        await sub.end();
      });
    }
  }
});

describe('retained messages with mosquitto clients', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  for (const v of ['mqttv31', 'mqttv311', 'mqttv5']) {
    it(`${v}: mosquitto_pub -r stores, mosquitto_sub gets it with RETAIN=1, an empty -r deletes it [MQTT-3.3.1-5]`, async () => {
      const topic = `mosq/${uniqueId()}`;
      const common = ['-h', '127.0.0.1', '-p', String(b.port), '-V', v, '-t', topic];
      await run('mosquitto_pub', [...common, '-m', 'from-mosquitto', '-r', '-q', '1']);
      const { stdout } = await run('mosquitto_sub', [...common, '-C', '1', '-W', '5', '-F', '%r %q %t %p']);
      assert.equal(stdout.trim(), `1 0 ${topic} from-mosquitto`);
      await run('mosquitto_pub', [...common, '-n', '-r', '-q', '1']);
      assert.equal(b.broker.retained.get(topic), undefined);
      // nothing retained any more: mosquitto_sub times out with nothing printed (exit code 27)
      const res = await run('mosquitto_sub', [...common, '-C', '1', '-W', '1', '-F', '%r %p']).catch(
        (e: { stdout: string; code: number }) => e,
      );
      assert.equal(res.stdout.trim(), '');
    });
  }
});
