// Delayed publish with real MQTT.js clients (v5 and 3.1.1): `$delayed/{seconds}/{topic}` is
// delivered to `{topic}` after the delay and not before; RETAIN is kept; a Message Expiry Interval
// counts from publication (shorter than the delay: never delivered; else the remaining interval is
// forwarded [MQTT-3.3.2-6]); invalid forms are refused (v5 0x90); delayed.max_pending full is 0x97;
// the ACL applies to the destination; [delayed] changes at run time; held messages survive a restart
// (sqlite), whether still pending or overdue when the broker comes back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IClientPublishOptions } from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, subscribedClient, uniqueId, until, type TestClient } from '../helpers/clients.js';

const TOPIC_NAME_INVALID = 0x90;
const QUOTA_EXCEEDED = 0x97;
const NOT_AUTHORIZED = 0x87;

/** The reason code of the PUBACK / PUBREC of a QoS 1/2 publish (0 when MQTT.js resolves: success). */
async function publishRc(
  c: TestClient,
  topic: string,
  payload: string | Buffer,
  opts: IClientPublishOptions,
): Promise<number> {
  try {
    const ack = (await c.client.publishAsync(topic, payload, opts)) as { reasonCode?: number } | undefined;
    return ack?.reasonCode ?? 0;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code !== 'number') throw err;
    return code;
  }
}

describe('delayed publish ($delayed/{seconds}/{topic})', () => {
  let b: TestBroker;
  const clients: TestClient[] = [];
  let pub5: TestClient;
  let pub4: TestClient;

  before(async () => {
    b = await startBroker({ delayed: { max_delay_s: 3600 } });
    pub5 = await connect(b.port, { protocolVersion: 5, clientId: uniqueId('dp-pub5') });
    pub4 = await connect(b.port, { protocolVersion: 4, clientId: uniqueId('dp-pub4') });
    clients.push(pub5, pub4);
  });

  after(async () => {
    for (const c of clients) await c.end(true);
    await b.stop();
  });

  it('v5 and 3.1.1: delivered to the destination topic after the delay, not before; $delayed/ itself gets nothing', async () => {
    const sub = await subscribedClient(b.port, 'dp/basic/#', clients);
    const raw = await subscribedClient(b.port, '$delayed/#', clients);
    const sent = Date.now();
    assert.equal(await publishRc(pub5, '$delayed/2/dp/basic/v5', 'five', { qos: 1 }), 0);
    assert.equal(await publishRc(pub4, '$delayed/2/dp/basic/v4', 'four', { qos: 2 }), 0);
    await pub5.client.publishAsync('$delayed/2/dp/basic/q0', 'zero', { qos: 0 });
    await until(() => b.broker.delayed.size === 3, 1000, 'the QoS 0 message held');
    await delay(1200);
    assert.equal(sub.messages.length, 0, 'nothing before the delay');
    await sub.waitFor(3, 5000);
    const arrived = Date.now();
    assert.ok(arrived - sent >= 1900, `delivered ${arrived - sent} ms after publishing`);
    assert.deepEqual(sub.messages.map((m) => [m.topic, m.payload.toString()]).sort(), [
      ['dp/basic/q0', 'zero'],
      ['dp/basic/v4', 'four'],
      ['dp/basic/v5', 'five'],
    ]);
    assert.equal(sub.messages.find((m) => m.topic === 'dp/basic/v4')!.packet.qos, 2);
    assert.equal(raw.messages.length, 0);
    assert.equal(b.broker.delayed.size, 0);
  });

  it('RETAIN is kept: the message becomes the retained message of the destination when due', async () => {
    assert.equal(await publishRc(pub5, '$delayed/1/dp/retained', 'kept', { qos: 1, retain: true }), 0);
    assert.equal(b.broker.retained.get('dp/retained'), undefined, 'not retained while held');
    await until(() => b.broker.retained.get('dp/retained') !== undefined, 5000, 'retained after the delay');
    const late = await subscribedClient(b.port, 'dp/retained', clients);
    const [m] = await late.waitFor(1);
    assert.equal(m!.payload.toString(), 'kept');
    assert.equal(m!.packet.retain, true, 'retained message sent on subscribe has RETAIN set [MQTT-3.3.1-8]');
  });

  it('a Message Expiry Interval shorter than the delay: never delivered, counted [MQTT-3.3.2-5]', async () => {
    const sub = await subscribedClient(b.port, 'dp/expiry/short', clients);
    const before = b.broker.metrics.dropped.delayed_expired ?? 0;
    assert.equal(
      await publishRc(pub5, '$delayed/2/dp/expiry/short', 'gone', { qos: 1, properties: { messageExpiryInterval: 1 } }),
      0,
    );
    await until(() => b.broker.delayed.size === 0, 5000, 'the delayed message to come due');
    await delay(300);
    assert.equal(sub.messages.length, 0);
    assert.equal(b.broker.metrics.dropped.delayed_expired, before + 1);
  });

  it('the expiry counts from publication: the remaining interval is forwarded [MQTT-3.3.2-6]', async () => {
    const sub = await subscribedClient(b.port, 'dp/expiry/long', clients);
    assert.equal(
      await publishRc(pub5, '$delayed/2/dp/expiry/long', 'left', { qos: 1, properties: { messageExpiryInterval: 10 } }),
      0,
    );
    const [m] = await sub.waitFor(1, 6000);
    const left = m!.packet.properties?.messageExpiryInterval;
    assert.ok(left !== undefined && left >= 7 && left <= 8, `remaining expiry ${left} s (10 s less the 2 s delay)`);
  });

  it('invalid forms are refused: v5 PUBACK/PUBREC 0x90, 3.1.1 the normal acknowledgement; dropped and counted', async () => {
    const sub = await subscribedClient(b.port, 'dp/x', clients);
    const counted = b.broker.metrics.dropped.delayed_invalid ?? 0;
    const bad = [
      '$delayed/abc/dp/x', // not a number
      '$delayed/-1/dp/x', // negative
      '$delayed/1.5/dp/x', // not whole
      '$delayed/ 1/dp/x',
      '$delayed/10', // no destination
      '$delayed/10/', // empty destination
      '$delayed//dp/x', // no delay
      '$delayed/1/$delayed/1/dp/x', // a delayed destination
      '$delayed/3601/dp/x', // above delayed.max_delay_s
      '$delayed/99999999999999999999/dp/x',
    ];
    for (const topic of bad) {
      assert.equal(await publishRc(pub5, topic, 'x', { qos: 1 }), TOPIC_NAME_INVALID, `${topic} QoS 1`);
    }
    assert.equal(await publishRc(pub5, '$delayed/x/dp/x', 'x', { qos: 2 }), TOPIC_NAME_INVALID, 'QoS 2: PUBREC 0x90');
    // 3.1.1 has no negative acknowledgement [MQTT-3.3.5-2]: the normal one, and the message is dropped
    assert.equal(await publishRc(pub4, '$delayed/abc/dp/x', 'x', { qos: 1 }), 0);
    assert.equal(b.broker.metrics.dropped.delayed_invalid, counted + bad.length + 2);
    assert.equal(b.broker.delayed.size, 0);
    await delay(300);
    assert.deepEqual(
      sub.messages.map((m) => m.topic),
      [],
    );
  });

  it('the ACL applies to the destination topic: a deny rule on dp/acl/secret refuses $delayed/1/dp/acl/secret', async () => {
    const rule = await b.broker.admin.createAcl({
      principalKind: 'all',
      filter: 'dp/acl/secret',
      action: 'publish',
      permission: 'deny',
    });
    try {
      const sub = await subscribedClient(b.port, 'dp/acl/#', clients);
      assert.equal(await publishRc(pub5, '$delayed/1/dp/acl/secret', 'no', { qos: 1 }), NOT_AUTHORIZED);
      assert.equal(await publishRc(pub5, '$delayed/1/dp/acl/open', 'yes', { qos: 1 }), 0);
      await sub.waitFor(1, 5000);
      await delay(300);
      assert.deepEqual(
        sub.messages.map((m) => m.topic),
        ['dp/acl/open'],
      );
    } finally {
      await b.broker.admin.deleteAcl(rule.id);
    }
  });

  it('no-local is honoured: the publisher does not get its own delayed message back [MQTT-3.8.3-3]', async () => {
    const self = await connect(b.port, { protocolVersion: 5, clientId: uniqueId('dp-self') });
    clients.push(self);
    await self.client.subscribeAsync('dp/nolocal', { qos: 1, nl: true });
    const other = await subscribedClient(b.port, 'dp/nolocal', clients);
    assert.equal(await publishRc(self, '$delayed/1/dp/nolocal', 'mine', { qos: 1 }), 0);
    await other.waitFor(1, 5000);
    await delay(300);
    assert.equal(self.messages.length, 0);
  });
});

describe('delayed publish: [delayed] limits and switches, in the file and at run time', () => {
  let b: TestBroker;
  const clients: TestClient[] = [];

  before(async () => {
    b = await startBroker({ delayed: { max_pending: 2 } });
  });

  after(async () => {
    for (const c of clients) await c.end(true);
    await b.stop();
  });

  it('delayed.max_pending held: v5 0x97 Quota exceeded, 3.1.1 the normal acknowledgement; dropped and counted', async () => {
    const pub5 = await connect(b.port, { protocolVersion: 5 });
    const pub4 = await connect(b.port, { protocolVersion: 4 });
    clients.push(pub5, pub4);
    const sub = await subscribedClient(b.port, 'mp/#', clients);
    assert.equal(await publishRc(pub5, '$delayed/2/mp/1', 'a', { qos: 1 }), 0);
    assert.equal(await publishRc(pub5, '$delayed/2/mp/2', 'b', { qos: 1 }), 0);
    assert.equal(await publishRc(pub5, '$delayed/2/mp/3', 'c', { qos: 1 }), QUOTA_EXCEEDED);
    assert.equal(await publishRc(pub5, '$delayed/2/mp/4', 'd', { qos: 2 }), QUOTA_EXCEEDED);
    assert.equal(await publishRc(pub4, '$delayed/2/mp/5', 'e', { qos: 1 }), 0);
    assert.equal(b.broker.delayed.size, 2);
    assert.equal(b.broker.metrics.dropped.delayed_quota, 3);
    assert.equal(b.broker.metrics.limits['delayed.max_pending'], 3);
    await sub.waitFor(2, 5000);
    await delay(300);
    assert.deepEqual(sub.messages.map((m) => m.topic).sort(), ['mp/1', 'mp/2']);
    // room again once they are published
    assert.equal(await publishRc(pub5, '$delayed/0/mp/6', 'f', { qos: 1 }), 0);
    await sub.waitFor(3, 5000);
  });

  it('config set: delayed.max_delay_s and delayed.max_pending apply to the next PUBLISH', async () => {
    const pub = await connect(b.port, { protocolVersion: 5 });
    clients.push(pub);
    await b.broker.admin.setConfig('delayed.max_delay_s', '5');
    assert.equal(await publishRc(pub, '$delayed/6/rt/x', 'x', { qos: 1 }), TOPIC_NAME_INVALID);
    await b.broker.admin.setConfig('delayed.max_pending', '10');
    for (let i = 0; i < 3; i++) assert.equal(await publishRc(pub, `$delayed/5/rt/${i}`, 'x', { qos: 1 }), 0);
    assert.equal(b.broker.delayed.size, 3);
    for (const id of b.broker.delayed.ids.keys()) await b.broker.admin.deleteDelayed(id);
  });

  it('delayed.enabled = false: $delayed/... is an ordinary topic', async () => {
    await b.broker.admin.setConfig('delayed.enabled', 'false');
    try {
      const sub = await subscribedClient(b.port, '$delayed/#', clients);
      const dest = await subscribedClient(b.port, 'off/#', clients);
      const pub = await connect(b.port, { protocolVersion: 5 });
      clients.push(pub);
      assert.equal(await publishRc(pub, '$delayed/1/off/x', 'now', { qos: 1 }), 0);
      const [m] = await sub.waitFor(1);
      assert.equal(m!.topic, '$delayed/1/off/x');
      assert.equal(b.broker.delayed.size, 0);
      await delay(1500);
      assert.equal(dest.messages.length, 0);
    } finally {
      await b.broker.admin.setConfig('delayed.enabled', 'true');
    }
  });
});

describe('delayed publish: held messages survive a restart (sqlite)', () => {
  it('pending at restart: delivered when due; overdue at restart: published at start to the persistent session', async () => {
    const first = await startBroker({ storage: { engine: 'sqlite' } }, true);
    const dataDir = first.dataDir;
    const subId = uniqueId('dp-durable');
    const session = {
      clientId: subId,
      clean: false,
      protocolVersion: 5 as const,
      properties: { sessionExpiryInterval: 3600 },
    };
    let b: TestBroker | undefined;
    const clients: TestClient[] = [];
    try {
      const sub = await connect(first.port, session);
      await sub.client.subscribeAsync('dr/#', { qos: 1 });
      await sub.end();
      const pub = await connect(first.port, { protocolVersion: 5 });
      const published = Date.now();
      assert.equal(
        await publishRc(pub, '$delayed/3/dr/overdue', 'o', { qos: 1, properties: { messageExpiryInterval: 600 } }),
        0,
      );
      assert.equal(await publishRc(pub, '$delayed/8/dr/pending', 'p', { qos: 2, retain: true }), 0);
      await pub.end();
      assert.equal(first.broker.delayed.size, 2);
      await first.stop();

      // the first is due while the broker is down
      await delay(Math.max(0, published + 3500 - Date.now()));
      b = await startBroker({ storage: { engine: 'sqlite' }, node: { data_dir: dataDir } }, true);
      const back = await connect(b.port, session);
      clients.push(back);
      const [overdue] = await back.waitFor(1, 5000);
      assert.equal(overdue!.topic, 'dr/overdue');
      assert.equal(overdue!.payload.toString(), 'o');
      const left = overdue!.packet.properties?.messageExpiryInterval;
      assert.ok(
        left !== undefined && left < 600 && left >= 590,
        `remaining expiry ${left} s, counted from publication`,
      );
      // the second is still held, and comes when due, not before
      assert.equal(b.broker.delayed.size, 1);
      const held = await b.broker.admin.listDelayed();
      assert.equal(held.items[0]!.topic, 'dr/pending');
      assert.equal(held.items[0]!.dueAtMs >= published + 8000, true);
      assert.equal(held.items[0]!.retain, true);
      const messages = await back.waitFor(2, 10_000);
      assert.ok(Date.now() >= published + 7900, 'not before its due time');
      assert.equal(messages[1]!.topic, 'dr/pending');
      assert.equal(b.broker.retained.get('dr/pending')?.payload.toString(), 'p');
      await back.end();
      clients.length = 0;
      await b.stop();

      // published ones are gone from storage
      b = await startBroker({ storage: { engine: 'sqlite' }, node: { data_dir: dataDir } }, true);
      assert.equal(b.broker.delayed.size, 0);
    } finally {
      for (const c of clients) await c.end(true);
      await b?.stop();
      const { rmSync } = await import('node:fs');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
