// Tables of the auto-subscribe rules and the exclusive subscriptions (auto-subscribe list, exclusive list).
import type { AutoSubscribeRule, ExclusiveInfo } from '../admin-api.js';
import { renderTable } from './render.js';

export function renderAutoSubscribes(rules: readonly AutoSubscribeRule[], color: boolean): string {
  return renderTable(
    rules,
    [
      { header: 'id', value: (r) => r.id },
      { header: 'topic', value: (r) => r.topic },
      { header: 'qos', value: (r) => r.qos },
      { header: 'no local', value: (r) => r.noLocal },
      { header: 'retain as published', value: (r) => r.retainAsPublished },
      { header: 'retain handling', value: (r) => r.retainHandling },
      { header: 'source', value: (r) => r.source },
      { header: 'created at', value: (r) => (r.createdAtMs ? new Date(r.createdAtMs).toISOString() : '-') },
    ],
    color,
  );
}

export function renderExclusive(holders: readonly ExclusiveInfo[], color: boolean): string {
  return renderTable(
    holders,
    [
      { header: 'filter', value: (h) => h.filter },
      { header: 'client id', value: (h) => h.clientId },
      { header: 'since', value: (h) => new Date(h.sinceMs).toISOString() },
    ],
    color,
  );
}
