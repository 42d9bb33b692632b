// Avro payload validation with avsc: the payload is one datum in Avro's binary encoding (what EMQX's
// schema registry decodes), decoded with `type.fromBuffer`, which refuses a truncated datum, bytes
// left over after it, an enum index or union branch out of range. Not accepted: Avro's JSON
// encoding, object container files ("Obj\x01" header) and Confluent's 5-byte framing: a producer
// sends the bare binary datum. `long` is read as a BigInt, so values beyond 2^53 are valid (avsc's
// default long type would refuse them as a loss of precision). Not checked: UTF-8 in `string`
// values (avsc decodes them leniently) and over-long varints.
import avro from 'avsc';
import { invalidDefinition, oneLine, type PayloadValidator } from './schema-payload.js';

/** Avro `long` as a BigInt: every 64-bit value decodes. */
const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

export function compileAvroSchema(definition: string): PayloadValidator {
  let schema: unknown;
  try {
    schema = JSON.parse(definition);
  } catch (err) {
    throw invalidDefinition('Avro', `the definition is not JSON: ${(err as Error).message}`);
  }
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(schema as avro.Schema, { registry: { long: bigintLong } });
  } catch (err) {
    throw invalidDefinition('Avro', err);
  }
  return {
    validate(payload: Buffer): string | undefined {
      try {
        type.fromBuffer(payload);
        return undefined;
      } catch (err) {
        return oneLine(`not a ${type.name ?? type.typeName} datum: ${(err as Error).message}`);
      }
    },
  };
}
