// The frames worker processes exchange over their Unix-socket links: who I am, which topic
// filters my sessions subscribe to (added, removed), and PUBLISHes forwarded to the workers with
// matching subscribers. Every frame is [u32 length of what follows][u8 type][body].
import type { Message, QoS } from '../message.js';
import { decodeProperties, encodeProperties } from '../storage/record-codec.js';

export const FrameType = {
  HELLO: 1,
  ROUTE_ADD: 2,
  ROUTE_DEL: 3,
  PUBLISH: 4,
  /** Sent after a link's whole route table: the receiver may start. */
  SYNCED: 5,
  /** Answered with PONG once every frame before it is handled: a barrier for route changes. */
  PING: 6,
  PONG: 7,
} as const;

/** Deliver to the receiver's direct (non-shared) subscribers. */
export const FLAG_DIRECT = 1;
/** Apply the message to the receiver's retained store (every worker keeps all retained messages). */
export const FLAG_RETAIN_UPDATE = 2;

export interface ForwardedPublish {
  flags: number;
  /** Shared groups ("$share/{group}/{filter}") this receiver was chosen to deliver to. */
  groups: string[];
  message: Message;
}

export type MeshFrame =
  | { type: typeof FrameType.HELLO; index: number }
  | { type: typeof FrameType.ROUTE_ADD | typeof FrameType.ROUTE_DEL; filter: string }
  | { type: typeof FrameType.SYNCED }
  | { type: typeof FrameType.PING | typeof FrameType.PONG; id: number }
  | ({ type: typeof FrameType.PUBLISH } & ForwardedPublish);

export function encodeHello(index: number): Buffer {
  const b = Buffer.allocUnsafe(7);
  b.writeUInt32BE(3, 0);
  b[4] = FrameType.HELLO;
  b.writeUInt16BE(index, 5);
  return b;
}

export function encodeSynced(): Buffer {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32BE(1, 0);
  b[4] = FrameType.SYNCED;
  return b;
}

export function encodePing(type: typeof FrameType.PING | typeof FrameType.PONG, id: number): Buffer {
  const b = Buffer.allocUnsafe(9);
  b.writeUInt32BE(5, 0);
  b[4] = type;
  b.writeUInt32BE(id, 5);
  return b;
}

export function encodeRoute(type: typeof FrameType.ROUTE_ADD | typeof FrameType.ROUTE_DEL, filter: string): Buffer {
  const len = Buffer.byteLength(filter);
  const b = Buffer.allocUnsafe(5 + len);
  b.writeUInt32BE(1 + len, 0);
  b[4] = type;
  b.write(filter, 5, 'utf8');
  return b;
}

const NO_PROPERTIES = 0xffffffff;

/** The header of a forwarded PUBLISH (everything but the payload, which is written after it as is). */
export function encodePublishHeader(fwd: ForwardedPublish): Buffer {
  const m = fwd.message;
  const origin = Buffer.byteLength(m.origin);
  const topic = Buffer.byteLength(m.topic);
  const props = m.properties === undefined ? null : encodeProperties(m.properties);
  const propsLen = props === null ? 0 : Buffer.byteLength(props);
  let groupsLen = 2;
  for (const g of fwd.groups) groupsLen += 2 + Buffer.byteLength(g);
  const headerLen = 1 + 1 + 1 + 1 + 8 + 8 + 2 + origin + 2 + topic + 4 + propsLen + groupsLen;
  const b = Buffer.allocUnsafe(4 + headerLen);
  b.writeUInt32BE(headerLen + m.payload.length, 0);
  let p = 4;
  b[p++] = FrameType.PUBLISH;
  b[p++] = fwd.flags;
  b[p++] = m.qos;
  b[p++] = m.retain ? 1 : 0;
  b.writeDoubleBE(m.timestamp, p);
  p += 8;
  b.writeDoubleBE(m.expiresAt ?? NaN, p);
  p += 8;
  b.writeUInt16BE(origin, p);
  p = 2 + p + b.write(m.origin, p + 2, 'utf8');
  b.writeUInt16BE(topic, p);
  p = 2 + p + b.write(m.topic, p + 2, 'utf8');
  b.writeUInt32BE(props === null ? NO_PROPERTIES : propsLen, p);
  p += 4;
  if (props !== null) p += b.write(props, p, 'utf8');
  b.writeUInt16BE(fwd.groups.length, p);
  p += 2;
  for (const g of fwd.groups) {
    b.writeUInt16BE(Buffer.byteLength(g), p);
    p = 2 + p + b.write(g, p + 2, 'utf8');
  }
  return b;
}

/** Decodes one frame body (after the length): `buf[start]` is the type byte, `end` is exclusive. */
export function decodeFrame(buf: Buffer, start: number, end: number): MeshFrame {
  const type = buf[start]!;
  let p = start + 1;
  if (type === FrameType.HELLO) return { type: FrameType.HELLO, index: buf.readUInt16BE(p) };
  if (type === FrameType.SYNCED) return { type: FrameType.SYNCED };
  if (type === FrameType.PING || type === FrameType.PONG) return { type, id: buf.readUInt32BE(p) };
  if (type === FrameType.ROUTE_ADD || type === FrameType.ROUTE_DEL) {
    return { type, filter: buf.toString('utf8', p, end) };
  }
  if (type !== FrameType.PUBLISH) throw new Error(`unknown mesh frame type ${type}`);
  const flags = buf[p++]!;
  const qos = buf[p++]! as QoS;
  const retain = buf[p++] === 1;
  const timestamp = buf.readDoubleBE(p);
  p += 8;
  const expires = buf.readDoubleBE(p);
  p += 8;
  const readStr = (): string => {
    const len = buf.readUInt16BE(p);
    const s = buf.toString('utf8', p + 2, p + 2 + len);
    p += 2 + len;
    return s;
  };
  const origin = readStr();
  const topic = readStr();
  const propsLen = buf.readUInt32BE(p);
  p += 4;
  let propsJson: string | null = null;
  if (propsLen !== NO_PROPERTIES) {
    propsJson = buf.toString('utf8', p, p + propsLen);
    p += propsLen;
  }
  const groupCount = buf.readUInt16BE(p);
  p += 2;
  const groups: string[] = [];
  for (let i = 0; i < groupCount; i++) groups.push(readStr());
  // a copy: the read buffer is reused for the next frames, the message outlives it
  const payload = Buffer.allocUnsafe(end - p);
  buf.copy(payload, 0, p, end);
  const message: Message = {
    topic,
    payload,
    qos,
    retain,
    properties: decodeProperties(propsJson),
    origin,
    timestamp,
    expiresAt: Number.isNaN(expires) ? undefined : expires,
    log: undefined,
  };
  return { type: FrameType.PUBLISH, flags, groups, message };
}

/** Splits a byte stream into frames; a frame split over reads is kept until it is whole. */
export class FrameSplitter {
  private pending: Buffer | null = null;

  push(chunk: Buffer, onFrame: (frame: MeshFrame) => void): void {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let p = 0;
    while (buf.length - p >= 4) {
      const len = buf.readUInt32BE(p);
      if (buf.length - p - 4 < len) break;
      onFrame(decodeFrame(buf, p + 4, p + 4 + len));
      p += 4 + len;
    }
    if (p < buf.length) this.pending = buf.subarray(p);
  }
}
