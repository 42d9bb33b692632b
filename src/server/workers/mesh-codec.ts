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

/** Bytes of a forwarded PUBLISH frame, and the parts of it that are strings, measured once. */
export interface PublishSizes {
  total: number;
  origin: number;
  topic: number;
  props: string | null;
  propsLen: number;
}

export function publishFrameSize(fwd: ForwardedPublish): PublishSizes {
  const m = fwd.message;
  const origin = Buffer.byteLength(m.origin);
  const topic = Buffer.byteLength(m.topic);
  const props = m.properties === undefined ? null : encodeProperties(m.properties);
  const propsLen = props === null ? 0 : Buffer.byteLength(props);
  let groupsLen = 2;
  for (const g of fwd.groups) groupsLen += 2 + Buffer.byteLength(g);
  const body = 1 + 1 + 1 + 1 + 8 + 8 + 2 + origin + 2 + topic + 4 + propsLen + groupsLen + m.payload.length;
  return { total: 4 + body, origin, topic, props, propsLen };
}

/** Writes the whole frame (payload included) at `b[at]`; `b` must have `sizes.total` bytes there. */
export function writePublishFrame(b: Buffer, at: number, fwd: ForwardedPublish, sizes: PublishSizes): void {
  const m = fwd.message;
  b.writeUInt32BE(sizes.total - 4, at);
  let p = at + 4;
  b[p++] = FrameType.PUBLISH;
  b[p++] = fwd.flags;
  b[p++] = m.qos;
  b[p++] = m.retain ? 1 : 0;
  b.writeDoubleBE(m.timestamp, p);
  p += 8;
  b.writeDoubleBE(m.expiresAt ?? NaN, p);
  p += 8;
  b.writeUInt16BE(sizes.origin, p);
  p += 2;
  if (sizes.origin > 0) p += b.write(m.origin, p, 'utf8');
  b.writeUInt16BE(sizes.topic, p);
  p += 2;
  p += b.write(m.topic, p, 'utf8');
  b.writeUInt32BE(sizes.props === null ? NO_PROPERTIES : sizes.propsLen, p);
  p += 4;
  if (sizes.props !== null) p += b.write(sizes.props, p, 'utf8');
  b.writeUInt16BE(fwd.groups.length, p);
  p += 2;
  for (const g of fwd.groups) {
    const len = Buffer.byteLength(g);
    b.writeUInt16BE(len, p);
    p += 2;
    p += b.write(g, p, 'utf8');
  }
  m.payload.copy(b, p);
}

/** A forwarded PUBLISH as one Buffer of its own. */
export function encodePublish(fwd: ForwardedPublish): Buffer {
  const sizes = publishFrameSize(fwd);
  const b = Buffer.allocUnsafe(sizes.total);
  writePublishFrame(b, 0, fwd, sizes);
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

/**
 * Splits a byte stream into frames. A frame split over reads is completed with only the bytes it
 * needs (the rest of a 64 KiB read is not copied along), and its parts are joined once.
 */
export class FrameSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Length of the pending frame with its 4-byte prefix, once the prefix is known; else -1. */
  private need = -1;

  push(chunk: Buffer, onFrame: (frame: MeshFrame) => void): void {
    let p = 0;
    if (this.partBytes > 0) {
      if (this.need < 0) {
        const take = Math.min(4 - this.partBytes, chunk.length);
        this.parts.push(chunk.subarray(0, take));
        this.partBytes += take;
        p = take;
        if (this.partBytes < 4) return;
        const head = Buffer.concat(this.parts, 4);
        this.parts = [head];
        this.need = 4 + head.readUInt32BE(0);
      }
      const take = Math.min(this.need - this.partBytes, chunk.length - p);
      this.parts.push(chunk.subarray(p, p + take));
      this.partBytes += take;
      p += take;
      if (this.partBytes < this.need) {
        // keep copies: the parts must not pin whole read buffers while a large frame arrives
        const last = this.parts.length - 1;
        this.parts[last] = Buffer.from(this.parts[last]!);
        return;
      }
      const frame = Buffer.concat(this.parts, this.need);
      this.parts = [];
      this.partBytes = 0;
      this.need = -1;
      onFrame(decodeFrame(frame, 4, frame.length));
    }
    while (chunk.length - p >= 4) {
      const len = chunk.readUInt32BE(p);
      if (chunk.length - p - 4 < len) break;
      onFrame(decodeFrame(chunk, p + 4, p + 4 + len));
      p += 4 + len;
    }
    if (p < chunk.length) {
      this.parts = [Buffer.from(chunk.subarray(p))];
      this.partBytes = chunk.length - p;
      this.need = this.partBytes >= 4 ? 4 + chunk.readUInt32BE(p) : -1;
    }
  }
}
