// The admin token table of every storage engine (memory, sqlite, postgres): tokens round-trip with
// and without their optional fields, a save replaces by id (how last-used times are kept), a delete
// (revoke) removes only that id, loads come in createdAt then id order and see unflushed writes, and
// the durable engines keep tokens across close and reopen.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { AdminTokenRecord, StorageAdapter } from '../../src/server/storage/storage-adapter.js';
import { norm, storageEngines } from '../helpers/storage-engines.js';

function token(id: string, createdAt: number, extra: Partial<AdminTokenRecord> = {}): AdminTokenRecord {
  return { id, name: `ops-${id}`, secretHash: `sha256$${id.repeat(4)}`, createdAt, ...extra };
}

for (const engine of storageEngines) {
  describe(`storage admin tokens: ${engine.name}`, () => {
    let dir: string;
    let s: StorageAdapter;

    before(async () => engine.setup?.());
    after(async () => engine.teardown?.());
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rmq-tokens-'));
      s = await engine.create(dir);
      await s.open();
    });
    afterEach(async () => {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('save, replace by id, delete; loaded in createdAt then id order, unflushed writes seen', async () => {
      s.saveAdminToken(token('c3', 30, { expiresAt: 1_900_000_000_000 }));
      s.saveAdminToken(token('b2', 20));
      s.saveAdminToken(token('a2', 20, { lastUsedAt: 25 }));
      s.saveAdminToken(token('z1', 10));
      s.deleteAdminToken('missing');
      assert.deepEqual((await s.loadAdminTokens()).map(norm), [
        norm(token('z1', 10)),
        norm(token('a2', 20, { lastUsedAt: 25 })),
        norm(token('b2', 20)),
        norm(token('c3', 30, { expiresAt: 1_900_000_000_000 })),
      ]);
      // the broker saves the whole record again to record a later use
      s.saveAdminToken(token('b2', 20, { lastUsedAt: 1_800_000_000_123, name: 'renamed' }));
      s.deleteAdminToken('z1');
      await s.flush();
      const loaded = await s.loadAdminTokens();
      assert.deepEqual(
        loaded.map((t) => [t.id, t.name, t.lastUsedAt, t.expiresAt]),
        [
          ['a2', 'ops-a2', 25, undefined],
          ['b2', 'renamed', 1_800_000_000_123, undefined],
          ['c3', 'ops-c3', undefined, 1_900_000_000_000],
        ],
      );
      // absent optional fields are absent, not null
      assert.equal('expiresAt' in loaded[0]!, false);
      assert.equal('lastUsedAt' in loaded[2]!, false);
    });

    it('a delete after a save of the same id in one batch leaves nothing', async () => {
      s.saveAdminToken(token('x', 1));
      s.deleteAdminToken('x');
      s.saveAdminToken(token('y', 2));
      assert.deepEqual(
        (await s.loadAdminTokens()).map((t) => t.id),
        ['y'],
      );
    });

    if (engine.name !== 'memory') {
      it('survive close() and a new store on the same place', async () => {
        s.saveAdminToken(token('keep', 5, { expiresAt: 99, lastUsedAt: 7 }));
        s.saveAdminToken(token('gone', 6));
        s.deleteAdminToken('gone');
        await s.close();
        s = await engine.create(dir);
        await s.open();
        assert.deepEqual(await s.loadAdminTokens(), [token('keep', 5, { expiresAt: 99, lastUsedAt: 7 })]);
      });
    }
  });
}
