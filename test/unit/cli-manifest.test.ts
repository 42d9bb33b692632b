// Keeps `--help` useful: every command of robustmq-cli in the built oclif.manifest.json (plugin
// commands are not in it) says what it does and shows at least one example, and every topic
// (the noun before the verb) is described in package.json "oclif.topics".
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const ROOT = new URL('../../../', import.meta.url);

interface ManifestCommand {
  id: string;
  summary?: string;
  description?: string;
  examples?: unknown[];
  pluginType?: string;
}

const manifest = JSON.parse(readFileSync(new URL('oclif.manifest.json', ROOT), 'utf8')) as {
  commands: Record<string, ManifestCommand>;
};
const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
  oclif: { topics: Record<string, { description?: string }>; plugins?: string[] };
};

describe('robustmq-cli --help (oclif.manifest.json)', () => {
  const commands = Object.values(manifest.commands).filter(
    (c) => c.pluginType === undefined || c.pluginType === 'core',
  );

  it('holds the commands of this package', () => {
    const ids = commands.map((c) => c.id);
    for (const id of ['server:start', 'server:status', 'cluster:status', 'context:add', 'config:set']) {
      assert.ok(ids.includes(id), `${id} missing from the manifest: ${ids.join(', ')}`);
    }
  });

  for (const c of Object.values(manifest.commands)) {
    it(`${c.id.replaceAll(':', ' ')}: a summary or description and at least one example`, () => {
      assert.ok((c.summary ?? c.description ?? '').trim().length > 10, `${c.id} has no summary or description`);
      assert.ok(Array.isArray(c.examples) && c.examples.length >= 1, `${c.id} has no example`);
      for (const e of c.examples) {
        const text = typeof e === 'string' ? e : (e as { command: string }).command;
        assert.ok(text.includes('<%= config.bin %>'), `${c.id}: example "${text}" does not run robustmq-cli`);
      }
    });
  }

  it('every topic is described in package.json oclif.topics', () => {
    for (const c of commands) {
      const topic = c.id.split(':')[0]!;
      if (topic === c.id) continue;
      assert.ok(pkg.oclif.topics[topic]?.description, `topic "${topic}" (of ${c.id}) has no description`);
    }
  });

  it('registers the shell completion plugin', () => {
    assert.ok(pkg.oclif.plugins?.includes('@oclif/plugin-autocomplete'));
  });
});
