// Tests of the postgres engine alone, against a real PostgreSQL started by the test (test/helpers/postgres.ts):
// data survives close() and a new PostgresStorage; an unreachable server, a wrong password or a missing
// database make open() reject with RMQ_ERR_STORAGE naming host:port/database and never the password;
// concurrent opens of a fresh database migrate once; a newer schema is refused; concurrent flush() calls
// each resolve with their writes committed (checked from another connection) while batches are in flight;
// the group-commit timer commits without flush(); a batch of 5,000 writes is a few round trips; a failed
// commit is sticky; random runs of writes (security tables included) folded into batches leave the same
// state as the memory engine;
// and 10,000 appends then flush() (timed, printed, not asserted).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import pg from 'pg';
import { isRobustMQError, type RobustMQError } from '../../src/lib/errors.js';
import { createMessage, type Message } from '../../src/server/message.js';
import { MemoryStorage } from '../../src/server/storage/memory-storage.js';
import { POSTGRES_SCHEMA_VERSION, PostgresStorage } from '../../src/server/storage/postgres-storage.js';
import type {
  LogEntry,
  SecurityStorage,
  SessionRecord,
  StorageAdapter,
} from '../../src/server/storage/storage-adapter.js';
import { rng } from '../helpers/bytes.js';
import { freePort } from '../helpers/child.js';
import { norm } from '../helpers/storage-engines.js';
import { PASSWORD_USER, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const T0 = 1_700_000_000_000;

function richMessage(topic: string, payload: Buffer): Message {
  return createMessage({
    topic,
    payload,
    qos: 2,
    retain: true,
    origin: 'publisher-1',
    timestamp: T0 + 123,
    properties: {
      messageExpiryInterval: 3600,
      correlationData: Buffer.from([0, 1, 2, 0xfe, 0xff]),
      userProperties: [
        ['z', '1'],
        ['a', '2'],
      ],
    },
  });
}

function plain(topic: string, payload: string, timestamp = T0): Message {
  return createMessage({ topic, payload: Buffer.from(payload), qos: 1, retain: false, origin: 'p', timestamp });
}

function session(clientId: string, extra: Partial<SessionRecord> = {}): SessionRecord {
  return {
    clientId,
    protocolVersion: 5,
    expiryInterval: 0xffffffff,
    subscriptions: [{ rawFilter: 'a/+', qos: 1, noLocal: false, retainAsPublished: true, retainHandling: 0 }],
    ...extra,
  };
}

const dbName = (url: string) => new URL(url).pathname.slice(1);

describe('storage: postgres only', () => {
  let server: PostgresServer;
  const opened: PostgresStorage[] = [];
  const clients: pg.Client[] = [];

  function make(url: string, options: Partial<ConstructorParameters<typeof PostgresStorage>[0]> = {}) {
    const st = new PostgresStorage({ url, ...options });
    opened.push(st);
    return st;
  }
  /** A separate connection to the database, to see what is committed. */
  async function reader(url: string): Promise<pg.Client> {
    const c = await server.connect(dbName(url));
    clients.push(c);
    return c;
  }
  async function count(c: pg.Client, table: string): Promise<number> {
    return Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  }

  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    // the readers first: one may hold a lock that a commit waits for (when a test failed half-way)
    for (const c of clients.splice(0)) await c.end().catch(() => {});
    for (const st of opened.splice(0)) await st.close().catch(() => {});
  });

  it('data survives close() and a new PostgresStorage on the same database', async () => {
    const url = await server.createDatabase();
    const a = make(url);
    await a.open();
    const m = richMessage('keep/me', Buffer.from([0, 0xff, 0x80, 0, 1]));
    const rec = session('c1', { disconnectedAt: T0, will: { delay: 5, message: m } });
    const logged: LogEntry = { topic: 'orders', partition: 1, offset: 7, message: m };
    a.putRetained(m);
    a.saveSession(rec);
    a.appendSessionMessage({ clientId: 'c1', seq: 1, message: m, qos: 2, packetId: 4, state: 'pubrel' });
    a.addIncomingQos2('c1', 42);
    a.saveTopic({ name: 'orders', partitions: 2, retentionMs: 0, retentionBytes: 10, createdAt: T0 });
    a.appendLog(logged);
    a.appendLog({ ...logged, offset: 8 });
    a.trimLog('orders', 1, 8);
    a.saveCursor({ clientId: 'c1', topic: 'orders', partition: 1, offset: 8 });
    await a.close(); // no flush(): close() commits what is queued

    const b = make(url);
    await b.open();
    assert.deepEqual(norm(await b.loadRetained()), norm([m]));
    assert.deepEqual(norm(await b.loadSessions()), norm([rec]));
    assert.deepEqual(norm(await b.loadSessionMessages('c1')), [
      norm({ clientId: 'c1', seq: 1, message: m, qos: 2, packetId: 4, state: 'pubrel' }),
    ]);
    assert.deepEqual(await b.loadIncomingQos2('c1'), [42]);
    assert.deepEqual(await b.loadTopics(), [
      { name: 'orders', partitions: 2, retentionMs: 0, retentionBytes: 10, createdAt: T0 },
    ]);
    assert.deepEqual(norm(await b.readLog('orders', 1, 0, 10)), norm([{ ...logged, offset: 8 }]));
    assert.deepEqual(await b.loadPartitionBounds(), [{ topic: 'orders', partition: 1, first: 8, next: 9 }]);
    assert.deepEqual(await b.loadCursors('c1'), [{ clientId: 'c1', topic: 'orders', partition: 1, offset: 8 }]);
  });

  function assertStorageError(where: string, secret?: string) {
    return (err: unknown) => {
      assert.ok(isRobustMQError(err), `not a RobustMQError: ${String(err)}`);
      assert.equal(err.code, 'RMQ_ERR_STORAGE');
      assert.ok(err.message.includes(where), `message does not name ${where}: ${err.message}`);
      if (secret !== undefined) {
        assert.ok(!err.message.includes(secret), `message shows the password: ${err.message}`);
        assert.ok(!String(err.stack).includes(secret), 'stack shows the password');
      }
      return true;
    };
  }

  it('open() against a closed port rejects with RMQ_ERR_STORAGE naming host:port/database, not the password', async () => {
    const port = await freePort(); // nothing listens there
    const st = make(`postgres://someone:s3cr3t-Pa55@127.0.0.1:${port}/somedb`);
    await assert.rejects(st.open(), assertStorageError(`127.0.0.1:${port}/somedb`, 's3cr3t-Pa55'));
    assert.throws(() => st.putRetained(plain('t', 'x')), { code: 'RMQ_ERR_STORAGE' }); // not open
  });

  it('a wrong password or a missing database makes open() reject with RMQ_ERR_STORAGE, without the password', async () => {
    const url = await server.createDatabase();
    const db = dbName(url);
    const admin = await reader(url);
    await admin.query(`DROP ROLE IF EXISTS ${PASSWORD_USER}`);
    await admin.query(`CREATE ROLE ${PASSWORD_USER} LOGIN PASSWORD 'the-right-one'`);
    await admin.query(`ALTER DATABASE ${db} OWNER TO ${PASSWORD_USER}`);
    const at = `127.0.0.1:${server.port}`;
    const wrong = make(`postgres://${PASSWORD_USER}:wr0ng-Pa55@${at}/${db}`);
    await assert.rejects(wrong.open(), assertStorageError(`${at}/${db}`, 'wr0ng-Pa55'));
    const missing = make(`postgres://${PASSWORD_USER}:the-right-one@${at}/no_such_db`);
    await assert.rejects(missing.open(), assertStorageError(`${at}/no_such_db`, 'the-right-one'));
    // the same user with its password gets in: what failed above was the password, then the database
    const right = make(`postgres://${PASSWORD_USER}:the-right-one@${at}/${db}`);
    await right.open();
    right.putRetained(plain('t', 'x'));
    assert.equal((await right.loadRetained()).length, 1);
  });

  it('several PostgresStorage opening the same fresh database at once all succeed; migrations run once', async () => {
    const url = await server.createDatabase();
    const stores = Array.from({ length: 4 }, () => make(url));
    await Promise.all(stores.map((st) => st.open()));
    const c = await reader(url);
    const rows = (await c.query('SELECT version FROM schema_version ORDER BY version')).rows as { version: number }[];
    assert.deepEqual(
      rows.map((r) => r.version),
      Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1),
    );
    // and they all work on the same tables
    stores.forEach((st, i) => st.putRetained(plain(`t/${i}`, String(i))));
    await Promise.all(stores.map((st) => st.flush()));
    assert.equal(await count(c, 'retained'), 4);
    // opening again later changes nothing
    const again = make(url);
    await again.open();
    assert.equal(await count(c, 'schema_version'), POSTGRES_SCHEMA_VERSION);
  });

  it('a database written by a newer schema is refused and left alone', async () => {
    const url = await server.createDatabase();
    const a = make(url);
    await a.open();
    a.putRetained(plain('keep', 'me'));
    await a.close();
    const c = await reader(url);
    await c.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, 1)', [POSTGRES_SCHEMA_VERSION + 1]);
    await assert.rejects(make(url).open(), (err: unknown) => {
      assertStorageError(`127.0.0.1:${server.port}/${dbName(url)}`)(err);
      assert.match((err as Error).message, /newer/);
      return true;
    });
    assert.equal(await count(c, 'schema_version'), POSTGRES_SCHEMA_VERSION + 1);
    assert.equal(await count(c, 'retained'), 1);
  });

  it('many concurrent flush() calls resolve, each once its writes are committed, batches in flight or not', async () => {
    const url = await server.createDatabase();
    const a = make(url, { commitIntervalMs: 1, maxBatch: 64 });
    await a.open();
    const c = await reader(url);
    const checks: Promise<void>[] = [];
    // one query at a time on the reader: each check runs after its flush() resolved, or later
    let readerFree: Promise<unknown> = Promise.resolve();
    const countLater = () => (readerFree = readerFree.then(() => count(c, 'session_messages'))) as Promise<number>;
    let issued = 0;
    for (let wave = 0; wave < 20; wave++) {
      for (let i = 0; i < 25; i++) {
        a.appendSessionMessage({ clientId: 'c', seq: issued, message: plain('t', String(issued)), qos: 1 });
        issued++;
        const expected = issued;
        // committed rows never go away: once flush() resolves, at least `expected` rows are there
        checks.push(
          a.flush().then(async () => {
            const n = await countLater();
            assert.ok(n >= expected, `flush() resolved with ${n} rows committed, expected >= ${expected}`);
          }),
        );
      }
      // let a batch start, so that the next wave's writes and flushes come while it is in flight
      if (wave % 2 === 0) await new Promise((r) => setImmediate(r));
      else await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(checks);
    assert.equal(await count(c, 'session_messages'), issued);
    assert.equal(a.hasUnflushedWrites(), false);
  });

  it('flush() called while a batch is in flight waits for that batch and the next one', async () => {
    const url = await server.createDatabase();
    const a = make(url, { commitIntervalMs: 60_000 });
    await a.open();
    const [lock1, lock2, watch] = [await reader(url), await reader(url), await reader(url)];
    const holdKey = async (c: pg.Client, seq: number) => {
      // an uncommitted row with the key a batch will write: that batch waits for this transaction
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO session_messages (client_id, seq, topic, payload, msg_qos, retain, origin, timestamp, qos)
         VALUES ('c', $1, 't', '\\x00', 0, false, 'x', 0, 0)`,
        [seq],
      );
    };
    const blockedCommits = async () =>
      Number(
        (
          await watch.query(
            `SELECT count(*) AS n FROM pg_stat_activity
             WHERE application_name = 'robustmq' AND wait_event_type = 'Lock' AND datname = $1`,
            [dbName(url)],
          )
        ).rows[0].n,
      );
    const waitBlocked = async () => {
      for (let i = 0; i < 400 && (await blockedCommits()) === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(await blockedCommits(), 1, 'the batch did not block on the held row');
    };

    await holdKey(lock1, 0);
    await holdKey(lock2, 1);
    a.appendSessionMessage({ clientId: 'c', seq: 0, message: plain('t', '0'), qos: 1 });
    let first = false;
    const f1 = a.flush().then(() => (first = true));
    await waitBlocked(); // batch 1 (seq 0) is in flight
    a.appendSessionMessage({ clientId: 'c', seq: 1, message: plain('t', '1'), qos: 1 });
    let second = false;
    const f2 = a.flush().then(() => (second = true));
    assert.equal(a.hasUnflushedWrites(), true);
    await lock1.query('ROLLBACK'); // batch 1 commits; batch 2 (seq 1) starts and blocks on lock2
    await f1;
    assert.equal(first, true);
    await waitBlocked();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(second, false, 'flush() resolved before the batch holding its write was committed');
    assert.equal(a.hasUnflushedWrites(), true);
    await lock2.query('ROLLBACK');
    await f2;
    assert.equal(a.hasUnflushedWrites(), false);
    assert.equal(await count(watch, 'session_messages'), 2);
  });

  it('hasUnflushedWrites() is true while a write is queued or in flight, and the timer commits without flush()', async () => {
    const url = await server.createDatabase();
    const a = make(url, { commitIntervalMs: 5, maxBatch: 3 });
    await a.open();
    const c = await reader(url);
    assert.equal(a.hasUnflushedWrites(), false);
    a.addIncomingQos2('c', 1);
    assert.equal(a.hasUnflushedWrites(), true); // queued
    a.addIncomingQos2('c', 2);
    a.addIncomingQos2('c', 3); // maxBatch: the commit starts now, the queue is empty
    assert.equal(a.hasUnflushedWrites(), true); // in flight
    for (let i = 0; i < 200 && (await count(c, 'incoming_qos2')) < 3; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await count(c, 'incoming_qos2'), 3);
    a.addIncomingQos2('c', 4); // the timer alone commits this one
    for (let i = 0; i < 200 && (await count(c, 'incoming_qos2')) < 4; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await count(c, 'incoming_qos2'), 4);
    for (let i = 0; i < 100 && a.hasUnflushedWrites(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(a.hasUnflushedWrites(), false);
  });

  it('a batch of 5,000 appends is committed in a few round trips, not one per write', async () => {
    const url = await server.createDatabase();
    const a = make(url, { commitIntervalMs: 10_000 });
    await a.open();
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    let queries = 0;
    proto.query = function (this: unknown, ...args: unknown[]) {
      queries++;
      return original.apply(this, args);
    };
    try {
      for (let i = 0; i < 4999; i++) {
        a.appendSessionMessage({ clientId: `c${i % 7}`, seq: i, message: plain('t', String(i)), qos: 1 });
      }
      a.deleteSessionMessage('c0', 0); // a delete after the append of its key, in the same batch, wins
      await a.flush();
    } finally {
      proto.query = original;
    }
    assert.ok(queries <= 6, `${queries} queries for one batch`);
    const c = await reader(url);
    assert.equal(await count(c, 'session_messages'), 4998);
  });

  it('a failed commit is sticky: flush() and loads reject with RMQ_ERR_STORAGE, onError is told', async () => {
    const url = await server.createDatabase();
    const errors: RobustMQError[] = [];
    const a = make(url, { onError: (e) => errors.push(e) });
    await a.open();
    a.putRetained(plain('before', '1'));
    await a.flush();
    const c = await reader(url);
    await c.query('DROP TABLE incoming_qos2'); // the next batch touching it fails
    a.putRetained(plain('lost', '2'));
    a.addIncomingQos2('c', 1);
    await assert.rejects(a.flush(), assertStorageError(`127.0.0.1:${server.port}`));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'RMQ_ERR_STORAGE');
    assert.equal(a.hasUnflushedWrites(), true); // what was written is not durable and never will be
    a.putRetained(plain('after', '3'));
    await assert.rejects(a.flush(), { code: 'RMQ_ERR_STORAGE' });
    await assert.rejects(a.loadRetained(), { code: 'RMQ_ERR_STORAGE' });
    await assert.rejects(a.applyRetention('t', 0, 1, 0), { code: 'RMQ_ERR_STORAGE' });
    // the failed batch was rolled back as a whole
    const topics = (await c.query('SELECT topic FROM retained ORDER BY topic')).rows.map((r) => r.topic);
    assert.deepEqual(topics, ['before']);
  });

  for (const [label, options] of [
    ['one batch per load', { commitIntervalMs: 60_000 }],
    ['small batches', { commitIntervalMs: 1, maxBatch: 7 }],
  ] as const) {
    it(`random runs of writes leave the same state as the memory engine (${label})`, async () => {
      const url = await server.createDatabase();
      const pgs = make(url, options);
      await pgs.open();
      const mem = new MemoryStorage();
      const both: (StorageAdapter & SecurityStorage)[] = [mem, pgs];
      const rand = rng(label.length * 7919);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const int = (n: number) => Math.floor(rand() * n);
      const clientIds = ['a', 'b'];
      const topicNames = ['t1', 't2'];
      const nextOffset = new Map<string, number>();
      let seqs = 0;
      let stamp = T0;

      const compare = async (round: number) => {
        const [m, p] = [mem, pgs];
        const byTopic = (x: { topic: string }, y: { topic: string }) => x.topic.localeCompare(y.topic);
        const byKey = (x: { topic: string; partition: number }, y: { topic: string; partition: number }) =>
          x.topic.localeCompare(y.topic) || x.partition - y.partition;
        const state = async (s: StorageAdapter & SecurityStorage) => ({
          retained: (await s.loadRetained()).sort(byTopic),
          sessions: (await s.loadSessions()).sort((x, y) => x.clientId.localeCompare(y.clientId)),
          messages: await Promise.all(clientIds.map((id) => s.loadSessionMessages(id))),
          qos2: await Promise.all(clientIds.map(async (id) => (await s.loadIncomingQos2(id)).sort((x, y) => x - y))),
          topics: (await s.loadTopics()).sort((x, y) => x.name.localeCompare(y.name)),
          logs: await Promise.all(
            topicNames.flatMap((t) => [0, 1].map((partition) => s.readLog(t, partition, 0, 1_000_000))),
          ),
          bounds: (await s.loadPartitionBounds()).sort(byKey),
          cursors: await Promise.all(clientIds.map(async (id) => (await s.loadCursors(id)).sort(byKey))),
          // not sorted here: the engine's own order must be memory's
          users: await s.loadUsers(),
          acls: await s.loadAcls(),
          bans: await s.loadBans(),
        });
        assert.deepEqual(norm(await state(p)), norm(await state(m)), `after round ${round}`);
      };

      for (let round = 0; round < 12; round++) {
        const retentions: Promise<[number, number]>[] = [];
        for (let i = 0; i < 150; i++) {
          if (rand() < 0.2) {
            // users, ACL rules, bans: few keys, so saves and deletes of one key meet in a batch
            const r = rand();
            const name = pick(['u1', 'u2', 'u10']);
            const id = pick(['a1', 'a2', 'a10']);
            const kind = pick(['clientid', 'username', 'ip'] as const);
            if (r < 0.2) {
              const user = { username: name, passwordHash: `h${i}`, superuser: rand() < 0.5, createdAt: T0 + i };
              both.forEach((s) => s.saveUser(user));
            } else if (r < 0.33) both.forEach((s) => s.deleteUser(name));
            else if (r < 0.53) {
              const rule = {
                id,
                principalKind: pick(['user', 'client', 'all'] as const),
                principal: name,
                filter: `f/${i}/#`,
                action: pick(['publish', 'subscribe', 'all'] as const),
                permission: pick(['allow', 'deny'] as const),
                createdAt: T0 + int(3), // ties: then id order
              };
              both.forEach((s) => s.saveAcl(rule));
            } else if (r < 0.66) both.forEach((s) => s.deleteAcl(id));
            else if (r < 0.86) {
              const b = { kind, value: name, reason: `r${i}`, until: rand() < 0.5 ? undefined : T0 + i, createdAt: T0 };
              both.forEach((s) => s.saveBan(b));
            } else if (r < 0.97) both.forEach((s) => s.deleteBan(kind, name));
            else await pgs.loadAcls(); // a load in the middle
            continue;
          }
          const clientId = pick(clientIds);
          const t = pick(topicNames);
          const partition = int(2);
          const key = `${t}/${partition}`;
          const r = rand();
          stamp += int(3);
          const retainedTopic = pick(['r1', 'r2', 'r3']);
          if (r < 0.06) both.forEach((s) => s.putRetained(plain(retainedTopic, String(i), stamp)));
          else if (r < 0.09) both.forEach((s) => s.deleteRetained(retainedTopic));
          else if (r < 0.13) both.forEach((s) => s.saveSession(session(clientId, { expiryInterval: i })));
          else if (r < 0.16) both.forEach((s) => s.deleteSession(clientId));
          else if (r < 0.3) {
            const seq = rand() < 0.5 ? seqs++ : int(seqs + 1);
            both.forEach((s) => s.appendSessionMessage({ clientId, seq, message: plain('m', String(i)), qos: 1 }));
          } else if (r < 0.38) {
            const change = pick([
              { packetId: i % 65535 },
              { state: 'pubrel' as const },
              { packetId: 9, state: 'publish' as const },
            ]);
            const seq = int(seqs + 1);
            both.forEach((s) => s.updateSessionMessage(clientId, seq, change));
          } else if (r < 0.45) {
            const seq = int(seqs + 1);
            both.forEach((s) => s.deleteSessionMessage(clientId, seq));
          } else if (r < 0.5) {
            const id = 1 + int(4);
            both.forEach((s) => s.addIncomingQos2(clientId, id));
          } else if (r < 0.54) {
            const id = 1 + int(4);
            both.forEach((s) => s.removeIncomingQos2(clientId, id));
          } else if (r < 0.57) {
            const rec = { name: t, partitions: 2, retentionMs: i, retentionBytes: 0, createdAt: stamp };
            both.forEach((s) => s.saveTopic(rec));
          } else if (r < 0.59) both.forEach((s) => s.deleteTopic(t));
          else if (r < 0.8) {
            const offset = nextOffset.get(key) ?? 0;
            nextOffset.set(key, offset + 1);
            const entry = { topic: t, partition, offset, message: plain(t, 'x'.repeat(int(20)), stamp) };
            both.forEach((s) => s.appendLog(entry));
          } else if (r < 0.85) {
            const before = int((nextOffset.get(key) ?? 0) + 2);
            both.forEach((s) => s.trimLog(t, partition, before));
          } else if (r < 0.92) {
            const offset = int(20);
            both.forEach((s) => s.saveCursor({ clientId, topic: t, partition, offset }));
          } else if (r < 0.96) {
            const olderThan = rand() < 0.5 ? 0 : stamp - int(30);
            const maxBytes = rand() < 0.5 ? 0 : int(60);
            const [fromMem, fromPg] = both.map((s) => s.applyRetention(t, partition, olderThan, maxBytes));
            retentions.push(Promise.all([fromMem!, fromPg!]));
          } else if (r < 0.98) {
            await pgs.flush();
          } else {
            await pgs.loadPartitionBounds(); // a load in the middle: commits what is queued
          }
        }
        for (const [fromMem, fromPg] of await Promise.all(retentions)) assert.equal(fromPg, fromMem);
        await compare(round);
      }
    });
  }

  it('10,000 appendSessionMessage then flush()', async () => {
    const url = await server.createDatabase();
    const a = make(url);
    await a.open();
    const payload = Buffer.alloc(100, 0x61);
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) {
      a.appendSessionMessage({
        clientId: `c${i % 100}`,
        seq: i,
        message: createMessage({ topic: 'bench/t', payload, qos: 1, retain: false, origin: 'p' }),
        qos: 1,
      });
    }
    await a.flush();
    const ms = performance.now() - start;
    console.log(`postgres: 10,000 appendSessionMessage + flush() in ${ms.toFixed(0)} ms`);
    const c = await reader(url);
    assert.equal(await count(c, 'session_messages'), 10_000);
    assert.equal((await a.loadSessionMessages('c7')).length, 100);
  });

  it('writes after close() throw RMQ_ERR_STORAGE instead of being lost silently', async () => {
    const url = await server.createDatabase();
    const a = make(url);
    await a.open();
    await a.close();
    assert.throws(() => a.putRetained(plain('t', 'x')), { code: 'RMQ_ERR_STORAGE' });
    await assert.rejects(a.loadRetained(), { code: 'RMQ_ERR_STORAGE' });
  });
});
