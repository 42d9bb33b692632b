// How a topic is shown to people: its settings as a record, and its partitions when described.
import type { TopicInfo } from '../admin-api.js';
import { formatDuration, renderRecord, renderTable } from './render.js';

export function retentionText(t: TopicInfo): string {
  const age = t.retentionMs === 0 ? 'no age limit' : formatDuration(t.retentionMs);
  const size = t.retentionBytes === 0 ? 'no size limit' : `${t.retentionBytes} bytes per partition`;
  return `${age}, ${size}`;
}

export function renderTopic(t: TopicInfo, color: boolean): string {
  const record = renderRecord(
    [
      ['name', t.name],
      ['partitions', t.partitions],
      ['retention', retentionText(t)],
      ['messages', t.messages],
      ['created at', new Date(t.createdAtMs).toISOString()],
    ],
    color,
  );
  if (t.partitionInfo.length === 0) return record;
  const partitions = renderTable(
    t.partitionInfo,
    [
      { header: 'partition', value: (p) => p.partition },
      { header: 'first offset', value: (p) => p.firstOffset },
      { header: 'next offset', value: (p) => p.nextOffset },
      { header: 'messages', value: (p) => p.nextOffset - p.firstOffset },
    ],
    color,
  );
  return `${record}\n${partitions}`;
}
