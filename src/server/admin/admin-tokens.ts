// The admin API tokens of one node: the set kept in memory (loaded from storage at start), creating,
// listing, revoking, and checking a presented token. A token is `rmq_<id>_<secret>`: the id is the
// record's key and may be shown; the secret is 32 random bytes, shown once and stored only as a hash.
// The bootstrap token (admin.bootstrap_token_file) is held in memory only, as a hash, and is valid
// while the setting names it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { AdminTokenInfo, CreatedToken, CreateTokenRequest, Page, TokenFilter } from '../../lib/admin-api.js';
import { RobustMQError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { AdminTokenRecord, AdminTokenStorage, StorageAdapter } from '../storage/storage-adapter.js';
import { pageOfSorted } from './key-paging.js';

const TOKEN_FORMAT = /^rmq_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** A token's last use is written to storage at most this often (a call does not cost a write). */
const LAST_USED_SAVE_INTERVAL_MS = 60_000;
export const BOOTSTRAP_TOKEN_ID = 'bootstrap';
const MIN_BOOTSTRAP_LENGTH = 32;
const MAX_NAME_LENGTH = 64;

/**
 * SHA-256, not a slow password KDF (scrypt, argon2): the secret is 256 random bits, so there is no
 * dictionary to try and a fast hash is as strong as a slow one; a slow one would only cost every admin
 * call its time. (A low-entropy password, as MQTT users have, is what needs scrypt.)
 */
function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

function hashText(secret: string): string {
  return `sha256$${digest(secret).toString('hex')}`;
}

export type TokenCheck = { ok: true; id: string } | { ok: false; reason: 'malformed' | 'unknown' | 'expired' };

interface Entry {
  record: AdminTokenRecord;
  /** The stored hash as bytes (compared in constant time). */
  hash: Buffer;
  /** The lastUsedAt storage holds. */
  savedLastUsedAt: number;
}

type TokenStore = AdminTokenStorage & Pick<StorageAdapter, 'flush'>;

export class AdminTokens {
  private readonly tokens = new Map<string, Entry>();
  private bootstrap?: { hash: Buffer; file: string; createdAt: number; lastUsedAt: number };

  constructor(
    private readonly storage: TokenStore,
    private readonly log: Logger,
  ) {}

  /** Reads the stored tokens (at start). */
  async load(): Promise<void> {
    this.tokens.clear();
    for (const record of await this.storage.loadAdminTokens()) {
      const hex = /^sha256\$([0-9a-f]{64})$/.exec(record.secretHash)?.[1];
      if (hex === undefined) {
        this.log.warn({ tokenId: record.id }, 'admin token with an unknown hash format ignored');
        continue;
      }
      this.tokens.set(record.id, { record, hash: Buffer.from(hex, 'hex'), savedLastUsedAt: record.lastUsedAt ?? 0 });
    }
  }

  /** Reads admin.bootstrap_token_file: keeps its hash, never the token. */
  loadBootstrapFile(file: string): void {
    let text: string;
    let mode = 0;
    try {
      text = readFileSync(file, 'utf8').trim();
      mode = statSync(file).mode;
    } catch (err) {
      throw new RobustMQError(
        'RMQ_ERR_CONFIG_INVALID',
        `invalid configuration: admin.bootstrap_token_file: cannot read ${file}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (text.length < MIN_BOOTSTRAP_LENGTH || /\s/.test(text)) {
      throw new RobustMQError(
        'RMQ_ERR_CONFIG_INVALID',
        `invalid configuration: admin.bootstrap_token_file: ${file} must hold one token of at least ${MIN_BOOTSTRAP_LENGTH} characters without spaces (e.g. from openssl rand -hex 32)`,
      );
    }
    if ((mode & 0o077) !== 0) {
      this.log.warn({ file }, 'admin.bootstrap_token_file can be read by other users: chmod 600 it');
    }
    this.bootstrap = { hash: digest(text), file, createdAt: Date.now(), lastUsedAt: 0 };
    if (this.tokens.size > 0) {
      this.log.warn(
        { file, tokens: this.tokens.size },
        'admin.bootstrap_token_file is set although admin tokens exist: remove the setting once you have a token of your own',
      );
    }
  }

  /** Tokens a caller could use now (not expired), the bootstrap token included. */
  usableCount(now = Date.now()): number {
    let n = this.bootstrap ? 1 : 0;
    for (const { record } of this.tokens.values()) if (record.expiresAt === undefined || record.expiresAt > now) n++;
    return n;
  }

  async create(request: CreateTokenRequest): Promise<CreatedToken> {
    const name = request.name;
    if (typeof name !== 'string' || name.length < 1 || name.length > MAX_NAME_LENGTH || /[\p{Cc}]/u.test(name)) {
      throw new RobustMQError(
        'RMQ_ERR_INVALID_ARGUMENT',
        `a token name must be 1-${MAX_NAME_LENGTH} characters without control characters`,
      );
    }
    const ttl = request.expiresInMs ?? 0;
    if (!Number.isSafeInteger(ttl) || ttl < 0) {
      throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `expiresInMs must be 0 (never) or more, got ${ttl}`);
    }
    let id: string;
    do id = randomBytes(8).toString('hex');
    while (this.tokens.has(id));
    const secret = randomBytes(32).toString('base64url');
    const now = Date.now();
    const record: AdminTokenRecord = { id, name, secretHash: hashText(secret), createdAt: now };
    if (ttl > 0) record.expiresAt = now + ttl;
    this.storage.saveAdminToken(record);
    await this.storage.flush(); // a token handed out is one the broker still knows after a crash
    this.tokens.set(id, { record, hash: digest(secret), savedLastUsedAt: 0 });
    this.log.info({ tokenId: id, name, expiresAt: record.expiresAt }, 'admin token created');
    return { ...info(record), token: `rmq_${id}_${secret}` };
  }

  /**
   * Creation order (the bootstrap token first), paged by (created at, id) after the previous page's
   * last: a token revoked between two pages does not break the next one.
   */
  list(filter: TokenFilter = {}): Page<AdminTokenInfo> {
    const all: AdminTokenInfo[] = [];
    if (this.bootstrap) {
      all.push({
        id: BOOTSTRAP_TOKEN_ID,
        name: 'admin.bootstrap_token_file',
        createdAtMs: this.bootstrap.createdAt,
        expiresAtMs: 0,
        lastUsedAtMs: this.bootstrap.lastUsedAt,
      });
    }
    const stored = [...this.tokens.values()].map((e) => info(e.record));
    stored.sort((a, b) => (tokenKey(a) < tokenKey(b) ? -1 : tokenKey(a) > tokenKey(b) ? 1 : 0));
    all.push(...stored);
    // the bootstrap token keys first: ' ' sorts before the digits a stored token's key starts with
    return pageOfSorted(
      all,
      (t) => (t.id === BOOTSTRAP_TOKEN_ID ? ' ' : tokenKey(t)),
      (t) => t,
      filter,
    );
  }

  async revoke(id: string): Promise<void> {
    if (id === BOOTSTRAP_TOKEN_ID && this.bootstrap) {
      throw new RobustMQError(
        'RMQ_ERR_INVALID_ARGUMENT',
        'the bootstrap token comes from admin.bootstrap_token_file: remove that setting and restart the broker to retire it',
      );
    }
    const entry = this.tokens.get(id);
    if (!entry) throw new RobustMQError('RMQ_ERR_TOKEN_NOT_FOUND', `no admin token with id "${id}"`);
    this.tokens.delete(id); // refused from now on, before the delete is even committed
    this.storage.deleteAdminToken(id);
    await this.storage.flush();
    this.log.info({ tokenId: id, name: entry.record.name }, 'admin token revoked');
  }

  /** Whether `presented` is a valid token now; records its use (in storage at most once a minute). */
  check(presented: string): TokenCheck {
    const now = Date.now();
    const m = TOKEN_FORMAT.exec(presented);
    if (m) {
      const entry = this.tokens.get(m[1]!);
      if (!entry || !timingSafeEqual(digest(m[2]!), entry.hash)) return { ok: false, reason: 'unknown' };
      if (entry.record.expiresAt !== undefined && now >= entry.record.expiresAt)
        return { ok: false, reason: 'expired' };
      entry.record.lastUsedAt = now;
      if (now - entry.savedLastUsedAt >= LAST_USED_SAVE_INTERVAL_MS) this.saveLastUsed(entry);
      return { ok: true, id: entry.record.id };
    }
    if (this.bootstrap && timingSafeEqual(digest(presented), this.bootstrap.hash)) {
      this.bootstrap.lastUsedAt = now;
      return { ok: true, id: BOOTSTRAP_TOKEN_ID };
    }
    return { ok: false, reason: presented.startsWith('rmq_') ? 'malformed' : 'unknown' };
  }

  /** Writes the last-use times not yet saved (at shutdown, before storage closes). */
  saveAllLastUsed(): void {
    for (const entry of this.tokens.values()) {
      if ((entry.record.lastUsedAt ?? 0) > entry.savedLastUsedAt) this.saveLastUsed(entry);
    }
  }

  private saveLastUsed(entry: Entry): void {
    entry.savedLastUsedAt = entry.record.lastUsedAt ?? 0;
    this.storage.saveAdminToken({ ...entry.record });
  }
}

/** The paging key of a stored token: creation time (fixed width), then id. */
function tokenKey(t: AdminTokenInfo): string {
  return `${String(t.createdAtMs).padStart(16, '0')} ${t.id}`;
}

function info(r: AdminTokenRecord): AdminTokenInfo {
  return {
    id: r.id,
    name: r.name,
    createdAtMs: r.createdAt,
    expiresAtMs: r.expiresAt ?? 0,
    lastUsedAtMs: r.lastUsedAt ?? 0,
  };
}
