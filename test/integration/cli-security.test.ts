// The security data through the doors an operator uses: `robustmq-cli user|acl|blacklist ...` (the
// built CLI, a subprocess) and the REST API over real HTTP, against a broker started by the test
// (`server start`, another subprocess, sqlite storage). Tables and --json, --password-stdin, the
// refusal to prompt without a terminal (exit 2), server errors (exit 1, 404/409), rule order, ban
// expiry, the data surviving a restart on the same --data-dir, passwords kept out of the broker's
// log, and worker mode (--workers 2 --storage memory: every worker holds the primary's copy).
// Only storage and the admin API are exercised: checking passwords, ACL rules and bans at CONNECT,
// PUBLISH and SUBSCRIBE is a later feature.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, spawnChild, type Child } from '../helpers/child.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUN = join(ROOT, 'bin', 'run.js');

/** Passwords used below: none may appear in the broker's output. */
const SECRETS = [
  'Stdin-Pw-7f3a9',
  'Flag-Pw-2c81d',
  'Passwd-Pw-91b0e',
  'Rest-Pw-5d2c7',
  'Rest-Pw2-ae41f',
  'Wk-Pw-33c1b',
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `robustmq-cli ...args` to its end, with `stdin` written to it (a pipe: never a terminal). */
async function cli(args: string[], stdin = ''): Promise<Run> {
  const child = spawnChild(process.execPath, [RUN, ...args], { env: cleanEnv(), timeoutMs: 30_000 });
  child.proc.stdin!.end(stdin);
  const exit = await child.exited(30_000);
  return { code: exit.code, stdout: child.lines.join('\n'), stderr: child.stderr() };
}

function json<T>(r: Run): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface Server {
  child: Child;
  admin: string;
  rest: string;
}

/** `server start` on ports the OS picks; the addresses come from its "started" log line. */
async function startServer(dir: string, extra: string[] = []): Promise<Server> {
  const child = spawnChild(
    process.execPath,
    [
      RUN,
      'server',
      'start',
      '--mqtt-port',
      '0',
      '--admin-port',
      '0',
      '--http-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--data-dir',
      dir,
      '--log-level',
      'debug',
      ...extra,
    ],
    { env: cleanEnv(), timeoutMs: 180_000 },
  );
  const line = await child.line((l) => l.includes('RobustMQ broker started'), 30_000, 'broker started');
  const started = JSON.parse(line) as { admin: string; rest: string };
  return { child, admin: started.admin.replace('grpc://', ''), rest: started.rest };
}

async function stopServer(s: Server): Promise<void> {
  s.child.proc.kill('SIGTERM');
  const exit = await s.child.exited(15_000);
  assert.equal(exit.code, 0, s.child.stderr());
}

interface UserRow {
  username: string;
  superuser: boolean;
  createdAtMs: number;
}
interface AclRow {
  id: string;
  principalKind: string;
  principal: string;
  filter: string;
  action: string;
  permission: string;
  createdAtMs: number;
}
interface BanRow {
  kind: string;
  value: string;
  reason: string;
  untilMs: number;
  createdAtMs: number;
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('robustmq-cli user, acl, blacklist against a broker with sqlite storage', () => {
  let dir: string;
  let server: Server;
  let admin: string;
  let rest: string;
  /** Output of every broker run of this suite. */
  const logs: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-cli-security-'));
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
    const users = json<{ users: UserRow[] }>(await cli(['user', 'list', '--json', '--server', admin]));
    assert.ok(!users.users.some((u) => u.username === 'carol'));
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
    assert.equal(
      json<unknown>(await cli(['user', 'create', 'tmp', '--password', 'x', '--json', '--server', admin])) !== null,
      true,
    );
    const r = await cli(['user', 'delete', 'tmp', '--server', admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deleted user tmp');
    assert.equal(
      json<unknown>(await cli(['user', 'create', 'tmp', '--password', 'x', '--json', '--server', admin])) !== null,
      true,
    );
    assert.deepEqual(json(await cli(['user', 'delete', 'tmp', '--json', '--server', admin])), { deleted: 'tmp' });
    const again = await cli(['user', 'delete', 'tmp', '--server', admin]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /RMQ_ERR_USER_NOT_FOUND/);
  });

  let ruleIds: string[] = [];

  it('acl add prints the rule with its id (table and --json); acl list keeps the order they were added in', async () => {
    const r = await cli([
      'acl',
      'add',
      '--permission',
      'allow',
      '--action',
      'publish',
      '--topic',
      'devices/${clientid}/#',
      '--all',
      '--server',
      admin,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const id = /^added ACL rule ([0-9a-f]+)$/m.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.match(r.stdout, /topic filter │ devices\/\$\{clientid\}\/#/);
    assert.match(r.stdout, /who\s+│ all/);
    const second = json<AclRow>(
      await cli(
        ['acl', 'add', '--permission', 'deny', '--action', 'subscribe', '--topic', '#', '--username', 'alice'].concat([
          '--json',
          '--server',
          admin,
        ]),
      ),
    );
    assert.deepEqual(
      { ...second, id: '', createdAtMs: 0 },
      {
        id: '',
        principalKind: 'user',
        principal: 'alice',
        filter: '#',
        action: 'subscribe',
        permission: 'deny',
        createdAtMs: 0,
      },
    );
    const third = json<AclRow>(
      await cli([
        'acl',
        'add',
        '--permission',
        'allow',
        '--action',
        'all',
        '--topic',
        'users/${username}/+',
        '--client-id',
        'svc-1',
        '--json',
        '--server',
        admin,
      ]),
    );
    ruleIds = [id, second.id, third.id];
    const list = json<{ rules: AclRow[]; total: number }>(await cli(['acl', 'list', '--json', '--server', admin]));
    assert.deepEqual(
      list.rules.map((x) => x.id),
      ruleIds,
    );
    assert.ok(list.rules[0]!.createdAtMs < list.rules[1]!.createdAtMs);
    const table = await cli(['acl', 'list', '--server', admin]);
    assert.equal(table.code, 0, table.stderr);
    const rows = table.stdout.split('\n').filter((l) => /│ [0-9a-f]{8} /.test(l));
    assert.deepEqual(
      rows.map((l) => l.split('│')[1]!.trim()),
      ruleIds,
    );
    assert.match(table.stdout, /│ deny\s+│ subscribe │ user alice\s+│ #\s+│/);
    assert.match(table.stdout, /3 of 3 rule\(s\)$/);
  });

  it('acl list --username / --client-id filter, --limit pages', async () => {
    const alice = json<{ rules: AclRow[] }>(
      await cli(['acl', 'list', '--username', 'alice', '--json', '--server', admin]),
    );
    assert.deepEqual(
      alice.rules.map((r) => r.id),
      [ruleIds[1]],
    );
    const svc = json<{ rules: AclRow[] }>(
      await cli(['acl', 'list', '--client-id', 'svc-1', '--json', '--server', admin]),
    );
    assert.deepEqual(
      svc.rules.map((r) => r.id),
      [ruleIds[2]],
    );
    const paged = await cli(['acl', 'list', '--limit', '2', '--server', admin]);
    assert.match(paged.stdout, /2 of 3 rule\(s\); next page: --page-token \S+$/);
  });

  it('an invalid topic filter or no principal: exit 2 before anything is sent; acl remove, then exit 1 RMQ_ERR_ACL_NOT_FOUND', async () => {
    // [MQTT-4.7.1-2] '#' must be last: the CLI checks with the same rules as the broker (usage error, exit 2)
    const bad = await cli([
      'acl',
      'add',
      '--permission',
      'deny',
      '--action',
      'all',
      '--topic',
      'a/#/b',
      '--all',
      '--server',
      admin,
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /RMQ_ERR_TOPIC_INVALID: ACL topic filter "a\/#\/b": '#' must be the last level/);
    const typo = await cli([
      'acl',
      'add',
      '--permission',
      'deny',
      '--action',
      'all',
      '--topic',
      'x/${user}',
      '--all',
      '--server',
      admin,
    ]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown placeholder "\$\{user\}"/);
    const nobody = await cli([
      'acl',
      'add',
      '--permission',
      'deny',
      '--action',
      'all',
      '--topic',
      'x',
      '--server',
      admin,
    ]);
    assert.equal(nobody.code, 2);
    const r = await cli(['acl', 'remove', ruleIds[1]!, '--server', admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `removed ACL rule ${ruleIds[1]}`);
    const again = await cli(['acl', 'remove', ruleIds[1]!, '--json', '--server', admin]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /RMQ_ERR_ACL_NOT_FOUND/);
    ruleIds = [ruleIds[0]!, ruleIds[2]!];
  });

  it('blacklist add (table, --json), list, an invalid CIDR: exit 2, remove; removing again: exit 1', async () => {
    const r = await cli(['blacklist', 'add', '--ip', '10.0.0.0/8', '--reason', 'lab net', '--server', admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^banned ip 10\.0\.0\.0\/8$/m);
    assert.match(r.stdout, /│ ip\s+│ 10\.0\.0\.0\/8 │ lab net │ never │/);
    const until = Date.now() + 86_400_000;
    const user = json<BanRow>(
      await cli([
        'blacklist',
        'add',
        '--username',
        'mallory',
        '--until',
        new Date(until).toISOString(),
        '--json',
        '--server',
        admin,
      ]),
    );
    assert.deepEqual(
      { ...user, createdAtMs: 0 },
      { kind: 'username', value: 'mallory', reason: '', untilMs: until, createdAtMs: 0 },
    );
    for (const bad of ['10.0.0.0/33', '300.1.1.1', 'fd00::/200']) {
      const b = await cli(['blacklist', 'add', '--ip', bad, '--server', admin]);
      assert.equal(b.code, 2, bad);
      assert.match(b.stderr, /RMQ_ERR_INVALID_ARGUMENT/);
    }
    const past = await cli([
      'blacklist',
      'add',
      '--client-id',
      'x',
      '--until',
      '2001-01-01T00:00:00Z',
      '--server',
      admin,
    ]);
    assert.equal(past.code, 2);
    json(await cli(['blacklist', 'add', '--client-id', 'c/1', '--json', '--server', admin]));
    const list = await cli(['blacklist', 'list', '--server', admin]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /│ kind\s+│ value\s+│ reason\s+│ until\s+│ created at\s+│/);
    assert.match(list.stdout, /3 of 3 ban\(s\)$/);
    const ips = json<{ bans: BanRow[] }>(await cli(['blacklist', 'list', '--kind', 'ip', '--json', '--server', admin]));
    assert.deepEqual(
      ips.bans.map((b) => b.value),
      ['10.0.0.0/8'],
    );
    const rm = await cli(['blacklist', 'remove', '--client-id', 'c/1', '--server', admin]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'lifted the ban on clientid c/1');
    const again = await cli(['blacklist', 'remove', '--client-id', 'c/1', '--server', admin]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /RMQ_ERR_BAN_NOT_FOUND/);
  });

  it('a ban with --duration is listed until it ends, then neither listed nor kept', async () => {
    const ban = json<BanRow>(
      await cli(['blacklist', 'add', '--client-id', 'flood-bot', '--duration', '5s', '--json', '--server', admin]),
    );
    assert.ok(ban.untilMs > Date.now(), 'the CLI took longer than the ban lasts');
    const before = (await (await fetch(`${rest}/api/v1/blacklist?kind=clientid`)).json()) as { bans: BanRow[] };
    assert.deepEqual(
      before.bans.map((b) => [b.value, b.untilMs]),
      [['flood-bot', ban.untilMs]],
    );
    await new Promise((r) => setTimeout(r, ban.untilMs - Date.now() + 100));
    const afterEnd = json<{ bans: BanRow[] }>(await cli(['blacklist', 'list', '--json', '--server', admin]));
    assert.ok(!afterEnd.bans.some((b) => b.value === 'flood-bot'));
    const rm = await cli(['blacklist', 'remove', '--client-id', 'flood-bot', '--server', admin]);
    assert.equal(rm.code, 1);
  });

  it('REST: users (201, 409, 204, 404), ACL rules (201, 400, 204, 404), bans with a CIDR in the path', async () => {
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

    const rule = await post(`${rest}/api/v1/acls`, {
      principalKind: 'client',
      principal: 'rest-1',
      filter: 'r/${clientid}',
      action: 'publish',
      permission: 'allow',
    });
    assert.equal(rule.status, 201);
    const { id } = (await rule.json()) as AclRow;
    const badRule = await post(`${rest}/api/v1/acls`, {
      principalKind: 'all',
      filter: 'a+',
      action: 'all',
      permission: 'deny',
    });
    assert.equal(badRule.status, 400);
    assert.equal(((await badRule.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_TOPIC_INVALID');
    const badAction = await post(`${rest}/api/v1/acls`, {
      principalKind: 'all',
      filter: 'a',
      action: 'read',
      permission: 'deny',
    });
    assert.equal(badAction.status, 400);
    const rules = (await (await fetch(`${rest}/api/v1/acls?client_id=rest-1`)).json()) as { rules: AclRow[] };
    assert.deepEqual(
      rules.rules.map((r) => r.id),
      [id],
    );
    const all = (await (await fetch(`${rest}/api/v1/acls`)).json()) as { rules: AclRow[] };
    assert.deepEqual(
      all.rules.map((r) => r.id),
      [...ruleIds, id],
    );
    assert.equal((await fetch(`${rest}/api/v1/acls/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${rest}/api/v1/acls/${id}`, { method: 'DELETE' })).status, 404);

    const ban = await post(`${rest}/api/v1/blacklist`, {
      kind: 'ip',
      value: 'fd00:1::/32',
      reason: 'rest',
      durationMs: 3_600_000,
    });
    assert.equal(ban.status, 201);
    const badBan = await post(`${rest}/api/v1/blacklist`, { kind: 'ip', value: '10.0.0.0/40' });
    assert.equal(badBan.status, 400);
    assert.equal((await fetch(`${rest}/api/v1/blacklist/ip/fd00:1::/32`, { method: 'DELETE' })).status, 204);
    const noBan = await fetch(`${rest}/api/v1/blacklist/ip/fd00:1::/32`, { method: 'DELETE' });
    assert.equal(noBan.status, 404);
    assert.equal(((await noBan.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_BAN_NOT_FOUND');

    const doc = (await (await fetch(`${rest}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const p of [
      '/api/v1/users',
      '/api/v1/users/{*}',
      '/api/v1/acls',
      '/api/v1/acls/{id}',
      '/api/v1/blacklist',
      '/api/v1/blacklist/{*}',
    ]) {
      assert.ok(p in doc.paths, p);
    }
  });

  it('everything survives a restart on the same --data-dir; no password is in the broker log', async () => {
    const users = json<{ users: UserRow[] }>(await cli(['user', 'list', '--json', '--server', admin]));
    const rules = json<{ rules: AclRow[] }>(await cli(['acl', 'list', '--json', '--server', admin]));
    const bans = json<{ bans: BanRow[] }>(await cli(['blacklist', 'list', '--json', '--server', admin]));
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
    for (const secret of [...SECRETS.slice(0, 5), 'after-restart']) assert.ok(!all.includes(secret), secret);
  });
});

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
    json(await cli(['user', 'create', 'wk', '--password-stdin', '--json', '--server', admin], SECRETS[5]));
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
    assert.ok(!(server.child.lines.join('\n') + server.child.stderr()).includes(SECRETS[5]!));
  });
});
