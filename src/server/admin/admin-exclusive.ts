// The admin API's exclusive subscriptions: who holds which `$exclusive/` filter, and taking one away
// (the holder's subscription is removed as by an UNSUBSCRIBE, persisted). The holders live in
// features/exclusive-subscription.ts; with exclusive.enabled = false there are none.
import type { ExclusiveFilter, ExclusiveInfo, Page } from '../../lib/admin-api.js';
import { RobustMQError } from '../../lib/errors.js';
import type { Broker } from '../broker.js';
import { pageSize } from './key-paging.js';

export function listExclusive(broker: Broker, f: ExclusiveFilter = {}): Page<ExclusiveInfo> {
  pageSize(f.limit); // a bad limit is an error even with the feature off
  return broker.exclusiveSubscriptions.list(f);
}

export async function deleteExclusive(broker: Broker, filter: string): Promise<void> {
  if (!filter) throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', 'the filter is empty');
  broker.exclusiveSubscriptions.revoke(filter);
  await broker.storage.flush();
}
