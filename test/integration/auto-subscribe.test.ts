// Auto-subscribe with real clients (MQTT.js 5.0 and 3.1.1, mosquitto_sub): rules of the
// configuration file and of the admin API become subscriptions at CONNECT, without any SUBSCRIBE;
// placeholders are filled per client (a rule whose placeholder has no value is skipped), retain
// handling and no local are honoured for v5 clients, 3.1.1 clients get what 3.1.1 defines, and a
// rule the ACL denies is skipped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { spawnChild } from '../helpers/child.js';
import { connect, delay, uniqueId, until, type TestClient } from '../helpers/clients.js';
import { isRobustMQError, type ErrorCode } from '../../src/lib/errors.js';

const v5 = (extra: IClientOptions = {}): IClientOptions => ({ protocolVersion: 5, ...extra });

function hasCode(code: ErrorCode): (err: unknown) => boolean {
  return (err) => isRobustMQError(err) && err.code === code;
}

describe('auto-subscribe', () => {
  let b: TestBroker;
  const clients: TestClient[] = [];
  const open = async (opts: IClientOptions): Promise<TestClient> => {
    const c = await connect(b.port, opts);
    clients.push(c);
    return c;
  };
  const subscriptionsOf = (id: string): string[] => [...(b.broker.sessions.get(id)?.subscriptions.keys() ?? [])].sort();

  before(async () => {
    b = await startBroker({
      auto_subscribe: {
        rules: [
          { topic: 'devices/${clientid}/cmd', qos: 1 },
          { topic: 'users/${username}/inbox', qos: 2 },
          { topic: 'hosts/${host}/notice' },
          { topic: 'ret/all', retain_handling: 0 },
          { topic: 'ret/new', retain_handling: 1 },
          { topic: 'ret/never', retain_handling: 2 },
          { topic: 'chat/room', qos: 1, no_local: true, retain_as_published: true },
        ],
      },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.end(true)));
    await b.stop();
  });

  it('fills ${clientid}, ${username} and ${host} per client; a rule without a value is skipped (v5 and 3.1.1)', async () => {
    const idA = uniqueId('dev');
    const idB = uniqueId('dev');
    const a = await open(v5({ clientId: idA, username: 'alice' }));
    const c3 = await open({ protocolVersion: 4, clientId: idB });
    assert.deepEqual(subscriptionsOf(idA), [
      'chat/room',
      `devices/${idA}/cmd`,
      'hosts/127.0.0.1/notice',
      'ret/all',
      'ret/never',
      'ret/new',
      'users/alice/inbox',
    ]);
    // no username: users/${username}/inbox is skipped for it
    assert.ok(!subscriptionsOf(idB).some((f) => f.startsWith('users/')), subscriptionsOf(idB).join(', '));
    assert.ok(subscriptionsOf(idB).includes(`devices/${idB}/cmd`));

    const pub = await open(v5());
    await pub.client.publishAsync(`devices/${idA}/cmd`, 'to A', { qos: 1 });
    await pub.client.publishAsync(`devices/${idB}/cmd`, 'to B', { qos: 1 });
    await pub.client.publishAsync('users/alice/inbox', 'mail', { qos: 2 });
    await pub.client.publishAsync('hosts/127.0.0.1/notice', 'notice', { qos: 0 });
    const got = (await a.waitFor(3)).map((m) => `${m.topic}=${m.payload}`);
    assert.deepEqual(got.sort(), [
      `devices/${idA}/cmd=to A`,
      'hosts/127.0.0.1/notice=notice',
      'users/alice/inbox=mail',
    ]);
    const got3 = (await c3.waitFor(2)).map((m) => `${m.topic}=${m.payload}`);
    assert.deepEqual(got3.sort(), [`devices/${idB}/cmd=to B`, 'hosts/127.0.0.1/notice=notice']);
    // the rule's QoS: qos 1 on devices/..., qos 2 on the inbox
    assert.equal(a.messages.find((m) => m.topic.startsWith('devices/'))!.packet.qos, 1);
    assert.equal(a.messages.find((m) => m.topic.startsWith('users/'))!.packet.qos, 2);
  });

  it('retain handling: 0 at every connect, 1 only for a new subscription, 2 never; a 3.1.1 client gets them all', async () => {
    const pub = await open(v5());
    for (const t of ['ret/all', 'ret/new', 'ret/never'])
      await pub.client.publishAsync(t, `kept ${t}`, { qos: 1, retain: true });
    const retainedTopics = (c: TestClient) =>
      c.messages
        .filter((m) => m.packet.retain)
        .map((m) => m.topic)
        .sort();

    const id = uniqueId('ret');
    const first = await open(v5({ clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } }));
    await first.waitFor(2);
    await delay(200);
    // [MQTT-3.3.1-9] RH 0 sends, [MQTT-3.3.1-10] RH 1 sends for a new subscription, [MQTT-3.3.1-11] RH 2 does not
    assert.deepEqual(retainedTopics(first), ['ret/all', 'ret/new']);
    await first.end();
    await until(() => b.broker.sessions.get(id)?.connected === false, 3000, 'offline');

    // resumed: the session has the subscriptions already, so RH 1 sends nothing
    const again = await open(v5({ clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } }));
    await again.waitFor(1);
    await delay(200);
    assert.deepEqual(retainedTopics(again), ['ret/all']);

    // 3.1.1 has no retain handling: retained messages at every subscribe
    const c3 = await open({ protocolVersion: 4 });
    await c3.waitFor(3);
    assert.deepEqual(retainedTopics(c3), ['ret/all', 'ret/never', 'ret/new']);
    for (const t of ['ret/all', 'ret/new', 'ret/never']) await pub.client.publishAsync(t, '', { qos: 1, retain: true });
  });

  it('no local and retain as published for a v5 client; 3.1.1 gets its own messages back', async () => {
    const talker = await open(v5());
    const listener = await open(v5());
    const talker3 = await open({ protocolVersion: 4 });
    await talker.client.publishAsync('chat/room', 'from v5', { qos: 1, retain: true });
    const [m] = await listener.waitFor(1);
    assert.equal(m!.payload.toString(), 'from v5');
    assert.equal(m!.packet.retain, true, 'retain as published [MQTT-3.3.1-12]');
    await talker3.waitFor(1);
    await delay(200);
    // [MQTT-3.8.3-3] no local: not sent back to the v5 publisher
    assert.equal(talker.messages.filter((x) => x.payload.toString() === 'from v5').length, 0);
    await talker3.client.publishAsync('chat/room', 'from 3.1.1', { qos: 1 });
    await until(() => talker3.messages.some((x) => x.payload.toString() === 'from 3.1.1'), 3000, 'own message back');
    await talker.client.publishAsync('chat/room', '', { qos: 1, retain: true });
  });

  it('mosquitto_sub (3.1.1) receives on its auto-subscribed topic without subscribing to it', async () => {
    const id = uniqueId('mosq');
    const sub = spawnChild('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(b.port),
      '-i',
      id,
      '-V',
      'mqttv311',
      '-t',
      `unused/${id}`,
      '-v',
      '-C',
      '1',
      '-W',
      '10',
    ]);
    await until(() => b.broker.sessions.get(id)?.connected === true, 5000, 'mosquitto_sub connected');
    await delay(100);
    const pub = await open(v5());
    await pub.client.publishAsync(`devices/${id}/cmd`, 'hello mosquitto', { qos: 1 });
    const exit = await sub.exited(10_000);
    assert.equal(exit.code, 0, sub.stderr());
    assert.ok(sub.lines.includes(`devices/${id}/cmd hello mosquitto`), sub.lines.join('\n'));
  });

  it('admin API: create (stored), duplicates and bad topics refused, config rules listed but not deletable', async () => {
    const api = b.broker.admin;
    const rule = await api.createAutoSubscribe({ topic: 'api/${clientid}/in', qos: 1, retainHandling: 1 });
    assert.equal(rule.source, 'api');
    assert.match(rule.id, /^as-/);
    const stored = await b.broker.storage.loadFeatureRecords('auto-subscribe');
    assert.deepEqual(
      stored.map((r) => r.id),
      [rule.id],
    );
    const list = await api.listAutoSubscribes();
    assert.equal(list.total, 8);
    assert.deepEqual(
      list.items.map((r) => r.id),
      ['config-1', 'config-2', 'config-3', 'config-4', 'config-5', 'config-6', 'config-7', rule.id],
    );
    const paged = await api.listAutoSubscribes({ limit: 5 });
    const rest = await api.listAutoSubscribes({ limit: 5, pageToken: paged.nextPageToken });
    assert.deepEqual(
      [...paged.items, ...rest.items].map((r) => r.id),
      list.items.map((r) => r.id),
    );

    const id = uniqueId('api');
    await open(v5({ clientId: id }));
    assert.ok(subscriptionsOf(id).includes(`api/${id}/in`));

    await assert.rejects(
      api.createAutoSubscribe({ topic: 'api/${clientid}/in' }),
      hasCode('RMQ_ERR_AUTO_SUBSCRIBE_EXISTS'),
    );
    await assert.rejects(
      api.createAutoSubscribe({ topic: 'devices/${clientid}/cmd' }),
      hasCode('RMQ_ERR_AUTO_SUBSCRIBE_EXISTS'),
    );
    await assert.rejects(api.createAutoSubscribe({ topic: 'x/${password}' }), hasCode('RMQ_ERR_TOPIC_INVALID'));
    await assert.rejects(api.createAutoSubscribe({ topic: 'x/#/y' }), hasCode('RMQ_ERR_TOPIC_INVALID'));
    await assert.rejects(
      api.createAutoSubscribe({ topic: '$share/g/x', noLocal: true }),
      hasCode('RMQ_ERR_TOPIC_INVALID'),
    );
    await assert.rejects(api.createAutoSubscribe({ topic: 'x', qos: 3 }), hasCode('RMQ_ERR_INVALID_ARGUMENT'));
    await assert.rejects(api.deleteAutoSubscribe('config-1'), hasCode('RMQ_ERR_CONFIG_DEFINED'));
    await assert.rejects(api.deleteAutoSubscribe('devices/${clientid}/cmd'), hasCode('RMQ_ERR_CONFIG_DEFINED'));
    await assert.rejects(api.deleteAutoSubscribe('no/such/rule'), hasCode('RMQ_ERR_AUTO_SUBSCRIBE_NOT_FOUND'));

    // by topic; clients connecting afterwards no longer get it
    await api.deleteAutoSubscribe('api/${clientid}/in');
    assert.equal((await b.broker.storage.loadFeatureRecords('auto-subscribe')).length, 0);
    const id2 = uniqueId('api');
    await open(v5({ clientId: id2 }));
    assert.ok(!subscriptionsOf(id2).includes(`api/${id2}/in`));
  });

  it('a rule the ACL denies is skipped (and logged); the others apply', async () => {
    const api = b.broker.admin;
    const rule = await api.createAutoSubscribe({ topic: 'secret/${clientid}' });
    const acl = await api.createAcl({
      principalKind: 'all',
      principal: '',
      filter: 'secret/#',
      action: 'subscribe',
      permission: 'deny',
    });
    try {
      const id = uniqueId('acl');
      const c = await open(v5({ clientId: id }));
      assert.ok(!subscriptionsOf(id).includes(`secret/${id}`), 'denied rule skipped');
      assert.ok(subscriptionsOf(id).includes(`devices/${id}/cmd`), 'the other rules apply');
      const pub = await open(v5());
      await pub.client.publishAsync(`secret/${id}`, 'no', { qos: 1 });
      await pub.client.publishAsync(`devices/${id}/cmd`, 'yes', { qos: 1 });
      const [m] = await c.waitFor(1);
      assert.equal(m!.payload.toString(), 'yes');
      await delay(200);
      assert.equal(c.messages.filter((x) => x.topic.startsWith('secret/')).length, 0);
    } finally {
      await api.deleteAcl(acl.id);
      await api.deleteAutoSubscribe(rule.id);
    }
  });
});

describe('auto-subscribe: an exclusive rule', () => {
  it('$exclusive/ in a rule: the first client to connect holds it, the next one is skipped', async () => {
    const b = await startBroker({ auto_subscribe: { rules: [{ topic: '$exclusive/leader' }] } });
    const a = await connect(b.port, v5());
    const c = await connect(b.port, v5());
    try {
      const held = await b.broker.admin.listExclusive();
      assert.deepEqual(
        held.items.map((h) => [h.filter, h.clientId]),
        [['leader', a.client.options.clientId]],
      );
      assert.equal(b.broker.sessions.get(c.client.options.clientId!)!.subscriptions.size, 0);
    } finally {
      await a.end(true);
      await c.end(true);
      await b.stop();
    }
  });
});
