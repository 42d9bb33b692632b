// Shared subscriptions ($share/{group}/{filter} and $queue/{filter}): one message per group, the
// three member-selection strategies (shared.strategy), redelivery when a member leaves with
// unacknowledged messages, the QoS 2 rules [MQTT-4.8.2-4] [MQTT-4.8.2-5], share-name validation
// [MQTT-4.8.2-1] [MQTT-4.8.2-2], No Local [MQTT-3.8.3-4], granted QoS and retained messages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IConnackPacket, IDisconnectPacket, IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until, type TestClient } from '../helpers/clients.js';
import { connectPacket, RawClient } from '../helpers/raw-client.js';

const v5 = { protocolVersion: 5 } as const;

/** Payloads each client got, and a check that nothing arrived twice inside the group. */
function payloads(c: TestClient): string[] {
  return c.messages.map((m) => m.payload.toString());
}

function assertOncePerGroup(members: TestClient[], expected: string[]): void {
  const all = members.flatMap(payloads).sort();
  assert.deepEqual(all, [...expected].sort(), 'every message reached exactly one member of the group');
}

async function publishN(port: number, topic: string, n: number, qos: 0 | 1 | 2 = 1, prefix = 'm'): Promise<string[]> {
  const pub = await connect(port, v5);
  const sent: string[] = [];
  for (let i = 0; i < n; i++) {
    sent.push(`${prefix}${i}`);
    await pub.client.publishAsync(topic, `${prefix}${i}`, { qos });
  }
  await pub.end();
  return sent;
}

async function waitTotal(members: TestClient[], n: number, what = 'messages'): Promise<void> {
  await until(() => members.reduce((s, m) => s + m.messages.length, 0) >= n, 5000, `${n} ${what}`);
  await delay(150); // and nothing more
}

/** A raw member that never acknowledges anything unless told to. */
async function rawMember(
  port: number,
  version: 4 | 5,
  filter: string,
  qos: 0 | 1 | 2,
  opts: { clientId?: string; clean?: boolean; properties?: Record<string, unknown> } = {},
): Promise<{ c: RawClient; clientId: string }> {
  const clientId = opts.clientId ?? uniqueId('member');
  const c = await RawClient.open(port, version);
  c.write(
    connectPacket(clientId, version, {
      clean: opts.clean ?? true,
      ...(opts.properties ? { properties: opts.properties } : {}),
    }),
    version,
  );
  const connack = await c.next<IConnackPacket>('connack');
  assert.equal(connack.returnCode ?? connack.reasonCode ?? 0, 0);
  if (filter) {
    c.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }] } as Packet, version);
    const suback = await c.next<ISubackPacket>('suback');
    assert.deepEqual(suback.granted, [qos]);
  }
  return { c, clientId };
}

const rawPublishes = (c: RawClient): IPublishPacket[] =>
  c.packets.filter((p) => p.cmd === 'publish') as IPublishPacket[];

describe('shared subscriptions, round robin (the default)', () => {
  let b: TestBroker;
  const open: TestClient[] = [];
  const raws: RawClient[] = [];
  const member = async (filter: string, qos: 0 | 1 | 2 = 1, opts = {}) => {
    const c = await connect(b.port, { ...v5, ...opts });
    open.push(c);
    await c.client.subscribeAsync(filter, { qos });
    return c;
  };
  before(async () => {
    b = await startBroker();
    assert.equal(b.broker.config.shared.strategy, 'round_robin');
  });
  after(async () => {
    for (const c of open) await c.end(true);
    for (const r of raws) r.close();
    await b.stop();
  });

  it('each message goes to one member per group, in turn; a normal subscriber gets them all', async () => {
    const t = `share/${uniqueId()}`;
    const g1 = [await member(`$share/g1/${t}`), await member(`$share/g1/${t}`), await member(`$share/g1/${t}`)];
    const g2 = [await member(`$share/g2/${t}`), await member(`$share/g2/${t}`)];
    const normal = await member(t);
    const sent = await publishN(b.port, t, 12);
    await normal.waitFor(12);
    await waitTotal([...g1, ...g2], 24);
    assert.deepEqual(payloads(normal), sent);
    assertOncePerGroup(g1, sent);
    assertOncePerGroup(g2, sent);
    // strict rotation: member i of a group of n gets messages i, i+n, i+2n, ...
    for (const [group, n] of [
      [g1, 3],
      [g2, 2],
    ] as const) {
      for (const m of group) {
        const got = payloads(m).map((p) => Number(p.slice(1)));
        assert.equal(got.length, 12 / n, `an equal share: ${got.join(',')}`);
        assert.ok(
          got.every((k) => k % n === got[0]! % n),
          `member got every ${n}th message: ${got.join(',')}`,
        );
      }
    }
  });

  it('a wildcard filter is shared too, and a member in two groups gets one copy per group', async () => {
    const base = `share/${uniqueId()}`;
    const a = await member(`$share/ga/${base}/+`);
    await a.client.subscribeAsync(`$share/gb/${base}/#`, { qos: 1 });
    const sent = await publishN(b.port, `${base}/x`, 3);
    await waitTotal([a], 6);
    assert.deepEqual(payloads(a).sort(), [...sent, ...sent].sort());
  });

  it('$queue/{filter} is a shared subscription', async () => {
    const t = `queue/${uniqueId()}`;
    const q = [await member(`$queue/${t}`), await member(`$queue/${t}`)];
    const normal = await member(t);
    const sent = await publishN(b.port, t, 10);
    await normal.waitFor(10);
    await waitTotal(q, 10);
    assertOncePerGroup(q, sent);
    assert.deepEqual(
      q.map((m) => m.messages.length),
      [5, 5],
    );
  });

  it('the QoS granted to each member is respected [MQTT-4.8.2-3]', async () => {
    const t = `share/${uniqueId()}`;
    const q0 = await member(`$share/gq/${t}`, 0);
    const q1 = await member(`$share/gq/${t}`, 1);
    await publishN(b.port, t, 4, 2);
    await waitTotal([q0, q1], 4);
    assert.ok(q0.messages.length > 0 && q1.messages.length > 0);
    assert.ok(q0.messages.every((m) => m.packet.qos === 0));
    assert.ok(q1.messages.every((m) => m.packet.qos === 1));
  });

  it('a Subscription Identifier on a shared subscription is sent with its messages', async () => {
    const t = `share/${uniqueId()}`;
    const m = await connect(b.port, v5);
    open.push(m);
    await m.client.subscribeAsync(`$share/gid/${t}`, { qos: 1, properties: { subscriptionIdentifier: 77 } });
    await publishN(b.port, t, 1);
    const [got] = await m.waitFor(1);
    assert.equal(got!.packet.properties?.subscriptionIdentifier, 77);
  });

  it('retained messages are not sent when a shared subscription is made (4.8.2)', async () => {
    const t = `share/${uniqueId()}`;
    const pub = await connect(b.port, v5);
    open.push(pub);
    await pub.client.publishAsync(t, 'retained', { qos: 1, retain: true });
    const shared = await member(`$share/gr/${t}`);
    const normal = await member(t);
    await normal.waitFor(1);
    assert.equal(normal.messages[0]!.packet.retain, true);
    await pub.client.publishAsync(t, 'live', { qos: 1 });
    await shared.waitFor(1);
    await delay(100);
    assert.deepEqual(payloads(shared), ['live']);
    await pub.client.publishAsync(t, '', { qos: 1, retain: true });
  });

  it('a member that unsubscribes gets nothing more; the others get everything', async () => {
    const t = `share/${uniqueId()}`;
    const a = await member(`$share/gu/${t}`);
    const c = await member(`$share/gu/${t}`);
    await a.client.unsubscribeAsync(`$share/gu/${t}`);
    const sent = await publishN(b.port, t, 4);
    await waitTotal([a, c], 4);
    assert.deepEqual(payloads(a), []);
    assert.deepEqual(payloads(c), sent);
  });

  it('a member that leaves with unacknowledged QoS 1 messages: they go to another member', async () => {
    const t = `share/${uniqueId()}`;
    const leaving = await rawMember(b.port, 5, `$share/gl/${t}`, 1);
    raws.push(leaving.c);
    const staying = await member(`$share/gl/${t}`);
    const sent = await publishN(b.port, t, 4);
    await until(() => rawPublishes(leaving.c).length === 2, 3000, 'two PUBLISHes at the leaving member');
    await staying.waitFor(2);
    const held = rawPublishes(leaving.c).map((p) => p.payload.toString());
    leaving.c.close(); // never acknowledged, socket destroyed
    await staying.waitFor(4);
    await delay(100);
    assert.deepEqual(payloads(staying).sort(), [...sent].sort());
    assert.deepEqual(payloads(staying).slice(2).sort(), held.sort(), 'the redelivered ones are those it held');
  });

  it('the same for an MQTT 3.1.1 member with a persistent session, which does not get them again on return', async () => {
    const t = `share/${uniqueId()}`;
    const clientId = uniqueId('persist');
    const leaving = await rawMember(b.port, 4, `$share/gp/${t}`, 1, { clientId, clean: false });
    raws.push(leaving.c);
    const staying = await member(`$share/gp/${t}`);
    const sent = await publishN(b.port, t, 4);
    await until(() => rawPublishes(leaving.c).length === 2, 3000, 'two PUBLISHes at the leaving member');
    leaving.c.close();
    await staying.waitFor(4);
    assert.deepEqual(payloads(staying).sort(), [...sent].sort());
    const back = await rawMember(b.port, 4, '', 1, { clientId, clean: false });
    raws.push(back.c);
    await delay(300);
    assert.deepEqual(rawPublishes(back.c), [], 'nothing is delivered twice');
  });

  it('queued messages of a leaving member go to another member too', async () => {
    const t = `share/${uniqueId()}`;
    // a member whose Receive Maximum of 1 leaves one message in flight and the rest queued
    const leaving = await rawMember(b.port, 5, `$share/gw/${t}`, 1, { properties: { receiveMaximum: 1 } });
    raws.push(leaving.c);
    const staying = await member(`$share/gw/${t}`);
    const sent = await publishN(b.port, t, 6);
    await staying.waitFor(3);
    assert.equal(rawPublishes(leaving.c).length, 1);
    leaving.c.close();
    await staying.waitFor(6);
    assert.deepEqual(payloads(staying).sort(), [...sent].sort());
  });

  it('a QoS 2 message in flight stays with its member and is completed when it returns [MQTT-4.8.2-4]', async () => {
    const t = `share/${uniqueId()}`;
    const clientId = uniqueId('q2');
    const props = { sessionExpiryInterval: 30 };
    const leaving = await rawMember(b.port, 5, `$share/g2q/${t}`, 2, { clientId, properties: props });
    raws.push(leaving.c);
    const staying = await member(`$share/g2q/${t}`, 2);
    await publishN(b.port, t, 2, 2);
    await until(() => rawPublishes(leaving.c).length === 1, 3000, 'one PUBLISH at the leaving member');
    const held = rawPublishes(leaving.c)[0]!;
    await staying.waitFor(1);
    leaving.c.close(); // no PUBREC sent
    await delay(300);
    assert.equal(staying.messages.length, 1, 'not sent to another member');
    const back = await rawMember(b.port, 5, '', 2, { clientId, clean: false, properties: props });
    raws.push(back.c);
    const again = await back.c.next<IPublishPacket>('publish');
    assert.equal(again.payload.toString(), held.payload.toString());
    assert.equal(again.messageId, held.messageId);
    assert.equal(again.dup, true);
  });

  it('a QoS 2 message in flight is not sent to another member when its session ends [MQTT-4.8.2-5]', async () => {
    const t = `share/${uniqueId()}`;
    const leaving = await rawMember(b.port, 5, `$share/g2e/${t}`, 2); // Session Expiry 0
    raws.push(leaving.c);
    const staying = await member(`$share/g2e/${t}`, 2);
    await publishN(b.port, t, 2, 2);
    await until(() => rawPublishes(leaving.c).length === 1, 3000, 'one PUBLISH at the leaving member');
    await staying.waitFor(1);
    leaving.c.close();
    await delay(300);
    assert.equal(staying.messages.length, 1);
  });

  it('No Local on a shared subscription is a Protocol Error [MQTT-3.8.3-4]', async () => {
    const { c } = await rawMember(b.port, 5, '', 0);
    raws.push(c);
    c.write(
      {
        cmd: 'subscribe',
        messageId: 1,
        subscriptions: [{ topic: `$share/g/${uniqueId()}`, qos: 1, nl: true }],
      } as Packet,
      5,
    );
    const d = await c.next<IDisconnectPacket>('disconnect');
    assert.equal(d.reasonCode, 0x82);
    assert.ok(await c.waitClosed());
  });

  for (const version of [5, 4] as const) {
    it(`invalid share names get SUBACK ${version === 5 ? '0x8F' : '0x80'}, the valid filters beside them are granted (v${version}) [MQTT-4.8.2-1] [MQTT-4.8.2-2]`, async () => {
      const { c } = await rawMember(b.port, version, '', 0);
      raws.push(c);
      const bad = ['$share/a+b/x', '$share//x', '$share/g', '$share/g/', '$share/a#/x', '$share/g/a/#/b', '$share/+/x'];
      const good = [`$share/ok/${uniqueId()}/+`, '$queue/q/#'];
      c.write(
        {
          cmd: 'subscribe',
          messageId: 9,
          subscriptions: [...bad, ...good].map((topic) => ({ topic, qos: 1 })),
        } as Packet,
        version,
      );
      const suback = await c.next<ISubackPacket>('suback');
      const no = version === 5 ? 0x8f : 0x80;
      assert.deepEqual(suback.granted, [...bad.map(() => no), 1, 1]);
      assert.ok(!c.closed);
    });
  }
});

describe('shared subscriptions, strategy random', () => {
  let b: TestBroker;
  const open: TestClient[] = [];
  before(async () => {
    b = await startBroker({ shared: { strategy: 'random' } });
  });
  after(async () => {
    for (const c of open) await c.end(true);
    await b.stop();
  });

  it('spreads messages over the members at random, one per message', async () => {
    const t = `random/${uniqueId()}`;
    const members: TestClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await connect(b.port, v5);
      open.push(c);
      await c.client.subscribeAsync(`$share/gr/${t}`, { qos: 1 });
      members.push(c);
    }
    const sent = await publishN(b.port, t, 60);
    await waitTotal(members, 60);
    assertOncePerGroup(members, sent);
    assert.ok(
      members.every((m) => m.messages.length > 0),
      `all members got some: ${members.map((m) => m.messages.length)}`,
    );
    const rotation = members.every((m) => {
      const got = payloads(m).map((p) => Number(p.slice(1)));
      return got.every((k) => k % 3 === got[0]! % 3);
    });
    assert.ok(!rotation, 'not a strict rotation (the strategy is random)');
  });
});

describe('shared subscriptions, strategy hash_clientid', () => {
  let b: TestBroker;
  const open: TestClient[] = [];
  before(async () => {
    b = await startBroker({ shared: { strategy: 'hash_clientid' } });
  });
  after(async () => {
    for (const c of open) await c.end(true);
    await b.stop();
  });

  it('all messages of one publisher go to the same member', async () => {
    const t = `hash/${uniqueId()}`;
    const members: TestClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await connect(b.port, v5);
      open.push(c);
      await c.client.subscribeAsync(`$share/gh/${t}`, { qos: 1 });
      members.push(c);
    }
    const publishers = ['p', 'q', 'r', 's'];
    const sent: string[] = [];
    for (const p of publishers) sent.push(...(await publishN(b.port, t, 8, 1, p)));
    await waitTotal(members, sent.length);
    assertOncePerGroup(members, sent);
    for (const p of publishers) {
      const holders = members.filter((m) => payloads(m).some((x) => x.startsWith(p)));
      assert.equal(holders.length, 1, `publisher ${p}'s messages all went to one member`);
      assert.equal(payloads(holders[0]!).filter((x) => x.startsWith(p)).length, 8);
    }
  });

  it('when the chosen member is offline another one gets the messages', async () => {
    const t = `hash/${uniqueId()}`;
    const a = await connect(b.port, v5);
    const c = await connect(b.port, v5);
    open.push(a, c);
    await a.client.subscribeAsync(`$share/gx/${t}`, { qos: 1 });
    await c.client.subscribeAsync(`$share/gx/${t}`, { qos: 1 });
    // a persistent member that is offline stays in the group
    const clientId = uniqueId('off');
    const off = await connect(b.port, { ...v5, clientId, clean: false, properties: { sessionExpiryInterval: 30 } });
    await off.client.subscribeAsync(`$share/gx/${t}`, { qos: 1 });
    await off.end();
    const sent: string[] = [];
    for (const p of ['p', 'q', 'r', 's', 'u', 'v']) sent.push(...(await publishN(b.port, t, 2, 1, p)));
    await waitTotal([a, c], sent.length);
    assertOncePerGroup([a, c], sent);
  });
});
