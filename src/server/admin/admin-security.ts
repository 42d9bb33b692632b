// The security part of the AdminApi: users, ACL rules and bans, over a SecurityStore (the in-memory
// copy, written through to storage). AdminService (one broker) and WorkerPrimary (worker mode, whose
// store forwards each change to the workers) delegate to it. Passwords are hashed here and never
// logged, returned or stored in clear.
import { randomBytes } from 'node:crypto';
import type {
  AclFilter,
  AclRule,
  BanFilter,
  BanInfo,
  BanKind,
  CreateAclRequest,
  CreateBanRequest,
  CreateUserRequest,
  ImportUsersRequest,
  ImportUsersResult,
  Page,
  UserFilter,
  UserInfo,
} from '../../lib/admin-api.js';
import { RobustMQError } from '../../lib/errors.js';
import {
  ACL_ACTIONS,
  ACL_PERMISSIONS,
  ACL_PRINCIPAL_KINDS,
  BAN_KINDS,
  checkAclFilter,
  checkAclQos,
  checkBanValue,
  checkIpOrCidr,
  checkPassword,
  checkUsername,
} from '../../lib/security-rules.js';
import { hashPassword, isPasswordHash } from '../security/password-hash.js';
import { scramCredentialsFor } from '../security/scram.js';
import type { SecurityStore } from '../security/security-store.js';
import type { AclRecord, BanRecord, UserRecord } from '../storage/storage-adapter.js';
import { pageOfSorted as pageOf } from './key-paging.js';

function invalid(message: string): RobustMQError {
  return new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', message);
}

function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalid(`${what} must be one of ${allowed.join(', ')}; got "${value}"`);
  }
  return value as T;
}

/** Users one importUsers call takes at most (a mosquitto_passwd line is some 130 bytes). */
const MAX_IMPORTED_USERS = 10_000;

const userInfo = (u: UserRecord): UserInfo => ({
  username: u.username,
  superuser: u.superuser,
  createdAtMs: u.createdAt,
});

const aclRule = (r: AclRecord): AclRule => {
  const rule: AclRule = {
    id: r.id,
    principalKind: r.principalKind,
    principal: r.principal,
    filter: r.filter,
    action: r.action,
    permission: r.permission,
    createdAtMs: r.createdAt,
  };
  if (r.qos !== undefined) rule.qos = [...r.qos];
  if (r.retain !== undefined) rule.retain = r.retain;
  return rule;
};

const banInfo = (b: BanRecord): BanInfo => ({
  kind: b.kind,
  value: b.value,
  reason: b.reason,
  untilMs: b.until ?? 0,
  createdAtMs: b.createdAt,
});

/** Evaluation order as a string that sorts the same way (createdAt is at most 16 digits until the year 316 million). */
const aclKey = (r: AclRecord): string => `${String(r.createdAt).padStart(16, '0')} ${r.id}`;
const banKey = (b: BanRecord): string => `${b.kind}\0${b.value}`;

export class AdminSecurity {
  constructor(
    private readonly store: SecurityStore,
    private readonly now: () => number = Date.now,
  ) {}

  async createUser(request: CreateUserRequest): Promise<UserInfo> {
    checkUsername(request.username);
    checkPassword(request.password);
    this.mustNotExist(request.username);
    // the scrypt hash for CONNECT passwords, and the SCRAM credentials for MQTT 5 enhanced authentication
    const [passwordHash, scram] = await Promise.all([
      hashPassword(request.password),
      scramCredentialsFor(request.password),
    ]);
    // another call may have created it while this one was hashing
    this.mustNotExist(request.username);
    const user: UserRecord = {
      username: request.username,
      passwordHash,
      superuser: request.superuser === true,
      createdAt: this.now(),
      scram,
    };
    this.store.apply({ op: 'putUser', user });
    await this.store.flush();
    return userInfo(user);
  }

  async listUsers(filter: UserFilter = {}): Promise<Page<UserInfo>> {
    const users = this.store.users().filter((u) => !filter.username || u.username.includes(filter.username));
    return pageOf(users, (u) => u.username, userInfo, filter);
  }

  async deleteUser(username: string): Promise<void> {
    this.existing(username);
    this.store.apply({ op: 'deleteUser', username });
    await this.store.flush();
  }

  async setUserPassword(username: string, password: string): Promise<void> {
    this.existing(username);
    checkPassword(password);
    const [passwordHash, scram] = await Promise.all([hashPassword(password), scramCredentialsFor(password)]);
    // deleted while hashing: do not bring it back
    const user = this.existing(username);
    this.store.apply({ op: 'putUser', user: { ...user, passwordHash, scram } });
    await this.store.flush();
  }

  async importUsers(request: ImportUsersRequest): Promise<ImportUsersResult> {
    const users = request.users ?? [];
    if (users.length > MAX_IMPORTED_USERS) {
      throw invalid(`at most ${MAX_IMPORTED_USERS} users per import; got ${users.length}`);
    }
    const seen = new Set<string>();
    users.forEach((u, i) => {
      try {
        checkUsername(u.username);
      } catch (err) {
        throw invalid(`user ${i + 1}: ${(err as Error).message}`);
      }
      if (seen.has(u.username)) throw invalid(`user "${u.username}" is given twice`);
      seen.add(u.username);
      // the hash itself is never put in a message
      if (typeof u.passwordHash !== 'string' || !isPasswordHash(u.passwordHash)) {
        throw invalid(`user "${u.username}": the password hash is not a $7$, $6$ or scrypt$ hash`);
      }
    });
    const result: ImportUsersResult = { created: 0, updated: 0, skipped: [] };
    for (const u of users) {
      const existing = this.store.user(u.username);
      if (existing && !request.overwrite) {
        result.skipped.push(u.username);
        continue;
      }
      const user: UserRecord = {
        username: u.username,
        passwordHash: u.passwordHash,
        superuser: u.superuser === true,
        createdAt: existing?.createdAt ?? this.now(),
      };
      this.store.apply({ op: 'putUser', user });
      if (existing) result.updated++;
      else result.created++;
    }
    await this.store.flush();
    return result;
  }

  async createAcl(request: CreateAclRequest): Promise<AclRule> {
    const principalKind = oneOf('principalKind', request.principalKind, ACL_PRINCIPAL_KINDS);
    let principal = request.principal ?? '';
    if (principalKind === 'all' && principal !== '') throw invalid('a rule for all clients names no principal');
    if (principalKind === 'user') checkUsername(principal);
    if (principalKind === 'client') checkBanValue('clientid', principal);
    if (principalKind === 'ip') principal = checkIpOrCidr(principal);
    checkAclFilter(request.filter);
    const action = oneOf('action', request.action, ACL_ACTIONS);
    const qos = request.qos === undefined ? undefined : checkAclQos(request.qos);
    if (request.retain !== undefined && typeof request.retain !== 'boolean')
      throw invalid('retain must be true or false');
    if (request.retain !== undefined && action === 'subscribe') {
      throw invalid('a retain condition is about PUBLISHes: it does not go with action "subscribe"');
    }
    let id = randomBytes(4).toString('hex');
    while (this.store.acl(id)) id = randomBytes(4).toString('hex');
    const rule: AclRecord = {
      id,
      principalKind,
      principal,
      filter: request.filter,
      action,
      permission: oneOf('permission', request.permission, ACL_PERMISSIONS),
      createdAt: this.store.nextAclTime(),
    };
    if (qos !== undefined) rule.qos = qos;
    if (request.retain !== undefined) rule.retain = request.retain;
    this.store.apply({ op: 'putAcl', rule });
    await this.store.flush();
    return aclRule(rule);
  }

  async listAcls(filter: AclFilter = {}): Promise<Page<AclRule>> {
    if (filter.username && filter.clientId) throw invalid('filter by username or by client id, not both');
    const rules = this.store
      .acls()
      .filter(
        (r) =>
          (!filter.username || (r.principalKind === 'user' && r.principal === filter.username)) &&
          (!filter.clientId || (r.principalKind === 'client' && r.principal === filter.clientId)),
      );
    return pageOf(rules, aclKey, aclRule, filter);
  }

  async deleteAcl(id: string): Promise<void> {
    if (!this.store.acl(id)) throw new RobustMQError('RMQ_ERR_ACL_NOT_FOUND', `no ACL rule has the id "${id}"`);
    this.store.apply({ op: 'deleteAcl', id });
    await this.store.flush();
  }

  async createBan(request: CreateBanRequest): Promise<BanInfo> {
    const kind = oneOf('kind', request.kind, BAN_KINDS);
    const value = checkBanValue(kind, request.value);
    const reason = request.reason ?? '';
    if (Buffer.byteLength(reason) > 65535) throw invalid('reason is longer than 65535 bytes');
    const now = this.now();
    let until: number | undefined;
    if (request.untilMs !== undefined && request.durationMs !== undefined) {
      throw invalid('give the end of a ban as untilMs or as durationMs, not both');
    }
    if (request.durationMs !== undefined) {
      if (!Number.isSafeInteger(request.durationMs) || request.durationMs <= 0) {
        throw invalid(`durationMs must be a positive number of milliseconds; got ${request.durationMs}`);
      }
      until = now + request.durationMs;
    } else if (request.untilMs !== undefined) {
      if (!Number.isSafeInteger(request.untilMs) || request.untilMs <= now) {
        throw invalid(`untilMs must be a time in the future (ms since the epoch); got ${request.untilMs}`);
      }
      until = request.untilMs;
    }
    const ban: BanRecord = { kind, value, reason, createdAt: now };
    if (until !== undefined) ban.until = until;
    this.store.apply({ op: 'putBan', ban });
    await this.store.flush();
    return banInfo(ban);
  }

  async listBans(filter: BanFilter = {}): Promise<Page<BanInfo>> {
    if (filter.kind) oneOf('kind', filter.kind, BAN_KINDS);
    const bans = this.store.bans().filter((b) => !filter.kind || b.kind === filter.kind);
    return pageOf(bans, banKey, banInfo, filter);
  }

  async deleteBan(kind: BanKind, value: string): Promise<void> {
    oneOf('kind', kind, BAN_KINDS);
    if (!this.store.ban(kind, value)) {
      throw new RobustMQError('RMQ_ERR_BAN_NOT_FOUND', `${kind} "${value}" is not banned`);
    }
    this.store.apply({ op: 'deleteBan', kind, value });
    await this.store.flush();
  }

  private mustNotExist(username: string): void {
    if (this.store.user(username)) {
      throw new RobustMQError('RMQ_ERR_USER_EXISTS', `a user named "${username}" exists already`);
    }
  }

  private existing(username: string): UserRecord {
    const user = this.store.user(username);
    if (!user) throw new RobustMQError('RMQ_ERR_USER_NOT_FOUND', `no user is named "${username}"`);
    return user;
  }
}
