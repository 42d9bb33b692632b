// System alarms (alarms.*): every check_interval_s the checks of alarm-checks.ts read this process's
// memory, CPU, event-loop delay and connections; the storage engine failing a write raises one at
// once. An alarm is activated once (not again while active) and deactivated below 90% of its
// threshold (no flapping); each change is logged (warn / info) and, with sys.enabled, published as
// JSON (QoS 0, not retained) on $SYS/brokers/{node}/alarms/activate or .../deactivate. Deactivated
// alarms go to the history (alarm-history.ts, kept in storage); active ones are not stored: after a
// restart they are evaluated again. Not run by worker processes (node.workers > 1).
import type { AlarmFilter, AlarmInfo, ConfigValue, Page } from '../../lib/admin-api.js';
import { RobustMQError } from '../../lib/errors.js';
import { pageOfSorted } from '../admin/key-paging.js';
import type { Broker } from '../broker.js';
import { createMessage } from '../message.js';
import {
  aboveThreshold,
  eventLoopLag,
  highCpu,
  highMemory,
  tooManyConnections,
  type AlarmCheck,
} from './alarm-checks.js';
import { AlarmHistory } from './alarm-history.js';

export const STORAGE_ALARM = 'storage_write_failed';
const ALARM_STATES = ['activated', 'deactivated', 'all'] as const;

export class Alarms {
  private readonly active = new Map<string, AlarmInfo>();
  private readonly history: AlarmHistory;
  private readonly checks: AlarmCheck[] = [highMemory, highCpu(), eventLoopLag(), tooManyConnections];
  private timer?: NodeJS.Timeout;
  private attached = false;

  constructor(private readonly broker: Broker) {
    this.history = new AlarmHistory(broker.storage, broker.log);
  }

  private get config() {
    return this.broker.config.alarms;
  }

  /** The history kept in storage (call after storage.open()). */
  async load(): Promise<void> {
    await this.history.load(this.config.history_size);
  }

  /** Starts the checks if alarms.enabled, and follows `config set alarms.*` from then on. */
  start(): void {
    if (!this.attached) {
      this.attached = true;
      const hooks = this.broker.hooks;
      hooks.on('config.changed', (key: string, value: ConfigValue) => this.configChanged(key, value));
      hooks.on('storage.failed', (err) => {
        if (this.timer === undefined) return;
        this.activate(STORAGE_ALARM, `the storage engine failed a write: ${err.message}`, {
          engine: this.broker.storage.engine,
          error: err.message,
        });
      });
    }
    if (this.config.enabled) this.startChecks();
  }

  /** The broker stops: the checks end; active alarms are not recorded (they are evaluated again at the next start). */
  stop(): void {
    this.stopChecks();
  }

  private configChanged(key: string, value: ConfigValue): void {
    if (key === 'alarms.enabled') {
      if (value === true) this.startChecks();
      else {
        this.stopChecks();
        for (const name of [...this.active.keys()]) this.deactivate(name, { reason: 'alarms.enabled set to false' });
      }
    } else if (key === 'alarms.check_interval_s' && this.timer !== undefined) {
      this.stopChecks();
      this.startChecks();
    } else if (key.startsWith('alarms.') && this.timer !== undefined) {
      this.check(); // a new threshold is applied at once
    }
  }

  private startChecks(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.check(), this.config.check_interval_s * 1000);
    this.timer.unref();
    this.check();
  }

  private stopChecks(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const c of this.checks) c.stop?.();
  }

  /** One round of the periodic checks. */
  check(): void {
    const c = this.config;
    for (const check of this.checks) {
      try {
        const r = check.read(c, this.broker);
        const isActive = this.active.has(check.name);
        if (r === undefined) {
          // the check was turned off (threshold 0) while its alarm was active
          if (isActive && !this.warmingUp(check, c)) this.deactivate(check.name, { reason: 'check turned off' });
          continue;
        }
        const details = { value: r.value, threshold: r.threshold, unit: r.unit };
        if (aboveThreshold(r, isActive)) {
          if (!isActive) this.activate(check.name, check.message(r), details);
        } else if (isActive) this.deactivate(check.name, details);
      } catch (err) {
        this.broker.log.error({ err, alarm: check.name }, 'alarm check failed');
      }
    }
  }

  /** A check with a threshold set that had nothing to measure yet (its first reading). */
  private warmingUp(check: AlarmCheck, c: typeof this.config): boolean {
    if (check.name === 'high_cpu') return c.cpu_high_percent > 0;
    if (check.name === 'event_loop_lag') return c.event_loop_lag_ms > 0;
    return false;
  }

  activate(name: string, message: string, details: Record<string, string | number>): void {
    if (this.active.has(name)) return;
    const alarm: AlarmInfo = {
      name,
      message,
      details,
      activatedAtMs: Date.now(),
      deactivatedAtMs: 0,
      activated: true,
      node: this.broker.nodeName,
    };
    this.active.set(name, alarm);
    this.broker.log.warn({ alarm: name, details }, `alarm activated: ${message}`);
    this.publish('activate', alarm);
  }

  deactivate(name: string, details: Record<string, string | number>): void {
    const was = this.active.get(name);
    if (!was) return;
    this.active.delete(name);
    const alarm: AlarmInfo = {
      ...was,
      details: { ...was.details, ...details },
      deactivatedAtMs: Date.now(),
      activated: false,
    };
    this.history.add(alarm, this.config.history_size);
    this.broker.log.info({ alarm: name, details }, `alarm deactivated: ${name}`);
    this.publish('deactivate', alarm);
  }

  private publish(what: 'activate' | 'deactivate', a: AlarmInfo): void {
    if (!this.broker.config.sys.enabled) return;
    // EMQX's field names (its times are in microseconds; these are milliseconds)
    const payload = {
      name: a.name,
      message: a.message,
      details: a.details,
      activate_at: a.activatedAtMs,
      deactivate_at: a.activated ? 'infinity' : a.deactivatedAtMs,
      activated: a.activated,
      node: a.node,
    };
    this.broker.publish(
      createMessage({
        topic: `$SYS/brokers/${this.broker.nodeName}/alarms/${what}`,
        payload: Buffer.from(JSON.stringify(payload)),
        qos: 0,
        retain: false,
        origin: '',
      }),
    );
  }

  list(filter: AlarmFilter = {}): Page<AlarmInfo> {
    const state = filter.state ?? 'activated';
    if (!(ALARM_STATES as readonly string[]).includes(state)) {
      throw new RobustMQError(
        'RMQ_ERR_INVALID_ARGUMENT',
        `state must be one of ${ALARM_STATES.join(', ')}, got "${state}"`,
      );
    }
    const rows: AlarmInfo[] = [];
    if (state !== 'deactivated') rows.push(...[...this.active.values()].sort((a, b) => (a.name < b.name ? -1 : 1)));
    if (state !== 'activated') rows.push(...this.history.newestFirst());
    return pageOfSorted(rows, alarmKey, (a) => a, filter);
  }

  clearHistory(): void {
    const n = this.history.clear();
    this.broker.log.info({ deleted: n }, 'alarm history cleared');
  }
}

/** Active alarms by name first, then the history newest first (a stable key for page tokens). */
function alarmKey(a: AlarmInfo): string {
  if (a.activated) return `0${a.name}`;
  const inv = (t: number) => String(Number.MAX_SAFE_INTEGER - t).padStart(16, '0');
  return `1${inv(a.deactivatedAtMs)}${inv(a.activatedAtMs)}${a.name}`;
}
