// The [schema] configuration: on_invalid, [schema.schemas.<name>] tables and their checks (fail fast
// at load with the key to change), and docs/configuration.md documenting every key of a schema table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/lib/config.js';
import { SchemaEntrySchema } from '../../src/lib/config-schema.js';
import { isRobustMQError } from '../../src/lib/errors.js';

const refused = (overrides: object, fragment: RegExp) =>
  assert.throws(
    () => loadConfig({ overrides: overrides as never }),
    (e: unknown) => isRobustMQError(e) && e.code === 'RMQ_ERR_CONFIG_INVALID' && fragment.test(e.message),
  );

describe('[schema] configuration', () => {
  it('defaults to on_invalid = "reject" and no schemas; reads ROBUSTMQ_SCHEMA_ON_INVALID', () => {
    const c = loadConfig();
    assert.equal(c.schema.on_invalid, 'reject');
    assert.deepEqual(c.schema.schemas, {});
    assert.equal(loadConfig({ env: { ROBUSTMQ_SCHEMA_ON_INVALID: 'drop' } }).schema.on_invalid, 'drop');
  });

  it('refuses bad values with the key to change', () => {
    refused({ schema: { on_invalid: 'ignore' } }, /schema\.on_invalid/);
    refused(
      { schema: { schemas: { a: { type: 'json', topics: ['x'] } } } },
      /schema\.schemas\.a\.definition: give the schema text/,
    );
    refused({ schema: { schemas: { a: { type: 'json', definition: '{}', file: 'x.json' } } } }, /one of the two/);
    refused(
      { schema: { schemas: { a: { type: 'json', definition: '{}', message_type: 'M' } } } },
      /message_type: is for type = "protobuf"/,
    );
    refused(
      { schema: { schemas: { a: { type: 'json', definition: '{}', topics: ['a/#/b'] } } } },
      /schema\.schemas\.a\.topics\.0/,
    );
    refused({ schema: { schemas: { 'a b': { type: 'json', definition: '{}' } } } }, /schema name is 1 to 64/);
    refused({ schema: { schemas: { a: { type: 'xml', definition: '{}' } } } }, /schema\.schemas\.a\.type/);
  });

  it('docs/configuration.md documents every key of [schema.schemas.<name>] with its default', () => {
    const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    const start = doc.indexOf('## `[schema.schemas.<name>]`');
    assert.ok(start >= 0);
    const end = doc.indexOf('\n## ', start + 1);
    const text = doc.slice(start, end < 0 ? undefined : end);
    // every key of the table, with its default (definition given, as one of definition/file must be)
    const keys: Record<string, unknown> = {
      ...SchemaEntrySchema.parse({ type: 'json', definition: 'x' }),
      definition: '',
    };
    for (const [key, value] of Object.entries(keys)) {
      const row = text.split('\n').find((l) => new RegExp(`^\\|\\s*\`${key}\`\\s*\\|`).test(l));
      assert.ok(row, `schema.schemas.<name>.${key} is not documented`);
      if (key === 'type') continue;
      const shown = value === '' ? '""' : Array.isArray(value) ? JSON.stringify(value) : String(value);
      assert.ok(row.includes(`\`${shown}\``), `${key}: default ${shown} not in "${row}"`);
    }
  });
});
