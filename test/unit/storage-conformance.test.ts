// The storage conformance suite: the same tests run against every StorageAdapter engine in
// storageEngines (memory, sqlite, postgres): retained put/replace/delete/load with every field
// round-tripping, sessions with their subscriptions and will, session messages in seq order, incoming
// QoS 2 ids, deleteSession cascading, and loads seeing writes not yet flushed. Then sqlite-only tests:
// data survives close() and reopen, flush() makes writes visible to a second (read-only) connection, a
// garbage file is refused with RMQ_ERR_STORAGE and left byte-for-byte unchanged, and migrations run once.
// (postgres-only tests: storage-postgres.test.ts.)
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isRobustMQError } from '../../src/lib/errors.js';
import { createMessage, type Message } from '../../src/server/message.js';
import { SqliteStorage, SQLITE_SCHEMA_VERSION } from '../../src/server/storage/sqlite-storage.js';
import type { SessionMessage, SessionRecord, StorageAdapter } from '../../src/server/storage/storage-adapter.js';
import { norm, storageEngines } from '../helpers/storage-engines.js';

function richMessage(topic: string, payload: Buffer, retain = true): Message {
  return createMessage({
    topic,
    payload,
    qos: 2,
    retain,
    origin: 'publisher-1',
    timestamp: 1_700_000_000_123,
    properties: {
      payloadFormatIndicator: 1,
      messageExpiryInterval: 3600,
      contentType: 'application/octet-stream',
      responseTopic: 'reply/to',
      correlationData: Buffer.from([0, 1, 2, 0xfe, 0xff]),
      // order matters, and a name may repeat [MQTT-3.3.2-17], [MQTT-3.3.2-18]
      userProperties: [
        ['z', '1'],
        ['a', '2'],
        ['z', '3'],
        ['ünï', 'cødé'],
      ],
    },
  });
}

function plainMessage(topic: string, payload: string | Buffer, qos: 0 | 1 | 2 = 1): Message {
  return createMessage({ topic, payload: Buffer.from(payload), qos, retain: false, origin: 'p' });
}

function session(clientId: string, extra: Partial<SessionRecord> = {}): SessionRecord {
  return {
    clientId,
    protocolVersion: 5,
    expiryInterval: 0xffffffff,
    subscriptions: [
      { rawFilter: 'a/+', qos: 1, noLocal: false, retainAsPublished: true, retainHandling: 0 },
      {
        rawFilter: '$share/g/b/#',
        qos: 2,
        noLocal: true,
        retainAsPublished: false,
        retainHandling: 2,
        subscriptionId: 7,
      },
    ],
    ...extra,
  };
}

for (const engine of storageEngines) {
  describe(`storage conformance: ${engine.name}`, () => {
    let dir: string;
    let s: StorageAdapter;

    before(async () => {
      await engine.setup?.();
    });
    after(async () => {
      await engine.teardown?.();
    });
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rmq-storage-'));
      s = await engine.create(dir);
      await s.open();
    });
    afterEach(async () => {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('reports its engine name', () => {
      assert.equal(s.engine, engine.name);
    });

    it('retained: put / load round-trips payload bytes, properties, user property order, expiresAt', async () => {
      const payload = Buffer.from([0, 0xff, 0x80, 0x0a, 0x0d, 0]);
      const m = richMessage('a/b', payload);
      const empty = createMessage({ topic: 'empty', payload: Buffer.alloc(0), qos: 0, retain: true, origin: '' });
      s.putRetained(m);
      s.putRetained(empty);
      await s.flush();
      const loaded = (await s.loadRetained()).sort((x, y) => x.topic.localeCompare(y.topic));
      assert.equal(loaded.length, 2);
      const [got, gotEmpty] = loaded as [Message, Message];
      assert.ok(Buffer.isBuffer(got.payload));
      assert.deepEqual(norm(got), norm(m));
      assert.equal(got.expiresAt, 1_700_000_000_123 + 3_600_000);
      assert.deepEqual(got.properties?.correlationData, Buffer.from([0, 1, 2, 0xfe, 0xff]));
      assert.deepEqual(got.properties?.userProperties, [
        ['z', '1'],
        ['a', '2'],
        ['z', '3'],
        ['ünï', 'cødé'],
      ]);
      assert.equal(gotEmpty.payload.length, 0);
      assert.equal(gotEmpty.expiresAt, undefined);
      assert.equal(gotEmpty.properties, undefined);
      assert.deepEqual(norm(gotEmpty), norm(empty));
    });

    it('retained: put on the same topic replaces, delete removes', async () => {
      s.putRetained(plainMessage('t/1', 'old'));
      s.putRetained(plainMessage('t/2', 'two'));
      s.putRetained(plainMessage('t/1', 'new'));
      await s.flush();
      let loaded = await s.loadRetained();
      assert.deepEqual(loaded.map((m) => [m.topic, m.payload.toString()]).sort(), [
        ['t/1', 'new'],
        ['t/2', 'two'],
      ]);
      s.deleteRetained('t/1');
      s.deleteRetained('never/existed');
      await s.flush();
      loaded = await s.loadRetained();
      assert.deepEqual(
        loaded.map((m) => m.topic),
        ['t/2'],
      );
    });

    it('sessions: save / replace / delete / load, with subscriptions and will', async () => {
      const will = { delay: 30, message: richMessage('will/topic', Buffer.from([9, 8, 7]), false) };
      const a = session('a', { will, disconnectedAt: 1_700_000_100_000 });
      const b = session('b', { protocolVersion: 4, expiryInterval: 0, subscriptions: [] });
      s.saveSession(a);
      s.saveSession(b);
      await s.flush();
      let loaded = (await s.loadSessions()).sort((x, y) => x.clientId.localeCompare(y.clientId));
      assert.deepEqual(norm(loaded), norm([a, b]));
      assert.deepEqual(loaded[0]!.will?.message.payload, Buffer.from([9, 8, 7]));
      assert.deepEqual(loaded[0]!.will?.message.properties?.correlationData, Buffer.from([0, 1, 2, 0xfe, 0xff]));

      // replace: the will and disconnectedAt are gone, the subscriptions changed
      const a2 = session('a', { expiryInterval: 60, subscriptions: [a.subscriptions[1]!] });
      s.saveSession(a2);
      await s.flush();
      loaded = (await s.loadSessions()).sort((x, y) => x.clientId.localeCompare(y.clientId));
      assert.deepEqual(norm(loaded), norm([a2, b]));
      assert.equal(loaded[0]!.will, undefined);
      assert.equal(loaded[0]!.disconnectedAt, undefined);

      s.deleteSession('b');
      await s.flush();
      assert.deepEqual(norm(await s.loadSessions()), norm([a2]));
    });

    it('session messages: append / update / delete / load in seq order', async () => {
      const m1 = richMessage('x/1', Buffer.from('one'), false);
      const entries: SessionMessage[] = [
        { clientId: 'c', seq: 3, message: plainMessage('x/3', 'three', 2), qos: 2 },
        { clientId: 'c', seq: 1, message: m1, qos: 1, packetId: 10, state: 'publish' },
        { clientId: 'c', seq: 2, message: plainMessage('x/2', 'two', 0), qos: 0 },
        { clientId: 'other', seq: 1, message: plainMessage('y', 'o'), qos: 1 },
      ];
      for (const e of entries) s.appendSessionMessage(e);
      await s.flush();
      let loaded = await s.loadSessionMessages('c');
      assert.deepEqual(
        loaded.map((e) => e.seq),
        [1, 2, 3],
      );
      assert.deepEqual(norm(loaded[0]), norm(entries[1]));
      assert.deepEqual(norm(loaded[2]), norm(entries[0]));

      s.updateSessionMessage('c', 3, { packetId: 11, state: 'publish' });
      s.updateSessionMessage('c', 3, { state: 'pubrel' }); // packetId kept
      s.deleteSessionMessage('c', 2);
      s.deleteSessionMessage('c', 99);
      await s.flush();
      loaded = await s.loadSessionMessages('c');
      assert.deepEqual(
        loaded.map((e) => [e.seq, e.packetId, e.state, e.message.payload.toString()]),
        [
          [1, 10, 'publish', 'one'],
          [3, 11, 'pubrel', 'three'],
        ],
      );
      assert.equal((await s.loadSessionMessages('other')).length, 1);
      assert.deepEqual(await s.loadSessionMessages('nobody'), []);
    });

    it('incoming QoS 2 ids: add / remove / load per client', async () => {
      s.addIncomingQos2('c', 5);
      s.addIncomingQos2('c', 65535);
      s.addIncomingQos2('c', 1);
      s.addIncomingQos2('c', 5); // twice: still once
      s.addIncomingQos2('d', 5);
      s.removeIncomingQos2('c', 1);
      s.removeIncomingQos2('c', 2);
      await s.flush();
      assert.deepEqual(
        (await s.loadIncomingQos2('c')).sort((x, y) => x - y),
        [5, 65535],
      );
      assert.deepEqual(await s.loadIncomingQos2('d'), [5]);
      assert.deepEqual(await s.loadIncomingQos2('e'), []);
    });

    it('deleteSession removes its messages and QoS 2 ids, and nothing of other sessions', async () => {
      s.saveSession(session('gone'));
      s.saveSession(session('kept'));
      s.appendSessionMessage({ clientId: 'gone', seq: 1, message: plainMessage('t', '1'), qos: 1 });
      s.appendSessionMessage({ clientId: 'kept', seq: 1, message: plainMessage('t', '2'), qos: 1 });
      s.addIncomingQos2('gone', 7);
      s.addIncomingQos2('kept', 8);
      await s.flush();
      s.deleteSession('gone');
      await s.flush();
      assert.deepEqual(
        (await s.loadSessions()).map((r) => r.clientId),
        ['kept'],
      );
      assert.deepEqual(await s.loadSessionMessages('gone'), []);
      assert.deepEqual(await s.loadIncomingQos2('gone'), []);
      assert.equal((await s.loadSessionMessages('kept')).length, 1);
      assert.deepEqual(await s.loadIncomingQos2('kept'), [8]);
    });

    it('loads see every earlier write, flushed or not', async () => {
      s.putRetained(plainMessage('r', 'v'));
      s.saveSession(session('s'));
      s.appendSessionMessage({ clientId: 's', seq: 1, message: plainMessage('t', 'm'), qos: 1 });
      s.addIncomingQos2('s', 3);
      assert.equal((await s.loadRetained()).length, 1);
      assert.equal((await s.loadSessions()).length, 1);
      assert.equal((await s.loadSessionMessages('s')).length, 1);
      assert.deepEqual(await s.loadIncomingQos2('s'), [3]);
      await s.flush();
    });

    it('feature records: save replaces by (kind, id), delete, load per kind in id order, kept after reopen', async () => {
      s.saveFeatureRecord('delayed', 'b', '{"n":1}');
      s.saveFeatureRecord('delayed', 'a', '{"n":2}');
      s.saveFeatureRecord('delayed', 'c', '{"n":3}');
      s.saveFeatureRecord('rewrite', 'a', '{"other":"kind ünï"}');
      s.saveFeatureRecord('delayed', 'b', '{"n":4}'); // replaces
      s.deleteFeatureRecord('delayed', 'c');
      s.deleteFeatureRecord('delayed', 'missing');
      // visible before a flush, like every other load
      assert.deepEqual(await s.loadFeatureRecords('delayed'), [
        { id: 'a', value: '{"n":2}' },
        { id: 'b', value: '{"n":4}' },
      ]);
      await s.flush();
      await s.close();
      s = await engine.create(dir);
      await s.open();
      const expected =
        engine.name === 'memory'
          ? []
          : [
              { id: 'a', value: '{"n":2}' },
              { id: 'b', value: '{"n":4}' },
            ];
      assert.deepEqual(await s.loadFeatureRecords('delayed'), expected);
      assert.deepEqual(
        await s.loadFeatureRecords('rewrite'),
        engine.name === 'memory' ? [] : [{ id: 'a', value: '{"other":"kind ünï"}' }],
      );
      assert.deepEqual(await s.loadFeatureRecords('none'), []);
    });

    it('flush() with nothing written resolves', async () => {
      await s.flush();
      await s.flush();
    });
  });
}

describe('storage: sqlite only', () => {
  let dir: string;
  let file: string;
  const opened: SqliteStorage[] = [];

  function make(): SqliteStorage {
    const st = new SqliteStorage(file);
    opened.push(st);
    return st;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-sqlite-'));
    file = join(dir, 'data', 'robustmq.db'); // the data dir does not exist yet: created on first start
  });
  afterEach(async () => {
    for (const st of opened.splice(0)) await st.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('data survives close() and a new SqliteStorage on the same file', async () => {
    const a = make();
    await a.open();
    const m = richMessage('keep/me', randomBytes(1000));
    const rec = session('c1', { disconnectedAt: 1_700_000_000_000, will: { delay: 5, message: m } });
    a.putRetained(m);
    a.saveSession(rec);
    a.appendSessionMessage({ clientId: 'c1', seq: 1, message: m, qos: 2, packetId: 4, state: 'pubrel' });
    a.addIncomingQos2('c1', 42);
    await a.close(); // no flush(): close() commits what is queued

    const b = make();
    await b.open();
    assert.deepEqual(norm(await b.loadRetained()), norm([m]));
    assert.deepEqual(norm(await b.loadSessions()), norm([rec]));
    const msgs = await b.loadSessionMessages('c1');
    assert.deepEqual(norm(msgs), norm([{ clientId: 'c1', seq: 1, message: m, qos: 2, packetId: 4, state: 'pubrel' }]));
    assert.deepEqual(await b.loadIncomingQos2('c1'), [42]);
  });

  it('flush() makes the writes visible to a second connection on the file', async () => {
    const a = make();
    await a.open();
    const reader = new Database(file, { readonly: true });
    try {
      const count = () => (reader.prepare('SELECT count(*) AS n FROM retained').get() as { n: number }).n;
      assert.equal(count(), 0);
      for (let i = 0; i < 50; i++) a.putRetained(plainMessage(`t/${i}`, String(i)));
      a.saveSession(session('s'));
      await a.flush();
      assert.equal(count(), 50);
      const row = reader.prepare('SELECT payload FROM retained WHERE topic = ?').get('t/7') as { payload: Buffer };
      assert.equal(row.payload.toString(), '7');
      assert.equal((reader.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n, 1);
      assert.equal(reader.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      reader.close();
    }
  });

  it('many concurrent flush() calls all resolve, with every write before them committed', async () => {
    const a = make();
    await a.open();
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      a.appendSessionMessage({ clientId: 'c', seq: i, message: plainMessage('t', String(i)), qos: 1 });
      flushes.push(a.flush());
    }
    await Promise.all(flushes);
    const reader = new Database(file, { readonly: true });
    try {
      assert.equal((reader.prepare('SELECT count(*) AS n FROM session_messages').get() as { n: number }).n, 200);
    } finally {
      reader.close();
    }
  });

  it('writes are committed by the group-commit timer without any flush()', async () => {
    const a = make();
    await a.open();
    a.addIncomingQos2('c', 9);
    const reader = new Database(file, { readonly: true });
    try {
      const count = () => (reader.prepare('SELECT count(*) AS n FROM incoming_qos2').get() as { n: number }).n;
      for (let i = 0; i < 100 && count() === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(count(), 1);
    } finally {
      reader.close();
    }
  });

  for (const [label, bytes] of [
    ['random garbage', () => randomBytes(8192)],
    [
      'a SQLite header followed by garbage',
      () => {
        const b = Buffer.concat([Buffer.from('SQLite format 3\0'), randomBytes(8176)]);
        b[18] = b[19] = 0xab; // never the WAL format bytes (2), which would make SQLite create -wal / -shm
        return b;
      },
    ],
  ] as const) {
    it(`a file of ${label} makes open() reject with RMQ_ERR_STORAGE naming it, and is left unchanged`, async () => {
      mkdirSync(join(dir, 'data'));
      const content = bytes();
      writeFileSync(file, content);
      const before = createHash('sha256').update(content).digest('hex');
      const st = make();
      await assert.rejects(st.open(), (err: unknown) => {
        assert.ok(isRobustMQError(err), `not a RobustMQError: ${String(err)}`);
        assert.equal(err.code, 'RMQ_ERR_STORAGE');
        assert.ok(err.message.includes(file), `message does not name the file: ${err.message}`);
        return true;
      });
      // a second attempt fails the same way (nothing was "repaired" by the first)
      await assert.rejects(st.open(), { code: 'RMQ_ERR_STORAGE' });
      const after = createHash('sha256').update(readFileSync(file)).digest('hex');
      assert.equal(after, before);
      assert.deepEqual(readdirSync(join(dir, 'data')), ['robustmq.db']); // no -wal / -shm / journal made
    });
  }

  it('migrations run once: opening twice leaves schema_version unchanged', async () => {
    const a = make();
    await a.open();
    await a.close();
    const readVersions = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT version, applied_at FROM schema_version ORDER BY version').all();
      } finally {
        db.close();
      }
    };
    const first = readVersions();
    assert.equal(first.length, SQLITE_SCHEMA_VERSION);
    assert.deepEqual(
      first.map((r) => (r as { version: number }).version),
      Array.from({ length: SQLITE_SCHEMA_VERSION }, (_, i) => i + 1),
    );
    const b = make();
    await b.open();
    await b.close();
    assert.deepEqual(readVersions(), first);
  });

  it('a file written by a newer schema is refused and left alone', async () => {
    const a = make();
    await a.open();
    await a.close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(SQLITE_SCHEMA_VERSION + 1, 1);
    db.close();
    const before = readFileSync(file);
    await assert.rejects(make().open(), (err: unknown) => {
      assert.ok(isRobustMQError(err) && err.code === 'RMQ_ERR_STORAGE');
      assert.match(err.message, /newer/);
      return true;
    });
    assert.ok(readFileSync(file).equals(before));
  });

  it('writes after close() throw RMQ_ERR_STORAGE instead of being lost silently', async () => {
    const a = make();
    await a.open();
    await a.close();
    assert.throws(() => a.putRetained(plainMessage('t', 'x')), { code: 'RMQ_ERR_STORAGE' });
  });
});
