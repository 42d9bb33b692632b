// Configuration loading (src/lib/config.ts): defaults, TOML file, ROBUSTMQ_* environment, flags, in
// that order of priority; bad values, unknown keys and unreadable or invalid files are refused with
// a RobustMQError whose code and message say which key, from which source, or which file.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG, loadConfig, type ConfigSources } from '../../src/lib/config.js';
import { RobustMQError, type ErrorCode } from '../../src/lib/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'rmq-config-'));
let n = 0;
function tomlFile(text: string): string {
  const file = join(dir, `config-${++n}.toml`);
  writeFileSync(file, text);
  return file;
}

/** loadConfig must throw a RobustMQError with this code whose message contains every fragment. */
function refused(sources: ConfigSources, code: ErrorCode, ...fragments: string[]): string {
  let caught: unknown;
  try {
    loadConfig(sources);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof RobustMQError, `expected a RobustMQError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const f of fragments) assert.ok(caught.message.includes(f), `"${caught.message}" does not mention "${f}"`);
  // the message is one line, fit for a terminal and a log
  assert.ok(!caught.message.includes('\n'), `multi-line message: ${JSON.stringify(caught.message)}`);
  return caught.message;
}

describe('configuration: defaults', () => {
  it('with no file, environment or flags, is the documented defaults', () => {
    const config = loadConfig();
    assert.deepEqual(config, DEFAULT_CONFIG);
    assert.equal(config.mqtt.port, 1883);
    assert.equal(config.mqtt.bind, '127.0.0.1'); // secure by default
    assert.equal(config.auth.allow_anonymous, 'auto');
    assert.equal(config.node.log_level, 'info');
    assert.equal(config.limits.max_packet_size, 1_048_576);
    assert.equal(config.limits.max_qos, 2);
    assert.equal(config.shared.strategy, 'round_robin');
    assert.equal(config.storage.engine, 'sqlite');
  });

  it('ignores environment variables that are not ROBUSTMQ_<SECTION>_<KEY> of a broker section', () => {
    const config = loadConfig({
      env: { PATH: '/bin', MQTT_PORT: '1', ROBUSTMQ_SERVER: 'http://x', ROBUSTMQ_TOKEN: 'x', ROBUSTMQ_: '' },
    });
    assert.deepEqual(config, DEFAULT_CONFIG);
  });

  it('an empty TOML file changes nothing', () => {
    assert.deepEqual(loadConfig({ file: tomlFile('') }), DEFAULT_CONFIG);
  });
});

describe('configuration: sources and their priority', () => {
  const file = () =>
    tomlFile(`
[node]
name = "from-file"
log_level = "debug"

[mqtt]
port = 1884
bind = "127.0.0.1"

[limits]
max_packet_size = 4096
max_inflight = 10

[session]
queue_qos0 = false
`);

  it('takes values from the TOML file; keys it leaves out keep their defaults', () => {
    const config = loadConfig({ file: file() });
    assert.equal(config.node.name, 'from-file');
    assert.equal(config.node.log_level, 'debug');
    assert.equal(config.mqtt.port, 1884);
    assert.equal(config.mqtt.bind, '127.0.0.1');
    assert.equal(config.limits.max_packet_size, 4096);
    assert.equal(config.limits.max_inflight, 10);
    assert.equal(config.session.queue_qos0, false);
    assert.equal(config.node.data_dir, DEFAULT_CONFIG.node.data_dir);
    assert.equal(config.mqtt.connect_timeout_ms, DEFAULT_CONFIG.mqtt.connect_timeout_ms);
    assert.deepEqual(config.sys, DEFAULT_CONFIG.sys);
  });

  it('ROBUSTMQ_* environment variables override the file, typed like the key', () => {
    const config = loadConfig({
      file: file(),
      env: {
        ROBUSTMQ_MQTT_PORT: '1885',
        ROBUSTMQ_LIMITS_MAX_PACKET_SIZE: '2048',
        ROBUSTMQ_SESSION_QUEUE_QOS0: 'true',
        ROBUSTMQ_NODE_LOG_LEVEL: 'warn',
        ROBUSTMQ_NODE_DATA_DIR: '/var/lib/robustmq',
        ROBUSTMQ_SYS_ENABLED: 'off',
      },
    });
    assert.equal(config.mqtt.port, 1885);
    assert.equal(config.limits.max_packet_size, 2048);
    assert.equal(config.session.queue_qos0, true);
    assert.equal(config.node.log_level, 'warn');
    assert.equal(config.node.data_dir, '/var/lib/robustmq');
    assert.equal(config.sys.enabled, false);
    // what the environment does not set still comes from the file
    assert.equal(config.mqtt.bind, '127.0.0.1');
    assert.equal(config.limits.max_inflight, 10);
    assert.equal(config.node.name, 'from-file');
  });

  it('flags override the environment and the file', () => {
    const config = loadConfig({
      file: file(),
      env: { ROBUSTMQ_MQTT_PORT: '1885', ROBUSTMQ_MQTT_BIND: '::1', ROBUSTMQ_NODE_LOG_LEVEL: 'warn' },
      overrides: { mqtt: { port: 1886 }, node: { log_level: 'error' } },
    });
    assert.equal(config.mqtt.port, 1886);
    assert.equal(config.node.log_level, 'error');
    assert.equal(config.mqtt.bind, '::1'); // no flag: the environment wins over the file
    assert.equal(config.limits.max_packet_size, 4096); // only in the file
  });

  it('a flag left unset (undefined, as the CLI passes it) does not hide the lower sources', () => {
    const config = loadConfig({
      file: file(),
      env: { ROBUSTMQ_NODE_LOG_LEVEL: 'warn' },
      overrides: { mqtt: { port: undefined, bind: undefined }, node: { log_level: undefined, data_dir: undefined } },
    });
    assert.equal(config.mqtt.port, 1884);
    assert.equal(config.mqtt.bind, '127.0.0.1');
    assert.equal(config.node.log_level, 'warn');
  });

  it('a bad value in a lower source is fine when a higher source replaces it', () => {
    const bad = tomlFile('[mqtt]\nport = 99999\n');
    assert.equal(loadConfig({ file: bad, env: { ROBUSTMQ_MQTT_PORT: '1890' } }).mqtt.port, 1890);
    assert.equal(
      loadConfig({ env: { ROBUSTMQ_MQTT_PORT: '99999' }, overrides: { mqtt: { port: 1891 } } }).mqtt.port,
      1891,
    );
  });
});

describe('configuration: bad values name the key and where the value came from', () => {
  it('an out-of-range value from the environment: limits.max_packet_size, environment', () => {
    refused(
      { env: { ROBUSTMQ_LIMITS_MAX_PACKET_SIZE: '5' } },
      'RMQ_ERR_CONFIG_INVALID',
      'limits.max_packet_size',
      'environment',
    );
  });

  it('a non-number for a number key from the environment names the key and the variable', () => {
    refused(
      { env: { ROBUSTMQ_MQTT_PORT: 'abc' } },
      'RMQ_ERR_CONFIG_INVALID',
      'mqtt.port',
      'environment',
      'ROBUSTMQ_MQTT_PORT',
      'abc',
    );
    refused({ env: { ROBUSTMQ_MQTT_PORT: '' } }, 'RMQ_ERR_CONFIG_INVALID', 'mqtt.port', 'ROBUSTMQ_MQTT_PORT');
  });

  it('a non-integer for an integer key from the environment', () => {
    refused(
      { env: { ROBUSTMQ_LIMITS_MAX_INFLIGHT: '1.5' } },
      'RMQ_ERR_CONFIG_INVALID',
      'limits.max_inflight',
      'environment',
    );
  });

  it('a non-boolean for a boolean key from the environment', () => {
    refused(
      { env: { ROBUSTMQ_SYS_ENABLED: 'maybe' } },
      'RMQ_ERR_CONFIG_INVALID',
      'sys.enabled',
      'environment',
      'ROBUSTMQ_SYS_ENABLED',
    );
  });

  it('a value outside an enumeration from the environment', () => {
    refused({ env: { ROBUSTMQ_NODE_LOG_LEVEL: 'loud' } }, 'RMQ_ERR_CONFIG_INVALID', 'node.log_level', 'environment');
    refused(
      { env: { ROBUSTMQ_SHARED_STRATEGY: 'sticky' } },
      'RMQ_ERR_CONFIG_INVALID',
      'shared.strategy',
      'environment',
    );
  });

  it('an unknown key of a broker section in the environment is refused, naming it', () => {
    refused(
      { env: { ROBUSTMQ_LIMITS_MAX_PAKET_SIZE: '100' } },
      'RMQ_ERR_CONFIG_INVALID',
      'limits.max_paket_size',
      'ROBUSTMQ_LIMITS_MAX_PAKET_SIZE',
    );
  });

  it('a bad value in the file names the key and the file', () => {
    const file = tomlFile('[mqtt]\nport = 70000\n');
    refused({ file }, 'RMQ_ERR_CONFIG_INVALID', 'mqtt.port', file);
    const wrongType = tomlFile('[limits]\nmax_inflight = "many"\n');
    refused({ file: wrongType }, 'RMQ_ERR_CONFIG_INVALID', 'limits.max_inflight', wrongType);
    const section = tomlFile('mqtt = 5\n');
    refused({ file: section }, 'RMQ_ERR_CONFIG_INVALID', 'mqtt', section);
  });

  it('a bad value from flags says flags', () => {
    refused({ overrides: { mqtt: { port: -1 } } }, 'RMQ_ERR_CONFIG_INVALID', 'mqtt.port', 'flags');
    refused({ overrides: { mqtt: { bind: '' } } }, 'RMQ_ERR_CONFIG_INVALID', 'mqtt.bind', 'flags');
  });

  it('blames the source the bad value came from, not another one that set the key', () => {
    const file = tomlFile('[limits]\nmax_packet_size = 4096\n');
    const message = refused(
      { file, env: { ROBUSTMQ_LIMITS_MAX_PACKET_SIZE: '1' } },
      'RMQ_ERR_CONFIG_INVALID',
      'limits.max_packet_size',
      'environment',
    );
    assert.ok(!message.includes(file), message);
  });

  it('an unknown key in the file is refused, naming it and the file', () => {
    const file = tomlFile('[mqtt]\nport = 1883\nprot = 1884\n');
    refused({ file }, 'RMQ_ERR_CONFIG_INVALID', 'mqtt.prot', 'unknown key', file);
  });

  it('an unknown section in the file is refused, naming it', () => {
    const file = tomlFile('[mqttt]\nport = 1884\n');
    refused({ file }, 'RMQ_ERR_CONFIG_INVALID', 'mqttt', 'unknown key');
  });
});

describe('configuration: the file itself', () => {
  it('a missing file: RMQ_ERR_CONFIG_FILE naming the file', () => {
    const file = join(dir, 'does-not-exist.toml');
    refused({ file }, 'RMQ_ERR_CONFIG_FILE', file);
  });

  it('a directory given as the file: RMQ_ERR_CONFIG_FILE naming it', () => {
    refused({ file: dir }, 'RMQ_ERR_CONFIG_FILE', dir);
  });

  it('an unreadable file: RMQ_ERR_CONFIG_FILE naming it', (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root reads files whatever their mode');
      return;
    }
    const file = tomlFile('[mqtt]\nport = 1884\n');
    chmodSync(file, 0o000);
    refused({ file }, 'RMQ_ERR_CONFIG_FILE', file);
  });

  it('invalid TOML: RMQ_ERR_CONFIG_FILE naming the file and the line, on one line', () => {
    const file = tomlFile('[mqtt]\nport = = 1884\n');
    refused({ file }, 'RMQ_ERR_CONFIG_FILE', file, 'TOML', 'line 2');
    const unclosed = tomlFile('[limits\nmax_inflight = 3\n');
    refused({ file: unclosed }, 'RMQ_ERR_CONFIG_FILE', unclosed, 'line 1');
  });

  it('a key given twice in the file is invalid TOML', () => {
    const file = tomlFile('[mqtt]\nport = 1884\nport = 1885\n');
    refused({ file }, 'RMQ_ERR_CONFIG_FILE', file);
  });
  it('takes a list from a comma-separated environment variable, and names a bad filter in it', () => {
    const config = loadConfig({ env: { ROBUSTMQ_TOPICS_LOG_FILTERS: 'a/#, b/+/c' } });
    assert.deepEqual(config.topics.log_filters, ['a/#', 'b/+/c']);
    assert.throws(
      () => loadConfig({ env: { ROBUSTMQ_TOPICS_LOG_FILTERS: 'a/#/b' } }),
      (e: Error) => /topics\.log_filters/.test(e.message) && /ROBUSTMQ_TOPICS_LOG_FILTERS/.test(e.message),
    );
  });
});
