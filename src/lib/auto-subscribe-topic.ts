// The topic template of an auto-subscribe rule: which placeholders it may hold (`${clientid}`,
// `${username}`, `${host}`), whether it is a valid filter once they are filled, and filling them for
// one client. Shared by the config schema, the admin API and the broker.
import { parseSubscriptionFilter } from './topic.js';

export const AUTO_SUBSCRIBE_PLACEHOLDERS = ['clientid', 'username', 'host'] as const;
export type AutoSubscribePlaceholder = (typeof AUTO_SUBSCRIBE_PLACEHOLDERS)[number];

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Why the template cannot be a rule's topic, or undefined when it can. */
export function autoSubscribeTopicError(topic: string, noLocal = false): string | undefined {
  for (const m of topic.matchAll(PLACEHOLDER)) {
    if (!(AUTO_SUBSCRIBE_PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
      return `unknown placeholder \${${m[1]}} (use \${clientid}, \${username} or \${host})`;
    }
  }
  // every placeholder as one plain level's worth of text: the filter around it must be valid
  const parsed = parseSubscriptionFilter(topic.replace(PLACEHOLDER, 'x'));
  if (!parsed.ok) return parsed.reason ?? 'not a valid topic filter';
  if (noLocal && parsed.group !== undefined) return 'no_local cannot be set on a shared subscription [MQTT-3.8.3-4]';
  return undefined;
}

/**
 * The filter for one client, or why the rule is skipped for it: a placeholder without a value (no
 * username), or a value holding a wildcard (`+`, `#`), which would widen the filter.
 */
export function resolveAutoSubscribeTopic(
  topic: string,
  values: Readonly<Record<AutoSubscribePlaceholder, string | undefined>>,
): { filter: string } | { skip: string } {
  let missing: string | undefined;
  const filter = topic.replace(PLACEHOLDER, (_all, name: string) => {
    const v = values[name as AutoSubscribePlaceholder];
    if (v === undefined || v === '') missing ??= `\${${name}} has no value for this client`;
    else if (v.includes('+') || v.includes('#') || v.includes('\u0000'))
      missing ??= `\${${name}} holds a wildcard or U+0000`;
    return v ?? '';
  });
  return missing !== undefined ? { skip: missing } : { filter };
}
