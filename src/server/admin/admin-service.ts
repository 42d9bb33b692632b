// The in-process AdminApi: answers from the Broker's own state. The gRPC server (grpc-server.ts)
// and `server start` use it; robustmq-cli reaches it through the gRPC client.
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type AdminApi,
  type AdminTokenInfo,
  type CreatedToken,
  type CreateTokenRequest,
  type TokenFilter,
  type ClientFilter,
  type ClientDetail,
  type ClientInfo,
  type ClusterStatus,
  type ConfigEntry,
  type CreateTopicRequest,
  type MessagePage,
  type Page,
  type ReadMessagesRequest,
  type TopicFilter,
  type TopicInfo,
  type AclFilter,
  type AclRule,
  type BanFilter,
  type BanInfo,
  type BanKind,
  type CreateAclRequest,
  type CreateBanRequest,
  type CreateUserRequest,
  type UserFilter,
  type UserInfo,
} from '../../lib/admin-api.js';
import { AdminSecurity } from './admin-security.js';
import type { TopicRecord } from '../storage/storage-adapter.js';
import { RobustMQError } from '../../lib/errors.js';
import type { Broker } from '../broker.js';
import type { Connection } from '../protocol/connection.js';
import { RC } from '../protocol/reason-codes.js';
import { getConfig, setConfig } from './admin-config.js';
import { readMessages } from './admin-messages.js';

/** Page size from a request: default when absent or 0, an error when out of range. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || limit === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `limit must be between 1 and ${MAX_PAGE_SIZE}, got ${limit}`);
  }
  return limit;
}

export class AdminService implements AdminApi {
  /** Users, ACL rules and bans (admin-security.ts), over the broker's SecurityStore. */
  private readonly security: AdminSecurity;

  constructor(private readonly broker: Broker) {
    this.security = new AdminSecurity(broker.security);
  }

  async clusterStatus(): Promise<ClusterStatus> {
    const b = this.broker;
    const m = b.metrics;
    const now = Date.now();
    let subscriptions = 0;
    for (const s of b.sessions.values()) subscriptions += s.subscriptions.size;
    return {
      clusterName: b.config.node.name,
      nodes: [
        {
          name: b.nodeName,
          version: b.version,
          startedAtMs: b.startedAt,
          uptimeMs: b.startedAt === 0 ? 0 : now - b.startedAt,
          connections: this.connected().length,
          sessions: b.sessions.size,
          subscriptions,
          retained: b.retained.size,
          messagesReceived: m.messagesReceived,
          messagesSent: m.messagesSent,
          messagesDropped: m.messagesDropped,
          bytesReceived: m.bytesReceived,
          bytesSent: m.bytesSent,
          storageEngine: b.storage.engine,
          mqttAddress: `${b.config.mqtt.bind}:${b.mqttPort}`,
          workers: 1,
          pid: process.pid,
          adminGrpcAddress: b.adminPort ? hostPort(b.config.admin.grpc_bind, b.adminPort) : '',
          restAddress: b.restPort ? hostPort(b.config.admin.http_bind, b.restPort) : '',
          adminAuthFailures: b.adminAuth.failures,
        },
      ],
    };
  }

  /**
   * Connected clients in client-id order, filtered, one page after the token (the last client id of
   * the previous page: a page stays right while clients come and go).
   */
  async listClients(filter: ClientFilter = {}): Promise<Page<ClientInfo>> {
    const limit = pageSize(filter.limit);
    const after = filter.pageToken ? decodeToken(filter.pageToken) : undefined;
    const matching = this.connected().filter(
      (c) =>
        (!filter.clientId || c.clientId.includes(filter.clientId)) &&
        (!filter.username || c.username === filter.username) &&
        (!filter.ip || c.info.remoteAddress === filter.ip),
    );
    matching.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
    const start = after === undefined ? 0 : firstAfter(matching, after, (c) => c.clientId);
    const page = matching.slice(start, start + limit);
    const more = start + limit < matching.length;
    return {
      items: page.map((c) => this.clientInfo(c)),
      nextPageToken: more ? encodeToken(page[page.length - 1]!.clientId) : '',
      total: matching.length,
    };
  }

  async describeClient(clientId: string): Promise<ClientDetail> {
    const c = this.connectedClient(clientId);
    const s = c.session;
    return {
      client: this.clientInfo(c),
      subscriptions: [...(s?.subscriptions.values() ?? [])].map((sub) => ({
        filter: sub.rawFilter,
        qos: sub.qos,
        noLocal: sub.noLocal,
        retainAsPublished: sub.retainAsPublished,
        retainHandling: sub.retainHandling,
        subscriptionId: sub.subscriptionId ?? 0,
      })),
      sessionExpiryS: s?.expiryInterval ?? 0,
    };
  }

  async kickClient(clientId: string): Promise<void> {
    const c = this.connectedClient(clientId);
    c.log.info({ clientId }, 'disconnected by an administrator');
    c.disconnect(RC.ADMINISTRATIVE_ACTION, 'disconnected by an administrator');
  }

  private connectedClient(clientId: string): Connection {
    const c = this.broker.sessions.get(clientId)?.output as Connection | null | undefined;
    if (!c || c.state !== 'connected') {
      throw new RobustMQError('RMQ_ERR_CLIENT_NOT_FOUND', `no client "${clientId}" is connected`);
    }
    return c;
  }

  async createTopic(request: CreateTopicRequest): Promise<TopicInfo> {
    const record = this.broker.logs.create(request);
    return this.topicInfo(record, false);
  }

  /** Created topics in name order, filtered, one page after the token (the last name of the previous page). */
  async listTopics(filter: TopicFilter = {}): Promise<Page<TopicInfo>> {
    const limit = pageSize(filter.limit);
    const after = filter.pageToken ? decodeToken(filter.pageToken) : undefined;
    const matching = this.broker.logs.list().filter((t) => !filter.name || t.name.includes(filter.name));
    matching.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const start = after === undefined ? 0 : firstAfter(matching, after, (t) => t.name);
    const page = matching.slice(start, start + limit);
    return {
      items: page.map((t) => this.topicInfo(t, false)),
      nextPageToken: start + limit < matching.length ? encodeToken(page[page.length - 1]!.name) : '',
      total: matching.length,
    };
  }

  async describeTopic(name: string): Promise<TopicInfo> {
    const record = this.broker.logs.get(name);
    if (!record) throw new RobustMQError('RMQ_ERR_TOPIC_NOT_FOUND', `topic "${name}" has not been created`);
    return this.topicInfo(record, true);
  }

  async deleteTopic(name: string): Promise<void> {
    this.broker.logs.delete(name);
  }

  readMessages(request: ReadMessagesRequest): Promise<MessagePage> {
    return readMessages(this.broker, request);
  }

  private topicInfo(t: TopicRecord, withPartitions: boolean): TopicInfo {
    const bounds = this.broker.logs.bounds(t.name);
    let messages = 0;
    for (const b of bounds) messages += b.next - b.first;
    return {
      name: t.name,
      partitions: t.partitions,
      retentionMs: t.retentionMs,
      retentionBytes: t.retentionBytes,
      createdAtMs: t.createdAt,
      messages,
      partitionInfo: withPartitions
        ? bounds.map((b) => ({ partition: b.partition, firstOffset: b.first, nextOffset: b.next }))
        : [],
    };
  }

  createUser(request: CreateUserRequest): Promise<UserInfo> {
    return this.security.createUser(request);
  }
  listUsers(filter?: UserFilter): Promise<Page<UserInfo>> {
    return this.security.listUsers(filter);
  }
  deleteUser(username: string): Promise<void> {
    return this.security.deleteUser(username);
  }
  setUserPassword(username: string, password: string): Promise<void> {
    return this.security.setUserPassword(username, password);
  }
  createAcl(request: CreateAclRequest): Promise<AclRule> {
    return this.security.createAcl(request);
  }
  listAcls(filter?: AclFilter): Promise<Page<AclRule>> {
    return this.security.listAcls(filter);
  }
  deleteAcl(id: string): Promise<void> {
    return this.security.deleteAcl(id);
  }
  createBan(request: CreateBanRequest): Promise<BanInfo> {
    return this.security.createBan(request);
  }
  listBans(filter?: BanFilter): Promise<Page<BanInfo>> {
    return this.security.listBans(filter);
  }
  deleteBan(kind: BanKind, value: string): Promise<void> {
    return this.security.deleteBan(kind, value);
  }

  createToken(request: CreateTokenRequest): Promise<CreatedToken> {
    return this.broker.adminTokens.create(request);
  }

  async listTokens(filter: TokenFilter = {}): Promise<Page<AdminTokenInfo>> {
    return this.broker.adminTokens.list(filter);
  }

  revokeToken(id: string): Promise<void> {
    return this.broker.adminTokens.revoke(id);
  }

  async close(): Promise<void> {}

  async getConfig(key?: string): Promise<ConfigEntry[]> {
    return getConfig(this.configHolder(), key);
  }

  async setConfig(key: string, value: string): Promise<ConfigEntry> {
    return setConfig(this.configHolder(), key, value);
  }

  private configHolder() {
    const b = this.broker;
    return { config: b.config, log: b.log, sessionContext: b.sessions.ctx };
  }

  private connected(): Connection[] {
    const out: Connection[] = [];
    for (const c of this.broker.connections) if (c.state === 'connected') out.push(c);
    return out;
  }

  private clientInfo(c: Connection): ClientInfo {
    const s = c.session;
    return {
      clientId: c.clientId,
      username: c.username ?? '',
      ip: c.info.remoteAddress,
      port: c.info.remotePort,
      transport: c.info.transport,
      protocolVersion: c.protocolVersion,
      keepaliveS: c.keepalive,
      cleanStart: s === null ? true : !s.persistent,
      connectedAtMs: c.openedAt,
      subscriptions: s?.subscriptions.size ?? 0,
      inflight: s?.inflightCount ?? 0,
      queued: s?.queued ?? 0,
      node: this.broker.nodeName,
    };
  }
}

/** host:port, an IPv6 host in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The index of the first item whose key is after `after` (binary search: the list is sorted by key). */
export function firstAfter<T>(sorted: readonly T[], after: string, key: (item: T) => string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid]!) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function encodeToken(clientId: string): string {
  return Buffer.from(clientId, 'utf8').toString('base64url');
}

export function decodeToken(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', 'page token is not one this server gave out');
  }
  return Buffer.from(token, 'base64url').toString('utf8');
}
