// Delayed publish: a PUBLISH to `$delayed/{seconds}/{topic}` is held and published to `{topic}`
// when the delay has passed (EMQX's and RobustMQ's syntax, without the leading-slash quirk). Fills
// broker.features.delayed (parse and hold, called by publish-handler.ts after rewrite and before
// routing; the ACL is checked on the destination in between). Held messages live in memory in a
// min-heap by due time with one timer for the earliest, and as feature records (kind 'delayed') so
// they survive a restart. Config: [delayed] (enabled, max_delay_s, max_pending), read on each PUBLISH.
import type { Logger } from '../../lib/logger.js';
import type { Broker } from '../broker.js';
import { isExpired, type Message } from '../message.js';
import type { Connection } from '../protocol/connection.js';
import { RC } from '../protocol/reason-codes.js';
import { SortedKeys } from '../sorted-keys.js';
import { DelayedHeap } from './delayed-heap.js';
import {
  DELAYED_KIND,
  SEQUENCE_DIGITS,
  decodeDelayed,
  delayedId,
  encodeDelayed,
  sequenceOf,
  type DelayedEntry,
} from './delayed-record.js';
import type { DelayedPublishSlot } from './feature-slots.js';
import { loadFeatureRecords } from './feature-records.js';

export const DELAYED_PREFIX = '$delayed/';
/** setTimeout's longest wait (about 24.8 days); a later due time is reached in several waits. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Due messages published in one turn of the event loop; the rest follow in the next. */
const BATCH = 1000;
const SEQUENCES = 10 ** SEQUENCE_DIGITS;

export type DelayedParse = { delaySeconds: number; topic: string } | { error: string };

export class DelayedPublish implements DelayedPublishSlot {
  /** Held messages by id. */
  private readonly entries = new Map<string, DelayedEntry>();
  /** Their ids in order, for the admin API's paged list. */
  readonly ids = new SortedKeys();
  private readonly heap = new DelayedHeap<DelayedEntry>();
  private sequence = 0;
  private timer?: NodeJS.Timeout;
  /** The id the timer is armed for. */
  private armedFor?: string;
  private started = false;
  private readonly log: Logger;

  constructor(private readonly broker: Broker) {
    this.log = broker.log.child({ feature: 'delayed' });
  }

  /** Sets broker.features.delayed. */
  static attach(broker: Broker): DelayedPublish {
    const d = new DelayedPublish(broker);
    broker.features.delayed = d;
    return d;
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): DelayedEntry | undefined {
    return this.entries.get(id);
  }

  /** `$delayed/{seconds}/{topic}`: the delay and destination, why it is refused, or undefined when the feature is off. */
  parse(topic: string): DelayedParse | undefined {
    const cfg = this.broker.config.delayed;
    if (!cfg.enabled) return undefined;
    const d = parseDelayedTopic(topic, cfg.max_delay_s);
    if ('error' in d) this.broker.metrics.drop('delayed_invalid');
    return d;
  }

  /** Holds an authorized message; 0, or v5 0x97 Quota exceeded when delayed.max_pending are held. */
  hold(conn: Connection, message: Message, delaySeconds: number): number {
    const broker = this.broker;
    const max = broker.config.delayed.max_pending;
    if (this.entries.size >= max) {
      broker.metrics.limitHit('delayed.max_pending');
      broker.metrics.drop('delayed_quota');
      conn.log.info({ topic: message.topic, max }, 'delayed publish refused: delayed.max_pending messages are held');
      // 3.1.1 has no negative acknowledgement: the normal one, and the message is dropped [MQTT-3.3.5-2]
      return conn.v5 ? RC.QUOTA_EXCEEDED : RC.SUCCESS;
    }
    const dueAt = message.timestamp + delaySeconds * 1000;
    const entry: DelayedEntry = { id: this.nextId(dueAt), dueAt, message };
    this.add(entry);
    // written before the acknowledgement, which waits for it to be durable (Connection.writeAck)
    broker.storage.saveFeatureRecord(DELAYED_KIND, entry.id, encodeDelayed(entry));
    conn.debug({ id: entry.id, topic: message.topic, delaySeconds }, 'delayed message held');
    return RC.SUCCESS;
  }

  /** Reads the held messages from storage (Broker.start, before the listeners open). */
  async load(): Promise<void> {
    const records = await loadFeatureRecords(this.broker.storage, DELAYED_KIND, this.log, (value, id) =>
      decodeDelayed(id, value),
    );
    for (const r of records) {
      this.add(r.value);
      const seq = sequenceOf(r.id);
      if (Number.isInteger(seq)) this.sequence = Math.max(this.sequence, (seq + 1) % SEQUENCES);
    }
    if (this.entries.size > 0) this.log.info({ pending: this.entries.size }, 'delayed messages loaded');
  }

  /** Arms the timer (once the broker is up: overdue messages are published now). */
  start(): void {
    this.started = true;
    this.arm();
  }

  /** Clears the timer; the records stay for the next start. */
  stop(): void {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }

  /** Cancels a held message (admin API); false when none has that id. */
  cancel(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.remove(entry);
    this.broker.storage.deleteFeatureRecord(DELAYED_KIND, id);
    this.log.info({ id, topic: entry.message.topic }, 'delayed message cancelled by an administrator');
    // stale heap entries are skipped when they come up; rebuilt when they outnumber the held ones
    if (this.heap.size > 1024 && this.heap.size > 2 * this.entries.size) this.heap.reset([...this.entries.values()]);
    if (this.armedFor === id) this.arm();
    return true;
  }

  private add(entry: DelayedEntry): void {
    this.entries.set(entry.id, entry);
    this.ids.add(entry.id);
    this.heap.push(entry);
    if (this.started && (this.armedFor === undefined || entry.id < this.armedFor)) this.arm();
  }

  private remove(entry: DelayedEntry): void {
    this.entries.delete(entry.id);
    this.ids.delete(entry.id);
  }

  private nextId(dueAt: number): string {
    for (;;) {
      const id = delayedId(dueAt, this.sequence);
      this.sequence = (this.sequence + 1) % SEQUENCES;
      if (!this.entries.has(id)) return id;
    }
  }

  /** The earliest entry still held (stale heap entries on top are dropped). */
  private earliest(): DelayedEntry | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || this.entries.get(top.id) === top) return top;
      this.heap.pop();
    }
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
    if (!this.started) return;
    const next = this.earliest();
    if (next === undefined) return;
    this.armedFor = next.id;
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, next.dueAt - Date.now()));
    this.timer = setTimeout(() => this.fire(), wait);
    this.timer.unref();
  }

  /** Publishes what is due (at most BATCH now), then arms the timer for the rest. */
  private fire(): void {
    this.timer = undefined;
    this.armedFor = undefined;
    const now = Date.now();
    const broker = this.broker;
    let n = 0;
    for (let e = this.earliest(); e !== undefined && e.dueAt <= now && n < BATCH; e = this.earliest(), n++) {
      this.heap.pop();
      this.remove(e);
      const m = e.message;
      if (isExpired(m, now)) {
        // its Message Expiry Interval counts from publication, and ended while it was held [MQTT-3.3.2-5]
        broker.storage.deleteFeatureRecord(DELAYED_KIND, e.id);
        broker.metrics.drop('delayed_expired');
        this.log.debug({ id: e.id, topic: m.topic }, 'delayed message expired before it was due: dropped');
        continue;
      }
      try {
        const matched = broker.publish(m);
        this.log.debug({ id: e.id, topic: m.topic, matched }, 'delayed message published');
      } catch (err) {
        // a timer has no caller to catch this: the broker keeps running, the message is counted lost
        broker.metrics.drop('delayed_failed');
        this.log.error({ id: e.id, topic: m.topic, err }, 'delayed message could not be published: dropped');
      }
      // removed from storage only after the publish wrote what it hands to persistent sessions: a
      // crash between the two commits repeats the message after the restart rather than losing it
      broker.storage.deleteFeatureRecord(DELAYED_KIND, e.id);
    }
    if (n === BATCH) {
      setImmediate(() => {
        if (this.started) this.fire();
      });
      return;
    }
    this.arm();
  }
}

/** `$delayed/{seconds}/{topic}` read against a maximum delay: the delay and destination, or why it is refused. */
export function parseDelayedTopic(topic: string, maxDelayS: number): DelayedParse {
  const rest = topic.slice(DELAYED_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return { error: 'a delayed topic is $delayed/{seconds}/{topic}: the destination topic is missing' };
  const seconds = rest.slice(0, slash);
  const dest = rest.slice(slash + 1);
  if (!/^[0-9]+$/.test(seconds)) {
    return { error: `the delay "${seconds}" of a delayed topic is not a whole, non-negative number of seconds` };
  }
  const delaySeconds = Number(seconds);
  if (delaySeconds > maxDelayS) {
    return { error: `the delay ${seconds} s is above delayed.max_delay_s (${maxDelayS} s)` };
  }
  if (dest === '') return { error: 'the destination topic of a delayed topic is empty' };
  if (dest.includes('+') || dest.includes('#')) {
    return { error: 'the destination topic of a delayed topic contains a wildcard' };
  }
  if (dest.startsWith(DELAYED_PREFIX)) return { error: 'the destination of a delayed topic is a delayed topic' };
  return { delaySeconds, topic: dest };
}
