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
  /** Process id of the node (the primary process with workers). */
  pid: number;
  /** The admin gRPC endpoint, host:port ('' when it is off). */
  adminGrpcAddress: string;
  /** The admin REST endpoint, host:port ('' when it is off). */
  restAddress: string;
  /** Admin calls (gRPC and REST) refused for a missing, unknown, revoked or expired token since start. */
  adminAuthFailures: number;
  /** MQTT CONNECTs refused by authentication (bad credentials, not authorized, provider unavailable) since start. */
  mqttAuthFailures: number;
  /** Every MQTT listener as a URL, the named ones followed by their name, e.g. "mqtts://0.0.0.0:8883 (tls1)". */
  listeners: string[];
}

export interface ClusterStatus {
  clusterName: string;
  /** The node that answered comes first. */
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

/** A user of password authentication, as the admin API shows it: never the password or its hash. */
export interface UserInfo {
  username: string;
  superuser: boolean;
  createdAtMs: number;
}

export interface CreateUserRequest {
  /** Non-empty UTF-8, no U+0000, at most 65535 bytes (an MQTT string). */
  username: string;
  /** Non-empty UTF-8, at most 65535 bytes. Stored as a scrypt hash only. */
  password: string;
  superuser?: boolean;
}

/** A user brought in with its password hash (robustmq-cli user import). */
export interface ImportedUser {
  username: string;
  /** $7$ (PBKDF2-SHA512) or $6$ (salted SHA-512) as mosquitto_passwd writes them, or scrypt$. */
  passwordHash: string;
  superuser?: boolean;
}

export interface ImportUsersRequest {
  users: ImportedUser[];
  /** Replace the hash of users that exist already; else they are skipped. */
  overwrite?: boolean;
}

export interface ImportUsersResult {
  created: number;
  updated: number;
  /** Users that existed already and were left as they are. */
  skipped: string[];
}

export interface UserFilter {
  /** Users whose name contains this text. */
  username?: string;
  limit?: number;
  pageToken?: string;
}

export type AclPermission = 'allow' | 'deny';
export type AclAction = 'publish' | 'subscribe' | 'all';
/** Whom a rule applies to: one username, one client id, the clients of an IP address / CIDR range, or every client. */
export type AclPrincipalKind = 'user' | 'client' | 'ip' | 'all';

/** One ACL rule. Rules are kept in evaluation order: the order they were created in. */
export interface AclRule {
  id: string;
  principalKind: AclPrincipalKind;
  /** The username, client id, or IP address / CIDR range; '' when principalKind is 'all'. */
  principal: string;
  /** Topic filter; may hold the placeholders ${username} and ${clientid}; `eq <filter>` matches that filter only. */
  filter: string;
  action: AclAction;
  permission: AclPermission;
  /** The QoS levels the rule applies to; absent = any. */
  qos?: number[];
  /** Only PUBLISHes with (true) or without (false) RETAIN; absent = any. */
  retain?: boolean;
  createdAtMs: number;
}

export interface CreateAclRequest {
  principalKind: AclPrincipalKind;
  /** Required for 'user' and 'client'; must be '' or absent for 'all'. */
  principal?: string;
  filter: string;
  action: AclAction;
  permission: AclPermission;
  /** The QoS levels the rule applies to (0, 1, 2); absent = any. */
  qos?: number[];
  /** Only PUBLISHes with (true) or without (false) RETAIN (not with action 'subscribe'); absent = any. */
  retain?: boolean;
}

export interface AclFilter {
  /** Only the rules naming this username (principalKind 'user'). */
  username?: string;
  /** Only the rules naming this client id (principalKind 'client'). */
  clientId?: string;
  limit?: number;
  pageToken?: string;
}

export type BanKind = 'clientid' | 'username' | 'ip' | 'regex';

/** A banned client id, username, IP address / CIDR range, or regular expression (over client ids and usernames). */
export interface BanInfo {
  kind: BanKind;
  value: string;
  reason: string;
  /** When the ban ends, ms since the epoch; 0 = never. */
  untilMs: number;
  createdAtMs: number;
}

export interface CreateBanRequest {
  kind: BanKind;
  value: string;
  reason?: string;
  /** The ban ends at this time (ms since the epoch, in the future). Not with durationMs. */
  untilMs?: number;
  /** The ban ends this long from now. Not with untilMs. Neither: it never ends. */
  durationMs?: number;
}

export interface BanFilter {
  kind?: BanKind;
  limit?: number;
  pageToken?: string;
}

/** A configuration value: what the TOML file holds for the key. */
export type ConfigValue = string | number | boolean | string[];

/** One key of the configuration the broker runs with. */
export interface ConfigEntry {
  /** section.key, e.g. limits.max_queued_messages. */
  key: string;
  /** Secrets (passwords, tokens, connection strings) are "***" when set. */
  value: ConfigValue;
  /** Whether setConfig can change it while the broker runs. */
  runtime: boolean;
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

/** An admin API token as listed: never its secret or the secret's hash. */
export interface AdminTokenInfo {
  /** The public part of the token (`rmq_<id>_<secret>`); `bootstrap` for the admin.bootstrap_token_file one. */
  id: string;
  name: string;
  createdAtMs: number;
  /** 0 = never expires. */
  expiresAtMs: number;
  /** The last call made with it (kept to about a minute); 0 = never used. */
  lastUsedAtMs: number;
}

export interface CreateTokenRequest {
  /** Who or what uses the token (1-64 characters). */
  name: string;
  /** The token is refused this many milliseconds after its creation; 0 or absent = never expires. */
  expiresInMs?: number;
}

/** A token just created: the only time the token itself is shown (the broker keeps only its hash). */
export interface CreatedToken extends AdminTokenInfo {
  token: string;
}

export interface TokenFilter {
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

/** A (client id, topic) pair whose delivery took longer than slow_subs.threshold_ms. */
export interface SlowSubscriptionInfo {
  clientId: string;
  topic: string;
  /** The latest slow delivery's latency, ms (what slow_subs.stats_type measures). */
  latencyMs: number;
  /** When it was last recorded, ms since the epoch. */
  updatedAtMs: number;
  node: string;
}

export interface SlowSubscriptionFilter {
  limit?: number;
  pageToken?: string;
}

/** Which alarms: those active now, those deactivated (the history), or both. */
export type AlarmState = 'activated' | 'deactivated' | 'all';

export interface AlarmInfo {
  /** high_memory, high_cpu, event_loop_lag, too_many_connections, storage_write_failed. */
  name: string;
  message: string;
  /** What was measured: value, threshold and unit, or the error. */
  details: Record<string, string | number>;
  activatedAtMs: number;
  /** 0 while active. */
  deactivatedAtMs: number;
  activated: boolean;
  node: string;
}

export interface AlarmFilter {
  /** Default 'activated'. */
  state?: AlarmState;
  limit?: number;
  pageToken?: string;
}

export type TopicRewriteAction = 'publish' | 'subscribe' | 'all';

/** A topic rewrite rule (docs/features.md, "Topic rewrite"). */
export interface TopicRewriteInfo {
  /** "config-N" for the N-th rule of the config file; 8 hex digits for a runtime rule. */
  id: string;
  /** 1-based place in the list; when several rules match a topic, the one with the highest position applies. */
  position: number;
  action: TopicRewriteAction;
  /** The topic filter a topic (or subscription filter) must match. */
  sourceTopic: string;
  /** JavaScript regular expression; its groups fill $1..$9 of destTopic. */
  regex: string;
  /** The new topic: text with $1..$9, ${clientid} and ${username}. */
  destTopic: string;
  /** "config": from the config file (changed there); "api": made through the admin API, stored. */
  source: 'config' | 'api';
  /** 0 for config-file rules. */
  createdAtMs: number;
}

export interface CreateTopicRewriteRequest {
  action: TopicRewriteAction;
  sourceTopic: string;
  regex: string;
  destTopic: string;
  /** 1-based place in the whole list (after the config file's rules); absent: at the end. Not with before. */
  position?: number;
  /** The id of a runtime rule the new one goes just before. Not with position. */
  before?: string;
}

export interface TopicRewriteFilter {
  limit?: number;
  pageToken?: string;
}

export interface DelayedFilter {
  /** Only messages whose destination topic contains this text. */
  topic?: string;
  limit?: number;
  pageToken?: string;
}

/** A delayed message held until its due time ($delayed/{seconds}/{topic}), without its payload. */
export interface DelayedInfo {
  /** Sorts by due time: `{dueAtMs}-{sequence}`. */
  id: string;
  /** The destination topic it is published to. */
  topic: string;
  qos: number;
  retain: boolean;
  payloadBytes: number;
  /** When the broker received it, ms since the epoch. */
  publishedAtMs: number;
  /** When it is published, ms since the epoch. */
  dueAtMs: number;
  /** When its Message Expiry Interval (counted from publication) ends; 0: never. */
  expiresAtMs: number;
  /** Client id of the publisher. */
  origin: string;
}

export interface DelayedMessage extends DelayedInfo {
  /** The payload as text when it is valid UTF-8, else base64 (see payloadEncoding). */
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  properties: RetainedProperties;
}

/** The kinds of payload schema. */
export const SCHEMA_TYPES = ['json', 'avro', 'protobuf'] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

/** A payload schema: PUBLISHes to the topic filters it is bound to must match it. */
export interface SchemaInfo {
  name: string;
  type: SchemaType;
  /** JSON Schema or Avro schema (JSON text), or .proto text. */
  definition: string;
  /** Protobuf: the message type payloads are (its full name); '' for the other types. */
  messageType: string;
  description: string;
  /** The topic filters it is bound to, in filter order. */
  topics: string[];
  /** 'config': from [schema.schemas.<name>] of the configuration file; 'api': created through the admin API (stored). */
  source: 'config' | 'api';
  /** PUBLISHes whose payload it refused since the broker started. */
  invalidCount: number;
  createdAtMs: number;
}

export interface CreateSchemaRequest {
  /** 1 to 64 letters, digits, '_', '-' or '.'. */
  name: string;
  type: SchemaType;
  definition: string;
  /** Protobuf: the message type; may be left out when the definition declares one message only. */
  messageType?: string;
  description?: string;
}

export interface SchemaFilter {
  /** Schemas whose name contains this text. */
  name?: string;
  limit?: number;
  pageToken?: string;
}

/** A schema bound to a topic filter. */
export interface SchemaBindingInfo {
  schema: string;
  topic: string;
  source: 'config' | 'api';
  createdAtMs: number;
}

export interface SchemaBindingFilter {
  /** Only the bindings of this schema. */
  schema?: string;
  limit?: number;
  pageToken?: string;
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
  /**
   * Users of password authentication (stored, not enforced yet: the authentication issue checks
   * them at CONNECT). RMQ_ERR_USER_EXISTS when the name is taken, RMQ_ERR_INVALID_ARGUMENT for a
   * bad username or password.
   */
  createUser(request: CreateUserRequest): Promise<UserInfo>;
  /** In username order. */
  listUsers(filter?: UserFilter): Promise<Page<UserInfo>>;
  /** RMQ_ERR_USER_NOT_FOUND when there is none of that name. */
  deleteUser(username: string): Promise<void>;
  /** RMQ_ERR_USER_NOT_FOUND when there is none of that name. */
  setUserPassword(username: string, password: string): Promise<void>;
  /**
   * Users with their password hashes as they are (at most 10000 per call). Every user is checked
   * before any is written: RMQ_ERR_INVALID_ARGUMENT for a bad username, a hash that is not $7$, $6$
   * or scrypt$, or a username given twice.
   */
  importUsers(request: ImportUsersRequest): Promise<ImportUsersResult>;
  /** Appends a rule (evaluated last). RMQ_ERR_TOPIC_INVALID for a bad filter. */
  createAcl(request: CreateAclRequest): Promise<AclRule>;
  /** In evaluation order. */
  listAcls(filter?: AclFilter): Promise<Page<AclRule>>;
  /** RMQ_ERR_ACL_NOT_FOUND when there is no rule with that id. */
  deleteAcl(id: string): Promise<void>;
  /** Bans (or bans again, replacing reason and end) a client id, username or IP range. */
  createBan(request: CreateBanRequest): Promise<BanInfo>;
  /** Bans in force, by kind then value; ended ones are removed, not listed. */
  listBans(filter?: BanFilter): Promise<Page<BanInfo>>;
  /** RMQ_ERR_BAN_NOT_FOUND when that kind and value is not banned. */
  deleteBan(kind: BanKind, value: string): Promise<void>;
  /** Every key as the broker runs it, or one key; RMQ_ERR_CONFIG_KEY when there is no such key. */
  getConfig(key?: string): Promise<ConfigEntry[]>;
  /**
   * Changes a runtime key (ConfigEntry.runtime) in the running broker only: the configuration file is
   * not written. `value` is text read as the key's type, like a ROBUSTMQ_* variable. RMQ_ERR_CONFIG_KEY
   * for an unknown key or one that needs a restart; RMQ_ERR_CONFIG_INVALID when the schema refuses the value.
   */
  setConfig(key: string, value: string): Promise<ConfigEntry>;
  /**
   * Messages of one partition of a topic's log, from an offset or a time. RMQ_ERR_TOPIC_NOT_FOUND
   * when the topic has not been created; RMQ_ERR_INVALID_ARGUMENT for a partition out of range, an
   * offset past the end, or both offset and fromTimeMs; RMQ_ERR_UNSUPPORTED with worker processes.
   */
  readMessages(request: ReadMessagesRequest): Promise<MessagePage>;
  /** A new admin token; RMQ_ERR_INVALID_ARGUMENT for a bad name or expiry. */
  createToken(request: CreateTokenRequest): Promise<CreatedToken>;
  /** Admin tokens in creation order (the bootstrap token first when there is one). */
  listTokens(filter?: TokenFilter): Promise<Page<AdminTokenInfo>>;
  /** Revokes (deletes) a token: its next call is refused. RMQ_ERR_TOKEN_NOT_FOUND when there is none of that id. */
  revokeToken(id: string): Promise<void>;
  /** The slowest (client id, topic) pairs, slowest first; empty while slow_subs.enabled is false. */
  listSlowSubscriptions(filter?: SlowSubscriptionFilter): Promise<Page<SlowSubscriptionInfo>>;
  /** Empties the slow subscriptions list. */
  clearSlowSubscriptions(): Promise<void>;
  /** Active alarms by name, then (history) deactivated ones newest first. RMQ_ERR_UNSUPPORTED with workers. */
  listAlarms(filter?: AlarmFilter): Promise<Page<AlarmInfo>>;
  /** Deletes the history of deactivated alarms (active ones stay). RMQ_ERR_UNSUPPORTED with workers. */
  clearAlarmHistory(): Promise<void>;
  /**
   * A runtime topic rewrite rule, stored; RMQ_ERR_INVALID_ARGUMENT for a bad rule (an invalid regex...)
   * or place; RMQ_ERR_UNSUPPORTED with worker processes.
   */
  createTopicRewrite(request: CreateTopicRewriteRequest): Promise<TopicRewriteInfo>;
  /** Every rule in list order (the config file's first); RMQ_ERR_UNSUPPORTED with worker processes. */
  listTopicRewrites(filter?: TopicRewriteFilter): Promise<Page<TopicRewriteInfo>>;
  /** RMQ_ERR_TOPIC_REWRITE_NOT_FOUND for an unknown id; RMQ_ERR_INVALID_ARGUMENT for a config-file rule. */
  deleteTopicRewrite(id: string): Promise<void>;
  /** Delayed messages held now, in due-time order (by id). RMQ_ERR_UNSUPPORTED with worker processes. */
  listDelayed(filter?: DelayedFilter): Promise<Page<DelayedInfo>>;
  /** One held delayed message with its payload; RMQ_ERR_DELAYED_NOT_FOUND when none has that id. */
  getDelayed(id: string): Promise<DelayedMessage>;
  /** Cancels a held delayed message (it is never published); RMQ_ERR_DELAYED_NOT_FOUND when none has that id. */
  deleteDelayed(id: string): Promise<void>;
  /**
   * Adds an auto-subscribe rule (stored; applies to clients that connect from now on).
   * RMQ_ERR_TOPIC_INVALID for a bad topic or placeholder, RMQ_ERR_INVALID_ARGUMENT for a bad option,
   * RMQ_ERR_AUTO_SUBSCRIBE_EXISTS when a rule has that topic already.
   */
  createAutoSubscribe(request: CreateAutoSubscribeRequest): Promise<AutoSubscribeRule>;
  /** The rules of the configuration file (in file order), then the runtime ones (in creation order). */
  listAutoSubscribes(filter?: AutoSubscribeFilter): Promise<Page<AutoSubscribeRule>>;
  /**
   * Deletes a runtime rule by id, or by topic. RMQ_ERR_AUTO_SUBSCRIBE_NOT_FOUND when none has it;
   * RMQ_ERR_CONFIG_DEFINED for a rule of the configuration file.
   */
  deleteAutoSubscribe(idOrTopic: string): Promise<void>;
  /** Exclusive subscriptions held now, in filter order. */
  listExclusive(filter?: ExclusiveFilter): Promise<Page<ExclusiveInfo>>;
  /**
   * Removes the holder's `$exclusive/{filter}` subscription (as an UNSUBSCRIBE on its session would),
   * so another client may take it. RMQ_ERR_EXCLUSIVE_NOT_FOUND when nobody holds the filter.
   */
  deleteExclusive(filter: string): Promise<void>;
  /** Releases what the implementation holds (the gRPC channel); the broker is not stopped. */
  close(): Promise<void>;
  /**
   * A payload schema, compiled before it is stored: RMQ_ERR_INVALID_ARGUMENT for a bad name or a
   * definition that does not compile (the reason in one line), RMQ_ERR_SCHEMA_EXISTS for a name taken.
   */
  createSchema(request: CreateSchemaRequest): Promise<SchemaInfo>;
  /** Schemas in name order, with their bindings and invalid-payload counts. */
  listSchemas(filter?: SchemaFilter): Promise<Page<SchemaInfo>>;
  /** RMQ_ERR_SCHEMA_NOT_FOUND when there is none of that name. */
  getSchema(name: string): Promise<SchemaInfo>;
  /** RMQ_ERR_SCHEMA_IN_USE while it is bound (unbind first); RMQ_ERR_INVALID_ARGUMENT for a configuration-file schema. */
  deleteSchema(name: string): Promise<void>;
  /** Binds a schema to a topic filter (again: nothing changes). RMQ_ERR_TOPIC_INVALID for a bad filter. */
  bindSchema(name: string, topic: string): Promise<SchemaBindingInfo>;
  /** RMQ_ERR_SCHEMA_BINDING_NOT_FOUND when it is not bound to that filter. */
  unbindSchema(name: string, topic: string): Promise<void>;
  /** Bindings in (schema, filter) order. */
  listSchemaBindings(filter?: SchemaBindingFilter): Promise<Page<SchemaBindingInfo>>;
}

/** A subscription every client gets when it connects (src/server/features/auto-subscribe.ts). */
export interface AutoSubscribeRule {
  /** `config-1`, `config-2`... for the rules of the configuration file; generated for the others. */
  id: string;
  /** A topic filter that may hold `${clientid}`, `${username}` and `${host}` (the client's IP address). */
  topic: string;
  qos: number;
  /** MQTT 5 subscription options (a 3.x client gets the 3.1.1 behaviour). */
  noLocal: boolean;
  retainAsPublished: boolean;
  /** 0: send retained messages at subscribe; 1: only for a new subscription; 2: never. */
  retainHandling: number;
  /** "config": from [[auto_subscribe.rules]] (read-only at runtime); "api": created through the admin API. */
  source: 'config' | 'api';
  /** 0 for the rules of the configuration file. */
  createdAtMs: number;
}

export interface CreateAutoSubscribeRequest {
  topic: string;
  /** Default 0. */
  qos?: number;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  /** Default 0. */
  retainHandling?: number;
}

export interface AutoSubscribeFilter {
  limit?: number;
  pageToken?: string;
}

/** A filter held by one client through `$exclusive/{filter}`. */
export interface ExclusiveInfo {
  /** The filter without `$exclusive/`. */
  filter: string;
  clientId: string;
  /** Since when it holds it, ms since the epoch (the broker's start for a holder restored from storage). */
  sinceMs: number;
}

export interface ExclusiveFilter {
  /** Filters containing this text. */
  filter?: string;
  clientId?: string;
  limit?: number;
  pageToken?: string;
}
