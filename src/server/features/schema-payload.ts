// What every kind of schema (schema-json.ts, schema-avro.ts, schema-protobuf.ts) turns its
// definition into: a validator of PUBLISH payloads, compiled once when the schema is created or
// loaded. The definition errors they raise are one line each (the CLI prints them as they are).
import { RobustMQError } from '../../lib/errors.js';

export interface PayloadValidator {
  /** undefined when the payload is valid; else why not, in one line (for the debug log). */
  validate(payload: Buffer): string | undefined;
}

/** A definition that cannot be compiled: RMQ_ERR_INVALID_ARGUMENT (gRPC INVALID_ARGUMENT, REST 400). */
export function invalidDefinition(kind: string, why: unknown): RobustMQError {
  const text = why instanceof Error ? why.message : String(why);
  return new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `invalid ${kind} schema: ${oneLine(text)}`);
}

/** Whitespace runs (newlines included) as one space, at most 500 characters. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 497)}...` : flat;
}
