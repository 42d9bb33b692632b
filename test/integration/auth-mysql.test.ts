// The `mysql` authentication provider against a real MariaDB server (test/helpers/mariadb.ts, one
// bootstrap for the file): users in a table whose hashes MariaDB itself computes (SHA2, MD5, SHA1),
// MQTT 3.1.1 and 5 clients, the shared scenarios of helpers/auth-db.ts (wrong passwords, anonymous
// fallback, superuser, injection, outage), and the other password_hash_algorithms.
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import type mysql from 'mysql2/promise';
import { code, connack, describeDbAuthentication, withBroker } from '../helpers/auth-db.js';
import { startMariaDb, type MariaDbServer } from '../helpers/mariadb.js';

let server: MariaDbServer;
let db: mysql.Connection;
/** Whether the test took the server down (db is ended then). */
let down = false;

before(async () => {
  server = await startMariaDb();
  db = await server.connect();
  await db.query(`CREATE TABLE mqtt_user (
    id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, username varchar(100) UNIQUE, password_hash varchar(200),
    salt varchar(35), is_superuser tinyint(1) DEFAULT 0) DEFAULT CHARSET=utf8mb4`);
  // sha512 with the salt before the password (salt_position = prefix, the default), computed by MariaDB
  const add = (u: string, p: string | null, salt: string, su: number) =>
    db.execute(
      'INSERT INTO mqtt_user (username, password_hash, salt, is_superuser) VALUES (?, IF(? IS NULL, NULL, SHA2(CONCAT(?, ?), 512)), ?, ?)',
      [u, p, salt, p, salt, su],
    );
  await add('alice', 'wonderland', 'salt-a', 0);
  await add('root', 'toor-toor', 'salt-r', 1);
  await add('nopass', null, 'x', 0);
});

after(async () => {
  await db?.end().catch(() => {});
  await server?.destroy();
});

const table = () => ({
  host: '127.0.0.1',
  port: server.port,
  username: server.user,
  password: server.password,
  database: server.database,
  password_hash_algorithm: 'sha512',
});

describeDbAuthentication({
  provider: 'mysql',
  table,
  nullHashRow: true,
  userCount: async () => {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT count(*) AS n FROM mqtt_user');
    return Number(rows[0]!.n);
  },
  stopDatabase: async () => {
    if (down) return;
    down = true;
    await db.end().catch(() => {});
    await server.stop();
  },
  startDatabase: async () => {
    if (!down) return;
    await server.start();
    db = await server.connect();
    down = false;
  },
});

describe('mysql: other password_hash_algorithms', () => {
  const cases: Array<{
    name: string;
    algo: Record<string, unknown>;
    hash: () => string;
    salt: string;
    password: string;
  }> = [
    {
      name: 'plain',
      algo: { password_hash_algorithm: 'plain', salt_position: 'disable' },
      hash: () => "'p1'",
      salt: '',
      password: 'p1',
    },
    {
      name: 'md5, salt suffix',
      algo: { password_hash_algorithm: 'md5', salt_position: 'suffix' },
      hash: () => "MD5(CONCAT('p2', 'st'))",
      salt: 'st',
      password: 'p2',
    },
    {
      name: 'sha (sha1), no salt',
      algo: { password_hash_algorithm: 'sha', salt_position: 'disable' },
      hash: () => "SHA1('p3')",
      salt: '',
      password: 'p3',
    },
    {
      name: 'sha256, salt prefix',
      algo: { password_hash_algorithm: 'sha256', salt_position: 'prefix' },
      hash: () => "SHA2(CONCAT('s4', 'p4'), 256)",
      salt: 's4',
      password: 'p4',
    },
    {
      name: 'bcrypt',
      algo: { password_hash_algorithm: 'bcrypt' },
      hash: () => `'${bcrypt.hashSync('p5', 6)}'`,
      salt: '',
      password: 'p5',
    },
    {
      name: 'pbkdf2 sha512, 2000 iterations, default length',
      algo: { password_hash_algorithm: 'pbkdf2', mac_fun: 'sha512', iterations: 2000 },
      hash: () => `'${pbkdf2Sync('p6', 's6', 2000, 64, 'sha512').toString('hex')}'`,
      salt: 's6',
      password: 'p6',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const t = `users_${c.name.replace(/[^a-z0-9]/g, '_')}`;
      await db.query(`CREATE TABLE ${t} (username varchar(50), password_hash varchar(200), salt varchar(50))`);
      await db.query(`INSERT INTO ${t} VALUES ('u', ${c.hash()}, '${c.salt}')`);
      await withBroker(
        'mysql',
        { ...table(), ...c.algo, query: `SELECT password_hash, salt FROM ${t} WHERE username = \${username} LIMIT 1` },
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
});
