// Flapping detection (EMQX's flapping_detect): a client id that connects more than flapping.max_count
// times within flapping.window_s seconds gets a clientid ban with reason "flapping" for
// flapping.ban_s seconds. Counted per process: with node.workers > 1 each worker counts the CONNECTs
// it receives and the ban it makes holds in that worker only.
import type { BrokerConfig } from '../../lib/config-schema.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../metrics.js';
import type { SecurityStore } from '../security/security-store.js';
import type { BanRecord } from '../storage/storage-adapter.js';

/** Client ids tracked before the ones whose window has passed are swept out. */
const SWEEP_AT = 10_000;

export class FlappingDetector {
  /** Client id -> times (ms) of its CONNECTs within the window, oldest first (at most max_count + 1). */
  private readonly connects = new Map<string, number[]>();
  private sweepAt = SWEEP_AT;

  constructor(
    private readonly config: () => BrokerConfig['flapping'],
    private readonly store: SecurityStore,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one CONNECT of `clientId`. When it is one too many, bans the client id (and forgets its
   * CONNECTs: after the ban it starts from zero) and returns the ban; otherwise undefined.
   */
  connected(clientId: string): BanRecord | undefined {
    const c = this.config();
    if (!c.enabled) return undefined;
    const now = this.now();
    const since = now - c.window_s * 1000;
    let times = this.connects.get(clientId);
    if (!times) {
      if (this.connects.size >= this.sweepAt) this.sweep(since);
      this.connects.set(clientId, (times = []));
    }
    while (times.length > 0 && times[0]! <= since) times.shift();
    times.push(now);
    if (times.length <= c.max_count) return undefined;
    this.connects.delete(clientId);
    const ban: BanRecord = {
      kind: 'clientid',
      value: clientId,
      reason: 'flapping',
      createdAt: now,
      until: now + c.ban_s * 1000,
    };
    this.store.apply({ op: 'putBan', ban });
    this.metrics.flappingBans++;
    this.log.warn(
      { clientId, connects: times.length, windowS: c.window_s, banS: c.ban_s },
      'client id banned for flapping',
    );
    return ban;
  }

  private sweep(since: number): void {
    for (const [id, times] of this.connects) {
      if (times[times.length - 1]! <= since) this.connects.delete(id);
    }
    // when most are still within their window, sweep again only once the map has doubled
    this.sweepAt = Math.max(SWEEP_AT, this.connects.size * 2);
  }
}
