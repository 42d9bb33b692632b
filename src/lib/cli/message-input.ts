// What `message publish` sends, from its flags: the payload (text, a file byte for byte, or all of
// stdin) and the MQTT 5 properties (--property k=v as user properties, in the order given).
import { readFile } from 'node:fs/promises';
import type { IPublishPacket } from 'mqtt';
import { RobustMQError } from '../errors.js';

export interface PayloadFlags {
  payload?: string;
  file?: string;
  stdin?: boolean;
  'null-message'?: boolean;
}

export async function readPayload(f: PayloadFlags): Promise<Buffer> {
  if (f.payload !== undefined) return Buffer.from(f.payload, 'utf8');
  if (f.file !== undefined) {
    try {
      return await readFile(f.file);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `cannot read --file ${f.file} (${why})`);
    }
  }
  if (f.stdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  return Buffer.alloc(0); // --null-message
}

export interface PropertyFlags {
  property?: string[];
  'content-type'?: string;
  'message-expiry'?: number;
  'response-topic'?: string;
  'correlation-data'?: string;
}

type PublishProperties = NonNullable<IPublishPacket['properties']>;

/** The PUBLISH properties the flags ask for; undefined when none. Throws for a --property without '='. */
export function publishProperties(f: PropertyFlags): PublishProperties | undefined {
  const props: PublishProperties = {};
  if (f.property?.length) {
    const user: Record<string, string[]> = {};
    for (const kv of f.property) {
      const eq = kv.indexOf('=');
      if (eq < 0) {
        throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `--property must be key=value, got "${kv}"`);
      }
      (user[kv.slice(0, eq)] ??= []).push(kv.slice(eq + 1));
    }
    props.userProperties = user;
  }
  if (f['content-type'] !== undefined) props.contentType = f['content-type'];
  if (f['message-expiry'] !== undefined) props.messageExpiryInterval = f['message-expiry'];
  if (f['response-topic'] !== undefined) props.responseTopic = f['response-topic'];
  if (f['correlation-data'] !== undefined) props.correlationData = Buffer.from(f['correlation-data'], 'utf8');
  return Object.keys(props).length > 0 ? props : undefined;
}
