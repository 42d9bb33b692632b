// How the primary process merges the workers' pages of one admin list (clients, sessions,
// subscriptions) into one page in key order.
import type { Page } from '../../lib/admin-api.js';
import { encodePageToken } from '../admin/key-paging.js';

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
