// The history of deactivated alarms: the last alarms.history_size, kept in memory and as feature
// records of kind 'alarm-history' (id: deactivation time, zero-padded, then a sequence number), so it
// survives a restart. The oldest records go first.
import type { AlarmInfo } from '../../lib/admin-api.js';
import type { Logger } from '../../lib/logger.js';
import type { FeatureStorage } from '../storage/storage-adapter.js';
import { loadFeatureRecords, parseRecordObject } from './feature-records.js';

export const ALARM_HISTORY_KIND = 'alarm-history';

interface Stored {
  id: string;
  alarm: AlarmInfo;
}

export class AlarmHistory {
  /** Oldest first (id order). */
  private records: Stored[] = [];
  private seq = 0;

  constructor(
    private readonly storage: FeatureStorage,
    private readonly log: Logger,
  ) {}

  async load(limit: number): Promise<void> {
    const loaded = await loadFeatureRecords(
      this.storage,
      ALARM_HISTORY_KIND,
      this.log,
      (value) => parseRecordObject(value) as unknown as AlarmInfo,
    );
    this.records = loaded.map((r) => ({ id: r.id, alarm: r.value }));
    this.trim(limit);
  }

  add(alarm: AlarmInfo, limit: number): void {
    const id = `${String(alarm.deactivatedAtMs).padStart(15, '0')}-${String(++this.seq).padStart(6, '0')}`;
    // equal times: a later one must sort after (seq restarts at 0 after a restart: the time differs by then)
    const last = this.records[this.records.length - 1];
    const safeId = last && last.id >= id ? `${last.id}+` : id;
    this.records.push({ id: safeId, alarm });
    this.storage.saveFeatureRecord(ALARM_HISTORY_KIND, safeId, JSON.stringify(alarm));
    this.trim(limit);
  }

  private trim(limit: number): void {
    while (this.records.length > limit) {
      const oldest = this.records.shift()!;
      this.storage.deleteFeatureRecord(ALARM_HISTORY_KIND, oldest.id);
    }
  }

  /** Newest first. */
  newestFirst(): AlarmInfo[] {
    return this.records.map((r) => r.alarm).reverse();
  }

  clear(): number {
    const n = this.records.length;
    for (const r of this.records) this.storage.deleteFeatureRecord(ALARM_HISTORY_KIND, r.id);
    this.records = [];
    return n;
  }
}
