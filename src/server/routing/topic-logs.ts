// Created topics and their append-only logs. A message published to a created topic is appended to
// one of its partitions (chosen by the hash of the MQTT 5 user property `partition-key`, else of the
// publisher's client id, so order is kept per key) before it is dispatched. Persistent sessions keep
// a cursor per partition instead of a copy of each message: offline, they get nothing queued, and at
// their next connection they are replayed from the log. A SUBSCRIBE may ask to start from the
// earliest kept offset, the latest, or a time (user property `start-from`). Retention trims each
// partition by age and by size. Topics never created are plain MQTT topics with no log.
import { RobustMQError } from '../../lib/errors.js';
import { topicMatches, validateTopicName } from '../../lib/topic.js';
import type { Broker } from '../broker.js';
import { isExpired, withLogPosition, type Message, type QoS } from '../message.js';
import type { Session } from '../session/session.js';
import type { TopicRecord } from '../storage/storage-adapter.js';
import type { Subscription } from './subscription.js';

export const MAX_PARTITIONS = 1024;
/** Entries read from storage per step of a replay; a replay also waits while this many are queued. */
const REPLAY_PAGE = 200;
const RETENTION_INTERVAL_MS = 5000;

interface PartitionState {
  /** Oldest kept offset. */
  first: number;
  /** Offset of the next append. */
  next: number;
}

interface LoggedTopic {
  record: TopicRecord;
  partitions: PartitionState[];
}

export interface CreateTopicInput {
  name: string;
  partitions?: number;
  retentionMs?: number;
  retentionBytes?: number;
}

/** Where a new subscription starts reading the logs it matches. */
export type StartFrom = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'time'; timestamp: number };

/** The key of a session's cursor on one partition. */
export function cursorKey(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}

/** FNV-1a over the UTF-16 code units: stable across restarts and nodes. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Parses the `start-from` user property of a SUBSCRIBE: `earliest`, `latest`, milliseconds since
 * the epoch, or an ISO 8601 date. Undefined when absent; throws a message for a bad value.
 */
export function parseStartFrom(value: string | undefined): StartFrom | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === 'earliest' || v === 'latest') return { kind: v };
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) {
    throw new Error(`start-from must be "earliest", "latest", milliseconds since the epoch or an ISO 8601 date`);
  }
  return { kind: 'time', timestamp: ms };
}

export class TopicLogs {
  private readonly topics = new Map<string, LoggedTopic>();
  private retentionTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly broker: Broker) {}

  /** True when publishing may need a log: topics were created, or topics.log_filters is set. */
  get size(): number {
    return this.topics.size + this.broker.config.topics.log_filters.length;
  }

  /** A topic of topics.log_filters, created on its first message ($ topics never). */
  private autoLogged(topic: string): boolean {
    const filters = this.broker.config.topics.log_filters;
    if (filters.length === 0 || topic.startsWith('$')) return false;
    return filters.some((f) => topicMatches(f, topic));
  }

  /** Loads the created topics and their partition bounds; call before sessions are restored. */
  async load(): Promise<void> {
    const { storage } = this.broker;
    for (const record of await storage.loadTopics()) {
      const partitions = Array.from({ length: record.partitions }, () => ({ first: 0, next: 0 }));
      this.topics.set(record.name, { record, partitions });
    }
    for (const b of await storage.loadPartitionBounds()) {
      const p = this.topics.get(b.topic)?.partitions[b.partition];
      if (p) {
        p.first = b.first;
        p.next = b.next;
      }
    }
  }

  start(): void {
    this.retentionTimer = setInterval(() => void this.applyRetention(), RETENTION_INTERVAL_MS);
    this.retentionTimer.unref();
  }

  stop(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.stopped = true; // a sweep under way ends: storage is about to close
  }

  list(): TopicRecord[] {
    return [...this.topics.values()].map((t) => ({ ...t.record }));
  }

  get(name: string): TopicRecord | undefined {
    const t = this.topics.get(name);
    return t && { ...t.record };
  }

  /** The offsets each partition holds: `first` the oldest kept, `next` the next to be written. */
  bounds(name: string): { partition: number; first: number; next: number }[] {
    const t = this.requireTopic(name);
    return t.partitions.map((p, partition) => ({ partition, first: p.first, next: p.next }));
  }

  create(input: CreateTopicInput): TopicRecord {
    const defaults = this.broker.config.topics;
    const partitions = input.partitions ?? defaults.default_partitions;
    const check = validateTopicName(input.name);
    if (!check.ok || input.name.startsWith('$')) {
      throw new RobustMQError(
        'RMQ_ERR_INVALID_ARGUMENT',
        `topic name "${input.name}" is not valid: ${check.ok ? 'names starting with $ are reserved' : check.reason}`,
      );
    }
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `partitions must be an integer from 1 to ${MAX_PARTITIONS}`);
    }
    for (const [key, v] of [
      ['retention', input.retentionMs],
      ['retention bytes', input.retentionBytes],
    ] as const) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
        throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `${key} must be a whole number >= 0 (0 = no limit)`);
      }
    }
    if (this.topics.has(input.name)) {
      throw new RobustMQError('RMQ_ERR_TOPIC_EXISTS', `topic "${input.name}" exists already`);
    }
    const record: TopicRecord = {
      name: input.name,
      partitions,
      retentionMs: input.retentionMs ?? defaults.default_retention_ms,
      retentionBytes: input.retentionBytes ?? defaults.default_retention_bytes,
      createdAt: Date.now(),
    };
    this.broker.storage.saveTopic(record);
    const state = { record, partitions: Array.from({ length: partitions }, () => ({ first: 0, next: 0 })) };
    this.topics.set(record.name, state);
    // offline persistent sessions already subscribed get the log from its start at their next connection
    for (const session of this.broker.sessions.values()) {
      if (session.persistent && !session.connected && this.subscribed(session, record.name)) {
        for (let p = 0; p < partitions; p++) this.setCursor(session, record.name, p, 0);
      }
    }
    this.broker.log.info({ topic: record.name, partitions }, 'topic created');
    return { ...record };
  }

  delete(name: string): void {
    this.requireTopic(name);
    this.topics.delete(name);
    this.broker.storage.deleteTopic(name);
    const prefix = `${name}\0`;
    for (const session of this.broker.sessions.values()) {
      for (const key of session.logCursors.keys()) if (key.startsWith(prefix)) session.logCursors.delete(key);
    }
    this.broker.log.info({ topic: name }, 'topic deleted');
  }

  /** Reads one partition from an offset (for the admin API and replays). */
  read(name: string, partition: number, offset: number, limit: number) {
    const t = this.requireTopic(name);
    if (!Number.isInteger(partition) || partition < 0 || partition >= t.partitions.length) {
      throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `partition must be from 0 to ${t.partitions.length - 1}`);
    }
    return this.broker.storage.readLog(name, partition, offset, limit);
  }

  private requireTopic(name: string): LoggedTopic {
    const t = this.topics.get(name);
    if (!t) throw new RobustMQError('RMQ_ERR_TOPIC_NOT_FOUND', `topic "${name}" has not been created`);
    return t;
  }

  /** The partition a message goes to: by `partition-key` user property, else by publisher. */
  partitionFor(msg: Message, partitions: number): number {
    if (partitions === 1) return 0;
    const key = msg.properties?.userProperties?.find(([k]) => k === 'partition-key')?.[1] ?? msg.origin;
    return hash(key) % partitions;
  }

  /** Appends a message to its topic's log when the topic was created; returns it with its position. */
  append(msg: Message): Message {
    let t = this.topics.get(msg.topic);
    if (!t) {
      if (!this.autoLogged(msg.topic)) return msg;
      this.create({ name: msg.topic });
      t = this.topics.get(msg.topic)!;
    }
    const partition = this.partitionFor(msg, t.partitions.length);
    const p = t.partitions[partition]!;
    const offset = p.next++;
    const logged = withLogPosition(msg, { partition, offset });
    this.broker.storage.appendLog({ topic: msg.topic, partition, offset, message: logged });
    return logged;
  }

  private subscribed(session: Session, topic: string): boolean {
    for (const sub of session.subscriptions.values()) {
      if (sub.group === undefined && topicMatches(sub.filter, topic)) return true;
    }
    return false;
  }

  private setCursor(session: Session, topic: string, partition: number, offset: number): void {
    session.logCursors.set(cursorKey(topic, partition), offset);
    if (session.persistent) {
      this.broker.storage.saveCursor({ clientId: session.clientId, topic, partition, offset });
    }
  }

  /**
   * A persistent session goes offline (or was restored offline): every partition its subscriptions
   * match gets a cursor, at the end of the log when it had none, so that what comes next is replayed.
   */
  pinCursors(session: Session): void {
    if (!session.persistent || this.topics.size === 0) return;
    for (const [name, t] of this.topics) {
      if (!this.subscribed(session, name)) continue;
      t.partitions.forEach((p, i) => {
        if (!session.logCursors.has(cursorKey(name, i))) this.setCursor(session, name, i, p.next);
      });
    }
  }

  /** A session (re)connected: replay every partition it is behind on. */
  resume(session: Session): void {
    for (const [key, offset] of session.logCursors) {
      const [name, partition] = key.split('\0') as [string, string];
      const p = this.topics.get(name)?.partitions[Number(partition)];
      if (p && offset < p.next) void this.replay(session, name, Number(partition));
    }
  }

  /** A new subscription with a `start-from`: replay the logs it matches from there. */
  subscribedFrom(session: Session, sub: Subscription, from: StartFrom): void {
    if (sub.group !== undefined) return;
    for (const [name, t] of this.topics) {
      if (!topicMatches(sub.filter, name)) continue;
      t.partitions.forEach((p, i) => {
        if (from.kind === 'latest') this.setCursor(session, name, i, p.next);
        else if (from.kind === 'earliest') {
          this.setCursor(session, name, i, p.first);
          void this.replay(session, name, i);
        } else {
          void this.replay(session, name, i, () => this.broker.storage.offsetForTimestamp(name, i, from.timestamp));
        }
      });
    }
  }

  /**
   * Delivers one partition to a session from its cursor until it has caught up with the log, one
   * page at a time and only while its queue is short. Live messages of the partition are skipped
   * meanwhile (the replay reads them), so the order of the partition is kept. Stops when the
   * session disconnects or ends; its cursor says where to go on.
   */
  private async replay(session: Session, name: string, partition: number, start?: () => Promise<number>) {
    const key = cursorKey(name, partition);
    if (session.replaying.has(key)) return;
    session.replaying.add(key);
    const active = () => this.broker.sessions.get(session.clientId) === session && session.connected;
    try {
      if (start) {
        const offset = await start();
        if (!active()) return;
        this.setCursor(session, name, partition, offset);
      }
      for (;;) {
        const p = this.topics.get(name)?.partitions[partition];
        if (!p || !active()) return;
        let from = session.logCursors.get(key) ?? p.next;
        if (from < p.first) {
          this.broker.log.warn(
            { clientId: session.clientId, topic: name, partition, lost: p.first - from },
            'log entries removed by retention before this session read them',
          );
          from = p.first;
          this.setCursor(session, name, partition, from);
        }
        if (from >= p.next) return; // caught up: live messages flow again from here (same tick)
        if (session.queued >= REPLAY_PAGE) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        const entries = await this.broker.storage.readLog(name, partition, from, REPLAY_PAGE);
        if (!active()) return;
        if (entries.length === 0) {
          this.setCursor(session, name, partition, p.next); // trimmed while reading
          continue;
        }
        const now = Date.now();
        for (const e of entries) {
          const plan = this.plan(session, e.message);
          this.setCursor(session, name, partition, e.offset + 1);
          if (plan && !isExpired(e.message, now)) session.deliverFromLog(e.message, plan.qos, plan.retain, plan.ids);
        }
      }
    } catch (err) {
      this.broker.log.error({ err, clientId: session.clientId, topic: name, partition }, 'log replay failed');
    } finally {
      session.replaying.delete(key);
    }
  }

  /** How a message is delivered to a session, by its matching subscriptions (as the dispatcher does). */
  private plan(session: Session, msg: Message): { qos: QoS; retain: boolean; ids?: number[] } | undefined {
    let out: { qos: QoS; retain: boolean; ids?: number[] } | undefined;
    for (const sub of session.subscriptions.values()) {
      if (sub.group !== undefined || !topicMatches(sub.filter, msg.topic)) continue;
      if (sub.noLocal && msg.origin === session.clientId) continue; // [MQTT-3.8.3-3]
      const qos = Math.min(msg.qos, sub.qos) as QoS;
      out ??= { qos, retain: false };
      if (qos > out.qos) out.qos = qos;
      out.retain ||= sub.retainAsPublished && msg.retain;
      if (sub.subscriptionId !== undefined) (out.ids ??= []).push(sub.subscriptionId);
    }
    return out;
  }

  /** Trims every partition by its topic's retention (age, then size). */
  async applyRetention(now = Date.now()): Promise<void> {
    for (const [name, t] of this.topics) {
      const { retentionMs, retentionBytes } = t.record;
      if (retentionMs === 0 && retentionBytes === 0) continue;
      for (let i = 0; i < t.partitions.length; i++) {
        if (this.stopped) return;
        const p = t.partitions[i]!;
        if (p.first >= p.next) continue;
        try {
          const first = await this.broker.storage.applyRetention(
            name,
            i,
            retentionMs > 0 ? now - retentionMs : 0,
            retentionBytes,
          );
          if (this.topics.get(name) === t) p.first = Math.max(p.first, first);
        } catch (err) {
          this.broker.log.error({ err, topic: name, partition: i }, 'log retention failed');
        }
      }
    }
  }
}
