// How the observability commands show slow subscriptions and alarms in tables.
import type { AlarmInfo, SlowSubscriptionInfo } from '../admin-api.js';
import { renderTable } from './render.js';

export function renderSlowSubscriptions(rows: readonly SlowSubscriptionInfo[], color: boolean): string {
  return renderTable(
    rows,
    [
      { header: 'client id', value: (r) => r.clientId },
      { header: 'topic', value: (r) => r.topic },
      { header: 'latency ms', value: (r) => r.latencyMs },
      { header: 'last update', value: (r) => new Date(r.updatedAtMs).toISOString() },
      { header: 'node', value: (r) => r.node },
    ],
    color,
  );
}

/** details as `value=93.5 threshold=80 unit=%`. */
function detailsText(a: AlarmInfo): string {
  return Object.entries(a.details)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export function renderAlarms(rows: readonly AlarmInfo[], color: boolean): string {
  return renderTable(
    rows,
    [
      { header: 'name', value: (a) => a.name },
      { header: 'state', value: (a) => (a.activated ? 'active' : 'deactivated') },
      { header: 'message', value: (a) => a.message },
      { header: 'details', value: detailsText },
      { header: 'activated at', value: (a) => new Date(a.activatedAtMs).toISOString() },
      {
        header: 'deactivated at',
        value: (a) => (a.deactivatedAtMs ? new Date(a.deactivatedAtMs).toISOString() : '-'),
      },
      { header: 'node', value: (a) => a.node },
    ],
    color,
  );
}
