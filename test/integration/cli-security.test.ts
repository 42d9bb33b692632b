// Users through the doors an operator uses: `robustmq-cli user ...` (the built CLI, a subprocess)
// and the REST API over real HTTP, against a broker started by the test (`server start`, sqlite
// storage). Tables and --json, --password-stdin, the hidden prompt on a terminal and the refusal to
// prompt without one (exit 2), server errors (exit 1, 404/409), users, ACL rules and bans surviving
// a restart on the same --data-dir, and passwords kept out of the broker's log and data files.
// Only storage and the admin API are exercised: checking passwords at CONNECT is a later feature.
// ACL rules and bans: cli-acl-blacklist.test.ts; worker mode: cli-security-workers.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cli,
  json,
  post,
  startServer,
  stopServer,
  type AclRow,
  type BanRow,
  type Server,
  type UserRow,
  RUN,
} from '../helpers/admin-cli.js';
import Database from 'better-sqlite3';
import { verifyPassword } from '../../src/server/security/password-hash.js';
import { cleanEnv, spawnChild } from '../helpers/child.js';

/** Passwords used below: none may appear in the broker's output or data directory. */
const SECRETS = [
  'Stdin-Pw-7f3a9',
  'Flag-Pw-2c81d',
  'Passwd-Pw-91b0e',
  'Rest-Pw-5d2c7',
  'Rest-Pw2-ae41f',
  'Tty-Pw-0d9e2',
];

describe('robustmq-cli user against a broker with sqlite storage', () => {
  let dir: string;
  let server: Server;
  let admin: string;
  let rest: string;
  /** Output of every broker run of this suite. */
  const logs: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-cli-users-'));
    server = await startServer(dir);
    admin = server.admin;
    rest = server.rest;
  });

  after(async () => {
    if (server.child.proc.exitCode === null) await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('user create --password-stdin prints the user; --json prints the document without any hash', async () => {
    const r = await cli(['user', 'create', 'alice', '--password-stdin', '--server', admin], `${SECRETS[0]}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^created user alice$/m);
    assert.match(r.stdout, /username\s+│ alice/);
    assert.match(r.stdout, /superuser\s+│ no/);
    const bob = json<UserRow>(
      await cli(['user', 'create', 'bob', '--password', SECRETS[1]!, '--superuser', '--json', '--server', admin]),
    );
    assert.deepEqual(Object.keys(bob).sort(), ['createdAtMs', 'superuser', 'username']);
    assert.equal(bob.username, 'bob');
    assert.equal(bob.superuser, true);
    assert.ok(Math.abs(bob.createdAtMs - Date.now()) < 60_000);
  });

  it('a taken username: exit 1 with RMQ_ERR_USER_EXISTS; nothing changes', async () => {
    const r = await cli(['user', 'create', 'alice', '--password', 'other', '--server', admin]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: RMQ_ERR_USER_EXISTS: a user named "alice" exists already\n$/);
    assert.equal(r.stdout, '');
  });

  it('no password flag and stdin not a terminal: exit 2 saying to pass --password-stdin, nothing sent', async () => {
    const r = await cli(['user', 'create', 'carol', '--server', admin]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /stdin is not a terminal: pass it with --password-stdin/);
    const p = await cli(['user', 'passwd', 'alice', '--server', admin]);
    assert.equal(p.code, 2);
    assert.match(p.stderr, /--password-stdin/);
    // an empty stdin is no password either
    const e = await cli(['user', 'create', 'carol', '--password-stdin', '--server', admin], '');
    assert.equal(e.code, 2);
    assert.match(e.stderr, /empty password/);
    const users = (await (await fetch(`${rest}/api/v1/users`)).json()) as { users: UserRow[] };
    assert.ok(!users.users.some((u) => u.username === 'carol'));
  });

  it('on a terminal: asks twice for the password and echoes neither (script(1) gives the CLI a pty)', async (t) => {
    if (spawnSync('script', ['--version']).status !== 0) return t.skip('script(1) (util-linux) is not installed');
    const child = spawnChild(
      'script',
      ['-q', '-e', '-c', `${process.execPath} ${RUN} user create tty-user --server ${admin}`, '/dev/null'],
      { env: cleanEnv({ XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'rmq-tty-xdg-')) }), timeoutMs: 30_000 },
    );
    let out = '';
    child.proc.stdout!.on('data', (chunk: string) => (out += chunk));
    const waitFor = async (text: string) => {
      for (let i = 0; i < 300 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(out.includes(text), `no "${text}" in ${JSON.stringify(out)}`);
    };
    await waitFor('Password: ');
    child.write(`${SECRETS[5]}\r`);
    await waitFor('Password again: ');
    child.write(`${SECRETS[5]}\r`);
    await waitFor('created user tty-user');
    child.proc.stdin!.end();
    assert.equal((await child.exited(30_000)).code, 0, out);
    assert.ok(!out.includes(SECRETS[5]!), out);
    assert.equal((await fetch(`${rest}/api/v1/users/tty-user`, { method: 'DELETE' })).status, 204);
  });

  it('user list: a table (username, superuser, created at) and --json, in username order, paged', async () => {
    const r = await cli(['user', 'list', '--server', admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /│ username │ superuser │ created at\s+│/);
    assert.match(r.stdout, /│ alice\s+│ no\s+│ \d{4}-\d\d-\d\dT/);
    assert.match(r.stdout, /│ bob\s+│ yes\s+│/);
    assert.match(r.stdout, /2 of 2 user\(s\)$/);
    assert.ok(!/scrypt/.test(r.stdout));
    const page = json<{ users: UserRow[]; nextPageToken: string; total: number }>(
      await cli(['user', 'list', '--limit', '1', '--json', '--server', admin]),
    );
    assert.deepEqual(
      page.users.map((u) => u.username),
      ['alice'],
    );
    assert.equal(page.total, 2);
    assert.notEqual(page.nextPageToken, '');
    const next = json<{ users: UserRow[]; nextPageToken: string }>(
      await cli(['user', 'list', '--page-token', page.nextPageToken, '--json', '--server', admin]),
    );
    assert.deepEqual(
      next.users.map((u) => u.username),
      ['bob'],
    );
    assert.equal(next.nextPageToken, '');
  });

  it('user passwd --password-stdin; an unknown user: exit 1 with RMQ_ERR_USER_NOT_FOUND', async () => {
    const r = await cli(['user', 'passwd', 'alice', '--password-stdin', '--server', admin], SECRETS[2]!);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'changed the password of alice');
    const missing = await cli(['user', 'passwd', 'nobody', '--password', 'x', '--json', '--server', admin]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /RMQ_ERR_USER_NOT_FOUND: no user is named "nobody"/);
  });

  it('user delete: table and --json; deleting again is exit 1 RMQ_ERR_USER_NOT_FOUND', async () => {
    assert.equal((await post(`${rest}/api/v1/users`, { username: 'tmp', password: 'x' })).status, 201);
    const r = await cli(['user', 'delete', 'tmp', '--server', admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deleted user tmp');
    assert.equal((await post(`${rest}/api/v1/users`, { username: 'tmp', password: 'x' })).status, 201);
    assert.deepEqual(json(await cli(['user', 'delete', 'tmp', '--json', '--server', admin])), { deleted: 'tmp' });
    const again = await cli(['user', 'delete', 'tmp', '--server', admin]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /RMQ_ERR_USER_NOT_FOUND/);
  });

  it('REST: POST, GET, PUT password, DELETE /api/v1/users (201, 400, 409, 204, 404; a username with /)', async () => {
    const created = await post(`${rest}/api/v1/users`, { username: 'rest/user', password: SECRETS[3] });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys((await created.json()) as object).sort(), ['createdAtMs', 'superuser', 'username']);
    const dup = await post(`${rest}/api/v1/users`, { username: 'rest/user', password: 'x' });
    assert.equal(dup.status, 409);
    assert.equal(((await dup.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_USER_EXISTS');
    const empty = await post(`${rest}/api/v1/users`, { username: 'e', password: '' });
    assert.equal(empty.status, 400);
    const pw = await fetch(`${rest}/api/v1/users/rest/user/password`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: SECRETS[4] }),
    });
    assert.equal(pw.status, 204);
    const pwMissing = await fetch(`${rest}/api/v1/users/ghost/password`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'x' }),
    });
    assert.equal(pwMissing.status, 404);
    assert.equal(((await pwMissing.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_USER_NOT_FOUND');
    const users = (await (await fetch(`${rest}/api/v1/users?username=rest`)).json()) as { users: UserRow[] };
    assert.deepEqual(
      users.users.map((u) => u.username),
      ['rest/user'],
    );
    assert.equal((await fetch(`${rest}/api/v1/users/rest/user`, { method: 'DELETE' })).status, 204);
    const gone = await fetch(`${rest}/api/v1/users/rest/user`, { method: 'DELETE' });
    assert.equal(gone.status, 404);
  });

  it('everything survives a restart on the same --data-dir; no password is in the broker log', async () => {
    // rules and bans to carry over too (their commands are tested in cli-acl-blacklist.test.ts)
    for (const filter of ['a/${username}/#', 'b/+']) {
      const r = await post(`${rest}/api/v1/acls`, { principalKind: 'all', filter, action: 'all', permission: 'allow' });
      assert.equal(r.status, 201);
    }
    assert.equal((await post(`${rest}/api/v1/blacklist`, { kind: 'ip', value: '10.0.0.0/8' })).status, 201);
    const until = Date.now() + 3_600_000;
    const ban = await post(`${rest}/api/v1/blacklist`, { kind: 'clientid', value: 'x/y', reason: 'r', untilMs: until });
    assert.equal(ban.status, 201);
    // before: over REST (the same documents the CLI prints with --json); after: with the CLI
    const get = async <T>(path: string) => (await (await fetch(`${rest}${path}`)).json()) as T;
    const users = await get<{ users: UserRow[] }>('/api/v1/users');
    const rules = await get<{ rules: AclRow[] }>('/api/v1/acls');
    const bans = await get<{ bans: BanRow[] }>('/api/v1/blacklist');
    assert.equal(users.users.length, 2);
    assert.equal(rules.rules.length, 2);
    assert.equal(bans.bans.length, 2);
    await stopServer(server);
    logs.push(server.child.lines.join('\n') + server.child.stderr());
    server = await startServer(dir);
    admin = server.admin;
    assert.deepEqual(json(await cli(['user', 'list', '--json', '--server', admin])), users);
    assert.deepEqual(json(await cli(['acl', 'list', '--json', '--server', admin])), rules);
    assert.deepEqual(json(await cli(['blacklist', 'list', '--json', '--server', admin])), bans);
    // a user created before the restart can still be changed after it
    const r = await cli(['user', 'passwd', 'bob', '--password-stdin', '--server', admin], 'after-restart');
    assert.equal(r.code, 0, r.stderr);
    await stopServer(server);
    logs.push(server.child.lines.join('\n') + server.child.stderr());
    const all = logs.join('\n');
    assert.match(all, /RobustMQ broker started/); // the log was captured
    const secrets = [...SECRETS, 'after-restart'];
    for (const secret of secrets) assert.ok(!all.includes(secret), secret);
    // the data dir holds hashes that verify the passwords given (stdin without its line break), never a password
    const db = new Database(join(dir, 'robustmq.db'), { readonly: true });
    const hashes = new Map(
      (
        db.prepare('SELECT username, password_hash FROM users').all() as { username: string; password_hash: string }[]
      ).map((r) => [r.username, r.password_hash]),
    );
    db.close();
    assert.equal(await verifyPassword(SECRETS[2]!, hashes.get('alice')!), true);
    assert.equal(await verifyPassword(SECRETS[0]!, hashes.get('alice')!), false);
    assert.equal(await verifyPassword('after-restart', hashes.get('bob')!), true);
    for (const file of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, file));
      for (const secret of secrets) assert.ok(!bytes.includes(secret), `${secret} in ${file}`);
    }
  });
});
