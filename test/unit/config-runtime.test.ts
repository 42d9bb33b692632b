// The configuration as the admin API shows and changes it (src/lib/config-runtime.ts): secrets
// redacted, the runtime keys all real and documented, and a change checked by the schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG, loadConfig } from '../../src/lib/config.js';
import {
  RUNTIME_CONFIG_KEYS,
  checkConfigChange,
  configEntries,
  configEntry,
  isSecretKey,
} from '../../src/lib/config-runtime.js';
import { RobustMQError } from '../../src/lib/errors.js';

const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RobustMQError, String(err));
    return `${err.code}: ${err.message}`;
  }
  assert.fail('no error');
}

describe('config-runtime', () => {
  it('every key of the schema is an entry; the runtime keys exist and are documented', () => {
    const keys = configEntries(DEFAULT_CONFIG).map((e) => e.key);
    // a nested table ([auth.scram]) is flattened to section.table.key
    const flat = (prefix: string, v: object): string[] =>
      Object.entries(v).flatMap(([k, x]) =>
        typeof x === 'object' && x !== null && !Array.isArray(x) ? flat(`${prefix}.${k}`, x) : [`${prefix}.${k}`],
      );
    const schemaKeys = Object.entries(DEFAULT_CONFIG).flatMap(([s, v]) => flat(s, v));
    assert.deepEqual(keys, schemaKeys);
    const section = doc.slice(doc.indexOf('## Changing the configuration of a running broker'));
    for (const key of Object.keys(RUNTIME_CONFIG_KEYS)) {
      assert.ok(keys.includes(key), `${key} is not a configuration key`);
      assert.match(section, new RegExp(`^\\| \`${key.replace('.', '\\.')}\` +\\|`, 'm'), `${key} not documented`);
    }
  });

  it('redacts passwords, tokens and connection strings when set, and leaves the rest', () => {
    for (const k of ['storage.postgres_url', 'auth.password', 'admin.tokens', 'x.client_secret', 'y.dsn']) {
      assert.ok(isSecretKey(k), k);
    }
    for (const k of ['node.name', 'limits.max_connections', 'storage.engine', 'mqtt.bind']) {
      assert.ok(!isSecretKey(k), k);
    }
    const config = loadConfig({ env: { ROBUSTMQ_STORAGE_POSTGRES_URL: 'postgres://u:pw@h/db' } });
    assert.deepEqual(configEntry(config, 'storage.postgres_url'), {
      key: 'storage.postgres_url',
      value: '***',
      runtime: false,
    });
    assert.equal(configEntry(DEFAULT_CONFIG, 'storage.postgres_url').value, ''); // not set: nothing to hide
    assert.equal(configEntry(config, 'node.name').value, 'robustmq-node-1');
  });

  it('shows a sub-section ([auth.http]) key by key, its secrets and every header redacted', () => {
    const config = loadConfig({
      overrides: {
        auth: {
          providers: ['http', 'jwt'],
          http: { url: 'http://127.0.0.1:9/auth', headers: { 'x-api-key': 'k-secret' } },
          jwt: { algorithm: 'HS256', secret: 'jwt-secret' },
        },
      },
    });
    assert.equal(configEntry(config, 'auth.http.url').value, 'http://127.0.0.1:9/auth');
    assert.equal(configEntry(config, 'auth.http.headers.x-api-key').value, '***');
    assert.equal(configEntry(config, 'auth.http.body.clientid').value, '${clientid}');
    assert.equal(configEntry(config, 'auth.jwt.secret').value, '***');
    assert.equal(configEntry(config, 'auth.jwt.algorithm').value, 'HS256');
    const all = JSON.stringify(configEntries(config));
    assert.ok(!all.includes('k-secret') && !all.includes('jwt-secret'));
  });

  it('reads the text as the key type and checks it with the schema', () => {
    const c = structuredClone(DEFAULT_CONFIG);
    assert.equal(checkConfigChange(c, 'limits.max_connections', '5'), 5);
    assert.equal(checkConfigChange(c, 'session.queue_qos0', 'off'), false);
    assert.equal(checkConfigChange(c, 'node.log_level', 'debug'), 'debug');
    assert.deepEqual(c, DEFAULT_CONFIG); // checking changes nothing
    assert.match(
      code(() => checkConfigChange(c, 'limits.max_connections', '0')),
      /^RMQ_ERR_CONFIG_INVALID: invalid configuration: limits\.max_connections: .*>=1/,
    );
    assert.match(
      code(() => checkConfigChange(c, 'limits.max_connections', '1.5')),
      /^RMQ_ERR_CONFIG_INVALID: .*expected int/,
    );
    assert.match(
      code(() => checkConfigChange(c, 'limits.max_connections', '')),
      /must be a number/,
    );
    assert.match(
      code(() => checkConfigChange(c, 'node.log_level', 'LOUD')),
      /^RMQ_ERR_CONFIG_INVALID: invalid configuration: node\.log_level/,
    );
    assert.match(
      code(() => checkConfigChange(c, 'limits.max_qos', '1')),
      /^RMQ_ERR_CONFIG_KEY: limits\.max_qos cannot be changed while the broker runs/,
    );
    assert.match(
      code(() => checkConfigChange(c, 'nope', '1')),
      /^RMQ_ERR_CONFIG_KEY: unknown configuration key "nope"; keys that can be set: node\.log_level/,
    );
    assert.match(
      code(() => configEntry(c, 'limits')),
      /^RMQ_ERR_CONFIG_KEY/,
    );
  });
});
