// JSON Schema payload validation (src/server/features/schema-json.ts): drafts by "$schema", formats,
// invalid UTF-8 and non-JSON payloads, and definitions that do not compile (one-line errors).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileJsonSchema } from '../../src/server/features/schema-json.js';
import { isRobustMQError } from '../../src/lib/errors.js';

const reading = JSON.stringify({
  type: 'object',
  required: ['t'],
  properties: { t: { type: 'number' }, at: { type: 'string', format: 'date-time' } },
  additionalProperties: false,
});

const ok = (v: { validate(p: Buffer): string | undefined }, text: string | Buffer) =>
  v.validate(Buffer.isBuffer(text) ? text : Buffer.from(text)) === undefined;

describe('JSON Schema validation', () => {
  it('accepts a matching document and refuses one that does not match (draft 2020-12 by default)', () => {
    const v = compileJsonSchema(reading);
    assert.ok(ok(v, '{"t": 21.5}'));
    assert.ok(ok(v, '{"t": 1, "at": "2025-01-01T00:00:00Z"}'));
    assert.match(v.validate(Buffer.from('{"t": "warm"}'))!, /\/t must be number/);
    assert.match(v.validate(Buffer.from('{}'))!, /must have required property 't'/);
    assert.ok(!ok(v, '{"t": 1, "x": 2}'), 'additionalProperties');
    assert.ok(!ok(v, '{"t": 1, "at": "yesterday"}'), 'format date-time is checked');
  });

  it('refuses payloads that are not JSON, not UTF-8, or empty', () => {
    const v = compileJsonSchema('{}');
    assert.ok(ok(v, '[1,2]'));
    assert.equal(v.validate(Buffer.from('{"t":')), 'payload is not JSON');
    assert.equal(v.validate(Buffer.alloc(0)), 'payload is not JSON');
    assert.equal(v.validate(Buffer.from([0x22, 0xff, 0x22])), 'payload is not valid UTF-8');
  });

  it('follows "$schema": draft-07 (dependencies) and 2020-12 (prefixItems)', () => {
    const d7 = compileJsonSchema(
      JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', dependencies: { a: ['b'] } }),
    );
    assert.ok(ok(d7, '{"a":1,"b":2}'));
    assert.ok(!ok(d7, '{"a":1}'));
    const d2020 = compileJsonSchema(
      JSON.stringify({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'array',
        prefixItems: [{ type: 'string' }],
      }),
    );
    assert.ok(ok(d2020, '["x", 1]'));
    assert.ok(!ok(d2020, '[1]'));
    const never = compileJsonSchema('false');
    assert.ok(!ok(never, '{}'), 'the schema false refuses everything');
  });

  it('refuses definitions that are not a valid schema, with a one-line reason', () => {
    for (const [definition, reason] of [
      ['{"type": "objekt"}', /invalid JSON schema: .*type/],
      ['{"type": ', /not JSON/],
      ['[1]', /is an object/],
      ['{"$schema": "http://json-schema.org/draft-04/schema#"}', /not supported/],
      ['{"$ref": "#/$defs/missing"}', /invalid JSON schema/],
    ] as const) {
      assert.throws(
        () => compileJsonSchema(definition),
        (err: unknown) =>
          isRobustMQError(err) &&
          err.code === 'RMQ_ERR_INVALID_ARGUMENT' &&
          reason.test(err.message) &&
          !err.message.includes('\n'),
        definition,
      );
    }
  });

  it('two schemas with the same $id do not collide', () => {
    const a = compileJsonSchema(JSON.stringify({ $id: 'https://example.com/reading', type: 'string' }));
    const b = compileJsonSchema(JSON.stringify({ $id: 'https://example.com/reading', type: 'number' }));
    assert.ok(ok(a, '"s"') && !ok(a, '1'));
    assert.ok(ok(b, '1') && !ok(b, '"s"'));
  });
});
