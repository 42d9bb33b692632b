// For the authentication tests: one raw CONNECT and the CONNACK's code (v5 Reason Code, 3.1.1 return
// code), and a pino logger whose lines the test reads.
import { Writable } from 'node:stream';
import type { IConnackPacket } from 'mqtt-packet';
import pino, { type Logger } from 'pino';
import { uniqueId } from './clients.js';
import { connectPacket, RawClient } from './raw-client.js';

/** CONNECT with `extra` fields (username, password as a Buffer, clientId, ...); the CONNACK's code. */
export async function connackCode(port: number, v: 3 | 4 | 5, extra: Record<string, unknown> = {}): Promise<number> {
  const c = await RawClient.open(port, v);
  c.write(connectPacket(uniqueId('auth'), v, extra), v);
  try {
    const ack = await c.next<IConnackPacket>('connack');
    return (v === 5 ? ack.reasonCode : ack.returnCode)!;
  } finally {
    c.close();
  }
}

/** What a refusal is on each protocol level: bad credentials (0x86 / 4) or not authorized (0x87 / 5). */
export const BAD_CREDENTIALS = { 3: 4, 4: 4, 5: 0x86 } as const;
export const NOT_AUTHORIZED = { 3: 5, 4: 5, 5: 0x87 } as const;

/** A logger at `level` whose JSON lines land in `lines`. */
export function capturingLogger(level = 'info'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: pino({ level }, sink), lines };
}

/** A code as a test title shows it: v5 in hex (0x86), 3.1.1 as "rc 4". */
export function shownCode(v: 3 | 4 | 5, table: Record<3 | 4 | 5, number>): string {
  return v === 5 ? `0x${table[v].toString(16)}` : `rc ${table[v]}`;
}
