// System alarms (src/server/features/alarms.ts) fired for real: process memory above a threshold set
// below the current RSS, connections from real clients against a small max_connections, the event
// loop of this in-process broker blocked, CPU burnt by a busy loop, and a sqlite group commit that
// fails. A $SYS subscriber receives the activate / deactivate JSON; the history of deactivated alarms
// survives a restart (and active ones are evaluated again); the CLI (`alarm list|clear-history`,
// table and --json) and the REST route against `server start`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { AlarmInfo } from '../../src/lib/admin-api.js';
import type { BrokerConfigInput } from '../../src/lib/config.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { jsonOf, runCli, startCliBroker, type CliBroker } from '../helpers/cli.js';
import { connect, delay, until, type TestClient } from '../helpers/clients.js';

/** Every periodic check off, checks every second: a test turns on the one it needs. */
const QUIET = {
  enabled: true,
  check_interval_s: 1,
  memory_high_mb: 0,
  cpu_high_percent: 0,
  event_loop_lag_ms: 0,
  connections_high_percent: 0,
};

function alarmsConfig(
  alarms: Partial<typeof QUIET> & { history_size?: number },
  more: BrokerConfigInput = {},
): BrokerConfigInput {
  return { ...more, alarms: { ...QUIET, ...alarms } };
}

const active = (b: TestBroker, name: string): boolean => b.broker.alarms.list().items.some((a) => a.name === name);
const history = (b: TestBroker): AlarmInfo[] => b.broker.alarms.list({ state: 'deactivated' }).items;

describe('system alarms', () => {
  const brokers: TestBroker[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end(true);
    for (const b of brokers.splice(0)) await b.stop();
  });

  it('high_memory: activate and deactivate are published as JSON on $SYS/brokers/{node}/alarms/...', async () => {
    const b = await startBroker(
      alarmsConfig({}, { node: { name: 'alarm-node' }, sys: { enabled: true, interval: 3600 } }),
    );
    brokers.push(b);
    const sys = await connect(b.port);
    clients.push(sys);
    await sys.client.subscribeAsync('$SYS/brokers/+/alarms/#', { qos: 0 });
    const rssMb = process.memoryUsage.rss() / (1024 * 1024);
    assert.ok(rssMb > 2);

    await b.broker.admin.setConfig('alarms.memory_high_mb', '1'); // below this process's RSS
    const [activated] = await sys.waitFor(1);
    assert.equal(activated!.topic, '$SYS/brokers/alarm-node/alarms/activate');
    assert.equal(activated!.packet.retain, false);
    const a = JSON.parse(activated!.payload.toString()) as Record<string, unknown>;
    assert.equal(a.name, 'high_memory');
    assert.equal(a.activated, true);
    assert.equal(a.deactivate_at, 'infinity');
    assert.equal(a.node, 'alarm-node');
    assert.match(String(a.message), /RSS/);
    const details = a.details as { value: number; threshold: number; unit: string };
    assert.equal(details.threshold, 1);
    assert.equal(details.unit, 'MB');
    assert.ok(details.value > 1);
    assert.ok(Math.abs((a.activate_at as number) - Date.now()) < 10_000);

    const listed = (await b.broker.admin.listAlarms()).items;
    assert.deepEqual(
      listed.map((x) => [x.name, x.activated, x.deactivatedAtMs]),
      [['high_memory', true, 0]],
    );
    // no second activation while it stays active
    await delay(1300);
    assert.equal(sys.messages.length, 1);

    await b.broker.admin.setConfig('alarms.memory_high_mb', '1000000');
    await sys.waitFor(2);
    const deactivated = sys.messages[1]!;
    assert.equal(deactivated.topic, '$SYS/brokers/alarm-node/alarms/deactivate');
    const d = JSON.parse(deactivated.payload.toString()) as Record<string, unknown>;
    assert.equal(d.name, 'high_memory');
    assert.equal(d.activated, false);
    assert.ok((d.deactivate_at as number) >= (d.activate_at as number));
    assert.deepEqual((await b.broker.admin.listAlarms()).items, []);
    const h = (await b.broker.admin.listAlarms({ state: 'deactivated' })).items;
    assert.equal(h.length, 1);
    assert.equal(h[0]!.name, 'high_memory');
    assert.equal(h[0]!.activated, false);
    assert.equal((await b.broker.admin.listAlarms({ state: 'all' })).total, 1);
  });

  it('too_many_connections: real clients reach connections_high_percent of max_connections; cleared when they leave', async () => {
    const b = await startBroker(alarmsConfig({ connections_high_percent: 50 }, { limits: { max_connections: 10 } }));
    brokers.push(b);
    const conns: TestClient[] = [];
    for (let i = 0; i < 4; i++) conns.push(await connect(b.port));
    await delay(1300);
    assert.equal(active(b, 'too_many_connections'), false, '4 of 10 is below 50%');
    conns.push(await connect(b.port));
    await until(() => active(b, 'too_many_connections'), 5000, 'the connections alarm');
    const alarm = b.broker.alarms.list().items[0]!;
    assert.equal(alarm.details.value, 5);
    assert.equal(alarm.details.threshold, 5);
    for (const c of conns) await c.end();
    await until(() => !active(b, 'too_many_connections'), 5000, 'the alarm to clear');
    assert.equal(history(b)[0]!.name, 'too_many_connections');
  });

  it('hysteresis: an alarm clears only below 90% of its threshold', async () => {
    const b = await startBroker(alarmsConfig({ connections_high_percent: 100 }, { limits: { max_connections: 20 } }));
    brokers.push(b);
    const conns: TestClient[] = [];
    // threshold 20 is not reachable (the 21st is refused): lower max_connections instead
    for (let i = 0; i < 19; i++) conns.push(await connect(b.port));
    clients.push(...conns);
    await b.broker.admin.setConfig('limits.max_connections', '19');
    b.broker.alarms.check();
    assert.ok(active(b, 'too_many_connections'));
    await conns.pop()!.end(); // 18 of 19: above 90% (17.1)
    await until(() => b.broker.connections.size === 18, 3000);
    b.broker.alarms.check();
    assert.ok(active(b, 'too_many_connections'), 'still active at 18 (>= 90% of 19)');
    await conns.pop()!.end(); // 17: below 17.1
    await until(() => b.broker.connections.size === 17, 3000);
    b.broker.alarms.check();
    assert.equal(active(b, 'too_many_connections'), false);
  });

  it('event_loop_lag: the event loop of the broker blocked longer than event_loop_lag_ms', async () => {
    const b = await startBroker(alarmsConfig({ event_loop_lag_ms: 200 }));
    brokers.push(b);
    await delay(1200); // the first check only starts the measurement
    for (let i = 0; i < 20 && !active(b, 'event_loop_lag'); i++) {
      const end = Date.now() + 400;
      while (Date.now() < end); // blocks this process's event loop (the broker's)
      await delay(1100);
    }
    assert.ok(active(b, 'event_loop_lag'), 'the event loop alarm');
    const alarm = b.broker.alarms.list().items[0]!;
    assert.ok((alarm.details.value as number) >= 200, JSON.stringify(alarm.details));
    await until(() => !active(b, 'event_loop_lag'), 8000, 'the alarm to clear once the loop runs freely');
  });

  it('high_cpu: a busy loop in the broker process', async () => {
    const b = await startBroker(alarmsConfig({ cpu_high_percent: 25 }));
    brokers.push(b);
    const deadline = Date.now() + 30_000;
    while (!active(b, 'high_cpu') && Date.now() < deadline) {
      const end = Date.now() + 50;
      while (Date.now() < end); // busy, but timers still run between bursts
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(active(b, 'high_cpu'), 'the CPU alarm');
    const alarm = b.broker.alarms.list().items[0]!;
    assert.ok((alarm.details.value as number) >= 25, JSON.stringify(alarm.details));
    assert.equal(alarm.details.unit, '%');
    await until(() => !active(b, 'high_cpu'), 10_000, 'the alarm to clear when idle');
  });

  it('storage_write_failed: a sqlite group commit that fails raises it (it stays: the failure is sticky)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-alarm-storage-'));
    const b = await startBroker(alarmsConfig({}, { node: { data_dir: dir }, storage: { engine: 'sqlite' } }));
    try {
      // another connection adds a trigger that refuses one retained topic: the broker's next commit fails
      const db = new Database(join(dir, 'robustmq.db'));
      db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON retained WHEN NEW.topic = 'alarm/fail'
               BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
      db.close();
      const pub = await connect(b.port);
      clients.push(pub);
      pub.client.publish('alarm/fail', 'x', { qos: 0, retain: true });
      await until(() => active(b, 'storage_write_failed'), 5000, 'the storage alarm');
      const alarm = b.broker.alarms.list().items.find((a) => a.name === 'storage_write_failed')!;
      assert.equal(alarm.details.engine, 'sqlite');
      assert.match(String(alarm.details.error), /refused by the test/);
      await delay(1200);
      assert.ok(active(b, 'storage_write_failed'), 'not cleared by the periodic checks');
    } finally {
      for (const c of clients.splice(0)) await c.end(true);
      await b.broker.stop().catch(() => {}); // the final flush reports the failure
      await b.broker.storage.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the history survives a restart; active alarms are evaluated again at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-alarm-restart-'));
    try {
      await restartScenario(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  async function restartScenario(dir: string): Promise<void> {
    const config = (memory: number) =>
      alarmsConfig(
        { memory_high_mb: memory, history_size: 2 },
        { node: { data_dir: dir }, storage: { engine: 'sqlite' } },
      );
    let b = await startBroker(config(1), true);
    assert.ok(active(b, 'high_memory'), 'checked at start');
    for (const mb of ['1000000', '1', '1000000', '1', '1000000'])
      await b.broker.admin.setConfig('alarms.memory_high_mb', mb);
    assert.equal(history(b).length, 2, 'history_size = 2 keeps the last two');
    const kept = history(b).map((a) => a.deactivatedAtMs);
    await b.broker.admin.setConfig('alarms.memory_high_mb', '1'); // active at stop
    await b.stop();

    b = await startBroker(config(1), true);
    try {
      assert.deepEqual(
        history(b).map((a) => a.deactivatedAtMs),
        kept,
      );
      assert.ok(history(b).every((a) => a.name === 'high_memory' && !a.activated));
      assert.ok(active(b, 'high_memory'), 'evaluated again at start');
      await b.broker.admin.clearAlarmHistory();
      assert.deepEqual(history(b), []);
    } finally {
      await b.stop();
    }
    b = await startBroker(config(0), true);
    try {
      assert.deepEqual(history(b), [], 'clear-history is stored');
      assert.deepEqual(b.broker.alarms.list().items, [], 'off: nothing active');
    } finally {
      await b.stop();
    }
  }

  it('alarms.enabled = false runs no check; set true at run time starts them', async () => {
    const b = await startBroker(alarmsConfig({ enabled: false, memory_high_mb: 1 }));
    brokers.push(b);
    await delay(1200);
    assert.deepEqual(b.broker.alarms.list().items, []);
    await b.broker.admin.setConfig('alarms.enabled', 'true');
    assert.ok(active(b, 'high_memory'));
    await b.broker.admin.setConfig('alarms.enabled', 'false');
    assert.deepEqual(b.broker.alarms.list().items, []);
    assert.equal(history(b)[0]!.details.reason, 'alarms.enabled set to false');
  });
});

describe('robustmq-cli alarm', () => {
  let s: CliBroker;
  after(async () => {
    await s?.stop();
  });

  it('alarm list (table and --json), --history, --all, clear-history; REST /api/v1/alarms', async () => {
    s = await startCliBroker([], {
      ROBUSTMQ_ALARMS_CHECK_INTERVAL_S: '1',
      ROBUSTMQ_ALARMS_MEMORY_HIGH_MB: '1',
      ROBUSTMQ_ALARMS_CPU_HIGH_PERCENT: '0',
      ROBUSTMQ_ALARMS_EVENT_LOOP_LAG_MS: '0',
    });
    const list = (...args: string[]) => runCli(['alarm', 'list', ...args, '--server', s.admin]);
    const rows = jsonOf<{ alarms: AlarmInfo[]; total: number }>(await list('--json'));
    assert.equal(rows.total, 1);
    assert.equal(rows.alarms[0]!.name, 'high_memory');
    assert.equal(rows.alarms[0]!.activated, true);
    assert.equal(rows.alarms[0]!.details.threshold, 1);

    const table = await list();
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /name\s+│ state\s+│ message/);
    assert.match(table.stdout, /high_memory │ active\s+│ process memory \(RSS\)/);
    assert.match(table.stdout, /threshold=1 unit=MB/);
    assert.match(table.stdout, /1 of 1 alarm\(s\)/);

    const set = await runCli(['config', 'set', 'alarms.memory_high_mb', '0', '--server', s.admin]);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(jsonOf<{ alarms: AlarmInfo[] }>(await list('--json')).alarms, []);
    const hist = jsonOf<{ alarms: AlarmInfo[] }>(await list('--history', '--json')).alarms;
    assert.equal(hist.length, 1);
    assert.equal(hist[0]!.activated, false);
    assert.equal(hist[0]!.details.reason, 'check turned off');
    assert.ok(hist[0]!.deactivatedAtMs >= hist[0]!.activatedAtMs);
    const histTable = await list('--history');
    assert.match(histTable.stdout, /high_memory │ deactivated/);
    assert.equal(jsonOf<{ total: number }>(await list('--all', '--json')).total, 1);

    const rest = (await (await fetch(`${s.rest}/api/v1/alarms?state=all`)).json()) as { alarms: AlarmInfo[] };
    assert.equal(rest.alarms[0]!.name, 'high_memory');
    const bad = await fetch(`${s.rest}/api/v1/alarms?state=sometimes`);
    assert.equal(bad.status, 400);

    const cleared = await runCli(['alarm', 'clear-history', '--server', s.admin]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal(jsonOf<{ total: number }>(await list('--history', '--json')).total, 0);
    const del = await fetch(`${s.rest}/api/v1/alarms/history`, { method: 'DELETE' });
    assert.equal(del.status, 204);
  });
});
