// The postgres engine: every table in one PostgreSQL database, through a `pg` connection pool.
//
// - Writes (the void methods) are queued in memory and committed in one transaction per batch (group
//   commit): the first write of an idle engine starts a `commitIntervalMs` timer, flush() starts a
//   commit on the next turn of the event loop (so the flush() calls of one I/O phase share it), and
//   `maxBatch` queued writes start one at once. At most one commit is in flight; writes issued while it
//   runs queue up and go in the next batch, started as soon as it ends. So a write is "unflushed" while
//   it is queued or in flight, and flush() waits for every batch holding a write issued before it.
// - Order within a batch: a batch is not replayed op by op (5,000 appends would be 5,000 round trips).
//   Its ops are folded, in issue order, into their net effect on each key (`NetEffect` below): the last
//   write of a key wins (a delete after an append of the same key leaves a delete; an update of a row
//   appended in the batch changes that row in memory), and a delete that sweeps many keys (deleteSession,
//   deleteTopic, trimLog) drops the batch's earlier writes it covers and is recorded as a sweep of the
//   rows that existed before the batch. The net effect is then written with a few multi-row statements
//   per table (INSERT ... SELECT FROM unnest($1::text[], ...)) in a fixed order: sweeps first, then the
//   per-key deletes, upserts and partial updates, which touch disjoint keys, so their order among
//   themselves does not matter. applyRetention, which must read what it deletes, is a barrier: the net
//   effect so far is written, retention runs, and folding starts again, all in the same transaction.
// - Loads wait until every write issued before them is committed, then query: a load sees every
//   earlier write. PostgreSQL's own durability (fsync, synchronous_commit) decides what "committed" is.
// - Schema migrations are versioned in `schema_version` (one row per applied migration) and applied in
//   open(), in one transaction under a transaction-level advisory lock, so broker nodes opening the same
//   database at once apply each migration once. A database written by a newer schema is refused.
// - Users, ACL rules and bans (SecurityStorage) go through the same queue, folded per key like the rest;
//   their loads order with COLLATE "C" (code point order, whatever the database's collation), as memory.
// - Admin API tokens (AdminTokenStorage) too, folded per id; loaded in created_at, id (COLLATE "C") order.
// - A server that cannot be reached or refuses the login makes open() reject with RMQ_ERR_STORAGE naming
//   host:port/database (never the password).
// - A failed commit is sticky: the batch is rolled back, every later flush() and load rejects with the
//   error, and hasUnflushedWrites() stays true (nothing written after it can become durable).
import pg from 'pg';
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
  SecurityStorage,
  SessionMessage,
  SessionRecord,
  StorageAdapter,
  StoredSubscription,
  TopicRecord,
  UserRecord,
} from './storage-adapter.js';

export interface PostgresStorageOptions {
  /** Connection URL: postgres://user:password@host:port/database (`?host=/dir` for a unix socket). */
  url: string;
  /** Longest time a write waits in memory before its group commit starts. Default 2 ms. */
  commitIntervalMs?: number;
  /** Most writes in one transaction; this many queued start a commit at once. Default 5000. */
  maxBatch?: number;
  /** Called when a group commit fails (flush() and loads also reject from then on). */
  onError?: (err: RobustMQError) => void;
  /** Connections in the pool (one commits, the others serve loads). Default 4. */
  poolSize?: number;
}

/** The migrations, in order; version = index + 1. Never edit one that has shipped: add a new one. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE retained (
     topic text PRIMARY KEY,
     payload bytea NOT NULL,
     qos smallint NOT NULL,
     retain boolean NOT NULL,
     properties text,
     origin text NOT NULL,
     timestamp bigint NOT NULL,
     expires_at bigint
   );
   CREATE TABLE sessions (
     client_id text PRIMARY KEY,
     protocol_version smallint NOT NULL,
     expiry_interval bigint NOT NULL,
     disconnected_at bigint,
     subscriptions text NOT NULL,
     will text
   );
   CREATE TABLE session_messages (
     client_id text NOT NULL,
     seq bigint NOT NULL,
     topic text NOT NULL,
     payload bytea NOT NULL,
     msg_qos smallint NOT NULL,
     retain boolean NOT NULL,
     properties text,
     origin text NOT NULL,
     timestamp bigint NOT NULL,
     expires_at bigint,
     qos smallint NOT NULL,
     packet_id integer,
     state text,
     PRIMARY KEY (client_id, seq)
   );
   CREATE TABLE incoming_qos2 (
     client_id text NOT NULL,
     packet_id integer NOT NULL,
     PRIMARY KEY (client_id, packet_id)
   );
   CREATE TABLE topics (
     name text PRIMARY KEY,
     partitions integer NOT NULL,
     retention_ms bigint NOT NULL,
     retention_bytes bigint NOT NULL,
     created_at bigint NOT NULL
   );
   CREATE TABLE topic_log (
     topic text NOT NULL,
     partition integer NOT NULL,
     log_offset bigint NOT NULL,
     msg_topic text,
     payload bytea NOT NULL,
     qos smallint NOT NULL,
     retain boolean NOT NULL,
     properties text,
     origin text NOT NULL,
     timestamp bigint NOT NULL,
     expires_at bigint,
     PRIMARY KEY (topic, partition, log_offset)
   );
   CREATE TABLE partitions (
     topic text NOT NULL,
     partition integer NOT NULL,
     next_offset bigint NOT NULL,
     PRIMARY KEY (topic, partition)
   );
   CREATE TABLE log_cursors (
     client_id text NOT NULL,
     topic text NOT NULL,
     partition integer NOT NULL,
     next_offset bigint NOT NULL,
     PRIMARY KEY (client_id, topic, partition)
   );
   CREATE INDEX log_cursors_by_topic ON log_cursors (topic);`,
  // 2: users, ACL rules and bans (SecurityStorage)
  `CREATE TABLE users (
     username text PRIMARY KEY,
     password_hash text NOT NULL,
     superuser boolean NOT NULL,
     created_at bigint NOT NULL
   );
   CREATE TABLE acl_rules (
     id text PRIMARY KEY,
     principal_kind text NOT NULL CHECK (principal_kind IN ('user', 'client', 'all')),
     principal text NOT NULL,
     filter text NOT NULL,
     action text NOT NULL CHECK (action IN ('publish', 'subscribe', 'all')),
     permission text NOT NULL CHECK (permission IN ('allow', 'deny')),
     created_at bigint NOT NULL
   );
   CREATE TABLE bans (
     kind text NOT NULL CHECK (kind IN ('clientid', 'username', 'ip')),
     value text NOT NULL,
     reason text NOT NULL,
     until bigint,
     created_at bigint NOT NULL,
     PRIMARY KEY (kind, value)
   );`,
  // 3: admin API tokens (AdminTokenStorage): only a hash of each secret is kept
  `CREATE TABLE admin_tokens (
     id text PRIMARY KEY,
     name text NOT NULL,
     secret_hash text NOT NULL,
     created_at bigint NOT NULL,
     expires_at bigint,
     last_used_at bigint
   );`,
  // 4: SCRAM credentials of users (MQTT 5 enhanced authentication), JSON; NULL for users made before
  `ALTER TABLE users ADD COLUMN scram text;`,
  // 5: ACL rules for IP ranges, with QoS and retain conditions; regex bans
  `ALTER TABLE acl_rules DROP CONSTRAINT acl_rules_principal_kind_check;
   ALTER TABLE acl_rules ADD CONSTRAINT acl_rules_principal_kind_check
     CHECK (principal_kind IN ('user', 'client', 'ip', 'all'));
   ALTER TABLE acl_rules ADD COLUMN qos text, ADD COLUMN retain boolean;
   ALTER TABLE bans DROP CONSTRAINT bans_kind_check;
   ALTER TABLE bans ADD CONSTRAINT bans_kind_check CHECK (kind IN ('clientid', 'username', 'ip', 'regex'));`,
  // 6: records of the broker's features (FeatureStorage): delayed messages, auto-subscribe rules,
  // topic rewrite rules, schemas... one JSON value per (kind, id)
  `CREATE TABLE feature_records (
     kind text NOT NULL,
     id text NOT NULL,
     value text NOT NULL,
     PRIMARY KEY (kind, id)
   );`,
];

export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;
/** Every migration, for tests that build a database as an older broker left it. */
export const POSTGRES_MIGRATIONS = MIGRATIONS;

/** The advisory lock taken while migrating ('rmq_sch' in ASCII); advisory locks are per database. */
const MIGRATION_LOCK = '32199493061817192';

// ----- rows and their encoding (JSON conventions as in the sqlite engine)

interface MessageRow {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
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

interface LogRow extends Omit<MessageRow, 'topic'> {
  topic: string;
  partition: number;
  log_offset: number;
  msg_topic: string | null;
}

/** Column arrays of messages, for `unnest($n::text[], $n+1::bytea[], ...)` in the order of MESSAGE_COLUMNS. */
function messageArrays(ms: Message[]): unknown[][] {
  return [
    ms.map((m) => m.topic),
    ms.map((m) => m.payload),
    ms.map((m) => m.qos),
    ms.map((m) => m.retain),
    ms.map((m) => encodeProperties(m.properties)),
    ms.map((m) => m.origin),
    ms.map((m) => m.timestamp),
    ms.map((m) => m.expiresAt ?? null),
  ];
}

/** `$first::text[], $first+1::bytea[], ...`: the unnest arguments of messageArrays(). */
function messageParams(first: number): string {
  const types = ['text', 'bytea', 'smallint', 'boolean', 'text', 'text', 'bigint', 'bigint'];
  return types.map((t, i) => `$${first + i}::${t}[]`).join(', ');
}

const MESSAGE_UPDATE_SET = `payload = excluded.payload, retain = excluded.retain, properties = excluded.properties,
  origin = excluded.origin, timestamp = excluded.timestamp, expires_at = excluded.expires_at`;

// ----- the write queue's ops and their net effect

type Change = Pick<SessionMessage, 'packetId' | 'state'>;

interface RetentionOp {
  k: 'retention';
  topic: string;
  partition: number;
  olderThan: number;
  maxBytes: number;
  resolve: (first: number) => void;
  reject: (err: unknown) => void;
}

type Op =
  | { k: 'putRetained'; m: Message }
  | { k: 'deleteRetained'; topic: string }
  | { k: 'saveSession'; r: SessionRecord }
  | { k: 'deleteSession'; clientId: string }
  | { k: 'append'; e: SessionMessage }
  | { k: 'update'; clientId: string; seq: number; change: Change }
  | { k: 'deleteMessage'; clientId: string; seq: number }
  | { k: 'addQos2'; clientId: string; packetId: number }
  | { k: 'removeQos2'; clientId: string; packetId: number }
  | { k: 'saveTopic'; t: TopicRecord }
  | { k: 'deleteTopic'; name: string }
  | { k: 'appendLog'; e: LogEntry }
  | { k: 'trimLog'; topic: string; partition: number; beforeOffset: number }
  | { k: 'saveCursor'; c: LogCursor }
  | { k: 'saveUser'; u: UserRecord }
  | { k: 'deleteUser'; username: string }
  | { k: 'saveAcl'; r: AclRecord }
  | { k: 'deleteAcl'; id: string }
  | { k: 'saveBan'; b: BanRecord }
  | { k: 'deleteBan'; kind: BanRecord['kind']; value: string }
  | { k: 'saveAdminToken'; t: AdminTokenRecord }
  | { k: 'deleteAdminToken'; id: string }
  | { k: 'saveFeatureRecord'; kind: string; id: string; value: string }
  | { k: 'deleteFeatureRecord'; kind: string; id: string }
  | RetentionOp;

/** The final write of one session message key in a batch: a whole row, a delete, or a change of a row stored before. */
type MessageIntent = { k: 'row'; e: SessionMessage } | { k: 'delete' } | { k: 'patch'; change: Change };

/** What a batch does to one partition of a topic log. */
interface PartitionIntent {
  /** Stored entries with an offset below this go (the largest trimLog offset of the batch); -1 = none. */
  trimBefore: number;
  /** Entries appended in the batch and not trimmed since, by offset. */
  entries: Map<number, LogEntry>;
  /** The partition's next offset is raised to at least this; -1 = no append in the batch. */
  next: number;
}

/** The keys a batch deletes and the values it writes, from a map folded per key (null = deleted). */
function splitFolded<K, V>(folded: Map<K, V | null>): [K[], V[]] {
  const gone: K[] = [];
  const saved: V[] = [];
  for (const [key, value] of folded) {
    if (value === null) gone.push(key);
    else saved.push(value);
  }
  return [gone, saved];
}

function nested<K, K2, V>(outer: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map()));
  return inner;
}

/**
 * The net effect of a run of writes, folded in issue order: one intention per key (the last write wins),
 * plus the sweeps (deleteSession, deleteTopic) of rows stored before the run. A sweep drops the
 * intentions it covers, so every intention left was issued after every sweep of its key.
 */
class NetEffect {
  size = 0;
  private readonly retained = new Map<string, Message | null>();
  private readonly sessions = new Map<string, SessionRecord | null>();
  private readonly sweptClients = new Set<string>();
  private readonly messages = new Map<string, Map<number, MessageIntent>>();
  private readonly qos2 = new Map<string, Map<number, boolean>>();
  private readonly topics = new Map<string, TopicRecord | null>();
  private readonly sweptTopics = new Set<string>();
  private readonly partitions = new Map<string, Map<number, PartitionIntent>>();
  /** client id → topic → partition → offset. */
  private readonly cursors = new Map<string, Map<string, Map<number, number>>>();
  /** null = deleted. */
  private readonly users = new Map<string, UserRecord | null>();
  private readonly acls = new Map<string, AclRecord | null>();
  /** kind → value → the ban, or null = deleted. */
  private readonly bans = new Map<BanRecord['kind'], Map<string, BanRecord | null>>();
  /** null = deleted (revoked). */
  private readonly adminTokens = new Map<string, AdminTokenRecord | null>();
  /** kind → id → the JSON value, or null = deleted. */
  private readonly featureRecords = new Map<string, Map<string, string | null>>();

  add(op: Exclude<Op, RetentionOp>): void {
    this.size++;
    switch (op.k) {
      case 'putRetained':
        this.retained.set(op.m.topic, op.m);
        break;
      case 'deleteRetained':
        this.retained.set(op.topic, null);
        break;
      case 'saveSession':
        this.sessions.set(op.r.clientId, op.r);
        break;
      case 'deleteSession':
        this.sessions.set(op.clientId, null);
        this.sweptClients.add(op.clientId);
        this.messages.delete(op.clientId);
        this.qos2.delete(op.clientId);
        this.cursors.delete(op.clientId);
        break;
      case 'append':
        nested(this.messages, op.e.clientId).set(op.e.seq, { k: 'row', e: op.e });
        break;
      case 'update': {
        const byClient = nested(this.messages, op.clientId);
        const cur = byClient.get(op.seq);
        if (cur === undefined) {
          // after a sweep of the client, no stored row is left to change
          if (!this.sweptClients.has(op.clientId)) byClient.set(op.seq, { k: 'patch', change: { ...op.change } });
        } else if (cur.k === 'row') {
          if ('packetId' in op.change) cur.e.packetId = op.change.packetId;
          if ('state' in op.change) cur.e.state = op.change.state;
        } else if (cur.k === 'patch') {
          Object.assign(cur.change, op.change);
        }
        break;
      }
      case 'deleteMessage':
        nested(this.messages, op.clientId).set(op.seq, { k: 'delete' });
        break;
      case 'addQos2':
        nested(this.qos2, op.clientId).set(op.packetId, true);
        break;
      case 'removeQos2':
        nested(this.qos2, op.clientId).set(op.packetId, false);
        break;
      case 'saveTopic':
        this.topics.set(op.t.name, op.t);
        break;
      case 'deleteTopic':
        this.topics.set(op.name, null);
        this.sweptTopics.add(op.name);
        this.partitions.delete(op.name);
        for (const byTopic of this.cursors.values()) byTopic.delete(op.name);
        break;
      case 'appendLog': {
        const p = this.partition(op.e.topic, op.e.partition);
        p.entries.set(op.e.offset, op.e);
        p.next = Math.max(p.next, op.e.offset + 1);
        break;
      }
      case 'trimLog': {
        const p = this.partition(op.topic, op.partition);
        p.trimBefore = Math.max(p.trimBefore, op.beforeOffset);
        for (const offset of p.entries.keys()) if (offset < op.beforeOffset) p.entries.delete(offset);
        break;
      }
      case 'saveCursor':
        nested(nested(this.cursors, op.c.clientId), op.c.topic).set(op.c.partition, op.c.offset);
        break;
      case 'saveUser':
        this.users.set(op.u.username, op.u);
        break;
      case 'deleteUser':
        this.users.set(op.username, null);
        break;
      case 'saveAcl':
        this.acls.set(op.r.id, op.r);
        break;
      case 'deleteAcl':
        this.acls.set(op.id, null);
        break;
      case 'saveBan':
        nested(this.bans, op.b.kind).set(op.b.value, op.b);
        break;
      case 'deleteBan':
        nested(this.bans, op.kind).set(op.value, null);
        break;
      case 'saveAdminToken':
        this.adminTokens.set(op.t.id, op.t);
        break;
      case 'deleteAdminToken':
        this.adminTokens.set(op.id, null);
        break;
      case 'saveFeatureRecord':
        nested(this.featureRecords, op.kind).set(op.id, op.value);
        break;
      case 'deleteFeatureRecord':
        nested(this.featureRecords, op.kind).set(op.id, null);
        break;
    }
  }

  private partition(topic: string, partition: number): PartitionIntent {
    const byTopic = nested(this.partitions, topic);
    let p = byTopic.get(partition);
    if (!p) byTopic.set(partition, (p = { trimBefore: -1, entries: new Map(), next: -1 }));
    return p;
  }

  /** Writes the net effect: sweeps, then per-key deletes, upserts and changes (disjoint keys). */
  async write(c: pg.PoolClient): Promise<void> {
    if (this.size === 0) return;
    const run = async (sql: string, params: unknown[]) => {
      await c.query(sql, params);
    };

    // sweeps of rows stored before the batch
    if (this.sweptClients.size > 0) {
      const ids = [...this.sweptClients];
      await run('DELETE FROM session_messages WHERE client_id = ANY($1::text[])', [ids]);
      await run('DELETE FROM incoming_qos2 WHERE client_id = ANY($1::text[])', [ids]);
      await run('DELETE FROM log_cursors WHERE client_id = ANY($1::text[])', [ids]);
    }
    if (this.sweptTopics.size > 0) {
      const names = [...this.sweptTopics];
      await run('DELETE FROM topic_log WHERE topic = ANY($1::text[])', [names]);
      await run('DELETE FROM partitions WHERE topic = ANY($1::text[])', [names]);
      await run('DELETE FROM log_cursors WHERE topic = ANY($1::text[])', [names]);
    }

    // retained
    const [retainedGone, retainedPut] = splitFolded(this.retained);
    if (retainedGone.length > 0) await run('DELETE FROM retained WHERE topic = ANY($1::text[])', [retainedGone]);
    if (retainedPut.length > 0) {
      await run(
        `INSERT INTO retained (topic, payload, qos, retain, properties, origin, timestamp, expires_at)
         SELECT * FROM unnest(${messageParams(1)})
         ON CONFLICT (topic) DO UPDATE SET qos = excluded.qos, ${MESSAGE_UPDATE_SET}`,
        messageArrays(retainedPut),
      );
    }

    // sessions
    const [sessionsGone, sessionsSaved] = splitFolded(this.sessions);
    if (sessionsGone.length > 0) await run('DELETE FROM sessions WHERE client_id = ANY($1::text[])', [sessionsGone]);
    if (sessionsSaved.length > 0) {
      await run(
        `INSERT INTO sessions (client_id, protocol_version, expiry_interval, disconnected_at, subscriptions, will)
         SELECT * FROM unnest($1::text[], $2::smallint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[])
         ON CONFLICT (client_id) DO UPDATE SET protocol_version = excluded.protocol_version,
           expiry_interval = excluded.expiry_interval, disconnected_at = excluded.disconnected_at,
           subscriptions = excluded.subscriptions, will = excluded.will`,
        [
          sessionsSaved.map((r) => r.clientId),
          sessionsSaved.map((r) => r.protocolVersion),
          sessionsSaved.map((r) => r.expiryInterval),
          sessionsSaved.map((r) => r.disconnectedAt ?? null),
          sessionsSaved.map((r) => JSON.stringify(r.subscriptions)),
          sessionsSaved.map((r) => encodeWill(r.will)),
        ],
      );
    }

    // session messages
    const gone: [string, number][] = [];
    const rows: SessionMessage[] = [];
    const patches: [string, number, Change][] = [];
    for (const [clientId, bySeq] of this.messages) {
      for (const [seq, intent] of bySeq) {
        if (intent.k === 'delete') gone.push([clientId, seq]);
        else if (intent.k === 'row') rows.push(intent.e);
        else patches.push([clientId, seq, intent.change]);
      }
    }
    if (gone.length > 0) {
      await run(
        `DELETE FROM session_messages m USING unnest($1::text[], $2::bigint[]) AS d(client_id, seq)
         WHERE m.client_id = d.client_id AND m.seq = d.seq`,
        [gone.map((g) => g[0]), gone.map((g) => g[1])],
      );
    }
    if (rows.length > 0) {
      await run(
        `INSERT INTO session_messages (client_id, seq, qos, packet_id, state,
           topic, payload, msg_qos, retain, properties, origin, timestamp, expires_at)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::smallint[], $4::integer[], $5::text[], ${messageParams(6)})
         ON CONFLICT (client_id, seq) DO UPDATE SET topic = excluded.topic, msg_qos = excluded.msg_qos,
           qos = excluded.qos, packet_id = excluded.packet_id, state = excluded.state, ${MESSAGE_UPDATE_SET}`,
        [
          rows.map((e) => e.clientId),
          rows.map((e) => e.seq),
          rows.map((e) => e.qos),
          rows.map((e) => e.packetId ?? null),
          rows.map((e) => e.state ?? null),
          ...messageArrays(rows.map((e) => e.message)),
        ],
      );
    }
    if (patches.length > 0) {
      await run(
        `UPDATE session_messages m SET
           packet_id = CASE WHEN u.set_packet_id THEN u.packet_id ELSE m.packet_id END,
           state = CASE WHEN u.set_state THEN u.state ELSE m.state END
         FROM unnest($1::text[], $2::bigint[], $3::boolean[], $4::integer[], $5::boolean[], $6::text[])
           AS u(client_id, seq, set_packet_id, packet_id, set_state, state)
         WHERE m.client_id = u.client_id AND m.seq = u.seq`,
        [
          patches.map((p) => p[0]),
          patches.map((p) => p[1]),
          patches.map((p) => 'packetId' in p[2]),
          patches.map((p) => p[2].packetId ?? null),
          patches.map((p) => 'state' in p[2]),
          patches.map((p) => p[2].state ?? null),
        ],
      );
    }

    // incoming QoS 2 ids
    const qos2Gone: [string, number][] = [];
    const qos2Added: [string, number][] = [];
    for (const [clientId, ids] of this.qos2) {
      for (const [id, present] of ids) (present ? qos2Added : qos2Gone).push([clientId, id]);
    }
    if (qos2Gone.length > 0) {
      await run(
        `DELETE FROM incoming_qos2 q USING unnest($1::text[], $2::integer[]) AS d(client_id, packet_id)
         WHERE q.client_id = d.client_id AND q.packet_id = d.packet_id`,
        [qos2Gone.map((g) => g[0]), qos2Gone.map((g) => g[1])],
      );
    }
    if (qos2Added.length > 0) {
      await run(
        `INSERT INTO incoming_qos2 (client_id, packet_id) SELECT * FROM unnest($1::text[], $2::integer[])
         ON CONFLICT DO NOTHING`,
        [qos2Added.map((a) => a[0]), qos2Added.map((a) => a[1])],
      );
    }

    // topics
    const [topicsGone, topicsSaved] = splitFolded(this.topics);
    if (topicsGone.length > 0) await run('DELETE FROM topics WHERE name = ANY($1::text[])', [topicsGone]);
    if (topicsSaved.length > 0) {
      await run(
        `INSERT INTO topics (name, partitions, retention_ms, retention_bytes, created_at)
         SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::bigint[], $5::bigint[])
         ON CONFLICT (name) DO UPDATE SET partitions = excluded.partitions, retention_ms = excluded.retention_ms,
           retention_bytes = excluded.retention_bytes, created_at = excluded.created_at`,
        [
          topicsSaved.map((t) => t.name),
          topicsSaved.map((t) => t.partitions),
          topicsSaved.map((t) => t.retentionMs),
          topicsSaved.map((t) => t.retentionBytes),
          topicsSaved.map((t) => t.createdAt),
        ],
      );
    }

    // topic logs: trims of stored entries, then the entries appended since, then the next offsets
    const trims: [string, number, number][] = [];
    const entries: LogEntry[] = [];
    const nexts: [string, number, number][] = [];
    for (const [topic, byPartition] of this.partitions) {
      for (const [partition, p] of byPartition) {
        if (p.trimBefore >= 0) trims.push([topic, partition, p.trimBefore]);
        for (const e of p.entries.values()) entries.push(e);
        if (p.next >= 0) nexts.push([topic, partition, p.next]);
      }
    }
    if (trims.length > 0) {
      await run(
        `DELETE FROM topic_log l USING unnest($1::text[], $2::integer[], $3::bigint[]) AS t(topic, partition, before)
         WHERE l.topic = t.topic AND l.partition = t.partition AND l.log_offset < t.before`,
        [trims.map((t) => t[0]), trims.map((t) => t[1]), trims.map((t) => t[2])],
      );
    }
    if (entries.length > 0) {
      // msg_topic is the message's topic when it is not the log's (NULL when it is: stored once)
      await run(
        `INSERT INTO topic_log (topic, partition, log_offset, msg_topic, payload, qos, retain, properties, origin,
           timestamp, expires_at)
         SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], ${messageParams(4)})
         ON CONFLICT (topic, partition, log_offset) DO UPDATE SET msg_topic = excluded.msg_topic, qos = excluded.qos,
           ${MESSAGE_UPDATE_SET}`,
        [
          entries.map((e) => e.topic),
          entries.map((e) => e.partition),
          entries.map((e) => e.offset),
          entries.map((e) => (e.message.topic === e.topic ? null : e.message.topic)),
          ...messageArrays(entries.map((e) => e.message)).slice(1),
        ],
      );
    }
    if (nexts.length > 0) {
      await run(
        `INSERT INTO partitions (topic, partition, next_offset)
         SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[])
         ON CONFLICT (topic, partition) DO UPDATE SET next_offset = GREATEST(partitions.next_offset, excluded.next_offset)`,
        [nexts.map((n) => n[0]), nexts.map((n) => n[1]), nexts.map((n) => n[2])],
      );
    }

    // log cursors
    const cursors: LogCursor[] = [];
    for (const [clientId, byTopic] of this.cursors) {
      for (const [topic, byPartition] of byTopic) {
        for (const [partition, offset] of byPartition) cursors.push({ clientId, topic, partition, offset });
      }
    }
    if (cursors.length > 0) {
      await run(
        `INSERT INTO log_cursors (client_id, topic, partition, next_offset)
         SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[])
         ON CONFLICT (client_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
        [
          cursors.map((x) => x.clientId),
          cursors.map((x) => x.topic),
          cursors.map((x) => x.partition),
          cursors.map((x) => x.offset),
        ],
      );
    }

    // users
    const [usersGone, usersSaved] = splitFolded(this.users);
    if (usersGone.length > 0) await run('DELETE FROM users WHERE username = ANY($1::text[])', [usersGone]);
    if (usersSaved.length > 0) {
      await run(
        `INSERT INTO users (username, password_hash, superuser, created_at, scram)
         SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::bigint[], $5::text[])
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
           superuser = excluded.superuser, created_at = excluded.created_at, scram = excluded.scram`,
        [
          usersSaved.map((u) => u.username),
          usersSaved.map((u) => u.passwordHash),
          usersSaved.map((u) => u.superuser),
          usersSaved.map((u) => u.createdAt),
          usersSaved.map((u) => encodeScram(u.scram)),
        ],
      );
    }

    // ACL rules
    const [aclsGone, aclsSaved] = splitFolded(this.acls);
    if (aclsGone.length > 0) await run('DELETE FROM acl_rules WHERE id = ANY($1::text[])', [aclsGone]);
    if (aclsSaved.length > 0) {
      await run(
        `INSERT INTO acl_rules (id, principal_kind, principal, filter, action, permission, created_at, qos, retain)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
           $8::text[], $9::boolean[])
         ON CONFLICT (id) DO UPDATE SET principal_kind = excluded.principal_kind, principal = excluded.principal,
           filter = excluded.filter, action = excluded.action, permission = excluded.permission,
           created_at = excluded.created_at, qos = excluded.qos, retain = excluded.retain`,
        [
          aclsSaved.map((r) => r.id),
          aclsSaved.map((r) => r.principalKind),
          aclsSaved.map((r) => r.principal),
          aclsSaved.map((r) => r.filter),
          aclsSaved.map((r) => r.action),
          aclsSaved.map((r) => r.permission),
          aclsSaved.map((r) => r.createdAt),
          aclsSaved.map((r) => aclQosText(r.qos)),
          aclsSaved.map((r) => r.retain ?? null),
        ],
      );
    }

    // bans
    const bansGone: [string, string][] = [];
    const bansSaved: BanRecord[] = [];
    for (const [kind, byValue] of this.bans) {
      for (const [value, b] of byValue) {
        if (b === null) bansGone.push([kind, value]);
        else bansSaved.push(b);
      }
    }
    if (bansGone.length > 0) {
      await run(
        `DELETE FROM bans b USING unnest($1::text[], $2::text[]) AS d(kind, value)
         WHERE b.kind = d.kind AND b.value = d.value`,
        [bansGone.map((g) => g[0]), bansGone.map((g) => g[1])],
      );
    }
    if (bansSaved.length > 0) {
      await run(
        `INSERT INTO bans (kind, value, reason, until, created_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
         ON CONFLICT (kind, value) DO UPDATE SET reason = excluded.reason, until = excluded.until,
           created_at = excluded.created_at`,
        [
          bansSaved.map((b) => b.kind),
          bansSaved.map((b) => b.value),
          bansSaved.map((b) => b.reason),
          bansSaved.map((b) => b.until ?? null),
          bansSaved.map((b) => b.createdAt),
        ],
      );
    }

    // admin API tokens
    const [tokensGone, tokensSaved] = splitFolded(this.adminTokens);
    if (tokensGone.length > 0) await run('DELETE FROM admin_tokens WHERE id = ANY($1::text[])', [tokensGone]);
    if (tokensSaved.length > 0) {
      await run(
        `INSERT INTO admin_tokens (id, name, secret_hash, created_at, expires_at, last_used_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash,
           created_at = excluded.created_at, expires_at = excluded.expires_at, last_used_at = excluded.last_used_at`,
        [
          tokensSaved.map((t) => t.id),
          tokensSaved.map((t) => t.name),
          tokensSaved.map((t) => t.secretHash),
          tokensSaved.map((t) => t.createdAt),
          tokensSaved.map((t) => t.expiresAt ?? null),
          tokensSaved.map((t) => t.lastUsedAt ?? null),
        ],
      );
    }

    // feature records
    for (const [kind, records] of this.featureRecords) {
      const gone: string[] = [];
      const saved: string[] = [];
      const values: string[] = [];
      for (const [id, value] of records) {
        if (value === null) gone.push(id);
        else {
          saved.push(id);
          values.push(value);
        }
      }
      if (gone.length > 0) {
        await run('DELETE FROM feature_records WHERE kind = $1 AND id = ANY($2::text[])', [kind, gone]);
      }
      if (saved.length > 0) {
        await run(
          `INSERT INTO feature_records (kind, id, value)
           SELECT $1, * FROM unnest($2::text[], $3::text[])
           ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value`,
          [kind, saved, values],
        );
      }
    }
  }
}

/** Applies retention to one partition inside the batch's transaction; resolves to its new first offset. */
async function applyRetentionIn(c: pg.PoolClient, op: RetentionOp): Promise<number> {
  const key = [op.topic, op.partition];
  const part = await c.query<{ next_offset: number }>(
    'SELECT next_offset FROM partitions WHERE topic = $1 AND partition = $2 FOR UPDATE',
    key,
  );
  if (part.rows.length === 0) return 0;
  const next = part.rows[0]!.next_offset;
  // entries with an offset below `cut` go
  let cut: number | null = null;
  if (op.olderThan > 0) {
    // the oldest entries go while their timestamp is < olderThan: up to the first one that is not
    const r = await c.query<{ o: number | null }>(
      'SELECT min(log_offset) AS o FROM topic_log WHERE topic = $1 AND partition = $2 AND timestamp >= $3',
      [...key, op.olderThan],
    );
    cut = r.rows[0]!.o ?? next;
  }
  if (op.maxBytes > 0) {
    // the oldest left go until the payload bytes kept are <= maxBytes: keep the longest such suffix
    const r = await c.query<{ o: number | null }>(
      `SELECT min(log_offset) AS o FROM (
         SELECT log_offset, sum(octet_length(payload)) OVER (ORDER BY log_offset DESC) AS suffix
         FROM topic_log WHERE topic = $1 AND partition = $2 AND log_offset >= $3
       ) s WHERE suffix <= $4`,
      [...key, cut ?? Number.MIN_SAFE_INTEGER, op.maxBytes],
    );
    cut = r.rows[0]!.o ?? next;
  }
  if (cut !== null) {
    await c.query('DELETE FROM topic_log WHERE topic = $1 AND partition = $2 AND log_offset < $3', [...key, cut]);
  }
  const first = await c.query<{ o: number | null }>(
    'SELECT min(log_offset) AS o FROM topic_log WHERE topic = $1 AND partition = $2',
    key,
  );
  return first.rows[0]!.o ?? next;
}

/** Where the URL points, for messages: host:port/database, never the user or password. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.searchParams.get('host') ?? (decodeURIComponent(u.hostname) || 'localhost');
    const port = u.port || '5432';
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || '?';
    return `${host}:${port}/${database}`;
  } catch {
    return '(unparsable url)';
  }
}

const BAN_KINDS: readonly BanRecord['kind'][] = ['clientid', 'username', 'ip', 'regex'];

interface Waiter {
  /** Resolves once this many writes are committed. */
  target: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class PostgresStorage implements StorageAdapter, SecurityStorage {
  readonly engine = 'postgres';
  /** host:port/database, for messages. */
  readonly address: string;
  private readonly url: string;
  private readonly commitIntervalMs: number;
  private readonly maxBatch: number;
  private readonly poolSize: number;
  private readonly onError?: (err: RobustMQError) => void;
  private pool?: pg.Pool;
  private queue: Op[] = [];
  /** Writes issued since open(), and how many of them are committed (in issue order). */
  private issued = 0;
  private committed = 0;
  private inFlight?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private waiters: Waiter[] = [];
  private failure?: RobustMQError;
  private opening?: Promise<void>;

  constructor(options: PostgresStorageOptions) {
    this.url = options.url;
    this.address = describeUrl(options.url);
    this.commitIntervalMs = options.commitIntervalMs ?? 2;
    this.maxBatch = Math.max(1, options.maxBatch ?? 5000);
    this.poolSize = Math.max(2, options.poolSize ?? 4);
    this.onError = options.onError;
  }

  private fail(what: string, cause: unknown): RobustMQError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new RobustMQError('RMQ_ERR_STORAGE', `postgres ${this.address}: ${what}: ${detail}`, { cause });
  }

  private notOpen(): RobustMQError {
    return new RobustMQError('RMQ_ERR_STORAGE', `postgres ${this.address}: the database is not open`);
  }

  open(): Promise<void> {
    if (this.pool) return Promise.resolve();
    // open() called again while opening shares the attempt (one pool, one migration)
    this.opening ??= this.connect().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async connect(): Promise<void> {
    const types = new pg.TypeOverrides();
    // bigint columns (timestamps, offsets, seq) as numbers: all stay below 2^53
    types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
    let pool: pg.Pool;
    try {
      pool = new pg.Pool({
        connectionString: this.url,
        max: this.poolSize,
        types,
        connectionTimeoutMillis: 10_000,
        application_name: 'robustmq',
      });
    } catch (err) {
      throw this.fail('invalid connection url', err);
    }
    // an idle connection that dies is replaced by the pool; the next query reports a lasting problem
    pool.on('error', () => {});
    try {
      await this.migrate(pool);
    } catch (err) {
      await pool.end().catch(() => {});
      throw err instanceof RobustMQError ? err : this.fail('cannot open the database', err);
    }
    this.pool = pool;
    this.queue = [];
    this.waiters = [];
    this.issued = this.committed = 0;
    this.failure = undefined;
  }

  private async migrate(pool: pg.Pool): Promise<void> {
    let c: pg.PoolClient;
    try {
      c = await pool.connect();
    } catch (err) {
      throw this.fail('cannot connect', err);
    }
    try {
      await c.query('BEGIN');
      // nodes opening the database at once wait here, then see the migrations already applied
      await c.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at bigint NOT NULL)',
      );
      const row = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
      const current = row.rows[0]!.v ?? 0;
      if (current > MIGRATIONS.length) {
        throw this.fail(
          'cannot open the database',
          `schema version ${current} is newer than this broker's ${MIGRATIONS.length}`,
        );
      }
      for (let v = current + 1; v <= MIGRATIONS.length; v++) {
        await c.query(MIGRATIONS[v - 1]!);
        await c.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)', [v, Date.now()]);
      }
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err instanceof RobustMQError ? err : this.fail('cannot apply the schema migrations', err);
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    let error: unknown;
    try {
      await this.committedUpTo(this.issued);
    } catch (err) {
      error = err;
    }
    this.clearSchedule();
    await this.inFlight;
    this.pool = undefined;
    this.queue = [];
    try {
      await pool.end();
    } catch (err) {
      error ??= this.fail('cannot close the connections', err);
    }
    if (error !== undefined) throw error;
  }

  flush(): Promise<void> {
    return this.committedUpTo(this.issued);
  }

  hasUnflushedWrites(): boolean {
    return this.committed < this.issued || this.failure !== undefined;
  }

  writeMark(): number {
    return this.issued;
  }

  isDurable(mark: number): boolean {
    return this.committed >= mark && this.failure === undefined;
  }

  flushTo(mark: number): Promise<void> {
    return this.committedUpTo(mark);
  }

  // ----- the write queue and group commit

  /** Resolves once the first `target` writes are committed; starts a commit soon if none is running. */
  private committedUpTo(target: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.committed >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ target, resolve, reject });
      if (this.inFlight === undefined && this.immediate === undefined) {
        this.immediate = setImmediate(() => {
          this.immediate = undefined;
          this.startCommit();
        });
      }
    });
  }

  private enqueue(op: Op): void {
    if (!this.pool) throw this.notOpen();
    if (this.failure) {
      // nothing written after a failed commit can become durable: flush() reports the failure
      if (op.k === 'retention') op.reject(this.failure);
      return;
    }
    this.queue.push(op);
    this.issued++;
    if (this.inFlight !== undefined) return; // the next batch starts when this one ends
    if (this.queue.length >= this.maxBatch) this.startCommit();
    else this.timer ??= setTimeout(() => this.startCommit(), this.commitIntervalMs);
  }

  private clearSchedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Starts committing the oldest queued writes, unless a commit is in flight (it starts the next). */
  private startCommit(): void {
    if (this.inFlight !== undefined || !this.pool) return;
    this.clearSchedule();
    if (this.queue.length === 0) return;
    const ops = this.queue.splice(0, this.maxBatch);
    this.inFlight = this.commitBatch(this.pool, ops).then(
      () => {
        this.inFlight = undefined;
        this.committed += ops.length;
        const waiting = this.waiters;
        this.waiters = [];
        for (const w of waiting) {
          if (w.target <= this.committed) w.resolve();
          else this.waiters.push(w);
        }
        // writes that queued up meanwhile have waited long enough: commit them now
        if (this.queue.length > 0) this.startCommit();
      },
      (err: unknown) => {
        this.inFlight = undefined;
        this.failure = this.fail(`a group commit of ${ops.length} writes failed`, err);
        for (const w of this.waiters.splice(0)) w.reject(this.failure);
        for (const op of [...ops, ...this.queue.splice(0)]) if (op.k === 'retention') op.reject(this.failure);
        this.onError?.(this.failure);
      },
    );
  }

  /** One transaction: the net effect of the ops, with retention barriers run in their place. */
  private async commitBatch(pool: pg.Pool, ops: Op[]): Promise<void> {
    const c = await pool.connect();
    const retained: [RetentionOp, number][] = [];
    try {
      await c.query('BEGIN');
      let effect = new NetEffect();
      for (const op of ops) {
        if (op.k !== 'retention') {
          effect.add(op);
          continue;
        }
        await effect.write(c);
        effect = new NetEffect();
        retained.push([op, await applyRetentionIn(c, op)]);
      }
      await effect.write(c);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      c.release();
      throw err;
    }
    c.release();
    for (const [op, first] of retained) op.resolve(first);
  }

  /** Waits for every write issued before the call to be committed, then queries. */
  private async read<T>(what: string, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
    const pool = this.pool;
    if (!pool) throw this.notOpen();
    await this.committedUpTo(this.issued);
    try {
      return await fn(pool);
    } catch (err) {
      throw this.fail(`cannot load ${what}`, err);
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
    return this.read('retained messages', async (p) => {
      const r = await p.query<MessageRow>(
        'SELECT topic, payload, qos, retain, properties, origin, timestamp, expires_at FROM retained ORDER BY topic',
      );
      return r.rows.map(rowToMessage);
    });
  }

  saveSession(record: SessionRecord): void {
    // copied now: the caller may change its record before the commit
    this.enqueue({ k: 'saveSession', r: { ...record, subscriptions: record.subscriptions.map((x) => ({ ...x })) } });
  }
  deleteSession(clientId: string): void {
    this.enqueue({ k: 'deleteSession', clientId });
  }
  loadSessions(): Promise<SessionRecord[]> {
    return this.read('sessions', async (p) => {
      const r = await p.query<SessionRow>(
        `SELECT client_id, protocol_version, expiry_interval, disconnected_at, subscriptions, will
         FROM sessions ORDER BY client_id`,
      );
      return r.rows.map((row) => {
        const record: SessionRecord = {
          clientId: row.client_id,
          protocolVersion: row.protocol_version as 3 | 4 | 5,
          expiryInterval: row.expiry_interval,
          subscriptions: JSON.parse(row.subscriptions) as StoredSubscription[],
        };
        if (row.disconnected_at !== null) record.disconnectedAt = row.disconnected_at;
        const will = decodeWill(row.will);
        if (will !== undefined) record.will = will;
        return record;
      });
    });
  }

  appendSessionMessage(entry: SessionMessage): void {
    this.enqueue({ k: 'append', e: { ...entry } });
  }
  updateSessionMessage(clientId: string, seq: number, change: Change): void {
    this.enqueue({ k: 'update', clientId, seq, change: { ...change } });
  }
  deleteSessionMessage(clientId: string, seq: number): void {
    this.enqueue({ k: 'deleteMessage', clientId, seq });
  }
  loadSessionMessages(clientId: string): Promise<SessionMessage[]> {
    return this.read('session messages', async (p) => {
      const r = await p.query<SessionMessageRow>(
        `SELECT client_id, seq, topic, payload, msg_qos, retain, properties, origin, timestamp, expires_at, qos,
           packet_id, state
         FROM session_messages WHERE client_id = $1 ORDER BY seq`,
        [clientId],
      );
      return r.rows.map((row) => {
        const entry: SessionMessage = {
          clientId: row.client_id,
          seq: row.seq,
          message: rowToMessage({ ...row, qos: row.msg_qos }),
          qos: row.qos as QoS,
        };
        if (row.packet_id !== null) entry.packetId = row.packet_id;
        if (row.state !== null) entry.state = row.state as 'publish' | 'pubrel';
        return entry;
      });
    });
  }

  addIncomingQos2(clientId: string, packetId: number): void {
    this.enqueue({ k: 'addQos2', clientId, packetId });
  }
  removeIncomingQos2(clientId: string, packetId: number): void {
    this.enqueue({ k: 'removeQos2', clientId, packetId });
  }
  loadIncomingQos2(clientId: string): Promise<number[]> {
    return this.read('incoming QoS 2 ids', async (p) => {
      const r = await p.query<{ packet_id: number }>(
        'SELECT packet_id FROM incoming_qos2 WHERE client_id = $1 ORDER BY packet_id',
        [clientId],
      );
      return r.rows.map((row) => row.packet_id);
    });
  }

  // ----- topics and their logs

  saveTopic(topic: TopicRecord): void {
    this.enqueue({ k: 'saveTopic', t: { ...topic } });
  }
  deleteTopic(name: string): void {
    this.enqueue({ k: 'deleteTopic', name });
  }
  loadTopics(): Promise<TopicRecord[]> {
    return this.read('topics', async (p) => {
      const r = await p.query<{
        name: string;
        partitions: number;
        retention_ms: number;
        retention_bytes: number;
        created_at: number;
      }>('SELECT name, partitions, retention_ms, retention_bytes, created_at FROM topics ORDER BY name');
      return r.rows.map((row) => ({
        name: row.name,
        partitions: row.partitions,
        retentionMs: row.retention_ms,
        retentionBytes: row.retention_bytes,
        createdAt: row.created_at,
      }));
    });
  }

  appendLog(entry: LogEntry): void {
    this.enqueue({ k: 'appendLog', e: { ...entry } });
  }
  readLog(topic: string, partition: number, fromOffset: number, limit: number): Promise<LogEntry[]> {
    return this.read('log entries', async (p) => {
      const r = await p.query<LogRow>(
        `SELECT topic, partition, log_offset, msg_topic, payload, qos, retain, properties, origin, timestamp,
           expires_at
         FROM topic_log WHERE topic = $1 AND partition = $2 AND log_offset >= $3 ORDER BY log_offset LIMIT $4`,
        [topic, partition, fromOffset, Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : null],
      );
      return r.rows.map((row) => ({
        topic: row.topic,
        partition: row.partition,
        offset: row.log_offset,
        message: rowToMessage({ ...row, topic: row.msg_topic ?? row.topic }),
      }));
    });
  }
  offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number> {
    return this.read('an offset', async (p) => {
      const r = await p.query<{ next_offset: number; found: number | null }>(
        `SELECT next_offset, (SELECT min(log_offset) FROM topic_log
           WHERE topic = $1 AND partition = $2 AND timestamp >= $3) AS found
         FROM partitions WHERE topic = $1 AND partition = $2`,
        [topic, partition, timestamp],
      );
      const row = r.rows[0];
      return row === undefined ? 0 : (row.found ?? row.next_offset);
    });
  }
  loadPartitionBounds(): Promise<PartitionBounds[]> {
    return this.read('partition bounds', async (p) => {
      const r = await p.query<{ topic: string; partition: number; next_offset: number; first: number | null }>(
        `SELECT p.topic, p.partition, p.next_offset,
           (SELECT min(l.log_offset) FROM topic_log l WHERE l.topic = p.topic AND l.partition = p.partition) AS first
         FROM partitions p ORDER BY p.topic, p.partition`,
      );
      return r.rows.map((row) => ({
        topic: row.topic,
        partition: row.partition,
        first: row.first ?? row.next_offset,
        next: row.next_offset,
      }));
    });
  }
  trimLog(topic: string, partition: number, beforeOffset: number): void {
    this.enqueue({ k: 'trimLog', topic, partition, beforeOffset });
  }
  applyRetention(topic: string, partition: number, olderThan: number, maxBytes: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      try {
        this.enqueue({ k: 'retention', topic, partition, olderThan, maxBytes, resolve, reject });
      } catch (err) {
        reject(err);
        return;
      }
      // a caller is waiting for the result: commit on the next turn rather than after the timer
      this.committedUpTo(this.issued).catch(() => {}); // a failure is reported through `reject`
    });
  }

  saveCursor(cursor: LogCursor): void {
    this.enqueue({ k: 'saveCursor', c: { ...cursor } });
  }
  loadCursors(clientId: string): Promise<LogCursor[]> {
    return this.read('log cursors', async (p) => {
      const r = await p.query<{ client_id: string; topic: string; partition: number; next_offset: number }>(
        `SELECT client_id, topic, partition, next_offset FROM log_cursors WHERE client_id = $1
         ORDER BY topic, partition`,
        [clientId],
      );
      return r.rows.map((row) => ({
        clientId: row.client_id,
        topic: row.topic,
        partition: row.partition,
        offset: row.next_offset,
      }));
    });
  }

  // ----- users, ACL rules, banned clients (SecurityStorage)

  saveUser(user: UserRecord): void {
    // encoded at the flush: later changes of the caller's object must not reach it
    const u = user.scram === undefined ? { ...user } : { ...user, scram: structuredClone(user.scram) };
    this.enqueue({ k: 'saveUser', u });
  }
  deleteUser(username: string): void {
    this.enqueue({ k: 'deleteUser', username });
  }
  loadUsers(): Promise<UserRecord[]> {
    return this.read('users', async (p) => {
      const r = await p.query<{
        username: string;
        password_hash: string;
        superuser: boolean;
        created_at: number;
        scram: string | null;
      }>('SELECT username, password_hash, superuser, created_at, scram FROM users ORDER BY username COLLATE "C"');
      return r.rows.map((row) => ({
        username: row.username,
        passwordHash: row.password_hash,
        superuser: row.superuser,
        createdAt: row.created_at,
        ...(row.scram === null ? {} : { scram: decodeScram(row.scram) }),
      }));
    });
  }

  saveAcl(rule: AclRecord): void {
    checkOneOf('principalKind', rule.principalKind, ['user', 'client', 'ip', 'all']);
    checkOneOf('action', rule.action, ['publish', 'subscribe', 'all']);
    checkOneOf('permission', rule.permission, ['allow', 'deny']);
    this.enqueue({ k: 'saveAcl', r: { ...rule } });
  }
  deleteAcl(id: string): void {
    this.enqueue({ k: 'deleteAcl', id });
  }
  loadAcls(): Promise<AclRecord[]> {
    return this.read('ACL rules', async (p) => {
      const r = await p.query<AclRow>(
        `SELECT id, principal_kind, principal, filter, action, permission, qos, retain, created_at
         FROM acl_rules ORDER BY created_at, id COLLATE "C"`,
      );
      return r.rows.map(rowToAcl);
    });
  }

  saveBan(ban: BanRecord): void {
    checkOneOf('kind', ban.kind, BAN_KINDS);
    this.enqueue({ k: 'saveBan', b: { ...ban } });
  }
  deleteBan(kind: BanRecord['kind'], value: string): void {
    this.enqueue({ k: 'deleteBan', kind, value });
  }
  loadBans(): Promise<BanRecord[]> {
    return this.read('bans', async (p) => {
      const r = await p.query<{
        kind: BanRecord['kind'];
        value: string;
        reason: string;
        until: number | null;
        created_at: number;
      }>('SELECT kind, value, reason, until, created_at FROM bans ORDER BY kind COLLATE "C", value COLLATE "C"');
      return r.rows.map((row) => {
        const ban: BanRecord = { kind: row.kind, value: row.value, reason: row.reason, createdAt: row.created_at };
        if (row.until !== null) ban.until = row.until;
        return ban;
      });
    });
  }

  // ----- admin API tokens (AdminTokenStorage)

  saveAdminToken(token: AdminTokenRecord): void {
    this.enqueue({ k: 'saveAdminToken', t: { ...token } });
  }
  deleteAdminToken(id: string): void {
    this.enqueue({ k: 'deleteAdminToken', id });
  }
  loadAdminTokens(): Promise<AdminTokenRecord[]> {
    return this.read('admin tokens', async (p) => {
      const r = await p.query<{
        id: string;
        name: string;
        secret_hash: string;
        created_at: number;
        expires_at: number | null;
        last_used_at: number | null;
      }>(
        `SELECT id, name, secret_hash, created_at, expires_at, last_used_at
         FROM admin_tokens ORDER BY created_at, id COLLATE "C"`,
      );
      return r.rows.map((row) => {
        const t: AdminTokenRecord = {
          id: row.id,
          name: row.name,
          secretHash: row.secret_hash,
          createdAt: row.created_at,
        };
        if (row.expires_at !== null) t.expiresAt = row.expires_at;
        if (row.last_used_at !== null) t.lastUsedAt = row.last_used_at;
        return t;
      });
    });
  }

  // ----- feature records (FeatureStorage)

  saveFeatureRecord(kind: string, id: string, value: string): void {
    this.enqueue({ k: 'saveFeatureRecord', kind, id, value });
  }
  deleteFeatureRecord(kind: string, id: string): void {
    this.enqueue({ k: 'deleteFeatureRecord', kind, id });
  }
  loadFeatureRecords(kind: string): Promise<FeatureRecord[]> {
    return this.read(`${kind} records`, async (p) => {
      const r = await p.query<FeatureRecord>(
        'SELECT id, value FROM feature_records WHERE kind = $1 ORDER BY id COLLATE "C"',
        [kind],
      );
      return r.rows;
    });
  }
}
