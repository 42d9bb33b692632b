// Per-client rate quotas: PUBLISH packets a second (quota.messages_per_second) and bytes a second
// (quota.bytes_per_second), each a token bucket with a burst. As in EMQX, the excess is delayed, not
// dropped: once a chunk read from the client leaves a bucket in debt, the client's socket is not
// read until the debt is paid, so a fast client is slowed to its quota by TCP flow control. A client
// kept in debt for quota.abuse_disconnect_s without a break is disconnected: v5 DISCONNECT 0x96
// (Message rate too high) or 0x97 (Quota exceeded), 3.x simply closed.
import type { BrokerConfig } from '../../lib/config.js';
import type { Connection } from '../protocol/connection.js';
import { RC } from '../protocol/reason-codes.js';
import { TokenBucket } from './token-bucket.js';

export class ClientQuota {
  private readonly messages?: TokenBucket;
  private readonly bytes?: TokenBucket;
  /** PUBLISH packets handled since the last charge (counted by the connection, charged per chunk). */
  pendingMessages = 0;
  /** Reading is paused until the buckets are out of debt. */
  paused = false;
  private timer?: NodeJS.Timeout;
  /** When the client went into debt and has stayed there since (0: it is not). */
  private overSince = 0;

  constructor(
    private readonly conn: Connection,
    private readonly config: BrokerConfig,
  ) {
    const q = config.quota;
    const now = Date.now();
    if (q.messages_per_second > 0) {
      this.messages = new TokenBucket(q.messages_per_second, q.messages_burst || q.messages_per_second, now);
    }
    if (q.bytes_per_second > 0) {
      this.bytes = new TokenBucket(q.bytes_per_second, q.bytes_burst || q.bytes_per_second, now);
    }
  }

  /** Whether a per-client quota is set (when none is, connections carry no ClientQuota at all). */
  static enabled(config: BrokerConfig): boolean {
    return config.quota.messages_per_second > 0 || config.quota.bytes_per_second > 0;
  }

  /** After a chunk of `n` bytes was handled: charges it and the PUBLISHes in it; pauses reading while in debt. */
  charge(n: number): void {
    const now = Date.now();
    let messagesDebt = false;
    let bytesDebt = false;
    if (this.messages && this.pendingMessages > 0) {
      messagesDebt = this.messages.take(this.pendingMessages, now) < 0;
      this.pendingMessages = 0;
    }
    if (this.bytes) bytesDebt = this.bytes.take(n, now) < 0;
    if (!messagesDebt && !bytesDebt) {
      this.overSince = 0; // the client sent less than it had: it is within its quota again
      return;
    }
    const kind = messagesDebt ? 'messages_per_second' : 'bytes_per_second';
    const conn = this.conn;
    conn.broker.metrics.limitHit(kind);
    if (this.overSince === 0) this.overSince = now;
    const abuseS = this.config.quota.abuse_disconnect_s;
    if (abuseS > 0 && now - this.overSince >= abuseS * 1000) {
      const limit = messagesDebt ? 'quota_abuse_messages' : 'quota_abuse_bytes';
      conn.broker.metrics.limitHit(limit);
      conn.log.warn(
        { clientId: conn.clientId || undefined, quota: kind, overS: Math.round((now - this.overSince) / 1000) },
        'client over its quota for abuse_disconnect_s: disconnected',
      );
      // 0x96 Message rate too high / 0x97 Quota exceeded (MQTT 5.0 3.14.2.1); 3.x: closed
      conn.disconnect(
        messagesDebt ? RC.MESSAGE_RATE_TOO_HIGH : RC.QUOTA_EXCEEDED,
        messagesDebt ? 'message rate too high' : 'quota exceeded',
      );
      return;
    }
    this.pause(Math.max(this.messages?.debtMs(now) ?? 0, this.bytes?.debtMs(now) ?? 0));
  }

  private pause(ms: number): void {
    if (this.paused || ms <= 0) return;
    this.paused = true;
    this.conn.socket.pause();
    this.timer = setTimeout(resumeAfterQuota, ms, this);
    this.timer.unref();
  }

  /** @internal the debt is paid: read the client again (unless something else holds its reading). */
  resume(): void {
    this.timer = undefined;
    if (!this.paused) return;
    this.paused = false;
    const conn = this.conn;
    if (conn.state === 'closed') return;
    conn.lastSeen = Date.now(); // time held back is not the client's silence (keep alive)
    conn.resumeReading();
  }

  /** The connection closed: no timer may keep it alive. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function resumeAfterQuota(q: ClientQuota): void {
  q.resume();
}
