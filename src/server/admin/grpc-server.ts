// The admin gRPC endpoint: serves robustmq.admin.v1.AdminService (proto/admin.proto) from an
// AdminApi. Errors travel as gRPC status codes with the RMQ_ERR_* code in the trailing metadata.
// With admin auth on, every call needs `authorization: Bearer <token>` metadata (UNAUTHENTICATED else).
import * as grpc from '@grpc/grpc-js';
import { hostPort } from '../../lib/host-port.js';
import type {
  AclFilter,
  AdminApi,
  BanKind,
  ClientFilter,
  ConfigEntry,
  CreateAclRequest,
  CreateTokenRequest,
  CreateTopicRewriteRequest,
  CreateUserRequest,
  DelayedFilter,
  ImportUsersRequest,
  ReadMessagesRequest,
  RetainedFilter,
  SessionFilter,
  SubscriptionListFilter,
  TokenFilter,
  TopicFilter,
  TopicRewriteAction,
  TopicRewriteFilter,
  UserFilter,
  AlarmState,
  SlowSubscriptionFilter,
  AutoSubscribeFilter,
  CreateAutoSubscribeRequest,
  ExclusiveFilter,
  CreateSchemaRequest,
  SchemaBindingFilter,
  SchemaFilter,
} from '../../lib/admin-api.js';
import type { AdminAuth } from './admin-auth.js';
import type { AdminTls } from './admin-tls.js';

/** CreateTopicRequest as proto-loader hands it over. */
interface WireCreateTopic {
  name: string;
  partitions: number;
  retentionMs?: number | null;
  retentionBytes?: number | null;
}
/** ListSessionsRequest.connected as proto-loader hands it over (proto3 optional: null when absent). */
interface WireOptionalBool {
  connected?: boolean | null;
}

/** CreateAclRequest as proto-loader hands it over (repeated: [] when absent; optional bool: null when absent). */
interface WireCreateAcl extends Omit<CreateAclRequest, 'qos' | 'retain'> {
  qos?: number[];
  retain?: boolean | null;
}

/** CreateBanRequest as proto-loader hands it over (optional int64: null when absent). */
interface WireCreateBan {
  kind: string;
  value: string;
  reason: string;
  untilMs?: number | null;
  durationMs?: number | null;
}
import { ERROR_CODE_KEY, adminServiceClient } from '../../lib/admin-proto.js';
import { RobustMQError, isRobustMQError, type ErrorCode } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

type Handler<Req, Res> = (request: Req) => Promise<Res>;

export class AdminGrpcServer {
  private server?: grpc.Server;
  /** The port bound (useful with port 0). */
  port = 0;

  constructor(
    private readonly api: AdminApi,
    private readonly host: string,
    private readonly requestedPort: number,
    private readonly log: Logger,
    /** Checks each call's token (absent: no check, as in tests of the API itself). */
    private readonly auth?: AdminAuth,
    /** Serve over TLS (and with a CA, require client certificates at the handshake). */
    private readonly tls?: AdminTls,
  ) {}

  async start(): Promise<void> {
    const server = new grpc.Server();
    const api = this.api;
    server.addService(adminServiceClient().service, {
      GetClusterStatus: this.unary('GetClusterStatus', () => api.clusterStatus()),
      ListClients: this.unary('ListClients', async (req: ClientFilter) => {
        const page = await api.listClients(req);
        return { clients: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      DescribeClient: this.unary('DescribeClient', (req: { clientId: string }) => api.describeClient(req.clientId)),
      KickClient: this.unary('KickClient', async (req: { clientId: string }) => {
        await api.kickClient(req.clientId);
        return {};
      }),
      CreateTopic: this.unary('CreateTopic', (req: WireCreateTopic) =>
        api.createTopic({
          name: req.name,
          // proto3: 0 is "not given" for partitions; the retention fields are optional (absent: default)
          partitions: req.partitions === 0 ? undefined : req.partitions,
          retentionMs: req.retentionMs ?? undefined,
          retentionBytes: req.retentionBytes ?? undefined,
        }),
      ),
      ListTopics: this.unary('ListTopics', async (req: TopicFilter) => {
        const page = await api.listTopics(req);
        return { topics: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      DescribeTopic: this.unary('DescribeTopic', (req: { name: string }) => api.describeTopic(req.name)),
      DeleteTopic: this.unary('DeleteTopic', async (req: { name: string }) => {
        await api.deleteTopic(req.name);
        return {};
      }),
      ListSessions: this.unary('ListSessions', async (req: Omit<SessionFilter, 'connected'> & WireOptionalBool) => {
        // proto3 optional: absent arrives as null
        const page = await api.listSessions({ ...req, connected: req.connected ?? undefined });
        return { sessions: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      DescribeSession: this.unary('DescribeSession', (req: { clientId: string }) => api.describeSession(req.clientId)),
      DeleteSession: this.unary('DeleteSession', async (req: { clientId: string }) => {
        await api.deleteSession(req.clientId);
        return {};
      }),
      ListSubscriptions: this.unary('ListSubscriptions', async (req: SubscriptionListFilter) => {
        const page = await api.listSubscriptions(req);
        return { subscriptions: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      ListRetained: this.unary('ListRetained', async (req: RetainedFilter) => {
        const page = await api.listRetained(req);
        return { retained: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      GetRetained: this.unary('GetRetained', (req: { topic: string }) => api.getRetained(req.topic)),
      DeleteRetained: this.unary('DeleteRetained', async (req: { topic: string }) => {
        await api.deleteRetained(req.topic);
        return {};
      }),
      // security: the request objects hold passwords; they are never logged (unary() logs none)
      CreateUser: this.unary('CreateUser', (req: CreateUserRequest) => api.createUser(req)),
      ListUsers: this.unary('ListUsers', async (req: UserFilter) => {
        const page = await api.listUsers(req);
        return { users: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      DeleteUser: this.unary('DeleteUser', async (req: { username: string }) => {
        await api.deleteUser(req.username);
        return {};
      }),
      SetUserPassword: this.unary('SetUserPassword', async (req: { username: string; password: string }) => {
        await api.setUserPassword(req.username, req.password);
        return {};
      }),
      ImportUsers: this.unary('ImportUsers', (req: ImportUsersRequest) => api.importUsers(req)),
      CreateAcl: this.unary('CreateAcl', (req: WireCreateAcl) =>
        api.createAcl({
          ...req,
          qos: req.qos && req.qos.length > 0 ? req.qos : undefined,
          retain: req.retain ?? undefined,
        }),
      ),
      ListAcls: this.unary('ListAcls', async (req: AclFilter) => {
        const page = await api.listAcls(req);
        return { rules: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      DeleteAcl: this.unary('DeleteAcl', async (req: { id: string }) => {
        await api.deleteAcl(req.id);
        return {};
      }),
      CreateBan: this.unary('CreateBan', (req: WireCreateBan) =>
        api.createBan({
          kind: req.kind as BanKind,
          value: req.value,
          reason: req.reason,
          untilMs: req.untilMs ?? undefined,
          durationMs: req.durationMs ?? undefined,
        }),
      ),
      ListBans: this.unary('ListBans', async (req: { kind: string; limit: number; pageToken: string }) => {
        const page = await api.listBans({ ...req, kind: (req.kind || undefined) as BanKind | undefined });
        return { bans: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      DeleteBan: this.unary('DeleteBan', async (req: { kind: string; value: string }) => {
        await api.deleteBan(req.kind as BanKind, req.value);
        return {};
      }),
      GetConfig: this.unary('GetConfig', async (req: { key: string }) => ({
        entries: (await api.getConfig(req.key || undefined)).map(toWireConfigEntry),
      })),
      SetConfig: this.unary('SetConfig', async (req: { key: string; value: string }) =>
        toWireConfigEntry(await api.setConfig(req.key, req.value)),
      ),
      ReadMessages: this.unary('ReadMessages', (req: Required<ReadMessagesRequest>) => api.readMessages(req)),
      CreateToken: this.unary('CreateToken', (req: { name: string; expiresInMs: number }) =>
        api.createToken({ name: req.name, expiresInMs: req.expiresInMs } satisfies CreateTokenRequest),
      ),
      ListTokens: this.unary('ListTokens', async (req: TokenFilter) => {
        const page = await api.listTokens(req);
        return { tokens: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      RevokeToken: this.unary('RevokeToken', async (req: { id: string }) => {
        await api.revokeToken(req.id);
        return {};
      }),
      ListSlowSubscriptions: this.unary('ListSlowSubscriptions', async (req: SlowSubscriptionFilter) => {
        const page = await api.listSlowSubscriptions(req);
        return { slowSubscriptions: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      ClearSlowSubscriptions: this.unary('ClearSlowSubscriptions', async () => {
        await api.clearSlowSubscriptions();
        return {};
      }),
      ListAlarms: this.unary('ListAlarms', async (req: { state: string; limit: number; pageToken: string }) => {
        const page = await api.listAlarms({ ...req, state: (req.state || undefined) as AlarmState | undefined });
        const alarms = page.items.map(({ details, ...a }) => ({ ...a, detailsJson: JSON.stringify(details) }));
        return { alarms, nextPageToken: page.nextPageToken, total: page.total };
      }),
      ClearAlarmHistory: this.unary('ClearAlarmHistory', async () => {
        await api.clearAlarmHistory();
        return {};
      }),
      CreateTopicRewrite: this.unary('CreateTopicRewrite', (req: Required<CreateTopicRewriteRequest>) =>
        api.createTopicRewrite({
          ...req,
          action: req.action as TopicRewriteAction,
          position: req.position || undefined,
          before: req.before || undefined,
        }),
      ),
      ListTopicRewrites: this.unary('ListTopicRewrites', async (req: TopicRewriteFilter) => {
        const page = await api.listTopicRewrites(req);
        return { rules: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      DeleteTopicRewrite: this.unary('DeleteTopicRewrite', async (req: { id: string }) => {
        await api.deleteTopicRewrite(req.id);
        return {};
      }),
      ListDelayed: this.unary('ListDelayed', async (req: DelayedFilter) => {
        const page = await api.listDelayed(req);
        return { delayed: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      GetDelayed: this.unary('GetDelayed', (req: { id: string }) => api.getDelayed(req.id)),
      DeleteDelayed: this.unary('DeleteDelayed', async (req: { id: string }) => {
        await api.deleteDelayed(req.id);
        return {};
      }),
      CreateAutoSubscribe: this.unary('CreateAutoSubscribe', (req: Required<CreateAutoSubscribeRequest>) =>
        api.createAutoSubscribe(req),
      ),
      ListAutoSubscribes: this.unary('ListAutoSubscribes', async (req: AutoSubscribeFilter) => {
        const page = await api.listAutoSubscribes(req);
        return { rules: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      DeleteAutoSubscribe: this.unary('DeleteAutoSubscribe', async (req: { idOrTopic: string }) => {
        await api.deleteAutoSubscribe(req.idOrTopic);
        return {};
      }),
      ListExclusive: this.unary('ListExclusive', async (req: ExclusiveFilter) => {
        const page = await api.listExclusive({
          ...req,
          filter: req.filter || undefined,
          clientId: req.clientId || undefined,
        });
        return { holders: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      DeleteExclusive: this.unary('DeleteExclusive', async (req: { filter: string }) => {
        await api.deleteExclusive(req.filter);
        return {};
      }),
      CreateSchema: this.unary('CreateSchema', (req: CreateSchemaRequest) => api.createSchema(req)),
      ListSchemas: this.unary('ListSchemas', async (req: SchemaFilter) => {
        const page = await api.listSchemas(req);
        return { schemas: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
      GetSchema: this.unary('GetSchema', (req: { name: string }) => api.getSchema(req.name)),
      DeleteSchema: this.unary('DeleteSchema', async (req: { name: string }) => {
        await api.deleteSchema(req.name);
        return {};
      }),
      BindSchema: this.unary('BindSchema', (req: { name: string; topic: string }) =>
        api.bindSchema(req.name, req.topic),
      ),
      UnbindSchema: this.unary('UnbindSchema', async (req: { name: string; topic: string }) => {
        await api.unbindSchema(req.name, req.topic);
        return {};
      }),
      ListSchemaBindings: this.unary('ListSchemaBindings', async (req: SchemaBindingFilter) => {
        const page = await api.listSchemaBindings({ ...req, schema: req.schema || undefined });
        return { bindings: page.items, nextPageToken: page.nextPageToken, total: page.total };
      }),
    });
    const address = hostPort(this.host, this.requestedPort);
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, this.credentials(), (err, port) => {
        if (err) {
          reject(
            new RobustMQError(
              'RMQ_ERR_LISTEN',
              `admin gRPC endpoint cannot bind ${address}: ${err.message}; choose another port with --admin-port or admin.grpc_port`,
              { cause: err },
            ),
          );
        } else resolve(port);
      }),
    );
    this.server = server;
  }

  private credentials(): grpc.ServerCredentials {
    const tls = this.tls;
    if (!tls) return grpc.ServerCredentials.createInsecure();
    return grpc.ServerCredentials.createSsl(
      tls.ca ?? null,
      [{ cert_chain: tls.cert, private_key: tls.key }],
      tls.ca !== undefined,
    );
  }

  describe(): string {
    return `${this.tls ? 'grpcs' : 'grpc'}://${hostPort(this.host, this.port)}`;
  }

  /** Stops taking calls; calls in progress get 2 s to finish. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private unary<Req, Res>(method: string, handler: Handler<Req, Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      let result: Promise<Res>;
      try {
        const authorization = call.metadata.get('authorization')[0];
        this.auth?.check(typeof authorization === 'string' ? authorization : undefined, call.getPeer(), 'grpc');
        result = handler(call.request);
      } catch (err) {
        result = Promise.reject(err);
      }
      result.then(
        (res) => callback(null, res),
        (err: unknown) => {
          const metadata = new grpc.Metadata();
          if (isRobustMQError(err)) {
            metadata.set(ERROR_CODE_KEY, err.code);
            const code = GRPC_STATUS[err.code] ?? grpc.status.INTERNAL;
            callback({ code, details: err.message, metadata });
          } else {
            this.log.error({ err, method }, 'admin call failed');
            callback({ code: grpc.status.INTERNAL, details: 'internal error (see the broker log)', metadata });
          }
        },
      );
    };
  }
}

/** The gRPC status each error code travels with (the RMQ_ERR_* code itself goes in the metadata). */
const GRPC_STATUS: Partial<Record<ErrorCode, grpc.status>> = {
  RMQ_ERR_INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  RMQ_ERR_TOPIC_INVALID: grpc.status.INVALID_ARGUMENT,
  RMQ_ERR_TOPIC_EXISTS: grpc.status.ALREADY_EXISTS,
  RMQ_ERR_TOPIC_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_CLIENT_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_UNSUPPORTED: grpc.status.FAILED_PRECONDITION,
  RMQ_ERR_SESSION_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_RETAINED_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_USER_EXISTS: grpc.status.ALREADY_EXISTS,
  RMQ_ERR_USER_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_ACL_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_BAN_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_CONFIG_KEY: grpc.status.INVALID_ARGUMENT,
  RMQ_ERR_CONFIG_INVALID: grpc.status.INVALID_ARGUMENT,
  RMQ_ERR_UNAUTHORIZED: grpc.status.UNAUTHENTICATED,
  RMQ_ERR_TOKEN_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_TOPIC_REWRITE_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_DELAYED_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_AUTO_SUBSCRIBE_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_AUTO_SUBSCRIBE_EXISTS: grpc.status.ALREADY_EXISTS,
  RMQ_ERR_CONFIG_DEFINED: grpc.status.FAILED_PRECONDITION,
  RMQ_ERR_EXCLUSIVE_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_SCHEMA_EXISTS: grpc.status.ALREADY_EXISTS,
  RMQ_ERR_SCHEMA_NOT_FOUND: grpc.status.NOT_FOUND,
  RMQ_ERR_SCHEMA_IN_USE: grpc.status.FAILED_PRECONDITION,
  RMQ_ERR_SCHEMA_BINDING_NOT_FOUND: grpc.status.NOT_FOUND,
};

/** ConfigEntry on the wire: the value as JSON text (proto3 has no plain "any JSON value" scalar). */
function toWireConfigEntry(e: ConfigEntry): { key: string; valueJson: string; runtime: boolean } {
  return { key: e.key, valueJson: JSON.stringify(e.value), runtime: e.runtime };
}
