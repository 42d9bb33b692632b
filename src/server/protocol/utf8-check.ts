// mqtt-packet decodes strings leniently (bad bytes become U+FFFD), but ill-formed UTF-8 must close
// the connection [MQTT-1.5.4-1]. A decoded string with U+FFFD is checked against the raw frame, or
// the strings are read again at their exact places in the frame (CONNECT, SUBSCRIBE, UNSUBSCRIBE).
import { isUtf8 } from 'node:buffer';
import { variableHeaderOffset } from './frame-reader.js';

export function hasNul(strings: Array<string | undefined>): boolean {
  return strings.some((s) => s !== undefined && s.includes('\u0000'));
}

/**
 * The UTF-8 strings of a frame that mqtt-packet has already parsed, read at their exact places,
 * so that ill-formed bytes are never mistaken for the same text elsewhere in the frame
 * [MQTT-1.5.4-1] [MQTT-1.5.4-2]. Returns false on an ill-formed string or U+0000.
 */
export function connectStringsWellFormed(frame: Buffer, v5: boolean): boolean {
  const r = new FieldReader(frame, variableHeaderOffset(frame));
  r.skipBinary(); // protocol name, checked by the caller
  r.skip(1); // level
  const flags = r.byte();
  r.skip(2); // keep alive
  if (v5 && !r.properties()) return false;
  if (!r.string()) return false; // client identifier
  if (flags & 0x04) {
    if (v5 && !r.properties()) return false; // will properties
    if (!r.string()) return false; // will topic
    r.skipBinary(); // will payload
  }
  if (flags & 0x80 && !r.string()) return false; // user name
  if (flags & 0x40) r.skipBinary(); // password
  // nothing may follow the last field the flags announce
  return r.off === frame.length;
}

/** Topic filters of SUBSCRIBE (each followed by an options byte) or UNSUBSCRIBE. */
export function filterStringsWellFormed(frame: Buffer, v5: boolean, withOptions: boolean): boolean {
  const r = new FieldReader(frame, variableHeaderOffset(frame) + 2); // after the packet identifier
  if (v5 && !r.properties()) return false;
  while (r.off < frame.length) {
    if (!r.string()) return false;
    if (withOptions) r.skip(1);
  }
  return true;
}

const PROPERTY_KINDS = new Map<number, 1 | 2 | 4 | 'varint' | 'string' | 'binary' | 'pair'>([
  ...[0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2a].map((id) => [id, 1] as const),
  ...[0x13, 0x21, 0x22, 0x23].map((id) => [id, 2] as const),
  ...[0x02, 0x11, 0x18, 0x27].map((id) => [id, 4] as const),
  [0x0b, 'varint'] as const,
  ...[0x03, 0x08, 0x12, 0x15, 0x1a, 0x1c, 0x1f].map((id) => [id, 'string'] as const),
  ...[0x09, 0x16].map((id) => [id, 'binary'] as const),
  [0x26, 'pair'] as const,
]);

class FieldReader {
  constructor(
    private readonly buf: Buffer,
    public off: number,
  ) {}

  byte(): number {
    return this.buf[this.off++] ?? 0;
  }

  skip(n: number): void {
    this.off += n;
  }

  skipBinary(): void {
    this.off += 2 + (this.off + 2 <= this.buf.length ? this.buf.readUInt16BE(this.off) : 0);
  }

  private varInt(): number {
    let value = 0;
    let mult = 1;
    for (let n = 0; n < 4; n++) {
      const b = this.byte();
      value += (b & 0x7f) * mult;
      mult *= 128;
      if ((b & 0x80) === 0) break;
    }
    return value;
  }

  /** Walks a v5 property list; false when a string property is ill-formed (MQTT 5.0 table 2-4). */
  properties(): boolean {
    const length = this.varInt(); // read first: it moves `off` past the length bytes
    const end = this.off + length;
    if (end > this.buf.length) return false;
    while (this.off < end) {
      const id = this.byte();
      const kind = PROPERTY_KINDS.get(id);
      if (kind === undefined) {
        this.off = end; // unknown ids are refused by the codec itself
        break;
      }
      if (kind === 'string') {
        if (!this.string()) return false;
      } else if (kind === 'pair') {
        if (!this.string() || !this.string()) return false;
      } else if (kind === 'binary') this.skipBinary();
      else if (kind === 'varint') this.varInt();
      else this.skip(kind);
    }
    this.off = end;
    return true;
  }

  /** Reads a string; false when it is ill-formed UTF-8, contains U+0000 or runs past the frame. */
  string(): boolean {
    if (this.off + 2 > this.buf.length) return false;
    const len = this.buf.readUInt16BE(this.off);
    const start = this.off + 2;
    this.off = start + len;
    if (this.off > this.buf.length) return false;
    const bytes = this.buf.subarray(start, this.off);
    return isUtf8(bytes) && !bytes.includes(0);
  }
}
