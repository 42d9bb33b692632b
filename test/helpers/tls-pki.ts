// A throwaway PKI made with openssl for TLS listener tests: a CA, server certificates for
// 127.0.0.1/localhost signed by it, client certificates with a CN (and SANs), and a stranger CA.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  /** The path of `name` in the PKI directory (e.g. ca.pem, server.key). */
  path(name: string): string;
  read(name: string): Buffer;
  /** Makes `name`.pem/.key signed by `ca` with subject CN `cn` and the extension lines in `ext` (e.g. subjectAltName=...). */
  leaf(name: string, ca: string, cn: string, ext?: string): void;
  /** SHA-256 fingerprint of a certificate file, as X509Certificate.fingerprint256 writes it. */
  fingerprint(name: string): string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'rmq-pki-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca']) {
    ssl('req', '-x509', ...EC, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`);
  }
  const pki: Pki = {
    dir,
    path: (name) => join(dir, name),
    read: (name) => readFileSync(join(dir, name)),
    leaf(name, ca, cn, ext = '') {
      writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
      ssl('req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      // -set_serial: two certificates of one CA never share a serial (a reload test makes several)
      const serial = String(Date.now() * 1000 + Math.floor(Math.random() * 1000));
      ssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${ca}.pem`,
        '-CAkey',
        `${ca}.key`,
        '-set_serial',
        serial,
        '-days',
        '2',
        '-out',
        `${name}.pem`,
        '-extfile',
        `${name}.ext`,
      );
    },
    fingerprint: (name) => new X509Certificate(readFileSync(join(dir, name))).fingerprint256,
  };
  pki.leaf('server', 'ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  pki.leaf('client', 'ca', 'alice', 'subjectAltName=DNS:alice.example,email:alice@example.com');
  pki.leaf('stranger', 'other-ca', 'mallory');
  return pki;
}
