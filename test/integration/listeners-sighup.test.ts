// SIGHUP to `robustmq-cli server start` reloads the TLS listeners' certificates: the files are
// replaced, the signal logs a reload (reason SIGHUP) with the new certificate's fingerprint, a new
// connection gets that certificate, and the broker keeps running.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/child.js';
import { startCliBroker, type CliBroker } from '../helpers/cli.js';
import { connect } from '../helpers/clients.js';
import { makePki, type Pki } from '../helpers/tls-pki.js';

function peerFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

describe('SIGHUP reloads TLS certificates (server start)', () => {
  let pki: Pki;
  let dir: string;
  let b: CliBroker;
  let tlsPort: number;

  before(async () => {
    pki = makePki();
    pki.leaf('server2', 'ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    dir = mkdtempSync(join(tmpdir(), 'rmq-sighup-'));
    copyFileSync(pki.path('server.pem'), join(dir, 'server.pem'));
    copyFileSync(pki.path('server.key'), join(dir, 'server.key'));
    tlsPort = await freePort();
    const file = join(dir, 'broker.toml');
    writeFileSync(
      file,
      `[listeners.secure]\nkind = "tls"\nport = ${tlsPort}\ntls_cert = "${join(dir, 'server.pem')}"\ntls_key = "${join(dir, 'server.key')}"\n`,
    );
    b = await startCliBroker(['--config', file]);
  });

  after(async () => {
    await b?.stop();
    for (const d of [pki?.dir, dir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('lists the TLS listener in the start line', () => {
    const start = JSON.parse(b.child.lines.find((l) => l.includes('RobustMQ broker started'))!) as {
      listeners: string[];
    };
    assert.deepEqual(start.listeners, [`mqtt://127.0.0.1:${b.mqttPort}`, `mqtts://127.0.0.1:${tlsPort} (secure)`]);
  });

  it('reloads on SIGHUP: new connections get the new certificate, the broker keeps running', async () => {
    const ca = pki.read('ca.pem');
    assert.equal(await peerFingerprint(tlsPort, ca), pki.fingerprint('server.pem'));
    copyFileSync(pki.path('server2.pem'), join(dir, 'server.pem'));
    copyFileSync(pki.path('server2.key'), join(dir, 'server.key'));
    b.child.proc.kill('SIGHUP');
    const fp = pki.fingerprint('server2.pem');
    const line = await b.child.line(
      (l) => l.includes('TLS certificate reloaded') && l.includes('"reason":"SIGHUP"'),
      10_000,
      'the SIGHUP reload',
    );
    assert.equal((JSON.parse(line) as { fingerprint: string }).fingerprint, fp);
    assert.equal(await peerFingerprint(tlsPort, ca), fp);
    assert.equal(b.child.proc.exitCode, null, 'still running');
    const c = await connect(tlsPort, { protocol: 'mqtts', ca, servername: 'localhost' });
    await c.end();
  });
});
