// The payload and v5 properties of one stored message as the admin API shows them (retained and
// delayed messages alike): the payload as UTF-8 text when it is valid UTF-8, else base64.
import type { RetainedProperties } from '../../lib/admin-api.js';
import type { Message } from '../message.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function messageBody(m: Message): {
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  properties: RetainedProperties;
} {
  let payload: string;
  let payloadEncoding: 'utf8' | 'base64';
  try {
    payload = utf8.decode(m.payload);
    payloadEncoding = 'utf8';
  } catch {
    payload = m.payload.toString('base64');
    payloadEncoding = 'base64';
  }
  const p = m.properties;
  return {
    payload,
    payloadEncoding,
    properties: {
      payloadFormatIndicator: p?.payloadFormatIndicator ?? 0,
      messageExpiryIntervalS: p?.messageExpiryInterval ?? 0,
      contentType: p?.contentType ?? '',
      responseTopic: p?.responseTopic ?? '',
      correlationData: p?.correlationData?.toString('base64') ?? '',
      userProperties: (p?.userProperties ?? []).map(([key, value]) => ({ key, value })),
    },
  };
}
