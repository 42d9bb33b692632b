// The broker's copy of users, ACL rules and bans (security-store.ts) over a real storage engine
// (memory; the engines themselves are tested in storage-security.test.ts), the admin operations
// over it (admin-security.ts), and the rules for usernames, passwords, ACL filters and ban values
// (src/lib/security-rules.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminSecurity } from '../../src/server/admin/admin-security.js';
import { verifyPassword } from '../../src/server/security/password-hash.js';
import { SecurityStore, type SecurityChange } from '../../src/server/security/security-store.js';
import { MemoryStorage } from '../../src/server/storage/memory-storage.js';
import { isRobustMQError } from '../../src/lib/errors.js';
import { checkAclFilter, checkBanValue, checkPassword, checkUsername } from '../../src/lib/security-rules.js';

function fails(fn: () => unknown, code: string): void {
  assert.throws(fn, (err) => isRobustMQError(err) && err.code === code);
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err) => isRobustMQError(err) && err.code === code);
}

describe('security rules', () => {
  it('usernames and passwords: non-empty UTF-8 of at most 65535 bytes; usernames without U+0000', () => {
    checkUsername('alice');
    checkUsername('é'.repeat(32767)); // 65534 bytes
    fails(() => checkUsername(''), 'RMQ_ERR_INVALID_ARGUMENT');
    fails(() => checkUsername('a'.repeat(65536)), 'RMQ_ERR_INVALID_ARGUMENT');
    fails(() => checkUsername('é'.repeat(32768)), 'RMQ_ERR_INVALID_ARGUMENT'); // 65536 bytes
    fails(() => checkUsername('a\u0000b'), 'RMQ_ERR_INVALID_ARGUMENT'); // [MQTT-1.5.4-2]
    fails(() => checkUsername('bad\ud800'), 'RMQ_ERR_INVALID_ARGUMENT'); // [MQTT-1.5.4-1] no surrogates
    checkPassword('p'.repeat(65535));
    fails(() => checkPassword(''), 'RMQ_ERR_INVALID_ARGUMENT');
    fails(() => checkPassword('p'.repeat(65536)), 'RMQ_ERR_INVALID_ARGUMENT');
  });

  it('ACL filters: MQTT topic filters with ${username} and ${clientid}; nothing else in ${}', () => {
    for (const ok of [
      '#',
      'a/+/c',
      'devices/${clientid}/#',
      'users/${username}/${clientid}',
      'x-${username}',
      '$SYS/#',
    ]) {
      checkAclFilter(ok);
    }
    // [MQTT-4.7.1-2] '#' last and alone; [MQTT-4.7.1-3] '+' alone in its level; [MQTT-4.7.3-1] not empty
    for (const bad of [
      'a/#/b',
      'a#',
      'a+/b',
      '',
      '${user}/x',
      'a/${clientId}',
      '${username',
      '$share/g/a',
      '${username}#',
    ]) {
      fails(() => checkAclFilter(bad), 'RMQ_ERR_TOPIC_INVALID');
    }
  });

  it('ban values: IPv4/IPv6 addresses and CIDR ranges for ip; MQTT strings for the others', () => {
    for (const ok of ['10.0.0.7', '10.0.0.0/8', '0.0.0.0/0', '::1', 'fd00::/8', '2001:db8::/128']) {
      assert.equal(checkBanValue('ip', ok), ok);
    }
    for (const bad of ['10.0.0.256', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/', 'host.example', '10.0.0.0/8/1', '']) {
      fails(() => checkBanValue('ip', bad), 'RMQ_ERR_INVALID_ARGUMENT');
    }
    assert.equal(checkBanValue('clientid', 'a/b'), 'a/b');
    fails(() => checkBanValue('username', ''), 'RMQ_ERR_INVALID_ARGUMENT');
  });
});

describe('SecurityStore and the admin operations over it', () => {
  it('users: the hash verifies, is written through, survives a reload; 409 and 404 codes', async () => {
    const storage = new MemoryStorage();
    const store = new SecurityStore(storage);
    await store.load();
    const admin = new AdminSecurity(store);
    const info = await admin.createUser({ username: 'alice', password: 'pw1' });
    assert.deepEqual(Object.keys(info).sort(), ['createdAtMs', 'superuser', 'username']);
    await rejects(admin.createUser({ username: 'alice', password: 'x' }), 'RMQ_ERR_USER_EXISTS');
    const [stored] = await storage.loadUsers();
    assert.equal(await verifyPassword('pw1', stored!.passwordHash), true);
    await admin.setUserPassword('alice', 'pw2');
    const reloaded = new SecurityStore(storage);
    await reloaded.load();
    const hash = reloaded.user('alice')!.passwordHash;
    assert.equal(await verifyPassword('pw2', hash), true);
    assert.equal(await verifyPassword('pw1', hash), false);
    await rejects(admin.setUserPassword('bob', 'x'), 'RMQ_ERR_USER_NOT_FOUND');
    await rejects(admin.deleteUser('bob'), 'RMQ_ERR_USER_NOT_FOUND');
    await admin.deleteUser('alice');
    assert.deepEqual(await storage.loadUsers(), []);
  });

  it('ACL rules keep the order they were added in, even within one millisecond or with the clock going back', async () => {
    let now = 5_000;
    const storage = new MemoryStorage();
    const store = new SecurityStore(storage, () => now);
    const admin = new AdminSecurity(store, () => now);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      if (i === 10) now = 1_000; // the clock went back
      const rule = await admin.createAcl({
        principalKind: 'all',
        filter: `t/${i}`,
        action: 'publish',
        permission: i % 2 ? 'deny' : 'allow',
      });
      ids.push(rule.id);
    }
    assert.deepEqual(
      (await admin.listAcls({ limit: 1000 })).items.map((r) => r.id),
      ids,
    );
    // what storage loads (created_at, id) is the same order
    assert.deepEqual(
      (await storage.loadAcls()).map((r) => r.id),
      ids,
    );
    // pages walk the same order
    const first = await admin.listAcls({ limit: 7 });
    const second = await admin.listAcls({ limit: 7, pageToken: first.nextPageToken });
    assert.deepEqual(
      [...first.items, ...second.items].map((r) => r.id),
      ids.slice(0, 14),
    );
    await admin.deleteAcl(ids[3]!);
    await rejects(admin.deleteAcl(ids[3]!), 'RMQ_ERR_ACL_NOT_FOUND');
    assert.equal((await admin.listAcls()).total, 19);
  });

  it('bans: an ended ban is not listed and leaves storage; re-banning replaces reason and end', async () => {
    let now = 1_000_000;
    const storage = new MemoryStorage();
    const store = new SecurityStore(storage, () => now);
    const admin = new AdminSecurity(store, () => now);
    await admin.createBan({ kind: 'clientid', value: 'bot', reason: 'flood', durationMs: 1000 });
    await admin.createBan({ kind: 'ip', value: '10.0.0.0/8' });
    await admin.createBan({ kind: 'ip', value: '10.0.0.0/8', reason: 'again', untilMs: now + 10_000 });
    assert.deepEqual(
      (await admin.listBans()).items.map((b) => [b.kind, b.value, b.reason, b.untilMs]),
      [
        ['clientid', 'bot', 'flood', 1_001_000],
        ['ip', '10.0.0.0/8', 'again', 1_010_000],
      ],
    );
    now += 1000;
    assert.equal(store.ban('clientid', 'bot'), undefined);
    assert.deepEqual(
      (await admin.listBans()).items.map((b) => b.value),
      ['10.0.0.0/8'],
    );
    assert.deepEqual(
      (await storage.loadBans()).map((b) => b.value),
      ['10.0.0.0/8'],
    );
    await rejects(admin.deleteBan('clientid', 'bot'), 'RMQ_ERR_BAN_NOT_FOUND');
    await rejects(admin.createBan({ kind: 'ip', value: '1.2.3.4', untilMs: now - 1 }), 'RMQ_ERR_INVALID_ARGUMENT');
    await rejects(admin.createBan({ kind: 'ip', value: '1.2.3.4/40' }), 'RMQ_ERR_INVALID_ARGUMENT');
  });

  it('ipBan: an exact address or a CIDR range holds the client address (v4, v6, v4-mapped); ended bans do not', () => {
    let now = 1_000;
    const store = new SecurityStore(new MemoryStorage(), () => now);
    const put = (value: string, until?: number) =>
      store.apply({ op: 'putBan', ban: { kind: 'ip', value, reason: value, createdAt: 1, until } });
    put('10.0.0.0/8');
    put('192.0.2.7');
    put('2001:db8::/32', 2_000);
    assert.equal(store.ipBan('10.200.3.4')?.value, '10.0.0.0/8');
    assert.equal(store.ipBan('::ffff:10.1.1.1')?.value, '10.0.0.0/8');
    assert.equal(store.ipBan('11.0.0.1'), undefined);
    assert.equal(store.ipBan('192.0.2.7')?.value, '192.0.2.7');
    assert.equal(store.ipBan('192.0.2.8'), undefined);
    assert.equal(store.ipBan('2001:db8:1::5')?.value, '2001:db8::/32');
    assert.equal(store.ipBan('not an address'), undefined);
    now = 2_000;
    assert.equal(store.ipBan('2001:db8:1::5'), undefined);
    store.apply({ op: 'deleteBan', kind: 'ip', value: '10.0.0.0/8' });
    assert.equal(store.ipBan('10.200.3.4'), undefined);
    assert.deepEqual(
      store.bans().map((b) => b.value),
      ['192.0.2.7'],
    );
  });

  it('worker copies: changes reach onChange, and replace() makes another copy (and its storage) equal', async () => {
    const primary = new SecurityStore(new MemoryStorage());
    const changes: SecurityChange[] = [];
    primary.onChange = (c) => changes.push(c);
    const admin = new AdminSecurity(primary);
    await admin.createUser({ username: 'u1', password: 'p' });
    await admin.createAcl({
      principalKind: 'user',
      principal: 'u1',
      filter: 'a/#',
      action: 'all',
      permission: 'allow',
    });
    await admin.createBan({ kind: 'username', value: 'u2' });
    assert.deepEqual(
      changes.map((c) => c.op),
      ['putUser', 'putAcl', 'putBan'],
    );
    const workerStorage = new MemoryStorage();
    const worker = new SecurityStore(workerStorage);
    worker.apply({ op: 'putUser', user: { username: 'stale', passwordHash: 'x', superuser: false, createdAt: 1 } });
    worker.replace(primary.snapshot());
    assert.deepEqual(worker.snapshot(), primary.snapshot());
    assert.deepEqual(
      (await workerStorage.loadUsers()).map((u) => u.username),
      ['u1'],
    );
    for (const c of changes) worker.apply(c); // applying again changes nothing
    assert.deepEqual(worker.snapshot(), primary.snapshot());
  });
});
