// The http provider: asks an HTTP service, as EMQX does. The request (a JSON POST body, or GET query
// parameters) is auth.http.body with ${clientid}, ${username}, ${password} and ${peerhost} filled in.
// The answer: 200 with JSON {"result": "allow" | "deny" | "ignore", "is_superuser": bool, "acl": ...},
// or 204 (allow). Any other status, a 200 that cannot be read, a timeout or an unreachable service is
// an error, which the chain turns into a refusal (authentication unavailable): an auth service that is
// down lets no one in. Allow answers may be reused for cache_ttl_ms, keyed by a SHA-256 of the client
// id, username, password and address, so no password is kept.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { HttpAuthSchema } from '../../../lib/config-schema.js';
import type { Logger } from '../../../lib/logger.js';
import { RC } from '../../protocol/reason-codes.js';
import { IGNORE, type AuthProvider, type AuthRequest, type AuthResult } from '../auth-types.js';
import { parseAclClaim } from './acl-claim.js';
import { fillPlaceholders } from './placeholders.js';

export type HttpSettings = z.infer<typeof HttpAuthSchema>;

/** Cached allow answers at most; the oldest goes first. */
const MAX_CACHE_ENTRIES = 10_000;
/** A reply body larger than this is an error (an auth answer is a few bytes). */
const MAX_REPLY_BYTES = 64 * 1024;

interface CachedAllow {
  result: AuthResult;
  until: number;
}

export class HttpProvider implements AuthProvider {
  readonly name = 'http';
  private readonly cache = new Map<string, CachedAllow>();

  constructor(
    private readonly settings: HttpSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Requests sent to the service (cached answers are not counted). */
  requests = 0;

  async stop(): Promise<void> {
    this.cache.clear();
  }

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    const ttl = this.settings.cache_ttl_ms;
    const key = ttl > 0 ? cacheKey(req) : undefined;
    if (key !== undefined) {
      const hit = this.cache.get(key);
      if (hit && hit.until > this.now()) return hit.result;
      if (hit) this.cache.delete(key);
    }
    const result = await this.ask(req);
    if (key !== undefined && result.outcome === 'allow') {
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { result, until: this.now() + ttl });
    }
    return result;
  }

  private async ask(req: AuthRequest): Promise<AuthResult> {
    const s = this.settings;
    const fields: Record<string, string> = {};
    for (const [name, template] of Object.entries(s.body)) fields[name] = fillPlaceholders(template, req);
    let url = s.url;
    const init: RequestInit = {
      method: s.method.toUpperCase(),
      headers: { accept: 'application/json', ...s.headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(s.timeout_ms),
    };
    if (s.method === 'post') {
      init.body = JSON.stringify(fields);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    } else {
      const u = new URL(url);
      for (const [name, value] of Object.entries(fields)) u.searchParams.set(name, value);
      url = u.toString();
    }
    this.requests++;
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (err) {
      const e = err as Error;
      const why =
        e.name === 'TimeoutError' ? `no answer within ${s.timeout_ms} ms` : ((e.cause as Error)?.message ?? e.message);
      throw new Error(`auth service ${s.url}: ${why}`);
    }
    if (res.status === 204) {
      await res.body?.cancel();
      return { outcome: 'allow' };
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`auth service ${s.url} answered HTTP ${res.status}`);
    }
    const text = await res.text();
    if (text.length > MAX_REPLY_BYTES) throw new Error(`auth service ${s.url}: the answer is too large`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(`auth service ${s.url}: the 200 answer is not JSON`);
    }
    switch (body?.['result']) {
      case 'ignore':
        return IGNORE;
      case 'deny':
        return { outcome: 'deny', reasonCode: RC.BAD_USER_NAME_OR_PASSWORD, reason: 'refused by the auth service' };
      case 'allow': {
        const result: AuthResult = { outcome: 'allow' };
        if (body['is_superuser'] === true || body['is_superuser'] === 'true') result.superuser = true;
        if (body['acl'] !== undefined) {
          try {
            result.acl = parseAclClaim(body['acl']).rules;
          } catch (err) {
            throw new Error(`auth service ${s.url}: ${(err as Error).message}`);
          }
        }
        return result;
      }
      default:
        this.log.debug({ url: s.url }, 'auth service answer without a result');
        throw new Error(`auth service ${s.url}: the answer has no "result" of allow, deny or ignore`);
    }
  }
}

function cacheKey(req: AuthRequest): string {
  const h = createHash('sha256');
  for (const part of [req.clientId, req.username ?? '', req.remoteAddress]) h.update(part).update('\0');
  h.update(req.username === undefined ? 'u' : 'U');
  if (req.password !== undefined) h.update('P').update(req.password);
  return h.digest('base64');
}
