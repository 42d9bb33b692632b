// Paging over a sorted index of keys (client ids, topics) for the admin API: a page starts at the
// key after the token (a binary search), reads keys in order until it holds `limit` matches, and a
// filter is tested on each key in place (no copy of the collection, no sort per call). The token
// is the page's last key, so a page stays right while keys come and go between calls.
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from '../../lib/admin-api.js';
import { RobustMQError } from '../../lib/errors.js';

/** Page size from a request: default when absent or 0, an error when out of range. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || limit === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `limit must be between 1 and ${MAX_PAGE_SIZE}, got ${limit}`);
  }
  return limit;
}

export function encodePageToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodePageToken(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', 'page token is not one this server gave out');
  }
  return Buffer.from(token, 'base64url').toString('utf8');
}

export interface KeyPage<T> {
  items: T[];
  /** The key of the last item, when there are more matches after it. */
  lastKey?: string;
}

/** Keys in order from where a page starts, to `visit` until it returns false (SortedKeys.scan). */
export type KeyScan = (visit: (key: string) => boolean | void) => void;

/**
 * Up to `limit` items from the keys `scan` gives (already positioned after the token), keeping those
 * `pick` maps to an item; then one more match is looked for, to know whether a next page exists.
 */
export function readPage<T>(
  scan: KeyScan,
  limit: number,
  pick: (key: string) => T | undefined,
  keyOf: (item: T) => string,
): KeyPage<T> {
  const items: T[] = [];
  let more = false;
  scan((key) => {
    const item = pick(key);
    if (item === undefined) return true;
    if (items.length === limit) {
      more = true;
      return false;
    }
    items.push(item);
    return true;
  });
  return more ? { items, lastKey: keyOf(items[items.length - 1]!) } : { items };
}

/** How many keys `matches` accepts (a scan in place, for the total of a filtered list). */
export function countMatching(scan: KeyScan, matches: (key: string) => boolean): number {
  let n = 0;
  scan((key) => {
    if (matches(key)) n++;
  });
  return n;
}

/** The index of the first item whose key is after `after` (binary search: the list is sorted by key). */
export function firstAfter<T>(sorted: readonly T[], after: string, key: (item: T) => string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid]!) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One page of a small list already sorted by `key` (users, ACL rules, bans, topics), after the token. */
export function pageOfSorted<T, R>(
  sorted: readonly T[],
  key: (item: T) => string,
  map: (item: T) => R,
  f: { limit?: number; pageToken?: string },
): Page<R> {
  const limit = pageSize(f.limit);
  const start = f.pageToken ? firstAfter(sorted, decodePageToken(f.pageToken), key) : 0;
  const page = sorted.slice(start, start + limit);
  return {
    items: page.map(map),
    nextPageToken: start + limit < sorted.length ? encodePageToken(key(page[page.length - 1]!)) : '',
    total: sorted.length,
  };
}
