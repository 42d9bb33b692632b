// The sqlite engine's writer thread (node:worker_threads): it owns the only connection that writes to
// the database file, so that executing statements and committing (and fsync) never run on the
// broker's event loop. SqliteStorage (sqlite-storage.ts) queues writes as compact rows, posts them in
// batches and is told, per batch id, when they are committed durably (WAL, synchronous=FULL).
//
// The wire format, defined here for both sides (structured cloning costs the event loop per value: sent
// as arrays of values, a batch cost it about 1 µs per write, so it is sent as transferred buffers):
// - main -> writer: `{ t: 'batch', id, ops, strings, blob, writes }`. `ops` is a Float64Array (its buffer
//   transferred): an op code (OP) followed by that op's values, positionally. A string value is its index
//   in `strings` (each distinct string once per batch), -1 for null; a nullable number is NaN for null.
//   Payloads are not in `ops`: the op carries its payload's length and every payload of the batch is in
//   `blob`, one transferred ArrayBuffer, in op order (a Buffer itself would be cloned with its whole
//   underlying memory, often a much larger socket chunk). `{ t: 'close' }` closes the connection and
//   answers `closed`; `{ t: 'crash' }` (tests) throws.
// - writer -> main: `ready` or `open-failed` once, then per commit `{ t: 'ok', id, results }` (id of the
//   last batch committed; results of applyRetention requests) or `{ t: 'fail', id, writes, message }`
//   (the first batch of the failed commit), after which the writer commits nothing more.
// - Batches are handled in order. Every batch already posted when the writer is free is drained with
//   receiveMessageOnPort and committed in one transaction (group commit): one fsync for all of them.
// - Appends to a topic log update log_partitions once per partition and run of appends, not per entry.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { isMainThread, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** Op codes of `ops`, each followed by its values (in this order; `?` marks a nullable one). */
export const OP = {
  putRetained: 1, // topic, payloadLen, qos, retain, properties?, origin, timestamp, expiresAt?
  deleteRetained: 2, // topic
  saveSession: 3, // clientId, protocolVersion, expiryInterval, disconnectedAt?, subscriptions, will?
  deleteSession: 4, // clientId
  // clientId, seq, topic, payloadLen, msgQos, retain, properties?, origin, timestamp, expiresAt?, qos, packetId?, state?
  appendMessage: 5,
  updateMessage: 6, // clientId, seq, setPacketId, packetId?, setState, state?
  deleteMessage: 7, // clientId, seq
  addQos2: 8, // clientId, packetId
  removeQos2: 9, // clientId, packetId
  saveTopic: 10, // name, partitions, retentionMs, retentionBytes, createdAt
  deleteTopic: 11, // name
  // topic, partition, offset, msgTopic?, payloadLen, qos, retain, properties?, origin, timestamp, expiresAt?
  appendLog: 12,
  trimLog: 13, // topic, partition, before
  saveCursor: 14, // clientId, topic, partition, offset
  retention: 15, // requestId, topic, partition, olderThan, maxBytes
  saveUser: 16, // username, passwordHash, superuser, createdAt, scram?
  deleteUser: 17, // username
  saveAcl: 18, // id, principalKind, principal, filter, action, permission, createdAt, qos?, retain?
  deleteAcl: 19, // id
  saveBan: 20, // kind, value, reason, until?, createdAt
  deleteBan: 21, // kind, value
  saveAdminToken: 22, // id, name, secretHash, createdAt, expiresAt?, lastUsedAt?
  deleteAdminToken: 23, // id
  saveFeatureRecord: 24, // kind, id, value
  deleteFeatureRecord: 25, // kind, id
} as const;

export interface WriterData {
  robustmqSqliteWriter: true;
  file: string;
  busyTimeoutMs: number;
  /** Added to the thread's nice value (Linux): see SqliteStorageOptions.writerNice. */
  nice: number;
}

export type ToWriter =
  | { t: 'batch'; id: number; ops: ArrayBuffer; strings: string[]; blob: ArrayBuffer | null; writes: number }
  | { t: 'close' }
  | { t: 'crash' };

/** A result of an applyRetention request: [requestId, first offset] or [requestId, null, error message]. */
export type RetentionResult = [number, number] | [number, null, string];

export type FromWriter =
  | { t: 'ready' }
  | { t: 'open-failed'; message: string }
  | { t: 'ok'; id: number; results: RetentionResult[] | null }
  | { t: 'fail'; id: number; writes: number; message: string }
  | { t: 'closed'; error: string | null };

interface PartitionRow {
  first_offset: number;
  next_offset: number;
  bytes: number;
}

const EMPTY = Buffer.alloc(0);

function prepare(db: Database.Database) {
  return {
    putRetained: db.prepare(
      `INSERT INTO retained (topic, payload, qos, retain, properties, origin, timestamp, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos, retain = excluded.retain,
         properties = excluded.properties, origin = excluded.origin, timestamp = excluded.timestamp,
         expires_at = excluded.expires_at`,
    ),
    deleteRetained: db.prepare('DELETE FROM retained WHERE topic = ?'),
    saveSession: db.prepare(
      `INSERT INTO sessions (client_id, protocol_version, expiry_interval, disconnected_at, subscriptions, will)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET protocol_version = excluded.protocol_version,
         expiry_interval = excluded.expiry_interval, disconnected_at = excluded.disconnected_at,
         subscriptions = excluded.subscriptions, will = excluded.will`,
    ),
    deleteSession: db.prepare('DELETE FROM sessions WHERE client_id = ?'),
    deleteSessionMessages: db.prepare('DELETE FROM session_messages WHERE client_id = ?'),
    deleteSessionQos2: db.prepare('DELETE FROM incoming_qos2 WHERE client_id = ?'),
    deleteSessionCursors: db.prepare('DELETE FROM log_cursors WHERE client_id = ?'),
    appendMessage: db.prepare(
      `INSERT OR REPLACE INTO session_messages (client_id, seq, topic, payload, msg_qos, retain, properties, origin,
         timestamp, expires_at, qos, packet_id, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateMessage: db.prepare(
      `UPDATE session_messages SET
         packet_id = CASE WHEN ? THEN ? ELSE packet_id END,
         state = CASE WHEN ? THEN ? ELSE state END
       WHERE client_id = ? AND seq = ?`,
    ),
    deleteMessage: db.prepare('DELETE FROM session_messages WHERE client_id = ? AND seq = ?'),
    addQos2: db.prepare('INSERT OR IGNORE INTO incoming_qos2 (client_id, packet_id) VALUES (?, ?)'),
    removeQos2: db.prepare('DELETE FROM incoming_qos2 WHERE client_id = ? AND packet_id = ?'),
    saveTopic: db.prepare(
      `INSERT INTO topics (name, partitions, retention_ms, retention_bytes, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET partitions = excluded.partitions, retention_ms = excluded.retention_ms,
         retention_bytes = excluded.retention_bytes, created_at = excluded.created_at`,
    ),
    deleteTopic: db.prepare('DELETE FROM topics WHERE name = ?'),
    deleteTopicLog: db.prepare('DELETE FROM topic_log WHERE topic = ?'),
    deleteTopicPartitions: db.prepare('DELETE FROM log_partitions WHERE topic = ?'),
    deleteTopicCursors: db.prepare('DELETE FROM log_cursors WHERE topic = ?'),
    // an offset is written once: a second append of it is ignored (and not counted in the bytes)
    // max_ts: the highest timestamp of the partition up to this entry (see offsetForTimestamp)
    appendLog: db.prepare(
      `INSERT OR IGNORE INTO topic_log (topic, partition, offset, msg_topic, payload, qos, retain, properties, origin,
         timestamp, expires_at, max_ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    lastEntry: db.prepare(
      'SELECT offset, max_ts FROM topic_log WHERE topic = ? AND partition = ? ORDER BY offset DESC LIMIT 1',
    ),
    // one row per partition and run of appends: first_offset moves only when the partition was empty
    // (first = next), to the first offset of the run; next is past the highest; bytes add up
    appendPartition: db.prepare(
      `INSERT INTO log_partitions (topic, partition, first_offset, next_offset, bytes) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (topic, partition) DO UPDATE SET
         first_offset = CASE WHEN first_offset >= next_offset THEN excluded.first_offset ELSE first_offset END,
         next_offset = max(next_offset, excluded.next_offset),
         bytes = bytes + excluded.bytes`,
    ),
    partition: db.prepare(
      'SELECT first_offset, next_offset, bytes FROM log_partitions WHERE topic = ? AND partition = ?',
    ),
    bytesBefore: db
      .prepare(
        `SELECT coalesce(sum(length(payload)), 0) FROM topic_log
         WHERE topic = ? AND partition = ? AND offset < ?`,
      )
      .pluck(),
    deleteLogBefore: db.prepare('DELETE FROM topic_log WHERE topic = ? AND partition = ? AND offset < ?'),
    // after a removal: bytes as computed by the caller, first = the oldest left (next when none)
    setKept: db
      .prepare(
        `UPDATE log_partitions SET bytes = ?,
           first_offset = coalesce(
             (SELECT min(offset) FROM topic_log WHERE topic = ? AND partition = ?), next_offset)
         WHERE topic = ? AND partition = ?
         RETURNING first_offset`,
      )
      .pluck(),
    // the oldest entry at or after a time, walking in offset order: retention by age costs the entries
    // it removes, not the ones it keeps
    firstAtOrAfter: db
      .prepare(
        `SELECT offset FROM topic_log WHERE topic = ? AND partition = ? AND timestamp >= ?
         ORDER BY offset LIMIT 1`,
      )
      .pluck(),
    sizesFrom: db.prepare(
      `SELECT offset, length(payload) AS size FROM topic_log WHERE topic = ? AND partition = ? AND offset >= ?
       ORDER BY offset`,
    ),
    saveCursor: db.prepare(
      `INSERT INTO log_cursors (client_id, topic, partition, offset) VALUES (?, ?, ?, ?)
       ON CONFLICT (client_id, topic, partition) DO UPDATE SET offset = excluded.offset`,
    ),
    saveUser: db.prepare(
      `INSERT INTO users (username, password_hash, superuser, created_at, scram) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
         superuser = excluded.superuser, created_at = excluded.created_at, scram = excluded.scram`,
    ),
    deleteUser: db.prepare('DELETE FROM users WHERE username = ?'),
    saveAcl: db.prepare(
      `INSERT INTO acl_rules (id, principal_kind, principal, filter, action, permission, created_at, qos, retain)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET principal_kind = excluded.principal_kind, principal = excluded.principal,
         filter = excluded.filter, action = excluded.action, permission = excluded.permission,
         created_at = excluded.created_at, qos = excluded.qos, retain = excluded.retain`,
    ),
    deleteAcl: db.prepare('DELETE FROM acl_rules WHERE id = ?'),
    saveBan: db.prepare(
      `INSERT INTO bans (kind, value, reason, until, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (kind, value) DO UPDATE SET reason = excluded.reason, until = excluded.until,
         created_at = excluded.created_at`,
    ),
    deleteBan: db.prepare('DELETE FROM bans WHERE kind = ? AND value = ?'),
    saveAdminToken: db.prepare(
      `INSERT INTO admin_tokens (id, name, secret_hash, created_at, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash,
         created_at = excluded.created_at, expires_at = excluded.expires_at, last_used_at = excluded.last_used_at`,
    ),
    deleteAdminToken: db.prepare('DELETE FROM admin_tokens WHERE id = ?'),
    saveFeatureRecord: db.prepare(
      `INSERT INTO feature_records (kind, id, value) VALUES (?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value`,
    ),
    deleteFeatureRecord: db.prepare('DELETE FROM feature_records WHERE kind = ? AND id = ?'),
  };
}

type Statements = ReturnType<typeof prepare>;

const APPEND_COLUMNS = 12;
/**
 * Rows per multi-row INSERT of log appends: one statement step for 16 rows instead of 16 (6.3 -> 4.4 us
 * of writer CPU per row, measured with 64-byte payloads).
 */
const APPEND_ROWS = 16;

function prepareAppendMany(db: Database.Database, rows: number): Database.Statement {
  const row = `(${new Array(APPEND_COLUMNS).fill('?').join(', ')})`;
  return db.prepare(
    `INSERT OR IGNORE INTO topic_log (topic, partition, offset, msg_topic, payload, qos, retain, properties,
       origin, timestamp, expires_at, max_ts) VALUES ${new Array(rows).fill(row).join(', ')}`,
  );
}

/** A partition's newest entry as this thread wrote it: every offset >= next is free. */
interface PartitionTail {
  next: number;
  maxTs: number;
}

/** The appends of one run to one partition, written to log_partitions as one row when the run ends. */
interface PartitionRun {
  topic: string;
  partition: number;
  first: number;
  next: number;
  bytes: number;
}

class Writer {
  private readonly s: Statements;
  private readonly commitGroup: (batches: Extract<ToWriter, { t: 'batch' }>[]) => RetentionResult[] | null;
  private readonly retentionTx: (topic: string, partition: number, olderThan: number, maxBytes: number) => number;
  /** Partitions appended to since their row was last written (written before any other op, and at the end). */
  private runs = new Map<string, PartitionRun>();
  /** Per partition (key `${partition}\0${topic}`): its newest entry. */
  private readonly tails = new Map<string, PartitionTail>();
  /** Appends gathered for one multi-row INSERT: APPEND_COLUMNS values per row. */
  private readonly appendArgs: unknown[] = new Array(APPEND_ROWS * APPEND_COLUMNS).fill(null);
  private appendCount = 0;
  private readonly appendMany = new Map<number, Database.Statement>();
  private results: RetentionResult[] | null = null;
  failed = false;

  constructor(private readonly db: Database.Database) {
    this.s = prepare(db);
    this.commitGroup = db.transaction((batches) => {
      this.results = null;
      for (const b of batches)
        this.apply(new Float64Array(b.ops), b.strings, b.blob === null ? null : Buffer.from(b.blob));
      this.endRuns();
      return this.results;
    });
    // nested in the group's transaction: a savepoint, so that a failed retention undoes only itself
    this.retentionTx = db.transaction((topic: string, partition: number, olderThan: number, maxBytes: number) =>
      this.retention(topic, partition, olderThan, maxBytes),
    );
  }

  /** Commits the batches in one transaction and tells the main thread. */
  commit(batches: Extract<ToWriter, { t: 'batch' }>[]): void {
    if (this.failed) return; // the main thread has failed every flush since
    try {
      const results = this.commitGroup(batches);
      post({ t: 'ok', id: batches[batches.length - 1]!.id, results });
    } catch (err) {
      this.runs.clear();
      this.tails.clear(); // it may hold values of the rolled-back transaction
      this.appendCount = 0;
      this.failed = true;
      let writes = 0;
      for (const b of batches) writes += b.writes;
      post({ t: 'fail', id: batches[0]!.id, writes, message: errorMessage(err) });
    }
  }

  private apply(ops: Float64Array, strings: string[], blob: Buffer | null): void {
    const s = this.s;
    const n = ops.length;
    let i = 0;
    let pos = 0;
    const payload = (len: number): Buffer => {
      if (len === 0) return EMPTY;
      const b = blob!.subarray(pos, pos + len);
      pos += len;
      return b;
    };
    const str = (at: number): string => strings[ops[at]!]!;
    const strOrNull = (at: number): string | null => (ops[at]! < 0 ? null : strings[ops[at]!]!);
    const num = (at: number): number => ops[at]!;
    const numOrNull = (at: number): number | null => (Number.isNaN(ops[at]) ? null : ops[at]!);
    while (i < n) {
      const op = ops[i];
      if (op === OP.appendLog) {
        const topic = str(i + 1);
        const partition = num(i + 2);
        const offset = num(i + 3);
        const len = num(i + 5);
        const timestamp = num(i + 10);
        const key = `${partition}\0${topic}`;
        const tail = this.tail(key, topic, partition);
        const maxTs = Math.max(timestamp, tail.maxTs);
        const fresh = offset >= tail.next; // past every row of the partition: certain to be inserted
        if (!fresh) this.flushAppends(); // an offset the partition may hold already: a statement of its own
        const a = this.appendArgs;
        let at = this.appendCount * APPEND_COLUMNS;
        a[at++] = topic;
        a[at++] = partition;
        a[at++] = offset;
        a[at++] = strOrNull(i + 4);
        a[at++] = payload(len);
        a[at++] = num(i + 6);
        a[at++] = num(i + 7);
        a[at++] = strOrNull(i + 8);
        a[at++] = str(i + 9);
        a[at++] = timestamp;
        a[at++] = numOrNull(i + 11);
        a[at] = maxTs;
        if (fresh) {
          // joins a multi-row INSERT
          this.appendCount++;
          tail.next = offset + 1;
          tail.maxTs = maxTs;
          this.addToRun(key, topic, partition, offset, len);
          if (this.appendCount === APPEND_ROWS) this.flushAppends();
        } else {
          // written once: a second append of an offset is ignored (and not counted in the bytes)
          const inserted = s.appendLog.run(a.slice(0, APPEND_COLUMNS));
          a.fill(null, 0, APPEND_COLUMNS);
          if (inserted.changes > 0) {
            tail.maxTs = maxTs;
            this.addToRun(key, topic, partition, offset, len);
          }
        }
        i += 12;
        continue;
      }
      if (this.runs.size > 0) this.endRuns(); // every other op sees log_partitions up to date
      switch (op) {
        case OP.putRetained:
          s.putRetained.run(
            str(i + 1),
            payload(num(i + 2)),
            num(i + 3),
            num(i + 4),
            strOrNull(i + 5),
            str(i + 6),
            num(i + 7),
            numOrNull(i + 8),
          );
          i += 9;
          break;
        case OP.deleteRetained:
          s.deleteRetained.run(str(i + 1));
          i += 2;
          break;
        case OP.saveSession:
          s.saveSession.run(str(i + 1), num(i + 2), num(i + 3), numOrNull(i + 4), str(i + 5), strOrNull(i + 6));
          i += 7;
          break;
        case OP.deleteSession: {
          const clientId = str(i + 1);
          s.deleteSession.run(clientId);
          s.deleteSessionMessages.run(clientId);
          s.deleteSessionQos2.run(clientId);
          s.deleteSessionCursors.run(clientId);
          i += 2;
          break;
        }
        case OP.appendMessage:
          s.appendMessage.run(
            str(i + 1),
            num(i + 2),
            str(i + 3),
            payload(num(i + 4)),
            num(i + 5),
            num(i + 6),
            strOrNull(i + 7),
            str(i + 8),
            num(i + 9),
            numOrNull(i + 10),
            num(i + 11),
            numOrNull(i + 12),
            strOrNull(i + 13),
          );
          i += 14;
          break;
        case OP.updateMessage:
          s.updateMessage.run(num(i + 3), numOrNull(i + 4), num(i + 5), strOrNull(i + 6), str(i + 1), num(i + 2));
          i += 7;
          break;
        case OP.deleteMessage:
          s.deleteMessage.run(str(i + 1), num(i + 2));
          i += 3;
          break;
        case OP.addQos2:
          s.addQos2.run(str(i + 1), num(i + 2));
          i += 3;
          break;
        case OP.removeQos2:
          s.removeQos2.run(str(i + 1), num(i + 2));
          i += 3;
          break;
        case OP.saveTopic:
          s.saveTopic.run(str(i + 1), num(i + 2), num(i + 3), num(i + 4), num(i + 5));
          i += 6;
          break;
        case OP.deleteTopic: {
          const name = str(i + 1);
          s.deleteTopic.run(name);
          s.deleteTopicLog.run(name);
          s.deleteTopicPartitions.run(name);
          s.deleteTopicCursors.run(name);
          for (const key of this.tails.keys()) if (key.slice(key.indexOf('\0') + 1) === name) this.tails.delete(key);
          i += 2;
          break;
        }
        case OP.trimLog:
          this.removeBefore(str(i + 1), num(i + 2), num(i + 3));
          i += 4;
          break;
        case OP.saveCursor:
          s.saveCursor.run(str(i + 1), str(i + 2), num(i + 3), num(i + 4));
          i += 5;
          break;
        case OP.saveUser:
          s.saveUser.run(str(i + 1), str(i + 2), num(i + 3), num(i + 4), strOrNull(i + 5));
          i += 6;
          break;
        case OP.deleteUser:
          s.deleteUser.run(str(i + 1));
          i += 2;
          break;
        case OP.saveAcl:
          s.saveAcl.run(
            str(i + 1),
            str(i + 2),
            str(i + 3),
            str(i + 4),
            str(i + 5),
            str(i + 6),
            num(i + 7),
            strOrNull(i + 8),
            numOrNull(i + 9),
          );
          i += 10;
          break;
        case OP.deleteAcl:
          s.deleteAcl.run(str(i + 1));
          i += 2;
          break;
        case OP.saveBan:
          s.saveBan.run(str(i + 1), str(i + 2), str(i + 3), numOrNull(i + 4), num(i + 5));
          i += 6;
          break;
        case OP.deleteBan:
          s.deleteBan.run(str(i + 1), str(i + 2));
          i += 3;
          break;
        case OP.saveAdminToken:
          s.saveAdminToken.run(str(i + 1), str(i + 2), str(i + 3), num(i + 4), numOrNull(i + 5), numOrNull(i + 6));
          i += 7;
          break;
        case OP.deleteAdminToken:
          s.deleteAdminToken.run(str(i + 1));
          i += 2;
          break;
        case OP.saveFeatureRecord:
          s.saveFeatureRecord.run(str(i + 1), str(i + 2), str(i + 3));
          i += 4;
          break;
        case OP.deleteFeatureRecord:
          s.deleteFeatureRecord.run(str(i + 1), str(i + 2));
          i += 3;
          break;
        case OP.retention: {
          const id = num(i + 1);
          let result: RetentionResult;
          try {
            result = [id, this.retentionTx(str(i + 2), num(i + 3), num(i + 4), num(i + 5))];
          } catch (err) {
            result = [id, null, errorMessage(err)];
          }
          (this.results ??= []).push(result);
          i += 6;
          break;
        }
        default:
          throw new Error(`unknown op ${String(op)} at ${i}`);
      }
    }
  }

  /** The partition's newest entry (next offset and max_ts), cached: this thread is the only writer. */
  private tail(key: string, topic: string, partition: number): PartitionTail {
    let t = this.tails.get(key);
    if (t === undefined) {
      const last = this.s.lastEntry.get(topic, partition) as { offset: number; max_ts: number } | undefined;
      t = last === undefined ? { next: 0, maxTs: 0 } : { next: last.offset + 1, maxTs: last.max_ts };
      this.tails.set(key, t);
    }
    return t;
  }

  /** Inserts the appends gathered for a multi-row INSERT (before any other statement, and at the end). */
  private flushAppends(): void {
    const count = this.appendCount;
    if (count === 0) return;
    this.appendCount = 0;
    let stmt = this.appendMany.get(count);
    if (stmt === undefined) this.appendMany.set(count, (stmt = prepareAppendMany(this.db, count)));
    const args = count === APPEND_ROWS ? this.appendArgs : this.appendArgs.slice(0, count * APPEND_COLUMNS);
    const inserted = stmt.run(args).changes;
    this.appendArgs.fill(null); // no payload kept alive
    // cannot happen (every offset was past the partition's newest row): fail loudly rather than miscount
    if (inserted !== count) throw new Error(`topic log: ${count - inserted} of ${count} new offsets were not inserted`);
  }

  private addToRun(key: string, topic: string, partition: number, offset: number, bytes: number): void {
    const run = this.runs.get(key);
    if (run === undefined) this.runs.set(key, { topic, partition, first: offset, next: offset + 1, bytes });
    else {
      if (offset + 1 > run.next) run.next = offset + 1;
      run.bytes += bytes;
    }
  }

  private endRuns(): void {
    this.flushAppends();
    for (const r of this.runs.values()) this.s.appendPartition.run(r.topic, r.partition, r.first, r.next, r.bytes);
    this.runs.clear();
  }

  /**
   * Removes the entries of a partition with offset < before and keeps its bytes and first offset right.
   * Returns the partition's first offset after it (undefined for a partition never appended to).
   */
  private removeBefore(topic: string, partition: number, before: number, keptBytes?: number): number | undefined {
    const s = this.s;
    const p = s.partition.get(topic, partition) as PartitionRow | undefined;
    if (!p) return undefined;
    if (before <= p.first_offset) return p.first_offset;
    const bytes = keptBytes ?? p.bytes - (s.bytesBefore.get(topic, partition, before) as number);
    s.deleteLogBefore.run(topic, partition, before);
    return s.setKept.get(bytes, topic, partition, topic, partition) as number;
  }

  /** Entries older than olderThan (when > 0) go, then the oldest until at most maxBytes (when > 0) are kept. */
  private retention(topic: string, partition: number, olderThan: number, maxBytes: number): number {
    const s = this.s;
    const p = s.partition.get(topic, partition) as PartitionRow | undefined;
    if (!p) return 0;
    let cut = p.first_offset;
    let kept = p.bytes;
    if (olderThan > 0) {
      const first = s.firstAtOrAfter.get(topic, partition, olderThan) as number | undefined;
      cut = first ?? p.next_offset;
      if (cut > p.first_offset) kept -= s.bytesBefore.get(topic, partition, cut) as number;
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
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function post(msg: FromWriter): void {
  parentPort!.postMessage(msg);
}

/**
 * Lowers this thread's scheduling priority by `nice` where the nice value is per thread (Linux), so that
 * under CPU contention the broker's event loop runs first; elsewhere, or if refused, nothing changes.
 * (Threads inherit it from the thread that creates them: this one creates none.)
 */
function lowerPriority(nice: number): void {
  if (!(nice > 0) || process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + Math.floor(nice)));
  } catch {
    // no /proc, or not permitted: the writer keeps the process's priority
  }
}

function run(data: WriterData): void {
  const port = parentPort!;
  lowerPriority(data.nice);
  let writer: Writer;
  let db: Database.Database | undefined;
  try {
    db = new Database(data.file, { fileMustExist: true });
    db.pragma(`busy_timeout = ${Math.floor(data.busyTimeoutMs)}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') throw new Error(`cannot use WAL journal mode (got ${String(mode)})`);
    db.pragma('synchronous = FULL');
    writer = new Writer(db);
  } catch (err) {
    post({ t: 'open-failed', message: errorMessage(err) });
    try {
      db?.close();
    } catch {
      // the open error is the one reported
    }
    port.close();
    return;
  }
  const conn = db;
  post({ t: 'ready' });

  const handle = (msg: ToWriter): void => {
    if (msg.t === 'batch') {
      // group commit: every batch already posted goes into this transaction
      const group = [msg];
      let next: ToWriter | undefined;
      for (;;) {
        const more = receiveMessageOnPort(port);
        if (more === undefined) break;
        const m = more.message as ToWriter;
        if (m.t === 'batch') group.push(m);
        else {
          next = m;
          break;
        }
      }
      writer.commit(group);
      if (next !== undefined) handle(next);
    } else if (msg.t === 'close') {
      let error: string | null = null;
      try {
        conn.close();
      } catch (err) {
        error = errorMessage(err);
      }
      post({ t: 'closed', error });
      port.close();
    } else if (msg.t === 'crash') {
      throw new Error('writer thread crashed on request (test hook)');
    }
  };
  port.on('message', handle);
}

if (!isMainThread && parentPort && (workerData as WriterData | undefined)?.robustmqSqliteWriter === true) {
  run(workerData as WriterData);
}
