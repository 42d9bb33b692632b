// TLS of the admin endpoints (admin.tls_cert, admin.tls_key, admin.tls_ca): the PEM files read once at
// start, with a message naming the key that points at a file that cannot be read. With a CA, clients
// must present a certificate it signed (gRPC refuses the handshake; REST answers 401 but for health).
import { readFileSync } from 'node:fs';
import type { BrokerConfig } from '../../lib/config.js';
import { RobustMQError } from '../../lib/errors.js';

export interface AdminTls {
  cert: Buffer;
  key: Buffer;
  /** Set: client certificates signed by it are required. */
  ca?: Buffer;
}

function readPem(key: string, file: string): Buffer {
  try {
    const pem = readFileSync(file);
    if (!pem.includes('-----BEGIN ')) throw new Error('not a PEM file');
    return pem;
  } catch (err) {
    throw new RobustMQError(
      'RMQ_ERR_CONFIG_INVALID',
      `invalid configuration: admin.${key}: cannot read ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The admin TLS material, or undefined when admin.tls_cert is not set (plain gRPC and HTTP). */
export function loadAdminTls(admin: BrokerConfig['admin']): AdminTls | undefined {
  if (admin.tls_cert === '') return undefined;
  const tls: AdminTls = { cert: readPem('tls_cert', admin.tls_cert), key: readPem('tls_key', admin.tls_key) };
  if (admin.tls_ca !== '') tls.ca = readPem('tls_ca', admin.tls_ca);
  return tls;
}
