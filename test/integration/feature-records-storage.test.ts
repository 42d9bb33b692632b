// The features' state in storage (feature_records, sqlite engine): an admin change (schemas and
// their bindings, the alarm history) is committed when its call answers, as the users' and ACLs'
// are; a stored record that cannot be read at start (not JSON, or not a record of its kind) is
// skipped and logged as an error for every feature, and the broker starts with the others.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { Broker } from '../../src/server/broker.js';
import { loadConfig, type BrokerConfigInput } from '../../src/lib/config.js';
import { ALARM_HISTORY_KIND } from '../../src/server/features/alarm-history.js';
import { AUTO_SUBSCRIBE_KIND } from '../../src/server/features/auto-subscribe.js';
import { DELAYED_KIND } from '../../src/server/features/delayed-record.js';
import { SCHEMA_BINDING_KIND, SCHEMA_KIND } from '../../src/server/features/schema-validation.js';
import { TOPIC_REWRITE_KIND } from '../../src/server/features/topic-rewrite.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rmq-feature-records-'));
  dirs.push(d);
  return d;
}

/** A sqlite broker on `dir` whose group commit waits as long as it may (1 s), its log lines kept. */
async function start(dir: string, extra: BrokerConfigInput = {}): Promise<{ broker: Broker; lines: string[] }> {
  const config = loadConfig({
    overrides: {
      ...extra,
      node: { log_level: 'info', data_dir: dir },
      mqtt: { bind: '127.0.0.1', port: 0 },
      sys: { enabled: false },
      admin: { grpc_port: 0, http_port: 0 },
      storage: { engine: 'sqlite', commit_interval_ms: 1000 },
    },
  });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const broker = new Broker(config, { logger: pino({ level: 'info' }, sink) });
  await broker.start();
  return { broker, lines };
}

/** What another connection reads from the file now: only committed rows. */
function storedIds(dir: string, kind: string): string[] {
  const db = new Database(join(dir, 'robustmq.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT id FROM feature_records WHERE kind = ? ORDER BY id').all(kind) as { id: string }[];
    return rows.map((r) => r.id);
  } finally {
    db.close();
  }
}

const JSON_SCHEMA = JSON.stringify({ type: 'object', required: ['t'] });

describe('feature records in storage', () => {
  it('schema create, bind, unbind and delete are committed when the admin call answers', async () => {
    const dir = tempDir();
    const { broker } = await start(dir);
    try {
      await broker.admin.createSchema({ name: 'temp', type: 'json', definition: JSON_SCHEMA });
      assert.deepEqual(storedIds(dir, SCHEMA_KIND), ['temp'], 'create');
      await broker.admin.bindSchema('temp', 'sensors/#');
      assert.equal(storedIds(dir, SCHEMA_BINDING_KIND).length, 1, 'bind');
      await broker.admin.unbindSchema('temp', 'sensors/#');
      assert.deepEqual(storedIds(dir, SCHEMA_BINDING_KIND), [], 'unbind');
      await broker.admin.deleteSchema('temp');
      assert.deepEqual(storedIds(dir, SCHEMA_KIND), [], 'delete');
    } finally {
      await broker.stop();
    }
  });

  it('alarm clear-history is committed when the admin call answers', async () => {
    const dir = tempDir();
    const { broker } = await start(dir);
    try {
      broker.alarms.activate('test_alarm', 'raised by the test', {});
      broker.alarms.deactivate('test_alarm', {});
      await broker.storage.flush();
      assert.equal(storedIds(dir, ALARM_HISTORY_KIND).length, 1, 'the history record');
      await broker.admin.clearAlarmHistory();
      assert.deepEqual(storedIds(dir, ALARM_HISTORY_KIND), []);
    } finally {
      await broker.stop();
    }
  });

  it('a stored record that cannot be read is skipped and logged (error) for every feature; the broker starts', async () => {
    const dir = tempDir();
    const first = await start(dir);
    await first.broker.admin.createSchema({ name: 'good', type: 'json', definition: JSON_SCHEMA });
    await first.broker.admin.bindSchema('good', 'good/#');
    await first.broker.admin.createAutoSubscribe({ topic: 'auto/${clientid}' });
    await first.broker.stop();

    const kinds = [
      SCHEMA_KIND,
      SCHEMA_BINDING_KIND,
      AUTO_SUBSCRIBE_KIND,
      TOPIC_REWRITE_KIND,
      DELAYED_KIND,
      ALARM_HISTORY_KIND,
    ];
    const db = new Database(join(dir, 'robustmq.db'));
    const insert = db.prepare('INSERT INTO feature_records (kind, id, value) VALUES (?, ?, ?)');
    for (const kind of kinds) {
      insert.run(kind, 'zz-not-json', '{"cut short');
      insert.run(kind, 'zz-null', 'null');
    }
    db.close();

    const second = await start(dir);
    try {
      const errors = second.lines
        .map((l) => JSON.parse(l) as { level: number; kind?: string; id?: string; msg: string })
        .filter((l) => l.level === 50 && l.msg.includes('cannot be read'));
      for (const kind of kinds) {
        for (const id of ['zz-not-json', 'zz-null']) {
          assert.ok(
            errors.some((e) => e.kind === kind && e.id === id),
            `an error line for ${kind}/${id}: ${JSON.stringify(errors)}`,
          );
        }
      }
      // the readable records are all there
      assert.deepEqual(
        (await second.broker.admin.listSchemas()).items.map((s) => s.name),
        ['good'],
      );
      assert.equal((await second.broker.admin.listSchemaBindings()).items.length, 1);
      assert.deepEqual(
        (await second.broker.admin.listAutoSubscribes()).items.map((r) => r.topic),
        ['auto/${clientid}'],
      );
      assert.equal((await second.broker.admin.listDelayed()).total, 0);
      assert.equal(second.broker.alarms.list({ state: 'deactivated' }).total, 0);
    } finally {
      await second.broker.stop();
    }
  });
});
