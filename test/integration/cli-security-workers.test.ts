// Users, ACL rules and bans with --workers 2 --storage memory: the primary makes each change and
// forwards it to every worker, and lists are read from a worker's copy, so what the CLI lists after
// a change shows that the change reached a worker. The built CLI against `server start`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cli,
  json,
  startServer,
  stopServer,
  type AclRow,
  type BanRow,
  type Server,
  type UserRow,
} from '../helpers/admin-cli.js';

const SECRET = 'Wk-Pw-33c1b';

describe('robustmq-cli user, acl, blacklist with --workers 2 --storage memory', () => {
  let dir: string;
  let server: Server;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-cli-security-w-'));
    server = await startServer(dir, ['--workers', '2', '--storage', 'memory']);
  });

  after(async () => {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it("changes made through the primary are in the workers' copies (lists are read from a worker)", async () => {
    const admin = server.admin;
    json(await cli(['user', 'create', 'wk', '--password-stdin', '--json', '--server', admin], SECRET));
    const dup = await cli(['user', 'create', 'wk', '--password', 'x', '--server', admin]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /RMQ_ERR_USER_EXISTS/);
    const a = json<AclRow>(
      await cli([
        'acl',
        'add',
        '--permission',
        'allow',
        '--action',
        'all',
        '--topic',
        'w/#',
        '--all',
        '--json',
        '--server',
        admin,
      ]),
    );
    const b = json<AclRow>(
      await cli([
        'acl',
        'add',
        '--permission',
        'deny',
        '--action',
        'publish',
        '--topic',
        '#',
        '--username',
        'wk',
        '--json',
        '--server',
        admin,
      ]),
    );
    json(await cli(['blacklist', 'add', '--ip', '192.0.2.0/24', '--json', '--server', admin]));
    assert.deepEqual(
      json<{ users: UserRow[] }>(await cli(['user', 'list', '--json', '--server', admin])).users.map((u) => u.username),
      ['wk'],
    );
    assert.deepEqual(
      json<{ rules: AclRow[] }>(await cli(['acl', 'list', '--json', '--server', admin])).rules.map((r) => r.id),
      [a.id, b.id],
    );
    const bans = (await (await fetch(`${server.rest}/api/v1/blacklist`)).json()) as { bans: BanRow[] };
    assert.deepEqual(
      bans.bans.map((x) => x.value),
      ['192.0.2.0/24'],
    );
    const rm = await cli(['acl', 'remove', a.id, '--server', admin]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(
      json<{ rules: AclRow[] }>(await cli(['acl', 'list', '--json', '--server', admin])).rules.map((r) => r.id),
      [b.id],
    );
    assert.ok(!(server.child.lines.join('\n') + server.child.stderr()).includes(SECRET));
  });

  it('a worker that is started again gets the whole copy before it serves: lists read from it are complete', async () => {
    const rest = server.rest;
    const get = async <T>(path: string) => (await (await fetch(`${rest}${path}`)).json()) as T;
    const before = {
      users: await get<{ users: UserRow[] }>('/api/v1/users'),
      rules: await get<{ rules: AclRow[] }>('/api/v1/acls'),
      bans: await get<{ bans: BanRow[] }>('/api/v1/blacklist'),
    };
    assert.equal(before.users.users.length, 1);
    // worker 0 (the one lists are read from while it runs) is killed; the primary starts it again
    const started = (l: string) => l.includes('RobustMQ worker started') && l.includes('"worker":0');
    const first = JSON.parse(await server.child.line(started, 5000, 'worker 0 started')) as { pid: number };
    process.kill(first.pid, 'SIGKILL');
    let again: { pid: number } | undefined;
    for (let i = 0; i < 200 && !again; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const line = server.child.lines.filter(started).at(-1);
      const parsed = line ? (JSON.parse(line) as { pid: number }) : undefined;
      if (parsed && parsed.pid !== first.pid) again = parsed;
    }
    assert.ok(again, 'worker 0 was not started again');
    // /health/ready says every worker runs: lists come from worker 0 again
    for (let i = 0; i < 100 && (await fetch(`${rest}/health/ready`)).status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(json(await cli(['user', 'list', '--json', '--server', server.admin])), before.users);
    assert.deepEqual(await get('/api/v1/acls'), before.rules);
    assert.deepEqual(await get('/api/v1/blacklist'), before.bans);
  });
});
