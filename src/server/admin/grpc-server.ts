// The admin gRPC endpoint: serves robustmq.admin.v1.AdminService (proto/admin.proto) from an
// AdminApi. Errors travel as gRPC status codes with the RMQ_ERR_* code in the trailing metadata.
import * as grpc from '@grpc/grpc-js';
import type {
  AdminApi,
  ClientFilter,
  RetainedFilter,
  SessionFilter,
  SubscriptionListFilter,
  TopicFilter,
} from '../../lib/admin-api.js';

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
    });
    const address = this.host.includes(':')
      ? `[${this.host}]:${this.requestedPort}`
      : `${this.host}:${this.requestedPort}`;
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
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

  describe(): string {
    return `grpc://${this.host}:${this.port}`;
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
      handler(call.request).then(
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
};
