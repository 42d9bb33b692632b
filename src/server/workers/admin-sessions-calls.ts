// The admin calls about sessions, subscriptions and retained messages that the primary process
// sends a worker (over IPC, see ipc.ts), how a worker answers them from its own Broker, and how the
// primary merges the workers' pages of one list into one page in key order.
import type {
  AdminApi,
  ClientSubscriptionInfo,
  Page,
  RetainedFilter,
  RetainedInfo,
  RetainedMessage,
  SessionDetail,
  SessionFilter,
  SessionInfo,
  SubscriptionListFilter,
} from '../../lib/admin-api.js';
import { encodePageToken } from '../admin/key-paging.js';

export type SessionsAdminCall =
  | { method: 'listSessions'; filter: SessionFilter }
  | { method: 'describeSession' | 'deleteSession'; clientId: string }
  | { method: 'listSubscriptions'; filter: SubscriptionListFilter }
  | { method: 'listRetained'; filter: RetainedFilter }
  | { method: 'getRetained' | 'deleteRetained'; topic: string };

export type SessionsAdminResult =
  Page<SessionInfo> | SessionDetail | Page<ClientSubscriptionInfo> | Page<RetainedInfo> | RetainedMessage | undefined;

const METHODS = new Set<string>([
  'listSessions',
  'describeSession',
  'deleteSession',
  'listSubscriptions',
  'listRetained',
  'getRetained',
  'deleteRetained',
]);

export function isSessionsAdminCall(call: { method: string }): call is SessionsAdminCall {
  return METHODS.has(call.method);
}

/** A worker answers from its own broker's AdminApi. */
export function answerSessionsAdminCall(api: AdminApi, call: SessionsAdminCall): Promise<SessionsAdminResult> {
  switch (call.method) {
    case 'listSessions':
      return api.listSessions(call.filter);
    case 'describeSession':
      return api.describeSession(call.clientId);
    case 'deleteSession':
      return api.deleteSession(call.clientId).then(() => undefined);
    case 'listSubscriptions':
      return api.listSubscriptions(call.filter);
    case 'listRetained':
      return api.listRetained(call.filter);
    case 'getRetained':
      return api.getRetained(call.topic);
    case 'deleteRetained':
      return api.deleteRetained(call.topic).then(() => undefined);
  }
}

/**
 * Each worker's page after the same token (the keys of one worker never hold another's: a client id
 * belongs to one worker), merged in key order and cut to `limit`. There is a next page when a worker
 * had more, or when the merge left some out; the token is the last key kept, which every worker
 * pages after next time. Totals add up.
 */
export function mergePages<T>(pages: Page<T>[], limit: number, keyOf: (item: T) => string): Page<T> {
  const items = pages.flatMap((p) => p.items);
  items.sort((a, b) => {
    const ka = keyOf(a);
    const kb = keyOf(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const page = items.slice(0, limit);
  const more = items.length > limit || pages.some((p) => p.nextPageToken !== '');
  return {
    items: page,
    nextPageToken: more && page.length > 0 ? encodePageToken(keyOf(page[page.length - 1]!)) : '',
    total: pages.reduce((a, p) => a + p.total, 0),
  };
}
