// Password hashes (src/server/security/password-hash.ts): scrypt with its parameters in the string,
// a fresh salt per hash, verify true only for the right password, and hashes it cannot read (or
// whose cost is too high to compute) never verify.
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  SCRYPT_PARAMS,
  hashPassword,
  isPasswordHash,
  verifyPassword,
} from '../../src/server/security/password-hash.js';

describe('password hashes', () => {
  it('scrypt$N$r$p$salt$hash with the cost parameters, never the password', async () => {
    const hash = await hashPassword('correct horse');
    const parts = hash.split('$');
    assert.equal(parts.length, 6);
    assert.deepEqual(parts.slice(0, 4), ['scrypt', String(SCRYPT_PARAMS.N), String(SCRYPT_PARAMS.r), '1']);
    assert.equal(Buffer.from(parts[4]!, 'base64').length, 16);
    assert.equal(Buffer.from(parts[5]!, 'base64').length, 32);
    assert.ok(!hash.includes('correct horse'));
    assert.ok(isPasswordHash(hash));
  });

  it('verify: the right password matches, a wrong one (or one byte off, or empty) does not', async () => {
    const hash = await hashPassword('s3cret');
    assert.equal(await verifyPassword('s3cret', hash), true);
    assert.equal(await verifyPassword('s3creT', hash), false);
    assert.equal(await verifyPassword('s3cret ', hash), false);
    assert.equal(await verifyPassword('', hash), false);
    // MQTT passwords are binary data: the bytes of the UTF-8 string match too
    assert.equal(await verifyPassword(Buffer.from('s3cret', 'utf8'), hash), true);
  });

  it('a fresh salt each time: two hashes of one password differ and both verify', async () => {
    const a = await hashPassword('pässwörd ✓');
    const b = await hashPassword('pässwörd ✓');
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('pässwörd ✓', a), true);
    assert.equal(await verifyPassword('pässwörd ✓', b), true);
  });

  it('reads the parameters from the hash: one made with other costs verifies', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('old', salt, 24, { N: 1024, r: 4, p: 2 });
    const hash = `scrypt$1024$4$2$${salt.toString('base64')}$${key.toString('base64')}`;
    assert.equal(await verifyPassword('old', hash), true);
    assert.equal(await verifyPassword('new', hash), false);
  });

  it('hashes it cannot read, or too costly to compute, never match', async () => {
    const good = await hashPassword('x');
    const [, , r, p, salt, key] = good.split('$');
    for (const bad of [
      '',
      'x',
      'bcrypt$10$abc',
      `scrypt$1000$${r}$${p}$${salt}$${key}`, // N not a power of two
      `scrypt$${1 << 21}$${r}$${p}$${salt}$${key}`, // N above the limit
      `scrypt$16384$${r}$${p}$$${key}`, // no salt
      `scrypt$16384$${r}$${p}$${salt}$AAAA`, // a key too short
    ]) {
      assert.equal(isPasswordHash(bad), false, bad);
      assert.equal(await verifyPassword('x', bad), false, bad);
    }
  });
});
