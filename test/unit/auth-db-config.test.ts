// The [auth.postgres], [auth.mysql] and [auth.redis] tables: defaults, what fails at start (a listed
// provider without its table, a missing database, a quoted or unknown placeholder, a Redis command
// that is not HGET/HMGET), and `config get` listing their keys with the passwords redacted.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/lib/config.js';
import { readFileSync } from 'node:fs';
import { configEntries } from '../../src/lib/config-runtime.js';

describe('database authentication config', () => {
  it('a TOML file with the three tables: EMQX-like defaults fill the rest', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rmq-authdb-')), 'c.toml');
    writeFileSync(
      file,
      [
        '[auth]',
        'providers = ["postgres", "mysql", "redis", "builtin"]',
        '[auth.postgres]',
        'database = "mqtt"',
        'password = "pg-secret"',
        '[auth.mysql]',
        'database = "mqtt"',
        'password_hash_algorithm = "bcrypt"',
        '[auth.redis]',
        'port = 6380',
        '',
      ].join('\n'),
    );
    const c = loadConfig({ file });
    assert.deepEqual(c.auth.providers, ['postgres', 'mysql', 'redis', 'builtin']);
    assert.equal(c.auth.postgres?.port, 5432);
    assert.equal(
      c.auth.postgres?.query,
      'SELECT password_hash, salt, is_superuser FROM mqtt_user WHERE username = ${username} LIMIT 1',
    );
    assert.equal(c.auth.postgres?.password_hash_algorithm, 'sha256');
    assert.equal(c.auth.postgres?.salt_position, 'prefix');
    assert.equal(c.auth.mysql?.port, 3306);
    assert.equal(c.auth.mysql?.password_hash_algorithm, 'bcrypt');
    assert.equal(c.auth.redis?.cmd, 'HMGET mqtt_user:${username} password_hash salt is_superuser');
    assert.equal(c.auth.redis?.port, 6380);
  });

  it('a provider listed without its table fails at start, naming the table to add', () => {
    for (const name of ['postgres', 'mysql', 'redis'] as const) {
      assert.throws(
        () => loadConfig({ overrides: { auth: { providers: [name] } } }),
        new RegExp(
          `invalid configuration: auth\\.${name}: is missing: auth\\.providers lists "${name}", so add an \\[auth\\.${name}\\] table`,
        ),
      );
    }
    // a table alone (provider not listed) is accepted and unused
    assert.equal(loadConfig({ overrides: { auth: { redis: {} } } }).auth.providers.join(), 'builtin');
  });

  it('SQL tables need the database; placeholders must be known and unquoted', () => {
    assert.throws(() => loadConfig({ overrides: { auth: { mysql: {} } } }), /auth\.mysql\.database: required/);
    assert.throws(
      () =>
        loadConfig({
          overrides: { auth: { postgres: { database: 'd', query: "SELECT * FROM u WHERE name = '${username}'" } } },
        }),
      /auth\.postgres\.query: must not quote a placeholder/,
    );
    assert.throws(
      () =>
        loadConfig({
          overrides: { auth: { postgres: { database: 'd', query: 'SELECT * FROM u WHERE name = ${password}' } } },
        }),
      /auth\.postgres\.query: unknown placeholder \$\{password\}/,
    );
    assert.throws(
      () =>
        loadConfig({ overrides: { auth: { postgres: { database: 'd', password_hash_algorithm: 'sha1' as never } } } }),
      /auth\.postgres\.password_hash_algorithm/,
    );
  });

  it('the Redis command must be HGET or HMGET reading password_hash', () => {
    assert.throws(
      () => loadConfig({ overrides: { auth: { redis: { cmd: 'GET k:${username}' } } } }),
      /auth\.redis\.cmd: must be an HGET or HMGET/,
    );
    assert.throws(
      () => loadConfig({ overrides: { auth: { redis: { cmd: 'HMGET k:${username} salt' } } } }),
      /must read the field password_hash/,
    );
    assert.throws(
      () => loadConfig({ overrides: { auth: { redis: { cmd: 'HGET k:${username} password_hash salt' } } } }),
      /HGET takes one field/,
    );
  });

  it('config get lists the nested keys one by one, passwords as ***', () => {
    const c = loadConfig({ overrides: { auth: { postgres: { database: 'd', password: 'pg-secret' }, redis: {} } } });
    const entries = configEntries(c);
    const byKey = new Map(entries.map((e) => [e.key, e.value]));
    assert.equal(byKey.get('auth.postgres.password'), '***');
    assert.equal(byKey.get('auth.postgres.database'), 'd');
    assert.equal(byKey.get('auth.redis.password'), '');
    assert.ok(!JSON.stringify(entries).includes('pg-secret'));
    assert.ok(entries.every((e) => typeof e.value !== 'object' || Array.isArray(e.value)));
  });
});

describe('docs/configuration.md documents the database provider tables', () => {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const c = loadConfig({ overrides: { auth: { postgres: { database: 'd' }, mysql: { database: 'd' }, redis: {} } } });
  for (const name of ['postgres', 'mysql', 'redis'] as const) {
    it(`[auth.${name}]: every key with its default, and no other key`, () => {
      const start = doc.indexOf(`## \`[auth.${name}]\``);
      assert.ok(start >= 0, `no section [auth.${name}]`);
      const end = doc.indexOf('\n## ', start + 1);
      const text = doc.slice(start, end < 0 ? undefined : end);
      const keys = c.auth[name]! as Record<string, unknown>;
      for (const [key, value] of Object.entries(keys)) {
        const row = text.split('\n').find((l) => new RegExp(`^\\|\\s*\`${key}\`\\s*\\|`).test(l));
        assert.ok(row, `auth.${name}.${key} is not documented`);
        const shown = value === '' ? '""' : key === 'database' && name !== 'redis' ? '(required)' : String(value);
        assert.ok(
          row.includes(key === 'database' && name !== 'redis' ? shown : `\`${shown}\``),
          `auth.${name}.${key}: ${shown} not in "${row}"`,
        );
      }
      const documented = [...text.matchAll(/^\|\s*`([a-z_0-9]+)`\s*\|/gm)].map((m) => m[1]!);
      for (const key of documented) assert.ok(key in keys, `auth.${name}.${key} is documented but not a key`);
    });
  }
});
