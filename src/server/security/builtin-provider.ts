// The built-in users (robustmq-cli user create): a known username with the right password is let in
// (as superuser when the user is one), a known username with any other password, or none, is
// refused with 0x86 whatever else is configured; an unknown username is left to the next provider.
// Verifications take turns between remote addresses (fair-queue.ts): a password-guessing flood
// from one place does not hold up clients from elsewhere.
import { RC } from '../protocol/reason-codes.js';
import { FairQueue } from './fair-queue.js';
import { verifyPassword } from './password-hash.js';
import type { SecurityStore } from './security-store.js';
import { IGNORE, type AuthProvider, type AuthRequest, type AuthResult } from './auth-types.js';

/** Password verifications of this process (builtin and password_file): a few at a time, taking turns by address. */
const passwordChecks = new FairQueue();

/** Whether the request's password matches a stored hash, verified through the shared fair queue. */
export async function passwordMatches(req: AuthRequest, hash: string): Promise<boolean> {
  const password = req.password;
  if (password === undefined) return false;
  return (await passwordChecks.run(req.remoteAddress, () => verifyPassword(password, hash), req.abandoned)) === true;
}

export class BuiltinProvider implements AuthProvider {
  readonly name = 'builtin';

  constructor(private readonly store: SecurityStore) {}

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    if (req.username === undefined) return IGNORE;
    const user = this.store.user(req.username);
    if (!user) return IGNORE;
    if (await passwordMatches(req, user.passwordHash)) return { outcome: 'allow', superuser: user.superuser };
    return { outcome: 'deny', reasonCode: RC.BAD_USER_NAME_OR_PASSWORD, reason: 'bad username or password' };
  }
}
