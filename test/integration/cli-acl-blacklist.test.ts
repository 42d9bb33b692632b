// ACL rules and bans through the doors an operator uses: `robustmq-cli acl|blacklist ...` (the built
// CLI, a subprocess) and the REST API over real HTTP, against a broker started by the test (`server
// start`). Tables and --json, rule order, filters and pages, invalid topic filters and CIDR ranges
// (exit 2: the CLI checks them with the broker's own rules before sending anything), exit 1 for an
// unknown id or ban, and a ban with --duration that ends. Evaluating rules and refusing banned
// clients is a later feature: only the stored data is exercised.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
} from '../helpers/admin-cli.js';

describe('robustmq-cli acl and blacklist against a running broker', () => {
  let dir: string;
  let server: Server;
  let admin: string;
  let rest: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-cli-acl-'));
    server = await startServer(dir);
    admin = server.admin;
    rest = server.rest;
  });

  after(async () => {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
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
    // more bad values in test/unit/security-store.test.ts (the same check)
    for (const bad of ['10.0.0.0/33']) {
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
      await cli(['blacklist', 'add', '--client-id', 'flood-bot', '--duration', '10s', '--json', '--server', admin]),
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

  it('REST: POST, GET, DELETE /api/v1/acls and /api/v1/blacklist (201, 400, 204, 404; a CIDR in the path)', async () => {
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
});
