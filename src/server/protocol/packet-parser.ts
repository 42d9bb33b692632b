// Parses whole non-PUBLISH frames with mqtt-packet. One parser per set of settings (protocol
// version, bridge mode), shared by every connection, instead of one per connection: a parser holds
// a Duplex stream and its buffers, and a frame reaches it whole and leaves it whole, so no
// connection can leave state behind. A parser that failed, or kept bytes, is replaced.
import mqtt, { type Packet, type Parser } from 'mqtt-packet';

/** What a parser must know of a connection: taken from its CONNECT. */
export interface ParserSettings {
  protocolVersion: number;
  bridgeMode?: boolean;
}

const interned = new Map<string, ParserSettings>();

/** One shared settings object per (version, bridge mode), instead of one per connection. */
export function parserSettingsFor(protocolVersion: number, bridgeMode: boolean | undefined): ParserSettings {
  const key = `${protocolVersion}:${bridgeMode ? 1 : 0}`;
  let s = interned.get(key);
  if (!s) interned.set(key, (s = Object.freeze({ protocolVersion, bridgeMode: bridgeMode === true })));
  return s;
}

let parsed: Packet | null = null;
let failure: Error | null = null;
const parsers = new Map<string, Parser>();

function make(settings: ParserSettings | undefined): Parser {
  const p = mqtt.parser(settings && { ...settings });
  p.on('packet', (x: Packet) => (parsed = x));
  p.on('error', (e: Error) => (failure = e));
  return p;
}

/** Parses one whole frame. `settings` is undefined for a CONNECT, which carries them itself. */
export function parseWholeFrame(
  frame: Buffer,
  settings: ParserSettings | undefined,
): { packet: Packet | null; error: Error | null } {
  const key = settings ? `${settings.protocolVersion}:${settings.bridgeMode ? 1 : 0}` : 'connect';
  let parser = parsers.get(key);
  if (!parser) parsers.set(key, (parser = make(settings)));
  parsed = null;
  failure = null;
  try {
    parser.parse(frame);
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
  }
  const out = { packet: parsed as Packet | null, error: failure as Error | null };
  const p = parser as unknown as { _list: { length: number }; settings: object };
  if (out.error || !out.packet || p._list.length > 0) {
    parsers.delete(key);
  } else if (key === 'connect') {
    // a CONNECT makes its parser take that packet as its settings: forget them for the next one
    p.settings = {};
  }
  parsed = null;
  failure = null;
  return out;
}
