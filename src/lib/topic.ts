// Topic names and topic filters: validation, shared-subscription parsing and matching rules
// (MQTT 3.1.1 section 4.7, MQTT 5.0 sections 4.7 and 4.8). Shared by the broker and the CLI.

export const MAX_TOPIC_BYTES = 65535;

export interface TopicCheck {
  ok: boolean;
  reason?: string;
}

const OK: TopicCheck = { ok: true };

function fail(reason: string): TopicCheck {
  return { ok: false, reason };
}

/** A topic name as it appears in PUBLISH: no wildcards, not empty, no NUL. */
export function validateTopicName(topic: string, maxLevels = 0): TopicCheck {
  if (topic.length === 0) return fail('topic name is empty'); // [MQTT-4.7.3-1]
  if (Buffer.byteLength(topic) > MAX_TOPIC_BYTES) return fail('topic name is longer than 65535 bytes');
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x23 || c === 0x2b) return fail('topic name contains a wildcard'); // [MQTT-3.3.2-2]
    if (c === 0) return fail('topic name contains U+0000'); // [MQTT-4.7.3-2]
  }
  if (maxLevels > 0 && countLevels(topic) > maxLevels) return fail(`topic has more than ${maxLevels} levels`);
  return OK;
}

/** A plain topic filter (without any $share/ prefix). */
export function validateTopicFilter(filter: string, maxLevels = 0): TopicCheck {
  if (filter.length === 0) return fail('topic filter is empty'); // [MQTT-4.7.3-1]
  if (Buffer.byteLength(filter) > MAX_TOPIC_BYTES) return fail('topic filter is longer than 65535 bytes');
  if (filter.includes('\u0000')) return fail('topic filter contains U+0000'); // [MQTT-4.7.3-2]
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#')) {
      // [MQTT-4.7.1-2] '#' must be the last character and occupy a whole level
      if (level !== '#' || i !== levels.length - 1) return fail("'#' must be the last level of a filter");
    }
    if (level.includes('+') && level !== '+') return fail("'+' must occupy a whole level"); // [MQTT-4.7.1-3]
  }
  if (maxLevels > 0 && levels.length > maxLevels) return fail(`topic filter has more than ${maxLevels} levels`);
  return OK;
}

export interface ParsedFilter {
  /** The filter used for matching (without $share/group/ or $queue/). */
  filter: string;
  /** The share group, when the subscription is shared. `$queue/` maps to the group `$queue`. */
  group?: string;
  /** `$exclusive/{filter}`: one client at a time may hold the filter (src/server/features/exclusive-subscription.ts). */
  exclusive?: boolean;
}

export const EXCLUSIVE_PREFIX = '$exclusive/';

/** Split `$share/{group}/{filter}`, `$queue/{filter}` and `$exclusive/{filter}`; validate the whole thing. */
export function parseSubscriptionFilter(raw: string, maxLevels = 0): ParsedFilter & TopicCheck {
  if (raw.startsWith(EXCLUSIVE_PREFIX)) {
    const filter = raw.slice(EXCLUSIVE_PREFIX.length);
    if (filter.startsWith('$share/') || filter.startsWith('$queue/') || filter.startsWith(EXCLUSIVE_PREFIX)) {
      return { ok: false, reason: 'an exclusive subscription cannot be shared', filter: raw };
    }
    return { ...validateTopicFilter(filter, maxLevels), filter, exclusive: true };
  }
  if (raw.startsWith('$share/')) {
    const rest = raw.slice('$share/'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return { ok: false, reason: 'shared subscription needs $share/{group}/{filter}', filter: raw };
    const group = rest.slice(0, slash);
    if (/[+#]/.test(group)) return { ok: false, reason: 'share name must not contain wildcards', filter: raw }; // [MQTT-4.8.2-2]
    const filter = rest.slice(slash + 1);
    if (filter.startsWith(EXCLUSIVE_PREFIX))
      return { ok: false, reason: 'a shared subscription cannot be exclusive', filter: raw };
    const check = validateTopicFilter(filter, maxLevels);
    return { ...check, filter, group };
  }
  if (raw.startsWith('$queue/')) {
    const filter = raw.slice('$queue/'.length);
    if (filter.startsWith(EXCLUSIVE_PREFIX))
      return { ok: false, reason: 'a shared subscription cannot be exclusive', filter: raw };
    const check = validateTopicFilter(filter, maxLevels);
    return { ...check, filter, group: '$queue' };
  }
  return { ...validateTopicFilter(raw, maxLevels), filter: raw };
}

export function countLevels(topic: string): number {
  let n = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 0x2f) n++;
  return n;
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/** Does a topic filter match a topic name? Reference implementation for tests and small lists. */
export function topicMatches(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1] filters starting with a wildcard do not match topics starting with '$'
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true; // also matches the parent level ("a/#" matches "a")
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
