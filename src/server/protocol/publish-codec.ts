// PUBLISH decoding and encoding for the hot path, both protocol levels. The payload is sliced once
// at ingress and written to every subscriber as-is; only header + properties are encoded per
// subscriber. User properties stay an ordered list of pairs [MQTT-3.3.2-18].
import { isUtf8 } from 'node:buffer';
import type { MessageProperties, QoS } from '../message.js';
import { variableHeaderOffset } from './frame-reader.js';
import { RC } from './reason-codes.js';

export interface DecodedPublish {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  packetId: number;
  properties?: MessageProperties;
  topicAlias?: number;
}

export class PacketError extends Error {
  constructor(
    readonly reasonCode: number,
    message: string,
  ) {
    super(message);
  }
}

const malformed = (msg: string): PacketError => new PacketError(RC.MALFORMED_PACKET, msg);
const protocolError = (msg: string): PacketError => new PacketError(RC.PROTOCOL_ERROR, msg);

function readUtf8(buf: Buffer, start: number, end: number, what: string): string {
  // most topics are ASCII: checked byte by byte here, read without making a view of them
  let i = start;
  while (i < end && buf[i]! < 0x80) i++;
  if (i === end) return buf.toString('latin1', start, end);
  const bytes = buf.subarray(start, end);
  if (!isUtf8(bytes)) throw malformed(`${what} is not valid UTF-8`); // [MQTT-1.5.4-1]
  return bytes.toString('utf8');
}

export function decodePublish(frame: Buffer, v5: boolean): DecodedPublish {
  const first = frame[0]!;
  const qos = (first >> 1) & 3;
  const dup = (first & 8) !== 0;
  const retain = (first & 1) !== 0;
  if (qos === 3) throw malformed('PUBLISH with both QoS bits set'); // [MQTT-3.3.1-4]
  if (qos === 0 && dup) throw malformed('DUP flag set on a QoS 0 PUBLISH'); // [MQTT-3.3.1-2]
  let off = variableHeaderOffset(frame);
  const end = frame.length;
  if (off + 2 > end) throw malformed('PUBLISH too short for its topic length');
  const topicLen = frame.readUInt16BE(off);
  off += 2;
  if (off + topicLen > end) throw malformed('PUBLISH topic runs past the packet');
  const topic = readUtf8(frame, off, off + topicLen, 'topic name');
  if (topic.includes('\u0000')) throw malformed('topic name contains U+0000'); // [MQTT-1.5.4-2]
  off += topicLen;
  let packetId = 0;
  if (qos > 0) {
    if (off + 2 > end) throw malformed('PUBLISH too short for its packet identifier');
    packetId = frame.readUInt16BE(off);
    off += 2;
    if (packetId === 0) throw malformed('packet identifier 0'); // [MQTT-2.2.1-3]
  }
  let properties: MessageProperties | undefined;
  let topicAlias: number | undefined;
  if (v5) {
    const [propLen, n] = readVarInt(frame, off, end);
    off += n;
    const propEnd = off + propLen;
    if (propEnd > end) throw malformed('PUBLISH properties run past the packet');
    const seen = new Set<number>();
    while (off < propEnd) {
      const id = frame[off++]!;
      if (id !== 0x26 && seen.has(id)) throw protocolError(`property 0x${id.toString(16)} included twice`);
      seen.add(id);
      properties ??= {};
      switch (id) {
        case 0x01: // Payload Format Indicator
          need(off, 1, propEnd);
          properties.payloadFormatIndicator = frame[off++]!;
          if (properties.payloadFormatIndicator > 1) throw protocolError('payload format indicator must be 0 or 1');
          break;
        case 0x02: // Message Expiry Interval
          need(off, 4, propEnd);
          properties.messageExpiryInterval = frame.readUInt32BE(off);
          off += 4;
          break;
        case 0x23: // Topic Alias
          need(off, 2, propEnd);
          topicAlias = frame.readUInt16BE(off);
          off += 2;
          break;
        case 0x08: {
          const [s, o] = readString(frame, off, propEnd, 'response topic');
          // [MQTT-3.3.2-14] a Response Topic is a topic name: no wildcards
          if (s.includes('+') || s.includes('#')) throw protocolError('response topic contains a wildcard');
          properties.responseTopic = s;
          off = o;
          break;
        }
        case 0x09: {
          need(off, 2, propEnd);
          const l = frame.readUInt16BE(off);
          need(off + 2, l, propEnd);
          properties.correlationData = Buffer.from(frame.subarray(off + 2, off + 2 + l));
          off += 2 + l;
          break;
        }
        case 0x03: {
          const [s, o] = readString(frame, off, propEnd, 'content type');
          properties.contentType = s;
          off = o;
          break;
        }
        case 0x26: {
          const [k, o1] = readString(frame, off, propEnd, 'user property name');
          const [v, o2] = readString(frame, o1, propEnd, 'user property value');
          (properties.userProperties ??= []).push([k, v]);
          off = o2;
          break;
        }
        case 0x0b: // Subscription Identifier: only server -> client [MQTT-3.3.4-6]
          throw protocolError('a client must not send a Subscription Identifier in PUBLISH');
        default:
          throw malformed(`property 0x${id.toString(16)} is not allowed in PUBLISH`);
      }
    }
    if (properties && Object.keys(properties).length === 0) properties = undefined;
  }
  // the payload is copied once here so queued messages do not pin the socket's whole read chunk
  const payload = Buffer.allocUnsafe(end - off);
  frame.copy(payload, 0, off, end);
  if (properties?.payloadFormatIndicator === 1 && !isUtf8(payload)) {
    throw new PacketError(RC.PAYLOAD_FORMAT_INVALID, 'payload is marked UTF-8 but is not'); // [MQTT-3.3.2-4]
  }
  return { topic, payload, qos: qos as QoS, retain, dup, packetId, properties, topicAlias };
}

function need(off: number, n: number, end: number): void {
  if (off + n > end) throw malformed('property runs past the properties');
}

function readString(buf: Buffer, off: number, end: number, what: string): [string, number] {
  need(off, 2, end);
  const l = buf.readUInt16BE(off);
  need(off + 2, l, end);
  const s = readUtf8(buf, off + 2, off + 2 + l, what);
  if (s.includes('\u0000')) throw malformed(`${what} contains U+0000`); // [MQTT-1.5.4-2]
  return [s, off + 2 + l];
}

export function readVarInt(buf: Buffer, off: number, end: number): [number, number] {
  let value = 0;
  let mult = 1;
  for (let n = 0; n < 4; n++) {
    if (off + n >= end) throw malformed('variable byte integer runs past the packet');
    const b = buf[off + n]!;
    value += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) return [value, n + 1];
    mult *= 128;
  }
  throw malformed('variable byte integer longer than 4 bytes');
}

function varIntSize(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

function writeVarInt(buf: Buffer, off: number, n: number): number {
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    buf[off++] = b;
  } while (n > 0);
  return off;
}

export interface OutgoingPublish {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  packetId: number;
  properties?: MessageProperties;
  messageExpiryInterval?: number;
  subscriptionIds?: number[];
  topicAlias?: number;
}

function propertiesSize(p: OutgoingPublish): number {
  let size = 0;
  const props = p.properties;
  if (props) {
    if (props.payloadFormatIndicator !== undefined) size += 2;
    if (props.contentType !== undefined) size += 3 + Buffer.byteLength(props.contentType);
    if (props.responseTopic !== undefined) size += 3 + Buffer.byteLength(props.responseTopic);
    if (props.correlationData !== undefined) size += 3 + props.correlationData.length;
    if (props.userProperties)
      for (const [k, v] of props.userProperties) size += 5 + Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (p.messageExpiryInterval !== undefined) size += 5;
  if (p.topicAlias !== undefined) size += 3;
  if (p.subscriptionIds) for (const id of p.subscriptionIds) size += 1 + varIntSize(id);
  return size;
}

/**
 * Encode everything of a PUBLISH except the payload. Returns the header and the whole packet size.
 * `topic` may be '' when a topic alias stands for it.
 */
export function encodePublishHeader(p: OutgoingPublish, v5: boolean): { header: Buffer; total: number } {
  const topicLen = Buffer.byteLength(p.topic);
  const propLen = v5 ? propertiesSize(p) : 0;
  const remaining = 2 + topicLen + (p.qos > 0 ? 2 : 0) + (v5 ? varIntSize(propLen) + propLen : 0) + p.payload.length;
  const headerLen = 1 + varIntSize(remaining) + remaining - p.payload.length;
  const buf = Buffer.allocUnsafe(headerLen);
  buf[0] = 0x30 | (p.dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0);
  let off = writeVarInt(buf, 1, remaining);
  buf.writeUInt16BE(topicLen, off);
  off += 2;
  off += buf.write(p.topic, off, 'utf8');
  if (p.qos > 0) {
    buf.writeUInt16BE(p.packetId, off);
    off += 2;
  }
  if (v5) {
    off = writeVarInt(buf, off, propLen);
    const props = p.properties;
    if (props?.payloadFormatIndicator !== undefined) {
      buf[off++] = 0x01;
      buf[off++] = props.payloadFormatIndicator;
    }
    if (p.messageExpiryInterval !== undefined) {
      buf[off++] = 0x02;
      buf.writeUInt32BE(p.messageExpiryInterval, off);
      off += 4;
    }
    if (props?.contentType !== undefined) off = writeStr(buf, off, 0x03, props.contentType);
    if (props?.responseTopic !== undefined) off = writeStr(buf, off, 0x08, props.responseTopic);
    if (props?.correlationData !== undefined) {
      buf[off++] = 0x09;
      buf.writeUInt16BE(props.correlationData.length, off);
      off += 2;
      off += props.correlationData.copy(buf, off);
    }
    if (p.subscriptionIds)
      for (const id of p.subscriptionIds) {
        buf[off++] = 0x0b;
        off = writeVarInt(buf, off, id);
      }
    if (p.topicAlias !== undefined) {
      buf[off++] = 0x23;
      buf.writeUInt16BE(p.topicAlias, off);
      off += 2;
    }
    if (props?.userProperties)
      for (const [k, v] of props.userProperties) {
        buf[off++] = 0x26;
        off = writeStr(buf, off, -1, k);
        off = writeStr(buf, off, -1, v);
      }
  }
  return { header: buf, total: headerLen + p.payload.length };
}

function writeStr(buf: Buffer, off: number, id: number, s: string): number {
  if (id >= 0) buf[off++] = id;
  const len = buf.write(s, off + 2, 'utf8');
  buf.writeUInt16BE(len, off);
  return off + 2 + len;
}

/** The size a PUBLISH would have on the wire, to honour the client's Maximum Packet Size. */
export function publishSize(p: OutgoingPublish, v5: boolean): number {
  const topicLen = Buffer.byteLength(p.topic);
  const propLen = v5 ? propertiesSize(p) : 0;
  const remaining = 2 + topicLen + (p.qos > 0 ? 2 : 0) + (v5 ? varIntSize(propLen) + propLen : 0) + p.payload.length;
  return 1 + varIntSize(remaining) + remaining;
}

/** Acks are tiny and frequent: PUBACK/PUBREC/PUBREL/PUBCOMP with an optional reason code. */
export function encodeAck(type: 4 | 5 | 6 | 7, packetId: number, reasonCode = 0, v5 = false): Buffer {
  const withCode = v5 && reasonCode !== 0;
  const buf = Buffer.allocUnsafe(withCode ? 5 : 4);
  buf[0] = (type << 4) | (type === 6 ? 2 : 0); // PUBREL has reserved flags 0010 [MQTT-3.6.1-1]
  buf[1] = withCode ? 3 : 2;
  buf.writeUInt16BE(packetId, 2);
  if (withCode) buf[4] = reasonCode;
  return buf;
}
