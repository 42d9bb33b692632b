// `robustmq-cli server status` against a broker started by the test: a record of the node for people,
// the JSON document (pid, uptime, listeners), and a broker that is not running (exit 3, one line).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/child.js';
import { jsonOf, runCli, startCliBroker, type CliBroker } from '../helpers/cli.js';
import { connect, type TestClient } from '../helpers/clients.js';

describe('robustmq-cli server status', () => {
  let broker: CliBroker;
  let dead: string;
  let client: TestClient;
  const cli = (args: string[]) => runCli(args);

  before(async () => {
    broker = await startCliBroker(['--log-level', 'info']);
    dead = `127.0.0.1:${await freePort()}`;
    client = await connect(broker.mqttPort, { clientId: 'status-client' });
  });

  after(async () => {
    await client?.client.endAsync();
    await broker?.stop();
  });

  it('server status: a record of the node for people, exit 0', async () => {
    const r = await cli(['server', 'status', '--server', broker.admin]);
    assert.equal(r.code, 0, r.stderr);
    for (const [field, value] of [
      ['status', 'running'],
      ['server', broker.admin],
      ['mqtt', `127.0.0.1:${broker.mqttPort}`],
      ['admin grpc', broker.admin],
      ['rest', broker.rest.replace('http://', '')],
      ['storage', 'memory'],
      ['connections', '1'],
      ['workers', '1'],
    ]) {
      assert.match(r.stdout, new RegExp(`│ ${field} +│ ${value} +│`), `${field} ${value} in\n${r.stdout}`);
    }
    assert.match(r.stdout, /│ version +│ \d+\.\d+\.\d+/);
    assert.match(r.stdout, /│ pid +│ \d+ +│/);
  });

  it('server status --json: the node with its pid, uptime and listeners', async () => {
    const doc = jsonOf<{ status: string; node: Record<string, unknown> }>(
      await cli(['server', 'status', '--server', broker.admin, '--json']),
    );
    assert.equal(doc.status, 'running');
    const n = doc.node;
    assert.equal(n.pid, broker.child.proc.pid);
    assert.ok(typeof n.uptimeMs === 'number' && n.uptimeMs > 0);
    assert.equal(n.mqttAddress, `127.0.0.1:${broker.mqttPort}`);
    assert.equal(n.adminGrpcAddress, broker.admin);
    assert.equal(n.restAddress, broker.rest.replace('http://', ''));
    assert.equal(n.storageEngine, 'memory');
    assert.equal(n.connections, 1);
  });

  it('server status of a broker that is not running: exit 3 with one line, and a JSON document with --json', async () => {
    const r = await cli(['server', 'status', '--server', dead]);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      new RegExp(`^Error: RMQ_ERR_UNREACHABLE: cannot reach the admin endpoint at ${dead} \\(ECONNREFUSED\\)`),
    );
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const j = await cli(['server', 'status', '--server', dead, '--json']);
    assert.equal(j.code, 3);
    const doc = JSON.parse(j.stdout) as { status: string; server: string; error: { code: string } };
    assert.equal(doc.status, 'unreachable');
    assert.equal(doc.server, dead);
    assert.equal(doc.error.code, 'RMQ_ERR_UNREACHABLE');
  });
});
