// Created topics and their partitioned logs, through real MQTT clients: partition choice by
// `partition-key` or publisher, order per partition, offline persistent sessions holding a cursor
// instead of copies (one stored copy per message) and replayed at their next connection (also across
// a restart), `start-from` on SUBSCRIBE (earliest, latest, a time), retention by size and age, and
// topics never created staying plain MQTT topics. Runs on memory and on every durable engine.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { ISubackPacket, Packet } from 'mqtt-packet';
import { isRobustMQError } from '../../src/lib/errors.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until } from '../helpers/clients.js';
import { durableEngines, type DurableStore } from '../helpers/durable-engines.js';
import { rawConnect } from '../helpers/raw-client.js';

interface EngineCase {
  name: string;
  durable: boolean;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  newStore(): Promise<DurableStore>;
}

const cases: EngineCase[] = [
  {
    name: 'memory',
    durable: false,
    newStore: async () => ({ overrides: { storage: { engine: 'memory' } }, cliArgs: [], remove: async () => {} }),
  },
  ...durableEngines.map((e) => ({ ...e, durable: true })),
];

function code(err: unknown): string | undefined {
  return isRobustMQError(err) ? err.code : undefined;
}

for (const engine of cases) {
  describe(`topic logs: ${engine.name}`, () => {
    let store: DurableStore;
    let tb: TestBroker | undefined;

    before(async () => engine.setup?.());
    after(async () => engine.teardown?.());
    beforeEach(async () => {
      store = await engine.newStore();
      tb = await startBroker(store.overrides, true);
    });
    afterEach(async () => {
      await tb?.stop();
      tb = undefined;
      await store.remove();
    });

    it('create refuses bad names, partition counts and duplicates; delete needs an existing topic', () => {
      const logs = tb!.broker.logs;
      assert.throws(
        () => logs.create({ name: 'a/+' }),
        (e) => code(e) === 'RMQ_ERR_INVALID_ARGUMENT',
      );
      assert.throws(
        () => logs.create({ name: '$SYS/x' }),
        (e) => code(e) === 'RMQ_ERR_INVALID_ARGUMENT',
      );
      assert.throws(
        () => logs.create({ name: 'ok', partitions: 0 }),
        (e) => code(e) === 'RMQ_ERR_INVALID_ARGUMENT',
      );
      assert.throws(
        () => logs.create({ name: 'ok', partitions: 1025 }),
        (e) => code(e) === 'RMQ_ERR_INVALID_ARGUMENT',
      );
      assert.throws(
        () => logs.create({ name: 'ok', retentionMs: -1 }),
        (e) => code(e) === 'RMQ_ERR_INVALID_ARGUMENT',
      );
      const t = logs.create({ name: 'ok', partitions: 3, retentionMs: 60_000 });
      assert.deepEqual([t.name, t.partitions, t.retentionMs, t.retentionBytes], ['ok', 3, 60_000, 0]);
      assert.throws(
        () => logs.create({ name: 'ok' }),
        (e) => code(e) === 'RMQ_ERR_TOPIC_EXISTS',
      );
      assert.throws(
        () => logs.delete('nope'),
        (e) => code(e) === 'RMQ_ERR_TOPIC_NOT_FOUND',
      );
      logs.delete('ok');
      assert.deepEqual(logs.list(), []);
    });

    it('a message goes to the partition of its partition-key, else of its publisher; order kept per partition', async () => {
      const b = tb!;
      b.broker.logs.create({ name: 'orders', partitions: 4 });
      const pub = await connect(b.port, { protocolVersion: 5 });
      for (let i = 0; i < 40; i++) {
        await pub.client.publishAsync('orders', `k${i % 5}:${i}`, {
          qos: 1,
          properties: { userProperties: { 'partition-key': `k${i % 5}` } },
        });
      }
      const other = await connect(b.port, { protocolVersion: 5 });
      for (let i = 0; i < 5; i++) await other.client.publishAsync('orders', `nokey:${i}`, { qos: 1 });
      await pub.end();
      await other.end();
      const partitionOf = new Map<string, number>();
      let total = 0;
      for (let p = 0; p < 4; p++) {
        const entries = await b.broker.logs.read('orders', p, 0, 1000);
        total += entries.length;
        assert.deepEqual(
          entries.map((e) => e.offset),
          entries.map((_, i) => i),
          'offsets 0, 1, 2... per partition',
        );
        const seen = new Map<string, number>();
        for (const e of entries) {
          const [key, n] = e.message.payload.toString().split(':') as [string, string];
          const prev = partitionOf.get(key);
          assert.ok(prev === undefined || prev === p, `all of ${key} in one partition`);
          partitionOf.set(key, p);
          assert.ok((seen.get(key) ?? -1) < Number(n), `${key} in publish order`);
          seen.set(key, Number(n));
        }
      }
      assert.equal(total, 45);
      assert.ok(new Set(partitionOf.values()).size > 1, 'the keys spread over more than one partition');
      assert.deepEqual(
        b.broker.logs.bounds('orders').reduce((n, x) => n + x.next, 0),
        45,
      );
    });

    it('topics never created are plain MQTT topics, without a log', async () => {
      const b = tb!;
      const sub = await connect(b.port);
      await sub.client.subscribeAsync('plain/#', { qos: 1 });
      const pub = await connect(b.port);
      await pub.client.publishAsync('plain/a', 'x', { qos: 1 });
      await sub.waitFor(1);
      await assert.rejects(
        async () => b.broker.logs.read('plain/a', 0, 0, 10),
        (e) => code(e) === 'RMQ_ERR_TOPIC_NOT_FOUND',
      );
      await sub.end();
      await pub.end();
    });

    it('offline persistent sessions keep a cursor, not copies, and get every message at their next connection', async () => {
      const b = tb!;
      b.broker.logs.create({ name: 'feed', partitions: 1 });
      const ids = [uniqueId('off'), uniqueId('off'), uniqueId('off')];
      for (const id of ids) {
        const s = await connect(b.port, { clientId: id, clean: false });
        await s.client.subscribeAsync('feed', { qos: 1 });
        await s.end();
      }
      const live = await connect(b.port);
      await live.client.subscribeAsync('feed', { qos: 1 });
      const pub = await connect(b.port);
      for (let i = 0; i < 50; i++) await pub.client.publishAsync('feed', `m${i}`, { qos: 1 });
      await pub.end();
      await live.waitFor(50);
      await b.broker.storage.flush();
      for (const id of ids) {
        assert.deepEqual(await b.broker.storage.loadSessionMessages(id), [], `no copy stored for ${id}`);
      }
      assert.equal((await b.broker.logs.read('feed', 0, 0, 1000)).length, 50, 'stored once, in the log');
      for (const id of ids) {
        const s = await connect(b.port, { clientId: id, clean: false });
        const got = await s.waitFor(50);
        assert.deepEqual(
          got.map((m) => m.payload.toString()),
          Array.from({ length: 50 }, (_, i) => `m${i}`),
        );
        await s.end();
      }
      await live.end();
    });

    it('a session that reconnects during a stream gets the log then the live messages, in order, once', async () => {
      const b = tb!;
      b.broker.logs.create({ name: 'stream', partitions: 1 });
      const id = uniqueId('mid');
      const s = await connect(b.port, { clientId: id, clean: false });
      await s.client.subscribeAsync('stream', { qos: 1 });
      await s.end();
      const pub = await connect(b.port);
      let i = 0;
      const sending = (async () => {
        for (; i < 600; i++) await pub.client.publishAsync('stream', `m${i}`, { qos: 1 });
      })();
      await until(() => i > 300);
      const back = await connect(b.port, { clientId: id, clean: false });
      await sending;
      const got = await back.waitFor(600, 10_000);
      await delay(200);
      assert.deepEqual(
        got.map((m) => m.payload.toString()),
        Array.from({ length: 600 }, (_, k) => `m${k}`),
      );
      await back.end();
      await pub.end();
    });

    it('start-from: earliest replays the log, a time replays from then, latest only new; a bad value is refused', async () => {
      const b = tb!;
      b.broker.logs.create({ name: 'hist', partitions: 2 });
      const pub = await connect(b.port, { protocolVersion: 5 });
      for (let i = 0; i < 10; i++) await pub.client.publishAsync('hist', `old${i}`, { qos: 1 });
      await delay(30);
      const mark = Date.now();
      await delay(30);
      for (let i = 0; i < 5; i++) await pub.client.publishAsync('hist', `new${i}`, { qos: 1 });
      const subscribe = async (from: string) => {
        const c = await connect(b.port, { protocolVersion: 5 });
        await c.client.subscribeAsync('hist', { qos: 1, properties: { userProperties: { 'start-from': from } } });
        return c;
      };
      const earliest = await subscribe('earliest');
      const fromTime = await subscribe(String(mark));
      const fromIso = await subscribe(new Date(mark).toISOString());
      const latest = await subscribe('latest');
      await earliest.waitFor(15);
      await fromTime.waitFor(5);
      await fromIso.waitFor(5);
      await pub.client.publishAsync('hist', 'live', { qos: 1 });
      await earliest.waitFor(16);
      await latest.waitFor(1);
      await delay(200);
      const names = (c: typeof earliest) => c.messages.map((m) => m.payload.toString());
      // one publisher: one partition, so its order holds across the replay and the live message
      assert.deepEqual(names(earliest), [
        ...Array.from({ length: 10 }, (_, i) => `old${i}`),
        ...Array.from({ length: 5 }, (_, i) => `new${i}`),
        'live',
      ]);
      assert.deepEqual(names(fromTime), [...Array.from({ length: 5 }, (_, i) => `new${i}`), 'live']);
      assert.deepEqual(names(fromIso), names(fromTime));
      assert.deepEqual(names(latest), ['live']);
      for (const c of [earliest, fromTime, fromIso, latest, pub]) await c.end();

      const { c } = await rawConnect(b.port, uniqueId('bad'), 5);
      c.write(
        {
          cmd: 'subscribe',
          messageId: 3,
          subscriptions: [{ topic: 'hist', qos: 1 }],
          properties: { userProperties: { 'start-from': 'yesterday-ish' } },
        } as Packet,
        5,
      );
      const suback = await c.next<ISubackPacket>('suback');
      assert.deepEqual(suback.granted, [0x83]);
      assert.match(String(suback.properties?.reasonString), /start-from/);
      c.close();
    });

    it('retention trims by size and by age; a session behind the trim gets what is kept', async () => {
      const b = tb!;
      const logs = b.broker.logs;
      logs.create({ name: 'sized', retentionBytes: 100 });
      logs.create({ name: 'aged', retentionMs: 50 });
      const id = uniqueId('behind');
      const s = await connect(b.port, { clientId: id, clean: false });
      await s.client.subscribeAsync('sized', { qos: 1 });
      await s.end();
      const pub = await connect(b.port);
      for (let i = 0; i < 20; i++)
        await pub.client.publishAsync('sized', `payload-${String(i).padStart(2, '0')}`, { qos: 1 });
      for (let i = 0; i < 5; i++) await pub.client.publishAsync('aged', 'x', { qos: 1 });
      await pub.end();
      await delay(100);
      await logs.applyRetention();
      assert.deepEqual(logs.bounds('sized'), [{ partition: 0, first: 10, next: 20 }], '10 bytes each: 10 kept');
      assert.deepEqual(logs.bounds('aged'), [{ partition: 0, first: 5, next: 5 }], 'all older than 50 ms');
      const back = await connect(b.port, { clientId: id, clean: false });
      const got = await back.waitFor(10);
      await delay(100);
      assert.deepEqual(
        got.map((m) => m.payload.toString()),
        Array.from({ length: 10 }, (_, i) => `payload-${10 + i}`),
      );
      await back.end();
    });

    it('a topic created while a subscribed persistent session is offline is replayed to it from the start', async () => {
      const b = tb!;
      const id = uniqueId('early');
      const s = await connect(b.port, { clientId: id, clean: false });
      await s.client.subscribeAsync('later/#', { qos: 1 });
      await s.end();
      b.broker.logs.create({ name: 'later/t', partitions: 2 });
      const pub = await connect(b.port);
      for (let i = 0; i < 6; i++) await pub.client.publishAsync('later/t', `e${i}`, { qos: 1 });
      await pub.end();
      const back = await connect(b.port, { clientId: id, clean: false });
      const got = await back.waitFor(6);
      assert.deepEqual(got.map((m) => m.payload.toString()).sort(), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
      await back.end();
    });

    it('topics.log_filters: a matching topic gets a log on its first message, with the default partitions', async () => {
      await tb!.stop();
      tb = await startBroker({ ...store.overrides, topics: { log_filters: ['auto/#'], default_partitions: 2 } }, true);
      const pub = await connect(tb.port);
      for (let i = 0; i < 3; i++) await pub.client.publishAsync('auto/x', `a${i}`, { qos: 1 });
      await pub.client.publishAsync('other/y', 'plain', { qos: 1 });
      await pub.end();
      assert.deepEqual(
        tb.broker.logs.list().map((t) => [t.name, t.partitions, t.retentionMs]),
        [['auto/x', 2, 604_800_000]],
      );
      assert.equal(
        tb.broker.logs.bounds('auto/x').reduce((n, p) => n + p.next, 0),
        3,
      );
    });

    if (engine.durable) {
      it('topics, logs and cursors survive a restart: an offline session gets its messages once', async () => {
        tb!.broker.logs.create({ name: 'keep', partitions: 3, retentionMs: 3_600_000 });
        const id = uniqueId('restart');
        const s = await connect(tb!.port, { clientId: id, clean: false });
        await s.client.subscribeAsync('keep', { qos: 2 });
        await s.end();
        const pub = await connect(tb!.port, { protocolVersion: 5 });
        for (let i = 0; i < 30; i++) {
          await pub.client.publishAsync('keep', `r${i}`, {
            qos: 2,
            properties: { userProperties: { 'partition-key': `p${i % 3}` } },
          });
        }
        await pub.end();
        await tb!.stop();
        tb = await startBroker(store.overrides, true);
        assert.deepEqual(
          tb.broker.logs.list().map((t) => [t.name, t.partitions, t.retentionMs]),
          [['keep', 3, 3_600_000]],
        );
        assert.equal(
          tb.broker.logs.bounds('keep').reduce((n, p) => n + p.next, 0),
          30,
        );
        const back = await connect(tb.port, { clientId: id, clean: false });
        const got = await back.waitFor(30);
        assert.deepEqual(
          got.map((m) => m.payload.toString()).sort(),
          Array.from({ length: 30 }, (_, i) => `r${i}`).sort(),
        );
        await back.end();
        await tb.stop();
        tb = await startBroker(store.overrides, true);
        const again = await connect(tb.port, { clientId: id, clean: false });
        await delay(400);
        assert.equal(again.messages.length, 0, 'the cursors were kept: nothing is replayed twice');
        await again.end();
      });
    }
  });
}
