// `$exclusive/{filter}` subscriptions: the first client to subscribe holds the filter; the same
// client subscribing again replaces its subscription; any other gets SUBACK 0x97 (v5) / 0x80 (3.x)
// until the holder unsubscribes or its session ends (a persistent session merely disconnected keeps
// it). Owns the holders table (filter -> client id), rebuilt after a restart from the sessions that
// storage gave back, and the admin list / delete. Fills broker.features.exclusive when
// exclusive.enabled (off: subscribe-handler refuses `$exclusive/` filters as invalid).
import type { ExclusiveFilter, ExclusiveInfo, Page } from '../../lib/admin-api.js';
import { RobustMQError } from '../../lib/errors.js';
import { EXCLUSIVE_PREFIX } from '../../lib/topic.js';
import { pageOfSorted } from '../admin/key-paging.js';
import type { Broker } from '../broker.js';
import type { Connection } from '../protocol/connection.js';
import type { Subscription } from '../routing/subscription.js';
import type { Session } from '../session/session.js';
import type { ExclusiveSubscriptionSlot } from './feature-slots.js';

interface Holder {
  clientId: string;
  sinceMs: number;
}

export class ExclusiveSubscriptions implements ExclusiveSubscriptionSlot {
  /** Filter (without `$exclusive/`) -> the client holding it. */
  private readonly holders = new Map<string, Holder>();
  /** Client id -> the filters it holds: what to release when its session ends. */
  private readonly byClient = new Map<string, Set<string>>();

  constructor(private readonly broker: Broker) {}

  /** Takes the slot and the hooks when exclusive.enabled. */
  attach(): void {
    const broker = this.broker;
    if (!broker.config.exclusive.enabled) return;
    broker.features.exclusive = this;
    broker.hooks.on('session.subscribed', (session, sub) => this.subscribed(session, sub));
    broker.hooks.on('session.unsubscribed', (session, rawFilter) => {
      if (rawFilter.startsWith(EXCLUSIVE_PREFIX))
        this.release(rawFilter.slice(EXCLUSIVE_PREFIX.length), session.clientId);
    });
    broker.hooks.on('session.terminated', (session) => {
      const held = this.byClient.get(session.clientId);
      if (!held) return;
      for (const filter of [...held]) this.release(filter, session.clientId);
    });
  }

  get size(): number {
    return this.holders.size;
  }

  /** The subscription may be made: not exclusive, or the filter is free (taken now) or already this client's. */
  claim(conn: Connection, sub: Subscription): boolean {
    if (sub.exclusive !== true) return true;
    const holder = this.holders.get(sub.filter);
    if (holder !== undefined) return holder.clientId === conn.clientId;
    this.hold(sub.filter, conn.clientId, Date.now());
    conn.log.info({ clientId: conn.clientId, filter: sub.filter }, 'exclusive subscription taken');
    return true;
  }

  /**
   * After SessionManager.restore: the holders are the restored sessions' `$exclusive/` subscriptions.
   * Two sessions holding one filter (storage written by a broker that did not enforce it) keep the
   * first in client-id order; the other loses that subscription.
   */
  rebuild(): void {
    if (this.broker.features.exclusive !== this) return;
    const now = Date.now();
    const ids = [...this.broker.sessions.values()].map((s) => s.clientId).sort();
    for (const id of ids) {
      const session = this.broker.sessions.get(id)!;
      for (const sub of [...session.subscriptions.values()]) {
        if (sub.exclusive !== true) continue;
        const holder = this.holders.get(sub.filter);
        if (holder === undefined || holder.clientId === id) {
          this.hold(sub.filter, id, now);
          continue;
        }
        this.broker.log.warn(
          { clientId: id, filter: sub.filter, holder: holder.clientId },
          'restored exclusive subscription held by another session: removed',
        );
        this.broker.unsubscribe(session, sub.rawFilter);
      }
    }
    if (this.holders.size > 0) this.broker.log.info({ holders: this.holders.size }, 'exclusive subscriptions restored');
  }

  /** Holders in filter order, filtered by text in the filter and by client id. */
  list(f: ExclusiveFilter = {}): Page<ExclusiveInfo> {
    const rows: ExclusiveInfo[] = [];
    for (const [filter, h] of this.holders) {
      if (f.filter && !filter.includes(f.filter)) continue;
      if (f.clientId && h.clientId !== f.clientId) continue;
      rows.push({ filter, clientId: h.clientId, sinceMs: h.sinceMs });
    }
    rows.sort((a, b) => (a.filter < b.filter ? -1 : a.filter > b.filter ? 1 : 0));
    return pageOfSorted(
      rows,
      (r) => r.filter,
      (r) => r,
      f,
    );
  }

  /** Admin: the holder's `$exclusive/{filter}` subscription goes, as an UNSUBSCRIBE on its session would (persisted). */
  revoke(filter: string): void {
    const bare = filter.startsWith(EXCLUSIVE_PREFIX) ? filter.slice(EXCLUSIVE_PREFIX.length) : filter;
    const holder = this.holders.get(bare);
    if (holder === undefined) {
      throw new RobustMQError('RMQ_ERR_EXCLUSIVE_NOT_FOUND', `no client holds an exclusive subscription to "${bare}"`);
    }
    const session = this.broker.sessions.get(holder.clientId);
    const raw = EXCLUSIVE_PREFIX + bare;
    // the unsubscribed hook releases it; a holder without that subscription (none expected) is released here
    if (!session || !this.broker.unsubscribe(session, raw)) this.release(bare, holder.clientId);
    this.broker.log.info(
      { clientId: holder.clientId, filter: bare },
      'exclusive subscription removed by an administrator',
    );
  }

  /**
   * `x` and `$exclusive/x` of one client are one route (the trie keys a client's subscription by its
   * matching filter): the later replaces the earlier in the session too, as a SUBSCRIBE to the same
   * filter would [MQTT-3.8.4-3]; plain `x` after `$exclusive/x` gives the filter up.
   */
  private subscribed(session: Session, sub: Subscription): void {
    if (sub.group !== undefined) return;
    const other = sub.exclusive === true ? sub.filter : EXCLUSIVE_PREFIX + sub.filter;
    if (other === sub.rawFilter || !session.subscriptions.has(other)) return;
    session.subscriptions.delete(other);
    if (sub.exclusive !== true) this.release(sub.filter, session.clientId);
  }

  private hold(filter: string, clientId: string, sinceMs: number): void {
    if (this.holders.get(filter)?.clientId === clientId) return;
    this.holders.set(filter, { clientId, sinceMs });
    let held = this.byClient.get(clientId);
    if (!held) this.byClient.set(clientId, (held = new Set()));
    held.add(filter);
  }

  private release(filter: string, clientId: string): void {
    if (this.holders.get(filter)?.clientId !== clientId) return;
    this.holders.delete(filter);
    const held = this.byClient.get(clientId);
    held?.delete(filter);
    if (held?.size === 0) this.byClient.delete(clientId);
    this.broker.log.debug({ clientId, filter }, 'exclusive subscription released');
  }
}
