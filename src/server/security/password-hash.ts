// Password hashes for users of password authentication: scrypt (a slow, memory-hard KDF) from
// node:crypto, stored as `scrypt$N$r$p$salt$hash` (salt and hash in base64) so the parameters
// travel with each hash. verifyPassword is what the authentication issue calls at CONNECT.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

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
  return { N, r, p, salt, key };
}

/**
 * Whether `password` matches `hash` (made by hashPassword, or any scrypt$ hash within the cost
 * limits). The comparison takes the same time whatever bytes differ; a hash that cannot be read
 * never matches.
 */
export async function verifyPassword(password: string | Uint8Array, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.key.length, { N: parsed.N, r: parsed.r, p: parsed.p });
  return timingSafeEqual(key, parsed.key);
}

/** Whether a stored hash is one verifyPassword can check (the admin API never shows hashes). */
export function isPasswordHash(hash: string): boolean {
  return parseHash(hash) !== undefined;
}
