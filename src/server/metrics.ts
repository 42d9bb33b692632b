// Broker counters: what $SYS, the admin API and (later) Prometheus read. Limits that are hit are
// counted per limit and logged at most once per 10 s per limit, with the count since the last log.
import type { Logger } from '../lib/logger.js';

export class Metrics {
  connectionsAccepted = 0;
  connectionsRefused = 0;
  connectionsClosed = 0;
  protocolErrors = 0;
  messagesReceived = 0;
  messagesSent = 0;
  messagesDropped = 0;
  bytesReceived = 0;
  bytesSent = 0;
  /** PUBLISHes and subscriptions an ACL rule (or acl.no_match) denied. */
  aclDeniedPublish = 0;
  aclDeniedSubscribe = 0;
  /** CONNECTs refused because the client id, username, address or a regex is banned. */
  connectionsBanned = 0;
  /** Bans made by flapping detection. */
  flappingBans = 0;
  readonly dropped: Record<string, number> = {};
  readonly limits: Record<string, number> = {};
  private readonly lastLogged = new Map<string, { at: number; count: number }>();

  constructor(private readonly log: Logger) {}

  drop(reason: string): void {
    this.messagesDropped++;
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  limitHit(limit: string): void {
    this.limits[limit] = (this.limits[limit] ?? 0) + 1;
    const now = Date.now();
    const last = this.lastLogged.get(limit);
    if (!last || now - last.at >= 10_000) {
      const since = last ? this.limits[limit]! - last.count : 1;
      this.log.warn({ limit, hits: since, total: this.limits[limit] }, 'limit reached');
      this.lastLogged.set(limit, { at: now, count: this.limits[limit]! });
    }
  }
}
