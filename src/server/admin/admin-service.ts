// The in-process AdminApi: answers from the Broker's own state. The gRPC server (grpc-server.ts)
// and `server start` use it; robustmq-cli reaches it through the gRPC client.
import type {
  AclFilter,
  AclRule,
  AdminApi,
  AdminTokenInfo,
  AutoSubscribeFilter,
  AutoSubscribeRule,
  BanFilter,
  BanInfo,
  BanKind,
  ClientDetail,
  ClientFilter,
  ClientInfo,
  ClientSubscriptionInfo,
  ClusterStatus,
  ConfigEntry,
  ConfigValue,
  CreateAclRequest,
  CreateAutoSubscribeRequest,
  CreateBanRequest,
  CreateTokenRequest,
  CreateTopicRequest,
  CreateTopicRewriteRequest,
  CreateUserRequest,
  ImportUsersRequest,
  ImportUsersResult,
  CreatedToken,
  DelayedFilter,
  DelayedInfo,
  DelayedMessage,
  ExclusiveFilter,
  ExclusiveInfo,
  MessagePage,
  Page,
  ReadMessagesRequest,
  RetainedFilter,
  RetainedInfo,
  RetainedMessage,
  SessionDetail,
  SessionFilter,
  SessionInfo,
  SubscriptionListFilter,
  TokenFilter,
  TopicFilter,
  TopicInfo,
  TopicRewriteFilter,
  TopicRewriteInfo,
  UserFilter,
  UserInfo,
  AlarmFilter,
  AlarmInfo,
  SlowSubscriptionFilter,
  SlowSubscriptionInfo,
} from '../../lib/admin-api.js';
import { AdminSecurity } from './admin-security.js';
import { AdminSchemas } from './admin-schemas.js';
import type {
  CreateSchemaRequest,
  SchemaBindingFilter,
  SchemaBindingInfo,
  SchemaFilter,
  SchemaInfo,
} from '../../lib/admin-api.js';
import type { TopicRecord } from '../storage/storage-adapter.js';
import { RobustMQError } from '../../lib/errors.js';
import { hostPort } from '../../lib/host-port.js';
import type { Broker } from '../broker.js';
import type { Connection } from '../protocol/connection.js';
import { RC } from '../protocol/reason-codes.js';
import { getConfig, setConfig } from './admin-config.js';
import { readMessages } from './admin-messages.js';
import { AdminRetained } from './admin-retained.js';
import { AdminSessions } from './admin-sessions.js';
import { AdminTopicRewrite } from './admin-topic-rewrite.js';
import { AdminDelayed } from './admin-delayed.js';
import { createAutoSubscribe, deleteAutoSubscribe, listAutoSubscribes } from './admin-auto-subscribe.js';
import { deleteExclusive, listExclusive } from './admin-exclusive.js';
import { countMatching, decodePageToken, encodePageToken, pageOfSorted, pageSize, readPage } from './key-paging.js';

export { pageSize };

export class AdminService implements AdminApi {
  /** Users, ACL rules and bans (admin-security.ts), over the broker's SecurityStore. */
  private readonly security: AdminSecurity;

  private readonly sessionsAdmin: AdminSessions;
  private readonly retainedAdmin: AdminRetained;
  private readonly topicRewriteAdmin: AdminTopicRewrite;
  private readonly delayedAdmin: AdminDelayed;

  constructor(private readonly broker: Broker) {
    this.security = new AdminSecurity(broker.security);
    this.sessionsAdmin = new AdminSessions(broker);
    this.retainedAdmin = new AdminRetained(broker);
    this.topicRewriteAdmin = new AdminTopicRewrite(broker.topicRewrite);
    this.delayedAdmin = new AdminDelayed(broker);
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
          connections: b.sessions.connectedIds.size,
          sessions: b.sessions.size,
          subscriptions,
          retained: b.retained.size,
          messagesReceived: m.messagesReceived,
          messagesSent: m.messagesSent,
          messagesDropped: m.messagesDropped,
          bytesReceived: m.bytesReceived,
          bytesSent: m.bytesSent,
          storageEngine: b.storage.engine,
          mqttAddress: hostPort(b.config.mqtt.bind, b.mqttPort),
          workers: 1,
          pid: process.pid,
          adminGrpcAddress: b.adminPort ? hostPort(b.config.admin.grpc_bind, b.adminPort) : '',
          restAddress: b.restPort ? hostPort(b.config.admin.http_bind, b.restPort) : '',
          adminAuthFailures: b.adminAuth.failures,
          mqttAuthFailures: b.authChain.failures,
          listeners: b.listenerDescriptions(),
        },
      ],
    };
  }

  /**
   * Connected clients in client-id order, filtered, one page after the token (the last client id of
   * the previous page: a page stays right while clients come and go). Paged through the sorted index
   * of connected client ids: a binary search, then only the page's clients (and, with a filter, a
   * scan of the ids in place for the total).
   */
  async listClients(filter: ClientFilter = {}): Promise<Page<ClientInfo>> {
    const limit = pageSize(filter.limit);
    const after = filter.pageToken ? decodePageToken(filter.pageToken) : undefined;
    const sessions = this.broker.sessions;
    const index = sessions.connectedIds;
    const filtered = Boolean(filter.clientId || filter.username || filter.ip);
    const connection = (id: string): Connection | undefined => {
      if (filter.clientId && !id.includes(filter.clientId)) return undefined;
      const c = sessions.get(id)?.output as Connection | null | undefined;
      if (!c || c.state !== 'connected') return undefined;
      if (filter.username && c.username !== filter.username) return undefined;
      if (filter.ip && c.info.remoteAddress !== filter.ip) return undefined;
      return c;
    };
    const page = readPage(
      (visit) => index.scan(visit, after),
      limit,
      connection,
      (c) => c.clientId,
    );
    return {
      items: page.items.map((c) => this.clientInfo(c)),
      nextPageToken: page.lastKey ? encodePageToken(page.lastKey) : '',
      total: filtered
        ? countMatching(
            (visit) => index.scan(visit),
            (id) => connection(id) !== undefined,
          )
        : index.size,
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
    const matching = this.broker.logs.list().filter((t) => !filter.name || t.name.includes(filter.name));
    matching.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return pageOfSorted(
      matching,
      (t) => t.name,
      (t) => this.topicInfo(t, false),
      filter,
    );
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

  importUsers(request: ImportUsersRequest): Promise<ImportUsersResult> {
    return this.security.importUsers(request);
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

  async getConfig(key?: string): Promise<ConfigEntry[]> {
    return getConfig(this.configHolder(), key);
  }

  async setConfig(key: string, value: string): Promise<ConfigEntry> {
    return setConfig(this.configHolder(), key, value);
  }

  private configHolder() {
    const b = this.broker;
    return {
      config: b.config,
      log: b.log,
      sessionContext: b.sessions.ctx,
      onChange: (key: string, value: ConfigValue) => b.hooks.emit('config.changed', key, value),
    };
  }

  async listSessions(filter?: SessionFilter): Promise<Page<SessionInfo>> {
    return this.sessionsAdmin.listSessions(filter);
  }

  async describeSession(clientId: string): Promise<SessionDetail> {
    return this.sessionsAdmin.describeSession(clientId);
  }

  deleteSession(clientId: string): Promise<void> {
    return this.sessionsAdmin.deleteSession(clientId);
  }

  async listSubscriptions(filter?: SubscriptionListFilter): Promise<Page<ClientSubscriptionInfo>> {
    return this.sessionsAdmin.listSubscriptions(filter);
  }

  async listRetained(filter?: RetainedFilter): Promise<Page<RetainedInfo>> {
    return this.retainedAdmin.listRetained(filter);
  }

  async getRetained(topic: string): Promise<RetainedMessage> {
    return this.retainedAdmin.getRetained(topic);
  }

  deleteRetained(topic: string): Promise<void> {
    return this.retainedAdmin.deleteRetained(topic);
  }

  createTopicRewrite(request: CreateTopicRewriteRequest): Promise<TopicRewriteInfo> {
    return this.topicRewriteAdmin.createTopicRewrite(request);
  }

  listTopicRewrites(filter?: TopicRewriteFilter): Promise<Page<TopicRewriteInfo>> {
    return this.topicRewriteAdmin.listTopicRewrites(filter);
  }

  deleteTopicRewrite(id: string): Promise<void> {
    return this.topicRewriteAdmin.deleteTopicRewrite(id);
  }

  async listDelayed(filter?: DelayedFilter): Promise<Page<DelayedInfo>> {
    return this.delayedAdmin.listDelayed(filter);
  }

  async getDelayed(id: string): Promise<DelayedMessage> {
    return this.delayedAdmin.getDelayed(id);
  }

  deleteDelayed(id: string): Promise<void> {
    return this.delayedAdmin.deleteDelayed(id);
  }

  createAutoSubscribe(request: CreateAutoSubscribeRequest): Promise<AutoSubscribeRule> {
    return createAutoSubscribe(this.broker.autoSubscribe, request);
  }

  async listAutoSubscribes(filter?: AutoSubscribeFilter): Promise<Page<AutoSubscribeRule>> {
    return listAutoSubscribes(this.broker.autoSubscribe, filter);
  }

  deleteAutoSubscribe(idOrTopic: string): Promise<void> {
    return deleteAutoSubscribe(this.broker.autoSubscribe, idOrTopic);
  }

  async listExclusive(filter?: ExclusiveFilter): Promise<Page<ExclusiveInfo>> {
    return listExclusive(this.broker, filter);
  }

  deleteExclusive(filter: string): Promise<void> {
    return deleteExclusive(this.broker, filter);
  }

  async close(): Promise<void> {}

  async listSlowSubscriptions(filter?: SlowSubscriptionFilter): Promise<Page<SlowSubscriptionInfo>> {
    return this.broker.slowSubs.list(filter);
  }

  async clearSlowSubscriptions(): Promise<void> {
    this.broker.slowSubs.clear();
  }

  async listAlarms(filter?: AlarmFilter): Promise<Page<AlarmInfo>> {
    return this.broker.alarms.list(filter);
  }

  /** Durable when it resolves. */
  async clearAlarmHistory(): Promise<void> {
    this.broker.alarms.clearHistory();
    await this.broker.storage.flush();
  }

  /** Payload schemas and their bindings (admin-schemas.ts). */
  private get schemasAdmin(): AdminSchemas {
    return new AdminSchemas(this.broker.schemas, this.broker.storage);
  }

  createSchema(request: CreateSchemaRequest): Promise<SchemaInfo> {
    return this.schemasAdmin.createSchema(request);
  }
  listSchemas(filter?: SchemaFilter): Promise<Page<SchemaInfo>> {
    return this.schemasAdmin.listSchemas(filter);
  }
  getSchema(name: string): Promise<SchemaInfo> {
    return this.schemasAdmin.getSchema(name);
  }
  deleteSchema(name: string): Promise<void> {
    return this.schemasAdmin.deleteSchema(name);
  }
  bindSchema(name: string, topic: string): Promise<SchemaBindingInfo> {
    return this.schemasAdmin.bindSchema(name, topic);
  }
  unbindSchema(name: string, topic: string): Promise<void> {
    return this.schemasAdmin.unbindSchema(name, topic);
  }
  listSchemaBindings(filter?: SchemaBindingFilter): Promise<Page<SchemaBindingInfo>> {
    return this.schemasAdmin.listSchemaBindings(filter);
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
