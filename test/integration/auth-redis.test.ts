// The `redis` authentication provider against a real redis-server (test/helpers/redis.ts, with a
// password): users in hashes, the EMQX documentation's sha256 example as a test vector, MQTT
// 3.1.1 and 5 clients, the shared scenarios of helpers/auth-db.ts (wrong passwords, anonymous
// fallback, superuser, injection, outage), HGET, and the other password_hash_algorithms.
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { code, connack, describeDbAuthentication, withBroker } from '../helpers/auth-db.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

let server: RedisServer;

/** The users of the shared scenarios (nothing is saved to disk: seeded again after a restart). */
async function seedUsers(): Promise<void> {
  // sha256 over salt + password (salt_position = prefix): hashes made with node:crypto for the
  // shared scenarios; EMQX's documented example is checked on its own below
  const { createHash } = await import('node:crypto');
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  await server.command([
    'HSET',
    'mqtt_user:alice',
    'password_hash',
    sha('salt-awonderland'),
    'salt',
    'salt-a',
    'is_superuser',
    '0',
  ]);
  await server.command([
    'HSET',
    'mqtt_user:root',
    'password_hash',
    sha('salt-rtoor-toor'),
    'salt',
    'salt-r',
    'is_superuser',
    '1',
  ]);
  await server.command(['HSET', 'mqtt_user:nopass', 'salt', 'x']);
}

before(async () => {
  server = await startRedis();
  await seedUsers();
});

after(() => server?.destroy());

const table = () => ({
  host: '127.0.0.1',
  port: server.port,
  password: server.password,
  password_hash_algorithm: 'sha256',
});

describeDbAuthentication({
  provider: 'redis',
  table,
  nullHashRow: false,
  userCount: async () => ((await server.command(['KEYS', 'mqtt_user:*'])) as string[]).length,
  stopDatabase: async () => {
    await server.stop();
  },
  startDatabase: async () => {
    await server.start();
    await seedUsers();
  },
});

describe('redis: commands and password_hash_algorithms', () => {
  it("EMQX's documented example: emqx_u / public, salt slat_foo123 after the password (sha256, suffix)", async () => {
    // docs.emqx.com, "Integrate with Redis" (the same user appears in its MySQL and PostgreSQL pages)
    await server.command([
      'HSET',
      'mqtt_user:emqx_u',
      'is_superuser',
      '1',
      'salt',
      'slat_foo123',
      'password_hash',
      '44edc2d57cde8d79c98145003e105b90a14f1460b79186ea9cfe83942fc5abb5',
    ]);
    await withBroker('redis', { ...table(), salt_position: 'suffix' }, async (b) => {
      assert.equal(code(await connack(b.port, 4, { username: 'emqx_u', password: Buffer.from('public') }), 4), 0);
      assert.equal(code(await connack(b.port, 4, { username: 'emqx_u', password: Buffer.from('publi') }), 4), 4);
    });
    // the same row read with the salt in front does not match
    await withBroker('redis', { ...table(), salt_position: 'prefix' }, async (b) => {
      assert.equal(code(await connack(b.port, 5, { username: 'emqx_u', password: Buffer.from('public') }), 5), 0x86);
    });
  });

  const cases: Array<{ name: string; algo: Record<string, unknown>; hash: string; salt: string; password: string }> = [
    {
      name: 'plain',
      algo: { password_hash_algorithm: 'plain', salt_position: 'disable' },
      hash: 'p1',
      salt: '',
      password: 'p1',
    },
    {
      name: 'bcrypt',
      algo: { password_hash_algorithm: 'bcrypt' },
      hash: bcrypt.hashSync('p2', 6),
      salt: '',
      password: 'p2',
    },
    {
      name: 'pbkdf2 sha1, 1 iteration, 20 bytes (RFC 6070 vector)',
      algo: { password_hash_algorithm: 'pbkdf2', mac_fun: 'sha', iterations: 1, dk_length: 20 },
      hash: '0c60c80f961f0e71f3a9b524af6012062fe037a6',
      salt: 'salt',
      password: 'password',
    },
    {
      name: 'pbkdf2 sha256, 4096 iterations',
      algo: { password_hash_algorithm: 'pbkdf2' },
      hash: pbkdf2Sync('p3', 's3', 4096, 32, 'sha256').toString('hex'),
      salt: 's3',
      password: 'p3',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const key = `algo_${c.name.replace(/[^a-z0-9]/g, '_')}`;
      await server.command(['HSET', `${key}:u`, 'password_hash', c.hash, 'salt', c.salt]);
      await withBroker(
        'redis',
        { ...table(), ...c.algo, cmd: `HMGET ${key}:\${username} password_hash salt` },
        async (b) => {
          assert.equal(code(await connack(b.port, 5, { username: 'u', password: Buffer.from(c.password) }), 5), 0);
          assert.equal(
            code(await connack(b.port, 4, { username: 'u', password: Buffer.from(c.password + 'x') }), 4),
            4,
          );
        },
      );
    });
  }

  it('HGET of the password alone (no salt): the password field name of EMQX 4 works too', async () => {
    await server.command(['HSET', 'legacy:dev', 'password', 'plain-secret']);
    await withBroker(
      'redis',
      {
        ...table(),
        password_hash_algorithm: 'plain',
        salt_position: 'disable',
        cmd: 'HGET legacy:${username} password',
      },
      async (b) => {
        assert.equal(code(await connack(b.port, 4, { username: 'dev', password: Buffer.from('plain-secret') }), 4), 0);
        assert.equal(code(await connack(b.port, 5, { username: 'dev', password: Buffer.from('plain') }), 5), 0x86);
        assert.equal(
          code(await connack(b.port, 5, { username: 'other', password: Buffer.from('plain-secret') }), 5),
          0,
        );
      },
    );
  });
});
