// Splits a byte stream into whole MQTT control packets (fixed header + remaining length) before
// anything parses them, so oversize packets are refused as soon as their header arrives
// [MQTT-3.2.2-?, Maximum Packet Size] and a bad Remaining Length is caught here.

export type FrameError = 'malformed-length' | 'too-large';

export interface FrameSink {
  onFrame(frame: Buffer): void;
  onFrameError(kind: FrameError, size?: number): void;
}

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Total size of the frame being collected, once its header is known. */
  private want = -1;
  private failed = false;

  constructor(
    private maxPacketSize: number,
    private readonly sink: FrameSink,
  ) {}

  setMaxPacketSize(n: number): void {
    this.maxPacketSize = n;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    let buf: Buffer;
    if (this.buffered === 0) {
      buf = chunk;
    } else {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.want > 0 && this.buffered < this.want) return;
      buf = Buffer.concat(this.chunks, this.buffered);
      this.chunks = [];
      this.buffered = 0;
    }
    this.want = -1;
    let off = 0;
    const len = buf.length;
    while (off < len && !this.failed) {
      // fixed header: 1 byte type/flags + 1..4 bytes Remaining Length (variable byte integer)
      let remaining = 0;
      let mult = 1;
      let i = off + 1;
      let complete = false;
      for (let n = 0; n < 4 && i < len; n++, i++) {
        const b = buf[i]!;
        remaining += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
        if (n === 3) {
          this.fail('malformed-length');
          return;
        }
      }
      if (!complete) break; // header not all here yet
      const total = i - off + remaining;
      if (total > this.maxPacketSize) {
        this.fail('too-large', total);
        return;
      }
      if (off + total > len) {
        this.want = total;
        break;
      }
      this.sink.onFrame(buf.subarray(off, off + total));
      off += total;
    }
    if (off < len && !this.failed) {
      const rest = buf.subarray(off);
      this.chunks = [rest];
      this.buffered = rest.length;
    }
  }

  private fail(kind: FrameError, size?: number): void {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    this.sink.onFrameError(kind, size);
  }
}

/** Offset of the variable header inside a whole frame. */
export function variableHeaderOffset(frame: Buffer): number {
  let i = 1;
  while (i < 5 && (frame[i]! & 0x80) !== 0) i++;
  return i + 1;
}
