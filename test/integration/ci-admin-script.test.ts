// Issue 5's CI acceptance point: scripts/ci-admin.sh administers a broker the way a CI pipeline does
// (topic, user, ACL rule, publish, read back, client list as JSON parsed with node -e) and every step
// must exit 0. The script starts and stops its own broker on free loopback ports.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { cleanEnv, spawnChild } from '../helpers/child.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

it('scripts/ci-admin.sh: scripted administration with robustmq-cli, every step exits 0', async () => {
  const child = spawnChild('bash', [join(ROOT, 'scripts', 'ci-admin.sh')], { env: cleanEnv(), timeoutMs: 110_000 });
  child.proc.stdin!.end();
  const exit = await child.exited(115_000);
  assert.equal(exit.code, 0, `ci-admin.sh exited ${exit.code}:\n${child.stderr()}\n${child.lines.join('\n')}`);
  assert.equal(child.lines.at(-1), 'ci-admin: ok');
});
