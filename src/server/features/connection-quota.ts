// Connection quotas checked when a socket is accepted, before any byte of it is read: open
// connections per IP address (quota.max_connections_per_ip) and new connections per second on each
// listener (quota.connection_rate, a token bucket of quota.connection_burst). A socket over either
// is closed at once, as Mosquitto does for its per-listener max_connections: no CONNACK, since no
// CONNECT has been read (EMQX's max_conn_rate pauses accepting instead; the listeners are not ours
// to pause here, and a closed socket costs the broker less than a queued one).
import type { BrokerConfig } from '../../lib/config.js';
import type { TransportInfo } from '../protocol/connection.js';
import { TokenBucket } from './token-bucket.js';

/** The limit a refused socket hit, as counted in metrics.limits. */
export type ConnectionQuotaLimit = 'max_connections_per_ip' | 'connection_rate';

/** The key of the listener in rate buckets: its name, or '' for the mqtt.bind/port listener. */
function listenerKey(info: TransportInfo): string {
  return info.listener ?? '';
}

/** One address, whatever form the listener reported it in (IPv4 clients of a dual-stack listener: ::ffff:a.b.c.d). */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class ConnectionQuota {
  private readonly perIp = new Map<string, number>();
  private readonly rates = new Map<string, TokenBucket>();

  constructor(
    private readonly config: BrokerConfig,
    /** Worker mode: this process takes 1/share of the node's connection rate. */
    private readonly share = 1,
  ) {}

  /** Whether any connection quota is set (when none is, the broker does not call this class at all). */
  static enabled(config: BrokerConfig): boolean {
    return config.quota.max_connections_per_ip > 0 || config.quota.connection_rate > 0;
  }

  /**
   * Admits a new socket (and counts it until release()), or says which limit refuses it. A refused
   * socket is not counted, so release() must only be called for admitted ones.
   */
  admit(info: TransportInfo, now = Date.now()): ConnectionQuotaLimit | null {
    const q = this.config.quota;
    const address = normalizeAddress(info.remoteAddress);
    const open = this.perIp.get(address) ?? 0;
    if (q.max_connections_per_ip > 0 && open >= q.max_connections_per_ip) return 'max_connections_per_ip';
    if (q.connection_rate > 0) {
      const key = listenerKey(info);
      let bucket = this.rates.get(key);
      if (!bucket) {
        const rate = q.connection_rate / this.share;
        const burst = Math.max(1, (q.connection_burst || q.connection_rate) / this.share);
        bucket = new TokenBucket(rate, burst, now);
        this.rates.set(key, bucket);
      }
      if (!bucket.tryTake(now)) return 'connection_rate';
    }
    this.perIp.set(address, open + 1);
    return null;
  }

  /** An admitted connection closed. */
  release(info: TransportInfo): void {
    const address = normalizeAddress(info.remoteAddress);
    const open = this.perIp.get(address);
    if (open === undefined) return;
    if (open <= 1) this.perIp.delete(address);
    else this.perIp.set(address, open - 1);
  }

  /** Open connections counted for one address (tests, admin). */
  openFrom(address: string): number {
    return this.perIp.get(normalizeAddress(address)) ?? 0;
  }
}
