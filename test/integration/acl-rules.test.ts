// Authorization of PUBLISH and SUBSCRIBE by ACL rules with real connections: who a rule is for
// (username, client id, IP/CIDR, all), action, QoS and retain conditions, placeholders, the literal
// `eq` form, first match wins, acl.no_match allow and deny, superusers, v3.1.1 and v5 reason codes,
// wills, retained messages, deny_action = "disconnect", and the decision cache when a rule is added.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IConnackPacket, IDisconnectPacket, IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';
import type { CreateAclRequest } from '../../src/lib/admin-api.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { uniqueId, until } from '../helpers/clients.js';
import { connectPacket, nothing, rawConnect, RawClient } from '../helpers/raw-client.js';

type V = 4 | 5;

/** A connected raw client with its own packet ids. */
class Client {
  private id = 0;
  constructor(
    readonly c: RawClient,
    readonly v: V,
  ) {}

  static async open(port: number, v: V, extra: Record<string, unknown> = {}, clientId = uniqueId('acl')) {
    const { c } = await rawConnect(port, clientId, v, extra);
    return new Client(c, v);
  }

  /** PUBLISH; for QoS 1/2, the reason code of the PUBACK / PUBREC (3.1.1: always 0). */
  async publish(topic: string, qos: 0 | 1 | 2 = 1, retain = false, payload = 'x'): Promise<number | undefined> {
    const messageId = ++this.id;
    this.c.write({ cmd: 'publish', topic, qos, retain, payload, messageId, dup: false } as Packet, this.v);
    if (qos === 0) return undefined;
    const ack = await this.c.next<Packet & { reasonCode?: number }>(qos === 1 ? 'puback' : 'pubrec');
    if (qos === 2 && (ack.reasonCode ?? 0) < 0x80) {
      this.c.write({ cmd: 'pubrel', messageId } as Packet, this.v);
      await this.c.next('pubcomp');
    }
    return ack.reasonCode ?? 0;
  }

  /** SUBSCRIBE one filter: the granted QoS or failure code. */
  async subscribe(topic: string, qos: 0 | 1 | 2 = 0): Promise<number> {
    this.c.write({ cmd: 'subscribe', messageId: ++this.id, subscriptions: [{ topic, qos }] } as Packet, this.v);
    return (await this.c.next<ISubackPacket>('suback')).granted[0] as number;
  }

  close(): void {
    this.c.close();
  }
}

const DENIED = 0x87;
/** v5 PUBACK when the publish was allowed and nobody subscribes. */
const NO_SUBSCRIBERS = 0x10;

describe('ACL rules, acl.no_match = "allow" (the default)', () => {
  let b: TestBroker;
  const open: Client[] = [];
  const client = async (v: V, extra: Record<string, unknown> = {}, clientId?: string) => {
    const c = await Client.open(b.port, v, extra, clientId);
    open.push(c);
    return c;
  };
  const rule = (r: Partial<CreateAclRequest> & Pick<CreateAclRequest, 'filter'>) =>
    b.broker.admin.createAcl({ principalKind: 'all', action: 'all', permission: 'deny', ...r });

  before(async () => {
    b = await startBroker();
    await b.broker.admin.createUser({ username: 'root', password: 'toor-toor', superuser: true });
  });
  after(async () => {
    for (const c of open) c.close();
    await b.stop();
  });

  it('no rule: everything is allowed', async () => {
    const c = await client(5);
    assert.equal(await c.publish('free/a'), NO_SUBSCRIBERS);
    assert.equal(await c.subscribe('free/#', 1), 1);
  });

  it('a rule for a username applies to that username only', async () => {
    await rule({ principalKind: 'user', principal: 'mallory', filter: 'who-user/#' });
    const mallory = await client(5, { username: 'mallory' });
    const bob = await client(5, { username: 'bob' });
    assert.equal(await mallory.publish('who-user/x'), DENIED);
    assert.equal(await mallory.subscribe('who-user/x'), DENIED);
    assert.equal(await bob.publish('who-user/x'), NO_SUBSCRIBERS);
  });

  it('a rule for a client id applies to that client id only', async () => {
    const id = uniqueId('banned-client');
    await rule({ principalKind: 'client', principal: id, filter: 'who-client/#' });
    assert.equal(await (await client(5, {}, id)).publish('who-client/x'), DENIED);
    assert.equal(await (await client(5)).publish('who-client/x'), NO_SUBSCRIBERS);
  });

  it('a rule for an IP address or CIDR range applies to clients connecting from it', async () => {
    await rule({ principalKind: 'ip', principal: '127.0.0.0/8', filter: 'who-ip/a' });
    await rule({ principalKind: 'ip', principal: '10.0.0.0/8', filter: 'who-ip/b' });
    await rule({ principalKind: 'ip', principal: '127.0.0.1', filter: 'who-ip/c' });
    const c = await client(5);
    assert.equal(await c.publish('who-ip/a'), DENIED);
    assert.equal(await c.publish('who-ip/b'), NO_SUBSCRIBERS, 'another range');
    assert.equal(await c.publish('who-ip/c'), DENIED);
  });

  it('action: a publish rule leaves subscriptions alone, and the other way round', async () => {
    await rule({ action: 'publish', filter: 'act-pub/#' });
    await rule({ action: 'subscribe', filter: 'act-sub/#' });
    const c = await client(5);
    assert.equal(await c.publish('act-pub/x'), DENIED);
    assert.equal(await c.subscribe('act-pub/x', 1), 1);
    assert.equal(await c.publish('act-sub/x'), NO_SUBSCRIBERS);
    assert.equal(await c.subscribe('act-sub/x', 1), DENIED);
  });

  it('a QoS condition: the rule applies to those QoS levels only (publish and subscribe)', async () => {
    await rule({ filter: 'qos/#', qos: [2] });
    const c = await client(5);
    assert.equal(await c.publish('qos/x', 1), NO_SUBSCRIBERS);
    assert.equal(await c.publish('qos/x', 2), DENIED, 'PUBREC 0x87');
    assert.equal(await c.subscribe('qos/x', 1), 1);
    assert.equal(await c.subscribe('qos/x', 2), DENIED);
  });

  it('a retain condition: only retained (or only non-retained) PUBLISHes', async () => {
    await rule({ action: 'publish', filter: 'ret/#', retain: true });
    const c = await client(5);
    assert.equal(await c.publish('ret/x', 1, false), NO_SUBSCRIBERS);
    assert.equal(await c.publish('ret/x', 1, true), DENIED);
    assert.equal(b.broker.retained.get('ret/x'), undefined, 'the denied retained message is not stored');
  });

  it('placeholders: ${username} and ${clientid} become the client values; no username, no match', async () => {
    await b.broker.admin.createAcl({
      principalKind: 'all',
      action: 'publish',
      permission: 'allow',
      filter: 'home/${username}/#',
    });
    await b.broker.admin.createAcl({
      principalKind: 'all',
      action: 'publish',
      permission: 'allow',
      filter: 'dev/${clientid}',
    });
    await rule({ action: 'publish', filter: 'home/#' });
    await rule({ action: 'publish', filter: 'dev/#' });
    const alice = await client(5, { username: 'alice' }, 'alice-dev');
    assert.equal(await alice.publish('home/alice/light'), NO_SUBSCRIBERS);
    assert.equal(await alice.publish('home/bob/light'), DENIED);
    assert.equal(await alice.publish('dev/alice-dev'), NO_SUBSCRIBERS);
    assert.equal(await alice.publish('dev/other'), DENIED);
    const anonymous = await client(5);
    assert.equal(await anonymous.publish('home/alice/light'), DENIED, 'the ${username} rule does not apply');
  });

  it('eq <filter>: the literal filter only', async () => {
    await rule({ action: 'subscribe', filter: 'eq lit/#' });
    const c = await client(5);
    assert.equal(await c.subscribe('lit/#'), DENIED);
    assert.equal(await c.subscribe('lit/a'), 0, 'not the same string: the rule does not apply');
  });

  it('the first rule that matches wins', async () => {
    await b.broker.admin.createAcl({ principalKind: 'all', action: 'all', permission: 'allow', filter: 'first/a' });
    await rule({ filter: 'first/#' });
    await rule({ filter: 'second/#' });
    await b.broker.admin.createAcl({ principalKind: 'all', action: 'all', permission: 'allow', filter: 'second/a' });
    const c = await client(5);
    assert.equal(await c.publish('first/a'), NO_SUBSCRIBERS);
    assert.equal(await c.publish('first/b'), DENIED);
    assert.equal(await c.publish('second/a'), DENIED, 'the earlier deny wins over the later allow');
  });

  it('a superuser is never checked', async () => {
    const root = await client(5, { username: 'root', password: Buffer.from('toor-toor') });
    assert.equal(await root.publish('who-ip/a'), NO_SUBSCRIBERS);
    assert.equal(await root.subscribe('act-sub/x', 1), 1);
  });

  it('subscriptions: a shared subscription is checked on its filter without $share/{group}/', async () => {
    await rule({ action: 'subscribe', filter: 'shared/#' });
    const c = await client(5);
    assert.equal(await c.subscribe('$share/g/shared/x'), DENIED);
    assert.equal(await c.subscribe('$queue/shared/x'), DENIED);
    assert.equal(await c.subscribe('$share/g/unshared/x'), 0);
  });

  it('MQTT 3.1.1: SUBACK 0x80; a denied QoS 1 PUBLISH is acknowledged [MQTT-3.3.5-2] but not delivered', async () => {
    await rule({ action: 'publish', filter: 'v4/denied' });
    await rule({ action: 'subscribe', filter: 'v4/nosub' });
    const root = await client(4, { username: 'root', password: Buffer.from('toor-toor') });
    assert.equal(await root.subscribe('v4/#', 1), 1);
    const c = await client(4);
    assert.equal(await c.subscribe('v4/nosub'), 0x80);
    const before = b.broker.metrics.aclDeniedPublish;
    assert.equal(await c.publish('v4/denied', 1), 0, 'a plain PUBACK');
    await c.publish('v4/denied', 0);
    assert.equal(await c.publish('v4/denied', 2), 0, 'a plain PUBREC, then PUBREL / PUBCOMP');
    assert.equal(await c.publish('v4/allowed', 1), 0);
    const got = await root.c.next<IPublishPacket>('publish');
    assert.equal(got.topic, 'v4/allowed', 'the denied messages were dropped');
    await nothing(root.c, 'publish');
    assert.equal(b.broker.metrics.aclDeniedPublish - before, 3);
    assert.ok((b.broker.metrics.dropped.acl_denied ?? 0) >= 3);
  });

  it('MQTT 5: a denied QoS 0 PUBLISH is dropped', async () => {
    await rule({ action: 'publish', filter: 'v5q0/denied' });
    const root = await client(5, { username: 'root', password: Buffer.from('toor-toor') });
    assert.equal(await root.subscribe('v5q0/#', 0), 0);
    const c = await client(5);
    await c.publish('v5q0/denied', 0);
    await c.publish('v5q0/allowed', 0);
    assert.equal((await root.c.next<IPublishPacket>('publish')).topic, 'v5q0/allowed');
  });

  it('retained messages are only sent on a subscription that is allowed', async () => {
    await rule({ action: 'subscribe', filter: 'keep/secret' });
    const root = await client(5, { username: 'root', password: Buffer.from('toor-toor') });
    await root.publish('keep/secret', 1, true);
    await root.publish('keep/open', 1, true);
    const c = await client(5);
    assert.equal(await c.subscribe('keep/secret'), DENIED);
    await nothing(c.c, 'publish');
    // keep/+ would bring keep/secret (retained, and every later message): a deny rule that overlaps refuses it
    assert.equal(await c.subscribe('keep/+'), DENIED);
    await nothing(c.c, 'publish');
    assert.equal(await c.subscribe('keep/open'), 0);
    const got = await c.c.next<IPublishPacket>('publish');
    assert.equal(got.topic, 'keep/open');
    await nothing(c.c, 'publish');
  });

  it('a resumed session keeps only the subscriptions its client may make now', async () => {
    const id = uniqueId('resume');
    const persistent = { clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await Client.open(b.port, 5, persistent, id);
    assert.equal(await first.subscribe('resume/x'), 0);
    assert.equal(await first.subscribe('resume-ok/x'), 0);
    first.close();
    await until(() => ![...b.broker.connections].some((c) => c.clientId === id && c.state === 'connected'));
    await rule({ action: 'subscribe', filter: 'resume/#' });
    const again = await Client.open(b.port, 5, persistent, id);
    const session = [...b.broker.connections].find((c) => c.clientId === id && c.state === 'connected')!.session!;
    assert.deepEqual([...session.subscriptions.keys()], ['resume-ok/x']);
    again.close();
  });

  it('a will the client may not publish refuses the CONNECT (v5 0x87, 3.1.1 return code 5)', async () => {
    await rule({ action: 'publish', filter: 'wills/forbidden' });
    for (const v of [4, 5] as const) {
      const c = await RawClient.open(b.port, v);
      c.write(connectPacket(uniqueId('will'), v, { will: { topic: 'wills/forbidden', payload: 'x', qos: 0 } }), v);
      const ack = await c.next<IConnackPacket>('connack');
      assert.equal(v === 5 ? ack.reasonCode : ack.returnCode, v === 5 ? DENIED : 5);
      c.close();
    }
    await client(5, { will: { topic: 'wills/allowed', payload: 'x', qos: 0 } });
  });

  it('a rule added while a client is connected applies to its next PUBLISH (the decision cache is emptied)', async () => {
    const c = await client(5);
    assert.equal(await c.publish('late/x'), NO_SUBSCRIBERS);
    assert.equal(await c.publish('late/x'), NO_SUBSCRIBERS, 'from the cache');
    const r = await rule({ filter: 'late/#' });
    assert.equal(await c.publish('late/x'), DENIED);
    await b.broker.admin.deleteAcl(r.id);
    assert.equal(await c.publish('late/x'), NO_SUBSCRIBERS, 'and when it is removed');
  });
});

describe('ACL rules, acl.no_match = "deny"', () => {
  let b: TestBroker;
  const open: Client[] = [];
  before(async () => {
    b = await startBroker({ acl: { no_match: 'deny' } });
    await b.broker.admin.createUser({ username: 'root', password: 'toor-toor', superuser: true });
    await b.broker.admin.createAcl({ principalKind: 'all', action: 'subscribe', permission: 'allow', filter: 'a/#' });
    await b.broker.admin.createAcl({ principalKind: 'all', action: 'subscribe', permission: 'allow', filter: 'b/c' });
    await b.broker.admin.createAcl({ principalKind: 'all', action: 'publish', permission: 'allow', filter: 'a/+' });
  });
  after(async () => {
    for (const c of open) c.close();
    await b.stop();
  });

  it('nothing is allowed that no rule allows (v5 0x87, 3.1.1 0x80)', async () => {
    for (const v of [4, 5] as const) {
      const c = await Client.open(b.port, v);
      open.push(c);
      assert.equal(await c.subscribe('z/#'), v === 5 ? DENIED : 0x80);
      if (v === 5) assert.equal(await c.publish('z/1'), DENIED);
    }
  });

  it('subscribe: the filter must be covered by an allow rule', async () => {
    const c = await Client.open(b.port, 5);
    open.push(c);
    assert.equal(await c.subscribe('a/b/+'), 0, 'a/# covers a/b/+');
    assert.equal(await c.subscribe('a'), 0, 'a/# covers a');
    assert.equal(await c.subscribe('b/c'), 0);
    assert.equal(await c.subscribe('b/#'), DENIED, 'b/c does not cover b/#');
    assert.equal(await c.subscribe('b/+'), DENIED);
    assert.equal(await c.publish('a/b'), NO_SUBSCRIBERS);
    assert.equal(await c.publish('a/b/c'), DENIED, 'a/+ does not match a/b/c');
  });

  it('a SUBSCRIBE with several filters: only the denied ones fail', async () => {
    const c = await Client.open(b.port, 5);
    open.push(c);
    c.c.write(
      {
        cmd: 'subscribe',
        messageId: 7,
        subscriptions: [
          { topic: 'a/x', qos: 1 },
          { topic: 'z/x', qos: 1 },
          { topic: 'b/c', qos: 2 },
        ],
      } as Packet,
      5,
    );
    assert.deepEqual((await c.c.next<ISubackPacket>('suback')).granted, [1, DENIED, 2]);
  });

  it('a deny rule refuses a subscription that could bring one of its topics: `deny z/secret/#` refuses `#` and `+/secret/x`', async () => {
    const rule = await b.broker.admin.createAcl({
      principalKind: 'all',
      action: 'subscribe',
      permission: 'deny',
      filter: 'z/secret/#',
    });
    const open2 = await b.broker.admin.createAcl({
      principalKind: 'all',
      action: 'subscribe',
      permission: 'allow',
      filter: '#',
    });
    try {
      const c = await Client.open(b.port, 5);
      open.push(c);
      assert.equal(await c.subscribe('#'), DENIED);
      assert.equal(await c.subscribe('+/secret/x'), DENIED);
      assert.equal(await c.subscribe('z/public/x'), 0);
    } finally {
      await b.broker.admin.deleteAcl(rule.id);
      await b.broker.admin.deleteAcl(open2.id);
    }
  });

  it('a superuser is allowed everything', async () => {
    const root = await Client.open(b.port, 5, { username: 'root', password: Buffer.from('toor-toor') });
    open.push(root);
    assert.equal(await root.subscribe('z/#', 1), 1);
    assert.equal(await root.publish('z/1'), 0);
  });
});

describe('acl.deny_action = "disconnect"', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ acl: { deny_action: 'disconnect' } });
    await b.broker.admin.createAcl({ principalKind: 'all', action: 'publish', permission: 'deny', filter: 'no/#' });
  });
  after(() => b.stop());

  it('v5: DISCONNECT 0x87, then the connection is closed', async () => {
    const c = await Client.open(b.port, 5);
    c.c.write(
      { cmd: 'publish', topic: 'no/x', qos: 1, messageId: 1, payload: 'x', retain: false, dup: false } as Packet,
      5,
    );
    const d = await c.c.next<IDisconnectPacket>('disconnect');
    assert.equal(d.reasonCode, DENIED);
    assert.ok(await c.c.waitClosed());
  });

  it('3.1.1: the connection is closed [MQTT-3.3.5-2]', async () => {
    const c = await Client.open(b.port, 4);
    c.c.write({ cmd: 'publish', topic: 'no/x', qos: 0, payload: 'x', retain: false, dup: false } as Packet, 4);
    assert.ok(await c.c.waitClosed());
    const ok = await Client.open(b.port, 4);
    assert.equal(await ok.publish('yes/x', 1), 0, 'an allowed PUBLISH is acknowledged');
    ok.close();
  });
});
