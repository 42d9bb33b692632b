// Avro payload validation (src/server/features/schema-avro.ts): one datum in the binary encoding,
// truncated and trailing bytes refused, enum and union indexes checked, 64-bit longs accepted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { compileAvroSchema } from '../../src/server/features/schema-avro.js';
import { isRobustMQError } from '../../src/lib/errors.js';

const schema = {
  type: 'record',
  name: 'Reading',
  namespace: 'sensors',
  fields: [
    { name: 'id', type: 'string' },
    { name: 't', type: 'double' },
    { name: 'seq', type: 'long' },
    { name: 'unit', type: { type: 'enum', name: 'Unit', symbols: ['C', 'F'] } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
const type = avro.Type.forSchema(schema as avro.Schema);
const valid = type.toBuffer({ id: 's1', t: 21.5, seq: 7, unit: 'C', note: null });

describe('Avro validation', () => {
  const v = compileAvroSchema(JSON.stringify(schema));

  it('accepts a binary datum of the schema', () => {
    assert.equal(v.validate(valid), undefined);
    assert.equal(v.validate(type.toBuffer({ id: '', t: -1, seq: 0, unit: 'F', note: 'x' })), undefined);
  });

  it('refuses a truncated datum and bytes after it', () => {
    for (let n = 0; n < valid.length; n++) {
      assert.match(v.validate(valid.subarray(0, n)) ?? 'accepted', /truncated|invalid/, `cut at ${n}`);
    }
    assert.match(v.validate(Buffer.concat([valid, Buffer.from([0])]))!, /trailing data/);
  });

  it('refuses an enum index and a union branch out of range', () => {
    const enumAt = valid.length - 2; // unit, then the union index of note
    const badEnum = Buffer.from(valid);
    badEnum[enumAt] = 8; // zigzag 4: no fifth symbol
    assert.match(v.validate(badEnum)!, /enum/);
    const badUnion = Buffer.from(valid);
    badUnion[valid.length - 1] = 6; // branch 3 of a two-branch union
    assert.ok(v.validate(badUnion) !== undefined);
  });

  it('accepts longs beyond 2^53 (read as BigInt)', () => {
    const big = Buffer.concat([
      Buffer.from([4, 0x73, 0x31]), // "s1"
      Buffer.alloc(8), // t = 0
      Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // 2^63 - 1
      Buffer.from([0, 0]),
    ]);
    assert.equal(v.validate(big), undefined);
  });

  it('does not take the JSON encoding', () => {
    assert.ok(v.validate(Buffer.from(JSON.stringify({ id: 's1', t: 1, seq: 1, unit: 'C', note: null }))) !== undefined);
  });

  it('refuses definitions that are not a valid Avro schema, with a one-line reason', () => {
    for (const [definition, reason] of [
      ['{"type":"record","name":"R","fields":[{"name":"a","type":"lng"}]}', /undefined type name: lng/],
      ['{"type":"record","name":"R","fields":[{"name":"a","type":"long","default":"x"}]}', /default/],
      ['not json', /not JSON/],
    ] as const) {
      assert.throws(
        () => compileAvroSchema(definition),
        (err: unknown) => isRobustMQError(err) && err.code === 'RMQ_ERR_INVALID_ARGUMENT' && reason.test(err.message),
        definition,
      );
    }
  });
});
