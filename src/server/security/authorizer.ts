// Authorization of PUBLISH and SUBSCRIBE (and of the will, at CONNECT): the connection's own rules
// (from its authentication) first, then the stored ACL rules in order; the first rule that applies
// decides; when none does, acl.no_match. A superuser is never checked. Each connection keeps its last
// decisions (at most CACHE_SIZE) until an ACL rule changes (SecurityStore.aclGeneration) or its
// identity does (re-authentication: new connection rules, superuser flag or username).
import type { Connection } from '../protocol/connection.js';
import { principalMatches, ruleApplies, type AclRequest, type AclSubject } from './acl-match.js';
import type { ConnectionAclRule } from './auth-types.js';

/** Decisions kept per connection. */
export const ACL_CACHE_SIZE = 64;

interface DecisionCache {
  generation: number;
  connectionAcl: ConnectionAclRule[] | undefined;
  username: string | undefined;
  decisions: Map<string, boolean>;
}

const caches = new WeakMap<Connection, DecisionCache>();

/** Whether the connection may do what `req` asks. */
export function authorize(conn: Connection, req: AclRequest): boolean {
  if (conn.superuser) return true;
  const store = conn.broker.security;
  // no rule anywhere (the default): acl.no_match decides, without a key or a cache per PUBLISH
  if (conn.connectionAcl === undefined && store.acls().length === 0) return conn.broker.config.acl.no_match === 'allow';
  let cache = caches.get(conn);
  if (
    !cache ||
    cache.generation !== store.aclGeneration ||
    cache.connectionAcl !== conn.connectionAcl ||
    cache.username !== conn.username
  ) {
    cache = {
      generation: store.aclGeneration,
      connectionAcl: conn.connectionAcl,
      username: conn.username,
      decisions: new Map(),
    };
    caches.set(conn, cache);
  }
  const key = `${req.action === 'publish' ? 'p' : 's'}${req.qos}${req.retain ? 1 : 0}${req.topic}`;
  const known = cache.decisions.get(key);
  if (known !== undefined) return known;
  const allowed = decide(conn, req);
  if (cache.decisions.size >= ACL_CACHE_SIZE) {
    cache.decisions.delete(cache.decisions.keys().next().value!); // the oldest
  }
  cache.decisions.set(key, allowed);
  return allowed;
}

/** Forgets the connection's cached decisions (its identity changed in a way the cache cannot see). */
export function forgetDecisions(conn: Connection): void {
  caches.delete(conn);
}

function decide(conn: Connection, req: AclRequest): boolean {
  const who: AclSubject = {
    clientId: conn.clientId,
    username: conn.username,
    remoteAddress: conn.info.remoteAddress,
  };
  for (const rule of conn.connectionAcl ?? []) {
    if (ruleApplies(rule, who, req)) return rule.permission === 'allow';
  }
  for (const rule of conn.broker.security.acls()) {
    if (principalMatches(rule, who) && ruleApplies(rule, who, req)) return rule.permission === 'allow';
  }
  return conn.broker.config.acl.no_match === 'allow';
}
