// [listeners.<name>]: named MQTT listeners of kinds tcp, tls, ws and wss. Defaults by kind, the
// checks that fail a start with a message naming the key (certificate and key for tls/wss, TLS keys
// only where TLS is, mutual TLS needs a CA), secure by default (a listener on a non-loopback address
// needs auth.allow_anonymous set, like mqtt.bind), and worker mode refusing them for now.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, type BrokerConfigInput } from '../../src/lib/config.js';
import { configEntries } from '../../src/lib/config-runtime.js';
import { anonymousAllowed, mqttBindAddresses } from '../../src/lib/config-schema.js';
import { RobustMQError } from '../../src/lib/errors.js';

const TLS = { tls_cert: '/etc/robustmq/server.pem', tls_key: '/etc/robustmq/server.key' };

function refused(overrides: BrokerConfigInput, ...parts: (string | RegExp)[]): void {
  assert.throws(
    () => loadConfig({ overrides }),
    (err: unknown) => {
      assert.ok(err instanceof RobustMQError);
      assert.equal(err.code, 'RMQ_ERR_CONFIG_INVALID');
      for (const p of parts) {
        if (typeof p === 'string') assert.ok(err.message.includes(p), `"${err.message}" lacks "${p}"`);
        else assert.match(err.message, p);
      }
      return true;
    },
  );
}

describe('configuration: [listeners.<name>]', () => {
  it('has none by default; each kind gets its default port, loopback and /mqtt', () => {
    assert.deepEqual(loadConfig().listeners, {});
    const c = loadConfig({
      overrides: {
        listeners: { a: { kind: 'tcp' }, b: { kind: 'tls', ...TLS }, c: { kind: 'ws' }, d: { kind: 'wss', ...TLS } },
      },
    });
    assert.deepEqual(
      Object.values(c.listeners).map((l) => [l.kind, l.port, l.bind, l.enabled]),
      [
        ['tcp', 1883, '127.0.0.1', true],
        ['tls', 8883, '127.0.0.1', true],
        ['ws', 8083, '127.0.0.1', true],
        ['wss', 8084, '127.0.0.1', true],
      ],
    );
    assert.equal(c.listeners.c!.path, '/mqtt');
    assert.equal(c.listeners.b!.tls_min_version, 'TLSv1.2');
    assert.equal(c.listeners.b!.tls_handshake_timeout_ms, 10_000);
    assert.equal(c.listeners.b!.tls_cert_as_username, 'none');
  });

  it('reads several listeners of one kind from a TOML file, and shows them as listeners.<name>.<key>', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rmq-listeners-')), 'broker.toml');
    writeFileSync(
      file,
      [
        '[listeners.tls1]',
        'kind = "tls"',
        'port = 8883',
        `tls_cert = "${TLS.tls_cert}"`,
        `tls_key = "${TLS.tls_key}"`,
        '[listeners.tls2]',
        'kind = "tls"',
        'port = 8884',
        `tls_cert = "${TLS.tls_cert}"`,
        `tls_key = "${TLS.tls_key}"`,
        'tls_min_version = "TLSv1.3"',
      ].join('\n'),
    );
    const c = loadConfig({ file });
    assert.deepEqual(Object.keys(c.listeners), ['tls1', 'tls2']);
    assert.equal(c.listeners.tls2!.tls_min_version, 'TLSv1.3');
    const entries = configEntries(c);
    assert.deepEqual(
      entries.find((e) => e.key === 'listeners.tls2.port'),
      {
        key: 'listeners.tls2.port',
        value: 8884,
        runtime: false,
      },
    );
  });

  it('a tls or wss listener needs tls_cert and tls_key', () => {
    refused({ listeners: { t: { kind: 'tls' } } }, 'listeners.t.tls_cert', 'is required');
    refused({ listeners: { t: { kind: 'wss', tls_cert: TLS.tls_cert } } }, 'listeners.t.tls_key', 'is required');
  });

  it('TLS keys are refused on tcp and ws listeners', () => {
    refused({ listeners: { w: { kind: 'ws', ...TLS } } }, 'listeners.w.tls_cert', 'use kind = "wss"');
    refused({ listeners: { p: { kind: 'tcp', tls_verify_peer: true } } }, 'listeners.p.tls_verify_peer');
  });

  it('mutual TLS needs tls_ca, and the certificate names a user only when it is verified', () => {
    refused({ listeners: { m: { kind: 'tls', ...TLS, tls_verify_peer: true } } }, 'listeners.m.tls_ca');
    refused(
      { listeners: { m: { kind: 'tls', ...TLS, tls_cert_as_username: 'cn' } } },
      'listeners.m.tls_cert_as_username',
    );
  });

  it('refuses a bad kind, TLS version, name or path', () => {
    refused({ listeners: { q: { kind: 'quic' as 'tcp' } } }, 'listeners.q.kind');
    refused(
      { listeners: { t: { kind: 'tls', ...TLS, tls_min_version: 'TLSv1.1' as 'TLSv1.2' } } },
      'listeners.t.tls_min_version',
    );
    refused({ listeners: { 'a b': { kind: 'tcp' } } }, 'listeners.a b', 'letters, digits');
    refused({ listeners: { default: { kind: 'tcp' } } }, 'listeners.default', 'mqtt.bind/mqtt.port');
    refused({ listeners: { w: { kind: 'ws', path: 'mqtt' } } }, 'listeners.w.path', 'must start with "/"');
  });

  it('secure by default: a listener on a non-loopback address needs auth.allow_anonymous set', () => {
    refused({ listeners: { pub: { kind: 'ws', bind: '0.0.0.0' } } }, 'auth.allow_anonymous', '0.0.0.0');
    const open = loadConfig({
      overrides: { listeners: { pub: { kind: 'ws', bind: '0.0.0.0' } }, auth: { allow_anonymous: false } },
    });
    assert.deepEqual(mqttBindAddresses(open), ['127.0.0.1', '0.0.0.0']);
    assert.equal(anonymousAllowed(open), false);
    // a disabled listener binds nothing
    const off = loadConfig({ overrides: { listeners: { pub: { kind: 'ws', bind: '0.0.0.0', enabled: false } } } });
    assert.equal(anonymousAllowed(off), true);
  });

  it('worker mode refuses TLS and WebSocket listeners (for now) with a message saying what to change', () => {
    refused(
      { node: { workers: 2 }, storage: { engine: 'memory' }, listeners: { t: { kind: 'tls', ...TLS } } },
      'listeners.t.kind',
      'listeners of kind tls/ws/wss need node.workers = 1 for now',
    );
  });
});
