// The topic-log conformance suite: the same tests run against every engine in storageEngines (memory,
// sqlite, and whatever is added there): topics saved / replaced / deleted; log appends read back in
// offset order (fromOffset, limit, per-partition isolation, every message field round-tripping);
// offsetForTimestamp; partition bounds after appends, trimLog and applyRetention (by age, by bytes, and
// once retention has emptied a partition, whose `next` must be kept); deleteTopic and deleteSession
// cascading to logs and cursors; cursors per client; loads seeing writes not yet flushed. Then
// sqlite-only tests: logs, bounds and cursors survive close() and reopen, and a database left by a broker
// that only had migration 1 is upgraded on open with its data kept.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createMessage, type Message } from '../../src/server/message.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION, SqliteStorage } from '../../src/server/storage/sqlite-storage.js';
import type {
  LogCursor,
  LogEntry,
  PartitionBounds,
  StorageAdapter,
  TopicRecord,
} from '../../src/server/storage/storage-adapter.js';
import { norm, storageEngines } from '../helpers/storage-engines.js';

const T0 = 1_700_000_000_000;

/** A message to log: `size` payload bytes, received at `timestamp`. */
function msg(topic: string, timestamp: number, size = 4, fill = 0x61): Message {
  return createMessage({ topic, payload: Buffer.alloc(size, fill), qos: 1, retain: false, origin: 'pub', timestamp });
}

function richMessage(topic: string): Message {
  return createMessage({
    topic,
    payload: Buffer.from([0, 0xff, 0x80, 0x0a, 0x0d, 0]),
    qos: 2,
    retain: true,
    origin: 'publisher-1',
    timestamp: T0 + 123,
    properties: {
      payloadFormatIndicator: 0,
      messageExpiryInterval: 3600,
      contentType: 'application/octet-stream',
      responseTopic: 'reply/to',
      correlationData: Buffer.from([0, 1, 2, 0xfe, 0xff]),
      userProperties: [
        ['z', '1'],
        ['a', '2'],
        ['z', '3'],
        ['ünï', 'cødé'],
      ],
    },
  });
}

/** Appends entries with offsets start, start+1, ... to one partition; `times[i]` and `sizes[i]` per entry. */
function appendRun(
  s: StorageAdapter,
  topic: string,
  partition: number,
  start: number,
  times: number[],
  sizes: number[] = [],
): LogEntry[] {
  return times.map((t, i) => {
    const e: LogEntry = { topic, partition, offset: start + i, message: msg(topic, t, sizes[i] ?? 4, 0x30 + i) };
    s.appendLog(e);
    return e;
  });
}

function topic(name: string, extra: Partial<TopicRecord> = {}): TopicRecord {
  return { name, partitions: 3, retentionMs: 86_400_000, retentionBytes: 0, createdAt: T0, ...extra };
}

const byKey = <T extends { topic: string; partition: number }>(a: T, b: T) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

async function bounds(s: StorageAdapter): Promise<PartitionBounds[]> {
  return (await s.loadPartitionBounds()).sort(byKey);
}

async function cursors(s: StorageAdapter, clientId: string): Promise<LogCursor[]> {
  return (await s.loadCursors(clientId)).sort(byKey);
}

async function offsets(s: StorageAdapter, topicName: string, partition: number, from = 0, limit = 1000) {
  return (await s.readLog(topicName, partition, from, limit)).map((e) => e.offset);
}

for (const engine of storageEngines) {
  describe(`topic-log conformance: ${engine.name}`, () => {
    let dir: string;
    let s: StorageAdapter;

    before(async () => {
      await engine.setup?.();
    });
    after(async () => {
      await engine.teardown?.();
    });
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rmq-topic-log-'));
      s = await engine.create(dir);
      await s.open();
    });
    afterEach(async () => {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('topics: save / load / replace / delete', async () => {
      assert.deepEqual(await s.loadTopics(), []);
      const a = topic('orders', { partitions: 4, retentionMs: 0, retentionBytes: 1_000_000 });
      const b = topic('sensors/temp', { partitions: 1, retentionMs: 60_000, createdAt: T0 + 5 });
      s.saveTopic(a);
      s.saveTopic(b);
      await s.flush();
      const load = async () => (await s.loadTopics()).sort((x, y) => x.name.localeCompare(y.name));
      assert.deepEqual(await load(), [a, b]);
      const a2 = { ...a, partitions: 8, retentionMs: 5000, retentionBytes: 0 };
      s.saveTopic(a2);
      await s.flush();
      assert.deepEqual(await load(), [a2, b]);
      s.deleteTopic('orders');
      s.deleteTopic('no-such-topic');
      await s.flush();
      assert.deepEqual(await load(), [b]);
    });

    it('readLog: offset order, fromOffset, limit, and each partition on its own', async () => {
      const p0 = appendRun(s, 'log', 0, 0, [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4]);
      const p1 = appendRun(s, 'log', 1, 0, [T0 + 10, T0 + 11]);
      const other = appendRun(s, 'log2', 0, 0, [T0 + 20]);
      await s.flush();
      assert.deepEqual(norm(await s.readLog('log', 0, 0, 100)), norm(p0));
      assert.deepEqual(norm(await s.readLog('log', 1, 0, 100)), norm(p1));
      assert.deepEqual(norm(await s.readLog('log2', 0, 0, 100)), norm(other));
      assert.deepEqual(await offsets(s, 'log', 0, 2), [2, 3, 4]);
      assert.deepEqual(await offsets(s, 'log', 0, 1, 2), [1, 2]);
      assert.deepEqual(await offsets(s, 'log', 0, 4, 10), [4]);
      assert.deepEqual(await offsets(s, 'log', 0, 0, 1), [0]);
      assert.deepEqual(await offsets(s, 'log', 0, 5), []);
      assert.deepEqual(await offsets(s, 'log', 0, 0, 0), []);
      assert.deepEqual(await offsets(s, 'log', 2), []); // a partition never written to
      assert.deepEqual(await offsets(s, 'nope', 0), []);
      const e = (await s.readLog('log', 0, 3, 1))[0]!;
      assert.equal(e.topic, 'log');
      assert.equal(e.partition, 0);
      assert.equal(e.offset, 3);
      assert.deepEqual(e.message.payload, Buffer.alloc(4, 0x33));
      assert.equal(e.message.timestamp, T0 + 3);
    });

    it('readLog: offsets that do not start at 0 (a partition continued after a restart)', async () => {
      appendRun(s, 't', 0, 1000, [T0, T0 + 1, T0 + 2]);
      await s.flush();
      assert.deepEqual(await offsets(s, 't', 0), [1000, 1001, 1002]);
      assert.deepEqual(await offsets(s, 't', 0, 1001, 1), [1001]);
      assert.deepEqual(await bounds(s), [{ topic: 't', partition: 0, first: 1000, next: 1003 }]);
      // emptied, then written to past its next: first is the oldest kept
      s.trimLog('t', 0, 1003);
      appendRun(s, 't', 0, 2000, [T0 + 3]);
      assert.deepEqual(await bounds(s), [{ topic: 't', partition: 0, first: 2000, next: 2001 }]);
      assert.deepEqual(await offsets(s, 't', 0), [2000]);
    });

    it('log entries round-trip every message field: payload bytes, properties, user property order, expiresAt', async () => {
      const m = richMessage('rich');
      const empty = createMessage({ topic: 'rich', payload: Buffer.alloc(0), qos: 0, retain: false, origin: '' });
      // a message whose own topic is not the log's name comes back with its own topic
      const elsewhere = createMessage({
        topic: 'rich/sub/level',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        origin: 'c',
        timestamp: T0,
      });
      const entries: LogEntry[] = [
        { topic: 'rich', partition: 2, offset: 0, message: m },
        { topic: 'rich', partition: 2, offset: 1, message: empty },
        { topic: 'rich', partition: 2, offset: 2, message: elsewhere },
      ];
      for (const e of entries) s.appendLog(e);
      await s.flush();
      const got = await s.readLog('rich', 2, 0, 10);
      assert.deepEqual(norm(got), norm(entries));
      const [g0, g1, g2] = got as [LogEntry, LogEntry, LogEntry];
      assert.ok(Buffer.isBuffer(g0.message.payload));
      assert.deepEqual(g0.message.payload, Buffer.from([0, 0xff, 0x80, 0x0a, 0x0d, 0]));
      assert.deepEqual(g0.message.properties?.userProperties, [
        ['z', '1'],
        ['a', '2'],
        ['z', '3'],
        ['ünï', 'cødé'],
      ]);
      assert.ok(Buffer.isBuffer(g0.message.properties?.correlationData));
      assert.deepEqual(g0.message.properties?.correlationData, Buffer.from([0, 1, 2, 0xfe, 0xff]));
      assert.equal(g0.message.expiresAt, T0 + 123 + 3_600_000);
      assert.equal(g0.message.qos, 2);
      assert.equal(g0.message.retain, true);
      assert.equal(g1.message.payload.length, 0);
      assert.equal(g1.message.expiresAt, undefined);
      assert.equal(g1.message.properties, undefined);
      assert.equal(g2.message.topic, 'rich/sub/level');
      assert.equal(g2.topic, 'rich');
    });

    it('offsetForTimestamp: exact, between, before the first, after the last, empty partition', async () => {
      appendRun(s, 't', 0, 0, [T0 + 100, T0 + 200, T0 + 200, T0 + 300, T0 + 400]);
      await s.flush();
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 200), 1); // exact: the first of equal timestamps
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 300), 3);
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 250), 3); // between
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 101), 1);
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 400), 4);
      assert.equal(await s.offsetForTimestamp('t', 0, 0), 0); // before the first
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 401), 5); // after the last: next
      assert.equal(await s.offsetForTimestamp('t', 1, T0), 0); // a partition never written to
      assert.equal(await s.offsetForTimestamp('nope', 0, T0), 0);
    });

    it('offsetForTimestamp: the first offset, in offset order, whose timestamp is at or after (clock stepped back)', async () => {
      appendRun(s, 't', 0, 0, [T0 + 100, T0 + 300, T0 + 200, T0 + 400]);
      await s.flush();
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 150), 1);
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 250), 1);
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 350), 3);
    });

    it('offsetForTimestamp on a partition emptied by retention is its next offset', async () => {
      appendRun(s, 't', 0, 0, [T0, T0 + 1, T0 + 2]);
      assert.equal(await s.applyRetention('t', 0, T0 + 10, 0), 3);
      assert.equal(await s.offsetForTimestamp('t', 0, 0), 3);
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 100), 3);
    });

    it('partition bounds: after appends; partitions never written to are absent', async () => {
      assert.deepEqual(await bounds(s), []);
      s.saveTopic(topic('a', { partitions: 4 }));
      appendRun(s, 'a', 0, 0, [T0, T0, T0]);
      appendRun(s, 'a', 3, 0, [T0]);
      appendRun(s, 'b', 1, 0, [T0, T0]);
      await s.flush();
      assert.deepEqual(await bounds(s), [
        { topic: 'a', partition: 0, first: 0, next: 3 },
        { topic: 'a', partition: 3, first: 0, next: 1 },
        { topic: 'b', partition: 1, first: 0, next: 2 },
      ]);
      appendRun(s, 'a', 0, 3, [T0]);
      await s.flush();
      assert.deepEqual((await bounds(s))[0], { topic: 'a', partition: 0, first: 0, next: 4 });
    });

    it('trimLog removes the entries before an offset of that partition only', async () => {
      appendRun(s, 't', 0, 0, [T0, T0, T0, T0, T0]);
      appendRun(s, 't', 1, 0, [T0, T0, T0]);
      s.trimLog('t', 0, 2);
      await s.flush();
      assert.deepEqual(await offsets(s, 't', 0), [2, 3, 4]);
      assert.deepEqual(await offsets(s, 't', 1), [0, 1, 2]);
      assert.deepEqual(await bounds(s), [
        { topic: 't', partition: 0, first: 2, next: 5 },
        { topic: 't', partition: 1, first: 0, next: 3 },
      ]);
      s.trimLog('t', 0, 1); // behind first: nothing to do
      s.trimLog('t', 7, 3); // never written to: nothing to do
      await s.flush();
      assert.deepEqual(await offsets(s, 't', 0), [2, 3, 4]);
      assert.equal((await bounds(s)).length, 2);
      s.trimLog('t', 0, 99); // past the end: empty, next kept
      await s.flush();
      assert.deepEqual(await offsets(s, 't', 0), []);
      assert.deepEqual((await bounds(s))[0], { topic: 't', partition: 0, first: 5, next: 5 });
      appendRun(s, 't', 0, 5, [T0]);
      await s.flush();
      assert.deepEqual((await bounds(s))[0], { topic: 't', partition: 0, first: 5, next: 6 });
      assert.deepEqual(await offsets(s, 't', 0), [5]);
    });

    it('applyRetention by age: the entries older than the limit go, resolving to the new first offset', async () => {
      appendRun(s, 't', 0, 0, [T0 + 10, T0 + 20, T0 + 30, T0 + 40]);
      appendRun(s, 't', 1, 0, [T0 + 10, T0 + 20]);
      assert.equal(await s.applyRetention('t', 0, T0 + 20, 0), 1); // a timestamp equal to the limit is kept
      assert.deepEqual(await offsets(s, 't', 0), [1, 2, 3]);
      assert.equal(await s.applyRetention('t', 0, T0 + 35, 0), 3);
      assert.deepEqual(await offsets(s, 't', 0), [3]);
      assert.equal(await s.applyRetention('t', 0, T0 + 35, 0), 3); // again: nothing more
      assert.equal(await s.applyRetention('t', 0, 0, 0), 3); // no limits
      assert.deepEqual(await bounds(s), [
        { topic: 't', partition: 0, first: 3, next: 4 },
        { topic: 't', partition: 1, first: 0, next: 2 },
      ]);
      assert.deepEqual(await offsets(s, 't', 1), [0, 1]); // another partition is untouched
    });

    it('applyRetention by bytes: the oldest go until the payload bytes kept are <= the limit', async () => {
      const sizes = [10, 20, 30, 40];
      appendRun(s, 't', 0, 0, [T0, T0, T0, T0], sizes);
      assert.equal(await s.applyRetention('t', 0, 0, 100), 0); // exactly 100: all kept
      assert.equal(await s.applyRetention('t', 0, 0, 99), 1);
      assert.deepEqual(await offsets(s, 't', 0), [1, 2, 3]);
      assert.equal(await s.applyRetention('t', 0, 0, 70), 2); // 30 + 40 = 70: kept
      assert.equal(await s.applyRetention('t', 0, 0, 69), 3);
      assert.deepEqual(await offsets(s, 't', 0), [3]);
      assert.deepEqual(await bounds(s), [{ topic: 't', partition: 0, first: 3, next: 4 }]);
      // the bytes counted go on after appends and trims: 40 + 5 + 6 + 7, then trim to 6 + 7
      appendRun(s, 't', 0, 4, [T0, T0, T0], [5, 6, 7]);
      assert.equal(await s.applyRetention('t', 0, 0, 58), 3);
      assert.equal(await s.applyRetention('t', 0, 0, 57), 4);
      s.trimLog('t', 0, 5);
      assert.equal(await s.applyRetention('t', 0, 0, 13), 5);
      assert.equal(await s.applyRetention('t', 0, 0, 12), 6);
      assert.deepEqual(await offsets(s, 't', 0), [6]);
    });

    it('applyRetention by age then bytes, in one call', async () => {
      appendRun(s, 't', 0, 0, [T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5], [50, 1, 10, 10, 10]);
      // age removes 0 and 1; of 10 + 10 + 10 the oldest goes to stay <= 25
      assert.equal(await s.applyRetention('t', 0, T0 + 3, 25), 3);
      assert.deepEqual(await offsets(s, 't', 0), [3, 4]);
    });

    it('applyRetention that empties a partition keeps its next offset (first = next), and appends go on from it', async () => {
      appendRun(s, 't', 0, 0, [T0, T0 + 1, T0 + 2], [8, 8, 8]);
      appendRun(s, 't', 1, 0, [T0, T0], [8, 8]);
      assert.equal(await s.applyRetention('t', 0, T0 + 1000, 0), 3);
      assert.equal(await s.applyRetention('t', 1, 0, 7), 2); // every entry is bigger than the limit
      assert.deepEqual(await offsets(s, 't', 0), []);
      assert.deepEqual(await offsets(s, 't', 1), []);
      assert.deepEqual(await bounds(s), [
        { topic: 't', partition: 0, first: 3, next: 3 },
        { topic: 't', partition: 1, first: 2, next: 2 },
      ]);
      assert.equal(await s.applyRetention('t', 0, T0 + 1000, 1), 3); // an empty partition stays as it is
      appendRun(s, 't', 0, 3, [T0 + 2000], [8]);
      await s.flush();
      assert.deepEqual(await bounds(s), [
        { topic: 't', partition: 0, first: 3, next: 4 },
        { topic: 't', partition: 1, first: 2, next: 2 },
      ]);
      assert.deepEqual(await offsets(s, 't', 0), [3]);
      assert.equal(await s.applyRetention('t', 0, 0, 8), 3); // the emptied entries no longer count as bytes
    });

    it('applyRetention sees writes not yet flushed', async () => {
      appendRun(s, 't', 0, 0, [T0, T0 + 1, T0 + 2]);
      s.trimLog('t', 0, 1);
      assert.equal(await s.applyRetention('t', 0, T0 + 2, 0), 2);
      assert.deepEqual(await offsets(s, 't', 0), [2]);
    });

    it('deleteTopic removes the topic, its log, its bounds and the cursors on it, and nothing of other topics', async () => {
      // 'a/b' and 'ab' start with 'a': a prefix match would take them along
      for (const name of ['a', 'a/b', 'ab']) {
        s.saveTopic(topic(name));
        appendRun(s, name, 0, 0, [T0, T0]);
        appendRun(s, name, 1, 0, [T0]);
        s.saveCursor({ clientId: 'c1', topic: name, partition: 0, offset: 1 });
        s.saveCursor({ clientId: 'c2', topic: name, partition: 1, offset: 0 });
      }
      await s.flush();
      s.deleteTopic('a');
      await s.flush();
      assert.deepEqual((await s.loadTopics()).map((t) => t.name).sort(), ['a/b', 'ab']);
      assert.deepEqual(await offsets(s, 'a', 0), []);
      assert.deepEqual(await offsets(s, 'a', 1), []);
      assert.deepEqual(await offsets(s, 'a/b', 0), [0, 1]);
      assert.deepEqual(await offsets(s, 'ab', 1), [0]);
      assert.deepEqual(
        (await bounds(s)).map((b) => `${b.topic}:${b.partition}`),
        ['a/b:0', 'a/b:1', 'ab:0', 'ab:1'],
      );
      assert.deepEqual(await cursors(s, 'c1'), [
        { clientId: 'c1', topic: 'a/b', partition: 0, offset: 1 },
        { clientId: 'c1', topic: 'ab', partition: 0, offset: 1 },
      ]);
      assert.deepEqual(await cursors(s, 'c2'), [
        { clientId: 'c2', topic: 'a/b', partition: 1, offset: 0 },
        { clientId: 'c2', topic: 'ab', partition: 1, offset: 0 },
      ]);
      // a topic created again under the same name starts empty
      s.saveTopic(topic('a'));
      appendRun(s, 'a', 0, 0, [T0], [3]);
      await s.flush();
      assert.deepEqual((await bounds(s))[0], { topic: 'a', partition: 0, first: 0, next: 1 });
      assert.equal(await s.applyRetention('a', 0, 0, 3), 0); // the deleted log's bytes are not counted
    });

    it('cursors: save / replace / load per client', async () => {
      assert.deepEqual(await s.loadCursors('c1'), []);
      s.saveCursor({ clientId: 'c1', topic: 't', partition: 0, offset: 5 });
      s.saveCursor({ clientId: 'c1', topic: 't', partition: 1, offset: 0 });
      s.saveCursor({ clientId: 'c1', topic: 'u', partition: 0, offset: 9 });
      s.saveCursor({ clientId: 'c2', topic: 't', partition: 0, offset: 2 });
      await s.flush();
      s.saveCursor({ clientId: 'c1', topic: 't', partition: 0, offset: 7 });
      await s.flush();
      assert.deepEqual(await cursors(s, 'c1'), [
        { clientId: 'c1', topic: 't', partition: 0, offset: 7 },
        { clientId: 'c1', topic: 't', partition: 1, offset: 0 },
        { clientId: 'c1', topic: 'u', partition: 0, offset: 9 },
      ]);
      assert.deepEqual(await cursors(s, 'c2'), [{ clientId: 'c2', topic: 't', partition: 0, offset: 2 }]);
      assert.deepEqual(await cursors(s, 'c3'), []);
    });

    it("deleteSession removes the session's cursors and no other session's", async () => {
      s.saveSession({ clientId: 'c1', protocolVersion: 5, expiryInterval: 60, subscriptions: [] });
      s.saveCursor({ clientId: 'c1', topic: 't', partition: 0, offset: 5 });
      s.saveCursor({ clientId: 'c1', topic: 'u', partition: 2, offset: 1 });
      s.saveCursor({ clientId: 'c10', topic: 't', partition: 0, offset: 3 });
      await s.flush();
      s.deleteSession('c1');
      await s.flush();
      assert.deepEqual(await s.loadCursors('c1'), []);
      assert.deepEqual(await cursors(s, 'c10'), [{ clientId: 'c10', topic: 't', partition: 0, offset: 3 }]);
      // a cursor saved after the delete is kept
      s.saveCursor({ clientId: 'c1', topic: 't', partition: 0, offset: 1 });
      assert.deepEqual(await cursors(s, 'c1'), [{ clientId: 'c1', topic: 't', partition: 0, offset: 1 }]);
    });

    it('loads see every earlier write, flushed or not', async () => {
      const t = topic('t');
      s.saveTopic(t);
      const entries = appendRun(s, 't', 0, 0, [T0, T0 + 5, T0 + 10]);
      s.saveCursor({ clientId: 'c', topic: 't', partition: 0, offset: 1 });
      assert.deepEqual(await s.loadTopics(), [t]);
      assert.deepEqual(norm(await s.readLog('t', 0, 0, 10)), norm(entries));
      assert.equal(await s.offsetForTimestamp('t', 0, T0 + 1), 1);
      assert.deepEqual(await bounds(s), [{ topic: 't', partition: 0, first: 0, next: 3 }]);
      assert.deepEqual(await s.loadCursors('c'), [{ clientId: 'c', topic: 't', partition: 0, offset: 1 }]);
      s.trimLog('t', 0, 2);
      assert.deepEqual(await offsets(s, 't', 0), [2]);
      assert.deepEqual(await bounds(s), [{ topic: 't', partition: 0, first: 2, next: 3 }]);
      s.saveCursor({ clientId: 'c', topic: 't', partition: 0, offset: 3 });
      assert.deepEqual(await s.loadCursors('c'), [{ clientId: 'c', topic: 't', partition: 0, offset: 3 }]);
      s.deleteSession('c');
      assert.deepEqual(await s.loadCursors('c'), []);
      s.deleteTopic('t');
      assert.deepEqual(await s.loadTopics(), []);
      assert.deepEqual(await s.readLog('t', 0, 0, 10), []);
      assert.deepEqual(await s.loadPartitionBounds(), []);
      await s.flush();
    });

    it('a LogEntry or cursor changed by the caller after the call does not change what was stored', async () => {
      const e: LogEntry = { topic: 't', partition: 0, offset: 0, message: msg('t', T0) };
      const c: LogCursor = { clientId: 'c', topic: 't', partition: 0, offset: 4 };
      s.appendLog(e);
      s.saveCursor(c);
      e.offset = 50;
      c.offset = 40;
      assert.deepEqual(await offsets(s, 't', 0), [0]);
      assert.deepEqual(await s.loadCursors('c'), [{ clientId: 'c', topic: 't', partition: 0, offset: 4 }]);
    });
  });
}

describe('topic log: sqlite only', () => {
  let dir: string;
  let file: string;
  const opened: SqliteStorage[] = [];

  async function open(): Promise<SqliteStorage> {
    const st = new SqliteStorage(file);
    opened.push(st);
    await st.open();
    return st;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-topic-log-sqlite-'));
    file = join(dir, 'robustmq.db');
  });
  afterEach(async () => {
    for (const st of opened.splice(0)) await st.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('topics, logs, bounds (an emptied partition too), retention and cursors survive close() and reopen', async () => {
    const a = await open();
    const t = topic('t', { partitions: 2, retentionBytes: 100 });
    a.saveTopic(t);
    const rich: LogEntry = { topic: 't', partition: 0, offset: 0, message: richMessage('t') };
    a.appendLog(rich);
    const rest = appendRun(a, 't', 0, 1, [T0 + 1, T0 + 2, T0 + 3], [10, 10, 10]);
    appendRun(a, 't', 1, 0, [T0, T0 + 1]);
    assert.equal(await a.applyRetention('t', 1, T0 + 100, 0), 2); // emptied
    a.trimLog('t', 0, 1);
    a.saveCursor({ clientId: 'c1', topic: 't', partition: 0, offset: 2 });
    a.saveCursor({ clientId: 'c1', topic: 't', partition: 1, offset: 2 });
    await a.close(); // no flush(): close() commits what is queued

    const b = await open();
    assert.deepEqual(await b.loadTopics(), [t]);
    assert.deepEqual(norm(await b.readLog('t', 0, 0, 10)), norm(rest));
    assert.deepEqual(await b.readLog('t', 1, 0, 10), []);
    assert.deepEqual(await bounds(b), [
      { topic: 't', partition: 0, first: 1, next: 4 },
      { topic: 't', partition: 1, first: 2, next: 2 },
    ]);
    assert.deepEqual(await cursors(b, 'c1'), [
      { clientId: 'c1', topic: 't', partition: 0, offset: 2 },
      { clientId: 'c1', topic: 't', partition: 1, offset: 2 },
    ]);
    assert.equal(await b.applyRetention('t', 0, 0, 20), 2); // the byte count survived too
    await b.close();

    const c = await open();
    assert.deepEqual(await offsets(c, 't', 0), [2, 3]);
    assert.deepEqual((await bounds(c))[0], { topic: 't', partition: 0, first: 2, next: 4 });
    // the round trip of a full message from the file, not from anything cached
    c.appendLog({ ...rich, offset: 4 });
    await c.close();
    const d = await open();
    assert.deepEqual(norm((await d.readLog('t', 0, 4, 1))[0]), norm({ ...rich, offset: 4 }));
  });

  it('appends in multi-row INSERTs: 40 over 3 partitions, other writes between them, all read back in order', async () => {
    const st = await open();
    st.saveTopic(topic('t', { partitions: 3 }));
    const next = [0, 0, 0];
    for (let i = 0; i < 40; i++) {
      const partition = i % 3;
      st.appendLog({ topic: 't', partition, offset: next[partition]++, message: msg('t', T0 + i, 1 + (i % 5)) });
      if (i === 17) st.saveCursor({ clientId: 'c', topic: 't', partition: 0, offset: 2 });
    }
    await st.flush();
    for (let p = 0; p < 3; p++) {
      const read = await st.readLog('t', p, 0, 100);
      assert.deepEqual(
        read.map((e) => [e.offset, e.message.timestamp]),
        Array.from({ length: next[p]! }, (_, k) => [k, T0 + p + 3 * k]),
      );
    }
    assert.deepEqual(await st.loadCursors('c'), [{ clientId: 'c', topic: 't', partition: 0, offset: 2 }]);
    // bytes were counted once per entry: retention by bytes keeps exactly what fits
    const sizes = (await st.readLog('t', 0, 0, 100)).map((e) => e.message.payload.length);
    const keep = sizes.slice(-3).reduce((a, b) => a + b, 0);
    assert.equal(await st.applyRetention('t', 0, 0, keep), next[0]! - 3);
  });

  it('an offset appended a second time is ignored: first payload kept, bytes counted once', async () => {
    const st = await open();
    appendRun(st, 't', 0, 0, [T0, T0 + 1, T0 + 2], [10, 10, 10]);
    st.appendLog({ topic: 't', partition: 0, offset: 1, message: msg('t', T0 + 9, 50, 0x7a) });
    await st.flush();
    const read = await st.readLog('t', 0, 0, 10);
    assert.deepEqual(
      read.map((e) => [e.offset, e.message.payload.length]),
      [
        [0, 10],
        [1, 10],
        [2, 10],
      ],
    );
    assert.equal(await st.applyRetention('t', 0, 0, 20), 1); // 30 bytes in all, not 80
  });

  it('offsetForTimestamp after a reopen: the highest timestamp so far carries over to new appends', async () => {
    const a = await open();
    appendRun(a, 't', 0, 0, [T0 + 100, T0 + 300]);
    await a.close();
    const b = await open();
    // the clock stepped back across the restart: 200 < 300
    appendRun(b, 't', 0, 2, [T0 + 200, T0 + 200, T0 + 200]);
    await b.flush();
    assert.equal(await b.offsetForTimestamp('t', 0, T0 + 250), 1); // offset 1 is the first at or after
    assert.equal(await b.offsetForTimestamp('t', 0, T0 + 150), 1);
    assert.equal(await b.offsetForTimestamp('t', 0, T0 + 301), 5);
  });

  it('a database at migration 3 (time index) is upgraded: max_ts is filled in and the index dropped', async () => {
    const db = new Database(file);
    db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)');
    for (let v = 1; v <= 3; v++) {
      db.exec(SQLITE_MIGRATIONS[v - 1]!);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(v, T0);
    }
    const insert = db.prepare(
      `INSERT INTO topic_log (topic, partition, offset, msg_topic, payload, qos, retain, properties, origin,
         timestamp, expires_at) VALUES (?, ?, ?, NULL, ?, 1, 0, NULL, 'pub', ?, NULL)`,
    );
    const times = [T0 + 100, T0 + 300, T0 + 200, T0 + 200, T0 + 400];
    times.forEach((t, i) => insert.run('t', 0, i, Buffer.from('x'), t));
    insert.run('u', 0, 0, Buffer.from('x'), T0 + 50); // another partition: its own maximum
    db.prepare(
      `INSERT INTO log_partitions (topic, partition, first_offset, next_offset, bytes)
       VALUES ('t', 0, 0, 5, 5), ('u', 0, 0, 1, 1)`,
    ).run();
    db.close();

    const st = await open();
    assert.equal(await st.offsetForTimestamp('t', 0, T0 + 250), 1);
    assert.equal(await st.offsetForTimestamp('t', 0, T0 + 350), 4);
    assert.equal(await st.offsetForTimestamp('u', 0, T0 + 50), 0);
    appendRun(st, 't', 0, 5, [T0 + 350]); // below the maximum so far (400)
    await st.flush();
    assert.equal(await st.offsetForTimestamp('t', 0, T0 + 350), 4);
    await st.close();

    const check = new Database(file, { readonly: true });
    try {
      const maxTs = check.prepare("SELECT max_ts FROM topic_log WHERE topic = 't' ORDER BY offset").pluck().all();
      assert.deepEqual(maxTs, [T0 + 100, T0 + 300, T0 + 300, T0 + 300, T0 + 400, T0 + 400]);
      const index = check.prepare("SELECT name FROM sqlite_master WHERE name = 'topic_log_time'").all();
      assert.deepEqual(index, []);
    } finally {
      check.close();
    }
  });

  it('a database with only migration 1 is upgraded on open and keeps its data', async () => {
    assert.ok(SQLITE_MIGRATIONS.length >= 2);
    const db = new Database(file);
    db.exec(SQLITE_MIGRATIONS[0]!);
    db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)');
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (1, ?)').run(T0);
    db.prepare(
      `INSERT INTO retained (topic, payload, qos, retain, properties, origin, timestamp, expires_at)
       VALUES ('old/retained', ?, 1, 1, NULL, 'old-client', ?, NULL)`,
    ).run(Buffer.from('kept'), T0);
    db.prepare(
      `INSERT INTO sessions (client_id, protocol_version, expiry_interval, disconnected_at, subscriptions, will)
       VALUES ('old-session', 4, 120, NULL, '[]', NULL)`,
    ).run();
    db.close();

    const st = await open();
    const retained = await st.loadRetained();
    assert.deepEqual(
      retained.map((m) => ({ topic: m.topic, payload: m.payload.toString(), origin: m.origin, ts: m.timestamp })),
      [{ topic: 'old/retained', payload: 'kept', origin: 'old-client', ts: T0 }],
    );
    assert.deepEqual(
      (await st.loadSessions()).map((r) => r.clientId),
      ['old-session'],
    );
    // the new tables work
    st.saveTopic(topic('new'));
    appendRun(st, 'new', 0, 0, [T0, T0 + 1]);
    st.saveCursor({ clientId: 'old-session', topic: 'new', partition: 0, offset: 1 });
    await st.flush();
    assert.deepEqual(await offsets(st, 'new', 0), [0, 1]);
    assert.deepEqual(await bounds(st), [{ topic: 'new', partition: 0, first: 0, next: 2 }]);
    st.deleteSession('old-session');
    assert.deepEqual(await st.loadCursors('old-session'), []);
    await st.close();

    const check = new Database(file, { readonly: true });
    try {
      const versions = check.prepare('SELECT version, applied_at FROM schema_version ORDER BY version').all() as {
        version: number;
        applied_at: number;
      }[];
      assert.deepEqual(
        versions.map((v) => v.version),
        Array.from({ length: SQLITE_SCHEMA_VERSION }, (_, i) => i + 1),
      );
      assert.equal(versions[0]!.applied_at, T0); // migration 1 was not run again
    } finally {
      check.close();
    }
  });
});
