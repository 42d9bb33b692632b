// How sessions, subscriptions and retained messages are shown to people: the columns of their
// tables and the records of describe/get (JSON and YAML print the documents as they are).
import type { ClientSubscriptionInfo, RetainedMessage, SessionDetail, SubscriptionInfo } from '../admin-api.js';
import { mqttVersionText, renderRecord, renderTable, type Column } from './render.js';

const NEVER_EXPIRES = 4_294_967_295;

export function expiryText(seconds: number): string {
  return seconds === NEVER_EXPIRES ? 'never' : `${seconds} s`;
}

export function timeText(ms: number): string {
  return ms === 0 ? '' : new Date(ms).toISOString();
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export const subscriptionColumns: Column<SubscriptionInfo>[] = [
  { header: 'filter', value: (s) => s.filter },
  { header: 'qos', value: (s) => s.qos },
  { header: 'no local', value: (s) => yesNo(s.noLocal) },
  { header: 'retain as published', value: (s) => yesNo(s.retainAsPublished) },
  { header: 'retain handling', value: (s) => s.retainHandling },
  { header: 'id', value: (s) => s.subscriptionId || '' },
];

export const clientSubscriptionColumns: Column<ClientSubscriptionInfo>[] = [
  { header: 'client id', value: (s) => s.clientId },
  ...(subscriptionColumns as Column<ClientSubscriptionInfo>[]),
];

export function renderSession(d: SessionDetail, color: boolean): string {
  const s = d.session;
  const record = renderRecord(
    [
      ['client id', s.clientId],
      ['connected', yesNo(s.connected)],
      ['mqtt', mqttVersionText(s.protocolVersion)],
      ['session expiry', expiryText(s.expiryIntervalS)],
      ['disconnected at', timeText(s.disconnectedAtMs) || '-'],
      ['expires at', s.connected ? '-' : timeText(s.expiresAtMs) || 'never'],
      ['queued', s.queued],
      ['inflight', s.inflight],
      ['awaiting PUBREL', d.awaitingRelease],
      ['will pending', yesNo(d.willPending)],
      ['node', s.node],
    ],
    color,
  );
  if (d.subscriptions.length === 0) return `${record}\nno subscriptions`;
  return `${record}\n${renderTable(d.subscriptions, subscriptionColumns, color)}`;
}

/** Payloads longer than this are cut in the table (--json prints them whole). */
const PAYLOAD_SHOWN = 2000;

/** The payload row of a message record (retained or delayed): cut after PAYLOAD_SHOWN characters. */
export function payloadField(m: Pick<RetainedMessage, 'payload' | 'payloadEncoding'>): [string, string] {
  const payload =
    m.payload.length > PAYLOAD_SHOWN ? `${m.payload.slice(0, PAYLOAD_SHOWN)}... (cut; --json for all)` : m.payload;
  return [m.payloadEncoding === 'utf8' ? 'payload' : 'payload (base64)', payload];
}

/** The rows of the v5 properties a message record has (those set only). */
export function propertyFields(p: RetainedMessage['properties']): [string, string][] {
  const fields: [string, string][] = [];
  if (p.payloadFormatIndicator) fields.push(['payload format', 'UTF-8 text (1)']);
  if (p.messageExpiryIntervalS) fields.push(['message expiry', `${p.messageExpiryIntervalS} s`]);
  if (p.contentType) fields.push(['content type', p.contentType]);
  if (p.responseTopic) fields.push(['response topic', p.responseTopic]);
  if (p.correlationData) fields.push(['correlation data (base64)', p.correlationData]);
  for (const u of p.userProperties) fields.push([`user property ${u.key}`, u.value]);
  return fields;
}

export function renderRetained(m: RetainedMessage, color: boolean): string {
  const fields: [string, string | number][] = [
    ['topic', m.topic],
    ['qos', m.qos],
    ['payload bytes', m.payloadBytes],
    payloadField(m),
    ['stored at', timeText(m.storedAtMs)],
    ['expires at', timeText(m.expiresAtMs) || 'never'],
    ['publisher', m.origin],
  ];
  fields.push(...propertyFields(m.properties));
  return renderRecord(fields, color);
}
