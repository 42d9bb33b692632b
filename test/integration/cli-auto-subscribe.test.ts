// `robustmq-cli auto-subscribe create|list|delete` (the built CLI, a subprocess) and the REST routes
// against a broker started by the test (`server start`, sqlite storage, a config file with one rule):
// tables and --json, errors (exit 1), rules created at runtime surviving a restart on the same
// --data-dir and applying after it to a real MQTT client that never subscribes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, json, post, startServer, stopServer, type Server } from '../helpers/admin-cli.js';
import { connect, uniqueId } from '../helpers/clients.js';
import { startCliBroker } from '../helpers/cli.js';

interface RuleRow {
  id: string;
  topic: string;
  qos: number;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  source: string;
  createdAtMs: number;
}

describe('robustmq-cli auto-subscribe against a broker with sqlite storage', () => {
  let dir: string;
  let config: string;
  let server: Server;
  let mqttPort: number;
  const start = async () => {
    server = await startServer(dir, ['--config', config]);
    const line = server.child.lines.find((l) => l.includes('RobustMQ broker started'))!;
    mqttPort = Number(/mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(line)![1]);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-cli-autosub-'));
    config = join(dir, 'robustmq.toml');
    writeFileSync(config, '[[auto_subscribe.rules]]\ntopic = "cfg/${clientid}"\nqos = 1\n');
    await start();
  });
  after(async () => {
    if (server.child.proc.exitCode === null) await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('create prints the rule as a table; --json prints the document', async () => {
    const r = await cli([
      'auto-subscribe',
      'create',
      '--topic',
      'devices/${clientid}/cmd',
      '--qos',
      '1',
      '--retain-handling',
      '1',
      '--server',
      server.admin,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^created auto-subscribe rule as-[0-9a-z]+$/m);
    assert.match(r.stdout, /devices\/\$\{clientid\}\/cmd/);
    const rule = json<RuleRow>(
      await cli([
        'auto-subscribe',
        'create',
        '--topic',
        'users/${username}/inbox',
        '--qos',
        '2',
        '--no-local',
        '--retain-as-published',
        '--json',
        '--server',
        server.admin,
      ]),
    );
    assert.deepEqual(
      { ...rule, id: '', createdAtMs: 0 },
      {
        id: '',
        topic: 'users/${username}/inbox',
        qos: 2,
        noLocal: true,
        retainAsPublished: true,
        retainHandling: 0,
        source: 'api',
        createdAtMs: 0,
      },
    );
  });

  it('bad input: exit 1 with the server error code; a bad flag value: exit 2', async () => {
    const dup = await cli(['auto-subscribe', 'create', '--topic', 'cfg/${clientid}', '--server', server.admin]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^Error: RMQ_ERR_AUTO_SUBSCRIBE_EXISTS: rule config-1 \(from the configuration file\)/);
    const bad = await cli(['auto-subscribe', 'create', '--topic', 'x/${nope}', '--server', server.admin]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /RMQ_ERR_TOPIC_INVALID: .*unknown placeholder \$\{nope\}/);
    const qos = await cli(['auto-subscribe', 'create', '--topic', 'x', '--qos', '3', '--server', server.admin]);
    assert.equal(qos.code, 2, qos.stderr);
    const cfg = await cli(['auto-subscribe', 'delete', 'config-1', '--server', server.admin]);
    assert.equal(cfg.code, 1);
    assert.match(cfg.stderr, /^Error: RMQ_ERR_CONFIG_DEFINED: .*remove it from \[\[auto_subscribe.rules\]\]/);
    const none = await cli(['auto-subscribe', 'delete', 'nothing/here', '--server', server.admin]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /RMQ_ERR_AUTO_SUBSCRIBE_NOT_FOUND/);
  });

  it('list: a table with the config rule first, and --json', async () => {
    const r = await cli(['auto-subscribe', 'list', '--server', server.admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /config-1\s+│ cfg\/\$\{clientid\}\s+│ 1 /);
    assert.match(r.stdout, /│ config /);
    assert.match(r.stdout, /3 of 3 rule\(s\)/);
    const doc = json<{ rules: RuleRow[]; total: number; nextPageToken: string }>(
      await cli(['auto-subscribe', 'list', '--json', '--server', server.admin]),
    );
    assert.equal(doc.total, 3);
    assert.deepEqual(
      doc.rules.map((x) => [x.topic, x.source]),
      [
        ['cfg/${clientid}', 'config'],
        ['devices/${clientid}/cmd', 'api'],
        ['users/${username}/inbox', 'api'],
      ],
    );
  });

  it('REST: GET /api/v1/auto-subscribes, POST (409 for a duplicate), DELETE (404 when none)', async () => {
    const list = (await (await fetch(`${server.rest}/api/v1/auto-subscribes`)).json()) as { rules: RuleRow[] };
    assert.equal(list.rules.length, 3);
    const created = await post(`${server.rest}/api/v1/auto-subscribes`, { topic: 'rest/${host}', qos: 1 });
    assert.equal(created.status, 201);
    const rule = (await created.json()) as RuleRow;
    const dup = await post(`${server.rest}/api/v1/auto-subscribes`, { topic: 'rest/${host}' });
    assert.equal(dup.status, 409);
    assert.equal(((await dup.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_AUTO_SUBSCRIBE_EXISTS');
    const del = await fetch(`${server.rest}/api/v1/auto-subscribes/${rule.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const gone = await fetch(`${server.rest}/api/v1/auto-subscribes/${rule.id}`, { method: 'DELETE' });
    assert.equal(gone.status, 404);
  });

  it('rules created by the CLI survive a restart and apply after it; delete by topic', async () => {
    await stopServer(server);
    await start();
    const doc = json<{ rules: RuleRow[] }>(await cli(['auto-subscribe', 'list', '--json', '--server', server.admin]));
    assert.deepEqual(
      doc.rules.map((x) => x.topic),
      ['cfg/${clientid}', 'devices/${clientid}/cmd', 'users/${username}/inbox'],
    );

    const id = uniqueId('after-restart');
    const c = await connect(mqttPort, { protocolVersion: 5, clientId: id });
    const pub = await connect(mqttPort, { protocolVersion: 5 });
    try {
      await pub.client.publishAsync(`devices/${id}/cmd`, 'runtime rule', { qos: 1 });
      await pub.client.publishAsync(`cfg/${id}`, 'config rule', { qos: 1 });
      const got = (await c.waitFor(2)).map((m) => m.payload.toString()).sort();
      assert.deepEqual(got, ['config rule', 'runtime rule']);
    } finally {
      await c.end(true);
      await pub.end(true);
    }

    const r = await cli(['auto-subscribe', 'delete', 'devices/${clientid}/cmd', '--server', server.admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deleted auto-subscribe rule devices\/\$\{clientid\}\/cmd/);
    const after = json<{ rules: RuleRow[] }>(await cli(['auto-subscribe', 'list', '--json', '--server', server.admin]));
    assert.deepEqual(
      after.rules.map((x) => x.topic),
      ['cfg/${clientid}', 'users/${username}/inbox'],
    );
  });
});

describe('robustmq-cli auto-subscribe and exclusive with worker processes', () => {
  it('are RMQ_ERR_UNSUPPORTED (exit 1): config-file rules only', async () => {
    const b = await startCliBroker(['--workers', '2']);
    try {
      for (const args of [
        ['auto-subscribe', 'list'],
        ['exclusive', 'list'],
        ['exclusive', 'delete', 'x'],
      ]) {
        const r = await cli([...args, '--server', b.admin]);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
        assert.match(r.stderr, /^Error: RMQ_ERR_UNSUPPORTED: .*node\.workers > 1/);
      }
    } finally {
      await b.stop();
    }
  });
});
