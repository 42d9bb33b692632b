// A message payload as JSON text: the UTF-8 text itself when the bytes are valid UTF-8, else base64,
// with the encoding named next to it. Shared by `message subscribe --json` and the ReadMessages admin
// call, so scripts read both the same way.

export type PayloadEncoding = 'utf8' | 'base64';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function payloadAsText(payload: Uint8Array): { payload: string; payloadEncoding: PayloadEncoding } {
  try {
    return { payload: strictUtf8.decode(payload), payloadEncoding: 'utf8' };
  } catch {
    return { payload: Buffer.from(payload).toString('base64'), payloadEncoding: 'base64' };
  }
}
