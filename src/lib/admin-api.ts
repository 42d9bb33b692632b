// The AdminApi: one interface for everything robustmq-cli (and later the REST API and dashboard)
// asks of a cluster. Implemented in-process over a Broker (src/server/admin/admin-service.ts) and by
// the gRPC client (admin-grpc-client.ts) against proto/admin.proto. Types here are the contract:
// the proto mirrors them field for field (snake_case on the wire).

export interface NodeStatus {
  name: string;
  version: string;
  startedAtMs: number;
  uptimeMs: number;
  connections: number;
  sessions: number;
  subscriptions: number;
  retained: number;
  messagesReceived: number;
  messagesSent: number;
  messagesDropped: number;
  bytesReceived: number;
  bytesSent: number;
  storageEngine: string;
  /** The MQTT listener, host:port. */
  mqttAddress: string;
  /** Processes serving the node's clients (node.workers). */
  workers: number;
}

export interface ClusterStatus {
  clusterName: string;
  nodes: NodeStatus[];
}

export interface ClientFilter {
  /** Clients whose id contains this text. */
  clientId?: string;
  username?: string;
  ip?: string;
  /** Page size: default 100, at most 1000. */
  limit?: number;
  /** The nextPageToken of the previous page. */
  pageToken?: string;
}

export interface ClientInfo {
  clientId: string;
  username: string;
  ip: string;
  port: number;
  transport: string;
  protocolVersion: number;
  keepaliveS: number;
  cleanStart: boolean;
  connectedAtMs: number;
  subscriptions: number;
  inflight: number;
  queued: number;
  node: string;
}

export interface Page<T> {
  items: T[];
  /** '' on the last page. */
  nextPageToken: string;
  /** Items matching the filter, over all pages. */
  total: number;
}

export interface SubscriptionInfo {
  filter: string;
  qos: number;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  /** 0 when none. */
  subscriptionId: number;
}

export interface ClientDetail {
  client: ClientInfo;
  subscriptions: SubscriptionInfo[];
  /** Seconds the session outlives the connection (4294967295: never expires). */
  sessionExpiryS: number;
}

/** A created topic: the messages published to it are kept in a log of partitions. */
export interface TopicInfo {
  name: string;
  partitions: number;
  /** Log entries older than this are removed; 0 = no age limit. */
  retentionMs: number;
  /** Payload bytes kept per partition; 0 = no size limit. */
  retentionBytes: number;
  createdAtMs: number;
  /** Messages the log holds now, over all partitions. */
  messages: number;
  /** Filled by describeTopic: the offsets each partition holds. */
  partitionInfo: PartitionInfo[];
}

export interface PartitionInfo {
  partition: number;
  /** The oldest offset kept. */
  firstOffset: number;
  /** The offset the next message gets. */
  nextOffset: number;
}

export interface CreateTopicRequest {
  name: string;
  /** Default: topics.default_partitions. */
  partitions?: number;
  /** Default: topics.default_retention_ms. */
  retentionMs?: number;
  /** Default: topics.default_retention_bytes. */
  retentionBytes?: number;
}

export interface TopicFilter {
  /** Topics whose name contains this text. */
  name?: string;
  limit?: number;
  pageToken?: string;
}

export interface SessionFilter {
  /** Sessions whose client id contains this text. */
  clientId?: string;
  /** true: only sessions with a connection now; false: only those without; absent: both. */
  connected?: boolean;
  limit?: number;
  pageToken?: string;
}

/** A session of the node, connected or not. */
export interface SessionInfo {
  clientId: string;
  connected: boolean;
  /** 3 (MQTT 3.1), 4 (3.1.1) or 5: of the last connection. */
  protocolVersion: number;
  /** Seconds the session outlives its connection (4294967295: never expires; 0: ends with it). */
  expiryIntervalS: number;
  /** When its last connection went away, ms since the epoch; 0 while connected. */
  disconnectedAtMs: number;
  /** When it ends unless its client comes back, ms since the epoch; 0 while connected or when it never expires. */
  expiresAtMs: number;
  subscriptions: number;
  /** Messages waiting to be sent. */
  queued: number;
  /** QoS 1/2 messages sent and not yet acknowledged. */
  inflight: number;
  node: string;
}

export interface SessionDetail {
  session: SessionInfo;
  /** In filter order. */
  subscriptions: SubscriptionInfo[];
  /** Incoming QoS 2 messages that got PUBREC and wait for the client's PUBREL. */
  awaitingRelease: number;
  /** Whether a will message waits to be published (its connection ended, its Will Delay runs). */
  willPending: boolean;
}

export interface SubscriptionListFilter {
  /** Subscriptions of clients whose id contains this text. */
  clientId?: string;
  /** Subscriptions whose filter (as the client sent it, $share/... included) contains this text. */
  filter?: string;
  limit?: number;
  pageToken?: string;
}

/** One subscription of one session, as the client made it. */
export interface ClientSubscriptionInfo extends SubscriptionInfo {
  clientId: string;
}

export interface RetainedFilter {
  /** An MQTT topic filter ('+' and '#' as in SUBSCRIBE; without wildcards: that topic only). */
  topic?: string;
  limit?: number;
  pageToken?: string;
}

/** A retained message, without its payload. */
export interface RetainedInfo {
  topic: string;
  qos: number;
  payloadBytes: number;
  /** When the broker received it, ms since the epoch. */
  storedAtMs: number;
  /** When its Message Expiry Interval ends, ms since the epoch; 0: never. */
  expiresAtMs: number;
  /** Client id of the publisher ('' when the broker made it). */
  origin: string;
}

/** The MQTT 5 properties a retained message carries ('' / 0 / empty when absent). */
export interface RetainedProperties {
  payloadFormatIndicator: number;
  /** As published, seconds; 0: none. */
  messageExpiryIntervalS: number;
  contentType: string;
  responseTopic: string;
  /** Base64. */
  correlationData: string;
  /** In the order the publisher sent them. */
  userProperties: { key: string; value: string }[];
}

export interface RetainedMessage extends RetainedInfo {
  /** The payload as text when it is valid UTF-8, else base64 (see payloadEncoding). */
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  properties: RetainedProperties;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface AdminApi {
  clusterStatus(): Promise<ClusterStatus>;
  listClients(filter?: ClientFilter): Promise<Page<ClientInfo>>;
  /** RMQ_ERR_CLIENT_NOT_FOUND when no client of that id is connected. */
  describeClient(clientId: string): Promise<ClientDetail>;
  /** Disconnects the client (v5: DISCONNECT 0x98); RMQ_ERR_CLIENT_NOT_FOUND when it is not connected. */
  kickClient(clientId: string): Promise<void>;
  createTopic(request: CreateTopicRequest): Promise<TopicInfo>;
  listTopics(filter?: TopicFilter): Promise<Page<TopicInfo>>;
  /** RMQ_ERR_TOPIC_NOT_FOUND when there is none of that name. */
  describeTopic(name: string): Promise<TopicInfo>;
  deleteTopic(name: string): Promise<void>;
  /** Every session of the node, connected or not, in client-id order. */
  listSessions(filter?: SessionFilter): Promise<Page<SessionInfo>>;
  /** RMQ_ERR_SESSION_NOT_FOUND when the node holds no session of that client id. */
  describeSession(clientId: string): Promise<SessionDetail>;
  /**
   * Ends the session and removes it from storage; a connected client is disconnected first (v5:
   * DISCONNECT 0x98). RMQ_ERR_SESSION_NOT_FOUND when there is none.
   */
  deleteSession(clientId: string): Promise<void>;
  /** Every subscription of the node, in client-id then filter order. */
  listSubscriptions(filter?: SubscriptionListFilter): Promise<Page<ClientSubscriptionInfo>>;
  /** Retained messages in topic order. RMQ_ERR_INVALID_ARGUMENT for a filter that is not valid. */
  listRetained(filter?: RetainedFilter): Promise<Page<RetainedInfo>>;
  /** RMQ_ERR_RETAINED_NOT_FOUND when no message is retained on the topic. */
  getRetained(topic: string): Promise<RetainedMessage>;
  /** Removes it, as an empty retained PUBLISH would [MQTT-3.3.1-6]; RMQ_ERR_RETAINED_NOT_FOUND when there is none. */
  deleteRetained(topic: string): Promise<void>;
  /** Releases what the implementation holds (the gRPC channel); the broker is not stopped. */
  close(): Promise<void>;
}
