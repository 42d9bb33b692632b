// Exclusive subscriptions ($exclusive/{filter}) with real MQTT.js clients (5.0 and 3.1.1): the first
// subscriber holds the filter, others get SUBACK 0x97 (v5) / 0x80 (3.1.1) until the holder
// unsubscribes, its session ends (clean disconnect, takeover by a clean start, admin delete) or an
// administrator takes it away; a disconnected persistent holder keeps it, also across a restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until, type TestClient } from '../helpers/clients.js';
import { isRobustMQError } from '../../src/lib/errors.js';

const QUOTA_EXCEEDED = 0x97;
const TOPIC_FILTER_INVALID = 0x8f;
const FAILURE_V3 = 0x80;

/** The SUBACK code for one filter (granted QoS or failure code). */
async function suback(c: TestClient, filter: string, qos: 0 | 1 | 2 = 1): Promise<number> {
  try {
    const granted = await c.client.subscribeAsync(filter, { qos });
    return granted[0]!.qos;
  } catch (err) {
    // MQTT.js rejects a v5 SUBACK failure, with the packet
    const packet = (err as { packet?: { granted: number[] } }).packet;
    if (packet === undefined) throw err;
    return packet.granted[0]!;
  }
}

const v5 = (extra: IClientOptions = {}): IClientOptions => ({ protocolVersion: 5, ...extra });
const persistent5 = (clientId: string): IClientOptions =>
  v5({ clientId, clean: false, properties: { sessionExpiryInterval: 300 } });

describe('exclusive subscriptions', () => {
  let b: TestBroker;
  const clients: TestClient[] = [];
  const open = async (opts: IClientOptions): Promise<TestClient> => {
    const c = await connect(b.port, opts);
    clients.push(c);
    return c;
  };
  before(async () => {
    b = await startBroker();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.end(true)));
    await b.stop();
  });

  it('the first subscriber holds the filter; others get 0x97 (v5) and 0x80 (3.1.1); the holder may subscribe again', async () => {
    const filter = `jobs/${uniqueId()}/+`;
    const holder = await open(v5());
    const other5 = await open(v5());
    const other3 = await open({ protocolVersion: 4 });
    assert.equal(await suback(holder, `$exclusive/${filter}`, 1), 1);
    assert.equal(await suback(other5, `$exclusive/${filter}`), QUOTA_EXCEEDED);
    assert.equal(await suback(other3, `$exclusive/${filter}`), FAILURE_V3);
    // the holder again: a replacement [MQTT-3.8.4-3], at the new QoS
    assert.equal(await suback(holder, `$exclusive/${filter}`, 2), 2);
    // the plain filter is not exclusive: anyone may subscribe to it
    assert.equal(await suback(other5, filter), 1);

    // the exclusive subscription matches like the plain filter
    const pub = await open(v5());
    await pub.client.publishAsync(filter.replace('+', 'a'), 'work', { qos: 1 });
    const [m] = await holder.waitFor(1);
    assert.equal(m!.topic, filter.replace('+', 'a'));
    assert.equal(m!.payload.toString(), 'work');
    await other5.waitFor(1);
    assert.equal(other3.messages.length, 0);

    const page = await b.broker.admin.listExclusive({ filter });
    assert.deepEqual(
      page.items.map((h) => [h.filter, h.clientId]),
      [[filter, holder.client.options.clientId]],
    );
  });

  it('freed when the holder unsubscribes', async () => {
    const filter = `unsub/${uniqueId()}`;
    const holder = await open(v5());
    const next = await open(v5());
    assert.equal(await suback(holder, `$exclusive/${filter}`), 1);
    assert.equal(await suback(next, `$exclusive/${filter}`), QUOTA_EXCEEDED);
    await holder.client.unsubscribeAsync(`$exclusive/${filter}`);
    assert.equal(await suback(next, `$exclusive/${filter}`), 1);
  });

  it('freed when the session ends: a clean session disconnects (3.1.1 and v5 expiry 0)', async () => {
    for (const opts of [{ protocolVersion: 4 as const }, v5()]) {
      const filter = `end/${uniqueId()}`;
      const holder = await open(opts);
      assert.equal(await suback(holder, `$exclusive/${filter}`), 1);
      const id = holder.client.options.clientId!;
      await holder.end();
      await until(() => b.broker.sessions.get(id) === undefined, 3000, 'the session to end');
      const next = await open(opts);
      assert.equal(await suback(next, `$exclusive/${filter}`), 1);
    }
  });

  it('a disconnected persistent holder keeps it; a takeover with clean start frees it', async () => {
    const filter = `keep/${uniqueId()}`;
    const id = uniqueId('holder');
    const holder = await open(persistent5(id));
    assert.equal(await suback(holder, `$exclusive/${filter}`), 1);
    await holder.end();
    await until(() => b.broker.sessions.get(id)?.connected === false, 3000, 'the holder to be offline');
    const other = await open(v5());
    assert.equal(await suback(other, `$exclusive/${filter}`), QUOTA_EXCEEDED, 'still held while offline');

    // resumed without clean start: still its own
    const resumed = await open(persistent5(id));
    assert.equal(await suback(other, `$exclusive/${filter}`), QUOTA_EXCEEDED);
    await resumed.end();
    await until(() => b.broker.sessions.get(id)?.connected === false, 3000, 'the holder to be offline');

    // [MQTT-3.1.2-4] clean start discards the session, and with it the claim
    const clean = await open(v5({ clientId: id, clean: true }));
    assert.equal(await suback(other, `$exclusive/${filter}`), 1);
    assert.equal(await suback(clean, `$exclusive/${filter}`), QUOTA_EXCEEDED);
  });

  it('freed when an administrator deletes the session, or the exclusive subscription itself', async () => {
    const f1 = `admin/${uniqueId()}`;
    const f2 = `admin/${uniqueId()}`;
    const id = uniqueId('holder');
    const holder = await open(persistent5(id));
    assert.equal(await suback(holder, `$exclusive/${f1}`), 1);
    assert.equal(await suback(holder, `$exclusive/${f2}`), 1);
    const other = await open(v5());

    await b.broker.admin.deleteExclusive(f1);
    assert.equal(b.broker.sessions.get(id)!.subscriptions.has(`$exclusive/${f1}`), false, 'gone from the session');
    assert.equal(b.broker.sessions.get(id)!.subscriptions.has(`$exclusive/${f2}`), true);
    assert.equal(await suback(other, `$exclusive/${f1}`), 1);
    await assert.rejects(b.broker.admin.deleteExclusive(`nothing/${uniqueId()}`), (err) => {
      return isRobustMQError(err) && err.code === 'RMQ_ERR_EXCLUSIVE_NOT_FOUND';
    });

    await b.broker.admin.deleteSession(id);
    assert.equal(await suback(other, `$exclusive/${f2}`), 1);
  });

  it('$exclusive/ cannot be shared: $exclusive/$share/... and $share/g/$exclusive/... are invalid (0x8F)', async () => {
    const c = await open(v5());
    assert.equal(await suback(c, `$exclusive/$share/g/x/${uniqueId()}`), TOPIC_FILTER_INVALID);
    assert.equal(await suback(c, `$share/g/$exclusive/x/${uniqueId()}`), TOPIC_FILTER_INVALID);
    const c3 = await open({ protocolVersion: 4 });
    assert.equal(await suback(c3, `$share/g/$exclusive/x/${uniqueId()}`), FAILURE_V3);
  });

  it('x and $exclusive/x of one client are one subscription: the later replaces the earlier', async () => {
    const filter = `both/${uniqueId()}`;
    const c = await open(v5());
    const other = await open(v5());
    assert.equal(await suback(c, filter), 1);
    assert.equal(await suback(c, `$exclusive/${filter}`), 1);
    const subs = [...b.broker.sessions.get(c.client.options.clientId!)!.subscriptions.keys()];
    assert.deepEqual(subs, [`$exclusive/${filter}`]);
    assert.equal(await suback(other, `$exclusive/${filter}`), QUOTA_EXCEEDED);
    // back to the plain filter: the exclusive claim is given up
    assert.equal(await suback(c, filter), 1);
    assert.equal(await suback(other, `$exclusive/${filter}`), 1);
    const pub = await open(v5());
    await pub.client.publishAsync(filter, 'one', { qos: 1 });
    await c.waitFor(1);
    await other.waitFor(1);
    await delay(100);
    assert.equal(c.messages.length, 1, 'one subscription, one copy');
  });
});

describe('exclusive subscriptions: exclusive.enabled = false', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ exclusive: { enabled: false } });
  });
  after(() => b.stop());

  it('refuses $exclusive/ filters as invalid (v5 0x8F, 3.1.1 0x80)', async () => {
    const c5 = await connect(b.port, v5());
    const c3 = await connect(b.port, { protocolVersion: 4 });
    try {
      assert.equal(await suback(c5, '$exclusive/off'), TOPIC_FILTER_INVALID);
      assert.equal(await suback(c3, '$exclusive/off'), FAILURE_V3);
      assert.equal((await b.broker.admin.listExclusive()).total, 0);
    } finally {
      await c5.end(true);
      await c3.end(true);
    }
  });
});

describe('exclusive subscriptions: restart (sqlite)', () => {
  it('a persistent holder still holds the filter after a restart', async () => {
    const first = await startBroker({ storage: { engine: 'sqlite' } }, true);
    const dataDir = first.dataDir;
    const id = uniqueId('holder');
    const filter = `restart/${uniqueId()}`;
    const holder = await connect(first.port, persistent5(id));
    assert.equal(await suback(holder, `$exclusive/${filter}`, 1), 1);
    await holder.end();
    await first.stop();

    const second = await startBroker({ storage: { engine: 'sqlite' }, node: { data_dir: dataDir } });
    try {
      const page = await second.broker.admin.listExclusive();
      assert.deepEqual(
        page.items.map((h) => [h.filter, h.clientId]),
        [[filter, id]],
      );
      const other = await connect(second.port, v5());
      assert.equal(await suback(other, `$exclusive/${filter}`), QUOTA_EXCEEDED);
      // the restored subscription delivers to the holder when it comes back
      const back = await connect(second.port, persistent5(id));
      await other.client.publishAsync(filter, 'after restart', { qos: 1 });
      const [m] = await back.waitFor(1);
      assert.equal(m!.payload.toString(), 'after restart');
      await other.end(true);
      await back.end(true);
    } finally {
      await second.stop();
      const { rmSync } = await import('node:fs');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
