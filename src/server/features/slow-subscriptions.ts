// Slow subscriptions (slow_subs.*): the (client id, topic) pairs whose deliveries took longer than
// threshold_ms, the slowest top_k kept, each removed expire_interval_s after it was last slow. What
// is measured follows EMQX's stats types: "whole" (the message's arrival at the broker to the end of
// its delivery: QoS 0 written to the socket, QoS 1 PUBACK, QoS 2 PUBCOMP), "internal" (arrival to the
// PUBLISH written) or "response" (PUBLISH written to PUBACK / PUBCOMP). Deliveries with RETAIN set are
// not measured (a retained message sent on subscribe would count its age). While off, no hook is
// registered: the delivery path pays nothing. Kept in memory only (a restart starts an empty list).
import type { ConfigValue, Page, SlowSubscriptionFilter, SlowSubscriptionInfo } from '../../lib/admin-api.js';
import { pageOfSorted } from '../admin/key-paging.js';
import type { Broker } from '../broker.js';
import type { Delivery } from '../session/delivery.js';
import type { Session } from '../session/session.js';

interface Entry {
  clientId: string;
  topic: string;
  latencyMs: number;
  updatedAtMs: number;
}

/** A key that sorts the slowest first, then by client id and topic (pages and worker merges use it). */
export function slowSubscriptionKey(e: { latencyMs: number; clientId: string; topic: string }): string {
  const rank = String(Number.MAX_SAFE_INTEGER - Math.max(0, Math.round(e.latencyMs))).padStart(16, '0');
  return `${rank}\u0000${e.clientId}\u0000${e.topic}`;
}

export class SlowSubscriptions {
  private readonly entries = new Map<string, Entry>();
  private unhook: Array<() => void> = [];
  /** stats_type "response": when each in-flight QoS 1/2 PUBLISH was written. */
  private sentAt = new WeakMap<Delivery, number>();

  constructor(private readonly broker: Broker) {}

  private get config() {
    return this.broker.config.slow_subs;
  }

  get enabled(): boolean {
    return this.unhook.length > 0;
  }

  /** Starts measuring if slow_subs.enabled; follows `config set slow_subs.enabled` from then on. */
  attach(): void {
    this.broker.hooks.on('config.changed', (key: string, value: ConfigValue) => {
      if (key === 'slow_subs.enabled') {
        if (value === true) this.enable();
        else this.disable();
      }
    });
    if (this.config.enabled) this.enable();
  }

  private enable(): void {
    if (this.enabled) return;
    const hooks = this.broker.hooks;
    this.unhook = [
      hooks.on('message.delivered', (session, d) => this.delivered(session, d)),
      hooks.on('message.acked', (session, d) => this.acked(session, d)),
    ];
    this.broker.log.info({ thresholdMs: this.config.threshold_ms }, 'slow subscriptions: measuring deliveries');
  }

  private disable(): void {
    for (const off of this.unhook) off();
    this.unhook = [];
    this.entries.clear();
    this.sentAt = new WeakMap();
  }

  /** The PUBLISH was written to the subscriber's socket. */
  private delivered(session: Session, d: Delivery): void {
    if (d.retain && d.message.retain) return; // a retained message: its timestamp is when it was first published
    const type = this.config.stats_type;
    const now = Date.now();
    if (type === 'internal' || (type === 'whole' && d.qos === 0)) this.measured(session, d, now - d.message.timestamp);
    else if (type === 'response' && d.qos > 0) this.sentAt.set(d, now);
  }

  /** PUBACK (QoS 1) or PUBCOMP (QoS 2) came back. */
  private acked(session: Session, d: Delivery): void {
    if (d.retain && d.message.retain) return;
    const type = this.config.stats_type;
    if (type === 'whole') this.measured(session, d, Date.now() - d.message.timestamp);
    else if (type === 'response') {
      const sent = this.sentAt.get(d);
      if (sent !== undefined) this.measured(session, d, Date.now() - sent);
    }
  }

  private measured(session: Session, d: Delivery, latencyMs: number): void {
    const c = this.config;
    if (latencyMs <= c.threshold_ms) return;
    const now = Date.now();
    this.expire(now);
    const key = `${session.clientId}\u0000${d.message.topic}`;
    const entry = this.entries.get(key);
    if (entry) {
      entry.latencyMs = latencyMs;
      entry.updatedAtMs = now;
    } else {
      this.entries.set(key, { clientId: session.clientId, topic: d.message.topic, latencyMs, updatedAtMs: now });
    }
    // keep the top_k slowest: the fastest goes (possibly the one just added)
    while (this.entries.size > c.top_k) {
      let fastestKey = '';
      let fastest = Infinity;
      for (const [k, e] of this.entries) {
        if (e.latencyMs < fastest) {
          fastest = e.latencyMs;
          fastestKey = k;
        }
      }
      this.entries.delete(fastestKey);
    }
  }

  private expire(now: number): void {
    const ttl = this.config.expire_interval_s * 1000;
    for (const [k, e] of this.entries) if (now - e.updatedAtMs >= ttl) this.entries.delete(k);
  }

  /** Every entry still in force, slowest first (at most top_k). */
  all(): SlowSubscriptionInfo[] {
    this.expire(Date.now());
    const node = this.broker.nodeName;
    const items = [...this.entries.values()].map((e) => ({ ...e, node }));
    const keyed = items.map((e) => [slowSubscriptionKey(e), e] as const);
    keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return keyed.slice(0, this.config.top_k).map(([, e]) => e);
  }

  list(filter: SlowSubscriptionFilter = {}): Page<SlowSubscriptionInfo> {
    return pageSlowSubscriptions(this.all(), filter);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** One page of a list sorted slowest first. */
export function pageSlowSubscriptions(
  sorted: readonly SlowSubscriptionInfo[],
  filter: SlowSubscriptionFilter,
): Page<SlowSubscriptionInfo> {
  return pageOfSorted(sorted, slowSubscriptionKey, (e) => e, filter);
}
