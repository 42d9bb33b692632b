// mqtt-packet decodes strings leniently (bad bytes become U+FFFD), but ill-formed UTF-8 must close
// the connection [MQTT-1.5.4-1]. A decoded string with U+FFFD is checked against the raw frame, or
// the strings are read again at their exact places in the frame (CONNECT, SUBSCRIBE, UNSUBSCRIBE).
import { isUtf8 } from 'node:buffer';
import type { UserProperty } from '../message.js';
import { variableHeaderOffset } from './frame-reader.js';

export interface ConnectInspection {
  /** False on an ill-formed string, U+0000, or bytes after the last field. */
  ok: boolean;
  /** The will's user properties in the order sent [MQTT-3.1.3-10]: mqtt-packet groups repeated names. */
  willUserProperties: UserProperty[];
}

/**
 * One walk over a CONNECT that mqtt-packet has already parsed: every string is checked at its exact
 * place, so ill-formed bytes are never mistaken for the same text elsewhere in the frame
 * [MQTT-1.5.4-1] [MQTT-1.5.4-2], and the will's user properties are collected in order.
 */
export function inspectConnect(frame: Buffer, v5: boolean): ConnectInspection {
  const willUserProperties: UserProperty[] = [];
  const fail = { ok: false, willUserProperties };
  const r = new FieldReader(frame, variableHeaderOffset(frame));
  r.skipBinary(); // protocol name, checked by the caller
  r.skip(1); // level
  const flags = r.byte();
  r.skip(2); // keep alive
  if (v5 && !r.properties()) return fail;
  if (r.string() === null) return fail; // client identifier
  if (flags & 0x04) {
    if (v5 && !r.properties(willUserProperties)) return fail; // will properties
    if (r.string() === null) return fail; // will topic
    r.skipBinary(); // will payload
  }
  if (flags & 0x80 && r.string() === null) return fail; // user name
  if (flags & 0x40) r.skipBinary(); // password
  // nothing may follow the last field the flags announce
  return { ok: r.off === frame.length, willUserProperties };
}

/** Topic filters of SUBSCRIBE (each followed by an options byte) or UNSUBSCRIBE. */
export function filterStringsWellFormed(frame: Buffer, v5: boolean, withOptions: boolean): boolean {
  const r = new FieldReader(frame, variableHeaderOffset(frame) + 2); // after the packet identifier
  if (v5 && !r.properties()) return false;
  while (r.off < frame.length) {
    if (r.string() === null) return false;
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

  /**
   * Walks a v5 property list (MQTT 5.0 table 2-4); false when a string property is ill-formed.
   * User properties are appended to `userProperties` in order, when given.
   */
  properties(userProperties?: UserProperty[]): boolean {
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
        if (this.string() === null) return false;
      } else if (kind === 'pair') {
        const name = this.string();
        const value = name === null ? null : this.string();
        if (name === null || value === null) return false;
        userProperties?.push([name, value]);
      } else if (kind === 'binary') this.skipBinary();
      else if (kind === 'varint') this.varInt();
      else this.skip(kind);
    }
    this.off = end;
    return true;
  }

  /** Reads a string; null when it is ill-formed UTF-8, contains U+0000 or runs past the frame. */
  string(): string | null {
    if (this.off + 2 > this.buf.length) return null;
    const len = this.buf.readUInt16BE(this.off);
    const start = this.off + 2;
    this.off = start + len;
    if (this.off > this.buf.length) return null;
    const bytes = this.buf.subarray(start, this.off);
    return isUtf8(bytes) && !bytes.includes(0) ? bytes.toString('utf8') : null;
  }
}
