// The AdminApi over gRPC: what robustmq-cli uses to reach a broker's (or cluster's) admin endpoint.
// A broker that cannot be reached is RMQ_ERR_UNREACHABLE; an error the server answered keeps the
// server's RMQ_ERR_* code (RMQ_ERR_ADMIN when it sent none).
import * as grpc from '@grpc/grpc-js';
import type {
  AdminApi,
  ClientDetail,
  ClientFilter,
  ClientInfo,
  ClientSubscriptionInfo,
  ClusterStatus,
  CreateTopicRequest,
  Page,
  RetainedFilter,
  RetainedInfo,
  RetainedMessage,
  SessionDetail,
  SessionFilter,
  SessionInfo,
  SubscriptionListFilter,
  TopicFilter,
  TopicInfo,
} from './admin-api.js';
import { ERROR_CODE_KEY, adminServiceClient } from './admin-proto.js';
import { ErrorCodes, RobustMQError, type ErrorCode } from './errors.js';

export const DEFAULT_ADMIN_SERVER = '127.0.0.1:1228';

export interface AdminClientOptions {
  /** Deadline of each call, ms. Default 10 s. */
  timeoutMs?: number;
  /** Admin token, sent as `authorization: Bearer <token>` metadata with every call. */
  token?: string;
}

type Unary = (
  req: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => void;

export class AdminGrpcClient implements AdminApi {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;
  private readonly metadata = new grpc.Metadata();

  constructor(
    readonly address: string,
    options: AdminClientOptions = {},
  ) {
    const Service = adminServiceClient();
    this.client = new Service(address, grpc.credentials.createInsecure());
    this.timeoutMs = options.timeoutMs ?? 10_000;
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

  async close(): Promise<void> {
    this.client.close();
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
    if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
      const why =
        err.code === grpc.status.DEADLINE_EXCEEDED
          ? `no answer within ${this.timeoutMs / 1000} s`
          : (/\b(E[A-Z]{4,})\b/.exec(err.details)?.[1] ?? 'unavailable');
      return new RobustMQError(
        'RMQ_ERR_UNREACHABLE',
        `cannot reach the admin endpoint at ${this.address} (${why}); is the broker running? Set --server or ROBUSTMQ_SERVER`,
        { cause: err },
      );
    }
    const sent = err.metadata?.get(ERROR_CODE_KEY)[0];
    const code = typeof sent === 'string' && sent in ErrorCodes ? (sent as ErrorCode) : 'RMQ_ERR_ADMIN';
    return new RobustMQError(code, err.details || err.message, { cause: err });
  }
}
