// The schema migrations of the ACL/bans extension (sqlite 7, postgres 5): a database an older broker
// left, with ACL rules and bans in it, is upgraded on open, keeps its rows (without QoS or retain
// conditions) and then takes IP rules, conditions and regex bans.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { POSTGRES_MIGRATIONS, PostgresStorage } from '../../src/server/storage/postgres-storage.js';
import { SQLITE_MIGRATIONS, SqliteStorage } from '../../src/server/storage/sqlite-storage.js';
import type {
  AclRecord,
  BanRecord,
  SecurityStorage,
  StorageAdapter,
} from '../../src/server/storage/storage-adapter.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

const oldRule: AclRecord = {
  id: 'r1',
  principalKind: 'user',
  principal: 'alice',
  filter: 'a/#',
  action: 'publish',
  permission: 'allow',
  createdAt: 10,
};
const oldBan: BanRecord = { kind: 'clientid', value: 'bad', reason: 'x', createdAt: 5 };
const newRule: AclRecord = {
  id: 'r2',
  principalKind: 'ip',
  principal: '10.0.0.0/8',
  filter: 'eq b/#',
  action: 'all',
  permission: 'deny',
  qos: [1, 2],
  retain: false,
  createdAt: 20,
};
const newBan: BanRecord = { kind: 'regex', value: '^bot-', reason: 'bots', createdAt: 6 };

async function checkUpgraded(s: StorageAdapter & SecurityStorage): Promise<void> {
  assert.deepEqual(await s.loadAcls(), [oldRule]);
  assert.deepEqual(await s.loadBans(), [oldBan]);
  s.saveAcl(newRule);
  s.saveBan(newBan);
  await s.flush();
  assert.deepEqual(await s.loadAcls(), [oldRule, newRule]);
  assert.deepEqual(await s.loadBans(), [oldBan, newBan]);
}

describe('ACL/bans migration: sqlite 5 -> 7', () => {
  it('keeps the rules and bans of a version-5 database (through 6, SCRAM, and 7) and accepts the new kinds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-aclmig-'));
    const file = join(dir, 'robustmq.db');
    try {
      const db = new Database(file);
      db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)');
      for (let v = 1; v <= 5; v++) {
        db.exec(SQLITE_MIGRATIONS[v - 1]!);
        db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, 0)').run(v);
      }
      db.prepare(
        `INSERT INTO acl_rules (id, principal_kind, principal, filter, action, permission, created_at)
         VALUES ('r1', 'user', 'alice', 'a/#', 'publish', 'allow', 10)`,
      ).run();
      db.prepare(
        `INSERT INTO bans (kind, value, reason, until, created_at) VALUES ('clientid', 'bad', 'x', NULL, 5)`,
      ).run();
      // before the migration the old CHECK constraints refuse the new kinds
      assert.throws(() =>
        db
          .prepare(`INSERT INTO bans (kind, value, reason, until, created_at) VALUES ('regex', 'x', '', NULL, 1)`)
          .run(),
      );
      db.close();
      const s = new SqliteStorage(file);
      await s.open();
      try {
        await checkUpgraded(s);
      } finally {
        await s.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ACL/bans migration: postgres 3 -> 5', () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => server?.stop());

  it('keeps the rules and bans of a version-3 database and accepts the new kinds', async () => {
    const url = await server.createDatabase();
    const name = new URL(url).pathname.slice(1);
    const c = await server.connect(name);
    try {
      await c.query('CREATE TABLE schema_version (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
      for (let v = 1; v <= 3; v++) {
        await c.query(POSTGRES_MIGRATIONS[v - 1]!);
        await c.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, 0)', [v]);
      }
      await c.query(
        `INSERT INTO acl_rules (id, principal_kind, principal, filter, action, permission, created_at)
         VALUES ('r1', 'user', 'alice', 'a/#', 'publish', 'allow', 10)`,
      );
      await c.query(
        `INSERT INTO bans (kind, value, reason, until, created_at) VALUES ('clientid', 'bad', 'x', NULL, 5)`,
      );
    } finally {
      await c.end();
    }
    const s = new PostgresStorage({ url });
    await s.open();
    try {
      await checkUpgraded(s);
    } finally {
      await s.close();
    }
  });
});
