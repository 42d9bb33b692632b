// Admin security over real sockets: a broker whose admin endpoints bind 0.0.0.0 (reached here through
// 127.0.0.1 only) requires admin tokens. Without a valid token the CLI exits 4 with a one-line reason
// and REST answers 401 with WWW-Authenticate: Bearer; refusals are counted in cluster status. The
// first token comes from admin.bootstrap_token_file; tokens are created, listed (never their secret),
// revoked and expire; they work over gRPC (--token, ROBUSTMQ_TOKEN) and REST (Authorization: Bearer),
// survive a restart with sqlite, and never appear in the broker log. auth = "none" with a non-loopback
// bind refuses to start (exit 2), naming the setting. Worker mode: the primary holds the tokens.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, killLeftovers, type Child } from '../helpers/child.js';
import { jsonOf, runCli, startBrokerProcess, type BrokerPorts } from '../helpers/cli.js';

const cli = runCli;
const json = jsonOf;

interface TokenInfo {
  id: string;
  name: string;
  createdAtMs: number;
  expiresAtMs: number;
  lastUsedAtMs: number;
}
interface Created extends TokenInfo {
  token: string;
}
interface TokenPage {
  tokens: TokenInfo[];
  nextPageToken: string;
  total: number;
}

/** `server start` with both admin endpoints on 0.0.0.0 (auth "auto" then requires tokens). */
function startBroker(dir: string, ports: BrokerPorts, env: Record<string, string>, extra: string[] = []): Child {
  return startBrokerProcess(dir, ports, ['--log-level', 'info', ...extra], {
    ROBUSTMQ_ADMIN_GRPC_BIND: '0.0.0.0',
    ROBUSTMQ_ADMIN_HTTP_BIND: '0.0.0.0',
    ...env,
  });
}

async function stopBroker(server: Child): Promise<string> {
  server.proc.kill('SIGTERM');
  await server.exited(15_000);
  return `${server.lines.join('\n')}\n${server.stderr()}`;
}

describe('admin tokens on a broker whose admin endpoints bind 0.0.0.0', () => {
  let dir: string;
  let ports: BrokerPorts;
  let server: Child;
  let admin: string;
  let rest: string;
  let bootstrap: string;
  let bootstrapFile: string;
  /** Every token seen by the test: none may appear in the broker's log. */
  const secrets: string[] = [];
  let log = '';
  let kept: Created;

  const rmq = (args: string[], token?: string, env: Record<string, string> = {}) =>
    cli([...args, '--server', admin, ...(token === undefined ? [] : ['--token', token])], env);
  const get = (path: string, token?: string) =>
    fetch(`${rest}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  const failures = async (): Promise<number> => {
    const status = json<{ nodes: { adminAuthFailures: number }[] }>(
      await rmq(['cluster', 'status', '--json'], bootstrap),
    );
    return status.nodes[0]!.adminAuthFailures;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-admin-auth-'));
    ports = { mqtt: await freePort(), admin: await freePort(), http: await freePort() };
    admin = `127.0.0.1:${ports.admin}`;
    rest = `http://127.0.0.1:${ports.http}`;
    bootstrap = randomBytes(32).toString('hex');
    secrets.push(bootstrap);
    bootstrapFile = join(dir, 'admin-token');
    writeFileSync(bootstrapFile, `${bootstrap}\n`);
    chmodSync(bootstrapFile, 0o600);
    server = startBroker(join(dir, 'data'), ports, { ROBUSTMQ_ADMIN_BOOTSTRAP_TOKEN_FILE: bootstrapFile });
    const started = await server.line((l) => l.includes('RobustMQ broker started'), 20_000, 'broker started');
    assert.equal((JSON.parse(started) as { admin: string }).admin, `grpc://0.0.0.0:${ports.admin}`);
  });

  after(async () => {
    if (server.proc.exitCode === null) log += await stopBroker(server);
    killLeftovers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gRPC without a token: exit 4 and one line saying to pass --token or ROBUSTMQ_TOKEN', async () => {
    const r = await rmq(['cluster', 'status']);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^Error: RMQ_ERR_UNAUTHORIZED: .*no admin token was sent.*--token.*ROBUSTMQ_TOKEN/);
    // a made-up token of the right shape, and a random string
    const wrong = await rmq(['topic', 'list', '--json'], `rmq_0123456789abcdef_${'A'.repeat(43)}`);
    assert.equal(wrong.code, 4, wrong.stderr);
    assert.match(wrong.stderr, /RMQ_ERR_UNAUTHORIZED: .*not valid/);
    assert.equal((await rmq(['client', 'list'], 'x'.repeat(64))).code, 4);
  });

  it('REST without or with a wrong token: 401 with WWW-Authenticate: Bearer; health checks stay open', async () => {
    for (const token of [undefined, 'not-a-token', `${bootstrap}x`]) {
      const res = await get('/api/v1/cluster/info', token);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'RMQ_ERR_UNAUTHORIZED');
    }
    // a scheme other than Bearer is no token
    const basic = await fetch(`${rest}/api/v1/topics`, { headers: { authorization: `Basic ${bootstrap}` } });
    assert.equal(basic.status, 401);
    // the API's documents and unknown paths are behind the token too
    assert.equal((await get('/api/v1/openapi.json')).status, 401);
    assert.equal((await get('/api/docs')).status, 401);
    assert.equal((await get('/api/v1/no-such-route')).status, 401);
    assert.equal((await get('/api/v1/no-such-route', bootstrap)).status, 404);
    assert.equal((await get('/health/live')).status, 200);
    assert.equal((await get('/health/ready')).status, 200);
    const doc = (await (await get('/api/v1/openapi.json', bootstrap)).json()) as { paths: Record<string, unknown> };
    assert.ok('/api/v1/tokens' in doc.paths && '/api/v1/tokens/{id}' in doc.paths);
  });

  it('refusals are counted: cluster status (gRPC and REST) shows each one', async () => {
    const before = await failures();
    assert.ok(before >= 1, `earlier refusals counted: ${before}`);
    assert.equal((await get('/api/v1/topics')).status, 401);
    assert.equal((await rmq(['cluster', 'status'], 'wrong-token-wrong-token-wrong-token')).code, 4);
    assert.equal(await failures(), before + 2);
    const info = (await (await get('/api/v1/cluster/info', bootstrap)).json()) as {
      nodes: { adminAuthFailures: number }[];
    };
    assert.equal(info.nodes[0]!.adminAuthFailures, before + 2);
    const table = await rmq(['cluster', 'status'], bootstrap);
    assert.match(table.stdout, /admin calls refused \(no valid token\)\s*│\s*\d+/);
  });

  it('bootstrap token -> token create (table and --json), shown once; token list never shows a secret', async () => {
    const table = await rmq(['token', 'create', '--name', 'ops-table'], bootstrap);
    assert.equal(table.code, 0, table.stderr);
    const shown = /\b(rmq_[0-9a-f]{16}_[A-Za-z0-9_-]{43})\b/.exec(table.stdout)?.[1];
    assert.ok(shown, table.stdout);
    secrets.push(shown);
    assert.match(table.stdout, /ops-table/);
    assert.match(table.stdout, /expires\s*│\s*never/);
    assert.match(table.stdout, /not shown again/);

    kept = json<Created>(await rmq(['token', 'create', '--name', 'ci', '--json'], bootstrap));
    secrets.push(kept.token);
    assert.match(kept.token, /^rmq_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(kept.token.slice(4, 20), kept.id);
    assert.equal(kept.name, 'ci');
    assert.equal(kept.expiresAtMs, 0);
    assert.equal(kept.lastUsedAtMs, 0);

    const list = await rmq(['token', 'list', '--json'], kept.token);
    const page = json<TokenPage>(list);
    assert.deepEqual(
      page.tokens.map((t) => t.name),
      ['admin.bootstrap_token_file', 'ops-table', 'ci'],
    );
    assert.equal(page.tokens[0]!.id, 'bootstrap');
    assert.equal(page.total, 3);
    for (const t of page.tokens) assert.deepEqual(Object.keys(t).sort(), Object.keys(page.tokens[1]!).sort());
    assert.ok(!('token' in page.tokens[2]!) && !('secretHash' in page.tokens[2]!));
    const people = await rmq(['token', 'list'], kept.token);
    assert.equal(people.code, 0, people.stderr);
    assert.match(people.stdout, /last used/);
    assert.match(people.stdout, new RegExp(kept.id));
    assert.match(people.stdout, /3 of 3 token\(s\)/);
    for (const s of secrets) {
      const secretPart = s.startsWith('rmq_') ? s.slice(21) : s;
      assert.ok(!list.stdout.includes(secretPart) && !people.stdout.includes(secretPart), 'a secret was listed');
    }
    assert.doesNotMatch(list.stdout + people.stdout, /sha256/);
    // paging: one per page
    const first = json<TokenPage>(await rmq(['token', 'list', '--json', '--limit', '1'], kept.token));
    assert.equal(first.tokens.length, 1);
    const second = json<TokenPage>(
      await rmq(['token', 'list', '--json', '--limit', '1', '--page-token', first.nextPageToken], kept.token),
    );
    assert.equal(second.tokens[0]!.name, 'ops-table');
  });

  it('a valid token works over gRPC (--token and ROBUSTMQ_TOKEN) and REST (Authorization: Bearer)', async () => {
    const viaFlag = json<{ nodes: unknown[] }>(await rmq(['cluster', 'status', '--json'], kept.token));
    assert.equal(viaFlag.nodes.length, 1);
    const viaEnv = await rmq(['topic', 'create', '--name', 'orders', '--json'], undefined, {
      ROBUSTMQ_TOKEN: kept.token,
    });
    assert.equal(json<{ name: string }>(viaEnv).name, 'orders');
    const res = await get('/api/v1/topics', kept.token);
    assert.equal(res.status, 200);
    assert.deepEqual(
      ((await res.json()) as { topics: { name: string }[] }).topics.map((t) => t.name),
      ['orders'],
    );
    // REST token routes: create 201 (the token in the answer), list, revoke 204, unknown 404
    const created = await fetch(`${rest}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kept.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rest-made' }),
    });
    assert.equal(created.status, 201);
    const made = (await created.json()) as Created;
    secrets.push(made.token);
    assert.equal((await get('/api/v1/cluster/info', made.token)).status, 200);
    const listed = (await (await get('/api/v1/tokens', made.token)).json()) as TokenPage;
    const ci = listed.tokens.find((t) => t.id === kept.id)!;
    assert.ok(ci.lastUsedAtMs >= kept.createdAtMs, 'last use recorded');
    const del = (id: string) =>
      fetch(`${rest}/api/v1/tokens/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${kept.token}` } });
    assert.equal((await del(made.id)).status, 204);
    assert.equal((await get('/api/v1/cluster/info', made.token)).status, 401);
    const missing = await del(made.id);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_TOKEN_NOT_FOUND');
    const bad = await fetch(`${rest}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kept.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '' }),
    });
    assert.equal(bad.status, 400);
  });

  it('a revoked token is refused on its next call; an unknown id exits 1; the bootstrap token cannot be revoked', async () => {
    const doomed = json<Created>(await rmq(['token', 'create', '--name', 'doomed', '--json'], kept.token));
    secrets.push(doomed.token);
    assert.equal((await rmq(['cluster', 'status'], doomed.token)).code, 0);
    const revoked = await rmq(['token', 'revoke', doomed.id], kept.token);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `revoked token ${doomed.id}`);
    const after = await rmq(['cluster', 'status'], doomed.token);
    assert.equal(after.code, 4);
    assert.match(after.stderr, /RMQ_ERR_UNAUTHORIZED/);
    assert.equal((await get('/api/v1/cluster/info', doomed.token)).status, 401);
    const again = await rmq(['token', 'revoke', doomed.id, '--json'], kept.token);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Error: RMQ_ERR_TOKEN_NOT_FOUND: /);
    const boot = await rmq(['token', 'revoke', 'bootstrap'], kept.token);
    assert.equal(boot.code, 1);
    assert.match(boot.stderr, /admin\.bootstrap_token_file/);
  });

  it('an expired token is refused; bad --expires is a usage error (exit 2)', async () => {
    const brief = json<Created>(
      await rmq(['token', 'create', '--name', 'brief', '--expires', '1s', '--json'], kept.token),
    );
    secrets.push(brief.token);
    assert.ok(brief.expiresAtMs > brief.createdAtMs && brief.expiresAtMs <= brief.createdAtMs + 1000);
    await new Promise((r) => setTimeout(r, Math.max(0, brief.expiresAtMs - Date.now()) + 50));
    const r = await rmq(['cluster', 'status'], brief.token);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /expired/);
    assert.equal((await get('/api/v1/cluster/info', brief.token)).status, 401);
    const list = await rmq(['token', 'list'], kept.token);
    assert.match(list.stdout, /\(expired\)/);
    const usage = await rmq(['token', 'create', '--name', 'x', '--expires', 'soon'], kept.token);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--expires must be a duration/);
  });

  it('tokens survive a restart (sqlite) without the bootstrap file; the log never holds a token', async () => {
    log += await stopBroker(server);
    server = startBroker(join(dir, 'data'), ports, {}); // no bootstrap file now: the stored tokens suffice
    await server.line((l) => l.includes('RobustMQ broker started'), 20_000, 'broker restarted');
    const page = json<TokenPage>(await rmq(['token', 'list', '--json'], kept.token));
    assert.deepEqual(
      page.tokens.map((t) => t.name),
      ['ops-table', 'ci', 'brief'],
    );
    assert.ok(page.tokens[1]!.lastUsedAtMs > 0, 'last use saved at shutdown');
    assert.equal((await rmq(['cluster', 'status'], bootstrap)).code, 4, 'the bootstrap token went with its setting');
    assert.equal((await get('/api/v1/cluster/info', kept.token)).status, 200);
    log += await stopBroker(server);
    assert.match(log, /admin call refused/);
    assert.match(log, /"peer":"[^"]*127\.0\.0\.1/);
    for (const s of secrets) {
      assert.ok(!log.includes(s), 'a token is in the broker log');
      if (s.startsWith('rmq_')) assert.ok(!log.includes(s.slice(21)), 'a token secret is in the broker log');
    }
  });
});

describe('admin auth settings at start', () => {
  after(() => killLeftovers());

  it('auth "none" with a non-loopback admin bind: exit 2 naming admin.auth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-admin-none-'));
    try {
      const ports = { mqtt: await freePort(), admin: await freePort(), http: await freePort() };
      const server = startBroker(dir, ports, { ROBUSTMQ_ADMIN_AUTH: 'none' });
      server.proc.stdin!.end();
      const exit = await server.exited(20_000);
      assert.equal(exit.code, 2);
      const lines = server.stderr().trim().split('\n');
      assert.equal(lines.length, 1, server.stderr());
      assert.match(lines[0]!, /^Error: RMQ_ERR_CONFIG_INVALID: .*admin\.auth: .*admin\.grpc_bind = "0\.0\.0\.0"/);
      assert.match(lines[0]!, /admin\.auth = "token"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a non-loopback bind with no token at all: exit 2 naming admin.bootstrap_token_file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-admin-notoken-'));
    try {
      const ports = { mqtt: await freePort(), admin: await freePort(), http: await freePort() };
      const server = startBroker(dir, ports, {}, ['--storage', 'memory']);
      server.proc.stdin!.end();
      assert.equal((await server.exited(20_000)).code, 2);
      assert.match(server.stderr(), /^Error: RMQ_ERR_CONFIG_INVALID: .*admin\.bootstrap_token_file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('worker mode: the primary holds the tokens and checks every call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-admin-workers-'));
    const file = join(dir, 'admin-token');
    const bootstrap = randomBytes(24).toString('base64url');
    writeFileSync(file, bootstrap);
    chmodSync(file, 0o600);
    const ports = { mqtt: await freePort(), admin: await freePort(), http: await freePort() };
    const server = startBroker(dir, ports, { ROBUSTMQ_ADMIN_BOOTSTRAP_TOKEN_FILE: file }, [
      '--workers',
      '2',
      '--storage',
      'memory',
    ]);
    try {
      await server.line((l) => l.includes('RobustMQ broker started') && l.includes('"workers":2'), 30_000, 'started');
      const admin = `127.0.0.1:${ports.admin}`;
      assert.equal((await cli(['cluster', 'status', '--server', admin])).code, 4);
      const created = json<Created>(
        await cli(['token', 'create', '--name', 'w', '--json', '--server', admin, '--token', bootstrap]),
      );
      const status = json<{ nodes: { workers: number; adminAuthFailures: number }[] }>(
        await cli(['cluster', 'status', '--json', '--server', admin], { ROBUSTMQ_TOKEN: created.token }),
      );
      assert.equal(status.nodes[0]!.workers, 2);
      assert.equal(status.nodes[0]!.adminAuthFailures, 1);
      const res = await fetch(`http://127.0.0.1:${ports.http}/api/v1/tokens`);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    } finally {
      await stopBroker(server);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
