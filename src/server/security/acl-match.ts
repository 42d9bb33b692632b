// Whether one ACL rule applies to one request: its principal (username, client id, IP range, all),
// its action, QoS and retain conditions, and its topic filter (placeholders, the literal `eq` form,
// topic-name matching for PUBLISH, filter coverage for SUBSCRIBE). Pure functions: the authorizer
// (authorizer.ts) walks the rules in order and keeps a per-connection cache of the decisions.
import { BlockList, isIP } from 'node:net';
import { ACL_EQ_PREFIX } from '../../lib/security-rules.js';
import { topicMatches } from '../../lib/topic.js';
import type { ConnectionAclRule } from './auth-types.js';
import type { AclRecord } from '../storage/storage-adapter.js';

/** Who asks: the connection's identity. */
export interface AclSubject {
  clientId: string;
  username?: string;
  remoteAddress: string;
}

/** What is asked: to publish to a topic name, or to subscribe to a topic filter ($share/$queue prefix removed). */
export interface AclRequest {
  action: 'publish' | 'subscribe';
  topic: string;
  qos: number;
  /** The PUBLISH's RETAIN flag; false for a subscription. */
  retain: boolean;
}

/** The parsed IP range of each `ip` rule, made on first use (rules are immutable records). */
const ranges = new WeakMap<AclRecord, BlockList | null>();

function ipRange(rule: AclRecord): BlockList | null {
  let list = ranges.get(rule);
  if (list === undefined) {
    list = null;
    const [address, prefix] = rule.principal.split('/') as [string, string | undefined];
    const family = isIP(address);
    if (family !== 0) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      list = new BlockList();
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
    }
    ranges.set(rule, list);
  }
  return list;
}

/** Whether a stored rule names this client (a rule of the connection itself always does). */
export function principalMatches(rule: AclRecord, who: AclSubject): boolean {
  switch (rule.principalKind) {
    case 'all':
      return true;
    case 'user':
      return who.username !== undefined && who.username === rule.principal;
    case 'client':
      return who.clientId === rule.principal;
    case 'ip': {
      const family = isIP(who.remoteAddress);
      if (family === 0) return false;
      // BlockList matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) against IPv4 ranges
      return ipRange(rule)?.check(who.remoteAddress, family === 4 ? 'ipv4' : 'ipv6') ?? false;
    }
  }
}

/** The action, QoS and retain conditions. A retain condition is about PUBLISHes: it never matches a SUBSCRIBE. */
export function conditionsMatch(rule: ConnectionAclRule, req: AclRequest): boolean {
  if (rule.action !== 'all' && rule.action !== req.action) return false;
  if (rule.qos !== undefined && !rule.qos.includes(req.qos as 0 | 1 | 2)) return false;
  if (rule.retain !== undefined && (req.action !== 'publish' || rule.retain !== req.retain)) return false;
  return true;
}

/**
 * A placeholder's value, or undefined when the rule cannot apply: no username, or a value holding a
 * character that would change the filter's meaning ('/', '+', '#': a client id `a/#` must not widen
 * `devices/${clientid}` into `devices/a/#`), or an empty one.
 */
function placeholderValue(value: string | undefined): string | undefined {
  if (value === undefined || value === '' || /[/+#]/.test(value)) return undefined;
  return value;
}

/** The rule's filter with ${username} and ${clientid} put in; undefined when the rule cannot apply. */
export function expandFilter(filter: string, who: AclSubject): string | undefined {
  if (!filter.includes('${')) return filter;
  let out = filter;
  if (out.includes('${username}')) {
    const v = placeholderValue(who.username);
    if (v === undefined) return undefined;
    out = out.replaceAll('${username}', v);
  }
  if (out.includes('${clientid}')) {
    const v = placeholderValue(who.clientId);
    if (v === undefined) return undefined;
    out = out.replaceAll('${clientid}', v);
  }
  return out;
}

/**
 * Whether every topic the subscription filter `sub` matches is matched by the rule filter `rule`:
 * `a/#` covers `a/b/+`, `a/+` covers `a/b`, `a/b` does not cover `a/#`. Filters that start with a
 * wildcard match no topic starting with '$' [MQTT-4.7.2-1], so `#` does not cover `$SYS/#`.
 */
export function filterCovers(rule: string, sub: string): boolean {
  const r = rule.split('/');
  const s = sub.split('/');
  if (s[0]!.startsWith('$') && (r[0] === '+' || r[0] === '#')) return false;
  for (let i = 0; i < r.length; i++) {
    const level = r[i]!;
    if (level === '#') return true; // the rest, whatever it is (also none: "a/#" matches "a")
    if (i >= s.length) return false; // the rule asks for more levels than some matched topics have
    const sl = s[i]!;
    if (sl === '#') return false; // matches topics of any depth, the rule only some
    if (level === '+') continue;
    if (sl === '+' || sl !== level) return false;
  }
  return s.length === r.length;
}

/**
 * Whether some topic matches both filters: `#` and `secret/+` overlap, `a/+` and `b/#` do not.
 * A filter that starts with a wildcard matches no '$' topic [MQTT-4.7.2-1].
 */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  const wild = (l: string) => l === '+' || l === '#';
  if ((x[0]!.startsWith('$') && wild(y[0]!)) || (y[0]!.startsWith('$') && wild(x[0]!))) return false;
  for (let i = 0; ; i++) {
    if (i === x.length || i === y.length) {
      // one ran out: they overlap when both did, or the other goes on with just '#' ("a/#" matches "a")
      const rest = i === x.length ? y.slice(i) : x.slice(i);
      return rest.length === 0 || (rest.length === 1 && rest[0] === '#');
    }
    const l = x[i]!;
    const m = y[i]!;
    if (l === '#' || m === '#') return true;
    if (l !== '+' && m !== '+' && l !== m) return false;
  }
}

/**
 * Whether the rule's topic filter applies to the request's topic (name for publish, filter for
 * subscribe). For a SUBSCRIBE an allow rule must cover the whole filter, and a deny rule applies as
 * soon as the filter could bring one topic it denies: `deny secret/#` refuses a subscription to `#`.
 */
export function topicApplies(filter: string, who: AclSubject, req: AclRequest, deny = false): boolean {
  if (filter.startsWith(ACL_EQ_PREFIX)) return req.topic === filter.slice(ACL_EQ_PREFIX.length);
  const expanded = expandFilter(filter, who);
  if (expanded === undefined) return false;
  if (req.action === 'publish') return topicMatches(expanded, req.topic);
  return deny ? filtersOverlap(expanded, req.topic) : filterCovers(expanded, req.topic);
}

/** Whether a rule's conditions and topic filter apply to this request (a stored rule's principal is checked apart). */
export function ruleApplies(rule: ConnectionAclRule, who: AclSubject, req: AclRequest): boolean {
  return conditionsMatch(rule, req) && topicApplies(rule.filter, who, req, rule.permission === 'deny');
}
