// `robustmq-cli config get|set` and /api/v1/config against a broker started by the test: the
// effective configuration (table and JSON, secrets redacted), runtime changes that really take
// effect (a second client refused, debug lines appearing, a shorter session queue, a shorter connect
// timeout), bad values and keys refused with the schema's message (worker mode
// is in cli-config-workers.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closedWithoutConnect, debugLines, jsonOf, runCli, startCliBroker, type CliBroker } from '../helpers/cli.js';
import { connect, delay, until, type TestClient } from '../helpers/clients.js';

interface Entry {
  key: string;
  value: unknown;
  runtime: boolean;
}

const PG_URL = 'postgres://rmq:hunter2@127.0.0.1:1/robustmq';

describe('robustmq-cli config get|set against a running broker', () => {
  let b: CliBroker;
  const clients: TestClient[] = [];
  const cli = (args: string[]) => runCli([...args, '--server', b.admin]);

  before(async () => {
    // a connection string with a password, as an operator may leave it in the environment
    b = await startCliBroker(['--log-level', 'info'], { ROBUSTMQ_STORAGE_POSTGRES_URL: PG_URL });
  });

  after(async () => {
    for (const c of clients) await c.end(true);
    await b?.stop();
  });

  it('config get --json: every key as the broker runs it, the runtime ones marked, secrets as ***', async () => {
    const r = await cli(['config', 'get', '--json']);
    assert.doesNotMatch(r.stdout, /hunter2/);
    const { entries } = jsonOf<{ entries: Entry[] }>(r);
    const byKey = new Map(entries.map((e) => [e.key, e]));
    assert.deepEqual(byKey.get('node.log_level'), { key: 'node.log_level', value: 'info', runtime: true });
    assert.deepEqual(byKey.get('mqtt.port'), { key: 'mqtt.port', value: b.mqttPort, runtime: false });
    assert.deepEqual(byKey.get('storage.postgres_url'), { key: 'storage.postgres_url', value: '***', runtime: false });
    assert.equal(byKey.get('storage.engine')?.value, 'memory');
    assert.deepEqual(byKey.get('topics.log_filters')?.value, []);
    assert.equal(byKey.get('limits.max_qos')?.runtime, false);
    for (const k of [
      'limits.max_connections',
      'limits.max_queued_messages',
      'mqtt.connect_timeout_ms',
      'limits.max_topic_levels',
    ]) {
      assert.equal(byKey.get(k)?.runtime, true, k);
    }
    // every section of the schema is there
    const sections = new Set(entries.map((e) => e.key.split('.')[0]));
    for (const s of ['node', 'mqtt', 'limits', 'session', 'shared', 'sys', 'storage', 'topics', 'admin']) {
      assert.ok(sections.has(s), s);
    }
  });

  it('config get as a table for people, and one key as a record', async () => {
    const all = await cli(['config', 'get']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /│ limits\.max_queued_messages +│ 1000 +│ yes +│/);
    assert.match(all.stdout, /│ limits\.max_qos +│ 2 +│ +│/);
    assert.match(all.stdout, /│ storage\.postgres_url +│ \*\*\* +│/);
    assert.doesNotMatch(all.stdout, /hunter2/);
    const one = await cli(['config', 'get', 'limits.max_queued_messages']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /│ value +│ 1000 +│/);
    assert.match(one.stdout, /│ runtime +│ yes/);
    assert.deepEqual(jsonOf<Entry>(await cli(['config', 'get', 'storage.engine', '--json'])), {
      key: 'storage.engine',
      value: 'memory',
      runtime: false,
    });
    const unknown = await cli(['config', 'get', 'limits.nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /RMQ_ERR_CONFIG_KEY: unknown configuration key "limits.nope"/);
  });

  it('REST: GET /api/v1/config (redacted) and /api/v1/config/{key}, in the OpenAPI document', async () => {
    const res = await fetch(`${b.rest}/api/v1/config`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.doesNotMatch(text, /hunter2/);
    const entries = (JSON.parse(text) as { entries: Entry[] }).entries;
    assert.equal(entries.find((e) => e.key === 'storage.postgres_url')?.value, '***');
    const one = await fetch(`${b.rest}/api/v1/config/limits.max_connections`);
    assert.equal(one.status, 200);
    assert.deepEqual(await one.json(), { key: 'limits.max_connections', value: 100000, runtime: true });
    const missing = await fetch(`${b.rest}/api/v1/config/nope.nope`);
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_CONFIG_KEY');
    const doc = (await (await fetch(`${b.rest}/api/v1/openapi.json`)).json()) as { paths: Record<string, object> };
    assert.ok(doc.paths['/api/v1/config']);
    assert.ok(Object.keys(doc.paths['/api/v1/config/{key}'] ?? {}).includes('put'));
  });

  it('config set limits.max_connections 1: a second client is refused until it is raised again (REST PUT)', async () => {
    clients.push(await connect(b.mqttPort, { clientId: 'limit-a' }));
    const r = await cli(['config', 'set', 'limits.max_connections', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^limits\.max_connections = 1 \(runtime only: the configuration file is not written/);
    await assert.rejects(connect(b.mqttPort, { clientId: 'limit-b' }));
    const put = await fetch(`${b.rest}/api/v1/config/limits.max_connections`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 100 }),
    });
    assert.equal(put.status, 200);
    assert.deepEqual(await put.json(), { key: 'limits.max_connections', value: 100, runtime: true });
    clients.push(await connect(b.mqttPort, { clientId: 'limit-b' }));
    assert.equal(jsonOf<Entry>(await cli(['config', 'get', 'limits.max_connections', '--json'])).value, 100);
  });

  it('config set node.log_level debug: debug lines appear (and stop again at info)', async () => {
    clients.push(await connect(b.mqttPort, { clientId: 'log-before' }));
    await delay(300);
    assert.deepEqual(debugLines(b, 'log-before'), []);
    const r = await cli(['config', 'set', 'node.log_level', 'debug', '--json']);
    assert.deepEqual(jsonOf<Entry>(r), { key: 'node.log_level', value: 'debug', runtime: true });
    clients.push(await connect(b.mqttPort, { clientId: 'log-after' }));
    await until(() => debugLines(b, 'log-after').length > 0, 5000, 'a debug line about log-after');
    assert.ok(debugLines(b, 'log-after').some((l) => l.includes('client connected')));
    assert.equal((await cli(['config', 'set', 'node.log_level', 'info'])).code, 0);
    clients.push(await connect(b.mqttPort, { clientId: 'log-quiet' }));
    await delay(300);
    assert.deepEqual(debugLines(b, 'log-quiet'), []);
  });

  it('config set limits.max_queued_messages 3: an offline session keeps the newest 3 of 10', async () => {
    const sub = await connect(b.mqttPort, { clientId: 'queue-sub', clean: false });
    await sub.client.subscribeAsync('queue/t', { qos: 1 });
    await sub.end();
    assert.equal((await cli(['config', 'set', 'limits.max_queued_messages', '3'])).code, 0);
    const pub = await connect(b.mqttPort, { clientId: 'queue-pub' });
    for (let i = 0; i < 10; i++) await pub.client.publishAsync('queue/t', String(i), { qos: 1 });
    await pub.end();
    const back = await connect(b.mqttPort, { clientId: 'queue-sub', clean: false });
    clients.push(back);
    await back.waitFor(3);
    await delay(500);
    // session.queue_drop = oldest: the newest ones are kept
    assert.deepEqual(
      back.messages.map((m) => m.payload.toString()),
      ['7', '8', '9'],
    );
    assert.equal((await cli(['config', 'set', 'limits.max_queued_messages', '1000'])).code, 0);
  });

  it('config set mqtt.connect_timeout_ms 1000: a connection without CONNECT is closed after about a second', async () => {
    assert.equal((await cli(['config', 'set', 'mqtt.connect_timeout_ms', '1000'])).code, 0);
    const ms = await closedWithoutConnect(b.mqttPort);
    // the sweep runs every 500 ms; the default (10 s) would not close it within the 8 s allowed
    assert.ok(ms >= 900 && ms < 3000, `closed after ${ms} ms`);
  });

  it('bad values exit 1 with the schema message and change nothing', async () => {
    for (const [key, value, message] of [
      ['limits.max_connections', '0', /RMQ_ERR_CONFIG_INVALID: invalid configuration: limits\.max_connections: .*>=1/],
      [
        'limits.max_connections',
        'many',
        /RMQ_ERR_CONFIG_INVALID: .*limits\.max_connections: must be a number, got "many"/,
      ],
      ['node.log_level', 'loud', /RMQ_ERR_CONFIG_INVALID: invalid configuration: node\.log_level: .*"info"/],
      ['session.queue_qos0', 'maybe', /RMQ_ERR_CONFIG_INVALID: .*must be true or false/],
      ['limits.max_keepalive', '70000', /RMQ_ERR_CONFIG_INVALID: .*limits\.max_keepalive: .*65535/],
    ] as const) {
      const r = await cli(['config', 'set', key, value]);
      assert.equal(r.code, 1, `${key} ${value}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal(jsonOf<Entry>(await cli(['config', 'get', 'limits.max_connections', '--json'])).value, 100);
    assert.equal(jsonOf<Entry>(await cli(['config', 'get', 'node.log_level', '--json'])).value, 'info');
  });

  it('unknown keys and keys that need a restart exit 1 naming the keys that can be set', async () => {
    const unknown = await cli(['config', 'set', 'limits.max_widgets', '3']);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /RMQ_ERR_CONFIG_KEY: unknown configuration key "limits\.max_widgets"; keys that can be set: node\.log_level, /,
    );
    const fixed = await cli(['config', 'set', 'limits.max_qos', '1']);
    assert.equal(fixed.code, 1);
    assert.match(
      fixed.stderr,
      /RMQ_ERR_CONFIG_KEY: limits\.max_qos cannot be changed while the broker runs .*limits\.max_connections/,
    );
    const port = await cli(['config', 'set', 'mqtt.port', '1']);
    assert.equal(port.code, 1);
    assert.equal((await cli(['config', 'set', 'node.log_level'])).code, 2); // VALUE missing: usage
  });

  it('REST PUT: a bad value or key is 400 with its code; an unknown field is refused', async () => {
    const put = (key: string, body: unknown) =>
      fetch(`${b.rest}/api/v1/config/${key}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bad = await put('limits.max_connections', { value: -1 });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_CONFIG_INVALID');
    const fixed = await put('admin.grpc_port', { value: 1 });
    assert.equal(fixed.status, 400);
    assert.equal(((await fixed.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_CONFIG_KEY');
    assert.equal((await put('limits.max_connections', { value: 5, extra: 1 })).status, 400);
    assert.equal((await put('limits.max_connections', {})).status, 400);
    const ok = await put('session.queue_qos0', { value: false });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as Entry).value, false);
  });
});
