// What the PostgreSQL, MySQL and Redis providers share: look the client up (a row with
// password_hash, salt, is_superuser), then decide. A row and the right password: allow (superuser
// from is_superuser); a row and a wrong or no password: deny 0x86; no row: ignore (the next
// provider, then anonymous). A database error or timeout throws, and the chain refuses the client
// (0x87, "authentication unavailable"): an outage never lets anyone in. A database that cannot be
// reached at start does not stop the broker (as EMQX marks the authenticator unhealthy): it is
// logged at error, CONNECTs are refused, and the provider answers again once the database is back.
import type { Logger } from '../../../lib/logger.js';
import type { PasswordHashConfig } from '../../../lib/config-schema-auth-db.js';
import { RC } from '../../protocol/reason-codes.js';
import { IGNORE, type AuthProvider, type AuthRequest, type AuthResult } from '../auth-types.js';
import { checkPassword } from './password-check.js';

/** One user's credentials as the query returned them. */
export interface CredentialRow {
  passwordHash: string | Buffer | null;
  salt?: string | Buffer | null;
  isSuperuser?: unknown;
}

/** What lookup() answers when the client did not send a value the query needs (no username): no query ran. */
export const NOTHING_TO_LOOK_UP = Symbol('nothing to look up');

/** A database the provider reads users from. */
export interface CredentialSource {
  /** Opens the pool and checks the database answers (rejects when it does not). */
  open(): Promise<void>;
  /** The client's row, undefined when there is none. Rejects on a database error. */
  lookup(req: AuthRequest): Promise<CredentialRow | undefined | typeof NOTHING_TO_LOOK_UP>;
  close(): Promise<void>;
}

/** Rejects with a timeout error when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** is_superuser as databases store it: true, 1, "1", "true" (any case); anything else is false. */
export function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0;
  if (Buffer.isBuffer(v)) return v.length > 0 && (v[0] === 1 || /^(1|true)$/i.test(v.toString('utf8')));
  if (typeof v === 'string') return /^(1|true)$/i.test(v.trim());
  return false;
}

/** Reads password_hash (or password, EMQX 4's name), salt and is_superuser from a query's row by column name. */
export function rowFromColumns(row: Record<string, unknown>): CredentialRow {
  const hash = 'password_hash' in row ? row.password_hash : row.password;
  if (!('password_hash' in row) && !('password' in row)) {
    throw new Error('the query returned no password_hash column (select it, or alias a column AS password_hash)');
  }
  return {
    passwordHash: hash === null || hash === undefined ? null : (hash as string | Buffer),
    salt: row.salt as string | Buffer | null | undefined,
    isSuperuser: row.is_superuser,
  };
}

export class DbAuthProvider implements AuthProvider {
  /** False after a failed start or query, true again after a query answers. */
  healthy = false;
  /** Whether the unavailability was logged since the database last answered (one error line per outage). */
  private outageLogged = false;

  constructor(
    readonly name: string,
    private readonly source: CredentialSource,
    private readonly hashing: PasswordHashConfig,
    private readonly connectTimeoutMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    try {
      await withTimeout(this.source.open(), this.connectTimeoutMs, `connecting to ${this.name}`);
      this.healthy = true;
      this.log.info({ provider: this.name }, 'authentication database reachable');
    } catch (err) {
      this.markUnhealthy(err);
    }
  }

  async stop(): Promise<void> {
    await this.source.close();
  }

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    let row: CredentialRow | undefined | typeof NOTHING_TO_LOOK_UP;
    try {
      row = await this.source.lookup(req);
    } catch (err) {
      this.markUnhealthy(err);
      throw err;
    }
    if (row === NOTHING_TO_LOOK_UP) return IGNORE;
    if (!this.healthy) {
      this.healthy = true;
      this.outageLogged = false;
      this.log.info({ provider: this.name }, 'authentication database answers again');
    }
    if (!row) return IGNORE;
    if (req.password !== undefined && row.passwordHash !== null) {
      if (await checkPassword(this.hashing, req.password, row.passwordHash, row.salt ?? '')) {
        return { outcome: 'allow', superuser: truthy(row.isSuperuser) };
      }
    }
    return { outcome: 'deny', reasonCode: RC.BAD_USER_NAME_OR_PASSWORD, reason: 'bad username or password' };
  }

  private markUnhealthy(err: unknown): void {
    this.healthy = false;
    if (this.outageLogged) return;
    this.outageLogged = true;
    this.log.error(
      { provider: this.name, err: (err as Error).message },
      'authentication database unavailable: CONNECTs this provider is asked about are refused (not authorized) until it answers again',
    );
  }
}
