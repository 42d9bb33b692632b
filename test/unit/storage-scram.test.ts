// Users' SCRAM credentials in every storage engine (sqlite migration 6, postgres migration 4, the
// memory engine): they round-trip, are replaced with the user, a user without them loads without
// them, and (durable engines) they survive close and reopen.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS, SqliteStorage } from '../../src/server/storage/sqlite-storage.js';
import type { SecurityStorage, StorageAdapter, UserRecord } from '../../src/server/storage/storage-adapter.js';
import { storageEngines } from '../helpers/storage-engines.js';

type Store = StorageAdapter & SecurityStorage;

const withScram: UserRecord = {
  username: 'carol',
  passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
  superuser: false,
  createdAt: 1000,
  scram: {
    'SCRAM-SHA-256': { salt: 'c2FsdA==', iterations: 4096, storedKey: 'AAEC', serverKey: 'AwQF' },
    'SCRAM-SHA-512': { salt: 'c2FsdDI=', iterations: 4096, storedKey: 'BgcI', serverKey: 'CQoL' },
  },
};
const without: UserRecord = { username: 'dave', passwordHash: 'scrypt$16384$8$1$eA$eQ', superuser: true, createdAt: 9 };

for (const engine of storageEngines) {
  describe(`users' SCRAM credentials: ${engine.name}`, () => {
    let dir: string;
    let s: Store;

    before(async () => engine.setup?.());
    after(async () => engine.teardown?.());
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rmq-scram-'));
      s = (await engine.create(dir)) as Store;
      await s.open();
    });
    afterEach(async () => {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('round-trip; a user without them has none', async () => {
      s.saveUser(withScram);
      s.saveUser(without);
      await s.flush();
      const users = await s.loadUsers();
      assert.deepEqual(users, [withScram, without]);
      assert.ok(!('scram' in users[1]!));
    });

    it('are replaced with the user (a new password), and a later change of the saved object is not seen', async () => {
      const user = structuredClone(withScram);
      s.saveUser(user);
      const changed = { ...user, scram: { 'SCRAM-SHA-256': { ...user.scram!['SCRAM-SHA-256']!, storedKey: 'DA0O' } } };
      s.saveUser(changed);
      changed.scram['SCRAM-SHA-256'].storedKey = 'mutated';
      await s.flush();
      const [loaded] = await s.loadUsers();
      assert.deepEqual(loaded!.scram, {
        'SCRAM-SHA-256': { ...withScram.scram!['SCRAM-SHA-256']!, storedKey: 'DA0O' },
      });
    });

    if (engine.name !== 'memory') {
      it('survive close and reopen', async () => {
        s.saveUser(withScram);
        await s.flush();
        await s.close();
        s = (await engine.create(dir)) as Store;
        await s.open();
        assert.deepEqual(await s.loadUsers(), [withScram]);
      });
    }
  });
}

describe("users' SCRAM credentials: a sqlite database from before them", () => {
  it('is upgraded on open: its users load without SCRAM credentials and can be given some', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-scram-up-'));
    const file = join(dir, 'robustmq.db');
    try {
      // every migration before the one that adds users.scram (found by content: its number may change)
      const mine = SQLITE_MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN scram'));
      assert.ok(mine > 0);
      const db = new Database(file);
      db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)');
      for (let v = 1; v <= mine; v++) {
        db.exec(SQLITE_MIGRATIONS[v - 1]!);
        db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(v, 1);
      }
      db.prepare("INSERT INTO users (username, password_hash, superuser, created_at) VALUES ('old', 'h', 0, 5)").run();
      db.close();
      const s = new SqliteStorage(file);
      await s.open();
      try {
        assert.deepEqual(await s.loadUsers(), [{ username: 'old', passwordHash: 'h', superuser: false, createdAt: 5 }]);
        s.saveUser({ ...withScram, username: 'old' });
        await s.flush();
        assert.deepEqual((await s.loadUsers())[0]!.scram, withScram.scram);
      } finally {
        await s.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
