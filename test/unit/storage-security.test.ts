// The security tables of every storage engine: users, ACL rules and banned clients round-trip,
// replace on the same key, delete only what they name, load in their documented order, see
// unflushed writes, and (for durable engines) survive close and reopen.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type {
  AclRecord,
  BanRecord,
  SecurityStorage,
  StorageAdapter,
  UserRecord,
} from '../../src/server/storage/storage-adapter.js';
import { norm, storageEngines } from '../helpers/storage-engines.js';

type Store = StorageAdapter & SecurityStorage;

const alice: UserRecord = {
  username: 'alice',
  passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
  superuser: false,
  createdAt: 1000,
};
const bob: UserRecord = { username: 'bob', passwordHash: 'scrypt$16384$8$1$eA$eQ', superuser: true, createdAt: 900 };

function rule(id: string, createdAt: number, extra: Partial<AclRecord> = {}): AclRecord {
  return {
    id,
    principalKind: 'user',
    principal: 'alice',
    filter: 'devices/${clientid}/#',
    action: 'publish',
    permission: 'allow',
    createdAt,
    ...extra,
  };
}

function ban(kind: BanRecord['kind'], value: string, until?: number): BanRecord {
  return { kind, value, reason: `banned ${value}`, until, createdAt: 5 };
}

for (const engine of storageEngines) {
  describe(`storage security tables: ${engine.name}`, () => {
    let dir: string;
    let s: Store;

    before(async () => engine.setup?.());
    after(async () => engine.teardown?.());
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rmq-security-'));
      s = (await engine.create(dir)) as Store;
      await s.open();
    });
    afterEach(async () => {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('users: save, replace, delete; loaded by username', async () => {
      s.saveUser(alice);
      s.saveUser(bob);
      s.saveUser({ ...alice, passwordHash: 'scrypt$new', superuser: true });
      s.deleteUser('nobody');
      assert.deepEqual(await s.loadUsers(), [{ ...alice, passwordHash: 'scrypt$new', superuser: true }, bob]);
      s.deleteUser('alice');
      await s.flush();
      assert.deepEqual(await s.loadUsers(), [bob]);
    });

    it('ACL rules: save, replace by id, delete; loaded in createdAt then id order', async () => {
      s.saveAcl(
        rule('r3', 30, { principalKind: 'all', principal: '', action: 'all', permission: 'deny', filter: '#' }),
      );
      s.saveAcl(rule('r1', 10));
      s.saveAcl(rule('r2b', 20, { principalKind: 'client', principal: 'dev-1', action: 'subscribe' }));
      s.saveAcl(rule('r2a', 20));
      s.saveAcl(rule('r0', 40)); // the first id, the last created: order is by createdAt first
      s.saveAcl(rule('r1', 10, { filter: 'replaced/#' }));
      assert.deepEqual(
        (await s.loadAcls()).map((r) => [r.id, r.filter]),
        [
          ['r1', 'replaced/#'],
          ['r2a', 'devices/${clientid}/#'],
          ['r2b', 'devices/${clientid}/#'],
          ['r3', '#'],
          ['r0', 'devices/${clientid}/#'],
        ],
      );
      const all = await s.loadAcls();
      assert.deepEqual(
        all[3],
        rule('r3', 30, { principalKind: 'all', principal: '', action: 'all', permission: 'deny', filter: '#' }),
      );
      assert.deepEqual(all[2], rule('r2b', 20, { principalKind: 'client', principal: 'dev-1', action: 'subscribe' }));
      s.deleteAcl('r2a');
      s.deleteAcl('missing');
      assert.deepEqual(
        (await s.loadAcls()).map((r) => r.id),
        ['r1', 'r2b', 'r3', 'r0'],
      );
    });

    it('bans: keyed by kind and value, with or without an end; delete removes only that one', async () => {
      s.saveBan(ban('clientid', 'bad-1'));
      s.saveBan(ban('username', 'bad-1', 1_800_000_000_000));
      s.saveBan(ban('ip', '10.0.0.0/8'));
      s.saveBan({ ...ban('clientid', 'bad-1'), reason: 'again' });
      assert.deepEqual((await s.loadBans()).map(norm), [
        { ...norm(ban('clientid', 'bad-1')), reason: 'again' },
        norm(ban('ip', '10.0.0.0/8')),
        norm(ban('username', 'bad-1', 1_800_000_000_000)),
      ]);
      s.deleteBan('clientid', 'bad-1');
      assert.deepEqual(
        (await s.loadBans()).map((b) => [b.kind, b.value, b.until]),
        [
          ['ip', '10.0.0.0/8', undefined],
          ['username', 'bad-1', 1_800_000_000_000],
        ],
      );
    });

    it('ACL rules for IP ranges, with QoS and retain conditions, and regex bans round-trip', async () => {
      const ipRule = rule('r1', 10, { principalKind: 'ip', principal: '10.0.0.0/8', qos: [0, 2], retain: true });
      const noRetain = rule('r2', 20, { filter: 'eq t/#', qos: [1], retain: false });
      const plain = rule('r3', 30);
      s.saveAcl(ipRule);
      s.saveAcl(noRetain);
      s.saveAcl(plain);
      s.saveBan(ban('regex', '^bot-\\d+$'));
      await s.flush();
      const loaded = await s.loadAcls();
      assert.deepEqual(loaded.map(norm), [ipRule, noRetain, plain]);
      assert.equal('qos' in loaded[2]!, false, 'a rule without a QoS condition loads without one');
      assert.deepEqual((await s.loadBans()).map(norm), [norm(ban('regex', '^bot-\\d+$'))]);
    });

    if (engine.name !== 'memory') {
      it('survive close() and a new store on the same place', async () => {
        s.saveUser(alice);
        s.saveAcl(rule('r1', 10));
        s.saveBan(ban('ip', '127.0.0.2', 1_900_000_000_000));
        await s.close();
        s = (await engine.create(dir)) as Store;
        await s.open();
        assert.deepEqual(await s.loadUsers(), [alice]);
        assert.deepEqual(await s.loadAcls(), [rule('r1', 10)]);
        assert.deepEqual((await s.loadBans()).map(norm), [norm(ban('ip', '127.0.0.2', 1_900_000_000_000))]);
      });
    }
  });
}
