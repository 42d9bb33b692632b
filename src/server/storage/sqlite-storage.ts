// The sqlite engine (to become the default once the broker is wired to it): one file (`<data_dir>/robustmq.db`) through better-sqlite3.
//
// - WAL journal, synchronous=FULL. The contract of flush() is that every write issued before it is
//   durable when it resolves. In WAL mode synchronous=NORMAL only fsyncs the WAL at checkpoints, so a
//   committed transaction survives a process crash but can be lost on power failure or an OS crash;
//   FULL fsyncs the WAL at every commit, which is what "durable" means. Group commit (below) spreads
//   that one fsync over every write of the batch.
// - Writes are queued in memory and committed together in one transaction: every `commitIntervalMs`
//   (a few ms), or when flush() is called (on the next turn of the event loop, so that all the flush()
//   calls of one I/O phase share one commit); flush() resolves after that commit. Loads first commit
//   what is queued, so a load always sees every earlier write.
// - Schema migrations are versioned in `schema_version` (one row per applied migration) and applied in
//   open(), inside one transaction; they only ever add. A file written by a newer schema is refused.
// - A file that is not a readable SQLite database makes open() reject with RMQ_ERR_STORAGE naming the
//   file; such a file is never written to, overwritten or deleted (the header is checked before SQLite
//   opens it, and nothing is written before the first read has succeeded).
// - A failed commit is sticky: the batch is rolled back and every later flush() rejects with the error.
// - Topic logs (migration 2): appends, trims and cursors are queued like every write; applyRetention
//   commits the queue, then removes in a transaction of its own. Each partition's `next` is kept in
//   log_partitions even once retention has emptied it, so an offset is never handed out twice.
import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { RobustMQError } from '../../lib/errors.js';
import type { Message, MessageProperties, QoS } from '../message.js';
import type {
  LogCursor,
  LogEntry,
  PartitionBounds,
  TopicRecord,
  SessionMessage,
  SessionRecord,
  StorageAdapter,
  StoredSubscription,
  StoredWill,
} from './storage-adapter.js';

export interface SqliteStorageOptions {
  /** Longest time a write waits in memory before its group commit. Default 2 ms. */
  commitIntervalMs?: number;
  /** Commit at once when this many writes are queued. Default 5000. */
  maxBatch?: number;
  /** Called when a timed group commit fails (flush() also rejects from then on). */
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
];

export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;
/** Every migration, for tests that build a database as an older broker left it. */
export const SQLITE_MIGRATIONS = MIGRATIONS;

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

type Op =
  | { k: 'putRetained'; m: Message }
  | { k: 'deleteRetained'; topic: string }
  | { k: 'saveSession'; r: SessionRecord }
  | { k: 'deleteSession'; clientId: string }
  | { k: 'append'; e: SessionMessage }
  | { k: 'update'; clientId: string; seq: number; change: Pick<SessionMessage, 'packetId' | 'state'> }
  | { k: 'deleteMessage'; clientId: string; seq: number }
  | { k: 'addQos2'; clientId: string; packetId: number }
  | { k: 'removeQos2'; clientId: string; packetId: number }
  | { k: 'saveTopic'; t: TopicRecord }
  | { k: 'deleteTopic'; name: string }
  | { k: 'appendLog'; e: LogEntry }
  | { k: 'trimLog'; topic: string; partition: number; before: number }
  | { k: 'saveCursor'; c: LogCursor };

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

/** The columns a Message is stored in (retained, session_messages, topic_log); the QoS column is named by the caller. */
function messageColumns(m: Message) {
  return {
    topic: m.topic,
    payload: m.payload,
    retain: m.retain ? 1 : 0,
    properties: encodeProperties(m.properties),
    origin: m.origin,
    timestamp: m.timestamp,
    expires_at: m.expiresAt ?? null,
  };
}

/** MessageProperties as JSON: correlationData as base64, user properties as an ordered array of pairs. */
function encodeProperties(p: MessageProperties | undefined): string | null {
  if (p === undefined) return null;
  const { correlationData, ...rest } = p;
  return JSON.stringify(
    correlationData === undefined ? rest : { ...rest, correlationData: correlationData.toString('base64') },
  );
}

function decodeProperties(json: string | null): MessageProperties | undefined {
  if (json === null) return undefined;
  const p = JSON.parse(json) as Omit<MessageProperties, 'correlationData'> & { correlationData?: string };
  const { correlationData, ...rest } = p;
  return correlationData === undefined ? rest : { ...rest, correlationData: Buffer.from(correlationData, 'base64') };
}

function rowToMessage(r: MessageRow): Message {
  const m: {
    -readonly [K in keyof Message]: Message[K];
  } = {
    topic: r.topic,
    payload: r.payload,
    qos: r.qos as QoS,
    retain: r.retain !== 0,
    origin: r.origin,
    timestamp: r.timestamp,
  };
  const properties = decodeProperties(r.properties);
  if (properties !== undefined) m.properties = properties;
  if (r.expires_at !== null) m.expiresAt = r.expires_at;
  return m;
}

/** The will as JSON (its message with the payload and correlationData as base64). */
interface WillJson {
  delay: number;
  message: Omit<MessageRow, 'payload' | 'properties' | 'retain'> & {
    payload: string;
    retain: boolean;
    properties: string | null;
  };
}

function encodeWill(w: StoredWill | undefined): string | null {
  if (w === undefined) return null;
  const m = w.message;
  const json: WillJson = {
    delay: w.delay,
    message: {
      topic: m.topic,
      payload: m.payload.toString('base64'),
      qos: m.qos,
      retain: m.retain,
      properties: encodeProperties(m.properties),
      origin: m.origin,
      timestamp: m.timestamp,
      expires_at: m.expiresAt ?? null,
    },
  };
  return JSON.stringify(json);
}

function decodeWill(json: string | null): StoredWill | undefined {
  if (json === null) return undefined;
  const w = JSON.parse(json) as WillJson;
  const message = rowToMessage({
    ...w.message,
    payload: Buffer.from(w.message.payload, 'base64'),
    retain: w.message.retain ? 1 : 0,
  });
  return { delay: w.delay, message };
}

export class SqliteStorage implements StorageAdapter {
  readonly engine = 'sqlite';
  readonly file: string;
  private readonly commitIntervalMs: number;
  private readonly maxBatch: number;
  private readonly onError?: (err: RobustMQError) => void;
  private db?: Database.Database;
  private stmts?: ReturnType<SqliteStorage['prepare']>;
  private queue: Op[] = [];
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private failure?: RobustMQError;

  constructor(file: string, options: SqliteStorageOptions = {}) {
    this.file = resolve(file);
    this.commitIntervalMs = options.commitIntervalMs ?? 2;
    this.maxBatch = options.maxBatch ?? 5000;
    this.onError = options.onError;
  }

  private fail(what: string, cause: unknown): RobustMQError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new RobustMQError('RMQ_ERR_STORAGE', `storage file ${this.file}: ${what}: ${detail}`, { cause });
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
      this.stmts = this.prepare(db);
      this.db = db;
      this.failure = undefined;
    } catch (err) {
      try {
        db?.close();
      } catch {
        // already failing; the first error is the one to report
      }
      throw err instanceof RobustMQError ? err : this.fail('cannot open the database', err);
    }
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

  private prepare(db: Database.Database) {
    return {
      putRetained: db.prepare(
        `INSERT INTO retained (topic, payload, qos, retain, properties, origin, timestamp, expires_at)
         VALUES (@topic, @payload, @qos, @retain, @properties, @origin, @timestamp, @expires_at)
         ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos, retain = excluded.retain,
           properties = excluded.properties, origin = excluded.origin, timestamp = excluded.timestamp,
           expires_at = excluded.expires_at`,
      ),
      deleteRetained: db.prepare('DELETE FROM retained WHERE topic = ?'),
      loadRetained: db.prepare('SELECT * FROM retained ORDER BY topic'),
      saveSession: db.prepare(
        `INSERT INTO sessions (client_id, protocol_version, expiry_interval, disconnected_at, subscriptions, will)
         VALUES (@client_id, @protocol_version, @expiry_interval, @disconnected_at, @subscriptions, @will)
         ON CONFLICT (client_id) DO UPDATE SET protocol_version = excluded.protocol_version,
           expiry_interval = excluded.expiry_interval, disconnected_at = excluded.disconnected_at,
           subscriptions = excluded.subscriptions, will = excluded.will`,
      ),
      deleteSession: db.prepare('DELETE FROM sessions WHERE client_id = ?'),
      deleteSessionMessages: db.prepare('DELETE FROM session_messages WHERE client_id = ?'),
      deleteSessionQos2: db.prepare('DELETE FROM incoming_qos2 WHERE client_id = ?'),
      loadSessions: db.prepare('SELECT * FROM sessions ORDER BY client_id'),
      append: db.prepare(
        `INSERT OR REPLACE INTO session_messages (client_id, seq, topic, payload, msg_qos, retain, properties, origin,
           timestamp, expires_at, qos, packet_id, state)
         VALUES (@client_id, @seq, @topic, @payload, @msg_qos, @retain, @properties, @origin, @timestamp, @expires_at,
           @qos, @packet_id, @state)`,
      ),
      update: db.prepare(
        `UPDATE session_messages SET
           packet_id = CASE WHEN @set_packet_id THEN @packet_id ELSE packet_id END,
           state = CASE WHEN @set_state THEN @state ELSE state END
         WHERE client_id = @client_id AND seq = @seq`,
      ),
      deleteMessage: db.prepare('DELETE FROM session_messages WHERE client_id = ? AND seq = ?'),
      loadMessages: db.prepare('SELECT * FROM session_messages WHERE client_id = ? ORDER BY seq'),
      addQos2: db.prepare('INSERT OR IGNORE INTO incoming_qos2 (client_id, packet_id) VALUES (?, ?)'),
      removeQos2: db.prepare('DELETE FROM incoming_qos2 WHERE client_id = ? AND packet_id = ?'),
      loadQos2: db.prepare('SELECT packet_id FROM incoming_qos2 WHERE client_id = ? ORDER BY packet_id'),
      deleteSessionCursors: db.prepare('DELETE FROM log_cursors WHERE client_id = ?'),

      saveTopic: db.prepare(
        `INSERT INTO topics (name, partitions, retention_ms, retention_bytes, created_at)
         VALUES (@name, @partitions, @retention_ms, @retention_bytes, @created_at)
         ON CONFLICT (name) DO UPDATE SET partitions = excluded.partitions, retention_ms = excluded.retention_ms,
           retention_bytes = excluded.retention_bytes, created_at = excluded.created_at`,
      ),
      deleteTopic: db.prepare('DELETE FROM topics WHERE name = ?'),
      deleteTopicLog: db.prepare('DELETE FROM topic_log WHERE topic = ?'),
      deleteTopicPartitions: db.prepare('DELETE FROM log_partitions WHERE topic = ?'),
      deleteTopicCursors: db.prepare('DELETE FROM log_cursors WHERE topic = ?'),
      loadTopics: db.prepare('SELECT * FROM topics ORDER BY name'),
      // an offset is written once: a second append of it is ignored (and not counted in the bytes)
      appendLog: db.prepare(
        `INSERT OR IGNORE INTO topic_log (topic, partition, offset, msg_topic, payload, qos, retain, properties, origin,
           timestamp, expires_at)
         VALUES (@topic, @partition, @offset, @msg_topic, @payload, @qos, @retain, @properties, @origin, @timestamp,
           @expires_at)`,
      ),
      // first_offset moves only when the partition was empty (first = next)
      appendPartition: db.prepare(
        `INSERT INTO log_partitions (topic, partition, first_offset, next_offset, bytes)
         VALUES (@topic, @partition, @offset, @offset + 1, @bytes)
         ON CONFLICT (topic, partition) DO UPDATE SET
           first_offset = CASE WHEN first_offset >= next_offset THEN excluded.first_offset ELSE first_offset END,
           next_offset = max(next_offset, excluded.next_offset),
           bytes = bytes + excluded.bytes`,
      ),
      readLog: db.prepare(
        `SELECT offset, msg_topic, topic, payload, qos, retain, properties, origin, timestamp, expires_at
         FROM topic_log WHERE topic = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?`,
      ),
      // the covering time index: cost proportional to the entries at or after the timestamp
      offsetForTimestamp: db.prepare(
        `SELECT p.next_offset AS next,
           (SELECT min(l.offset) FROM topic_log AS l INDEXED BY topic_log_time
            WHERE l.topic = p.topic AND l.partition = p.partition AND l.timestamp >= @timestamp) AS found
         FROM log_partitions AS p WHERE p.topic = @topic AND p.partition = @partition`,
      ),
      loadPartitions: db.prepare('SELECT * FROM log_partitions ORDER BY topic, partition'),
      partition: db.prepare('SELECT * FROM log_partitions WHERE topic = ? AND partition = ?'),
      bytesBefore: db.prepare(
        `SELECT coalesce(sum(length(payload)), 0) AS n FROM topic_log
         WHERE topic = ? AND partition = ? AND offset < ?`,
      ),
      deleteLogBefore: db.prepare('DELETE FROM topic_log WHERE topic = ? AND partition = ? AND offset < ?'),
      // after a removal: bytes as computed by the caller, first = the oldest left (next when none)
      setKept: db.prepare(
        `UPDATE log_partitions SET bytes = @bytes,
           first_offset = coalesce(
             (SELECT min(offset) FROM topic_log WHERE topic = @topic AND partition = @partition), next_offset)
         WHERE topic = @topic AND partition = @partition
         RETURNING first_offset`,
      ),
      // the oldest entry at or after a time, walking in offset order (the unary + keeps the time index
      // out): retention by age costs the entries it removes, not the ones it keeps
      firstAtOrAfter: db.prepare(
        `SELECT offset FROM topic_log WHERE topic = ? AND partition = ? AND +timestamp >= ?
         ORDER BY offset LIMIT 1`,
      ),
      sizesFrom: db.prepare(
        `SELECT offset, length(payload) AS size FROM topic_log WHERE topic = ? AND partition = ? AND offset >= ?
         ORDER BY offset`,
      ),
      saveCursor: db.prepare(
        `INSERT INTO log_cursors (client_id, topic, partition, offset) VALUES (?, ?, ?, ?)
         ON CONFLICT (client_id, topic, partition) DO UPDATE SET offset = excluded.offset`,
      ),
      loadCursors: db.prepare('SELECT * FROM log_cursors WHERE client_id = ? ORDER BY topic, partition'),
    };
  }

  async close(): Promise<void> {
    if (!this.db) return;
    this.clearSchedule();
    let error: unknown;
    try {
      this.commit();
    } catch (err) {
      error = err;
    }
    try {
      this.db.close();
    } catch (err) {
      error ??= this.fail('cannot close the database', err);
    }
    this.db = undefined;
    this.stmts = undefined;
    this.queue = [];
    if (error !== undefined) throw error;
  }

  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queue.length === 0) return Promise.resolve(); // every commit is synchronous: nothing in flight
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (this.immediate === undefined) {
        this.immediate = setImmediate(() => {
          this.immediate = undefined;
          this.commitSafely();
        });
      }
    });
  }

  hasUnflushedWrites(): boolean {
    return this.queue.length > 0; // commits are synchronous: a write is durable once dequeued
  }

  // ----- the write queue and group commit

  private enqueue(op: Op): void {
    if (!this.db) throw new RobustMQError('RMQ_ERR_STORAGE', `storage file ${this.file}: the database is not open`);
    this.queue.push(op);
    if (this.queue.length >= this.maxBatch) this.commitSafely();
    else this.timer ??= setTimeout(() => this.commitSafely(), this.commitIntervalMs);
  }

  private clearSchedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Commits the queue; a failure is reported to onError and through flush(), never thrown. */
  private commitSafely(): void {
    try {
      this.commit();
    } catch (err) {
      if (err instanceof RobustMQError) this.onError?.(err);
    }
  }

  /** Commits every queued write in one transaction, then settles the flush() waiters. Throws on failure. */
  private commit(): void {
    this.clearSchedule();
    const ops = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    if (this.failure) {
      for (const w of waiters) w.reject(this.failure);
      throw this.failure;
    }
    if (ops.length > 0) {
      try {
        this.db!.transaction(() => {
          for (const op of ops) this.apply(op);
        })();
      } catch (err) {
        this.failure = this.fail(`a group commit of ${ops.length} writes failed`, err);
        for (const w of waiters) w.reject(this.failure);
        throw this.failure;
      }
    }
    for (const w of waiters) w.resolve();
  }

  private apply(op: Op): void {
    const s = this.stmts!;
    switch (op.k) {
      case 'putRetained': {
        const m = op.m;
        s.putRetained.run({ ...messageColumns(m), qos: m.qos });
        break;
      }
      case 'deleteRetained':
        s.deleteRetained.run(op.topic);
        break;
      case 'saveSession': {
        const r = op.r;
        s.saveSession.run({
          client_id: r.clientId,
          protocol_version: r.protocolVersion,
          expiry_interval: r.expiryInterval,
          disconnected_at: r.disconnectedAt ?? null,
          subscriptions: JSON.stringify(r.subscriptions),
          will: encodeWill(r.will),
        });
        break;
      }
      case 'deleteSession':
        s.deleteSession.run(op.clientId);
        s.deleteSessionMessages.run(op.clientId);
        s.deleteSessionQos2.run(op.clientId);
        s.deleteSessionCursors.run(op.clientId);
        break;
      case 'append': {
        const { e } = op;
        const m = e.message;
        s.append.run({
          client_id: e.clientId,
          seq: e.seq,
          ...messageColumns(m),
          msg_qos: m.qos,
          qos: e.qos,
          packet_id: e.packetId ?? null,
          state: e.state ?? null,
        });
        break;
      }
      case 'update':
        s.update.run({
          client_id: op.clientId,
          seq: op.seq,
          set_packet_id: 'packetId' in op.change ? 1 : 0,
          packet_id: op.change.packetId ?? null,
          set_state: 'state' in op.change ? 1 : 0,
          state: op.change.state ?? null,
        });
        break;
      case 'deleteMessage':
        s.deleteMessage.run(op.clientId, op.seq);
        break;
      case 'addQos2':
        s.addQos2.run(op.clientId, op.packetId);
        break;
      case 'removeQos2':
        s.removeQos2.run(op.clientId, op.packetId);
        break;
      case 'saveTopic': {
        const { t } = op;
        s.saveTopic.run({
          name: t.name,
          partitions: t.partitions,
          retention_ms: t.retentionMs,
          retention_bytes: t.retentionBytes,
          created_at: t.createdAt,
        });
        break;
      }
      case 'deleteTopic':
        s.deleteTopic.run(op.name);
        s.deleteTopicLog.run(op.name);
        s.deleteTopicPartitions.run(op.name);
        s.deleteTopicCursors.run(op.name);
        break;
      case 'appendLog': {
        const { e } = op;
        const m = e.message;
        const inserted = s.appendLog.run({
          ...messageColumns(m),
          topic: e.topic,
          partition: e.partition,
          offset: e.offset,
          msg_topic: m.topic === e.topic ? null : m.topic,
          qos: m.qos,
        });
        if (inserted.changes > 0) {
          s.appendPartition.run({ topic: e.topic, partition: e.partition, offset: e.offset, bytes: m.payload.length });
        }
        break;
      }
      case 'trimLog':
        this.removeBefore(op.topic, op.partition, op.before);
        break;
      case 'saveCursor': {
        const { c } = op;
        s.saveCursor.run(c.clientId, c.topic, c.partition, c.offset);
        break;
      }
    }
  }

  /**
   * Removes the entries of a partition with offset < before and keeps its bytes and first offset right.
   * Returns the partition's first offset after it (undefined for a partition never appended to).
   */
  private removeBefore(topic: string, partition: number, before: number, keptBytes?: number): number | undefined {
    const s = this.stmts!;
    const p = s.partition.get(topic, partition) as PartitionRow | undefined;
    if (!p) return undefined;
    if (before <= p.first_offset) return p.first_offset;
    const bytes = keptBytes ?? p.bytes - (s.bytesBefore.get(topic, partition, before) as { n: number }).n;
    s.deleteLogBefore.run(topic, partition, before);
    return (s.setKept.get({ topic, partition, bytes }) as { first_offset: number }).first_offset;
  }

  /** Commits what is queued, then reads: a load sees every write issued before it. */
  private read<T>(what: string, fn: (s: NonNullable<SqliteStorage['stmts']>) => T): Promise<T> {
    try {
      if (!this.db) throw new RobustMQError('RMQ_ERR_STORAGE', `storage file ${this.file}: the database is not open`);
      if (this.queue.length > 0 || this.failure) this.commit();
      return Promise.resolve(fn(this.stmts!));
    } catch (err) {
      return Promise.reject(err instanceof RobustMQError ? err : this.fail(`cannot load ${what}`, err));
    }
  }

  // ----- StorageAdapter

  putRetained(message: Message): void {
    this.enqueue({ k: 'putRetained', m: message });
  }
  deleteRetained(topic: string): void {
    this.enqueue({ k: 'deleteRetained', topic });
  }
  loadRetained(): Promise<Message[]> {
    return this.read('retained messages', (s) => (s.loadRetained.all() as MessageRow[]).map(rowToMessage));
  }

  saveSession(record: SessionRecord): void {
    // copied now: the caller may change its record before the commit
    this.enqueue({ k: 'saveSession', r: { ...record, subscriptions: record.subscriptions.map((x) => ({ ...x })) } });
  }
  deleteSession(clientId: string): void {
    this.enqueue({ k: 'deleteSession', clientId });
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

  appendSessionMessage(entry: SessionMessage): void {
    this.enqueue({ k: 'append', e: { ...entry } });
  }
  updateSessionMessage(clientId: string, seq: number, change: Pick<SessionMessage, 'packetId' | 'state'>): void {
    this.enqueue({ k: 'update', clientId, seq, change: { ...change } });
  }
  deleteSessionMessage(clientId: string, seq: number): void {
    this.enqueue({ k: 'deleteMessage', clientId, seq });
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
    this.enqueue({ k: 'addQos2', clientId, packetId });
  }
  removeIncomingQos2(clientId: string, packetId: number): void {
    this.enqueue({ k: 'removeQos2', clientId, packetId });
  }
  loadIncomingQos2(clientId: string): Promise<number[]> {
    return this.read('incoming QoS 2 ids', (s) =>
      (s.loadQos2.all(clientId) as { packet_id: number }[]).map((r) => r.packet_id),
    );
  }

  // ----- topics and their logs

  saveTopic(topic: TopicRecord): void {
    this.enqueue({ k: 'saveTopic', t: { ...topic } });
  }
  deleteTopic(name: string): void {
    this.enqueue({ k: 'deleteTopic', name });
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

  /** The hot path (once per message published to a logged topic): one queued op, two prepared statements at commit. */
  appendLog(entry: LogEntry): void {
    this.enqueue({ k: 'appendLog', e: { ...entry } });
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
      const row = s.offsetForTimestamp.get({ topic, partition, timestamp }) as
        { next: number; found: number | null } | undefined;
      return row === undefined ? 0 : (row.found ?? row.next);
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
    this.enqueue({ k: 'trimLog', topic, partition, before: beforeOffset });
  }
  /** Commits what is queued, then removes in a transaction of its own (durable when it resolves). */
  applyRetention(topic: string, partition: number, olderThan: number, maxBytes: number): Promise<number> {
    return this.read('a topic log to apply retention', (s) =>
      this.db!.transaction(() => {
        const p = s.partition.get(topic, partition) as PartitionRow | undefined;
        if (!p) return 0;
        let cut = p.first_offset;
        let kept = p.bytes;
        if (olderThan > 0) {
          const row = s.firstAtOrAfter.get(topic, partition, olderThan) as { offset: number } | undefined;
          cut = row?.offset ?? p.next_offset;
          if (cut > p.first_offset) kept -= (s.bytesBefore.get(topic, partition, cut) as { n: number }).n;
        }
        if (maxBytes > 0 && kept > maxBytes) {
          let next = p.next_offset; // every entry goes unless one is reached with the rest small enough
          for (const r of s.sizesFrom.iterate(topic, partition, cut) as IterableIterator<{
            offset: number;
            size: number;
          }>) {
            if (kept <= maxBytes) {
              next = r.offset;
              break;
            }
            kept -= r.size;
          }
          cut = next;
        }
        return this.removeBefore(topic, partition, cut, kept) ?? 0;
      }).immediate(),
    );
  }

  saveCursor(cursor: LogCursor): void {
    this.enqueue({ k: 'saveCursor', c: { ...cursor } });
  }
  loadCursors(clientId: string): Promise<LogCursor[]> {
    return this.read('log cursors', (s) =>
      (s.loadCursors.all(clientId) as { client_id: string; topic: string; partition: number; offset: number }[]).map(
        (r) => ({ clientId: r.client_id, topic: r.topic, partition: r.partition, offset: r.offset }),
      ),
    );
  }
}
