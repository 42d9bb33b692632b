// How robustmq-cli shows delayed messages: the list table and one message with its payload.
import type { DelayedInfo, DelayedMessage } from '../admin-api.js';
import { renderRecord, renderTable, type Column } from './render.js';
import { timeText } from './render-session.js';

const PAYLOAD_SHOWN = 2000;

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
  const p = m.properties;
  const payload =
    m.payload.length > PAYLOAD_SHOWN ? `${m.payload.slice(0, PAYLOAD_SHOWN)}... (cut; --json for all)` : m.payload;
  const fields: [string, string | number][] = [
    ['id', m.id],
    ['topic', m.topic],
    ['qos', m.qos],
    ['retain', m.retain ? 'yes' : 'no'],
    ['payload bytes', m.payloadBytes],
    [m.payloadEncoding === 'utf8' ? 'payload' : 'payload (base64)', payload],
    ['published at', timeText(m.publishedAtMs)],
    ['due at', timeText(m.dueAtMs)],
    ['expires at', timeText(m.expiresAtMs) || 'never'],
    ['publisher', m.origin],
  ];
  if (p.payloadFormatIndicator) fields.push(['payload format', 'UTF-8 text (1)']);
  if (p.messageExpiryIntervalS) fields.push(['message expiry', `${p.messageExpiryIntervalS} s`]);
  if (p.contentType) fields.push(['content type', p.contentType]);
  if (p.responseTopic) fields.push(['response topic', p.responseTopic]);
  if (p.correlationData) fields.push(['correlation data (base64)', p.correlationData]);
  for (const u of p.userProperties) fields.push([`user property ${u.key}`, u.value]);
  return renderRecord(fields, color);
}
