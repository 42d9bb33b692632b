// ACL rules carried by an authentication answer (a JWT claim, an HTTP service's reply), in EMQX's
// two formats, turned into the connection's rules (evaluated before the stored ones):
// - the list form, `[{"permission": "allow", "action": "publish", "topic": "t/#"}, ...]`: what matches
//   no rule goes on to the other rules;
// - the older object form, `{"pub": [...], "sub": [...], "all": [...]}`: allow lists, and anything
//   else is denied (a final deny-all rule).
// The `qos` (a QoS or a list of them) and `retain` (true/false) conditions are kept, as the authorizer
// evaluates them. A rule is never made wider than it was written: an allow rule narrowed by a condition
// this broker does not evaluate (clientid_re, ipaddr, ...) is left out; a deny rule with one is kept
// for every case. A filter may use ${username} and ${clientid} (checkAclFilter).
import { checkAclFilter } from '../../../lib/security-rules.js';
import type { ConnectionAclRule } from '../auth-types.js';

export interface ParsedAcl {
  rules: ConnectionAclRule[];
  /** Allow rules left out because of a condition not evaluated here. */
  skipped: number;
}

const ACTIONS = new Set(['publish', 'subscribe', 'all']);
const OLD_KEYS: Record<string, ConnectionAclRule['action']> = { pub: 'publish', sub: 'subscribe', all: 'all' };

/** Throws an Error saying what is wrong (the caller refuses the client). */
export function parseAclClaim(value: unknown): ParsedAcl {
  if (Array.isArray(value)) return parseList(value);
  if (typeof value === 'object' && value !== null) return parseObject(value as Record<string, unknown>);
  throw new Error('the acl claim is neither a list of rules nor an object of pub/sub/all lists');
}

function filterOf(topic: unknown, where: string): string {
  if (typeof topic !== 'string') throw new Error(`${where}: the topic is not a string`);
  if (topic.startsWith('eq ')) throw new Error(`${where}: "eq" topics are not supported`);
  try {
    checkAclFilter(topic);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
  return topic;
}

function qosOf(value: unknown, where: string): (0 | 1 | 2)[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((q) => q === 0 || q === 1 || q === 2)) {
    throw new Error(`${where}: qos must be 0, 1, 2 or a list of them`);
  }
  return [...new Set(list as (0 | 1 | 2)[])].sort();
}

function parseList(list: unknown[]): ParsedAcl {
  const rules: ConnectionAclRule[] = [];
  let skipped = 0;
  list.forEach((item, i) => {
    const where = `acl rule ${i}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Error(`${where} is not an object`);
    const r = item as Record<string, unknown>;
    if (r['permission'] !== 'allow' && r['permission'] !== 'deny') {
      throw new Error(`${where}: permission must be "allow" or "deny"`);
    }
    if (typeof r['action'] !== 'string' || !ACTIONS.has(r['action'])) {
      throw new Error(`${where}: action must be "publish", "subscribe" or "all"`);
    }
    const filter = filterOf(r['topic'], where);
    const known = new Set(['permission', 'action', 'topic', 'qos', 'retain']);
    const conditions = Object.keys(r).filter((k) => !known.has(k));
    if (r['permission'] === 'allow' && conditions.length > 0) {
      skipped++;
      return;
    }
    const rule: ConnectionAclRule = {
      permission: r['permission'],
      action: r['action'] as ConnectionAclRule['action'],
      filter,
    };
    if (r['qos'] !== undefined) rule.qos = qosOf(r['qos'], where);
    if (r['retain'] !== undefined) {
      if (typeof r['retain'] !== 'boolean') throw new Error(`${where}: retain must be true or false`);
      rule.retain = r['retain'];
    }
    rules.push(rule);
  });
  return { rules, skipped };
}

function parseObject(o: Record<string, unknown>): ParsedAcl {
  const rules: ConnectionAclRule[] = [];
  for (const [key, topics] of Object.entries(o)) {
    const action = OLD_KEYS[key];
    if (!action) throw new Error(`acl: unknown key "${key}" (pub, sub or all)`);
    if (!Array.isArray(topics)) throw new Error(`acl.${key} is not a list of topics`);
    topics.forEach((t, i) => rules.push({ permission: 'allow', action, filter: filterOf(t, `acl.${key}[${i}]`) }));
  }
  // '#' matches no '$' topic [MQTT-4.7.2-1]: the broker's own $SYS topics are denied by name
  rules.push(
    { permission: 'deny', action: 'all', filter: '#' },
    { permission: 'deny', action: 'all', filter: '$SYS/#' },
  );
  return { rules, skipped: 0 };
}
