// MQTT over TLS listeners ([listeners.<name>] kind = "tls"), with real clients: mosquitto_pub and
// mosquitto_sub with --cafile (and --cert/--key for mutual TLS), MQTT.js over mqtts, and node's tls
// for what clients do not choose (the protocol version). Two TLS listeners run at once beside the
// plain TCP one. The PKI is made by openssl for the test (helpers/tls-pki.ts).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Connection } from '../../src/server/protocol/connection.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { killLeftovers, spawnChild as spawn } from '../helpers/child.js';
import { connect, uniqueId, type TestClient } from '../helpers/clients.js';
import { makePki, type Pki } from '../helpers/tls-pki.js';

/** mosquitto_pub/sub with line-buffered output (stdout is a pipe). */
function mosquitto(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[]) {
  return spawn('stdbuf', ['-oL', tool, ...args], { timeoutMs: 15_000 });
}

/** A TLS handshake with `options`: the peer certificate's fingerprint and the protocol, or the error. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<{ fingerprint: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
      const result = { fingerprint: socket.getPeerX509Certificate()!.fingerprint256, protocol: socket.getProtocol()! };
      // TLS 1.3: the server checks a client certificate after the client's handshake is done; a refusal
      // arrives as an alert just after, so wait a moment before calling it accepted
      setTimeout(() => {
        socket.destroy();
        resolve(result);
      }, 200);
    });
    socket.on('error', (err) => {
      socket.destroy();
      reject(err);
    });
    socket.on('close', () => reject(new Error('closed')));
  });
}

describe('MQTT over TLS listeners', () => {
  let pki: Pki;
  let b: TestBroker;
  const clients: TestClient[] = [];
  const port = (name: string) => b.broker.listener(name)!.port;
  const tlsOpts = () => ({ protocol: 'mqtts' as const, ca: pki.read('ca.pem'), servername: 'localhost' });
  const connOf = (clientId: string): Connection | undefined =>
    [...b.broker.connections].find((c) => c.clientId === clientId);

  before(async () => {
    pki = makePki();
    const cert = { tls_cert: pki.path('server.pem'), tls_key: pki.path('server.key') };
    const mtls = { ...cert, tls_ca: pki.path('ca.pem'), tls_verify_peer: true };
    b = await startBroker({
      listeners: {
        tls1: { kind: 'tls', port: 0, ...cert },
        tls2: { kind: 'tls', port: 0, ...cert },
        mtls: { kind: 'tls', port: 0, ...mtls, tls_cert_as_username: 'cn' },
        mtls_san: { kind: 'tls', port: 0, ...mtls, tls_cert_as_username: 'san' },
        tls13: { kind: 'tls', port: 0, ...cert, tls_min_version: 'TLSv1.3' },
        off: { kind: 'tls', port: 0, ...cert, enabled: false },
      },
    });
  });

  after(async () => {
    killLeftovers();
    for (const c of clients) await c.end(true);
    await b?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('starts every enabled listener, each on its own port, and not the disabled one; the admin API lists them', async () => {
    const ports = ['tls1', 'tls2', 'mtls', 'mtls_san', 'tls13'].map(port);
    assert.equal(new Set([...ports, b.port]).size, 6);
    assert.equal(b.broker.listener('off'), undefined);
    assert.match(b.broker.listener('tls1')!.describe(), /^mqtts:\/\/127\.0\.0\.1:\d+ \(tls1\)$/);
    // server status / cluster status show NodeStatus.listeners
    const listed = (await b.broker.admin.clusterStatus()).nodes[0]!.listeners;
    assert.equal(listed.length, 6);
    assert.ok(listed.includes(`mqtts://127.0.0.1:${port('tls2')} (tls2)`), listed.join(', '));
    assert.ok(listed.includes(`mqtt://127.0.0.1:${b.port}`), listed.join(', '));
  });

  it('carries mosquitto_sub and mosquitto_pub (--cafile) over two TLS listeners and to a TCP client', async () => {
    const tcp = await connect(b.port);
    clients.push(tcp);
    await tcp.client.subscribeAsync('tls/t', { qos: 1 });
    const sub = mosquitto('mosquitto_sub', [
      ...['-h', '127.0.0.1', '-p', String(port('tls1')), '--cafile', pki.path('ca.pem')],
      ...['-t', 'tls/t', '-C', '1', '-W', '10', '-q', '1', '-d'],
    ]);
    await sub.line((l) => l.includes('SUBACK'), 10_000, 'SUBACK');
    const pub = mosquitto('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(port('tls2')), '--cafile', pki.path('ca.pem')],
      ...['-t', 'tls/t', '-m', 'over tls', '-q', '1'],
    ]);
    assert.equal((await pub.exited()).code, 0, pub.stderr());
    assert.equal((await sub.exited()).code, 0, sub.stderr());
    assert.ok(sub.lines.includes('over tls'), sub.lines.join('\n'));
    const [m] = await tcp.waitFor(1);
    assert.equal(m!.payload.toString(), 'over tls');
  });

  it('marks a TLS connection with its transport and listener name', async () => {
    const c = await connect(port('tls2'), { ...tlsOpts(), clientId: uniqueId('info') });
    clients.push(c);
    const conn = connOf(c.client.options.clientId!)!;
    assert.equal(conn.info.transport, 'tls');
    assert.equal(conn.info.listener, 'tls2');
    assert.equal(conn.info.remoteAddress.replace('::ffff:', ''), '127.0.0.1');
    assert.equal(conn.info.certCommonName, undefined);
  });

  it('refuses a client whose --cafile is another CA (the server certificate is checked)', async () => {
    const pub = mosquitto('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(port('tls1')), '--cafile', pki.path('other-ca.pem')],
      ...['-t', 'tls/x', '-m', 'x'],
    ]);
    assert.notEqual((await pub.exited()).code, 0);
  });

  it('mutual TLS: the client certificate CN becomes the username of a CONNECT without one', async () => {
    const clientId = uniqueId('mtls');
    const sub = mosquitto('mosquitto_sub', [
      ...['-h', '127.0.0.1', '-p', String(port('mtls')), '--cafile', pki.path('ca.pem')],
      ...['--cert', pki.path('client.pem'), '--key', pki.path('client.key'), '-i', clientId],
      ...['-t', 'mtls/t', '-C', '1', '-W', '10', '-d'],
    ]);
    await sub.line((l) => l.includes('SUBACK'), 10_000, 'SUBACK');
    const conn = connOf(clientId);
    assert.ok(conn, 'mosquitto_sub is connected');
    assert.equal(conn.username, 'alice');
    assert.equal(conn.info.certCommonName, 'alice');
    assert.equal(conn.info.listener, 'mtls');
    const pub = mosquitto('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(b.port), '-t', 'mtls/t', '-m', 'to alice'],
    ]);
    assert.equal((await pub.exited()).code, 0, pub.stderr());
    assert.equal((await sub.exited()).code, 0, sub.stderr());
    assert.ok(sub.lines.includes('to alice'), sub.lines.join('\n'));
  });

  it('mutual TLS: a username in the CONNECT wins over the certificate', async () => {
    const c = await connect(port('mtls'), {
      ...tlsOpts(),
      cert: pki.read('client.pem'),
      key: pki.read('client.key'),
      username: 'bob',
      clientId: uniqueId('bob'),
    });
    clients.push(c);
    const conn = connOf(c.client.options.clientId!)!;
    assert.equal(conn.username, 'bob');
    assert.equal(conn.info.certCommonName, 'alice');
  });

  it('mutual TLS with tls_cert_as_username = "san": the first DNS subjectAltName is the username', async () => {
    const c = await connect(port('mtls_san'), {
      ...tlsOpts(),
      cert: pki.read('client.pem'),
      key: pki.read('client.key'),
      clientId: uniqueId('san'),
    });
    clients.push(c);
    assert.equal(connOf(c.client.options.clientId!)!.username, 'alice.example');
  });

  it('mutual TLS refuses a client without a certificate, or with one another CA signed', async () => {
    const before = b.broker.connections.size;
    await assert.rejects(handshake(port('mtls'), { ca: pki.read('ca.pem') }));
    await assert.rejects(
      handshake(port('mtls'), {
        ca: pki.read('ca.pem'),
        cert: pki.read('stranger.pem'),
        key: pki.read('stranger.key'),
      }),
    );
    // and with the right certificate the same handshake passes (the test can fail)
    await handshake(port('mtls'), {
      ca: pki.read('ca.pem'),
      cert: pki.read('client.pem'),
      key: pki.read('client.key'),
    });
    const pub = mosquitto('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(port('mtls')), '--cafile', pki.path('ca.pem'), '-t', 'x', '-m', 'x'],
    ]);
    assert.notEqual((await pub.exited()).code, 0, 'mosquitto_pub without --cert is refused');
    assert.equal(b.broker.connections.size, before);
  });

  it('tls_min_version = "TLSv1.3" refuses a TLS 1.2 client; the default listener takes it', async () => {
    await assert.rejects(handshake(port('tls13'), { ca: pki.read('ca.pem'), maxVersion: 'TLSv1.2' }));
    assert.equal((await handshake(port('tls13'), { ca: pki.read('ca.pem') })).protocol, 'TLSv1.3');
    assert.equal(
      (await handshake(port('tls1'), { ca: pki.read('ca.pem'), maxVersion: 'TLSv1.2' })).protocol,
      'TLSv1.2',
    );
  });

  it('does not take plain MQTT on a TLS port', async () => {
    await assert.rejects(connect(port('tls1'), { connectTimeout: 2000 }));
  });
});
