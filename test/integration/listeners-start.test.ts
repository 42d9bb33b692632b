// Starting with [listeners.<name>]: what fails fast, naming the key to change (a certificate file
// that cannot be read, a key that is not the certificate's, a cipher list OpenSSL does not know, a
// CA file that is no certificate, two listeners on one port), and secure by default through the
// CLI: `server start` with a listener on a non-loopback address and auth.allow_anonymous unset
// exits 2 before it listens.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerConfigInput } from '../../src/lib/config.js';
import { startBroker } from '../helpers/broker.js';
import { freePort } from '../helpers/child.js';
import { freeBrokerPorts, startBrokerProcess } from '../helpers/cli.js';
import { makePki, type Pki } from '../helpers/tls-pki.js';

describe('starting with listeners: fail fast, naming the key', () => {
  let pki: Pki;
  const tls = (extra: Record<string, unknown> = {}): BrokerConfigInput => ({
    listeners: {
      t1: { kind: 'tls', port: 0, tls_cert: pki.path('server.pem'), tls_key: pki.path('server.key'), ...extra },
    },
  });
  const refused = async (overrides: BrokerConfigInput, code: string, ...parts: string[]) => {
    await assert.rejects(startBroker(overrides), (err: Error & { code?: string }) => {
      assert.equal(err.code, code, err.message);
      for (const p of parts) assert.ok(err.message.includes(p), `"${err.message}" lacks "${p}"`);
      return true;
    });
  };

  before(() => {
    pki = makePki();
    writeFileSync(pki.path('garbage.pem'), 'not a certificate\n');
  });
  after(() => rmSync(pki.dir, { recursive: true, force: true }));

  it('a certificate file that cannot be read', async () => {
    await refused(
      tls({ tls_cert: pki.path('missing.pem') }),
      'RMQ_ERR_CONFIG_INVALID',
      'listeners.t1.tls_cert',
      'ENOENT',
    );
  });

  it("a key that is not the certificate's", async () => {
    await refused(tls({ tls_key: pki.path('client.key') }), 'RMQ_ERR_CONFIG_INVALID', 'listeners.t1.tls_key');
  });

  it('a CA file that holds no certificate', async () => {
    await refused(
      tls({ tls_ca: pki.path('garbage.pem'), tls_verify_peer: true }),
      'RMQ_ERR_CONFIG_INVALID',
      'listeners.t1.tls_ca',
    );
  });

  it('a cipher list that selects nothing', async () => {
    await refused(tls({ tls_ciphers: 'NO-SUCH-CIPHER' }), 'RMQ_ERR_CONFIG_INVALID', 'listeners.t1.tls_ciphers');
  });

  it('two listeners on one port', async () => {
    const port = await freePort();
    await refused(
      { listeners: { a: { kind: 'tcp', port }, b: { kind: 'ws', port } } },
      'RMQ_ERR_LISTEN',
      'listeners.b.port',
    );
  });

  it('server start with a listener on 0.0.0.0 and auth.allow_anonymous unset exits 2, saying what to set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-listeners-start-'));
    try {
      const file = join(dir, 'broker.toml');
      writeFileSync(file, `[listeners.public]\nkind = "ws"\nbind = "0.0.0.0"\nport = ${await freePort()}\n`);
      const child = startBrokerProcess(dir, await freeBrokerPorts(), ['--config', file, '--storage', 'memory']);
      const exit = await child.exited(30_000);
      assert.equal(exit.code, 2);
      assert.match(
        child.stderr(),
        /RMQ_ERR_CONFIG_INVALID: invalid configuration: auth\.allow_anonymous: must be set when an MQTT listener binds a non-loopback address \(0\.0\.0\.0\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
