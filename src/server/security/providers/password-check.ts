// Checks a CONNECT password against a hash stored in an external database, the way EMQX's
// password-based authenticators do: plain, md5, sha, sha256, sha512 over the salted password
// (salt_position prefix = salt + password, suffix = password + salt, disable = password alone; the
// digest as hex, compared case-insensitively; plain compared as is), bcrypt (the salt is in the
// hash), pbkdf2 (HMAC mac_fun, iterations, dk_length; hex). Every comparison is constant-time.
import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import type { PasswordHashConfig } from '../../../lib/config-schema-auth-db.js';

const pbkdf2Async = promisify(pbkdf2);

/** mac_fun / algorithm names (EMQX's) -> node:crypto digest names. */
const DIGEST: Record<string, string> = {
  md5: 'md5',
  sha: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};

/**
 * Equal without an early exit: both sides are hashed to 32 bytes first, so the time taken says
 * nothing about where they differ, nor (beyond the final length check) about their lengths.
 */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

function asBuffer(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function salted(position: PasswordHashConfig['salt_position'], password: Buffer, salt: Buffer): Buffer {
  if (position === 'prefix') return Buffer.concat([salt, password]);
  if (position === 'suffix') return Buffer.concat([password, salt]);
  return password;
}

/** A stored hex digest compared with a computed one: case does not matter (EMQX). */
function hexEqual(computed: Buffer, stored: string | Buffer): boolean {
  return constantTimeEqual(
    Buffer.from(computed.toString('hex')),
    Buffer.from(asBuffer(stored).toString('utf8').toLowerCase()),
  );
}

/** Whether `password` matches `storedHash` (with `salt`, empty when there is none) under `opts`. */
export async function checkPassword(
  opts: PasswordHashConfig,
  password: Buffer,
  storedHash: string | Buffer,
  salt: string | Buffer,
): Promise<boolean> {
  const saltBytes = asBuffer(salt);
  switch (opts.password_hash_algorithm) {
    case 'plain':
      return constantTimeEqual(salted(opts.salt_position, password, saltBytes), asBuffer(storedHash));
    case 'md5':
    case 'sha':
    case 'sha256':
    case 'sha512': {
      const digest = createHash(DIGEST[opts.password_hash_algorithm]!)
        .update(salted(opts.salt_position, password, saltBytes))
        .digest();
      return hexEqual(digest, storedHash);
    }
    case 'bcrypt': {
      const hash = asBuffer(storedHash).toString('utf8');
      // bcryptjs reads the password as a string; a hash that is not bcrypt's never matches
      if (!/^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hash)) return false;
      return bcrypt.compare(password.toString('utf8'), hash);
    }
    case 'pbkdf2': {
      const digest = DIGEST[opts.mac_fun]!;
      const length = opts.dk_length > 0 ? opts.dk_length : createHash(digest).digest().length;
      const key = await pbkdf2Async(password, saltBytes, opts.iterations, length, digest);
      return hexEqual(key, storedHash);
    }
  }
}
