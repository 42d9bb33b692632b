// The admin commands as an operator and a CI script run them: `robustmq-cli cluster status` and
// `client list` (the built CLI, a subprocess) against a broker started by the test (`server start`,
// another subprocess) over its admin gRPC endpoint on loopback. Table and JSON output, server-side
// filters and paging, ROBUSTMQ_SERVER, and the exit codes: 1 for an error the server answered,
// 2 for a bad flag, 3 for a server that cannot be reached.
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, freePort, spawnChild, type Child } from '../helpers/child.js';
import { jsonOf, runCli } from '../helpers/cli.js';
import { connect, type TestClient } from '../helpers/clients.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUN = join(ROOT, 'bin', 'run.js');
const cli = runCli;
const json = jsonOf;

interface ClientRow {
  clientId: string;
  username: string;
  ip: string;
  protocolVersion: number;
  cleanStart: boolean;
  subscriptions: number;
}

interface ClientPage {
  clients: ClientRow[];
  nextPageToken: string;
  total: number;
}

describe('robustmq-cli admin commands against a running broker', () => {
  let server: Child;
  let dir: string;
  let mqttPort: number;
  let admin: string;
  let httpPort: number;
  let rest: string;
  const clients: TestClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-cli-admin-'));
    mqttPort = await freePort();
    const adminPort = await freePort();
    httpPort = await freePort();
    rest = `http://127.0.0.1:${httpPort}`;
    admin = `127.0.0.1:${adminPort}`;
    server = spawnChild(
      process.execPath,
      [
        RUN,
        'server',
        'start',
        '--mqtt-port',
        String(mqttPort),
        '--admin-port',
        String(adminPort),
        '--http-port',
        String(httpPort),
        '--bind',
        '127.0.0.1',
        '--data-dir',
        dir,
        '--log-level',
        'info',
      ],
      { env: cleanEnv(), timeoutMs: 120_000 },
    );
    const started = await server.line((l) => l.includes('RobustMQ broker started'), 20_000, 'broker started');
    assert.equal((JSON.parse(started) as { admin: string }).admin, `grpc://${admin}`);
    clients.push(await connect(mqttPort, { clientId: 'adm-a', username: 'alice' }));
    clients.push(await connect(mqttPort, { clientId: 'adm-b', clean: false }));
    clients.push(await connect(mqttPort, { clientId: 'other-c', protocolVersion: 5 }));
    await clients[0]!.client.subscribeAsync('a/+', { qos: 1 });
  });

  after(async () => {
    for (const c of clients) await c.client.endAsync();
    server.proc.kill('SIGTERM');
    await server.exited(10_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('cluster status --json: one node, its connections, sessions, storage and listener', async () => {
    const status = json<{ clusterName: string; nodes: Record<string, unknown>[] }>(
      await cli(['cluster', 'status', '--json', '--server', admin]),
    );
    assert.equal(status.clusterName, 'robustmq-node-1');
    assert.equal(status.nodes.length, 1);
    const n = status.nodes[0]!;
    assert.equal(n.connections, 3);
    assert.equal(n.sessions, 3);
    assert.equal(n.subscriptions, 1);
    assert.equal(n.storageEngine, 'sqlite');
    assert.equal(n.mqttAddress, `127.0.0.1:${mqttPort}`);
    assert.match(String(n.version), /^\d+\.\d+\.\d+/);
    assert.ok(typeof n.uptimeMs === 'number' && n.uptimeMs > 0);
  });

  it('cluster status as a table for people', async () => {
    const r = await cli(['cluster', 'status', '--server', admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cluster\s+│ robustmq-node-1/);
    assert.match(r.stdout, /connections\s+│ 3\s/);
    assert.match(r.stdout, /│ robustmq-node-1 │ \d+\.\d+\.\d+\s+│/);
    assert.equal(r.stderr, '');
  });

  it('client list --json: every connected client, in client-id order, with what it connected with', async () => {
    const page = json<ClientPage>(await cli(['client', 'list', '--json', '--server', admin]));
    assert.equal(page.total, 3);
    assert.equal(page.nextPageToken, '');
    assert.deepEqual(
      page.clients.map((c) => [c.clientId, c.username, c.ip, c.protocolVersion, c.cleanStart, c.subscriptions]),
      [
        ['adm-a', 'alice', '127.0.0.1', 4, true, 1],
        ['adm-b', '', '127.0.0.1', 4, false, 0],
        ['other-c', '', '127.0.0.1', 5, true, 0],
      ],
    );
  });

  it('client list filters on the server: --client-id (contains), --username, --ip', async () => {
    const ids = async (...flags: string[]) =>
      json<ClientPage>(await cli(['client', 'list', '--json', '--server', admin, ...flags])).clients.map(
        (c) => c.clientId,
      );
    assert.deepEqual(await ids('--client-id', 'adm-'), ['adm-a', 'adm-b']);
    assert.deepEqual(await ids('--username', 'alice'), ['adm-a']);
    assert.deepEqual(await ids('--ip', '127.0.0.2'), []);
    assert.deepEqual(await ids('--ip', '127.0.0.1', '--client-id', 'other'), ['other-c']);
  });

  it('client list pages: --limit, then --page-token from the previous page; --all walks them', async () => {
    const first = json<ClientPage>(await cli(['client', 'list', '--json', '--server', admin, '--limit', '2']));
    assert.deepEqual(
      first.clients.map((c) => c.clientId),
      ['adm-a', 'adm-b'],
    );
    assert.equal(first.total, 3);
    assert.notEqual(first.nextPageToken, '');
    const second = json<ClientPage>(
      await cli(['client', 'list', '--json', '--server', admin, '--limit', '2', '--page-token', first.nextPageToken]),
    );
    assert.deepEqual(
      second.clients.map((c) => c.clientId),
      ['other-c'],
    );
    assert.equal(second.nextPageToken, '');
    const all = json<ClientPage>(await cli(['client', 'list', '--json', '--server', admin, '--limit', '1', '--all']));
    assert.deepEqual(
      all.clients.map((c) => c.clientId),
      ['adm-a', 'adm-b', 'other-c'],
    );
  });

  it('client list as a table, the target from ROBUSTMQ_SERVER, and a footer with the next page', async () => {
    const r = await cli(['client', 'list', '--limit', '2'], { ROBUSTMQ_SERVER: admin });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /│ adm-a\s+│ alice\s+│ 127\.0\.0\.1:\d+\s+│ 3\.1\.1\s+│/);
    assert.match(r.stdout, /2 of 3 client\(s\); next page: --page-token \S+/);
    assert.doesNotMatch(r.stdout, /other-c/);
  });

  it('exit 3 with one line when the server cannot be reached; nothing on stdout in JSON mode', async () => {
    const port = await freePort(); // nothing listens there
    const r = await cli(['client', 'list', '--json', '--server', `127.0.0.1:${port}`, '--timeout', '5']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Error: RMQ_ERR_UNREACHABLE: cannot reach the admin endpoint at 127\.0\.0\.1:\d+ .*\n$/);
  });

  it('exit 1 with the server-side code for a request the server refuses (a forged page token)', async () => {
    const r = await cli(['client', 'list', '--json', '--server', admin, '--page-token', 'not/a/token']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Error: RMQ_ERR_INVALID_ARGUMENT: page token is not one this server gave out\n$/);
  });

  it('exit 2 for a bad flag, with the command to get help', async () => {
    const r = await cli(['client', 'list', '--limit', '0', '--server', admin]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Error: .*--limit.*\(see robustmq-cli client list --help\)\n$/);
  });
  it('topic create, list, describe and delete, as JSON and as tables', async () => {
    const created = json<{ name: string; partitions: number; retentionMs: number; retentionBytes: number }>(
      await cli([
        'topic',
        'create',
        '--name',
        'cli/orders',
        '--partitions',
        '3',
        '--retention',
        '2h',
        '--json',
        '--server',
        admin,
      ]),
    );
    assert.deepEqual(
      {
        name: created.name,
        partitions: created.partitions,
        retentionMs: created.retentionMs,
        retentionBytes: created.retentionBytes,
      },
      { name: 'cli/orders', partitions: 3, retentionMs: 7_200_000, retentionBytes: 0 },
    );
    // defaults from the broker's [topics] section: 1 partition, 7 days
    const plain = await cli(['topic', 'create', '--name', 'cli/plain', '--server', admin]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /│ retention\s+│ 7d, no size limit\s+│/);
    // three messages into the log, then the offsets per partition
    const pub = await connect(mqttPort, { clientId: 'topic-pub' });
    for (let i = 0; i < 3; i++) await pub.client.publishAsync('cli/orders', `o${i}`, { qos: 1 });
    await pub.end();
    const described = json<{
      messages: number;
      partitionInfo: { partition: number; firstOffset: number; nextOffset: number }[];
    }>(await cli(['topic', 'describe', 'cli/orders', '--json', '--server', admin]));
    assert.equal(described.messages, 3);
    assert.deepEqual(
      described.partitionInfo.map((p) => p.partition),
      [0, 1, 2],
    );
    assert.equal(
      described.partitionInfo.reduce((a, p) => a + p.nextOffset - p.firstOffset, 0),
      3,
    );
    const table = await cli(['topic', 'describe', 'cli/orders', '--server', admin]);
    assert.match(table.stdout, /│ partition\s+│ first offset\s+│ next offset\s+│ messages\s+│/);
    const list = json<{ topics: { name: string; messages: number }[]; total: number }>(
      await cli(['topic', 'list', '--name', 'cli/', '--json', '--server', admin]),
    );
    assert.deepEqual(
      list.topics.map((t) => [t.name, t.messages]),
      [
        ['cli/orders', 3],
        ['cli/plain', 0],
      ],
    );
    const paged = json<{ topics: { name: string }[]; nextPageToken: string }>(
      await cli(['topic', 'list', '--name', 'cli/', '--limit', '1', '--json', '--server', admin]),
    );
    assert.deepEqual(
      paged.topics.map((t) => t.name),
      ['cli/orders'],
    );
    const next = json<{ topics: { name: string }[]; nextPageToken: string }>(
      await cli([
        'topic',
        'list',
        '--name',
        'cli/',
        '--limit',
        '1',
        '--page-token',
        paged.nextPageToken,
        '--json',
        '--server',
        admin,
      ]),
    );
    assert.deepEqual(
      next.topics.map((t) => t.name),
      ['cli/plain'],
    );
    assert.equal(next.nextPageToken, '');
    const deleted = await cli(['topic', 'delete', 'cli/plain', '--server', admin]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, 'deleted topic cli/plain');
    const gone = await cli(['topic', 'describe', 'cli/plain', '--json', '--server', admin]);
    assert.equal(gone.code, 1);
    assert.equal(gone.stdout, '');
    assert.match(gone.stderr, /^Error: RMQ_ERR_TOPIC_NOT_FOUND: topic "cli\/plain" has not been created\n$/);
  });

  it('topic create refuses what it must: a name taken (exit 1), a bad name (exit 1), a bad duration (exit 2)', async () => {
    assert.equal((await cli(['topic', 'create', '--name', 'cli/dup', '--server', admin])).code, 0);
    const dup = await cli(['topic', 'create', '--name', 'cli/dup', '--server', admin]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^Error: RMQ_ERR_TOPIC_EXISTS: topic "cli\/dup" exists already\n$/);
    const wild = await cli(['topic', 'create', '--name', 'cli/+', '--server', admin]);
    assert.equal(wild.code, 1);
    assert.match(wild.stderr, /^Error: RMQ_ERR_INVALID_ARGUMENT: topic name "cli\/\+" is not valid/);
    const bad = await cli(['topic', 'create', '--name', 'cli/x', '--retention', 'soon', '--server', admin]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^Error: RMQ_ERR_INVALID_ARGUMENT: --retention must be a duration .*got "soon" \(see robustmq-cli topic create --help\)\n$/,
    );
  });
  it('REST: GET /api/v1/cluster/info and /api/v1/clients answer what gRPC answers', async () => {
    const info = (await (await fetch(`${rest}/api/v1/cluster/info`)).json()) as {
      clusterName: string;
      nodes: { connections: number; mqttAddress: string }[];
    };
    assert.equal(info.clusterName, 'robustmq-node-1');
    assert.equal(info.nodes[0]!.mqttAddress, `127.0.0.1:${mqttPort}`);
    const viaGrpc = json<{ clients: { clientId: string }[]; total: number }>(
      await cli(['client', 'list', '--json', '--server', admin]),
    );
    const res = await fetch(`${rest}/api/v1/clients?limit=1000`);
    assert.equal(res.status, 200);
    const page = (await res.json()) as {
      clients: { clientId: string; username: string }[];
      total: number;
      nextPageToken: string;
    };
    assert.deepEqual(
      page.clients.map((c) => c.clientId),
      viaGrpc.clients.map((c) => c.clientId),
    );
    assert.equal(page.total, viaGrpc.total);
    const alice = (await (await fetch(`${rest}/api/v1/clients?username=alice`)).json()) as {
      clients: { clientId: string }[];
    };
    assert.deepEqual(
      alice.clients.map((c) => c.clientId),
      ['adm-a'],
    );
    const first = (await (await fetch(`${rest}/api/v1/clients?limit=1`)).json()) as {
      clients: { clientId: string }[];
      nextPageToken: string;
    };
    const second = (await (await fetch(`${rest}/api/v1/clients?limit=1&page_token=${first.nextPageToken}`)).json()) as {
      clients: { clientId: string }[];
    };
    assert.notEqual(second.clients[0]!.clientId, first.clients[0]!.clientId);
  });

  it('REST: POST /api/v1/topics creates (201), GET and DELETE by a name with slashes, then 404', async () => {
    const created = await fetch(`${rest}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rest/a/b', partitions: 2, retentionMs: 60_000 }),
    });
    assert.equal(created.status, 201);
    assert.deepEqual(
      ((await created.json()) as { name: string; partitions: number; retentionMs: number }).partitions,
      2,
    );
    const again = await fetch(`${rest}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rest/a/b' }),
    });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_TOPIC_EXISTS');
    const one = (await (await fetch(`${rest}/api/v1/topics/rest/a/b`)).json()) as {
      name: string;
      partitionInfo: unknown[];
    };
    assert.equal(one.name, 'rest/a/b');
    assert.equal(one.partitionInfo.length, 2);
    const listed = (await (await fetch(`${rest}/api/v1/topics?name=rest/`)).json()) as { topics: { name: string }[] };
    assert.deepEqual(
      listed.topics.map((t) => t.name),
      ['rest/a/b'],
    );
    assert.equal((await fetch(`${rest}/api/v1/topics/rest/a/b`, { method: 'DELETE' })).status, 204);
    const gone = await fetch(`${rest}/api/v1/topics/rest/a/b`);
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), {
      error: { code: 'RMQ_ERR_TOPIC_NOT_FOUND', message: 'topic "rest/a/b" has not been created' },
    });
  });

  it('REST without credentials (loopback binds) answers only loopback Host names: a rebound DNS name gets 403', async () => {
    const get = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get(
          { host: '127.0.0.1', port: httpPort, path: '/api/v1/cluster/info', headers: { host } },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
      });
    const rebound = await get(`attacker.example:${httpPort}`);
    assert.equal(rebound.status, 403);
    assert.equal((JSON.parse(rebound.body) as { error: { code: string } }).error.code, 'RMQ_ERR_UNAUTHORIZED');
    for (const host of [`127.0.0.1:${httpPort}`, `localhost:${httpPort}`, `[::1]:${httpPort}`]) {
      assert.equal((await get(host)).status, 200, host);
    }
  });

  it('REST: bad input is 400 with a stable code; an unknown route is 404; metrics, health, OpenAPI and docs answer', async () => {
    const bad = await fetch(`${rest}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', partitions: 0 }),
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_INVALID_ARGUMENT');
    const badLimit = await fetch(`${rest}/api/v1/clients?limit=5000`);
    assert.equal(badLimit.status, 400);
    // a misspelt field is refused, not dropped (which would create the topic with defaults)
    const misspelt = await fetch(`${rest}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rest/misspelt', retention_ms: 0 }),
    });
    assert.equal(misspelt.status, 400);
    assert.equal((await fetch(`${rest}/api/v1/topics/rest/misspelt`)).status, 404);
    assert.equal((await fetch(`${rest}/api/v1/clients?clientid=x`)).status, 400);
    const nowhere = await fetch(`${rest}/api/v1/nowhere`);
    assert.equal(nowhere.status, 404);
    assert.equal(((await nowhere.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_NOT_FOUND');
    const metrics = (await (await fetch(`${rest}/api/v1/metrics/messages`)).json()) as Record<string, number>;
    assert.deepEqual(Object.keys(metrics).sort(), ['bytesReceived', 'bytesSent', 'dropped', 'received', 'sent']);
    assert.ok(metrics.received! >= 3, JSON.stringify(metrics)); // the topic test published three
    assert.deepEqual(await (await fetch(`${rest}/health/live`)).json(), { status: 'ok' });
    assert.equal((await fetch(`${rest}/health/ready`)).status, 200);
    const openapi = (await (await fetch(`${rest}/api/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    assert.match(openapi.openapi, /^3\./);
    for (const path of [
      '/api/v1/cluster/info',
      '/api/v1/clients',
      '/api/v1/topics',
      '/api/v1/metrics/messages',
      '/health/ready',
    ]) {
      assert.ok(path in openapi.paths, `${path} in the OpenAPI document`);
    }
    const docs = await fetch(`${rest}/api/docs`);
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await docs.text(), /<code>\/api\/v1\/cluster\/info<\/code>/);
  });
  it('client describe: how it connected and its subscriptions, as JSON and a table; an unknown id is exit 1', async () => {
    const d = json<{
      client: { clientId: string; username: string };
      subscriptions: { filter: string; qos: number }[];
      sessionExpiryS: number;
    }>(await cli(['client', 'describe', 'adm-a', '--json', '--server', admin]));
    assert.equal(d.client.clientId, 'adm-a');
    assert.equal(d.client.username, 'alice');
    assert.deepEqual(
      d.subscriptions.map((s) => [s.filter, s.qos]),
      [['a/+', 1]],
    );
    const table = await cli(['client', 'describe', 'adm-a', '--server', admin]);
    assert.match(table.stdout, /│ a\/\+\s+│ 1\s+│/);
    const none = await cli(['client', 'describe', 'nobody', '--server', admin]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^Error: RMQ_ERR_CLIENT_NOT_FOUND: no client "nobody" is connected\n$/);
    const viaRest = await fetch(`${rest}/api/v1/clients/adm-a`);
    assert.equal(viaRest.status, 200);
    assert.equal((await fetch(`${rest}/api/v1/clients/nobody`)).status, 404);
  });

  it('client kick: an MQTT 5 client gets DISCONNECT 0x98 [MQTT-3.14.2-1]; its persistent session stays', async () => {
    const victim = await connect(mqttPort, {
      clientId: 'kick-me',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    });
    await victim.client.subscribeAsync('kick/t', { qos: 1 });
    const reason = new Promise<number | undefined>((resolve) =>
      victim.client.once('disconnect', (p) => resolve(p.reasonCode)),
    );
    const r = await cli(['client', 'kick', 'kick-me', '--server', admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'disconnected client kick-me');
    assert.equal(await reason, 0x98);
    await victim.end(true);
    // a message while it is away waits in the session, and comes when it is back
    const other = await connect(mqttPort, { clientId: 'kick-pub' });
    await other.client.publishAsync('kick/t', 'while away', { qos: 1 });
    await other.end();
    const back = await connect(mqttPort, {
      clientId: 'kick-me',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    });
    const [queued] = await back.waitFor(1);
    assert.equal(queued!.payload.toString(), 'while away');
    // and through REST
    assert.equal((await fetch(`${rest}/api/v1/clients/kick-me`, { method: 'DELETE' })).status, 204);
    await back.end(true);
    assert.equal((await cli(['client', 'kick', 'kick-me', '--server', admin])).code, 1);
  });

  it('node list: one row per node, and JSON', async () => {
    const r = json<{ nodes: { name: string; workers: number }[] }>(
      await cli(['node', 'list', '--json', '--server', admin]),
    );
    assert.deepEqual(
      r.nodes.map((n) => [n.name, n.workers]),
      [['robustmq-node-1', 1]],
    );
    const table = await cli(['node', 'list', '--server', admin]);
    assert.match(table.stdout, /│ robustmq-node-1\s+│ 127\.0\.0\.1:\d+\s+│/);
  });
});
