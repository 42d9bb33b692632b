// The broker's in-memory copy of users, ACL rules and bans, loaded from storage at start and written
// through to it on every change. The admin API and (later) authentication and authorization read
// this copy, never the database, per call. Each change is also handed to `onChange`, which is how the
// primary process of worker mode keeps every worker's copy equal to its own.
import { BlockList, isIP } from 'node:net';
import type { AclRecord, BanRecord, SecurityStorage, UserRecord } from '../storage/storage-adapter.js';

export type SecurityChange =
  | { op: 'putUser'; user: UserRecord }
  | { op: 'deleteUser'; username: string }
  | { op: 'putAcl'; rule: AclRecord }
  | { op: 'deleteAcl'; id: string }
  | { op: 'putBan'; ban: BanRecord }
  | { op: 'deleteBan'; kind: BanRecord['kind']; value: string };

export interface SecuritySnapshot {
  users: UserRecord[];
  acls: AclRecord[];
  bans: BanRecord[];
}

const banKey = (kind: BanRecord['kind'], value: string): string => `${kind}\0${value}`;

/** Rules in evaluation order: createdAt, then id (the order the storage engines load them in). */
function byEvaluationOrder(a: AclRecord, b: AclRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class SecurityStore {
  private readonly userMap = new Map<string, UserRecord>();
  private readonly aclMap = new Map<string, AclRecord>();
  private readonly banMap = new Map<string, BanRecord>();
  /** ACL rules sorted in evaluation order; rebuilt on the first read after a change. */
  private aclOrder: AclRecord[] | null = [];
  /** The ip bans as BlockLists (all of them, and one per ban); rebuilt on the first lookup after a change. */
  private ipLists: { all: BlockList; each: [BanRecord, BlockList][] } | null = null;
  /** The regex bans, compiled; rebuilt on the first lookup after a change. */
  private regexList: [BanRecord, RegExp][] | null = null;
  /** Told of every change after it is applied here (worker mode: forwarded to the workers). */
  onChange?: (change: SecurityChange) => void;
  /** Also told of every change (the broker: a ban added disconnects the clients it bans). */
  private readonly watchers: ((change: SecurityChange) => void)[] = [];
  /**
   * Goes up on every change of the ACL rules: a connection's cache of ACL decisions holds the
   * generation it was filled at and is emptied when it differs.
   */
  aclGeneration = 0;

  constructor(
    private readonly storage: SecurityStorage,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads what storage holds (after storage.open()); bans that have ended are removed. */
  async load(): Promise<void> {
    const [users, acls, bans] = await Promise.all([
      this.storage.loadUsers(),
      this.storage.loadAcls(),
      this.storage.loadBans(),
    ]);
    this.userMap.clear();
    this.aclMap.clear();
    this.banMap.clear();
    for (const u of users) this.userMap.set(u.username, u);
    for (const r of acls) this.aclMap.set(r.id, r);
    for (const b of bans) this.banMap.set(banKey(b.kind, b.value), b);
    this.aclOrder = null;
    this.aclGeneration++;
    this.ipLists = null;
    this.regexList = null;
    this.removeEndedBans();
  }

  /** Applies one change here and in storage, then tells onChange. */
  /** Resolves once every change applied so far is durable in storage. */
  flush(): Promise<void> {
    return this.storage.flush();
  }

  apply(change: SecurityChange): void {
    const s = this.storage;
    switch (change.op) {
      case 'putUser':
        this.userMap.set(change.user.username, change.user);
        s.saveUser(change.user);
        break;
      case 'deleteUser':
        this.userMap.delete(change.username);
        s.deleteUser(change.username);
        break;
      case 'putAcl':
        this.aclMap.set(change.rule.id, change.rule);
        this.aclOrder = null;
        this.aclGeneration++;
        s.saveAcl(change.rule);
        break;
      case 'deleteAcl':
        this.aclMap.delete(change.id);
        this.aclOrder = null;
        this.aclGeneration++;
        s.deleteAcl(change.id);
        break;
      case 'putBan':
        this.banMap.set(banKey(change.ban.kind, change.ban.value), change.ban);
        if (change.ban.kind === 'ip') this.ipLists = null;
        if (change.ban.kind === 'regex') this.regexList = null;
        s.saveBan(change.ban);
        break;
      case 'deleteBan':
        this.banMap.delete(banKey(change.kind, change.value));
        if (change.kind === 'ip') this.ipLists = null;
        if (change.kind === 'regex') this.regexList = null;
        s.deleteBan(change.kind, change.value);
        break;
    }
    this.onChange?.(change);
    for (const watcher of this.watchers) watcher(change);
  }

  /** Calls `watcher` after every change applied from now on. */
  watch(watcher: (change: SecurityChange) => void): void {
    this.watchers.push(watcher);
  }

  /** Everything, for a copy elsewhere (a worker that starts). */
  snapshot(): SecuritySnapshot {
    return { users: this.users(), acls: [...this.acls()], bans: this.bans() };
  }

  /** Makes this copy (and its storage) equal to `snapshot`: what it lacks goes, what it has is written. */
  replace(snapshot: SecuritySnapshot): void {
    const users = new Set(snapshot.users.map((u) => u.username));
    const acls = new Set(snapshot.acls.map((r) => r.id));
    const bans = new Set(snapshot.bans.map((b) => banKey(b.kind, b.value)));
    for (const u of [...this.userMap.keys()]) if (!users.has(u)) this.apply({ op: 'deleteUser', username: u });
    for (const id of [...this.aclMap.keys()]) if (!acls.has(id)) this.apply({ op: 'deleteAcl', id });
    for (const [key, b] of [...this.banMap]) {
      if (!bans.has(key)) this.apply({ op: 'deleteBan', kind: b.kind, value: b.value });
    }
    for (const user of snapshot.users) this.apply({ op: 'putUser', user });
    for (const rule of snapshot.acls) this.apply({ op: 'putAcl', rule });
    for (const ban of snapshot.bans) this.apply({ op: 'putBan', ban });
  }

  user(username: string): UserRecord | undefined {
    return this.userMap.get(username);
  }

  /** Users in username order. */
  users(): UserRecord[] {
    return [...this.userMap.values()].sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }

  acl(id: string): AclRecord | undefined {
    return this.aclMap.get(id);
  }

  /** ACL rules in evaluation order (a shared array: do not change it). */
  acls(): readonly AclRecord[] {
    this.aclOrder ??= [...this.aclMap.values()].sort(byEvaluationOrder);
    return this.aclOrder;
  }

  /** The createdAt a new rule gets: now, or one past the last rule's, so that it is evaluated last. */
  nextAclTime(): number {
    const order = this.acls();
    const last = order.length === 0 ? 0 : order[order.length - 1]!.createdAt;
    return Math.max(this.now(), last + 1);
  }

  /** The ban of that kind and value if it is in force (an ended one is removed first). */
  ban(kind: BanRecord['kind'], value: string): BanRecord | undefined {
    const b = this.banMap.get(banKey(kind, value));
    if (b && b.until !== undefined && b.until <= this.now()) {
      this.apply({ op: 'deleteBan', kind, value });
      return undefined;
    }
    return b;
  }

  /**
   * The ban in force whose address or CIDR range holds `address` (IPv4-mapped IPv6 addresses match
   * IPv4 ranges), for the authentication feature to look up at CONNECT; undefined when none.
   */
  ipBan(address: string): BanRecord | undefined {
    const family = isIP(address);
    if (family === 0) return undefined;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    this.ipLists ??= this.buildIpLists();
    if (!this.ipLists.all.check(address, type)) return undefined;
    for (const [ban, list] of this.ipLists.each) {
      if (list.check(address, type) && this.ban('ip', ban.value)) return ban;
    }
    return undefined;
  }

  /**
   * The regex ban in force whose pattern matches one of `values` (a client id, a username), for the
   * check at CONNECT; undefined when none.
   */
  regexBan(values: readonly (string | undefined)[]): BanRecord | undefined {
    this.regexList ??= this.buildRegexList();
    for (const [ban, re] of this.regexList) {
      if (values.some((v) => v !== undefined && re.test(v)) && this.ban('regex', ban.value)) return ban;
    }
    return undefined;
  }

  private buildRegexList(): [BanRecord, RegExp][] {
    const list: [BanRecord, RegExp][] = [];
    for (const ban of this.banMap.values()) {
      if (ban.kind !== 'regex') continue;
      try {
        list.push([ban, new RegExp(ban.value, 'u')]);
      } catch {
        // checked when the ban was made; a pattern this engine does not compile bans nobody
      }
    }
    return list;
  }

  private buildIpLists(): { all: BlockList; each: [BanRecord, BlockList][] } {
    const all = new BlockList();
    const each: [BanRecord, BlockList][] = [];
    for (const ban of this.banMap.values()) {
      if (ban.kind !== 'ip') continue;
      const one = new BlockList();
      const [address, prefix] = ban.value.split('/') as [string, string | undefined];
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      for (const list of [all, one]) {
        if (prefix === undefined) list.addAddress(address, type);
        else list.addSubnet(address, Number(prefix), type);
      }
      each.push([ban, one]);
    }
    return { all, each };
  }

  /** Bans in force, by kind then value; ended ones are removed here and in storage. */
  bans(): BanRecord[] {
    this.removeEndedBans();
    return [...this.banMap.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ban]) => ban);
  }

  private removeEndedBans(): void {
    const now = this.now();
    for (const b of [...this.banMap.values()]) {
      if (b.until !== undefined && b.until <= now) this.apply({ op: 'deleteBan', kind: b.kind, value: b.value });
    }
  }
}
