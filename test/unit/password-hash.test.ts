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

  // written by mosquitto_passwd 2.0.11 (Debian 12): `-b` (the default, sha512-pbkdf2) and `-H sha512`
  const PBKDF2_WONDERLAND =
    '$7$101$6PUodjPyuyD2zCjc$XVTsMmeP98EkvsolPDo07tHaFAt7sMyWLFxClDI4oV0RKiAyPTst/K9t+FL9TKrYX6uEom8/EJQFNlOp4g0/qA==';
  const PBKDF2_UMLAUT =
    '$7$101$8ZyfO4kcXH8xui0y$/kbg2y5xngGIPO833qhkJHZkhg8198vulmAjLtxtui42GptlqGDLVyBxWHNBTXVoBjPhGQ6XGVeiSJrGlCfFzQ==';
  const SHA512_SECRET6 =
    '$6$JaS2CBdgPa/G8VYv$PQ/nuR8+bgnyizv7Rrx+4IQph7QeHVdtIIMjaCEaXzbqsyIL+7b+n2l3bLCjV2kekD1zWHtapOcsUKfWbZBAdQ==';

  it('verifies Mosquitto $7$ (PBKDF2-SHA512) hashes', async () => {
    assert.ok(isPasswordHash(PBKDF2_WONDERLAND));
    assert.equal(await verifyPassword('wonderland', PBKDF2_WONDERLAND), true);
    assert.equal(await verifyPassword('Wonderland', PBKDF2_WONDERLAND), false);
    assert.equal(await verifyPassword('pässword', PBKDF2_UMLAUT), true);
    assert.equal(await verifyPassword(Buffer.from('pässword', 'latin1'), PBKDF2_UMLAUT), false);
  });

  it('verifies Mosquitto $6$ (salted SHA-512) hashes', async () => {
    assert.ok(isPasswordHash(SHA512_SECRET6));
    assert.equal(await verifyPassword('secret6', SHA512_SECRET6), true);
    assert.equal(await verifyPassword('secret7', SHA512_SECRET6), false);
    assert.equal(await verifyPassword('', SHA512_SECRET6), false);
  });

  it('Mosquitto hashes it cannot read, or too costly, never match', async () => {
    const [, , , salt, key] = PBKDF2_WONDERLAND.split('$');
    for (const bad of [
      `$7$0$${salt}$${key}`, // no iterations
      `$7$2000000$${salt}$${key}`, // iterations above the limit
      `$7$abc$${salt}$${key}`,
      `$7$101$$${key}`, // no salt
      `$7$101$${salt}$AAAA`, // a key too short
      `$7$101$${salt}$${key}$x`,
      `$6$${salt}`,
      `$6$not base64!$${key}`,
      `$5$${salt}$${key}`,
      `7$101$${salt}$${key}`,
    ]) {
      assert.equal(isPasswordHash(bad), false, bad);
      assert.equal(await verifyPassword('wonderland', bad), false, bad);
    }
  });
});
