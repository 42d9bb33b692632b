// Which worker process owns a client id, and reading that id from the first bytes of a connection
// (the primary reads only as far as the CONNECT's Client Identifier, then hands the socket over).
// A session, its takeover and its will live in the one worker its client id hashes to.

/** FNV-1a over the UTF-16 code units: stable across processes and restarts, and cheap. */
export function hashClientId(clientId: string): number {
  let h = 2166136261;
  for (let i = 0; i < clientId.length; i++) {
    h ^= clientId.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function ownerOf(clientId: string, workers: number): number {
  return hashClientId(clientId) % workers;
}

export type ConnectPeek =
  /** The bytes up to the client id have not all arrived yet. */
  | { kind: 'partial' }
  /** A CONNECT whose client id could be read ('' when the client asks the server to assign one). */
  | { kind: 'connect'; clientId: string }
  /** Not a CONNECT the primary can read: a worker answers it (with the right reason code) and closes it. */
  | { kind: 'other' };

/**
 * Reads the Client Identifier of a CONNECT at the start of `buf` without validating the rest
 * (the worker's full parser does that): fixed header, protocol name, level, flags, keep alive,
 * v5 properties, then the identifier [MQTT-3.1.3-3].
 */
export function peekConnect(buf: Buffer): ConnectPeek {
  if (buf.length === 0) return { kind: 'partial' };
  if (buf[0] !== 0x10) return { kind: 'other' };
  // Remaining Length: at most four bytes [MQTT-1.5.5]
  let remaining = 0;
  let mul = 1;
  let pos = 1;
  for (;;) {
    if (pos >= buf.length) return { kind: 'partial' };
    if (pos > 4) return { kind: 'other' };
    const b = buf[pos++]!;
    remaining += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) break;
  }
  // only the bytes up to the client id are needed: the rest (will, credentials) may still be coming
  const end = pos + remaining;
  const PARTIAL = 1;
  const BAD = 2;
  /** A string at `at`: [text, next position], or PARTIAL (not all here yet) or BAD (past the packet). */
  const str = (at: number): [string, number] | typeof PARTIAL | typeof BAD => {
    if (at + 2 > end) return BAD;
    if (at + 2 > buf.length) return PARTIAL;
    const len = buf.readUInt16BE(at);
    if (at + 2 + len > end) return BAD;
    if (at + 2 + len > buf.length) return PARTIAL;
    return [buf.toString('utf8', at + 2, at + 2 + len), at + 2 + len];
  };
  const name = str(pos);
  if (name === PARTIAL) return { kind: 'partial' };
  if (name === BAD) return { kind: 'other' };
  pos = name[1];
  if (pos + 4 > end) return { kind: 'other' };
  if (pos + 4 > buf.length) return { kind: 'partial' };
  const level = buf[pos]!;
  pos += 4; // level, flags, keep alive
  if (level === 5) {
    let propLen = 0;
    let m = 1;
    for (let i = 0; ; i++) {
      if (i === 4 || pos >= end) return { kind: 'other' };
      if (pos >= buf.length) return { kind: 'partial' };
      const b = buf[pos++]!;
      propLen += (b & 0x7f) * m;
      m *= 128;
      if ((b & 0x80) === 0) break;
    }
    pos += propLen;
  }
  const id = str(pos);
  if (id === PARTIAL) return { kind: 'partial' };
  if (id === BAD) return { kind: 'other' };
  return { kind: 'connect', clientId: id[0] };
}
