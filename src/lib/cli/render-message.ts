// How messages are shown: a PUBLISH that `message subscribe --json` received, as one JSON object
// (NDJSON, one per line), and a page of a topic log that `message read` got, as a table for people.
import type { IPublishPacket } from 'mqtt';
import type { MessagePage, TopicMessage } from '../admin-api.js';
import { payloadAsText, type PayloadEncoding } from '../payload-text.js';
import { renderTable } from './render.js';

export interface ReceivedMessage {
  topic: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  payload: string;
  payloadEncoding: PayloadEncoding;
  payloadBytes: number;
  /** The MQTT 5 properties the message arrived with (only those present; userProperties always). */
  properties: {
    userProperties: { key: string; value: string }[];
    payloadFormatIndicator?: number;
    contentType?: string;
    responseTopic?: string;
    /** Base64. */
    correlationData?: string;
    /** Seconds left, as the broker forwarded it. */
    messageExpiryInterval?: number;
    subscriptionIdentifiers?: number[];
  };
}

export function receivedMessage(packet: IPublishPacket): ReceivedMessage {
  const p = packet.properties ?? {};
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const userProperties: { key: string; value: string }[] = [];
  for (const [key, v] of Object.entries(p.userProperties ?? {})) {
    for (const value of Array.isArray(v) ? v : [v]) userProperties.push({ key, value: String(value) });
  }
  const ids = p.subscriptionIdentifier;
  return {
    topic: packet.topic,
    qos: packet.qos,
    retain: packet.retain,
    dup: packet.dup,
    ...payloadAsText(payload),
    payloadBytes: payload.length,
    properties: {
      userProperties,
      ...(p.payloadFormatIndicator !== undefined ? { payloadFormatIndicator: p.payloadFormatIndicator ? 1 : 0 } : {}),
      ...(p.contentType !== undefined ? { contentType: p.contentType } : {}),
      ...(p.responseTopic !== undefined ? { responseTopic: p.responseTopic } : {}),
      ...(p.correlationData !== undefined ? { correlationData: p.correlationData.toString('base64') } : {}),
      ...(p.messageExpiryInterval !== undefined ? { messageExpiryInterval: p.messageExpiryInterval } : {}),
      ...(ids !== undefined ? { subscriptionIdentifiers: Array.isArray(ids) ? ids : [ids] } : {}),
    },
  };
}

const MAX_CELL = 60;

function cell(text: string): string {
  const oneLine = text.replace(/[\r\n\t]/g, ' ');
  return oneLine.length > MAX_CELL ? `${oneLine.slice(0, MAX_CELL - 1)}…` : oneLine;
}

function payloadCell(m: TopicMessage): string {
  return m.payloadEncoding === 'utf8' ? cell(m.payload) : cell(`(base64) ${m.payload}`);
}

/** A page of a topic log: one row per message, then where it stands and the next offset to read. */
export function renderMessagePage(page: MessagePage, color: boolean): string {
  const table = renderTable(
    page.messages,
    [
      { header: 'offset', value: (m) => m.offset },
      { header: 'received at', value: (m) => new Date(m.timestampMs).toISOString() },
      { header: 'qos', value: (m) => m.qos },
      { header: 'client', value: (m) => cell(m.clientId) },
      { header: 'bytes', value: (m) => m.payloadBytes },
      { header: 'payload', value: payloadCell },
      {
        header: 'properties',
        value: (m) => cell(m.properties.userProperties.map((u) => `${u.key}=${u.value}`).join(' ')),
      },
    ],
    color,
  );
  const where = `partition ${page.partition} of "${page.topic}" keeps offsets ${page.firstOffset} to ${page.endOffset - 1}`;
  const next =
    page.nextOffset < page.endOffset
      ? `next page: --offset ${page.nextOffset}`
      : `no more for now (next offset ${page.nextOffset})`;
  return `${table}\n${page.messages.length} message(s); ${page.firstOffset < page.endOffset ? where : `partition ${page.partition} of "${page.topic}" is empty`}; ${next}`;
}
