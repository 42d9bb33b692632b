// Slow subscriptions (src/server/features/slow-subscriptions.ts) with real subscribers: raw clients
// that hold back their PUBACK / PUBREC+PUBCOMP show up with their latency, a fast MQTT.js client does
// not; top_k keeps the slowest; entries expire; turning it off at run time removes the delivery hooks;
// and the CLI (`slow-subscribe list|clear`, table and --json) against `server start`, configured by
// environment variables, plus the REST route.
import assert from 'node:assert/strict';
import type { IPublishPacket, IPubrelPacket, Packet } from 'mqtt-packet';
import { after, afterEach, before, describe, it } from 'node:test';
import type { SlowSubscriptionInfo } from '../../src/lib/admin-api.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { jsonOf, runCli, startCliBroker, type CliBroker } from '../helpers/cli.js';
import { connect, delay, until, type TestClient } from '../helpers/clients.js';
import { rawConnect, rawSubscribe, type RawClient } from '../helpers/raw-client.js';

/** A raw v4 subscriber that acknowledges each QoS 1 PUBLISH (or completes QoS 2) only after `holdMs`. */
async function slowSubscriber(port: number, id: string, topic: string, qos: 1 | 2, holdMs: number): Promise<RawClient> {
  const { c } = await rawConnect(port, id, 4);
  await rawSubscribe(c, 4, topic, qos);
  c.socket.on('data', () => {
    for (;;) {
      const i = c.packets.findIndex((p) => p.cmd === 'publish' || p.cmd === 'pubrel');
      if (i < 0) return;
      const [p] = c.packets.splice(i, 1) as [IPublishPacket | IPubrelPacket];
      const messageId = p.messageId!;
      if (p.cmd === 'pubrel') c.write({ cmd: 'pubcomp', messageId } as Packet);
      else setTimeout(() => c.write({ cmd: qos === 1 ? 'puback' : 'pubrec', messageId } as Packet), holdMs);
    }
  });
  return c;
}

describe('slow subscriptions', () => {
  let b: TestBroker;
  const raw: RawClient[] = [];
  const clients: TestClient[] = [];

  before(async () => {
    b = await startBroker({
      slow_subs: { enabled: true, threshold_ms: 300, top_k: 2, expire_interval_s: 3 },
    });
  });
  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    for (const c of clients.splice(0)) await c.end(true);
    await b.broker.admin.clearSlowSubscriptions();
  });
  after(async () => {
    await b.stop();
  });

  const list = async (): Promise<SlowSubscriptionInfo[]> => (await b.broker.admin.listSlowSubscriptions()).items;

  it('a subscriber that holds its PUBACK is listed with its latency; a fast one is not', async () => {
    raw.push(await slowSubscriber(b.port, 'slow-qos1', 'slow/a', 1, 700));
    const fast = await connect(b.port, { clientId: 'fast-qos1' });
    clients.push(fast);
    await fast.client.subscribeAsync('slow/a', { qos: 1 });
    const pub = await connect(b.port, { clientId: 'pub-1' });
    clients.push(pub);
    await pub.client.publishAsync('slow/a', 'x', { qos: 1 });
    await fast.waitFor(1);
    await until(() => b.broker.slowSubs.all().length > 0, 5000, 'a slow entry');
    const items = await list();
    assert.equal(items.length, 1, JSON.stringify(items));
    const [e] = items;
    assert.equal(e!.clientId, 'slow-qos1');
    assert.equal(e!.topic, 'slow/a');
    assert.ok(e!.latencyMs >= 650 && e!.latencyMs > 300, `latency ${e!.latencyMs}`);
    assert.ok(Math.abs(e!.updatedAtMs - Date.now()) < 5000);
    assert.equal(e!.node, b.broker.nodeName);
  });

  it('QoS 2 is measured to PUBCOMP; top_k keeps the slowest; the same pair again updates its entry', async () => {
    raw.push(await slowSubscriber(b.port, 'slow-400', 'slow/b', 1, 400));
    raw.push(await slowSubscriber(b.port, 'slow-800', 'slow/b', 2, 800));
    raw.push(await slowSubscriber(b.port, 'slow-1200', 'slow/b', 1, 1200));
    const pub = await connect(b.port, { clientId: 'pub-2' });
    clients.push(pub);
    await pub.client.publishAsync('slow/b', 'y', { qos: 2 });
    await until(() => b.broker.slowSubs.all().some((e) => e.clientId === 'slow-1200'), 6000, 'the 1200 ms entry');
    const items = await list();
    // top_k = 2: the 400 ms one is gone, slowest first
    assert.deepEqual(
      items.map((e) => e.clientId),
      ['slow-1200', 'slow-800'],
    );
    assert.ok(items[0]!.latencyMs >= 1150, `${items[0]!.latencyMs}`);
    assert.ok(items[1]!.latencyMs >= 750 && items[1]!.latencyMs < items[0]!.latencyMs, `${items[1]!.latencyMs}`);
    const before = items[1]!.updatedAtMs;
    await delay(20);
    await pub.client.publishAsync('slow/b', 'z', { qos: 2 });
    await until(
      () => (b.broker.slowSubs.all().find((e) => e.clientId === 'slow-800')?.updatedAtMs ?? 0) > before,
      6000,
    );
    assert.equal((await list()).filter((e) => e.clientId === 'slow-800').length, 1, 'one entry per (client, topic)');
  });

  it('an entry expires expire_interval_s after it was last slow', async () => {
    raw.push(await slowSubscriber(b.port, 'slow-expire', 'slow/c', 1, 400));
    const pub = await connect(b.port, { clientId: 'pub-3' });
    clients.push(pub);
    await pub.client.publishAsync('slow/c', 'x', { qos: 1 });
    await until(() => b.broker.slowSubs.all().length === 1, 5000, 'the entry');
    const recorded = Date.now();
    await until(() => b.broker.slowSubs.all().length === 0, 6000, 'the entry to expire');
    assert.ok(Date.now() - recorded >= 2500, 'not before expire_interval_s');
  });

  it('turned off at run time: no hook on the delivery path, the list is empty; on again measures again', async () => {
    assert.ok(b.broker.hooks.has('message.acked'));
    await b.broker.admin.setConfig('slow_subs.enabled', 'false');
    assert.equal(b.broker.hooks.has('message.acked'), false);
    assert.equal(b.broker.hooks.has('message.delivered'), false);
    raw.push(await slowSubscriber(b.port, 'slow-off', 'slow/d', 1, 400));
    const pub = await connect(b.port, { clientId: 'pub-4' });
    clients.push(pub);
    await pub.client.publishAsync('slow/d', 'x', { qos: 1 });
    await delay(700);
    assert.deepEqual(await list(), []);
    await b.broker.admin.setConfig('slow_subs.enabled', 'true');
    await b.broker.admin.setConfig('slow_subs.threshold_ms', '100');
    await pub.client.publishAsync('slow/d', 'x', { qos: 1 });
    await until(() => b.broker.slowSubs.all().some((e) => e.clientId === 'slow-off'), 5000, 'measured again');
  });

  it('a broker with slow_subs off (the default) registers no delivery hook', async () => {
    const off = await startBroker();
    try {
      assert.equal(off.broker.config.slow_subs.enabled, false);
      assert.equal(off.broker.hooks.has('message.delivered'), false);
      assert.equal(off.broker.hooks.has('message.acked'), false);
    } finally {
      await off.stop();
    }
  });
});

describe('robustmq-cli slow-subscribe', () => {
  let s: CliBroker;
  let sub: RawClient;

  before(async () => {
    s = await startCliBroker([], { ROBUSTMQ_SLOW_SUBS_ENABLED: 'true', ROBUSTMQ_SLOW_SUBS_THRESHOLD_MS: '200' });
  });
  after(async () => {
    sub?.close();
    await s.stop();
  });

  it('list shows the slow subscriber (table and --json); clear empties it; REST lists the same', async () => {
    sub = await slowSubscriber(s.mqttPort, 'cli-slow', 'cli/slow/topic', 1, 500);
    const pub = await connect(s.mqttPort, { clientId: 'cli-pub' });
    await pub.client.publishAsync('cli/slow/topic', 'x', { qos: 1 });
    await pub.end();
    let rows: SlowSubscriptionInfo[] = [];
    for (let i = 0; i < 40 && rows.length === 0; i++) {
      rows = jsonOf<{ slowSubscriptions: SlowSubscriptionInfo[] }>(
        await runCli(['slow-subscribe', 'list', '--json', '--server', s.admin]),
      ).slowSubscriptions;
      if (rows.length === 0) await delay(250);
    }
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0]!.clientId, 'cli-slow');
    assert.equal(rows[0]!.topic, 'cli/slow/topic');
    assert.ok(rows[0]!.latencyMs > 200, `${rows[0]!.latencyMs}`);

    const table = await runCli(['slow-subscribe', 'list', '--server', s.admin]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /client id\s+│ topic\s+│ latency ms\s+│ last update\s+│ node/);
    assert.match(table.stdout, /cli-slow\s+│ cli\/slow\/topic\s+│ \d{3,}/);
    assert.match(table.stdout, /1 of 1 slow subscription\(s\)/);

    const rest = (await (await fetch(`${s.rest}/api/v1/slow-subscriptions`)).json()) as {
      slowSubscriptions: SlowSubscriptionInfo[];
      total: number;
    };
    assert.equal(rest.total, 1);
    assert.equal(rest.slowSubscriptions[0]!.clientId, 'cli-slow');

    const cleared = await runCli(['slow-subscribe', 'clear', '--server', s.admin]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /emptied/);
    const after = jsonOf<{ slowSubscriptions: unknown[]; total: number }>(
      await runCli(['slow-subscribe', 'list', '--json', '--server', s.admin]),
    );
    assert.deepEqual(after.slowSubscriptions, []);
    assert.equal(after.total, 0);
    const del = await fetch(`${s.rest}/api/v1/slow-subscriptions`, { method: 'DELETE' });
    assert.equal(del.status, 204);
  });
});
