// The periodic checks behind the system alarms (alarms.*): each measures one figure of this process
// at every check and says how it stands against its threshold. A threshold of 0 turns its check off.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { BrokerConfig } from '../../lib/config.js';
import type { Broker } from '../broker.js';

/** One reading: the figure, its threshold (both in `unit`), or undefined while the check is off / warming up. */
export interface Reading {
  value: number;
  threshold: number;
  unit: string;
}

export interface AlarmCheck {
  readonly name: string;
  /** The human-readable message of the alarm, from its reading. */
  message(r: Reading): string;
  read(config: BrokerConfig['alarms'], broker: Broker): Reading | undefined;
  /** Releases what the check holds (the event-loop histogram). */
  stop?(): void;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Resident set size of the process, in MB, against alarms.memory_high_mb. */
export const highMemory: AlarmCheck = {
  name: 'high_memory',
  message: (r) => `process memory (RSS) ${r.value} MB is above ${r.threshold} MB`,
  read(c) {
    if (c.memory_high_mb === 0) return undefined;
    return { value: round1(process.memoryUsage.rss() / (1024 * 1024)), threshold: c.memory_high_mb, unit: 'MB' };
  },
};

/** CPU time (user + system) of the process since the last check, in % of one core's wall time. */
export function highCpu(): AlarmCheck {
  let last: { at: number; usage: NodeJS.CpuUsage } | undefined;
  return {
    name: 'high_cpu',
    message: (r) => `process CPU ${r.value}% of one core over the last check interval is above ${r.threshold}%`,
    read(c) {
      const now = { at: performance.now(), usage: process.cpuUsage() };
      const prev = last;
      last = now;
      if (c.cpu_high_percent === 0 || prev === undefined || now.at - prev.at <= 0) return undefined;
      const used = now.usage.user - prev.usage.user + (now.usage.system - prev.usage.system); // microseconds
      const percent = (used / 1000 / (now.at - prev.at)) * 100;
      return { value: round1(percent), threshold: c.cpu_high_percent, unit: '%' };
    },
  };
}

/** The longest event-loop delay since the last check (perf_hooks.monitorEventLoopDelay max), in ms. */
export function eventLoopLag(): AlarmCheck {
  let histogram: IntervalHistogram | undefined;
  return {
    name: 'event_loop_lag',
    message: (r) =>
      `event loop blocked for ${r.value} ms (longest delay over the last check interval), above ${r.threshold} ms`,
    read(c) {
      if (c.event_loop_lag_ms === 0) {
        histogram?.disable();
        histogram = undefined;
        return undefined;
      }
      if (!histogram) {
        histogram = monitorEventLoopDelay({ resolution: 10 });
        histogram.enable();
        return undefined; // nothing measured yet
      }
      const maxMs = histogram.count > 0 ? histogram.max / 1e6 : 0;
      histogram.reset();
      return { value: round1(maxMs), threshold: c.event_loop_lag_ms, unit: 'ms' };
    },
    stop() {
      histogram?.disable();
      histogram = undefined;
    },
  };
}

/** Open connections against alarms.connections_high_percent of limits.max_connections. */
export const tooManyConnections: AlarmCheck = {
  name: 'too_many_connections',
  message: (r) =>
    `${r.value} connections open, at or above ${r.threshold} (alarms.connections_high_percent of limits.max_connections)`,
  read(c, broker) {
    if (c.connections_high_percent === 0) return undefined;
    const threshold = (broker.config.limits.max_connections * c.connections_high_percent) / 100;
    return { value: broker.connections.size, threshold: round1(threshold), unit: 'connections' };
  },
};

/** Active when the value reaches the threshold; cleared only below 90% of it, so it does not flap. */
export function aboveThreshold(r: Reading, active: boolean): boolean {
  return active ? r.value >= r.threshold * 0.9 : r.value >= r.threshold;
}
