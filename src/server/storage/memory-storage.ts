// The memory engine: everything in Maps, nothing survives a restart. Fast; for tests and caches.
// It is also the reference for what every engine must do (the conformance suite runs against all).
import type { Message } from '../message.js';
import type {
  AclRecord,
  AdminTokenRecord,
  FeatureRecord,
  BanRecord,
  SecurityStorage,
  UserRecord,
  LogCursor,
  LogEntry,
  PartitionBounds,
  SessionMessage,
  SessionRecord,
  StorageAdapter,
  TopicRecord,
} from './storage-adapter.js';

/** A copy of a record; messages are immutable and shared (structuredClone would turn their Buffers into Uint8Arrays). */
function cloneSession(r: SessionRecord): SessionRecord {
  const copy = { ...r, subscriptions: r.subscriptions.map((s) => ({ ...s })) };
  if (r.will) copy.will = { ...r.will };
  return copy;
}

/** One partition of a topic log: entries in offset order, from `first` to `next - 1`. */
interface Partition {
  first: number;
  next: number;
  entries: LogEntry[];
}

export class MemoryStorage implements StorageAdapter, SecurityStorage {
  readonly engine = 'memory';
  private readonly retained = new Map<string, Message>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly messages = new Map<string, Map<number, SessionMessage>>();
  private readonly qos2 = new Map<string, Set<number>>();
  private readonly topics = new Map<string, TopicRecord>();
  /** Key: `${topic}\0${partition}`. */
  private readonly partitions = new Map<string, Partition>();
  /** Key: client id, then `${topic}\0${partition}`. */
  private readonly cursors = new Map<string, Map<string, LogCursor>>();
  private readonly users = new Map<string, UserRecord>();
  private readonly acls = new Map<string, AclRecord>();
  /** Key: `${kind}\0${value}`. */
  private readonly bans = new Map<string, BanRecord>();
  private readonly adminTokens = new Map<string, AdminTokenRecord>();
  /** kind -> id -> JSON value */
  private readonly featureRecords = new Map<string, Map<string, string>>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async flush(): Promise<void> {}
  hasUnflushedWrites(): boolean {
    return false;
  }
  writeMark(): number {
    return 0;
  }
  isDurable(): boolean {
    return true;
  }
  flushTo(): Promise<void> {
    return Promise.resolve();
  }

  putRetained(message: Message): void {
    this.retained.set(message.topic, message);
  }
  deleteRetained(topic: string): void {
    this.retained.delete(topic);
  }
  async loadRetained(): Promise<Message[]> {
    return [...this.retained.values()];
  }

  saveSession(record: SessionRecord): void {
    this.sessions.set(record.clientId, cloneSession(record));
  }
  deleteSession(clientId: string): void {
    this.sessions.delete(clientId);
    this.messages.delete(clientId);
    this.qos2.delete(clientId);
    this.cursors.delete(clientId);
  }
  async loadSessions(): Promise<SessionRecord[]> {
    return [...this.sessions.values()].map((r) => cloneSession(r));
  }

  appendSessionMessage(entry: SessionMessage): void {
    let m = this.messages.get(entry.clientId);
    if (!m) this.messages.set(entry.clientId, (m = new Map()));
    m.set(entry.seq, { ...entry });
  }
  updateSessionMessage(clientId: string, seq: number, change: Pick<SessionMessage, 'packetId' | 'state'>): void {
    const e = this.messages.get(clientId)?.get(seq);
    if (e) Object.assign(e, change);
  }
  deleteSessionMessage(clientId: string, seq: number): void {
    this.messages.get(clientId)?.delete(seq);
  }
  async loadSessionMessages(clientId: string): Promise<SessionMessage[]> {
    return [...(this.messages.get(clientId)?.values() ?? [])].sort((a, b) => a.seq - b.seq).map((e) => ({ ...e }));
  }

  addIncomingQos2(clientId: string, packetId: number): void {
    let s = this.qos2.get(clientId);
    if (!s) this.qos2.set(clientId, (s = new Set()));
    s.add(packetId);
  }
  removeIncomingQos2(clientId: string, packetId: number): void {
    this.qos2.get(clientId)?.delete(packetId);
  }
  async loadIncomingQos2(clientId: string): Promise<number[]> {
    return [...(this.qos2.get(clientId) ?? [])];
  }

  // ----- topics and their logs

  saveTopic(topic: TopicRecord): void {
    this.topics.set(topic.name, { ...topic });
  }
  deleteTopic(name: string): void {
    this.topics.delete(name);
    const prefix = `${name}\0`;
    for (const key of this.partitions.keys()) if (key.startsWith(prefix)) this.partitions.delete(key);
    for (const byClient of this.cursors.values()) {
      for (const key of byClient.keys()) if (key.startsWith(prefix)) byClient.delete(key);
    }
  }
  async loadTopics(): Promise<TopicRecord[]> {
    return [...this.topics.values()].map((t) => ({ ...t }));
  }

  private partition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(`${topic}\0${partition}`);
  }

  appendLog(entry: LogEntry): void {
    const key = `${entry.topic}\0${entry.partition}`;
    let p = this.partitions.get(key);
    if (!p) this.partitions.set(key, (p = { first: entry.offset, next: entry.offset, entries: [] }));
    p.entries.push({ ...entry });
    p.next = Math.max(p.next, entry.offset + 1);
  }
  async readLog(topic: string, partition: number, fromOffset: number, limit: number): Promise<LogEntry[]> {
    const p = this.partition(topic, partition);
    if (!p) return [];
    const out: LogEntry[] = [];
    for (const e of p.entries) {
      if (out.length >= limit) break;
      if (e.offset >= fromOffset) out.push({ ...e });
    }
    return out;
  }
  async offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number> {
    const p = this.partition(topic, partition);
    if (!p) return 0;
    return p.entries.find((e) => e.message.timestamp >= timestamp)?.offset ?? p.next;
  }
  async loadPartitionBounds(): Promise<PartitionBounds[]> {
    return [...this.partitions.entries()].map(([key, p]) => {
      const [topic, partition] = key.split('\0') as [string, string];
      return { topic, partition: Number(partition), first: p.entries[0]?.offset ?? p.next, next: p.next };
    });
  }
  trimLog(topic: string, partition: number, beforeOffset: number): void {
    const p = this.partition(topic, partition);
    if (!p) return;
    p.entries = p.entries.filter((e) => e.offset >= beforeOffset);
    p.first = p.entries[0]?.offset ?? p.next;
  }
  async applyRetention(topic: string, partition: number, olderThan: number, maxBytes: number): Promise<number> {
    const p = this.partition(topic, partition);
    if (!p) return 0;
    let start = 0;
    if (olderThan > 0) while (start < p.entries.length && p.entries[start]!.message.timestamp < olderThan) start++;
    if (maxBytes > 0) {
      let bytes = 0;
      for (let i = start; i < p.entries.length; i++) bytes += p.entries[i]!.message.payload.length;
      while (start < p.entries.length && bytes > maxBytes) bytes -= p.entries[start++]!.message.payload.length;
    }
    p.entries = p.entries.slice(start);
    p.first = p.entries[0]?.offset ?? p.next;
    return p.first;
  }

  saveCursor(cursor: LogCursor): void {
    let byClient = this.cursors.get(cursor.clientId);
    if (!byClient) this.cursors.set(cursor.clientId, (byClient = new Map()));
    byClient.set(`${cursor.topic}\0${cursor.partition}`, { ...cursor });
  }
  async loadCursors(clientId: string): Promise<LogCursor[]> {
    return [...(this.cursors.get(clientId)?.values() ?? [])].map((c) => ({ ...c }));
  }

  // ----- users, ACL rules, banned clients

  saveUser(user: UserRecord): void {
    this.users.set(user.username, copyUser(user));
  }
  deleteUser(username: string): void {
    this.users.delete(username);
  }
  async loadUsers(): Promise<UserRecord[]> {
    return [...this.users.values()].sort((a, b) => (a.username < b.username ? -1 : 1)).map(copyUser);
  }
  saveAcl(rule: AclRecord): void {
    this.acls.set(rule.id, rule.qos ? { ...rule, qos: [...rule.qos] } : { ...rule });
  }
  deleteAcl(id: string): void {
    this.acls.delete(id);
  }
  async loadAcls(): Promise<AclRecord[]> {
    return [...this.acls.values()]
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => ({ ...r }));
  }
  saveBan(ban: BanRecord): void {
    this.bans.set(`${ban.kind}\0${ban.value}`, { ...ban });
  }
  deleteBan(kind: BanRecord['kind'], value: string): void {
    this.bans.delete(`${kind}\0${value}`);
  }
  async loadBans(): Promise<BanRecord[]> {
    return [...this.bans.values()]
      .sort((a, b) => (a.kind + '\0' + a.value < b.kind + '\0' + b.value ? -1 : 1))
      .map((b) => ({ ...b }));
  }

  // ----- admin API tokens

  saveAdminToken(token: AdminTokenRecord): void {
    this.adminTokens.set(token.id, { ...token });
  }
  deleteAdminToken(id: string): void {
    this.adminTokens.delete(id);
  }
  async loadAdminTokens(): Promise<AdminTokenRecord[]> {
    return [...this.adminTokens.values()]
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((t) => ({ ...t }));
  }

  // ----- feature records

  saveFeatureRecord(kind: string, id: string, value: string): void {
    let records = this.featureRecords.get(kind);
    if (!records) this.featureRecords.set(kind, (records = new Map()));
    records.set(id, value);
  }
  deleteFeatureRecord(kind: string, id: string): void {
    this.featureRecords.get(kind)?.delete(id);
  }
  async loadFeatureRecords(kind: string): Promise<FeatureRecord[]> {
    const records = this.featureRecords.get(kind);
    if (!records) return [];
    return [...records]
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map(([id, value]) => ({ id, value }));
  }
}

/** A copy that later changes of the caller's object (or its SCRAM credentials) do not reach. */
function copyUser(user: UserRecord): UserRecord {
  return user.scram === undefined ? { ...user } : { ...user, scram: structuredClone(user.scram) };
}
