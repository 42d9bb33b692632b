// The password checks of the database authentication providers against published test vectors
// (md5/sha digests, RFC 6070 and RFC 7914 PBKDF2, the OpenBSD/Openwall bcrypt vector), EMQX's salt
// positions, and the ${...} placeholders: bound parameters for SQL, whole arguments for Redis.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindValues, compileSql, redisArgs } from '../../src/server/security/providers/auth-placeholders.js';
import { checkPassword, constantTimeEqual } from '../../src/server/security/providers/password-check.js';
import type { PasswordHashConfig } from '../../src/lib/config-schema-auth-db.js';
import type { AuthRequest } from '../../src/server/security/auth-types.js';

const opts = (o: Partial<PasswordHashConfig>): PasswordHashConfig => ({
  password_hash_algorithm: 'sha256',
  salt_position: 'prefix',
  mac_fun: 'sha256',
  iterations: 4096,
  dk_length: 0,
  ...o,
});
const pw = (s: string) => Buffer.from(s);

describe('checkPassword', () => {
  it('md5, sha, sha256, sha512 without salt (published digests), stored hex in any case', async () => {
    const disable = { salt_position: 'disable' as const };
    assert.ok(
      await checkPassword(
        opts({ ...disable, password_hash_algorithm: 'md5' }),
        pw('password'),
        '5f4dcc3b5aa765d61d8327deb882cf99',
        '',
      ),
    );
    assert.ok(
      await checkPassword(
        opts({ ...disable, password_hash_algorithm: 'sha' }),
        pw('password'),
        '5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8',
        '',
      ),
    );
    assert.ok(
      await checkPassword(
        opts({ ...disable }),
        pw('password'),
        '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8',
        'ignored',
      ),
    );
    assert.ok(
      await checkPassword(
        opts({ ...disable, password_hash_algorithm: 'sha512' }),
        pw('abc'),
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
        '',
      ),
    );
    assert.equal(
      await checkPassword(
        opts({ ...disable, password_hash_algorithm: 'md5' }),
        pw('Password'),
        '5f4dcc3b5aa765d61d8327deb882cf99',
        '',
      ),
      false,
    );
  });

  it('salt_position: prefix is salt + password, suffix is password + salt (EMQX example), disable ignores the salt', async () => {
    // md5("pass" + "word") = md5("password")
    const md5 = '5f4dcc3b5aa765d61d8327deb882cf99';
    assert.ok(
      await checkPassword(opts({ password_hash_algorithm: 'md5', salt_position: 'prefix' }), pw('word'), md5, 'pass'),
    );
    assert.ok(
      await checkPassword(opts({ password_hash_algorithm: 'md5', salt_position: 'suffix' }), pw('pass'), md5, 'word'),
    );
    assert.equal(
      await checkPassword(opts({ password_hash_algorithm: 'md5', salt_position: 'suffix' }), pw('word'), md5, 'pass'),
      false,
    );
    assert.equal(
      await checkPassword(opts({ password_hash_algorithm: 'md5', salt_position: 'disable' }), pw('word'), md5, 'pass'),
      false,
    );
    // docs.emqx.com: emqx_u / public, salt slat_foo123, sha256, suffix
    assert.ok(
      await checkPassword(
        opts({ salt_position: 'suffix' }),
        pw('public'),
        '44edc2d57cde8d79c98145003e105b90a14f1460b79186ea9cfe83942fc5abb5',
        'slat_foo123',
      ),
    );
  });

  it('plain compares the bytes as they are (case matters), salted like the others', async () => {
    const plain = opts({ password_hash_algorithm: 'plain', salt_position: 'disable' });
    assert.ok(await checkPassword(plain, pw('Secret'), 'Secret', ''));
    assert.equal(await checkPassword(plain, pw('secret'), 'Secret', ''), false);
    assert.equal(await checkPassword(plain, pw('Secre'), 'Secret', ''), false);
    assert.ok(
      await checkPassword(
        opts({ password_hash_algorithm: 'plain', salt_position: 'prefix' }),
        pw('cret'),
        'secret',
        'se',
      ),
    );
  });

  it('pbkdf2: RFC 6070 (HMAC-SHA1) and RFC 7914 (HMAC-SHA256) vectors, dk_length 0 = the digest size', async () => {
    const sha1 = opts({ password_hash_algorithm: 'pbkdf2', mac_fun: 'sha', iterations: 4096, dk_length: 20 });
    assert.ok(await checkPassword(sha1, pw('password'), '4b007901b765489abead49d926f721d065a429c1', 'salt'));
    assert.ok(
      await checkPassword(
        { ...sha1, dk_length: 0 },
        pw('password'),
        '4b007901b765489abead49d926f721d065a429c1',
        'salt',
      ),
    );
    assert.equal(await checkPassword(sha1, pw('passwore'), '4b007901b765489abead49d926f721d065a429c1', 'salt'), false);
    const sha256 = opts({ password_hash_algorithm: 'pbkdf2', mac_fun: 'sha256', iterations: 1, dk_length: 64 });
    const rfc7914 =
      '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783';
    assert.ok(await checkPassword(sha256, pw('passwd'), rfc7914, 'salt'));
    assert.equal(await checkPassword(sha256, pw('passwd'), rfc7914, 'salt2'), false);
  });

  it('bcrypt: the Openwall crypt_blowfish vector; a stored value that is not a bcrypt hash never matches', async () => {
    const bcrypt = opts({ password_hash_algorithm: 'bcrypt' });
    assert.ok(
      await checkPassword(bcrypt, pw('U*U'), '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', ''),
    );
    assert.equal(
      await checkPassword(bcrypt, pw('U*V'), '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', ''),
      false,
    );
    assert.equal(await checkPassword(bcrypt, pw('U*U'), 'U*U', ''), false);
  });

  it('constantTimeEqual: equal bytes only, whatever the lengths', () => {
    assert.ok(constantTimeEqual(pw('abc'), pw('abc')));
    assert.equal(constantTimeEqual(pw('abc'), pw('abd')), false);
    assert.equal(constantTimeEqual(pw('abc'), pw('abcd')), false);
    assert.equal(constantTimeEqual(pw(''), pw('a')), false);
  });
});

describe('placeholders', () => {
  const req: AuthRequest = {
    clientId: 'c1',
    username: "bob' OR '1'='1",
    remoteAddress: '::ffff:127.0.0.1',
    remotePort: 1,
    transport: 'tcp',
    protocolVersion: 5,
  };

  it('SQL: PostgreSQL numbers each name once, MySQL has a ? per occurrence; values are bound, not pasted', () => {
    const q =
      'SELECT password_hash FROM u WHERE username = ${username} AND (clientid = ${clientid} OR alias = ${username})';
    const pg = compileSql(q, 'postgres');
    assert.equal(pg.text, 'SELECT password_hash FROM u WHERE username = $1 AND (clientid = $2 OR alias = $1)');
    assert.deepEqual(bindValues(pg.params, req), ["bob' OR '1'='1", 'c1']);
    const my = compileSql(q, 'mysql');
    assert.equal(my.text, 'SELECT password_hash FROM u WHERE username = ? AND (clientid = ? OR alias = ?)');
    assert.deepEqual(bindValues(my.params, req), ["bob' OR '1'='1", 'c1', "bob' OR '1'='1"]);
  });

  it('a value the client did not send (no username) means nothing to look up', () => {
    assert.equal(bindValues(['username'], { ...req, username: undefined }), undefined);
    assert.equal(redisArgs('HGET u:${username} password_hash', { ...req, username: undefined }), undefined);
  });

  it('${peerhost} is the IPv4 address without the ::ffff: prefix', () => {
    assert.deepEqual(bindValues(['peerhost'], req), ['127.0.0.1']);
  });

  it('Redis: a username with spaces or $ stays inside its one argument', () => {
    assert.deepEqual(redisArgs('HMGET mqtt_user:${username} password_hash salt', { ...req, username: 'a b $1 $& c' }), [
      'HMGET',
      'mqtt_user:a b $1 $& c',
      'password_hash',
      'salt',
    ]);
  });
});
