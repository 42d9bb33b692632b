// The sqlite engine, the default: one file (`<data_dir>/robustmq.db`) through better-sqlite3.
//
// - WAL journal, synchronous=FULL. The contract of flush() is that every write issued before it is
//   durable when it resolves. In WAL mode synchronous=NORMAL only fsyncs the WAL at checkpoints, so a
//   committed transaction survives a process crash but can be lost on power failure or an OS crash;
//   FULL fsyncs the WAL at every commit, which is what "durable" means. Group commit (below) spreads
//   that one fsync over every write of the batch.
// - Two connections. Writes run on a writer thread (sqlite-writer.ts), which owns the only connection
//   that writes: running the statements and committing never take the broker's event loop. The main
//   thread keeps a connection for reads (loads, readLog...), which in WAL mode sees every committed write.
// - Writes are queued in memory as compact rows and posted to the writer as one batch: every
//   `commitIntervalMs` (a few ms), at `maxBatch` writes, or when flush() is called (on the next turn of
//   the event loop, so that all the flush() calls of one I/O phase share one batch). The writer commits
//   every batch it has been sent in one transaction and answers with the id of the last one; flush()
//   resolves when the batch holding the last write before it is committed. Loads first wait for every
//   earlier write to be committed, then read: a load always sees every earlier write.
// - Schema migrations are versioned in `schema_version` (one row per applied migration) and applied in
//   open(), on the main thread, inside one transaction, before the writer opens the file; they only
//   ever add. A file written by a newer schema is refused.
// - A file that is not a readable SQLite database makes open() reject with RMQ_ERR_STORAGE naming the
//   file; such a file is never written to, overwritten or deleted (the header is checked before SQLite
//   opens it, and nothing is written before the first read has succeeded).
// - A failed commit is sticky: the batch is rolled back and every later flush() rejects with the error.
//   The writer thread dying (an uncaught error, or an exit nobody asked for) is such a failure too.
// - Topic logs (migration 2): appends, trims and cursors are queued like every write; applyRetention is
//   queued too, as a request the writer answers with the new first offset once committed. Each
//   partition's `next` is kept in log_partitions even once retention has emptied it, so an offset is
//   never handed out twice.
// - Users, ACL rules and bans (SecurityStorage, migration 3) are queued like every write. saveAcl and
//   saveBan refuse a value the tables' CHECK constraints would refuse when called (RMQ_ERR_INVALID_ARGUMENT):
//   in the batch it would fail the whole commit, and the failure is sticky.
// - Admin API tokens (AdminTokenStorage, migration 5) are queued like every write.
// - Migration 6 rebuilds acl_rules and bans (ip rules, qos/retain conditions, regex bans): SQLite
//   cannot ALTER a CHECK constraint.
// - The writer thread is unref'd while nothing is in flight: an idle broker can exit. close() commits
//   what is queued, closes the writer's connection, ends the thread, then closes the read connection.
import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { RobustMQError } from '../../lib/errors.js';
import {
  checkOneOf,
  decodeScram,
  decodeWill,
  encodeProperties,
  encodeScram,
  encodeWill,
  rowToAcl,
  aclQosText,
  rowToMessage,
  type AclRow,
} from './record-codec.js';
import type { Message, QoS } from '../message.js';
import type {
  AclRecord,
  AdminTokenRecord,
  FeatureRecord,
  BanRecord,
  LogCursor,
  LogEntry,
  PartitionBounds,
  TopicRecord,
  SecurityStorage,
  SessionMessage,
  SessionRecord,
  StorageAdapter,
  StoredSubscription,
  UserRecord,
} from './storage-adapter.js';
import { OP, type FromWriter, type RetentionResult, type ToWriter, type WriterData } from './sqlite-writer.js';

export interface SqliteStorageOptions {
  /** Longest time a write waits in memory before its group commit. Default 2 ms. */
  commitIntervalMs?: number;
  /** Post the queued writes to the writer at once when this many are queued. Default 1000. */
  maxBatch?: number;
  /**
   * Batches posted to the writer thread and not yet committed, at most; more writes wait in the queue
   * (and join the next batch). Default 4. The writer commits every batch waiting for it in one transaction.
   * Posting every 1000 writes while a group commits lets the writer start on them during a long burst of
   * the event loop, instead of the two threads taking turns (fan-in QoS 1 to a logged topic: 86k -> 104k
   * msg/s against 5000 and 1).
   */
  maxInFlight?: number;
  /**
   * How much lower the writer thread's scheduling priority is than the process's (a nice increment,
   * Linux only). Under CPU contention the event loop then comes first and the writer commits larger
   * groups; an idle CPU runs the writer at once all the same. Default 10; 0 leaves it alone.
   */
  writerNice?: number;
  /** Called when a group commit fails or the writer thread dies (flush() also rejects from then on). */
  onError?: (err: RobustMQError) => void;
}

/** The migrations, in order; version = index + 1. Never edit one that has shipped: add a new one. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE retained (
     topic TEXT PRIMARY KEY NOT NULL,
     payload BLOB NOT NULL,
     qos INTEGER NOT NULL,
     retain INTEGER NOT NULL,
     properties TEXT,
     origin TEXT NOT NULL,
     timestamp INTEGER NOT NULL,
     expires_at INTEGER
   );
   CREATE TABLE sessions (
     client_id TEXT PRIMARY KEY NOT NULL,
     protocol_version INTEGER NOT NULL,
     expiry_interval INTEGER NOT NULL,
     disconnected_at INTEGER,
     subscriptions TEXT NOT NULL,
     will TEXT
   );
   CREATE TABLE session_messages (
     client_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     topic TEXT NOT NULL,
     payload BLOB NOT NULL,
     msg_qos INTEGER NOT NULL,
     retain INTEGER NOT NULL,
     properties TEXT,
     origin TEXT NOT NULL,
     timestamp INTEGER NOT NULL,
     expires_at INTEGER,
     qos INTEGER NOT NULL,
     packet_id INTEGER,
     state TEXT,
     PRIMARY KEY (client_id, seq)
   ) WITHOUT ROWID;
   CREATE TABLE incoming_qos2 (
     client_id TEXT NOT NULL,
     packet_id INTEGER NOT NULL,
     PRIMARY KEY (client_id, packet_id)
   ) WITHOUT ROWID;`,
  // 2: topic logs. topic_log is a rowid table: its rows carry whole payloads, and a WITHOUT ROWID table
  // keeps rows in its interior pages too (a low fan-out for large rows). msg_topic is the message's
  // topic when it is not the log's name (NULL otherwise). log_partitions keeps `next` once retention
  // has emptied a partition (offsets are never reused) and the payload bytes it holds (for retention).
  `CREATE TABLE topics (
     name TEXT PRIMARY KEY NOT NULL,
     partitions INTEGER NOT NULL,
     retention_ms INTEGER NOT NULL,
     retention_bytes INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE topic_log (
     topic TEXT NOT NULL,
     partition INTEGER NOT NULL,
     offset INTEGER NOT NULL,
     msg_topic TEXT,
     payload BLOB NOT NULL,
     qos INTEGER NOT NULL,
     retain INTEGER NOT NULL,
     properties TEXT,
     origin TEXT NOT NULL,
     timestamp INTEGER NOT NULL,
     expires_at INTEGER,
     PRIMARY KEY (topic, partition, offset)
   );
   CREATE INDEX topic_log_time ON topic_log (topic, partition, timestamp, offset);
   CREATE TABLE log_partitions (
     topic TEXT NOT NULL,
     partition INTEGER NOT NULL,
     first_offset INTEGER NOT NULL,
     next_offset INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     PRIMARY KEY (topic, partition)
   ) WITHOUT ROWID;
   CREATE TABLE log_cursors (
     client_id TEXT NOT NULL,
     topic TEXT NOT NULL,
     partition INTEGER NOT NULL,
     offset INTEGER NOT NULL,
     PRIMARY KEY (client_id, topic, partition)
   ) WITHOUT ROWID;
   CREATE INDEX log_cursors_topic ON log_cursors (topic);`,
  // 3: users, ACL rules and bans (SecurityStorage). Text compares in binary order (SQLite's default),
  // the order of the memory engine's loads.
  `CREATE TABLE users (
     username TEXT PRIMARY KEY NOT NULL,
     password_hash TEXT NOT NULL,
     superuser INTEGER NOT NULL CHECK (superuser IN (0, 1)),
     created_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE acl_rules (
     id TEXT PRIMARY KEY NOT NULL,
     principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'client', 'all')),
     principal TEXT NOT NULL,
     filter TEXT NOT NULL,
     action TEXT NOT NULL CHECK (action IN ('publish', 'subscribe', 'all')),
     permission TEXT NOT NULL CHECK (permission IN ('allow', 'deny')),
     created_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX acl_rules_order ON acl_rules (created_at, id);
   CREATE TABLE bans (
     kind TEXT NOT NULL CHECK (kind IN ('clientid', 'username', 'ip')),
     value TEXT NOT NULL,
     reason TEXT NOT NULL,
     until INTEGER,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (kind, value)
   ) WITHOUT ROWID;`,
  // 4: the time index cost a third B-tree per append (10.3 -> 6.1 us per row, measured): a prefix
  // maximum of the timestamps replaces it, searched by offset (offsetForTimestamp)
  `ALTER TABLE topic_log ADD COLUMN max_ts INTEGER NOT NULL DEFAULT 0;
   UPDATE topic_log SET max_ts = w.m
     FROM (SELECT rowid AS id, max(timestamp) OVER (PARTITION BY topic, partition ORDER BY offset) AS m
           FROM topic_log) AS w
     WHERE topic_log.rowid = w.id;
   DROP INDEX topic_log_time;`,
  // 5: admin API tokens (AdminTokenStorage): only a hash of each secret is kept
  `CREATE TABLE admin_tokens (
     id TEXT PRIMARY KEY NOT NULL,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER,
     last_used_at INTEGER
   ) WITHOUT ROWID;`,
  // 6: SCRAM credentials of users (MQTT 5 enhanced authentication), JSON; NULL for users made before
  `ALTER TABLE users ADD COLUMN scram TEXT;`,
  // 7: ACL rules for IP ranges, with QoS and retain conditions; regex bans. The CHECK constraints
  // change, which SQLite cannot ALTER: both tables are rebuilt (new table, copy, drop, rename).
  `CREATE TABLE acl_rules_6 (
     id TEXT PRIMARY KEY NOT NULL,
     principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'client', 'ip', 'all')),
     principal TEXT NOT NULL,
     filter TEXT NOT NULL,
     action TEXT NOT NULL CHECK (action IN ('publish', 'subscribe', 'all')),
     permission TEXT NOT NULL CHECK (permission IN ('allow', 'deny')),
     created_at INTEGER NOT NULL,
     qos TEXT,
     retain INTEGER CHECK (retain IN (0, 1))
   ) WITHOUT ROWID;
   INSERT INTO acl_rules_6 (id, principal_kind, principal, filter, action, permission, created_at)
     SELECT id, principal_kind, principal, filter, action, permission, created_at FROM acl_rules;
   DROP TABLE acl_rules;
   ALTER TABLE acl_rules_6 RENAME TO acl_rules;
   CREATE INDEX acl_rules_order ON acl_rules (created_at, id);
   CREATE TABLE bans_6 (
     kind TEXT NOT NULL CHECK (kind IN ('clientid', 'username', 'ip', 'regex')),
     value TEXT NOT NULL,
     reason TEXT NOT NULL,
     until INTEGER,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (kind, value)
   ) WITHOUT ROWID;
   INSERT INTO bans_6 SELECT kind, value, reason, until, created_at FROM bans;
   DROP TABLE bans;
   ALTER TABLE bans_6 RENAME TO bans;`,
  // 8: records of the broker's features (FeatureStorage): delayed messages, auto-subscribe rules,
  // topic rewrite rules, schemas... one JSON value per (kind, id)
  `CREATE TABLE feature_records (
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (kind, id)
   ) WITHOUT ROWID;`,
];

export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;
/** Every migration, for tests that build a database as an older broker left it. */
export const SQLITE_MIGRATIONS = MIGRATIONS;

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

interface MessageRow {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  properties: string | null;
  origin: string;
  timestamp: number;
  expires_at: number | null;
}

interface SessionRow {
  client_id: string;
  protocol_version: number;
  expiry_interval: number;
  disconnected_at: number | null;
  subscriptions: string;
  will: string | null;
}

interface SessionMessageRow extends Omit<MessageRow, 'qos'> {
  client_id: string;
  seq: number;
  msg_qos: number;
  qos: number;
  packet_id: number | null;
  state: string | null;
}

interface TopicRow {
  name: string;
  partitions: number;
  retention_ms: number;
  retention_bytes: number;
  created_at: number;
}

interface UserRow {
  username: string;
  password_hash: string;
  superuser: number;
  created_at: number;
  scram: string | null;
}

interface AdminTokenRow {
  id: string;
  name: string;
  secret_hash: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

interface BanRow {
  kind: BanRecord['kind'];
  value: string;
  reason: string;
  until: number | null;
  created_at: number;
}

const PRINCIPAL_KINDS: readonly AclRecord['principalKind'][] = ['user', 'client', 'ip', 'all'];
const ACL_ACTIONS: readonly AclRecord['action'][] = ['publish', 'subscribe', 'all'];
const ACL_PERMISSIONS: readonly AclRecord['permission'][] = ['allow', 'deny'];
const BAN_KINDS: readonly BanRecord['kind'][] = ['clientid', 'username', 'ip', 'regex'];

interface LogRow extends MessageRow {
  offset: number;
  msg_topic: string | null;
}

interface PartitionRow {
  topic: string;
  partition: number;
  first_offset: number;
  next_offset: number;
  bytes: number;
}

/** A flush() waiting for the batch `id` (and every one before it) to be committed. */
interface Waiter {
  id: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class SqliteStorage implements StorageAdapter, SecurityStorage {
  readonly engine = 'sqlite';
  readonly file: string;
  private readonly commitIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly writerNice: number;
  private readonly onError?: (err: RobustMQError) => void;
  /** The main thread's connection: reads only (loads); set while open. */
  private db?: Database.Database;
  private reads?: ReturnType<SqliteStorage['prepareReads']>;
  private worker?: Worker;
  private workerExited?: Promise<void>;
  /** Set while close() (or a test) waits for the writer's end: the writer is then ref'd. */
  private awaitingExit = false;
  /** Set once the writer has answered `closed`: its exit is then no failure. */
  private writerClosed = false;
  private writerExited = false;
  private closing?: Promise<void>;
  /** Resolves close()'s wait for the writer's `closed` (with its close error), or on its death. */
  private onClosed?: (error: string | null) => void;

  // the queue (the wire format is in sqlite-writer.ts): op codes and values, the batch's strings, the
  // payloads in op order, the writes queued
  private ops = new Float64Array(4096);
  private used = 0;
  private strings: string[] = [];
  private stringIds = new Map<string, number>();
  private payloads: Buffer[] = [];
  private payloadBytes = 0;
  private queued = 0;
  /** The id of the last batch posted to the writer, and of the last one it has committed. */
  private posted = 0;
  private acked = 0;
  /** A post was due while maxInFlight batches were in flight: it happens when the next one is committed. */
  private postBlocked = false;
  private waiters: Waiter[] = [];
  private requests = new Map<number, { resolve: (first: number) => void; reject: (err: unknown) => void }>();
  private lastRequest = 0;
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private failure?: RobustMQError;

  constructor(file: string, options: SqliteStorageOptions = {}) {
    this.file = resolve(file);
    this.commitIntervalMs = options.commitIntervalMs ?? 2;
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
    this.writerNice = options.writerNice ?? 10;
    this.onError = options.onError;
  }

  private fail(what: string, cause: unknown): RobustMQError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new RobustMQError('RMQ_ERR_STORAGE', `storage file ${this.file}: ${what}: ${detail}`, { cause });
  }

  private notOpen(): RobustMQError {
    return new RobustMQError('RMQ_ERR_STORAGE', `storage file ${this.file}: the database is not open`);
  }

  async open(): Promise<void> {
    if (this.db) return;
    let db: Database.Database | undefined;
    try {
      this.checkFile();
      db = new Database(this.file);
      // the first read: fails on a file that is not a database, before anything is written to it
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      db.pragma('busy_timeout = 5000');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`cannot use WAL journal mode (got ${String(mode)})`);
      db.pragma('synchronous = FULL');
      this.migrate(db);
      this.reads = this.prepareReads(db);
      await this.startWriter();
      this.db = db;
      this.failure = undefined;
    } catch (err) {
      this.reads = undefined;
      try {
        db?.close();
      } catch {
        // already failing; the first error is the one to report
      }
      throw err instanceof RobustMQError ? err : this.fail('cannot open the database', err);
    }
  }

  /** Starts the writer thread and waits until its connection is open. */
  private async startWriter(): Promise<void> {
    const data: WriterData = {
      robustmqSqliteWriter: true,
      file: this.file,
      busyTimeoutMs: 5000,
      nice: this.writerNice,
    };
    const worker = new Worker(new URL('./sqlite-writer.js', import.meta.url), { workerData: data });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    let onMessage: ((m: FromWriter) => void) | undefined;
    let onError: ((err: Error) => void) | undefined;
    let onExit: ((code: number) => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onMessage = (m) => {
          if (m.t === 'ready') resolve();
          else reject(this.fail('cannot open the database', m.t === 'open-failed' ? m.message : m.t));
        };
        onError = (err) => reject(this.fail('the writer thread failed to start', err));
        onExit = (code) => reject(this.fail('the writer thread failed to start', `exit code ${code}`));
        worker.once('message', onMessage).once('error', onError).once('exit', onExit);
      });
    } catch (err) {
      void worker.terminate();
      await exited;
      throw err;
    } finally {
      worker.off('message', onMessage!).off('error', onError!).off('exit', onExit!);
    }
    worker.on('message', (m: FromWriter) => this.onWriterMessage(m));
    worker.on('error', (err) => this.writerDied(this.fail('the writer thread failed', err)));
    worker.on('messageerror', (err) => this.writerDied(this.fail('a message from the writer thread was lost', err)));
    worker.on('exit', (code) => {
      this.writerExited = true;
      if (!this.writerClosed) this.writerDied(this.fail('the writer thread exited', `exit code ${code}`));
    });
    this.worker = worker;
    this.workerExited = exited;
    this.writerClosed = false;
    this.writerExited = false;
    this.awaitingExit = false;
    this.posted = this.acked = 0;
    this.updateRef(); // nothing in flight yet: unref'd
  }

  /** Refuses a file that exists but is not a readable, writable SQLite database, without touching it. */
  private checkFile(): void {
    let size: number;
    try {
      const st = statSync(this.file);
      if (!st.isFile()) throw new Error('not a regular file');
      size = st.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw this.fail('cannot read the database', err);
      try {
        mkdirSync(dirname(this.file), { recursive: true });
      } catch (e) {
        throw this.fail('cannot create the data directory', e);
      }
      return; // created on first start
    }
    try {
      accessSync(this.file, constants.R_OK | constants.W_OK);
    } catch (err) {
      throw this.fail('cannot read and write the database', err);
    }
    if (size === 0) return; // an empty file is an empty database
    const head = Buffer.alloc(SQLITE_HEADER.length);
    let fd: number | undefined;
    try {
      fd = openSync(this.file, 'r');
      readSync(fd, head, 0, head.length, 0);
    } catch (err) {
      throw this.fail('cannot read the database', err);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (size < 100 || !head.equals(SQLITE_HEADER)) {
      throw this.fail('not a SQLite database (corrupt or foreign file; left untouched)', 'bad file header');
    }
  }

  private migrate(db: Database.Database): void {
    db.transaction(() => {
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)',
      );
      const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
      const current = row.v ?? 0;
      if (current > MIGRATIONS.length) {
        throw this.fail(
          'cannot open the database',
          `schema version ${current} is newer than this broker's ${MIGRATIONS.length}`,
        );
      }
      const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
      for (let v = current + 1; v <= MIGRATIONS.length; v++) {
        db.exec(MIGRATIONS[v - 1]!);
        record.run(v, Date.now());
      }
    }).immediate();
  }

  /** The statements of the main thread's connection: only reads (the writes are in sqlite-writer.ts). */
  private prepareReads(db: Database.Database) {
    return {
      loadRetained: db.prepare('SELECT * FROM retained ORDER BY topic'),
      loadSessions: db.prepare('SELECT * FROM sessions ORDER BY client_id'),
      loadMessages: db.prepare('SELECT * FROM session_messages WHERE client_id = ? ORDER BY seq'),
      loadQos2: db.prepare('SELECT packet_id FROM incoming_qos2 WHERE client_id = ? ORDER BY packet_id'),
      loadTopics: db.prepare('SELECT * FROM topics ORDER BY name'),
      readLog: db.prepare(
        `SELECT offset, msg_topic, topic, payload, qos, retain, properties, origin, timestamp, expires_at
         FROM topic_log WHERE topic = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?`,
      ),
      partitionBounds: db.prepare(
        'SELECT first_offset, next_offset FROM log_partitions WHERE topic = ? AND partition = ?',
      ),
      // the first entry at or after an offset, with the highest timestamp up to it
      maxTsFrom: db.prepare(
        'SELECT offset, max_ts FROM topic_log WHERE topic = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT 1',
      ),
      loadPartitions: db.prepare('SELECT * FROM log_partitions ORDER BY topic, partition'),
      loadCursors: db.prepare('SELECT * FROM log_cursors WHERE client_id = ? ORDER BY topic, partition'),
      loadUsers: db.prepare('SELECT * FROM users ORDER BY username'),
      loadAcls: db.prepare('SELECT * FROM acl_rules ORDER BY created_at, id'),
      loadBans: db.prepare('SELECT * FROM bans ORDER BY kind, value'),
      loadAdminTokens: db.prepare('SELECT * FROM admin_tokens ORDER BY created_at, id'),
      loadFeatureRecords: db.prepare('SELECT id, value FROM feature_records WHERE kind = ? ORDER BY id'),
    };
  }

  close(): Promise<void> {
    if (!this.db) return Promise.resolve();
    this.closing ??= this.shutdown().finally(() => {
      this.closing = undefined;
    });
    return this.closing;
  }

  /** Commits what is queued, closes the writer's connection, ends its thread, then closes the read connection. */
  private async shutdown(): Promise<void> {
    this.clearSchedule();
    const worker = this.worker!;
    let closeError: string | null = null;
    this.awaitingExit = true; // the process waits for the writer's end
    this.updateRef();
    if (!this.writerExited) {
      // after a failed commit the writer is still there, committing nothing: its connection is closed all the same
      this.post(true);
      const closed = new Promise<string | null>((resolve) => (this.onClosed = resolve));
      worker.postMessage({ t: 'close' } satisfies ToWriter);
      closeError = await closed; // or the writer died (then this.failure says why)
      this.onClosed = undefined;
    }
    void worker.terminate();
    await this.workerExited;
    let error: unknown = this.failure;
    if (error === undefined && closeError !== null) error = this.fail('cannot close the database', closeError);
    this.failAll(this.failure ?? this.notOpen()); // nothing is left waiting (there is nothing when all went well)
    try {
      this.db!.close();
    } catch (err) {
      error ??= this.fail('cannot close the database', err);
    }
    this.db = undefined;
    this.reads = undefined;
    this.worker = undefined;
    this.workerExited = undefined;
    this.dropQueue();
    this.postBlocked = false;
    if (error !== undefined) throw error;
  }

  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queued === 0) {
      // nothing queued: wait for what is in flight, if anything
      return this.posted === this.acked ? Promise.resolve() : this.waitFor(this.posted);
    }
    const done = this.waitFor(this.posted + 1); // the next batch takes the whole queue
    this.postSoon();
    return done;
  }

  /** The id of the batch that holds the newest write: the next one to post while writes are queued. */
  writeMark(): number {
    return this.queued > 0 ? this.posted + 1 : this.posted;
  }

  isDurable(mark: number): boolean {
    return this.acked >= mark && this.failure === undefined;
  }

  flushTo(mark: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.acked >= mark) return Promise.resolve();
    const done = this.waitFor(mark);
    if (mark > this.posted) this.postSoon(); // the queue is that batch
    return done;
  }

  hasUnflushedWrites(): boolean {
    // after a failure nothing can be made durable any more: no acknowledgement goes out on the strength of it
    return this.queued > 0 || this.posted !== this.acked || this.failure !== undefined;
  }

  /** Tests only: ends the writer thread as a crash would ('terminate'), or makes it throw ('throw'). */
  async killWriterForTests(how: 'terminate' | 'throw'): Promise<void> {
    const worker = this.worker;
    if (!worker) throw this.notOpen();
    this.awaitingExit = true;
    this.updateRef();
    if (how === 'terminate') await worker.terminate();
    else {
      worker.postMessage({ t: 'crash' } satisfies ToWriter);
      await this.workerExited;
    }
  }

  // ----- the write queue and group commit

  /** Waiters are kept in id order (flushTo() marks may come out of order): a commit settles a prefix. */
  private waitFor(id: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w = this.waiters;
      let at = w.length;
      while (at > 0 && w[at - 1]!.id > id) at--;
      if (at === w.length) w.push({ id, resolve, reject });
      else w.splice(at, 0, { id, resolve, reject });
    });
  }

  /**
   * Whether a write may be queued: throws after close(); false after a failure (it could never be made
   * durable, and flush() rejects).
   */
  private writable(): boolean {
    if (!this.db || this.closing) throw this.notOpen();
    return this.failure === undefined;
  }

  /** One write was added to the queue: post at maxBatch, else within commitIntervalMs. */
  private queuedOne(): void {
    if (++this.queued >= this.maxBatch) this.post();
    else this.timer ??= setTimeout(() => this.post(), this.commitIntervalMs);
  }

  private postSoon(): void {
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.post();
    });
  }

  private clearSchedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Posts the whole queue to the writer as one batch (unless maxInFlight batches are in flight and not `force`). */
  private post(force = false): void {
    this.clearSchedule();
    if (this.queued === 0 || this.failure || !this.worker) return;
    if (!force && this.posted - this.acked >= this.maxInFlight) {
      this.postBlocked = true;
      return;
    }
    this.postBlocked = false;
    let blob: ArrayBuffer | null = null;
    if (this.payloadBytes > 0) {
      // a buffer of its own (never the shared pool): it is transferred, not copied
      const b = Buffer.allocUnsafeSlow(this.payloadBytes);
      let at = 0;
      for (const p of this.payloads) {
        b.set(p, at);
        at += p.length;
      }
      blob = b.buffer as ArrayBuffer;
    }
    const ops = this.ops.slice(0, this.used).buffer; // a copy of what is used: the queue's array is kept
    const batch: ToWriter = { t: 'batch', id: ++this.posted, ops, strings: this.strings, blob, writes: this.queued };
    this.dropQueue();
    if (this.posted - 1 === this.acked) this.updateRef(); // in flight: the process waits for it
    this.worker.postMessage(batch, blob === null ? [ops] : [ops, blob]);
  }

  /**
   * The writer holds the process up (ref) only while the process must wait for it: writes in flight
   * that may still be confirmed, or its end awaited. An idle broker can exit.
   */
  private updateRef(): void {
    const worker = this.worker;
    if (worker === undefined) return;
    if (this.awaitingExit || (this.failure === undefined && this.posted !== this.acked)) worker.ref();
    else worker.unref();
  }

  private onWriterMessage(m: FromWriter): void {
    if (m.t === 'ok') {
      this.acked = m.id;
      if (m.results !== null) this.settleRequests(m.results);
      const w = this.waiters;
      let k = 0;
      while (k < w.length && w[k]!.id <= m.id) k++;
      this.waiters = k === w.length ? [] : w.slice(k);
      for (let i = 0; i < k; i++) w[i]!.resolve();
      if (this.postBlocked) this.post();
      if (this.posted === this.acked) this.updateRef();
    } else if (m.t === 'fail') {
      this.setFailure(this.fail(`a group commit of ${m.writes} writes failed`, new Error(m.message)));
    } else if (m.t === 'closed') {
      this.writerClosed = true;
      this.onClosed?.(m.error);
    }
  }

  private settleRequests(results: RetentionResult[]): void {
    for (const [id, first, error] of results) {
      const r = this.requests.get(id);
      if (r === undefined) continue;
      this.requests.delete(id);
      if (first !== null) r.resolve(first);
      else r.reject(this.fail('cannot apply retention to a topic log', error));
    }
  }

  /** The writer thread failed or ended unasked: a sticky failure, and nothing waits forever. */
  private writerDied(err: RobustMQError): void {
    this.setFailure(err);
    this.onClosed?.(null);
  }

  private setFailure(err: RobustMQError): void {
    if (this.failure) return;
    this.failure = err;
    this.clearSchedule();
    this.dropQueue();
    this.updateRef(); // nothing in flight will be confirmed: the writer holds no process up
    this.failAll(err);
    this.onError?.(err);
  }

  /** Rejects every flush() and applyRetention() still waiting. */
  private failAll(err: RobustMQError): void {
    const waiters = this.waiters;
    const requests = [...this.requests.values()];
    this.waiters = [];
    this.requests.clear();
    for (const w of waiters) w.reject(err);
    for (const r of requests) r.reject(err);
  }

  /** Waits for every write issued before it to be committed, then reads: a load sees every earlier write. */
  private async read<T>(what: string, fn: (s: NonNullable<SqliteStorage['reads']>) => T): Promise<T> {
    if (!this.db) throw this.notOpen();
    if (this.failure) throw this.failure;
    if (this.queued > 0 || this.posted !== this.acked) await this.flush();
    if (!this.reads) throw this.notOpen();
    try {
      return fn(this.reads);
    } catch (err) {
      throw this.fail(`cannot load ${what}`, err);
    }
  }

  private dropQueue(): void {
    this.used = 0;
    this.strings = [];
    this.stringIds.clear();
    this.payloads = [];
    this.payloadBytes = 0;
    this.queued = 0;
  }

  /** Room for an op of `size` values in the queue: returns where it starts. */
  private reserve(size: number): number {
    const at = this.used;
    if (at + size > this.ops.length) {
      const grown = new Float64Array(Math.max(this.ops.length * 2, at + size));
      grown.set(this.ops.subarray(0, at));
      this.ops = grown;
    }
    this.used = at + size;
    return at;
  }

  /** A string value: its index in the batch's strings. */
  private str(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  private strOrNull(s: string | null | undefined): number {
    return s === null || s === undefined ? -1 : this.str(s);
  }

  /** Queues one write: its op code and values (strings and payloads already put in through str() and payload()). */
  private op(...values: number[]): void {
    const at = this.reserve(values.length); // first: it may replace the array
    this.ops.set(values, at);
    this.queuedOne();
  }

  /** Queues a payload (the op holds its length): posted in the batch's blob. */
  private payload(payload: Buffer): number {
    const n = payload.length;
    if (n > 0) {
      this.payloads.push(payload);
      this.payloadBytes += n;
    }
    return n;
  }

  // ----- StorageAdapter (every write is encoded now: later changes of the caller's objects are not seen)

  putRetained(m: Message): void {
    if (!this.writable()) return;
    this.op(
      OP.putRetained,
      this.str(m.topic),
      this.payload(m.payload),
      m.qos,
      m.retain ? 1 : 0,
      this.strOrNull(encodeProperties(m.properties)),
      this.str(m.origin),
      m.timestamp,
      m.expiresAt ?? NaN,
    );
  }
  deleteRetained(topic: string): void {
    if (!this.writable()) return;
    this.op(OP.deleteRetained, this.str(topic));
  }
  loadRetained(): Promise<Message[]> {
    return this.read('retained messages', (s) => (s.loadRetained.all() as MessageRow[]).map(rowToMessage));
  }

  saveSession(r: SessionRecord): void {
    if (!this.writable()) return;
    this.op(
      OP.saveSession,
      this.str(r.clientId),
      r.protocolVersion,
      r.expiryInterval,
      r.disconnectedAt ?? NaN,
      this.str(JSON.stringify(r.subscriptions)),
      this.strOrNull(encodeWill(r.will)),
    );
  }
  deleteSession(clientId: string): void {
    if (!this.writable()) return;
    this.op(OP.deleteSession, this.str(clientId));
  }
  loadSessions(): Promise<SessionRecord[]> {
    return this.read('sessions', (s) =>
      (s.loadSessions.all() as SessionRow[]).map((r) => {
        const record: SessionRecord = {
          clientId: r.client_id,
          protocolVersion: r.protocol_version as 3 | 4 | 5,
          expiryInterval: r.expiry_interval,
          subscriptions: JSON.parse(r.subscriptions) as StoredSubscription[],
        };
        if (r.disconnected_at !== null) record.disconnectedAt = r.disconnected_at;
        const will = decodeWill(r.will);
        if (will !== undefined) record.will = will;
        return record;
      }),
    );
  }

  appendSessionMessage(e: SessionMessage): void {
    if (!this.writable()) return;
    const m = e.message;
    const properties = this.strOrNull(encodeProperties(m.properties));
    const at = this.reserve(14);
    const a = this.ops;
    a[at] = OP.appendMessage;
    a[at + 1] = this.str(e.clientId);
    a[at + 2] = e.seq;
    a[at + 3] = this.str(m.topic);
    a[at + 4] = this.payload(m.payload);
    a[at + 5] = m.qos;
    a[at + 6] = m.retain ? 1 : 0;
    a[at + 7] = properties;
    a[at + 8] = this.str(m.origin);
    a[at + 9] = m.timestamp;
    a[at + 10] = m.expiresAt ?? NaN;
    a[at + 11] = e.qos;
    a[at + 12] = e.packetId ?? NaN;
    a[at + 13] = this.strOrNull(e.state);
    this.queuedOne();
  }
  updateSessionMessage(clientId: string, seq: number, change: Pick<SessionMessage, 'packetId' | 'state'>): void {
    if (!this.writable()) return;
    this.op(
      OP.updateMessage,
      this.str(clientId),
      seq,
      'packetId' in change ? 1 : 0,
      change.packetId ?? NaN,
      'state' in change ? 1 : 0,
      this.strOrNull(change.state),
    );
  }
  deleteSessionMessage(clientId: string, seq: number): void {
    if (!this.writable()) return;
    this.op(OP.deleteMessage, this.str(clientId), seq);
  }
  loadSessionMessages(clientId: string): Promise<SessionMessage[]> {
    return this.read('session messages', (s) =>
      (s.loadMessages.all(clientId) as SessionMessageRow[]).map((r) => {
        const entry: SessionMessage = {
          clientId: r.client_id,
          seq: r.seq,
          message: rowToMessage({ ...r, qos: r.msg_qos }),
          qos: r.qos as QoS,
        };
        if (r.packet_id !== null) entry.packetId = r.packet_id;
        if (r.state !== null) entry.state = r.state as 'publish' | 'pubrel';
        return entry;
      }),
    );
  }

  addIncomingQos2(clientId: string, packetId: number): void {
    if (!this.writable()) return;
    this.op(OP.addQos2, this.str(clientId), packetId);
  }
  removeIncomingQos2(clientId: string, packetId: number): void {
    if (!this.writable()) return;
    this.op(OP.removeQos2, this.str(clientId), packetId);
  }
  loadIncomingQos2(clientId: string): Promise<number[]> {
    return this.read('incoming QoS 2 ids', (s) =>
      (s.loadQos2.all(clientId) as { packet_id: number }[]).map((r) => r.packet_id),
    );
  }

  // ----- topics and their logs

  saveTopic(t: TopicRecord): void {
    if (!this.writable()) return;
    this.op(OP.saveTopic, this.str(t.name), t.partitions, t.retentionMs, t.retentionBytes, t.createdAt);
  }
  deleteTopic(name: string): void {
    if (!this.writable()) return;
    this.op(OP.deleteTopic, this.str(name));
  }
  loadTopics(): Promise<TopicRecord[]> {
    return this.read('topics', (s) =>
      (s.loadTopics.all() as TopicRow[]).map((r) => ({
        name: r.name,
        partitions: r.partitions,
        retentionMs: r.retention_ms,
        retentionBytes: r.retention_bytes,
        createdAt: r.created_at,
      })),
    );
  }

  /** The hot path (once per message published to a logged topic): one row of values pushed on the queue. */
  appendLog(e: LogEntry): void {
    if (!this.writable()) return;
    const m = e.message;
    const properties = m.properties === undefined ? -1 : this.strOrNull(encodeProperties(m.properties));
    const at = this.reserve(12);
    const a = this.ops;
    a[at] = OP.appendLog;
    a[at + 1] = this.str(e.topic);
    a[at + 2] = e.partition;
    a[at + 3] = e.offset;
    a[at + 4] = m.topic === e.topic ? -1 : this.str(m.topic);
    a[at + 5] = this.payload(m.payload);
    a[at + 6] = m.qos;
    a[at + 7] = m.retain ? 1 : 0;
    a[at + 8] = properties;
    a[at + 9] = this.str(m.origin);
    a[at + 10] = m.timestamp;
    a[at + 11] = m.expiresAt ?? NaN;
    this.queuedOne();
  }
  readLog(topic: string, partition: number, fromOffset: number, limit: number): Promise<LogEntry[]> {
    if (!(limit > 0)) return this.read('a topic log', () => []);
    const max = Number.isSafeInteger(limit) ? limit : -1; // LIMIT -1: no limit
    return this.read('a topic log', (s) =>
      (s.readLog.all(topic, partition, fromOffset, max) as LogRow[]).map((r) => ({
        topic,
        partition,
        offset: r.offset,
        message: rowToMessage(r.msg_topic === null ? r : { ...r, topic: r.msg_topic }),
      })),
    );
  }
  offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number> {
    return this.read('a topic log', (s) => {
      const p = s.partitionBounds.get(topic, partition) as { first_offset: number; next_offset: number } | undefined;
      if (p === undefined) return 0;
      // the first entry with timestamp >= t is the first whose max_ts (a prefix maximum, so monotone in
      // the offset) is >= t: a binary search over the offsets, about log2(entries) lookups
      const at = (offset: number) =>
        s.maxTsFrom.get(topic, partition, offset) as { offset: number; max_ts: number } | undefined;
      let lo = p.first_offset;
      let hi = p.next_offset;
      while (lo < hi) {
        const mid = lo + Math.floor((hi - lo) / 2);
        const e = at(mid);
        if (e === undefined || e.max_ts >= timestamp) hi = mid;
        else lo = mid + 1;
      }
      return at(lo)?.offset ?? p.next_offset;
    });
  }
  loadPartitionBounds(): Promise<PartitionBounds[]> {
    return this.read('partition bounds', (s) =>
      (s.loadPartitions.all() as PartitionRow[]).map((r) => ({
        topic: r.topic,
        partition: r.partition,
        first: r.first_offset,
        next: r.next_offset,
      })),
    );
  }
  trimLog(topic: string, partition: number, beforeOffset: number): void {
    if (!this.writable()) return;
    this.op(OP.trimLog, this.str(topic), partition, beforeOffset);
  }
  /** Queued after every earlier write; resolves once the removal is committed (durable). */
  applyRetention(topic: string, partition: number, olderThan: number, maxBytes: number): Promise<number> {
    try {
      if (!this.writable()) return Promise.reject(this.failure);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = ++this.lastRequest;
    const values = [OP.retention, id, this.str(topic), partition, olderThan, maxBytes];
    const at = this.reserve(values.length); // first: it may replace the array
    this.ops.set(values, at);
    const result = new Promise<number>((resolve, reject) => this.requests.set(id, { resolve, reject }));
    this.queued++;
    this.postSoon();
    return result;
  }

  saveCursor(c: LogCursor): void {
    if (!this.writable()) return;
    this.op(OP.saveCursor, this.str(c.clientId), this.str(c.topic), c.partition, c.offset);
  }
  loadCursors(clientId: string): Promise<LogCursor[]> {
    return this.read('log cursors', (s) =>
      (s.loadCursors.all(clientId) as { client_id: string; topic: string; partition: number; offset: number }[]).map(
        (r) => ({ clientId: r.client_id, topic: r.topic, partition: r.partition, offset: r.offset }),
      ),
    );
  }

  // ----- users, ACL rules, banned clients

  saveUser(u: UserRecord): void {
    if (!this.writable()) return;
    this.op(
      OP.saveUser,
      this.str(u.username),
      this.str(u.passwordHash),
      u.superuser ? 1 : 0,
      u.createdAt,
      this.strOrNull(encodeScram(u.scram)),
    );
  }
  deleteUser(username: string): void {
    if (!this.writable()) return;
    this.op(OP.deleteUser, this.str(username));
  }
  loadUsers(): Promise<UserRecord[]> {
    return this.read('users', (s) =>
      (s.loadUsers.all() as UserRow[]).map((r) => ({
        username: r.username,
        passwordHash: r.password_hash,
        superuser: r.superuser !== 0,
        createdAt: r.created_at,
        ...(r.scram === null ? {} : { scram: decodeScram(r.scram) }),
      })),
    );
  }

  saveAcl(r: AclRecord): void {
    checkOneOf('principalKind', r.principalKind, PRINCIPAL_KINDS);
    checkOneOf('action', r.action, ACL_ACTIONS);
    checkOneOf('permission', r.permission, ACL_PERMISSIONS);
    if (!this.writable()) return;
    this.op(
      OP.saveAcl,
      this.str(r.id),
      this.str(r.principalKind),
      this.str(r.principal),
      this.str(r.filter),
      this.str(r.action),
      this.str(r.permission),
      r.createdAt,
      this.strOrNull(aclQosText(r.qos)),
      r.retain === undefined ? NaN : r.retain ? 1 : 0,
    );
  }
  deleteAcl(id: string): void {
    if (!this.writable()) return;
    this.op(OP.deleteAcl, this.str(id));
  }
  loadAcls(): Promise<AclRecord[]> {
    return this.read('ACL rules', (s) => (s.loadAcls.all() as AclRow[]).map(rowToAcl));
  }

  saveBan(b: BanRecord): void {
    checkOneOf('kind', b.kind, BAN_KINDS);
    if (!this.writable()) return;
    this.op(OP.saveBan, this.str(b.kind), this.str(b.value), this.str(b.reason), b.until ?? NaN, b.createdAt);
  }
  deleteBan(kind: BanRecord['kind'], value: string): void {
    if (!this.writable()) return;
    this.op(OP.deleteBan, this.str(kind), this.str(value));
  }
  loadBans(): Promise<BanRecord[]> {
    return this.read('bans', (s) =>
      (s.loadBans.all() as BanRow[]).map((r) => {
        const ban: BanRecord = { kind: r.kind, value: r.value, reason: r.reason, createdAt: r.created_at };
        if (r.until !== null) ban.until = r.until;
        return ban;
      }),
    );
  }

  // ----- admin API tokens

  saveAdminToken(t: AdminTokenRecord): void {
    if (!this.writable()) return;
    this.op(
      OP.saveAdminToken,
      this.str(t.id),
      this.str(t.name),
      this.str(t.secretHash),
      t.createdAt,
      t.expiresAt ?? NaN,
      t.lastUsedAt ?? NaN,
    );
  }
  deleteAdminToken(id: string): void {
    if (!this.writable()) return;
    this.op(OP.deleteAdminToken, this.str(id));
  }
  loadAdminTokens(): Promise<AdminTokenRecord[]> {
    return this.read('admin tokens', (s) =>
      (s.loadAdminTokens.all() as AdminTokenRow[]).map((r) => {
        const t: AdminTokenRecord = { id: r.id, name: r.name, secretHash: r.secret_hash, createdAt: r.created_at };
        if (r.expires_at !== null) t.expiresAt = r.expires_at;
        if (r.last_used_at !== null) t.lastUsedAt = r.last_used_at;
        return t;
      }),
    );
  }

  // ----- feature records

  saveFeatureRecord(kind: string, id: string, value: string): void {
    if (!this.writable()) return;
    this.op(OP.saveFeatureRecord, this.str(kind), this.str(id), this.str(value));
  }
  deleteFeatureRecord(kind: string, id: string): void {
    if (!this.writable()) return;
    this.op(OP.deleteFeatureRecord, this.str(kind), this.str(id));
  }
  loadFeatureRecords(kind: string): Promise<FeatureRecord[]> {
    return this.read(`${kind} records`, (s) => s.loadFeatureRecords.all(kind) as FeatureRecord[]);
  }
}
