// Topic rewrite end to end with real MQTT.js clients (v5 and 3.1.1) on an in-process broker: the
// rules of the config file ([[topic_rewrite.rules]]) and runtime ones (the AdminApi), which rule
// applies when several match (the last, as in EMQX), $N captures and ${clientid}/${username}, a
// destination that is not a topic (kept), the ACL checked on the rewritten topic, shared
// subscriptions (the filter after $share/{group}/), UNSUBSCRIBE, and the will.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, type TestClient } from '../helpers/clients.js';
import { isRobustMQError } from '../../src/lib/errors.js';

const CONFIG_RULES = [
  // action filtering: publish only
  { action: 'publish', source_topic: 'x/#', regex: '^x/y/(.+)$', dest_topic: 'z/$1' },
  // subscribe only
  { action: 'subscribe', source_topic: 'old/#', regex: '^old/(.+)$', dest_topic: 'new/$1' },
  // two rules whose filters both match o/y/2: the later one applies
  { action: 'all', source_topic: 'o/#', regex: '^o/y/(.+)$', dest_topic: 'first/$1' },
  { action: 'all', source_topic: 'o/y/+', regex: '^o/y/(\\d+)$', dest_topic: 'last/$1' },
  // captures and placeholders
  {
    action: 'publish',
    source_topic: 'tenant/+/+',
    regex: '^tenant/([^/]+)/([^/]+)$',
    dest_topic: 't/${username}/$2/$1/${clientid}',
  },
  // a destination that can come out empty (topic "inv/") or, for a filter, invalid ("#/end")
  { action: 'publish', source_topic: 'inv/#', regex: '^inv/(.*)$', dest_topic: '$1' },
  { action: 'subscribe', source_topic: 'sub/#', regex: '^sub/(.+)$', dest_topic: '$1/end' },
  // ACL: rewriting comes first
  { action: 'publish', source_topic: 'secret/#', regex: '^secret/(.+)$', dest_topic: 'open/$1' },
  { action: 'publish', source_topic: 'plain/#', regex: '^plain/(.+)$', dest_topic: 'guarded/$1' },
  { action: 'subscribe', source_topic: 'ssecret/#', regex: '^ssecret/(.+)$', dest_topic: 'sopen/$1' },
  // shared subscriptions
  { action: 'subscribe', source_topic: 's/#', regex: '^s/(.+)$', dest_topic: 'shared/$1' },
  // the will
  { action: 'publish', source_topic: 'will/#', regex: '^will/(.+)$', dest_topic: 'wills/$1' },
] as const;

describe('topic rewrite', () => {
  let b: TestBroker;
  const clients: TestClient[] = [];

  before(async () => {
    b = await startBroker({ topic_rewrite: { rules: CONFIG_RULES.map((r) => ({ ...r })) } });
    const admin = b.broker.admin;
    await admin.createAcl({ principalKind: 'all', filter: 'secret/#', action: 'publish', permission: 'deny' });
    await admin.createAcl({ principalKind: 'all', filter: 'guarded/#', action: 'publish', permission: 'deny' });
    await admin.createAcl({ principalKind: 'all', filter: 'ssecret/#', action: 'subscribe', permission: 'deny' });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.end(true)));
    await b.stop();
  });

  async function client(opts: Parameters<typeof connect>[1] = {}): Promise<TestClient> {
    const c = await connect(b.port, { protocolVersion: 5, ...opts });
    clients.push(c);
    return c;
  }

  /** A client subscribed to each filter (QoS 1). */
  async function subscriber(...filters: string[]): Promise<TestClient> {
    const c = await client();
    for (const f of filters) await c.client.subscribeAsync(f, { qos: 1 });
    return c;
  }

  /** Topics received within a short quiet period after the publishes. */
  async function topicsSeen(c: TestClient, n: number): Promise<string[]> {
    if (n > 0) await c.waitFor(n);
    await delay(150);
    return c.messages.map((m) => m.topic);
  }

  it('rewrites a PUBLISH topic (v5 and 3.1.1): the destination gets it, the source does not', async () => {
    const sub = await subscriber('z/#', 'x/#');
    for (const protocolVersion of [5, 4] as const) {
      const pub = await client({ protocolVersion });
      await pub.client.publishAsync('x/y/v' + protocolVersion, 'hello', { qos: 1 });
    }
    assert.deepEqual((await topicsSeen(sub, 2)).sort(), ['z/v4', 'z/v5']);
    assert.equal(sub.messages[0]!.payload.toString(), 'hello');
  });

  it('rewrites a SUBSCRIBE filter, and the UNSUBSCRIBE of the same filter', async () => {
    const sub = await subscriber('old/a');
    const pub = await client();
    await pub.client.publishAsync('new/a', 'n1', { qos: 1 });
    // a subscribe rule does not touch PUBLISH: old/a stays old/a, which nobody subscribed to
    await pub.client.publishAsync('old/a', 'o1', { qos: 1 });
    assert.deepEqual(await topicsSeen(sub, 1), ['new/a']);
    await sub.client.unsubscribeAsync('old/a');
    await pub.client.publishAsync('new/a', 'n2', { qos: 1 });
    assert.deepEqual(await topicsSeen(sub, 0), ['new/a'], 'the rewritten subscription is gone');
  });

  it('action filtering: a publish rule leaves SUBSCRIBE alone', async () => {
    const sub = await subscriber('x/y/q');
    const pub = await client();
    await pub.client.publishAsync('z/q', 'direct', { qos: 1 });
    await delay(150);
    assert.equal(sub.messages.length, 0, 'x/y/q was not rewritten to z/q');
    const subs = await b.broker.admin.listSubscriptions({ clientId: sub.client.options.clientId });
    assert.deepEqual(
      subs.items.map((s) => s.filter),
      ['x/y/q'],
    );
  });

  it('when several filters match, the last rule applies; its regex not matching keeps the topic', async () => {
    const sub = await subscriber('first/#', 'last/#', 'o/#');
    const pub = await client();
    await pub.client.publishAsync('o/y/2', '1', { qos: 1 }); // both filters: the last rule -> last/2
    await pub.client.publishAsync('o/y/z', '2', { qos: 1 }); // the last rule's filter, not its regex: kept
    await pub.client.publishAsync('o/y/z/w', '3', { qos: 1 }); // only the first rule's filter -> first/z/w
    assert.deepEqual((await topicsSeen(sub, 3)).sort(), ['first/z/w', 'last/2', 'o/y/z']);
  });

  it('fills $1..$9 from the regex and ${username} / ${clientid} from the client; no username: kept', async () => {
    const sub = await subscriber('t/#', 'tenant/#');
    const alice = await client({ username: 'alice', clientId: 'dev-7' });
    await alice.client.publishAsync('tenant/acme/temp', '21', { qos: 1 });
    assert.deepEqual(await topicsSeen(sub, 1), ['t/alice/temp/acme/dev-7']);
    const anonymous = await client({ clientId: 'dev-8', protocolVersion: 4 });
    await anonymous.client.publishAsync('tenant/acme/temp', '22', { qos: 1 });
    assert.deepEqual(await topicsSeen(sub, 2), ['t/alice/temp/acme/dev-7', 'tenant/acme/temp']);
  });

  it('a destination that is not a valid topic name or filter keeps the original topic', async () => {
    const sub = await subscriber('inv/#');
    const pub = await client();
    // "inv/" -> "" (empty): not a topic name, routed as inv/
    await pub.client.publishAsync('inv/', 'e', { qos: 1 });
    // "inv/ok" -> "ok"
    const okSub = await subscriber('ok');
    await pub.client.publishAsync('inv/ok', 'k', { qos: 1 });
    assert.deepEqual(await topicsSeen(sub, 1), ['inv/']);
    assert.deepEqual(await topicsSeen(okSub, 1), ['ok']);
    // "sub/#" -> "#/end": not a filter, subscribed as sub/#; "sub/a" -> "a/end"
    const fsub = await subscriber('sub/#', 'sub/a');
    const subs = await b.broker.admin.listSubscriptions({ clientId: fsub.client.options.clientId });
    assert.deepEqual(subs.items.map((s) => s.filter).sort(), ['a/end', 'sub/#']);
  });

  it('rewrites before the ACL: a deny on the source topic does not apply to its destination', async () => {
    const sub = await subscriber('open/#');
    const pub = await client();
    await pub.client.publishAsync('secret/doc', 'ok', { qos: 1 }); // PUBACK 0x00 (a failure code rejects)
    assert.deepEqual(await topicsSeen(sub, 1), ['open/doc']);
    // and on SUBSCRIBE: ssecret/x is denied, its destination sopen/x is not
    const ssub = await client();
    const granted = await ssub.client.subscribeAsync('ssecret/x', { qos: 1 });
    assert.equal(granted[0]!.qos, 1, 'granted: the ACL saw sopen/x');
    await pub.client.publishAsync('sopen/x', 's', { qos: 1 });
    assert.deepEqual(await topicsSeen(ssub, 1), ['sopen/x']);
  });

  it('rewrites before the ACL: a deny on the destination applies though the source is allowed', async () => {
    const sub = await subscriber('guarded/#', 'plain/#');
    const pub = await client();
    // v5: PUBACK 0x87 Not authorized [MQTT-3.4.2-1]; mqtt.js rejects a PUBACK with a failure code
    await assert.rejects(pub.client.publishAsync('plain/a', 'no', { qos: 1 }), /135|Not authorized/i);
    assert.deepEqual(await topicsSeen(sub, 0), []);
  });

  it('rewrites the filter of a shared subscription after $share/{group}/', async () => {
    const member = await subscriber('$share/g1/s/a');
    const pub = await client();
    await pub.client.publishAsync('shared/a', 'to the group', { qos: 1 });
    assert.deepEqual(await topicsSeen(member, 1), ['shared/a']);
    const subs = await b.broker.admin.listSubscriptions({ clientId: member.client.options.clientId });
    assert.deepEqual(
      subs.items.map((s) => s.filter),
      ['$share/g1/shared/a'],
    );
  });

  it('rewrites the will topic with the publish rules at CONNECT', async () => {
    const sub = await subscriber('wills/#', 'will/#');
    const dying = await connect(b.port, {
      protocolVersion: 5,
      will: { topic: 'will/dev-9', payload: Buffer.from('gone'), qos: 1, retain: false },
    });
    dying.client.stream.destroy(); // no DISCONNECT: the will is published [MQTT-3.1.2-8]
    assert.deepEqual(await topicsSeen(sub, 1), ['wills/dev-9']);
  });

  it('runtime rules: placed by position or before, listed after the config rules, deleted; bad ones refused', async () => {
    const admin = b.broker.admin;
    const nConfig = CONFIG_RULES.length;
    const a = await admin.createTopicRewrite({
      action: 'publish',
      sourceTopic: 'rt/#',
      regex: '^rt/(.+)$',
      destTopic: 'rt-a/$1',
    });
    assert.equal(a.position, nConfig + 1);
    assert.equal(a.source, 'api');
    const sub = await subscriber('rt-a/#', 'rt-b/#');
    const pub = await client();
    await pub.client.publishAsync('rt/1', '1', { qos: 1 });
    assert.deepEqual(await topicsSeen(sub, 1), ['rt-a/1']);

    // before a: tried after a (the end of the list first), so a still applies
    const c = await admin.createTopicRewrite({
      action: 'publish',
      sourceTopic: 'rt/#',
      regex: '^rt/(.+)$',
      destTopic: 'rt-b/$1',
      before: a.id,
    });
    assert.equal(c.position, nConfig + 1);
    await pub.client.publishAsync('rt/2', '2', { qos: 1 });
    assert.deepEqual(await topicsSeen(sub, 2), ['rt-a/1', 'rt-a/2']);

    const list = await admin.listTopicRewrites();
    assert.equal(list.total, nConfig + 2);
    assert.deepEqual(
      list.items.slice(0, 2).map((r) => [r.id, r.source, r.position]),
      [
        ['config-1', 'config', 1],
        ['config-2', 'config', 2],
      ],
    );
    assert.deepEqual(
      list.items.slice(nConfig).map((r) => r.id),
      [c.id, a.id],
    );
    // paged
    const first = await admin.listTopicRewrites({ limit: nConfig });
    const rest = await admin.listTopicRewrites({ limit: nConfig, pageToken: first.nextPageToken });
    assert.deepEqual(
      rest.items.map((r) => r.id),
      [c.id, a.id],
    );

    // a deleted: c applies
    await admin.deleteTopicRewrite(a.id);
    await pub.client.publishAsync('rt/3', '3', { qos: 1 });
    assert.deepEqual(await topicsSeen(sub, 3), ['rt-a/1', 'rt-a/2', 'rt-b/3']);
    await admin.deleteTopicRewrite(c.id);

    const code = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
        return 'ok';
      } catch (err) {
        assert.ok(isRobustMQError(err), String(err));
        return err.code;
      }
    };
    const rule = { action: 'all' as const, sourceTopic: 'q/#', regex: '^q/(.+)$', destTopic: 'r/$1' };
    assert.equal(await code(admin.createTopicRewrite({ ...rule, regex: '^q/(.+$' })), 'RMQ_ERR_INVALID_ARGUMENT');
    assert.equal(await code(admin.createTopicRewrite({ ...rule, regex: '^(a+)+$' })), 'RMQ_ERR_INVALID_ARGUMENT');
    assert.equal(await code(admin.createTopicRewrite({ ...rule, destTopic: 'r/$2' })), 'RMQ_ERR_INVALID_ARGUMENT');
    assert.equal(await code(admin.createTopicRewrite({ ...rule, destTopic: 'r/#' })), 'RMQ_ERR_INVALID_ARGUMENT');
    assert.equal(await code(admin.createTopicRewrite({ ...rule, position: 1 })), 'RMQ_ERR_INVALID_ARGUMENT');
    assert.equal(await code(admin.createTopicRewrite({ ...rule, before: 'nope' })), 'RMQ_ERR_TOPIC_REWRITE_NOT_FOUND');
    assert.equal(await code(admin.deleteTopicRewrite('config-1')), 'RMQ_ERR_CONFIG_DEFINED');
    assert.equal(await code(admin.createTopicRewrite({ ...rule, before: 'config-1' })), 'RMQ_ERR_CONFIG_DEFINED');
    assert.equal(await code(admin.deleteTopicRewrite('nope')), 'RMQ_ERR_TOPIC_REWRITE_NOT_FOUND');
    assert.equal((await admin.listTopicRewrites()).total, nConfig);
  });
});

describe('topic rewrite: no rules', () => {
  it('leaves the feature slot empty (nothing runs on PUBLISH), and fills it with the first runtime rule', async () => {
    const b = await startBroker();
    try {
      assert.equal(b.broker.features.rewrite, undefined);
      const r = await b.broker.admin.createTopicRewrite({
        action: 'publish',
        sourceTopic: 'a/#',
        regex: '^a/(.+)$',
        destTopic: 'b/$1',
      });
      assert.ok(b.broker.features.rewrite);
      await b.broker.admin.deleteTopicRewrite(r.id);
      assert.equal(b.broker.features.rewrite, undefined);
    } finally {
      await b.stop();
    }
  });

  it('a bad config rule stops the start with the key and the reason', async () => {
    await assert.rejects(
      startBroker({ topic_rewrite: { rules: [{ action: 'all', source_topic: 'a/#', regex: '(', dest_topic: 'b' }] } }),
      /topic_rewrite\.rules\.0.*not a valid regular expression/,
    );
  });
});
