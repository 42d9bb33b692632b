// The TLS settings of one listener read from its files: certificate, key and CA read and checked
// (a bad file names its key), the version floor, the ciphers, and whether client certificates are
// required. What tls.createServer and tls.Server.setSecureContext take.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { ListenerConfig } from '../../lib/config-schema.js';
import { RobustMQError } from '../../lib/errors.js';

export interface LoadedTls {
  options: tls.SecureContextOptions;
  /** SHA-256 fingerprint of the listener's certificate (for the logs). */
  fingerprint: string;
  /** The certificate's notAfter. */
  validTo: string;
}

function readPem(name: string, key: 'tls_cert' | 'tls_key' | 'tls_ca', file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new RobustMQError(
      'RMQ_ERR_CONFIG_INVALID',
      `invalid configuration: listeners.${name}.${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  }
}

/**
 * Reads listener `name`'s certificate files and checks that they make a TLS context (the key matches
 * the certificate, the ciphers are known to OpenSSL); RMQ_ERR_CONFIG_INVALID naming the key otherwise.
 */
export function loadTls(name: string, l: ListenerConfig): LoadedTls {
  const cert = readPem(name, 'tls_cert', l.tls_cert);
  const key = readPem(name, 'tls_key', l.tls_key);
  const ca = l.tls_ca !== '' ? readPem(name, 'tls_ca', l.tls_ca) : undefined;
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(cert);
  } catch (err) {
    throw invalid(name, 'tls_cert', `${l.tls_cert} is not a PEM certificate`, err);
  }
  const options: tls.SecureContextOptions = {
    cert,
    key,
    ca,
    minVersion: l.tls_min_version,
    ...(l.tls_ciphers !== '' ? { ciphers: l.tls_ciphers } : {}),
  };
  // one check per key, so that the message names the file (or setting) to change
  check(name, 'tls_key', { cert, key }, `${l.tls_key} is not the PEM private key of ${l.tls_cert}`);
  if (ca) {
    // OpenSSL skips what is not PEM without a word: the first certificate must parse
    try {
      new X509Certificate(ca);
    } catch (err) {
      throw invalid(name, 'tls_ca', `${l.tls_ca} is not a PEM CA bundle`, err);
    }
    check(name, 'tls_ca', { ca }, `${l.tls_ca} is not a PEM CA bundle`);
  }
  if (l.tls_ciphers !== '') {
    check(name, 'tls_ciphers', { ciphers: l.tls_ciphers }, `"${l.tls_ciphers}" selects no cipher OpenSSL knows`);
  }
  return { options, fingerprint: parsed.fingerprint256, validTo: parsed.validTo };
}

function check(name: string, key: string, options: tls.SecureContextOptions, detail: string): void {
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw invalid(name, key, `${detail} (${(err as Error).message})`, err);
  }
}

function invalid(name: string, key: string, detail: string, cause: unknown): RobustMQError {
  return new RobustMQError('RMQ_ERR_CONFIG_INVALID', `invalid configuration: listeners.${name}.${key}: ${detail}`, {
    cause,
  });
}

/** The options of a TLS server for listener `l` with the loaded context. */
export function tlsServerOptions(l: ListenerConfig, loaded: LoadedTls): tls.TlsOptions {
  return {
    ...loaded.options,
    requestCert: l.tls_verify_peer,
    rejectUnauthorized: l.tls_verify_peer,
    handshakeTimeout: l.tls_handshake_timeout_ms,
  };
}
