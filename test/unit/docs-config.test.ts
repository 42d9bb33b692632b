// Keeps docs/configuration.md true: every configuration key, with its default, is documented under
// its section, and the document names no key the schema does not have.
import assert from 'node:assert/strict';

import { describe, it } from 'node:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, loadConfig } from '../../src/lib/config.js';
import { ListenerSchema } from '../../src/lib/config-schema.js';

const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');

function section(name: string): string {
  const start = doc.indexOf(`## \`[${name}]\``);
  assert.ok(start >= 0, `docs/configuration.md has no section [${name}]`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

describe('docs/configuration.md', () => {
  it('has an example file that the broker accepts', () => {
    const example = /```toml\n([\s\S]*?)```/.exec(doc);
    assert.ok(example, 'no TOML example');
    const file = join(mkdtempSync(join(tmpdir(), 'rmq-doc-')), 'example.toml');
    writeFileSync(file, example[1]!);
    const config = loadConfig({ file });
    assert.equal(config.mqtt.port, 1883);
  });

  // a nested table (e.g. [auth.scram]) is documented in its own section
  const sections: [string, Record<string, unknown>][] = [];
  const addSection = (name: string, keys: Record<string, unknown>): void => {
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(keys)) {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        addSection(`${name}.${key}`, value as Record<string, unknown>);
      } else own[key] = value;
    }
    sections.push([name, own]);
  };
  for (const [name, keys] of Object.entries(DEFAULT_CONFIG)) addSection(name, keys as Record<string, unknown>);

  for (const [name, keys] of sections) {
    it(`documents every key of [${name}] with its default`, () => {
      const text = section(name);
      for (const [key, value] of Object.entries(keys as Record<string, unknown>)) {
        const row = text.split('\n').find((l) => new RegExp(`^\\|\\s*\`${key}\`\\s*\\|`).test(l));
        assert.ok(row, `${name}.${key} is not documented`);
        // an empty string is documented as `""`, a list as JSON (`[]`)
        const shown = value === '' ? '""' : Array.isArray(value) ? JSON.stringify(value) : String(value);
        assert.ok(row.includes(`\`${shown}\``), `${name}.${key}: default ${shown} not in "${row}"`);
      }
      const documented = [...text.matchAll(/^\|\s*`([a-z_0-9]+)`\s*\|/gm)].map((m) => m[1]);
      for (const key of documented) assert.ok(key! in (keys as object), `${name}.${key} is documented but not a key`);
    });
  }

  it('documents every key of [listeners.<name>] with its default', () => {
    const text = section('listeners.<name>');
    const defaults = ListenerSchema.parse({ kind: 'tcp' }) as Record<string, unknown>;
    for (const [key, value] of Object.entries(defaults)) {
      const row = text.split('\n').find((l) => new RegExp(`^\\|\\s*\`${key}\`\\s*\\|`).test(l));
      assert.ok(row, `listeners.<name>.${key} is not documented`);
      const shown = value === '' ? '""' : String(value);
      assert.ok(row.includes(`\`${shown}\``), `listeners.<name>.${key}: default ${shown} not in "${row}"`);
    }
    const documented = [...text.matchAll(/^\|\s*`([a-z_0-9]+)`\s*\|/gm)].map((m) => m[1]);
    for (const key of documented) assert.ok(key! in defaults, `listeners.<name>.${key} is documented but not a key`);
  });
});
