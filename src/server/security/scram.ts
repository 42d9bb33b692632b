// SCRAM (RFC 5802, RFC 7677), the server side, with node:crypto only: the stored credential of a
// password (salt, iteration count, StoredKey, ServerKey), the parsing and checking of the client's
// messages and the making of the server's. Pure: no I/O, no MQTT (scram-exchange.ts carries it over
// AUTH packets). Channel binding is not supported: a client that asks for it ("p=") is refused.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

/** The hash functions SCRAM is run with here (sha1 only for RFC 5802's test vector). */
export type ScramHash = 'sha1' | 'sha256' | 'sha512';

/** The SASL mechanism names MQTT clients put in Authentication Method, and their hash. */
export const SCRAM_METHODS = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const;
export type ScramMethod = keyof typeof SCRAM_METHODS;

export function isScramMethod(name: string): name is ScramMethod {
  return Object.hasOwn(SCRAM_METHODS, name);
}

/** Iteration count of new credentials (RFC 7677's minimum recommendation, EMQX's default). */
export const SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;
const NONCE_BYTES = 18;

/** What the server keeps of a password for one hash: never the password nor the SaltedPassword. */
export interface ScramCredential {
  /** base64 */
  salt: string;
  iterations: number;
  /** base64 H(HMAC(SaltedPassword, "Client Key")) */
  storedKey: string;
  /** base64 HMAC(SaltedPassword, "Server Key") */
  serverKey: string;
}

/** A message that is not SCRAM as this server speaks it (the reason names what is wrong). */
export class ScramError extends Error {}

const hmac = (hash: ScramHash, key: Buffer, text: string | Buffer): Buffer =>
  createHmac(hash, key).update(text).digest();
const h = (hash: ScramHash, data: Buffer): Buffer => createHash(hash).update(data).digest();
const hashBytes = (hash: ScramHash): number => ({ sha1: 20, sha256: 32, sha512: 64 })[hash];

function saltedPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  // The password's UTF-8 bytes as given (no SASLprep normalisation: ASCII passwords are unaffected)
  return new Promise((resolve, reject) =>
    pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, hashBytes(hash), hash, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** The credential of `password` for `hash`, with a fresh random salt unless one is given. */
export async function makeScramCredential(
  hash: ScramHash,
  password: string,
  salt: Buffer = randomBytes(SALT_BYTES),
  iterations = SCRAM_ITERATIONS,
): Promise<ScramCredential> {
  const salted = await saltedPassword(hash, password, salt, iterations);
  const clientKey = hmac(hash, salted, 'Client Key');
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: h(hash, clientKey).toString('base64'),
    serverKey: hmac(hash, salted, 'Server Key').toString('base64'),
  };
}

/** `attr=value` pairs of a SCRAM message, in order; a value may contain '=' (base64 padding). */
function attributes(message: string): [string, string][] {
  return message.split(',').map((part) => {
    if (part.length < 2 || part[1] !== '=' || !/^[A-Za-z]$/.test(part[0]!)) {
      throw new ScramError(`malformed attribute "${part.slice(0, 20)}"`);
    }
    return [part[0]!, part.slice(2)];
  });
}

/** saslname -> username: "=2C" is ',' and "=3D" is '='; any other '=' is malformed (RFC 5802, 5.1). */
export function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new ScramError('malformed username (bad "=" escape)');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** username -> saslname. */
export function encodeSaslName(username: string): string {
  return username.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** printable ASCII but ',' (RFC 5802 `printable`). */
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64(value: string, what: string): Buffer {
  if (!BASE64.test(value)) throw new ScramError(`${what} is not base64`);
  return Buffer.from(value, 'base64');
}

export interface ClientFirst {
  username: string;
  clientNonce: string;
  /** "n,," or "y,,": what the client-final's c= must carry (base64). */
  gs2Header: string;
  /** client-first-message-bare, part of the AuthMessage. */
  bare: string;
}

/** Reads a client-first-message: gs2-header then n=username,r=nonce. */
export function parseClientFirst(message: string): ClientFirst {
  const first = message.indexOf(',');
  const second = first < 0 ? -1 : message.indexOf(',', first + 1);
  if (second < 0) throw new ScramError('malformed client-first-message (no gs2 header)');
  const flag = message.slice(0, first);
  const authzid = message.slice(first + 1, second);
  if (flag.startsWith('p=')) throw new ScramError('channel binding is not supported');
  if (flag !== 'n' && flag !== 'y') throw new ScramError('malformed gs2 channel binding flag');
  if (authzid !== '' && !authzid.startsWith('a=')) throw new ScramError('malformed authorization identity');
  const bare = message.slice(second + 1);
  const attrs = attributes(bare);
  if (attrs[0]?.[0] === 'm') throw new ScramError('mandatory extensions are not supported');
  if (attrs[0]?.[0] !== 'n' || attrs[1]?.[0] !== 'r') throw new ScramError('client-first-message needs n= then r=');
  const username = decodeSaslName(attrs[0][1]);
  if (username === '') throw new ScramError('empty username');
  if (authzid !== '' && decodeSaslName(authzid.slice(2)) !== username) {
    throw new ScramError('an authorization identity other than the username is not supported');
  }
  const clientNonce = attrs[1][1];
  if (!PRINTABLE.test(clientNonce)) throw new ScramError('malformed client nonce');
  return { username, clientNonce, gs2Header: message.slice(0, second + 1), bare };
}

/** A fresh server nonce part (printable: base64 has no ','). */
export function newServerNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64');
}

export function serverFirstMessage(nonce: string, credential: Pick<ScramCredential, 'salt' | 'iterations'>): string {
  return `r=${nonce},s=${credential.salt},i=${credential.iterations}`;
}

export interface ClientFinal {
  channelBinding: string;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, part of the AuthMessage. */
  withoutProof: string;
}

/** Reads a client-final-message: c=...,r=...[,extensions],p=proof. */
export function parseClientFinal(message: string): ClientFinal {
  const cut = message.lastIndexOf(',p=');
  if (cut < 0) throw new ScramError('client-final-message has no proof');
  const withoutProof = message.slice(0, cut);
  const attrs = attributes(withoutProof);
  if (attrs[0]?.[0] !== 'c' || attrs[1]?.[0] !== 'r') throw new ScramError('client-final-message needs c= then r=');
  const proof = base64(message.slice(cut + 3), 'proof');
  return { channelBinding: attrs[0][1], nonce: attrs[1][1], proof, withoutProof };
}

/** The outcome of checking a client-final-message: the server-final-message when the proof is right. */
export type ScramVerdict = { ok: true; serverFinal: string } | { ok: false; reason: string };

/**
 * Checks the client's proof against the stored credential (RFC 5802, 3): ClientKey = proof XOR
 * HMAC(StoredKey, AuthMessage) must hash to StoredKey. Returns the server-final-message
 * (v=ServerSignature) on success. Throws ScramError on a message that breaks the protocol.
 */
export function verifyClientFinal(
  hash: ScramHash,
  credential: ScramCredential,
  first: ClientFirst,
  serverFirst: string,
  nonce: string,
  final: ClientFinal,
): ScramVerdict {
  if (final.channelBinding !== Buffer.from(first.gs2Header, 'latin1').toString('base64')) {
    throw new ScramError('channel binding data does not match the gs2 header');
  }
  if (final.nonce !== nonce) throw new ScramError('nonce does not match');
  const storedKey = Buffer.from(credential.storedKey, 'base64');
  if (final.proof.length !== storedKey.length) return { ok: false, reason: 'bad proof' };
  const authMessage = `${first.bare},${serverFirst},${final.withoutProof}`;
  const clientSignature = hmac(hash, storedKey, authMessage);
  const clientKey = Buffer.alloc(clientSignature.length);
  for (let i = 0; i < clientKey.length; i++) clientKey[i] = final.proof[i]! ^ clientSignature[i]!;
  if (!timingSafeEqual(h(hash, clientKey), storedKey)) return { ok: false, reason: 'bad proof' };
  const serverSignature = hmac(hash, Buffer.from(credential.serverKey, 'base64'), authMessage);
  return { ok: true, serverFinal: `v=${serverSignature.toString('base64')}` };
}

/**
 * A stand-in credential for a username that has none (unknown, or created before SCRAM credentials
 * were kept): the exchange goes on as for a real user and fails at the proof, so that the answer
 * does not tell whether the username exists (RFC 5802, 9). The salt is stable per username.
 */
export function decoyCredential(hash: ScramHash, username: string, secret: Buffer): ScramCredential {
  const n = hashBytes(hash);
  return {
    salt: hmac('sha256', secret, `${hash}\0${username}`).subarray(0, SALT_BYTES).toString('base64'),
    iterations: SCRAM_ITERATIONS,
    storedKey: randomBytes(n).toString('base64'),
    serverKey: randomBytes(n).toString('base64'),
  };
}

/** The credentials of `password` for every SCRAM method, each with its own salt (kept with the user). */
export async function scramCredentialsFor(password: string): Promise<Record<ScramMethod, ScramCredential>> {
  const [sha256, sha512] = await Promise.all([
    makeScramCredential('sha256', password),
    makeScramCredential('sha512', password),
  ]);
  return { 'SCRAM-SHA-256': sha256, 'SCRAM-SHA-512': sha512 };
}
