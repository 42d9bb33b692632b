// The `postgres` authentication provider against a real PostgreSQL server (test/helpers/postgres.ts):
// users in a table whose hashes PostgreSQL itself computes (sha256(), md5(), pgcrypto's crypt() for
// bcrypt), MQTT 3.1.1 and 5 clients, the shared scenarios of helpers/auth-db.ts (wrong passwords,
// anonymous fallback, superuser, injection, outage), and every password_hash_algorithm.
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { code, connack, describeDbAuthentication, withBroker } from '../helpers/auth-db.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

let server: PostgresServer;
let db: pg.Client;
let database: string;
/** Whether the test took the server down (db is ended then). */
let down = false;

before(async () => {
  server = await startPostgres();
  const url = await server.createDatabase();
  database = url.slice(url.lastIndexOf('/') + 1);
  db = await server.connect(database);
  await db.query('CREATE EXTENSION pgcrypto');
  await db.query(`CREATE TABLE mqtt_user (
    id serial PRIMARY KEY, username text NOT NULL UNIQUE, password_hash text, salt text NOT NULL DEFAULT '',
    is_superuser boolean DEFAULT false)`);
  // sha256 with the salt after the password (salt_position = suffix), computed by PostgreSQL
  const add = (u: string, p: string | null, salt: string, su: boolean) =>
    db.query(
      `INSERT INTO mqtt_user (username, password_hash, salt, is_superuser)
       VALUES ($1, CASE WHEN $2::text IS NULL THEN NULL ELSE encode(sha256(convert_to($2::text || $3::text, 'UTF8')), 'hex') END, $3, $4)`,
      [u, p, salt, su],
    );
  await add('alice', 'wonderland', 'salt-a', false);
  await add('root', 'toor-toor', 'salt-r', true);
  await add('nopass', null, '', false);
});

after(async () => {
  await db?.end().catch(() => {});
  await server?.stop();
});

const table = () => ({
  host: '127.0.0.1',
  port: server.port,
  username: 'postgres',
  database,
  password_hash_algorithm: 'sha256',
  salt_position: 'suffix',
});

describeDbAuthentication({
  provider: 'postgres',
  table,
  nullHashRow: true,
  userCount: async () => Number((await db.query('SELECT count(*) AS n FROM mqtt_user')).rows[0].n),
  stopDatabase: async () => {
    if (down) return;
    down = true;
    await db.end().catch(() => {});
    await server.pause();
  },
  startDatabase: async () => {
    if (!down) return;
    await server.resume();
    db = await server.connect(database);
    down = false;
  },
});

describe('postgres: every password_hash_algorithm', () => {
  const cases: Array<{ name: string; algo: Record<string, unknown>; hash: string; salt: string; password?: string }> = [
    {
      name: 'plain',
      algo: { password_hash_algorithm: 'plain', salt_position: 'disable' },
      hash: "'p-plain'",
      salt: '',
    },
    {
      name: 'md5 prefix',
      algo: { password_hash_algorithm: 'md5', salt_position: 'prefix' },
      hash: "md5('s1' || 'p-md5')",
      salt: 's1',
    },
    {
      name: 'sha (sha1) suffix',
      algo: { password_hash_algorithm: 'sha', salt_position: 'suffix' },
      hash: "encode(digest('p-sha' || 's2', 'sha1'), 'hex')",
      salt: 's2',
    },
    {
      name: 'sha512, no salt, stored in upper case',
      algo: { password_hash_algorithm: 'sha512', salt_position: 'disable' },
      hash: "upper(encode(sha512('p-sha512'::bytea), 'hex'))",
      salt: 'ignored',
      password: 'p-sha512',
    },
    {
      name: 'bcrypt (pgcrypto)',
      algo: { password_hash_algorithm: 'bcrypt' },
      hash: "crypt('p-bcrypt', gen_salt('bf', 6))",
      salt: '',
    },
    {
      name: 'pbkdf2 sha256, 1000 iterations, 32 bytes',
      algo: { password_hash_algorithm: 'pbkdf2', mac_fun: 'sha256', iterations: 1000, dk_length: 32 },
      hash: `'${pbkdf2Sync('p-pbkdf2', 's3', 1000, 32, 'sha256').toString('hex')}'`,
      salt: 's3',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const t = `users_${c.name.replace(/[^a-z0-9]/g, '_')}`;
      await db.query(`CREATE TABLE ${t} (username text, password_hash text, salt text)`);
      await db.query(`INSERT INTO ${t} VALUES ('u', ${c.hash}, '${c.salt}')`);
      const password = c.password ?? `p-${c.name.split(' ')[0]}`;
      await withBroker(
        'postgres',
        { ...table(), ...c.algo, query: `SELECT password_hash, salt FROM ${t} WHERE username = \${username}` },
        async (b) => {
          assert.equal(code(await connack(b.port, 5, { username: 'u', password: Buffer.from(password) }), 5), 0);
          assert.equal(code(await connack(b.port, 4, { username: 'u', password: Buffer.from(password + 'x') }), 4), 4);
        },
      );
    });
  }

  it('${clientid} and ${peerhost} placeholders, is_superuser as an integer alias', async () => {
    await db.query('CREATE TABLE devices (clientid text, addr text, secret text)');
    await db.query("INSERT INTO devices VALUES ('dev-1', '127.0.0.1', 'dev-secret')");
    await withBroker(
      'postgres',
      {
        ...table(),
        password_hash_algorithm: 'plain',
        salt_position: 'disable',
        query:
          'SELECT secret AS password_hash, 1 AS is_superuser FROM devices WHERE clientid = ${clientid} AND addr = ${peerhost}',
      },
      async (b) => {
        assert.equal(
          code(
            await connack(b.port, 4, { clientId: 'dev-1', username: 'any', password: Buffer.from('dev-secret') }),
            4,
          ),
          0,
        );
        assert.equal(
          code(await connack(b.port, 4, { clientId: 'dev-1', username: 'any', password: Buffer.from('nope') }), 4),
          4,
        );
        // another client id: no row, anonymous
        assert.equal(
          code(
            await connack(b.port, 4, { clientId: 'dev-2', username: 'any', password: Buffer.from('dev-secret') }),
            4,
          ),
          0,
        );
      },
    );
  });
});
