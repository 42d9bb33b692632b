// How robustmq-cli shows delayed messages: the list table and one message with its payload.
import type { DelayedInfo, DelayedMessage } from '../admin-api.js';
import { renderRecord, renderTable, type Column } from './render.js';
import { payloadField, propertyFields, timeText } from './render-session.js';

export const delayedColumns: Column<DelayedInfo>[] = [
  { header: 'id', value: (m) => m.id },
  { header: 'topic', value: (m) => m.topic },
  { header: 'qos', value: (m) => m.qos },
  { header: 'retain', value: (m) => (m.retain ? 'yes' : 'no') },
  { header: 'bytes', value: (m) => m.payloadBytes },
  { header: 'due at', value: (m) => timeText(m.dueAtMs) },
  { header: 'expires at', value: (m) => timeText(m.expiresAtMs) || 'never' },
  { header: 'publisher', value: (m) => m.origin },
];

export function renderDelayedList(items: readonly DelayedInfo[], color: boolean): string {
  return renderTable(items, delayedColumns, color);
}

export function renderDelayed(m: DelayedMessage, color: boolean): string {
  const fields: [string, string | number][] = [
    ['id', m.id],
    ['topic', m.topic],
    ['qos', m.qos],
    ['retain', m.retain ? 'yes' : 'no'],
    ['payload bytes', m.payloadBytes],
    payloadField(m),
    ['published at', timeText(m.publishedAtMs)],
    ['due at', timeText(m.dueAtMs)],
    ['expires at', timeText(m.expiresAtMs) || 'never'],
    ['publisher', m.origin],
  ];
  fields.push(...propertyFields(m.properties));
  return renderRecord(fields, color);
}
