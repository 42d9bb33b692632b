// The sqlite engine's writer thread (sqlite-writer.ts): the writer dying (terminated, or an uncaught
// error in it) and a failed commit are sticky storage failures: flush() and loads reject with
// RMQ_ERR_STORAGE instead of hanging, a flush() pending at the time rejects too, onError is called once,
// close() still releases everything and the failed batch is rolled back whole. Pipelined batches
// (maxInFlight > 1, small maxBatch) commit every write and settle every flush() in order; one batch of
// every kind of write, larger than the queue's first array, round-trips. The writer runs niced (Linux)
// and is gone after close(); a process that used the engine exits by itself (after close(), after a
// flush() without close(), with writes neither flushed nor closed — committed first — and after a
// failed commit).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isRobustMQError, type RobustMQError } from '../../src/lib/errors.js';
import { createMessage, type Message } from '../../src/server/message.js';
import { SqliteStorage, type SqliteStorageOptions } from '../../src/server/storage/sqlite-storage.js';
import { spawnChild } from '../helpers/child.js';

function msg(topic: string, payload: string): Message {
  return createMessage({ topic, payload: Buffer.from(payload), qos: 1, retain: true, origin: 'p' });
}

/** Rejects if `p` has not settled within ms: a hang fails the test instead of stalling the suite. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function isStorageError(file: string) {
  return (err: unknown) => {
    assert.ok(isRobustMQError(err), `not a RobustMQError: ${String(err)}`);
    assert.equal(err.code, 'RMQ_ERR_STORAGE');
    assert.ok(err.message.includes(file), `message does not name the file: ${err.message}`);
    return true;
  };
}

function count(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Makes the database refuse retained messages on `topic` (a trigger): a commit that fails. */
function refuseTopic(file: string, topic: string): void {
  const db = new Database(file);
  db.exec(
    `CREATE TRIGGER IF NOT EXISTS refuse BEFORE INSERT ON retained WHEN NEW.topic = '${topic}'
     BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
  );
  db.close();
}

describe('sqlite writer thread', () => {
  let dir: string;
  let file: string;
  const opened: SqliteStorage[] = [];

  async function open(options: SqliteStorageOptions = {}): Promise<SqliteStorage> {
    const st = new SqliteStorage(file, options);
    opened.push(st);
    await st.open();
    return st;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-sqlite-writer-'));
    file = join(dir, 'robustmq.db');
  });
  afterEach(async () => {
    for (const st of opened.splice(0)) await st.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  for (const how of ['terminate', 'throw'] as const) {
    it(`the writer ending (${how}) makes flush() and loads reject with RMQ_ERR_STORAGE, never hang`, async () => {
      const errors: RobustMQError[] = [];
      const st = await open({ onError: (err) => errors.push(err) });
      st.putRetained(msg('before', '1'));
      await st.flush();
      assert.equal(st.hasUnflushedWrites(), false);

      st.putRetained(msg('pending', '2'));
      const pending = st.flush(); // its batch is posted on the next turn: after the crash when it is a message
      const killed = st.killWriterForTests(how);
      await within(assert.rejects(pending, isStorageError(file)), 5000, 'the flush pending at the crash');
      await killed;

      st.putRetained(msg('after', '3'));
      await within(assert.rejects(st.flush(), isStorageError(file)), 5000, 'a flush after the crash');
      await within(assert.rejects(st.flush(), isStorageError(file)), 5000, 'a second flush (sticky)');
      await within(assert.rejects(st.loadRetained(), isStorageError(file)), 5000, 'a load after the crash');
      await within(
        assert.rejects(st.applyRetention('t', 0, 1, 0), isStorageError(file)),
        5000,
        'applyRetention after the crash',
      );
      assert.equal(st.hasUnflushedWrites(), true, 'nothing can be durable any more');
      assert.equal(errors.length, 1, 'onError is called once');
      assert.equal(errors[0]!.code, 'RMQ_ERR_STORAGE');

      // close() reports the failure, but releases everything: later writes throw, a second close() is a no-op
      await within(assert.rejects(st.close(), isStorageError(file)), 5000, 'close() after the crash');
      assert.throws(() => st.putRetained(msg('closed', '4')), { code: 'RMQ_ERR_STORAGE' });
      await st.close();

      // what was committed before the crash is there, and the file opens again
      const again = await open();
      assert.deepEqual(
        (await again.loadRetained()).map((m) => m.topic),
        ['before'],
      );
    });
  }

  it('a failed commit is sticky: that flush() and every later one reject, onError is told once', async () => {
    const errors: RobustMQError[] = [];
    const st = await open({ onError: (err) => errors.push(err) });
    st.putRetained(msg('kept', '1'));
    await st.flush();
    refuseTopic(file, 'bad'); // another connection changes the schema: the writer's statements see it
    st.putRetained(msg('rolled/back', '2'));
    st.putRetained(msg('bad', '3'));
    await within(
      assert.rejects(st.flush(), (err: unknown) => {
        isStorageError(file)(err);
        assert.match((err as Error).message, /group commit of 2 writes failed: refused by the test/);
        return true;
      }),
      5000,
      'the flush of the failed commit',
    );
    st.putRetained(msg('later', '4'));
    await within(assert.rejects(st.flush(), isStorageError(file)), 5000, 'a later flush');
    await within(assert.rejects(st.loadRetained(), isStorageError(file)), 5000, 'a later load');
    assert.equal(st.hasUnflushedWrites(), true);
    assert.equal(errors.length, 1);
    await within(assert.rejects(st.close(), isStorageError(file)), 5000, 'close() after the failure');
    assert.throws(() => st.putRetained(msg('closed', '5')), { code: 'RMQ_ERR_STORAGE' });

    const again = await open(); // the failed batch was rolled back whole
    assert.deepEqual(
      (await again.loadRetained()).map((m) => m.topic),
      ['kept'],
    );
  });

  it('pipelined batches (maxInFlight 3, maxBatch 7) commit every write and settle every flush() in order', async () => {
    const st = await open({ maxInFlight: 3, maxBatch: 7, commitIntervalMs: 1 });
    const settled: number[] = [];
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      st.appendLog({ topic: 'log', partition: i % 3, offset: Math.floor(i / 3), message: msg('log', String(i)) });
      if (i % 5 === 0) st.saveCursor({ clientId: 'c', topic: 'log', partition: 0, offset: i });
      if (i % 11 === 0) flushes.push(st.flush().then(() => void settled.push(i)));
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    const first = await st.applyRetention('log', 0, 0, 10); // queued after every append above
    await Promise.all(flushes);
    assert.deepEqual(
      settled,
      [...settled].sort((a, b) => a - b),
    );
    assert.equal(settled.length, flushes.length);
    assert.equal(st.hasUnflushedWrites(), false);
    assert.deepEqual(await st.loadPartitionBounds(), [
      { topic: 'log', partition: 0, first, next: 100 },
      { topic: 'log', partition: 1, first: 0, next: 100 },
      { topic: 'log', partition: 2, first: 0, next: 100 },
    ]);
    assert.equal(first, 97); // the payloads of partition 0's last entries are 3 bytes long: three fit in 10
    assert.deepEqual(await st.loadCursors('c'), [{ clientId: 'c', topic: 'log', partition: 0, offset: 295 }]);
    await st.close();
    assert.equal(count(file, 'topic_log'), 3 + 100 + 100);
  });

  it('writeMark/flushTo: a mark waits for its own batch, not a later one, whatever order the waits came in', async () => {
    const st = await open({ maxInFlight: 1, maxBatch: 1, commitIntervalMs: 10_000 });
    st.putRetained(msg('a', '1')); // maxBatch 1: posted at once as batch 1
    const first = st.writeMark();
    st.putRetained(msg('b', '2')); // queued behind batch 1 (maxInFlight 1): batch 2
    const second = st.writeMark();
    assert.ok(second > first);
    assert.equal(st.isDurable(first), false);
    const late = within(st.flushTo(second), 5000, 'flushTo(second)'); // asked first...
    await within(st.flushTo(first), 5000, 'flushTo(first)'); // ...settled second
    assert.equal(st.isDurable(first), true);
    assert.equal(st.isDurable(second), false, 'the first mark was held back until the second batch committed');
    await late;
    assert.equal(st.isDurable(second), true);
    assert.equal(st.isDurable(st.writeMark()), true); // nothing queued: the mark of what is committed
    await st.close();
  });

  it('one batch of every kind of write, far larger than the queue starts with, round-trips', async () => {
    const st = await open({ maxBatch: 1_000_000, commitIntervalMs: 10_000 }); // only flush() posts
    const rich = createMessage({
      topic: 'other/topic',
      payload: Buffer.from([0, 1, 2, 255]),
      qos: 2,
      retain: true,
      origin: 'ünï',
      timestamp: 1_700_000_000_123,
      properties: { messageExpiryInterval: 60, correlationData: Buffer.from([9]), userProperties: [['k', 'v']] },
    });
    st.saveTopic({ name: 'log', partitions: 1, retentionMs: 0, retentionBytes: 0, createdAt: 5 });
    for (let i = 0; i < 3000; i++) {
      st.appendLog({ topic: 'log', partition: 0, offset: i, message: msg('log', `p${i}`) });
      st.saveCursor({ clientId: `c${i % 7}`, topic: 'log', partition: 0, offset: i });
      st.putRetained(msg(`r/${i % 10}`, `v${i}`));
      st.appendSessionMessage({ clientId: 's', seq: i, message: msg('t', `m${i}`), qos: 1 });
      if (i % 2 === 0) st.updateSessionMessage('s', i, { packetId: (i % 65535) + 1, state: 'publish' });
      if (i % 3 === 0) st.deleteSessionMessage('s', i);
      st.addIncomingQos2('s', (i % 65535) + 1);
      if (i % 4 === 0) st.removeIncomingQos2('s', (i % 65535) + 1);
    }
    st.appendLog({ topic: 'log', partition: 0, offset: 3000, message: rich });
    const retention = st.applyRetention('log', 0, 0, 0); // no limit: nothing goes
    st.trimLog('log', 0, 10);
    st.saveSession({ clientId: 's', protocolVersion: 5, expiryInterval: 60, subscriptions: [] });
    st.deleteRetained('r/0');
    assert.equal(st.hasUnflushedWrites(), true);
    await st.flush();
    assert.equal(await retention, 0);

    const log = await st.readLog('log', 0, 0, 10_000);
    assert.equal(log.length, 2991);
    assert.deepEqual(
      [log[0]!.offset, log[0]!.message.payload.toString(), log[2989]!.message.payload.toString()],
      [10, 'p10', 'p2999'],
    );
    const last = log[2990]!;
    assert.equal(last.offset, 3000);
    assert.deepEqual(last.message, rich);
    assert.deepEqual(await st.loadPartitionBounds(), [{ topic: 'log', partition: 0, first: 10, next: 3001 }]);
    assert.deepEqual(await st.loadCursors('c3'), [{ clientId: 'c3', topic: 'log', partition: 0, offset: 2999 }]);
    assert.deepEqual(
      (await st.loadRetained()).map((m) => [m.topic, m.payload.toString()]),
      Array.from({ length: 9 }, (_, k) => [`r/${k + 1}`, `v${2990 + k + 1}`]),
    );
    const queued = await st.loadSessionMessages('s');
    assert.equal(queued.length, 2000);
    assert.deepEqual(
      queued.slice(0, 3).map((e) => [e.seq, e.packetId, e.state, e.message.payload.toString()]),
      [
        [1, undefined, undefined, 'm1'],
        [2, 3, 'publish', 'm2'],
        [4, 5, 'publish', 'm4'],
      ],
    );
    assert.equal((await st.loadIncomingQos2('s')).length, 2250);
    assert.deepEqual(
      (await st.loadSessions()).map((r) => r.clientId),
      ['s'],
    );
  });

  it('the writer thread runs at a lower priority (nice +writerNice, Linux), and is gone after close()', async (t) => {
    if (process.platform !== 'linux') return t.skip('per-thread nice values are Linux only');
    /** The nice value of each thread of this process. */
    const nices = () =>
      readdirSync('/proc/self/task').map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });
    const base = nices()[0]!; // the main thread's
    const expected = Math.min(19, base + 10);
    const before = nices().filter((n) => n === expected).length;
    const st = await open();
    assert.equal(nices().filter((n) => n === expected).length, before + 1);
    await st.close();
    assert.equal(nices().filter((n) => n === expected).length, before);
    const plain = await open({ writerNice: 0 });
    assert.equal(nices().filter((n) => n === expected).length, before);
    await plain.close();
  });

  const module = new URL('../../src/server/storage/sqlite-storage.js', import.meta.url).href;
  const script = `
    const { SqliteStorage } = await import(process.env.RMQ_MODULE);
    const st = new SqliteStorage(process.env.RMQ_FILE);
    await st.open();
    for (let i = 0; i < 100; i++) {
      st.putRetained({ topic: 't/' + i, payload: Buffer.from('x'), qos: 1, retain: true, origin: 'c', timestamp: 1 });
    }
    if (process.env.RMQ_MODE === 'failed') {
      st.putRetained({ topic: 'refused', payload: Buffer.from('x'), qos: 1, retain: true, origin: 'c', timestamp: 1 });
      await st.flush().then(() => console.log('the commit did not fail'), () => {});
    } else if (process.env.RMQ_MODE !== 'pending') await st.flush();
    if (process.env.RMQ_MODE === 'close') await st.close();
    console.log('done');
  `;
  for (const mode of ['close', 'flush', 'pending', 'failed'] as const) {
    const label = {
      close: 'after close()',
      flush: 'after flush() without close(): an idle writer does not hold the process',
      pending: 'with writes neither flushed nor closed, once they are committed',
      failed: 'after a failed commit, without close()',
    }[mode];
    it(`a process that used the engine exits by itself ${label}`, async () => {
      if (mode === 'failed') {
        await (await open()).close(); // the database, as the engine makes it
        refuseTopic(file, 'refused');
      }
      const started = Date.now();
      const scriptFile = join(dir, 'use-sqlite.mjs');
      writeFileSync(scriptFile, script);
      const child = spawnChild(process.execPath, [scriptFile], {
        env: { ...process.env, RMQ_MODULE: module, RMQ_FILE: file, RMQ_MODE: mode },
        timeoutMs: 15_000,
      });
      const exit = await child.exited(10_000);
      assert.deepEqual(exit, { code: 0, signal: null }, child.stderr());
      assert.ok(child.lines.includes('done'), child.stderr());
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms to exit`);
      assert.equal(count(file, 'retained'), mode === 'failed' ? 0 : 100);
    });
  }
});
