// TLS client certificates on the admin endpoints, over real sockets (127.0.0.1 only; the endpoints
// bind 0.0.0.0): with admin.tls_cert/tls_key/tls_ca, gRPC runs over TLS and REST over HTTPS, a client
// certificate signed by the CA is what lets a caller in (no token needed with auth "auto"), the CLI
// sends one with --tls-ca/--tls-cert/--tls-key (or ROBUSTMQ_TLS_*), a caller without one gets exit 4
// (gRPC, refused in the handshake) or 401 (REST, counted), and the health checks stay open. The PKI
// is made by openssl for the test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, freePort, killLeftovers, spawnChild, type Child } from '../helpers/child.js';
import { runCli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUN = join(ROOT, 'bin', 'run.js');
const cli = runCli;

/** A CA, a server certificate for 127.0.0.1, a client certificate it signed, and one from another CA. */
function makePki(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    ssl('req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`);
  }
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  const leaf = (name: string, ca: string, ext: string[]) => {
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.pem`,
      ...ext,
    );
  };
  leaf('server', 'ca', ['-extfile', 'san.ext']);
  leaf('client', 'ca', []);
  leaf('stranger', 'other-ca', []);
}

/** GET over HTTPS with node:https (fetch cannot present a client certificate). */
function httpsGet(
  url: string,
  tls: { ca: Buffer; cert?: Buffer; key?: Buffer },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...tls, servername: '' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

describe('admin endpoints with TLS client certificates (mutual TLS)', () => {
  let dir: string;
  let server: Child;
  let admin: string;
  let rest: string;
  const pem = (name: string) => join(dir, name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-admin-tls-'));
    makePki(dir);
    const [mqtt, grpcPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    admin = `127.0.0.1:${grpcPort}`;
    rest = `https://127.0.0.1:${httpPort}`;
    server = spawnChild(
      process.execPath,
      [RUN, 'server', 'start', '--mqtt-port', String(mqtt), '--admin-port', String(grpcPort)].concat([
        '--http-port',
        String(httpPort),
        '--bind',
        '127.0.0.1',
        '--storage',
        'memory',
      ]),
      {
        env: cleanEnv({
          ROBUSTMQ_ADMIN_GRPC_BIND: '0.0.0.0',
          ROBUSTMQ_ADMIN_HTTP_BIND: '0.0.0.0',
          ROBUSTMQ_ADMIN_TLS_CERT: pem('server.pem'),
          ROBUSTMQ_ADMIN_TLS_KEY: pem('server.key'),
          ROBUSTMQ_ADMIN_TLS_CA: pem('ca.pem'),
        }),
        timeoutMs: 120_000,
      },
    );
    const started = JSON.parse(
      await server.line((l) => l.includes('RobustMQ broker started'), 20_000, 'broker started'),
    ) as { admin: string; rest: string };
    assert.equal(started.admin, `grpcs://0.0.0.0:${grpcPort}`);
    assert.equal(started.rest, `https://0.0.0.0:${httpPort}`);
  });

  after(async () => {
    server.proc.kill('SIGTERM');
    await server.exited(15_000);
    killLeftovers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gRPC: a client certificate signed by admin.tls_ca is enough (no token with auth "auto")', async () => {
    const r = await cli([
      'cluster',
      'status',
      '--json',
      '--server',
      admin,
      '--tls-ca',
      pem('ca.pem'),
      '--tls-cert',
      pem('client.pem'),
      '--tls-key',
      pem('client.key'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warning on stderr');
    assert.equal((JSON.parse(r.stdout) as { nodes: unknown[] }).nodes.length, 1);
    const viaEnv = await cli(['topic', 'list', '--json', '--server', admin], {
      ROBUSTMQ_TLS_CA: pem('ca.pem'),
      ROBUSTMQ_TLS_CERT: pem('client.pem'),
      ROBUSTMQ_TLS_KEY: pem('client.key'),
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
  });

  it('gRPC without a client certificate: exit 4, one line naming --tls-cert; one of another CA: exit 3', async () => {
    const r = await cli(['cluster', 'status', '--server', admin, '--tls-ca', pem('ca.pem')]);
    assert.equal(r.code, 4, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^Error: RMQ_ERR_UNAUTHORIZED: .*client certificate.*--tls-cert and --tls-key/);
    // a certificate the broker does not trust: with TLS 1.3 the client learns of the refusal after its
    // side of the handshake, and gRPC reports the alert (exit 4) or only a reset or "Failed to connect"
    // (exit 3, the CLI then names the TLS handshake as the likely cause), depending on timing
    const stranger = await cli([
      'cluster',
      'status',
      '--server',
      admin,
      '--tls-ca',
      pem('ca.pem'),
      '--tls-cert',
      pem('stranger.pem'),
      '--tls-key',
      pem('stranger.key'),
    ]);
    if (stranger.code === 4) assert.match(stranger.stderr, /^Error: RMQ_ERR_UNAUTHORIZED: .*client certificate/);
    else {
      assert.equal(stranger.code, 3, stranger.stderr);
      assert.match(stranger.stderr, /^Error: RMQ_ERR_UNREACHABLE: .*TLS handshake failed/);
    }
    // a server certificate the CLI does not trust: exit 3 saying to pass --tls-ca
    const untrusted = await cli(['cluster', 'status', '--server', admin, '--tls-ca', pem('other-ca.pem')]);
    assert.equal(untrusted.code, 3, untrusted.stderr);
    assert.match(untrusted.stderr, /--tls-ca/);
    // half a key pair, an unreadable file: usage errors
    assert.equal((await cli(['cluster', 'status', '--server', admin, '--tls-cert', pem('client.pem')])).code, 2);
    const missing = await cli(['cluster', 'status', '--server', admin, '--tls-ca', pem('nope.pem')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--tls-ca: cannot read/);
  });

  it('REST over HTTPS: 401 without a client certificate (counted), 200 with one; health checks open', async () => {
    const ca = readFileSync(pem('ca.pem'));
    const client = { ca, cert: readFileSync(pem('client.pem')), key: readFileSync(pem('client.key')) };
    const count = async () => {
      const res = await httpsGet(`${rest}/api/v1/cluster/info`, client);
      assert.equal(res.status, 200, res.body);
      return (JSON.parse(res.body) as { nodes: { adminAuthFailures: number }[] }).nodes[0]!.adminAuthFailures;
    };
    const before = await count();
    const refused = await httpsGet(`${rest}/api/v1/cluster/info`, { ca });
    assert.equal(refused.status, 401);
    assert.match(String(refused.headers['www-authenticate']), /^Bearer/);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'RMQ_ERR_UNAUTHORIZED');
    const stranger = await httpsGet(`${rest}/api/v1/topics`, {
      ca,
      cert: readFileSync(pem('stranger.pem')),
      key: readFileSync(pem('stranger.key')),
    });
    assert.equal(stranger.status, 401);
    assert.equal(await count(), before + 2);
    assert.equal((await httpsGet(`${rest}/health/live`, { ca })).status, 200);
    assert.equal((await httpsGet(`${rest}/health/ready`, { ca })).status, 200);
  });
});

describe('admin TLS settings at start', () => {
  after(() => killLeftovers());

  for (const [name, env, key] of [
    ['tls_cert without tls_key', { ROBUSTMQ_ADMIN_TLS_CERT: '/nonexistent.pem' }, 'admin.tls_key'],
    ['tls_ca without tls_cert', { ROBUSTMQ_ADMIN_TLS_CA: '/nonexistent.pem' }, 'admin.tls_ca'],
    [
      'an unreadable certificate file',
      { ROBUSTMQ_ADMIN_TLS_CERT: '/nonexistent.pem', ROBUSTMQ_ADMIN_TLS_KEY: '/nonexistent.key' },
      'admin.tls_cert',
    ],
  ] as const) {
    it(`${name}: exit 2 naming ${key}`, async () => {
      const r = await cli(
        ['server', 'start', '--mqtt-port', '0', '--admin-port', '0', '--http-port', '0', '--storage', 'memory'],
        env,
      );
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^Error: RMQ_ERR_CONFIG_INVALID: .*${key.replace('.', '\\.')}`));
    });
  }
});
