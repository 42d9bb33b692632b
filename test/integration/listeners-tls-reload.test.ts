// A TLS listener's certificate changes without a restart: the files are replaced (renamed over, as
// editors and certbot do), and a new connection gets the new certificate while one already open
// keeps working; a replacement that does not load (a key of another certificate) keeps the old
// certificate until the files are right again; broker.reloadTls() (what SIGHUP calls) says false then.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, type TestClient } from '../helpers/clients.js';
import { makePki, type Pki } from '../helpers/tls-pki.js';

/** The fingerprint of the certificate a new TLS connection to `port` gets. */
function peerFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting until ${what}`);
}

describe('TLS certificate reload without a restart', () => {
  let pki: Pki;
  let live: string;
  let b: TestBroker;
  const clients: TestClient[] = [];
  const port = () => b.broker.listener('reload')!.port;
  /** Puts `name`.pem/.key of the PKI in place of the listener's files, each renamed over the old one. */
  const install = (certFrom: string, keyFrom: string) => {
    for (const [from, to] of [
      [certFrom, 'server.pem'],
      [keyFrom, 'server.key'],
    ] as const) {
      copyFileSync(pki.path(from), join(live, `${to}.new`));
      renameSync(join(live, `${to}.new`), join(live, to));
    }
  };

  before(async () => {
    pki = makePki();
    pki.leaf('server2', 'ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    pki.leaf('server3', 'ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    live = mkdtempSync(join(tmpdir(), 'rmq-live-cert-'));
    copyFileSync(pki.path('server.pem'), join(live, 'server.pem'));
    copyFileSync(pki.path('server.key'), join(live, 'server.key'));
    b = await startBroker({
      listeners: {
        reload: { kind: 'tls', port: 0, tls_cert: join(live, 'server.pem'), tls_key: join(live, 'server.key') },
      },
    });
  });

  after(async () => {
    for (const c of clients) await c.end(true);
    await b?.stop();
    for (const d of [pki?.dir, live]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('serves new connections the replaced certificate; an open connection continues', async () => {
    const ca = pki.read('ca.pem');
    assert.equal(await peerFingerprint(port(), ca), pki.fingerprint('server.pem'));
    const old = await connect(port(), { protocol: 'mqtts', ca, servername: 'localhost' });
    clients.push(old);
    await old.client.subscribeAsync('reload/t', { qos: 1 });
    install('server2.pem', 'server2.key');
    await until(
      'a new connection gets server2',
      async () => (await peerFingerprint(port(), ca)) === pki.fingerprint('server2.pem'),
    );
    const fresh = await connect(port(), { protocol: 'mqtts', ca, servername: 'localhost' });
    clients.push(fresh);
    await fresh.client.publishAsync('reload/t', 'after reload', { qos: 1 });
    const [m] = await old.waitFor(1);
    assert.equal(m!.payload.toString(), 'after reload');
  });

  it('keeps the current certificate when the new files do not load, and takes them once they do', async () => {
    const ca = pki.read('ca.pem');
    const current = await peerFingerprint(port(), ca);
    // server3's certificate with server2's key: no context can be made of them
    install('server3.pem', 'server2.key');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await peerFingerprint(port(), ca), current);
    assert.equal(b.broker.reloadTls('test'), false);
    assert.equal(await peerFingerprint(port(), ca), current);
    // the right key arrives: the watcher loads the pair
    install('server3.pem', 'server3.key');
    await until(
      'a new connection gets server3',
      async () => (await peerFingerprint(port(), ca)) === pki.fingerprint('server3.pem'),
    );
    assert.equal(b.broker.reloadTls('test'), true);
  });
});
