// `robustmq-cli config set` on a node with worker processes: the change reaches every worker (debug
// lines from each) and the primary (which enforces the connect timeout before a client reaches a worker).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closedWithoutConnect, debugLines, jsonOf, runCli, startCliBroker, type CliBroker } from '../helpers/cli.js';
import { connect, until, type TestClient } from '../helpers/clients.js';

interface Entry {
  key: string;
  value: unknown;
  runtime: boolean;
}

describe('robustmq-cli config set with worker processes (node.workers = 2)', () => {
  let b: CliBroker;
  const clients: TestClient[] = [];
  const cli = (args: string[]) => runCli([...args, '--server', b.admin]);

  before(async () => {
    b = await startCliBroker(['--workers', '2', '--log-level', 'info']);
  });

  after(async () => {
    for (const c of clients) await c.end(true);
    await b?.stop();
  });

  it('node.log_level reaches every worker: debug lines from both', async () => {
    assert.equal((await cli(['config', 'set', 'node.log_level', 'debug'])).code, 0);
    // client ids are spread over the workers by hash: enough of them reach both
    for (let i = 0; i < 8; i++) clients.push(await connect(b.mqttPort, { clientId: `wk-${i}` }));
    await until(
      () => {
        const workers = new Set(
          debugLines(b, 'client connected').map((l) => (JSON.parse(l) as { worker?: number }).worker),
        );
        return workers.has(0) && workers.has(1);
      },
      5000,
      'debug lines from worker 0 and worker 1',
    );
    assert.equal(jsonOf<Entry>(await cli(['config', 'get', 'node.log_level', '--json'])).value, 'debug');
  });

  it('mqtt.connect_timeout_ms reaches the primary, which holds connections until their CONNECT', async () => {
    assert.equal((await cli(['config', 'set', 'mqtt.connect_timeout_ms', '1000'])).code, 0);
    const ms = await closedWithoutConnect(b.mqttPort);
    assert.ok(ms >= 900 && ms < 3000, `closed after ${ms} ms`);
  });

  it('a bad value changes nothing', async () => {
    const r = await cli(['config', 'set', 'limits.max_queued_messages', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /RMQ_ERR_CONFIG_INVALID/);
    assert.equal(jsonOf<Entry>(await cli(['config', 'get', 'limits.max_queued_messages', '--json'])).value, 1000);
  });
});
