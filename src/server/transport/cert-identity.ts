// Who a verified client certificate says the client is: its subject CN, and the name it gives the
// connection's user under tls_cert_as_username ("cn": the CN; "san": the first DNS or email
// subjectAltName; "none": no name).
import type tls from 'node:tls';
import type { ListenerConfig } from '../../lib/config-schema.js';

export interface CertIdentity {
  commonName?: string;
  username?: string;
}

/** The identity of an authorized TLS socket's peer; empty when there is no verified certificate. */
export function certIdentity(socket: tls.TLSSocket, mode: ListenerConfig['tls_cert_as_username']): CertIdentity {
  if (!socket.authorized) return {};
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return {};
  const cn = cert.subject?.CN as string | string[] | undefined;
  const commonName = Array.isArray(cn) ? cn[0] : cn;
  let username: string | undefined;
  if (mode === 'cn') username = commonName;
  else if (mode === 'san') username = firstSan(cert.subjectaltname);
  return { commonName, username };
}

/** "DNS:a.example, email:x@y, IP Address:1.2.3.4" -> "a.example" (the first DNS or email entry). */
export function firstSan(subjectAltName: string | undefined): string | undefined {
  if (!subjectAltName) return undefined;
  for (const part of subjectAltName.split(/,\s*/)) {
    const m = /^(DNS|email):(.+)$/.exec(part.trim());
    if (m) return m[2]!.replace(/^"|"$/g, '');
  }
  return undefined;
}
