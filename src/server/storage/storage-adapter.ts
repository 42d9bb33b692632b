// The storage engine interface. The broker keeps its live state (sessions, tries, indexes) in memory
// and writes through to a StorageAdapter, which is what survives a restart. Engines: memory (this
// file's sibling), sqlite and postgres (the storage issue). Every method may be batched by an
// engine (group commit); `flush()` resolves when everything written before it is durable.
import type { Message, QoS } from '../message.js';

export interface StoredSubscription {
  rawFilter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionId?: number;
}

export interface StoredWill {
  message: Message;
  /** v5 Will Delay Interval, seconds. */
  delay: number;
}

export interface SessionRecord {
  clientId: string;
  protocolVersion: 3 | 4 | 5;
  /** Seconds the session outlives its connection; 0xFFFFFFFF = never expires. */
  expiryInterval: number;
  /** Milliseconds since the epoch of the last disconnect; undefined while connected. */
  disconnectedAt?: number;
  subscriptions: StoredSubscription[];
  will?: StoredWill;
}

/** A message waiting for a session: queued, or in flight with a packet identifier. */
export interface SessionMessage {
  clientId: string;
  /** Storage-assigned, increasing per session: the order of delivery. */
  seq: number;
  message: Message;
  qos: QoS;
  /** Set once sent; the state of the QoS 2 exchange when it is. */
  packetId?: number;
  state?: 'publish' | 'pubrel';
}

/** A created topic: its messages are kept in an append-only log split into partitions. */
export interface TopicRecord {
  name: string;
  /** At least 1. */
  partitions: number;
  /** Log entries older than this many milliseconds are removed; 0 = no age limit. */
  retentionMs: number;
  /** Bytes of payload kept per partition, oldest removed first; 0 = no size limit. */
  retentionBytes: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** One message in a topic log. Offsets are assigned by the broker: 0, 1, 2... per partition, never reused. */
export interface LogEntry {
  topic: string;
  partition: number;
  offset: number;
  message: Message;
}

/** The offsets a partition holds: `first` is the oldest kept, `next` the one the next append gets. */
export interface PartitionBounds {
  topic: string;
  partition: number;
  first: number;
  next: number;
}

/** Where a persistent session is in one partition: the next offset it has to receive. */
export interface LogCursor {
  clientId: string;
  topic: string;
  partition: number;
  offset: number;
}

/**
 * A user of password authentication. The hash string names its algorithm and parameters
 * (src/server/security/password-hash.ts makes and verifies them).
 */
export interface UserRecord {
  username: string;
  /** e.g. `scrypt$N$r$p$salt$hash` (base64 parts); never the password itself. */
  passwordHash: string;
  superuser: boolean;
  createdAt: number;
  /**
   * SCRAM credentials (MQTT 5 enhanced authentication), per mechanism; made from the password when
   * it is set (src/server/security/scram.ts). Users whose password was set before have none.
   */
  scram?: UserScramCredentials;
}

/** One mechanism's SCRAM credential: base64 salt, StoredKey and ServerKey, and the iteration count. */
export interface UserScramCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

export type UserScramCredentials = Partial<Record<'SCRAM-SHA-256' | 'SCRAM-SHA-512', UserScramCredential>>;

/** One ACL rule; rules are evaluated by the security layer in `createdAt`, then `id`, order. */
export interface AclRecord {
  id: string;
  /**
   * Whom it applies to: a username, a client id, the clients connecting from an IP address or CIDR
   * range, or everyone (`principal` is then '').
   */
  principalKind: 'user' | 'client' | 'ip' | 'all';
  principal: string;
  /**
   * Topic filter; may use the placeholders ${username} and ${clientid} (src/lib/security-rules.ts).
   * `eq <filter>` matches that filter string only: no wildcard matching, no placeholders.
   */
  filter: string;
  action: 'publish' | 'subscribe' | 'all';
  permission: 'allow' | 'deny';
  /** The QoS levels the rule applies to (of the PUBLISH, or asked in SUBSCRIBE); absent = any. */
  qos?: QoS[];
  /** Applies only to PUBLISHes with (true) or without (false) the RETAIN flag; absent = any. */
  retain?: boolean;
  createdAt: number;
}

/**
 * A banned client id, username, IP address (or CIDR range), or a regular expression matched against
 * client ids and usernames.
 */
export interface BanRecord {
  kind: 'clientid' | 'username' | 'ip' | 'regex';
  value: string;
  reason: string;
  /** Milliseconds since the epoch when the ban ends; undefined = never. */
  until?: number;
  createdAt: number;
}

/** Users, ACL rules and banned clients (the security layer uses them; the admin API edits them). */
export interface SecurityStorage {
  /** Resolves once every write issued before this call is durable. */
  flush(): Promise<void>;
  saveUser(user: UserRecord): void;
  deleteUser(username: string): void;
  loadUsers(): Promise<UserRecord[]>;
  saveAcl(rule: AclRecord): void;
  deleteAcl(id: string): void;
  loadAcls(): Promise<AclRecord[]>;
  saveBan(ban: BanRecord): void;
  deleteBan(kind: BanRecord['kind'], value: string): void;
  loadBans(): Promise<BanRecord[]>;
}

/**
 * An admin API token (admin.auth = "token"). Only a hash of its secret is stored: the token itself is
 * shown once, when it is created.
 */
export interface AdminTokenRecord {
  /** Public part of the token (`rmq_<id>_<secret>`), the key of the record. */
  id: string;
  /** What the operator called it (who or what uses it). */
  name: string;
  /** `sha256$<hex>` of the secret part; never the secret itself. */
  secretHash: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch after which the token is refused; undefined = never expires. */
  expiresAt?: number;
  /** Last successful use, milliseconds since the epoch (saved at most about once a minute); undefined = never used. */
  lastUsedAt?: number;
}

/** Admin API tokens: saved (insert or replace by id), deleted (revoked), loaded in createdAt, then id, order. */
export interface AdminTokenStorage {
  saveAdminToken(token: AdminTokenRecord): void;
  deleteAdminToken(id: string): void;
  loadAdminTokens(): Promise<AdminTokenRecord[]>;
}

/** One record of a broker feature: a JSON value under (kind, id). */
export interface FeatureRecord {
  id: string;
  /** JSON text, written and read by the feature that owns the kind. */
  value: string;
}

/**
 * State of the broker's features (src/server/features/): delayed messages, auto-subscribe rules,
 * topic rewrite rules, schemas and their bindings... Each feature owns one or more kinds (e.g.
 * 'delayed', 'auto-subscribe'); a save replaces the record of the same (kind, id).
 */
export interface FeatureStorage {
  saveFeatureRecord(kind: string, id: string, value: string): void;
  deleteFeatureRecord(kind: string, id: string): void;
  /** The records of one kind, in id order (byte order of the id). */
  loadFeatureRecords(kind: string): Promise<FeatureRecord[]>;
}

export interface StorageAdapter extends SecurityStorage, AdminTokenStorage, FeatureStorage {
  readonly engine: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Resolves once every write issued before this call is durable. */
  flush(): Promise<void>;
  /** True while some write issued is not yet known to be durable (always false for memory). */
  hasUnflushedWrites(): boolean;
  /**
   * A mark covering every write issued so far, for isDurable() and flushTo(): an acknowledgement waits
   * for the writes issued before it, not for those that came after (a later group commit).
   */
  writeMark(): number;
  /** Whether every write covered by the mark is durable (never true again after a failure). */
  isDurable(mark: number): boolean;
  /** Resolves once every write covered by the mark is durable; rejects on a failure. */
  flushTo(mark: number): Promise<void>;

  putRetained(message: Message): void;
  deleteRetained(topic: string): void;
  loadRetained(): Promise<Message[]>;

  saveSession(record: SessionRecord): void;
  deleteSession(clientId: string): void;
  loadSessions(): Promise<SessionRecord[]>;

  /** Messages of persistent sessions: queued, then in flight, then gone when acknowledged. */
  appendSessionMessage(entry: SessionMessage): void;
  updateSessionMessage(clientId: string, seq: number, change: Pick<SessionMessage, 'packetId' | 'state'>): void;
  deleteSessionMessage(clientId: string, seq: number): void;
  loadSessionMessages(clientId: string): Promise<SessionMessage[]>;

  /** Incoming QoS 2 packet identifiers awaiting PUBREL, so exactly-once survives a restart. */
  addIncomingQos2(clientId: string, packetId: number): void;
  removeIncomingQos2(clientId: string, packetId: number): void;
  loadIncomingQos2(clientId: string): Promise<number[]>;

  /** Topics and their logs. deleteTopic removes the topic, its log and every cursor on it. */
  saveTopic(topic: TopicRecord): void;
  deleteTopic(name: string): void;
  loadTopics(): Promise<TopicRecord[]>;
  appendLog(entry: LogEntry): void;
  /** Entries of one partition with offset >= fromOffset, in offset order, at most `limit`. */
  readLog(topic: string, partition: number, fromOffset: number, limit: number): Promise<LogEntry[]>;
  /** The first offset whose message timestamp is >= `timestamp`; the partition's next offset if none. */
  offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number>;
  /**
   * Every partition ever appended to, even when retention has emptied it (then first = next): the
   * engine keeps `next` so that an offset is never handed out twice. Partitions never written to are absent.
   */
  loadPartitionBounds(): Promise<PartitionBounds[]>;
  /** Removes the entries of one partition with offset < beforeOffset. */
  trimLog(topic: string, partition: number, beforeOffset: number): void;
  /**
   * Applies retention to one partition: entries with timestamp < olderThan (when > 0) go, then the
   * oldest go until the payload bytes kept are <= maxBytes (when > 0). Resolves to the new first offset.
   */
  applyRetention(topic: string, partition: number, olderThan: number, maxBytes: number): Promise<number>;
  /** Log cursors of sessions; deleteSession also removes the session's cursors. */
  saveCursor(cursor: LogCursor): void;
  loadCursors(clientId: string): Promise<LogCursor[]>;
}
