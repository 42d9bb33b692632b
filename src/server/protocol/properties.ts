// Conversions between mqtt-packet's user-property objects and our ordered pairs.
import type { UserProperty } from '../message.js';

export function userPropertiesToPairs(obj: Record<string, string | string[]>): UserProperty[] {
  const out: UserProperty[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (Array.isArray(v)) for (const x of v) out.push([k, String(x)]);
    else out.push([k, String(v)]);
  }
  return out;
}

/**
 * The Will Properties' User Properties of a v5 CONNECT frame, read from the bytes in the order
 * the client sent them: mqtt-packet groups repeated names, which loses the order that the will
 * must keep [MQTT-3.1.3-10]. Call only on a frame mqtt-packet has already parsed; undefined when
 * the frame holds something this reader does not expect.
 */
export function willUserPropertiesInOrder(frame: Buffer): UserProperty[] | undefined {
  let off = 1;
  while (off < 5 && (frame[off]! & 0x80) !== 0) off++;
  off++;
  const u16 = () => {
    const n = frame.readUInt16BE(off);
    off += 2;
    return n;
  };
  const varint = () => {
    let n = 0;
    for (let mult = 1; ; mult *= 128) {
      const b = frame[off++]!;
      n += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) return n;
    }
  };
  const string = () => {
    const len = u16();
    off += len;
    return frame.toString('utf8', off - len, off);
  };
  try {
    const nameLength = u16();
    off += nameLength; // protocol name
    const flags = frame[off + 1]!;
    off += 4; // level, flags, keep alive
    const propertiesLength = varint();
    off += propertiesLength; // CONNECT properties
    const clientIdLength = u16();
    off += clientIdLength; // client identifier
    if ((flags & 0x04) === 0) return undefined;
    const willPropertiesLength = varint();
    const end = off + willPropertiesLength;
    const out: UserProperty[] = [];
    while (off < end) {
      const id = frame[off++]!;
      if (id === 0x26) {
        out.push([string(), string()]);
      } else if (id === 0x01) {
        off += 1;
      } else if (id === 0x02 || id === 0x18) {
        off += 4;
      } else if (id === 0x03 || id === 0x08 || id === 0x09) {
        const len = u16();
        off += len;
      } else {
        return undefined;
      }
    }
    return off === end ? out : undefined;
  } catch {
    return undefined;
  }
}
