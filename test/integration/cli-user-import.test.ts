// `robustmq-cli user import FILE` (the built CLI) against `server start`: a file written by the real
// mosquitto_passwd becomes built-in users with their hashes as they are, so the Mosquitto passwords
// keep working at CONNECT; existing users are skipped unless --overwrite; a bad line stops the import
// before anything is sent (exit 2, the line number, never the hash); the REST door refuses a bad hash.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connackCode } from '../helpers/auth-connect.js';
import { json, startAdminBroker, type AdminBroker } from '../helpers/admin-broker.js';

const dir = mkdtempSync(join(tmpdir(), 'rmq-import-'));
const pw = (s: string) => Buffer.from(s);

describe('robustmq-cli user import', () => {
  let b: AdminBroker;
  const file = join(dir, 'passwd');
  before(async () => {
    execFileSync('mosquitto_passwd', ['-c', '-b', file, 'alice', 'mosq-alice']);
    execFileSync('mosquitto_passwd', ['-H', 'sha512', '-b', file, 'carol', 'mosq-carol']);
    b = await startAdminBroker();
  });
  after(async () => {
    await b?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the users with their hashes; a user that exists already is left as it is', async () => {
    json(await b.cli(['user', 'create', 'alice', '--password', 'builtin-alice', '--json']));
    const r = json<{ created: number; updated: number; skipped: string[] }>(
      await b.cli(['user', 'import', file, '--json']),
    );
    assert.deepEqual(r, { created: 1, updated: 0, skipped: ['alice'] });
    const users = json<{ items?: unknown; users?: { username: string }[] }>(await b.cli(['user', 'list', '--json']));
    assert.match(JSON.stringify(users), /"carol"/);
    // carol's $6$ hash verifies at CONNECT; alice keeps her built-in password
    assert.equal(await connackCode(b.mqttPort, 5, { username: 'carol', password: pw('mosq-carol') }), 0);
    assert.equal(await connackCode(b.mqttPort, 5, { username: 'carol', password: pw('wrong') }), 0x86);
    assert.equal(await connackCode(b.mqttPort, 4, { username: 'alice', password: pw('builtin-alice') }), 0);
    assert.equal(await connackCode(b.mqttPort, 4, { username: 'alice', password: pw('mosq-alice') }), 4);
  });

  it('--overwrite replaces the hashes: the Mosquitto password of alice ($7$) works now', async () => {
    const run = await b.cli(['user', 'import', file, '--overwrite']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /0 created, 2 updated/);
    assert.equal(await connackCode(b.mqttPort, 4, { username: 'alice', password: pw('mosq-alice') }), 0);
    assert.equal(await connackCode(b.mqttPort, 4, { username: 'alice', password: pw('builtin-alice') }), 4);
  });

  it('a file with a bad line imports nothing: exit 2, the line number, never a hash', async () => {
    const good = readFileSync(file, 'utf8');
    const bad = join(dir, 'bad');
    writeFileSync(bad, `dave:${good.split('\n')[0]!.split(':')[1]}\nerin:not-a-hash\n`);
    const run = await b.cli(['user', 'import', bad]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /RMQ_ERR_INVALID_ARGUMENT.*line 2/);
    assert.ok(!run.stderr.includes('not-a-hash'));
    const list = await b.cli(['user', 'list', '--json']);
    assert.doesNotMatch(list.stdout, /"dave"/);
    const missing = await b.cli(['user', 'import', join(dir, 'no-such-file')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read/);
  });

  it('the REST door checks every user before writing any', async () => {
    const res = await fetch(`${b.rest}/api/v1/users/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        users: [
          { username: 'frank', passwordHash: readFileSync(file, 'utf8').split('\n')[1]!.split(':')[1] },
          { username: 'gina', passwordHash: 'plain' },
        ],
      }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { code?: string; message?: string };
    assert.match(JSON.stringify(body), /gina.*not a \$7\$, \$6\$ or scrypt\$ hash/);
    const list = await b.cli(['user', 'list', '--json']);
    assert.doesNotMatch(list.stdout, /"frank"/);
  });
});
