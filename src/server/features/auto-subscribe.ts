// Auto-subscribe: rules whose topic (with `${clientid}`, `${username}`, `${host}` filled per client)
// becomes a subscription of every client's session when it connects, as if the client had sent the
// SUBSCRIBE itself: filter validated, topic rewrite and ACL applied (a denied rule is skipped and
// logged), exclusive claim, subscription limit, persisted with the session, retained messages sent
// per retain handling (a resumed session that has the subscription already counts as existed).
// Owns the rules: those of [[auto_subscribe.rules]] (read-only) and those created through the admin
// API (feature records of kind 'auto-subscribe', loaded at start).
import { randomBytes } from 'node:crypto';
import type { AutoSubscribeRule } from '../../lib/admin-api.js';
import { resolveAutoSubscribeTopic } from '../../lib/auto-subscribe-topic.js';
import { parseSubscriptionFilter } from '../../lib/topic.js';
import type { Broker } from '../broker.js';
import type { QoS } from '../message.js';
import type { Connection } from '../protocol/connection.js';
import type { Subscription } from '../routing/subscription.js';
import { authorize } from '../security/authorizer.js';
import { loadFeatureRecords, parseRecordObject } from './feature-records.js';

/** The storage kind of the runtime rules. */
export const AUTO_SUBSCRIBE_KIND = 'auto-subscribe';

/** What a runtime rule's feature record holds (its id is the record's id). */
interface StoredRule {
  topic: string;
  qos: number;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  createdAtMs: number;
}

/** A stored rule; throws when the record is not one (no topic text). */
function decodeRule(value: string): StoredRule {
  const v = parseRecordObject(value);
  if (typeof v.topic !== 'string' || v.topic === '') throw new Error('not an auto-subscribe rule (no topic)');
  return v as unknown as StoredRule;
}

export class AutoSubscribe {
  private readonly configRules: AutoSubscribeRule[];
  /** Runtime rules by id; ids sort in creation order, so this map (filled in id order) is in creation order. */
  private readonly runtime = new Map<string, AutoSubscribeRule>();

  constructor(private readonly broker: Broker) {
    this.configRules = broker.config.auto_subscribe.rules.map((r, i) => ({
      id: `config-${i + 1}`,
      topic: r.topic,
      qos: r.qos,
      noLocal: r.no_local,
      retainAsPublished: r.retain_as_published,
      retainHandling: r.retain_handling,
      source: 'config' as const,
      createdAtMs: 0,
    }));
  }

  attach(): void {
    this.broker.hooks.on('client.connected', (conn) => this.apply(conn));
  }

  /** The runtime rules from storage (Broker.start). */
  async load(): Promise<void> {
    const { storage, log } = this.broker;
    for (const rec of await loadFeatureRecords(storage, AUTO_SUBSCRIBE_KIND, log, decodeRule)) {
      this.runtime.set(rec.id, { id: rec.id, ...rec.value, source: 'api' });
    }
  }

  /** Config rules in file order, then runtime rules in creation order. */
  rules(): AutoSubscribeRule[] {
    return [...this.configRules, ...this.runtime.values()];
  }

  /** Stores a new runtime rule (already checked by the admin layer) and waits until storage has it. */
  async add(rule: Omit<AutoSubscribeRule, 'id' | 'source' | 'createdAtMs'>): Promise<AutoSubscribeRule> {
    const createdAtMs = Date.now();
    // time first: ids sort in creation order (storage loads records in id order)
    const id = `as-${createdAtMs.toString(36).padStart(9, '0')}${randomBytes(3).toString('hex')}`;
    const stored: StoredRule = { ...rule, createdAtMs };
    const full: AutoSubscribeRule = { id, ...stored, source: 'api' };
    this.runtime.set(id, full);
    this.broker.storage.saveFeatureRecord(AUTO_SUBSCRIBE_KIND, id, JSON.stringify(stored));
    await this.broker.storage.flush();
    this.broker.log.info({ id, topic: rule.topic }, 'auto-subscribe rule created');
    return full;
  }

  async remove(id: string): Promise<void> {
    if (!this.runtime.delete(id)) return;
    this.broker.storage.deleteFeatureRecord(AUTO_SUBSCRIBE_KIND, id);
    await this.broker.storage.flush();
    this.broker.log.info({ id }, 'auto-subscribe rule deleted');
  }

  /** Every rule becomes a subscription of the client's session (client.connected: after CONNACK). */
  apply(conn: Connection): void {
    const session = conn.session;
    if (session === null || (this.configRules.length === 0 && this.runtime.size === 0)) return;
    const broker = this.broker;
    const limits = broker.config.limits;
    const values = {
      clientid: conn.clientId,
      username: conn.username,
      host: conn.info.remoteAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, ''),
    };
    const made: { sub: Subscription; existed: boolean }[] = [];
    for (const rule of this.rules()) {
      const resolved = resolveAutoSubscribeTopic(rule.topic, values);
      if ('skip' in resolved) {
        conn.debug({ rule: rule.id, topic: rule.topic, reason: resolved.skip }, 'auto-subscribe rule skipped');
        continue;
      }
      let raw = resolved.filter;
      if (broker.features.rewrite !== undefined) raw = broker.features.rewrite.subscribeFilter(conn, raw);
      const parsed = parseSubscriptionFilter(raw, limits.max_topic_levels);
      const refused = !parsed.ok
        ? (parsed.reason ?? 'invalid filter')
        : parsed.exclusive && broker.features.exclusive === undefined
          ? 'exclusive subscriptions are disabled'
          : parsed.group !== undefined && rule.noLocal
            ? 'no local on a shared subscription'
            : undefined;
      if (refused !== undefined) {
        conn.log.warn({ rule: rule.id, filter: raw, reason: refused }, 'auto-subscribe rule skipped');
        continue;
      }
      if (!authorize(conn, { action: 'subscribe', topic: parsed.filter, qos: rule.qos as QoS, retain: false })) {
        broker.metrics.aclDeniedSubscribe++;
        conn.log.info({ rule: rule.id, filter: raw }, 'auto-subscribe rule not authorized: skipped');
        continue;
      }
      const existed = session.subscriptions.has(raw);
      const max = limits.max_subscriptions_per_client;
      if (!existed && max > 0 && session.subscriptions.size >= max) {
        broker.metrics.limitHit('max_subscriptions_per_client');
        conn.log.info({ rule: rule.id, filter: raw, max }, 'auto-subscribe rule skipped: subscription limit reached');
        continue;
      }
      const sub: Subscription = {
        clientId: conn.clientId,
        rawFilter: raw,
        filter: parsed.filter,
        group: parsed.group,
        exclusive: parsed.exclusive,
        qos: Math.min(rule.qos, limits.max_qos) as QoS,
        // MQTT 5 options; a 3.x client gets what 3.1.1 defines (retained messages at every subscribe)
        noLocal: conn.v5 ? rule.noLocal : false,
        retainAsPublished: conn.v5 ? rule.retainAsPublished : false,
        retainHandling: conn.v5 ? (rule.retainHandling as 0 | 1 | 2) : 0,
      };
      if (broker.features.exclusive !== undefined && !broker.features.exclusive.claim(conn, sub)) {
        conn.log.info(
          { rule: rule.id, filter: raw },
          'auto-subscribe rule skipped: exclusive subscription held by another client',
        );
        continue;
      }
      broker.subscribe(session, sub);
      made.push({ sub, existed });
      conn.debug({ rule: rule.id, filter: raw, qos: sub.qos }, 'auto-subscribed');
    }
    if (made.length === 0) return;
    broker.sessions.persist(session);
    // with several workers, once the others know the routes (as after a SUBACK)
    conn.afterRoutes(() => {
      for (const { sub, existed } of made) {
        if (session.subscriptions.get(sub.rawFilter) === sub) broker.sendRetained(session, sub, existed);
      }
    });
  }
}
