// AdminTokens and AdminAuth over a real (memory) storage engine: what is stored is a hash, never the
// token; a check costs no storage write except the first use and then at most one a minute; expired,
// revoked, tampered and malformed tokens are refused and counted; the bootstrap file is checked.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { isRobustMQError } from '../../src/lib/errors.js';
import { silentLogger } from '../../src/lib/logger.js';
import { AdminAuth } from '../../src/server/admin/admin-auth.js';
import { AdminTokens } from '../../src/server/admin/admin-tokens.js';
import { MemoryStorage } from '../../src/server/storage/memory-storage.js';
import type { AdminTokenRecord } from '../../src/server/storage/storage-adapter.js';

/** The memory engine, counting the token writes it is asked for. */
class CountingStorage extends MemoryStorage {
  saves = 0;
  override saveAdminToken(token: AdminTokenRecord): void {
    this.saves++;
    super.saveAdminToken(token);
  }
}

describe('AdminTokens', () => {
  let storage: CountingStorage;
  let tokens: AdminTokens;
  let dir: string;

  beforeEach(async () => {
    storage = new CountingStorage();
    await storage.open();
    tokens = new AdminTokens(storage, silentLogger());
    dir = mkdtempSync(join(tmpdir(), 'rmq-admin-tokens-'));
  });
  afterEach(() => {
    mock.timers.reset();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a SHA-256 of the secret, never the token; a fresh load accepts the token', async () => {
    const created = await tokens.create({ name: 'ci' });
    const [stored] = await storage.loadAdminTokens();
    assert.ok(stored);
    assert.match(stored.secretHash, /^sha256\$[0-9a-f]{64}$/);
    const secret = created.token.slice(21);
    assert.ok(!JSON.stringify(stored).includes(secret));
    const again = new AdminTokens(storage, silentLogger());
    await again.load();
    assert.deepEqual(again.check(created.token), { ok: true, id: created.id });
    // one character of the secret changed: refused
    const last = created.token.at(-1) === 'A' ? 'B' : 'A';
    assert.deepEqual(again.check(created.token.slice(0, -1) + last), { ok: false, reason: 'unknown' });
    assert.deepEqual(again.check('rmq_short'), { ok: false, reason: 'malformed' });
  });

  it('a token revoked between two pages does not break the next page', async () => {
    for (const name of ['a', 'b', 'c', 'd']) await tokens.create({ name });
    const all = tokens.list({ limit: 10 }).items.map((t) => t.id);
    const first = tokens.list({ limit: 2 });
    assert.deepEqual(
      first.items.map((t) => t.id),
      all.slice(0, 2),
    );
    await tokens.revoke(first.items[1]!.id); // the last one of the page
    const second = tokens.list({ limit: 2, pageToken: first.nextPageToken });
    assert.deepEqual(
      second.items.map((t) => t.id),
      all.slice(2, 4),
    );
    assert.equal(second.nextPageToken, '');
    assert.equal(second.total, 3);
  });

  it('a check writes the last use at the first call, then at most once a minute', async () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const created = await tokens.create({ name: 'busy' });
    assert.equal(storage.saves, 1);
    for (let i = 0; i < 100; i++) assert.equal(tokens.check(created.token).ok, true);
    assert.equal(storage.saves, 2, 'the first use is saved, the next 99 are not');
    mock.timers.tick(59_000);
    tokens.check(created.token);
    assert.equal(storage.saves, 2);
    mock.timers.tick(1_000);
    tokens.check(created.token);
    assert.equal(storage.saves, 3);
    assert.equal((await storage.loadAdminTokens())[0]!.lastUsedAt, 1_060_000);
    mock.timers.tick(5_000);
    tokens.check(created.token);
    assert.equal(tokens.list().items[0]!.lastUsedAtMs, 1_065_000, 'the list shows the latest use');
    tokens.saveAllLastUsed(); // at shutdown
    assert.equal((await storage.loadAdminTokens())[0]!.lastUsedAt, 1_065_000);
  });

  it('expiry and revocation; bad names and expiries are refused', async () => {
    mock.timers.enable({ apis: ['Date'], now: 5_000 });
    const brief = await tokens.create({ name: 'brief', expiresInMs: 1000 });
    assert.equal(brief.expiresAtMs, 6_000);
    assert.equal(tokens.check(brief.token).ok, true);
    mock.timers.tick(1000);
    assert.deepEqual(tokens.check(brief.token), { ok: false, reason: 'expired' });
    const other = await tokens.create({ name: 'other' });
    await tokens.revoke(other.id);
    assert.deepEqual(tokens.check(other.token), { ok: false, reason: 'unknown' });
    assert.deepEqual(
      (await storage.loadAdminTokens()).map((t) => t.id),
      [brief.id],
    );
    await assert.rejects(tokens.revoke(other.id), (e) => isRobustMQError(e) && e.code === 'RMQ_ERR_TOKEN_NOT_FOUND');
    for (const bad of [{ name: '' }, { name: 'x'.repeat(65) }, { name: 'a\nb' }, { name: 'ok', expiresInMs: -1 }]) {
      await assert.rejects(tokens.create(bad), (e) => isRobustMQError(e) && e.code === 'RMQ_ERR_INVALID_ARGUMENT');
    }
  });

  it('the bootstrap file: at least 32 characters, hashed, listed first, not revocable', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'too-short\n');
    assert.throws(
      () => tokens.loadBootstrapFile(file),
      (e) => isRobustMQError(e) && /admin\.bootstrap_token_file/.test(e.message),
    );
    assert.throws(() => tokens.loadBootstrapFile(join(dir, 'missing')), /cannot read/);
    const value = 'b'.repeat(40);
    writeFileSync(file, `  ${value}\n`);
    chmodSync(file, 0o600);
    tokens.loadBootstrapFile(file);
    assert.deepEqual(tokens.check(value), { ok: true, id: 'bootstrap' });
    assert.equal(tokens.check('b'.repeat(41)).ok, false);
    await tokens.create({ name: 'later' });
    assert.deepEqual(tokens.list().items.map((t) => t.id)[0], 'bootstrap');
    await assert.rejects(tokens.revoke('bootstrap'), /admin\.bootstrap_token_file/);
  });

  it('AdminAuth: Bearer only, counts each refusal, passes everything when auth is off', async () => {
    const created = await tokens.create({ name: 'x' });
    const auth = new AdminAuth(true, tokens, silentLogger());
    auth.check(`Bearer ${created.token}`, '127.0.0.1', 'rest');
    auth.check(`bearer   ${created.token} `, '127.0.0.1', 'rest');
    for (const header of [undefined, '', created.token, `Basic ${created.token}`, 'Bearer', 'Bearer a b']) {
      assert.throws(
        () => auth.check(header, '127.0.0.1', 'grpc'),
        (e) => isRobustMQError(e) && e.code === 'RMQ_ERR_UNAUTHORIZED',
      );
    }
    assert.equal(auth.failures, 6);
    const open = new AdminAuth(false, tokens, silentLogger());
    open.check(undefined, '127.0.0.1', 'grpc');
    assert.equal(open.failures, 0);
  });
});
