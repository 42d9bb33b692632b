// The password_file provider: users of a Mosquitto password file (`username:hash` lines, as
// mosquitto_passwd writes them; $7$, $6$ and scrypt$ hashes, see password-hash.ts). A known username
// with the right password is let in, with a wrong (or no) password refused 0x86; an unknown username
// is left to the next provider. The file is read again when it changes (a watch on its directory, so
// that a file replaced by rename is seen too) and on reload(); a file that cannot be read at start
// stops the start, later it keeps the users read last. A bad line is skipped with a warning naming
// its number, never its content (it may hold a hash).
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { RobustMQError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/logger.js';
import { passwordMatches } from '../builtin-provider.js';
import { RC } from '../../protocol/reason-codes.js';
import { IGNORE, type AuthProvider, type AuthRequest, type AuthResult } from '../auth-types.js';
import { parsePasswordFile } from './password-file-format.js';

/** A change is read once the writes have settled for this long. */
const RELOAD_DEBOUNCE_MS = 100;

export class PasswordFileProvider implements AuthProvider {
  readonly name = 'password_file';
  private users = new Map<string, string>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private readonly path: string;
  /** Loads run one after another, so an older read never replaces a newer one. */
  private loading: Promise<void> = Promise.resolve();

  constructor(
    path: string,
    private readonly log: Logger,
  ) {
    this.path = resolve(path);
  }

  /** How many users the file gave (the last good read). */
  get size(): number {
    return this.users.size;
  }

  async start(): Promise<void> {
    try {
      await this.load();
    } catch (err) {
      throw new RobustMQError(
        'RMQ_ERR_AUTH_PROVIDER',
        `auth.password_file.path: cannot read the password file ${this.path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const name = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), (_event, file) => {
        if (file !== null && file !== name) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.reload(), RELOAD_DEBOUNCE_MS);
      });
      this.watcher.on('error', (err) => this.log.error({ err, path: this.path }, 'password file watch failed'));
    } catch (err) {
      this.log.warn(
        { path: this.path, err: (err as Error).message },
        'password file changes cannot be watched: send SIGHUP after changing it',
      );
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Reads the file again; when it cannot be read, the users read last stay (and the error is logged). */
  async reload(): Promise<void> {
    try {
      await this.load();
    } catch (err) {
      this.log.error(
        { path: this.path, err: (err as Error).message },
        'password file cannot be read: the users read before stay',
      );
    }
  }

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    if (req.username === undefined) return IGNORE;
    const hash = this.users.get(req.username);
    if (hash === undefined) return IGNORE;
    if (await passwordMatches(req, hash)) return { outcome: 'allow' };
    return { outcome: 'deny', reasonCode: RC.BAD_USER_NAME_OR_PASSWORD, reason: 'bad username or password' };
  }

  private load(): Promise<void> {
    const next = this.loading.then(async () => {
      const text = await readFile(this.path, 'utf8');
      const parsed = parsePasswordFile(text);
      for (const b of parsed.bad) {
        this.log.warn({ path: this.path, line: b.line, reason: b.reason }, 'password file line skipped');
      }
      this.users = new Map(parsed.users.map((u) => [u.username, u.hash]));
      this.log.info({ path: this.path, users: this.users.size }, 'password file read');
    });
    // a failed read does not block the next one
    this.loading = next.catch(() => {});
    return next;
  }
}
