// The AdminApi over gRPC: what robustmq-cli uses to reach a broker's (or cluster's) admin endpoint.
// A broker that cannot be reached is RMQ_ERR_UNREACHABLE; an error the server answered keeps the
// server's RMQ_ERR_* code (RMQ_ERR_ADMIN when it sent none).
import * as grpc from '@grpc/grpc-js';
import type {
  AclFilter,
  AclRule,
  AdminApi,
  AdminTokenInfo,
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
  CreateBanRequest,
  CreateTokenRequest,
  CreateTopicRewriteRequest,
  CreateTopicRequest,
  CreateUserRequest,
  DelayedFilter,
  DelayedInfo,
  DelayedMessage,
  ImportUsersRequest,
  ImportUsersResult,
  CreatedToken,
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
  TopicRewriteFilter,
  TopicRewriteInfo,
  TopicFilter,
  TopicInfo,
  UserFilter,
  UserInfo,
  AlarmFilter,
  AlarmInfo,
  SlowSubscriptionFilter,
  SlowSubscriptionInfo,
  AutoSubscribeFilter,
  AutoSubscribeRule,
  CreateAutoSubscribeRequest,
  ExclusiveFilter,
  ExclusiveInfo,
  CreateSchemaRequest,
  SchemaBindingFilter,
  SchemaBindingInfo,
  SchemaFilter,
  SchemaInfo,
} from './admin-api.js';
import { ERROR_CODE_KEY, adminServiceClient } from './admin-proto.js';
import { ErrorCodes, RobustMQError, type ErrorCode } from './errors.js';

export const DEFAULT_ADMIN_SERVER = '127.0.0.1:1228';

export interface AdminClientOptions {
  /** Deadline of each call, ms. Default 10 s. */
  timeoutMs?: number;
  /** Admin token, sent as `authorization: Bearer <token>` metadata with every call. */
  token?: string;
  /**
   * TLS to the endpoint (admin.tls_cert on the broker): the CA that signed the broker's certificate
   * (absent: the system's roots), and this client's certificate and key when the broker asks for one.
   */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

type Unary = (
  req: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => void;

interface WireConfigEntry {
  key: string;
  valueJson: string;
  runtime: boolean;
}

function fromWireConfigEntry(e: WireConfigEntry): ConfigEntry {
  return { key: e.key, value: JSON.parse(e.valueJson) as ConfigValue, runtime: e.runtime };
}

export class AdminGrpcClient implements AdminApi {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;
  private readonly tls: boolean;
  private readonly metadata = new grpc.Metadata();

  constructor(
    readonly address: string,
    options: AdminClientOptions = {},
  ) {
    const Service = adminServiceClient();
    const tls = options.tls;
    const credentials = tls
      ? grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null)
      : grpc.credentials.createInsecure();
    this.client = new Service(address, credentials);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.tls = options.tls !== undefined;
    if (options.token) this.metadata.set('authorization', `Bearer ${options.token}`);
  }

  clusterStatus(): Promise<ClusterStatus> {
    return this.call<ClusterStatus>('getClusterStatus', {});
  }

  async listClients(filter: ClientFilter = {}): Promise<Page<ClientInfo>> {
    const res = await this.call<{ clients: ClientInfo[]; nextPageToken: string; total: number }>('listClients', {
      clientId: filter.clientId ?? '',
      username: filter.username ?? '',
      ip: filter.ip ?? '',
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.clients, nextPageToken: res.nextPageToken, total: res.total };
  }

  describeClient(clientId: string): Promise<ClientDetail> {
    return this.call<ClientDetail>('describeClient', { clientId });
  }

  async kickClient(clientId: string): Promise<void> {
    await this.call<unknown>('kickClient', { clientId });
  }

  createTopic(request: CreateTopicRequest): Promise<TopicInfo> {
    return this.call<TopicInfo>('createTopic', {
      name: request.name,
      partitions: request.partitions ?? 0,
      retentionMs: request.retentionMs,
      retentionBytes: request.retentionBytes,
    });
  }

  async listTopics(filter: TopicFilter = {}): Promise<Page<TopicInfo>> {
    const res = await this.call<{ topics: TopicInfo[]; nextPageToken: string; total: number }>('listTopics', {
      name: filter.name ?? '',
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.topics, nextPageToken: res.nextPageToken, total: res.total };
  }

  describeTopic(name: string): Promise<TopicInfo> {
    return this.call<TopicInfo>('describeTopic', { name });
  }

  async deleteTopic(name: string): Promise<void> {
    await this.call<unknown>('deleteTopic', { name });
  }

  async listSessions(filter: SessionFilter = {}): Promise<Page<SessionInfo>> {
    const res = await this.call<{ sessions: SessionInfo[]; nextPageToken: string; total: number }>('listSessions', {
      clientId: filter.clientId ?? '',
      connected: filter.connected,
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.sessions, nextPageToken: res.nextPageToken, total: res.total };
  }

  describeSession(clientId: string): Promise<SessionDetail> {
    return this.call<SessionDetail>('describeSession', { clientId });
  }

  async deleteSession(clientId: string): Promise<void> {
    await this.call<unknown>('deleteSession', { clientId });
  }

  async listSubscriptions(filter: SubscriptionListFilter = {}): Promise<Page<ClientSubscriptionInfo>> {
    const res = await this.call<{ subscriptions: ClientSubscriptionInfo[]; nextPageToken: string; total: number }>(
      'listSubscriptions',
      {
        clientId: filter.clientId ?? '',
        filter: filter.filter ?? '',
        limit: filter.limit ?? 0,
        pageToken: filter.pageToken ?? '',
      },
    );
    return { items: res.subscriptions, nextPageToken: res.nextPageToken, total: res.total };
  }

  async listRetained(filter: RetainedFilter = {}): Promise<Page<RetainedInfo>> {
    const res = await this.call<{ retained: RetainedInfo[]; nextPageToken: string; total: number }>('listRetained', {
      topic: filter.topic ?? '',
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.retained, nextPageToken: res.nextPageToken, total: res.total };
  }

  getRetained(topic: string): Promise<RetainedMessage> {
    return this.call<RetainedMessage>('getRetained', { topic });
  }

  async deleteRetained(topic: string): Promise<void> {
    await this.call<unknown>('deleteRetained', { topic });
  }

  createUser(request: CreateUserRequest): Promise<UserInfo> {
    return this.call<UserInfo>('createUser', {
      username: request.username,
      password: request.password,
      superuser: request.superuser ?? false,
    });
  }

  async listUsers(filter: UserFilter = {}): Promise<Page<UserInfo>> {
    const res = await this.call<{ users: UserInfo[]; nextPageToken: string; total: number }>('listUsers', {
      username: filter.username ?? '',
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.users, nextPageToken: res.nextPageToken, total: res.total };
  }

  async deleteUser(username: string): Promise<void> {
    await this.call<unknown>('deleteUser', { username });
  }

  async setUserPassword(username: string, password: string): Promise<void> {
    await this.call<unknown>('setUserPassword', { username, password });
  }

  importUsers(request: ImportUsersRequest): Promise<ImportUsersResult> {
    return this.call<ImportUsersResult>('importUsers', {
      users: request.users.map((u) => ({ ...u, superuser: u.superuser ?? false })),
      overwrite: request.overwrite ?? false,
    });
  }

  async createAcl(request: CreateAclRequest): Promise<AclRule> {
    return fromWireAcl(await this.call<AclRule>('createAcl', { ...request, principal: request.principal ?? '' }));
  }

  async listAcls(filter: AclFilter = {}): Promise<Page<AclRule>> {
    const res = await this.call<{ rules: AclRule[]; nextPageToken: string; total: number }>('listAcls', {
      username: filter.username ?? '',
      clientId: filter.clientId ?? '',
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.rules.map(fromWireAcl), nextPageToken: res.nextPageToken, total: res.total };
  }

  async deleteAcl(id: string): Promise<void> {
    await this.call<unknown>('deleteAcl', { id });
  }

  createBan(request: CreateBanRequest): Promise<BanInfo> {
    return this.call<BanInfo>('createBan', {
      kind: request.kind,
      value: request.value,
      reason: request.reason ?? '',
      untilMs: request.untilMs,
      durationMs: request.durationMs,
    });
  }

  async listBans(filter: BanFilter = {}): Promise<Page<BanInfo>> {
    const res = await this.call<{ bans: BanInfo[]; nextPageToken: string; total: number }>('listBans', {
      kind: filter.kind ?? '',
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.bans, nextPageToken: res.nextPageToken, total: res.total };
  }

  async deleteBan(kind: BanKind, value: string): Promise<void> {
    await this.call<unknown>('deleteBan', { kind, value });
  }

  async getConfig(key?: string): Promise<ConfigEntry[]> {
    const res = await this.call<{ entries: WireConfigEntry[] }>('getConfig', { key: key ?? '' });
    return res.entries.map(fromWireConfigEntry);
  }

  async setConfig(key: string, value: string): Promise<ConfigEntry> {
    return fromWireConfigEntry(await this.call<WireConfigEntry>('setConfig', { key, value }));
  }

  readMessages(request: ReadMessagesRequest): Promise<MessagePage> {
    return this.call<MessagePage>('readMessages', {
      topic: request.topic,
      partition: request.partition ?? 0,
      offset: request.offset ?? 0,
      fromTimeMs: request.fromTimeMs ?? 0,
      limit: request.limit ?? 0,
    });
  }

  createToken(request: CreateTokenRequest): Promise<CreatedToken> {
    return this.call<CreatedToken>('createToken', { name: request.name, expiresInMs: request.expiresInMs ?? 0 });
  }

  async listTokens(filter: TokenFilter = {}): Promise<Page<AdminTokenInfo>> {
    const res = await this.call<{ tokens: AdminTokenInfo[]; nextPageToken: string; total: number }>('listTokens', {
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.tokens, nextPageToken: res.nextPageToken, total: res.total };
  }

  createAutoSubscribe(request: CreateAutoSubscribeRequest): Promise<AutoSubscribeRule> {
    return this.call<AutoSubscribeRule>('createAutoSubscribe', {
      topic: request.topic,
      qos: request.qos ?? 0,
      noLocal: request.noLocal ?? false,
      retainAsPublished: request.retainAsPublished ?? false,
      retainHandling: request.retainHandling ?? 0,
    });
  }

  async listAutoSubscribes(filter: AutoSubscribeFilter = {}): Promise<Page<AutoSubscribeRule>> {
    const res = await this.call<{ rules: AutoSubscribeRule[]; nextPageToken: string; total: number }>(
      'listAutoSubscribes',
      { limit: filter.limit ?? 0, pageToken: filter.pageToken ?? '' },
    );
    return { items: res.rules, nextPageToken: res.nextPageToken, total: res.total };
  }

  async deleteAutoSubscribe(idOrTopic: string): Promise<void> {
    await this.call<unknown>('deleteAutoSubscribe', { idOrTopic });
  }

  async listExclusive(filter: ExclusiveFilter = {}): Promise<Page<ExclusiveInfo>> {
    const res = await this.call<{ holders: ExclusiveInfo[]; nextPageToken: string; total: number }>('listExclusive', {
      filter: filter.filter ?? '',
      clientId: filter.clientId ?? '',
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.holders, nextPageToken: res.nextPageToken, total: res.total };
  }

  async deleteExclusive(filter: string): Promise<void> {
    await this.call<unknown>('deleteExclusive', { filter });
  }

  async revokeToken(id: string): Promise<void> {
    await this.call<unknown>('revokeToken', { id });
  }

  async listSlowSubscriptions(filter: SlowSubscriptionFilter = {}): Promise<Page<SlowSubscriptionInfo>> {
    const res = await this.call<{ slowSubscriptions: SlowSubscriptionInfo[]; nextPageToken: string; total: number }>(
      'listSlowSubscriptions',
      { limit: filter.limit ?? 0, pageToken: filter.pageToken ?? '' },
    );
    return { items: res.slowSubscriptions, nextPageToken: res.nextPageToken, total: res.total };
  }

  async clearSlowSubscriptions(): Promise<void> {
    await this.call<unknown>('clearSlowSubscriptions', {});
  }

  async listAlarms(filter: AlarmFilter = {}): Promise<Page<AlarmInfo>> {
    const res = await this.call<{
      alarms: (Omit<AlarmInfo, 'details'> & { detailsJson: string })[];
      nextPageToken: string;
      total: number;
    }>('listAlarms', { state: filter.state ?? '', limit: filter.limit ?? 0, pageToken: filter.pageToken ?? '' });
    const items = res.alarms.map(({ detailsJson, ...a }) => ({
      ...a,
      details: (detailsJson ? JSON.parse(detailsJson) : {}) as AlarmInfo['details'],
    }));
    return { items, nextPageToken: res.nextPageToken, total: res.total };
  }

  async clearAlarmHistory(): Promise<void> {
    await this.call<unknown>('clearAlarmHistory', {});
  }

  createTopicRewrite(request: CreateTopicRewriteRequest): Promise<TopicRewriteInfo> {
    return this.call<TopicRewriteInfo>('createTopicRewrite', {
      action: request.action,
      sourceTopic: request.sourceTopic,
      regex: request.regex,
      destTopic: request.destTopic,
      position: request.position ?? 0,
      before: request.before ?? '',
    });
  }

  async listTopicRewrites(filter: TopicRewriteFilter = {}): Promise<Page<TopicRewriteInfo>> {
    const res = await this.call<{ rules: TopicRewriteInfo[]; nextPageToken: string; total: number }>(
      'listTopicRewrites',
      { limit: filter.limit ?? 0, pageToken: filter.pageToken ?? '' },
    );
    return { items: res.rules, nextPageToken: res.nextPageToken, total: res.total };
  }

  async deleteTopicRewrite(id: string): Promise<void> {
    await this.call<unknown>('deleteTopicRewrite', { id });
  }

  async listDelayed(filter: DelayedFilter = {}): Promise<Page<DelayedInfo>> {
    const res = await this.call<{ delayed: DelayedInfo[]; nextPageToken: string; total: number }>('listDelayed', {
      topic: filter.topic ?? '',
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.delayed, nextPageToken: res.nextPageToken, total: res.total };
  }

  getDelayed(id: string): Promise<DelayedMessage> {
    return this.call<DelayedMessage>('getDelayed', { id });
  }

  async deleteDelayed(id: string): Promise<void> {
    await this.call<unknown>('deleteDelayed', { id });
  }

  async close(): Promise<void> {
    this.client.close();
  }

  createSchema(request: CreateSchemaRequest): Promise<SchemaInfo> {
    return this.call<SchemaInfo>('createSchema', {
      name: request.name,
      type: request.type,
      definition: request.definition,
      messageType: request.messageType ?? '',
      description: request.description ?? '',
    });
  }

  async listSchemas(filter: SchemaFilter = {}): Promise<Page<SchemaInfo>> {
    const res = await this.call<{ schemas: SchemaInfo[]; nextPageToken: string; total: number }>('listSchemas', {
      name: filter.name ?? '',
      limit: filter.limit ?? 0,
      pageToken: filter.pageToken ?? '',
    });
    return { items: res.schemas, nextPageToken: res.nextPageToken, total: res.total };
  }

  getSchema(name: string): Promise<SchemaInfo> {
    return this.call<SchemaInfo>('getSchema', { name });
  }

  async deleteSchema(name: string): Promise<void> {
    await this.call<unknown>('deleteSchema', { name });
  }

  bindSchema(name: string, topic: string): Promise<SchemaBindingInfo> {
    return this.call<SchemaBindingInfo>('bindSchema', { name, topic });
  }

  async unbindSchema(name: string, topic: string): Promise<void> {
    await this.call<unknown>('unbindSchema', { name, topic });
  }

  async listSchemaBindings(filter: SchemaBindingFilter = {}): Promise<Page<SchemaBindingInfo>> {
    const res = await this.call<{ bindings: SchemaBindingInfo[]; nextPageToken: string; total: number }>(
      'listSchemaBindings',
      { schema: filter.schema ?? '', limit: filter.limit ?? 0, pageToken: filter.pageToken ?? '' },
    );
    return { items: res.bindings, nextPageToken: res.nextPageToken, total: res.total };
  }

  private call<T>(method: string, request: unknown): Promise<T> {
    const fn = (this.client as unknown as Record<string, Unary>)[method]!.bind(this.client);
    return new Promise<T>((resolve, reject) => {
      fn(request, this.metadata, { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        if (err) reject(this.error(err));
        else resolve(res as T);
      });
    });
  }

  private error(err: grpc.ServiceError): RobustMQError {
    if (
      err.code === grpc.status.UNAVAILABLE &&
      /alert (certificate required|bad certificate|unknown ca)/.test(err.details)
    ) {
      // the broker requires a client certificate (admin.tls_ca) and refused ours, or got none
      return new RobustMQError(
        'RMQ_ERR_UNAUTHORIZED',
        `the admin endpoint at ${this.address} wants a TLS client certificate it trusts`,
        { cause: err },
      );
    }
    if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
      const why =
        err.code === grpc.status.DEADLINE_EXCEEDED
          ? `no answer within ${this.timeoutMs / 1000} s`
          : /certificate/.test(err.details)
            ? 'its TLS certificate is not trusted: pass the CA that signed it with --tls-ca'
            : this.tls && /Failed to connect|ECONNRESET/.test(err.details)
              ? 'the TLS handshake failed: is it a TLS endpoint, and does it trust the --tls-cert given?'
              : (/\b(E[A-Z]{4,})\b/.exec(err.details)?.[1] ?? 'unavailable');
      return new RobustMQError(
        'RMQ_ERR_UNREACHABLE',
        `cannot reach the admin endpoint at ${this.address} (${why}); is the broker running? Choose the target with --server, ROBUSTMQ_SERVER or a context (robustmq-cli context list)`,
        { cause: err },
      );
    }
    const sent = err.metadata?.get(ERROR_CODE_KEY)[0];
    const code = typeof sent === 'string' && sent in ErrorCodes ? (sent as ErrorCode) : 'RMQ_ERR_ADMIN';
    return new RobustMQError(code, err.details || err.message, { cause: err });
  }
}

/** An AclRule as the wire gives it (qos [] and retain null when absent) as the AdminApi says it. */
function fromWireAcl(r: AclRule): AclRule {
  const rule = { ...r };
  if (!rule.qos || rule.qos.length === 0) delete rule.qos;
  if (rule.retain === null || rule.retain === undefined) delete rule.retain;
  return rule;
}
