// Password hashes for users of password authentication: scrypt (a slow, memory-hard KDF) from
// node:crypto, stored as `scrypt$N$r$p$salt$hash` (salt and hash in base64) so the parameters
// travel with each hash. verifyPassword is what the authentication issue calls at CONNECT. It also
// checks the hashes of Mosquitto password files (mosquitto_passwd), so that such a file can be used
// as it is or imported: `$7$iterations$salt$hash` (PBKDF2-HMAC-SHA512, Mosquitto 2's default) and
// `$6$salt$hash` (SHA-512 of the password then the salt, Mosquitto 1.6 and before); base64 fields.
import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Cost parameters of new hashes: N = 2^14, r = 8, p = 1 (16 MiB, some tens of ms per hash). */
export const SCRYPT_PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Stored hashes with a larger cost are refused: verifying one must not take the broker's memory. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string | Uint8Array, salt: Buffer, keylen: number, o: ScryptOptions): Promise<Buffer> {
  const maxmem = 128 * o.N! * o.r! * o.p! + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, { ...o, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A new hash of `password` (its UTF-8 bytes when a string) with a fresh random salt. */
export async function hashPassword(password: string | Uint8Array): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = SCRYPT_PARAMS;
  const key = await derive(password, salt, KEY_BYTES, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  kind: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(hash: string): ParsedHash | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : NaN)) as [number, number, number];
  // N must be a power of two greater than 1 (scrypt's rule)
  if (!(N > 1 && N <= MAX_N && (N & (N - 1)) === 0) || !(r >= 1 && r <= MAX_R) || !(p >= 1 && p <= MAX_P)) {
    return undefined;
  }
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length === 0 || key.length < 16) return undefined;
  return { kind: 'scrypt', N, r, p, salt, key };
}

/** PBKDF2 iteration counts above this are refused (mosquitto_passwd writes 101). */
const MAX_PBKDF2_ITERATIONS = 1_000_000;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

interface MosquittoHash {
  kind: 'pbkdf2-sha512' | 'sha512';
  iterations: number;
  salt: Buffer;
  key: Buffer;
}

function base64Field(text: string | undefined): Buffer | undefined {
  if (text === undefined || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length > 0 ? bytes : undefined;
}

function parseMosquittoHash(hash: string): MosquittoHash | undefined {
  const parts = hash.split('$');
  // '$7$101$salt$hash' splits into ['', '7', '101', salt, hash]
  if (parts[0] !== '') return undefined;
  let kind: MosquittoHash['kind'];
  let iterations = 1;
  let rest: string[];
  if (parts[1] === '7' && parts.length === 5) {
    kind = 'pbkdf2-sha512';
    iterations = /^\d{1,7}$/.test(parts[2]!) ? Number(parts[2]) : NaN;
    if (!(iterations >= 1 && iterations <= MAX_PBKDF2_ITERATIONS)) return undefined;
    rest = parts.slice(3);
  } else if (parts[1] === '6' && parts.length === 4) {
    kind = 'sha512';
    rest = parts.slice(2);
  } else {
    return undefined;
  }
  const salt = base64Field(rest[0]);
  const key = base64Field(rest[1]);
  if (!salt || !key || key.length < 16 || key.length > 64) return undefined;
  return { kind, iterations, salt, key };
}

function deriveMosquitto(password: string | Uint8Array, h: MosquittoHash): Promise<Buffer> {
  if (h.kind === 'sha512') {
    const digest = createHash('sha512').update(password).update(h.salt).digest();
    return Promise.resolve(digest.subarray(0, h.key.length));
  }
  return new Promise((resolve, reject) =>
    pbkdf2(password, h.salt, h.iterations, h.key.length, 'sha512', (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * Whether `password` matches `hash`: a scrypt$ hash (hashPassword's, or any within the cost
 * limits), or a Mosquitto $7$ or $6$ hash. The comparison takes the same time whatever bytes
 * differ; a hash that cannot be read never matches.
 */
export async function verifyPassword(password: string | Uint8Array, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (parsed) {
    const key = await derive(password, parsed.salt, parsed.key.length, { N: parsed.N, r: parsed.r, p: parsed.p });
    return timingSafeEqual(key, parsed.key);
  }
  const mosquitto = parseMosquittoHash(hash);
  if (!mosquitto) return false;
  const key = await deriveMosquitto(password, mosquitto);
  return key.length === mosquitto.key.length && timingSafeEqual(key, mosquitto.key);
}

/** Whether a stored hash is one verifyPassword can check (the admin API never shows hashes). */
export function isPasswordHash(hash: string): boolean {
  return parseHash(hash) !== undefined || parseMosquittoHash(hash) !== undefined;
}
