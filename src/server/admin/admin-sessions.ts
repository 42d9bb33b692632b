// The admin API's sessions and subscriptions over the Broker's SessionManager: list (paged through
// its sorted index of client ids, filters tested in place), describe, delete (SessionManager.discard:
// the client is disconnected, the session ends and leaves storage). AdminService delegates here.
import type {
  ClientSubscriptionInfo,
  Page,
  SessionDetail,
  SessionFilter,
  SessionInfo,
  SubscriptionInfo,
  SubscriptionListFilter,
} from '../../lib/admin-api.js';
import { RobustMQError } from '../../lib/errors.js';
import type { Broker } from '../broker.js';
import type { Subscription } from '../routing/subscription.js';
import { NEVER_EXPIRES, type Session } from '../session/session.js';
import { countMatching, decodePageToken, encodePageToken, pageSize, readPage } from './key-paging.js';

export class AdminSessions {
  constructor(private readonly broker: Broker) {}

  /** Sessions in client-id order; with `connected` set, the index of connected ids or the complement. */
  listSessions(filter: SessionFilter = {}): Page<SessionInfo> {
    const limit = pageSize(filter.limit);
    const after = filter.pageToken ? decodePageToken(filter.pageToken) : undefined;
    const sessions = this.broker.sessions;
    const index = filter.connected === true ? sessions.connectedIds : sessions.ids;
    const text = filter.clientId;
    const wantDisconnected = filter.connected === false;
    const matches = (id: string): boolean =>
      (!text || id.includes(text)) && (!wantDisconnected || !sessions.connectedIds.has(id));
    const page = readPage(
      (visit) => index.scan(visit, after),
      limit,
      (id) => {
        if (!matches(id)) return undefined;
        const s = sessions.get(id);
        return s && this.sessionInfo(s);
      },
      (info) => info.clientId,
    );
    let total: number;
    if (text) total = countMatching((visit) => index.scan(visit), matches);
    else total = wantDisconnected ? sessions.ids.size - sessions.connectedIds.size : index.size;
    return { items: page.items, nextPageToken: page.lastKey ? encodePageToken(page.lastKey) : '', total };
  }

  describeSession(clientId: string): SessionDetail {
    const s = this.session(clientId);
    return {
      session: this.sessionInfo(s),
      subscriptions: sortedSubscriptions(s).map(subscriptionInfo),
      awaitingRelease: s.incomingQos2Count,
      willPending: s.will !== undefined && !s.connected,
    };
  }

  /** Disconnects the client if it is connected, ends the session, and waits until storage has forgotten it. */
  async deleteSession(clientId: string): Promise<void> {
    const s = this.session(clientId);
    this.broker.log.info({ clientId, connected: s.connected }, 'session deleted by an administrator');
    this.broker.sessions.discard(s);
    await this.broker.storage.flush();
  }

  /**
   * Subscriptions in (client id, filter) order. The token is "clientId NUL filter" (a client id never
   * holds U+0000 [MQTT-1.5.4-2]); the walk starts at that client and skips the filters up to it.
   */
  listSubscriptions(filter: SubscriptionListFilter = {}): Page<ClientSubscriptionInfo> {
    const limit = pageSize(filter.limit);
    let afterId: string | undefined;
    let afterFilter = '';
    if (filter.pageToken) {
      const token = decodePageToken(filter.pageToken);
      const cut = token.indexOf('\0');
      if (cut < 0) throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', 'page token is not one this server gave out');
      afterId = token.slice(0, cut);
      afterFilter = token.slice(cut + 1);
    }
    const sessions = this.broker.sessions;
    const idText = filter.clientId;
    const filterText = filter.filter;
    const items: ClientSubscriptionInfo[] = [];
    let more = false;
    sessions.ids.scan(
      (id) => {
        if (idText && !id.includes(idText)) return true;
        const s = sessions.get(id);
        if (!s || s.subscriptions.size === 0) return true;
        for (const sub of sortedSubscriptions(s)) {
          if (id === afterId && sub.rawFilter <= afterFilter) continue;
          if (filterText && !sub.rawFilter.includes(filterText)) continue;
          if (items.length === limit) {
            more = true;
            return false;
          }
          items.push({ clientId: id, ...subscriptionInfo(sub) });
        }
        return true;
      },
      afterId,
      true,
    );
    const last = items[items.length - 1];
    return {
      items,
      nextPageToken: more && last ? encodePageToken(`${last.clientId}\0${last.filter}`) : '',
      total: this.countSubscriptions(idText, filterText),
    };
  }

  /** Without a filter, the router's count: it holds exactly the sessions' subscriptions. */
  private countSubscriptions(idText: string | undefined, filterText: string | undefined): number {
    const { sessions, router } = this.broker;
    if (!idText && !filterText) return router.size;
    // order does not matter for a count: the sessions themselves, without a lookup per id
    let n = 0;
    for (const s of sessions.values()) {
      if (idText && !s.clientId.includes(idText)) continue;
      if (!filterText) n += s.subscriptions.size;
      else if (s.subscriptions.size > 0) for (const raw of s.subscriptions.keys()) if (raw.includes(filterText)) n++;
    }
    return n;
  }

  private session(clientId: string): Session {
    const s = this.broker.sessions.get(clientId);
    if (!s) throw new RobustMQError('RMQ_ERR_SESSION_NOT_FOUND', `no session of client "${clientId}" on this node`);
    return s;
  }

  private sessionInfo(s: Session): SessionInfo {
    const disconnectedAt = s.connected ? 0 : (s.disconnectedAt ?? 0);
    return {
      clientId: s.clientId,
      connected: s.connected,
      protocolVersion: s.protocolVersion,
      expiryIntervalS: s.expiryInterval,
      disconnectedAtMs: disconnectedAt,
      expiresAtMs:
        disconnectedAt === 0 || s.expiryInterval === NEVER_EXPIRES ? 0 : disconnectedAt + s.expiryInterval * 1000,
      subscriptions: s.subscriptions.size,
      queued: s.queued,
      inflight: s.inflightCount,
      node: this.broker.nodeName,
    };
  }
}

function sortedSubscriptions(s: Session): Subscription[] {
  return [...s.subscriptions.values()].sort((a, b) =>
    a.rawFilter < b.rawFilter ? -1 : a.rawFilter > b.rawFilter ? 1 : 0,
  );
}

export function subscriptionInfo(sub: Subscription): SubscriptionInfo {
  return {
    filter: sub.rawFilter,
    qos: sub.qos,
    noLocal: sub.noLocal,
    retainAsPublished: sub.retainAsPublished,
    retainHandling: sub.retainHandling,
    subscriptionId: sub.subscriptionId ?? 0,
  };
}
