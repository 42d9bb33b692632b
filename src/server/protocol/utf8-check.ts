// mqtt-packet decodes strings leniently (bad bytes become U+FFFD), but ill-formed UTF-8 must close
// the connection [MQTT-1.5.4-1]. A decoded string with U+FFFD is checked against the raw frame, or
// the strings are read again at their exact places in the frame (CONNECT, SUBSCRIBE, UNSUBSCRIBE).
import { isUtf8 } from 'node:buffer';
import { variableHeaderOffset } from './frame-reader.js';

export function hasIllFormedUtf8(frame: Buffer, strings: Array<string | undefined>): boolean {
  for (const s of strings) {
    if (s === undefined || !s.includes('\ufffd')) continue;
    if (frame.indexOf(Buffer.from(s, 'utf8')) < 0) return true;
  }
  return false;
}

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
  if (v5) r.skipProperties();
  if (!r.string()) return false; // client identifier
  if (flags & 0x04) {
    if (v5) r.skipProperties(); // will properties
    if (!r.string()) return false; // will topic
    r.skipBinary(); // will payload
  }
  if (flags & 0x80 && !r.string()) return false; // user name
  return true;
}

/** Topic filters of SUBSCRIBE (each followed by an options byte) or UNSUBSCRIBE. */
export function filterStringsWellFormed(frame: Buffer, v5: boolean, withOptions: boolean): boolean {
  const r = new FieldReader(frame, variableHeaderOffset(frame) + 2); // after the packet identifier
  if (v5) r.skipProperties();
  while (r.off < frame.length) {
    if (!r.string()) return false;
    if (withOptions) r.skip(1);
  }
  return true;
}

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

  skipProperties(): void {
    let len = 0;
    let mult = 1;
    for (let n = 0; n < 4; n++) {
      const b = this.byte();
      len += (b & 0x7f) * mult;
      mult *= 128;
      if ((b & 0x80) === 0) break;
    }
    this.off += len;
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
