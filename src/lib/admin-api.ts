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

export interface ReadMessagesRequest {
  topic: string;
  /** Default 0. */
  partition?: number;
  /** The first offset to read; default 0, which is the oldest kept (older ones are gone). */
  offset?: number;
  /** Instead of an offset: from the first message received at or after this time (ms since the epoch). */
  fromTimeMs?: number;
  /** Messages at most: default 100, at most 1000. */
  limit?: number;
}

/** A message as kept in a topic log. */
export interface TopicMessage {
  partition: number;
  offset: number;
  /** When the broker received it, ms since the epoch. */
  timestampMs: number;
  qos: number;
  retain: boolean;
  /** The publisher's client id ('' for messages the broker made itself). */
  clientId: string;
  /** The UTF-8 text when the payload is valid UTF-8, else its base64 (see payloadEncoding). */
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  payloadBytes: number;
  properties: TopicMessageProperties;
}

/** The MQTT 5 properties a message was published with ('' / 0 / [] when absent). */
export interface TopicMessageProperties {
  /** 1: the payload is UTF-8 text; 0: unspecified bytes. */
  payloadFormatIndicator: number;
  contentType: string;
  responseTopic: string;
  /** Base64. */
  correlationData: string;
  /** When it expires, ms since the epoch; 0: never. */
  expiresAtMs: number;
  /** In the order they were published. */
  userProperties: { key: string; value: string }[];
}

export interface MessagePage {
  topic: string;
  partition: number;
  messages: TopicMessage[];
  /** The offset to read from next: after the last message returned. */
  nextOffset: number;
  /** The oldest offset the partition keeps now. */
  firstOffset: number;
  /** The offset the next message published to the partition gets: nextOffset < endOffset means more to read. */
  endOffset: number;
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
  /**
   * Messages of one partition of a topic's log, from an offset or a time. RMQ_ERR_TOPIC_NOT_FOUND
   * when the topic has not been created; RMQ_ERR_INVALID_ARGUMENT for a partition out of range, an
   * offset past the end, or both offset and fromTimeMs; RMQ_ERR_UNSUPPORTED with worker processes.
   */
  readMessages(request: ReadMessagesRequest): Promise<MessagePage>;
  /** Releases what the implementation holds (the gRPC channel); the broker is not stopped. */
  close(): Promise<void>;
}
