// JSON schemas of the admin REST routes: they validate requests, shape responses, and are what
// @fastify/swagger turns into the OpenAPI document. Field names follow the AdminApi (camelCase),
// query parameters the gRPC request fields (snake_case).
import { MAX_PAGE_SIZE } from '../../lib/admin-api.js';

const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;

const errorResponse = {
  description: 'An error: a stable RMQ_ERR_* code and a message for people.',
  type: 'object',
  properties: {
    error: { type: 'object', properties: { code: str, message: str }, required: ['code', 'message'] },
  },
} as const;

const errors = {
  400: errorResponse,
  401: { ...errorResponse, description: 'No valid admin token (admin auth on): send Authorization: Bearer <token>.' },
  404: errorResponse,
  409: errorResponse,
  500: errorResponse,
} as const;

const nodeStatus = {
  type: 'object',
  properties: {
    name: str,
    version: str,
    startedAtMs: int,
    uptimeMs: int,
    connections: int,
    sessions: int,
    subscriptions: int,
    retained: int,
    messagesReceived: int,
    messagesSent: int,
    messagesDropped: int,
    bytesReceived: int,
    bytesSent: int,
    storageEngine: str,
    mqttAddress: str,
    workers: int,
    pid: int,
    adminGrpcAddress: str,
    restAddress: str,
    adminAuthFailures: int,
    mqttAuthFailures: int,
    listeners: { type: 'array', items: str },
  },
} as const;

const clientInfo = {
  type: 'object',
  properties: {
    clientId: str,
    username: str,
    ip: str,
    port: int,
    transport: str,
    protocolVersion: int,
    keepaliveS: int,
    cleanStart: { type: 'boolean' },
    connectedAtMs: int,
    subscriptions: int,
    inflight: int,
    queued: int,
    node: str,
  },
} as const;

const topicInfo = {
  type: 'object',
  properties: {
    name: str,
    partitions: int,
    retentionMs: int,
    retentionBytes: int,
    createdAtMs: int,
    messages: int,
    partitionInfo: {
      type: 'array',
      items: { type: 'object', properties: { partition: int, firstOffset: int, nextOffset: int } },
    },
  },
} as const;

const paging = {
  limit: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    description: `Page size (default 100, at most ${MAX_PAGE_SIZE}).`,
  },
  page_token: { type: 'string', description: 'The nextPageToken of the previous page.' },
} as const;

export const health = {
  summary: 'Liveness (the process answers) or readiness (it serves MQTT clients).',
  tags: ['health'],
  response: {
    200: { type: 'object', properties: { status: str } },
    503: { type: 'object', properties: { status: str } },
  },
} as const;

export const clusterInfo = {
  summary: 'The cluster: its nodes, version, uptime, connections, message counters, storage.',
  tags: ['cluster'],
  response: {
    200: { type: 'object', properties: { clusterName: str, nodes: { type: 'array', items: nodeStatus } } },
    ...errors,
  },
} as const;

export const messageMetrics = {
  summary: 'Message counters summed over the nodes since they started.',
  tags: ['metrics'],
  response: {
    200: {
      type: 'object',
      properties: { received: int, sent: int, dropped: int, bytesReceived: int, bytesSent: int },
    },
    ...errors,
  },
} as const;

export const listClients = {
  summary: 'Connected clients in client-id order, filtered and paged on the server.',
  tags: ['clients'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      client_id: { type: 'string', description: 'Only clients whose id contains this text.' },
      username: str,
      ip: str,
      ...paging,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: { clients: { type: 'array', items: clientInfo }, nextPageToken: str, total: int },
    },
    ...errors,
  },
} as const;

export const createTopic = {
  summary: 'Create a topic with a message log. Unset fields take the broker defaults ([topics]).',
  tags: ['topics'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1 },
      partitions: { type: 'integer', minimum: 1, maximum: 1024 },
      retentionMs: { type: 'integer', minimum: 0, description: '0 = no age limit.' },
      retentionBytes: { type: 'integer', minimum: 0, description: 'Per partition; 0 = no size limit.' },
    },
  },
  response: { 201: topicInfo, ...errors },
} as const;

export const listTopics = {
  summary: 'Created topics in name order, filtered and paged on the server.',
  tags: ['topics'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { name: { type: 'string', description: 'Only topics whose name contains this text.' }, ...paging },
  },
  response: {
    200: {
      type: 'object',
      properties: { topics: { type: 'array', items: topicInfo }, nextPageToken: str, total: int },
    },
    ...errors,
  },
} as const;

export const describeTopic = {
  summary: "A topic's settings and each partition's offsets. The path after /topics/ is the name (it may hold '/').",
  tags: ['topics'],
  response: { 200: topicInfo, ...errors },
} as const;

export const deleteTopic = {
  summary: 'Delete a topic and its log.',
  tags: ['topics'],
  response: { 204: { type: 'null', description: 'Deleted.' }, ...errors },
} as const;

const subscriptionInfo = {
  type: 'object',
  properties: {
    filter: str,
    qos: int,
    noLocal: { type: 'boolean' },
    retainAsPublished: { type: 'boolean' },
    retainHandling: int,
    subscriptionId: int,
  },
} as const;

export const describeClient = {
  summary: 'One connected client and its subscriptions. The path after /clients/ is the client id.',
  tags: ['clients'],
  response: {
    200: {
      type: 'object',
      properties: {
        client: clientInfo,
        subscriptions: { type: 'array', items: subscriptionInfo },
        sessionExpiryS: int,
      },
    },
    ...errors,
  },
} as const;

export const kickClient = {
  summary: 'Disconnect a client (MQTT 5: DISCONNECT 0x98 Administrative action); its session follows its expiry.',
  tags: ['clients'],
  response: { 204: { type: 'null', description: 'Disconnected.' }, ...errors },
} as const;

const bool = { type: 'boolean' } as const;

const sessionInfo = {
  type: 'object',
  properties: {
    clientId: str,
    connected: bool,
    protocolVersion: int,
    expiryIntervalS: int,
    disconnectedAtMs: int,
    expiresAtMs: int,
    subscriptions: int,
    queued: int,
    inflight: int,
    node: str,
  },
} as const;

export const listSessions = {
  summary: 'Every session of the node, connected or not, in client-id order, filtered and paged on the server.',
  tags: ['sessions'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      client_id: { type: 'string', description: 'Only sessions whose client id contains this text.' },
      connected: {
        type: 'boolean',
        description: 'true: only sessions with a connection now; false: only those without.',
      },
      ...paging,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: { sessions: { type: 'array', items: sessionInfo }, nextPageToken: str, total: int },
    },
    ...errors,
  },
} as const;

export const describeSession = {
  summary: 'One session with its subscriptions and queue figures. The path after /sessions/ is the client id.',
  tags: ['sessions'],
  response: {
    200: {
      type: 'object',
      properties: {
        session: sessionInfo,
        subscriptions: { type: 'array', items: subscriptionInfo },
        awaitingRelease: int,
        willPending: bool,
      },
    },
    ...errors,
  },
} as const;

export const deleteSession = {
  summary:
    'End a session and remove it from storage; a connected client is disconnected first (MQTT 5: DISCONNECT 0x98).',
  tags: ['sessions'],
  response: { 204: { type: 'null', description: 'Deleted.' }, ...errors },
} as const;

export const listSubscriptions = {
  summary: 'Every subscription of the node, in client-id then filter order, filtered and paged on the server.',
  tags: ['subscriptions'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      client_id: { type: 'string', description: 'Only subscriptions of clients whose id contains this text.' },
      filter: {
        type: 'string',
        description: 'Only subscriptions whose filter (as sent, $share/... included) contains this text.',
      },
      ...paging,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        subscriptions: {
          type: 'array',
          items: { type: 'object', properties: { clientId: str, ...subscriptionInfo.properties } },
        },
        nextPageToken: str,
        total: int,
      },
    },
    ...errors,
  },
} as const;

const retainedInfoProperties = {
  topic: str,
  qos: int,
  payloadBytes: int,
  storedAtMs: int,
  expiresAtMs: int,
  origin: str,
} as const;

export const listRetained = {
  summary: 'Retained messages in topic order (without payloads), filtered by a topic filter and paged.',
  tags: ['retained'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      topic: {
        type: 'string',
        description: "An MQTT topic filter: '+' and '#' as in SUBSCRIBE (URL-encode them: %2B, %23).",
      },
      ...paging,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        retained: { type: 'array', items: { type: 'object', properties: retainedInfoProperties } },
        nextPageToken: str,
        total: int,
      },
    },
    ...errors,
  },
} as const;

export const getRetained = {
  summary:
    'One retained message with its payload (text when valid UTF-8, else base64: see payloadEncoding) and MQTT 5 properties. The path after /retained/ is the topic.',
  tags: ['retained'],
  response: {
    200: {
      type: 'object',
      properties: {
        ...retainedInfoProperties,
        payload: str,
        payloadEncoding: { type: 'string', enum: ['utf8', 'base64'] },
        properties: {
          type: 'object',
          properties: {
            payloadFormatIndicator: int,
            messageExpiryIntervalS: int,
            contentType: str,
            responseTopic: str,
            correlationData: str,
            userProperties: {
              type: 'array',
              items: { type: 'object', properties: { key: str, value: str } },
            },
          },
        },
      },
    },
    ...errors,
  },
} as const;

export const deleteRetained = {
  summary: 'Remove a retained message, as an empty retained PUBLISH would (nothing is sent to subscribers).',
  tags: ['retained'],
  response: { 204: { type: 'null', description: 'Deleted.' }, ...errors },
} as const;

// ---- users, ACL rules, banned clients

const mqttString = { type: 'string', minLength: 1 } as const;

const userInfo = {
  type: 'object',
  description: 'A user of password authentication: never the password or its hash.',
  properties: { username: str, superuser: { type: 'boolean' }, createdAtMs: int },
} as const;

export const createUser = {
  summary:
    'Create a user of password authentication (stored as a scrypt hash; checked at CONNECT once authentication exists).',
  tags: ['users'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['username', 'password'],
    properties: {
      username: { ...mqttString, description: 'Non-empty UTF-8, no U+0000, at most 65535 bytes.' },
      password: { ...mqttString, description: 'Non-empty UTF-8, at most 65535 bytes.' },
      superuser: { type: 'boolean' },
    },
  },
  response: { 201: userInfo, ...errors },
} as const;

export const importUsers = {
  summary:
    'Import users with their password hashes as they are ($7$ and $6$ as mosquitto_passwd writes them, or scrypt$); every user is checked before any is written.',
  tags: ['users'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['users'],
    properties: {
      users: {
        type: 'array',
        maxItems: 10000,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'passwordHash'],
          properties: {
            username: { ...mqttString, description: 'Non-empty UTF-8, no U+0000, at most 65535 bytes.' },
            passwordHash: { ...mqttString, description: '$7$..., $6$... or scrypt$...' },
            superuser: { type: 'boolean' },
          },
        },
      },
      overwrite: {
        type: 'boolean',
        description: 'Replace the hash of users that exist already; else they are skipped.',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: { created: int, updated: int, skipped: { type: 'array', items: str } },
    },
    ...errors,
  },
} as const;

export const listUsers = {
  summary: 'Users in username order, paged.',
  tags: ['users'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { username: { type: 'string', description: 'Only users whose name contains this text.' }, ...paging },
  },
  response: {
    200: { type: 'object', properties: { users: { type: 'array', items: userInfo }, nextPageToken: str, total: int } },
    ...errors,
  },
} as const;

const tokenFields = {
  id: str,
  name: str,
  createdAtMs: int,
  expiresAtMs: { type: 'integer', description: '0 = never expires.' },
  lastUsedAtMs: { type: 'integer', description: '0 = never used.' },
} as const;

export const createToken = {
  summary: 'Create an admin token. The answer holds the token itself, the only time it is shown.',
  tags: ['tokens'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 64 },
      expiresInMs: { type: 'integer', minimum: 0, description: 'Refused this long after creation; 0 = never.' },
    },
  },
  response: { 201: { type: 'object', properties: { ...tokenFields, token: str } }, ...errors },
} as const;

export const listTokens = {
  summary: 'Admin tokens in creation order: never a secret or hash.',
  tags: ['tokens'],
  querystring: { type: 'object', additionalProperties: false, properties: { ...paging } },
  response: {
    200: {
      type: 'object',
      properties: {
        tokens: { type: 'array', items: { type: 'object', properties: tokenFields } },
        nextPageToken: str,
        total: int,
      },
    },
    ...errors,
  },
} as const;

export const deleteUser = {
  summary: "Delete a user. The path after /users/ is the username (it may hold '/').",
  tags: ['users'],
  response: { 204: { type: 'null', description: 'Deleted.' }, ...errors },
} as const;

export const setUserPassword = {
  summary: "Replace a user's password: PUT /users/{username}/password (the username may hold '/').",
  tags: ['users'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['password'],
    properties: { password: { ...mqttString, description: 'Non-empty UTF-8, at most 65535 bytes.' } },
  },
  response: { 204: { type: 'null', description: 'Changed.' }, ...errors },
} as const;

const aclRule = {
  type: 'object',
  properties: {
    id: str,
    principalKind: { type: 'string', enum: ['user', 'client', 'ip', 'all'] },
    principal: str,
    filter: str,
    action: { type: 'string', enum: ['publish', 'subscribe', 'all'] },
    permission: { type: 'string', enum: ['allow', 'deny'] },
    qos: { type: 'array', items: { type: 'integer' }, description: 'Absent: any QoS.' },
    retain: { type: 'boolean', description: 'Absent: any.' },
    createdAtMs: int,
  },
} as const;

export const createAcl = {
  summary: 'Append an ACL rule (evaluated after the existing ones; the first rule that matches decides).',
  tags: ['acl'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['principalKind', 'filter', 'action', 'permission'],
    properties: {
      principalKind: { type: 'string', enum: ['user', 'client', 'ip', 'all'] },
      principal: {
        type: 'string',
        description: "The username, client id, or IP address / CIDR range; '' or absent for all.",
      },
      filter: {
        type: 'string',
        description:
          'MQTT topic filter; may hold the placeholders ${username} and ${clientid}; `eq <filter>` matches that filter string only.',
      },
      action: { type: 'string', enum: ['publish', 'subscribe', 'all'] },
      permission: { type: 'string', enum: ['allow', 'deny'] },
      qos: {
        type: 'array',
        items: { type: 'integer', enum: [0, 1, 2] },
        minItems: 1,
        description: 'The QoS levels the rule applies to; absent: any.',
      },
      retain: { type: 'boolean', description: 'Only PUBLISHes with (true) or without (false) RETAIN; absent: any.' },
    },
  },
  response: { 201: aclRule, ...errors },
} as const;

export const listAcls = {
  summary: 'ACL rules in evaluation order, paged.',
  tags: ['acl'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      username: { type: 'string', description: 'Only the rules naming this username.' },
      client_id: { type: 'string', description: 'Only the rules naming this client id.' },
      ...paging,
    },
  },
  response: {
    200: { type: 'object', properties: { rules: { type: 'array', items: aclRule }, nextPageToken: str, total: int } },
    ...errors,
  },
} as const;

export const deleteAcl = {
  summary: 'Remove an ACL rule by id.',
  tags: ['acl'],
  params: { type: 'object', properties: { id: str }, required: ['id'] },
  response: { 204: { type: 'null', description: 'Removed.' }, ...errors },
} as const;

const banKind = { type: 'string', enum: ['clientid', 'username', 'ip', 'regex'] } as const;

const banInfo = {
  type: 'object',
  properties: {
    kind: banKind,
    value: str,
    reason: str,
    untilMs: { type: 'integer', description: 'When the ban ends, ms since the epoch; 0 = never.' },
    createdAtMs: int,
  },
} as const;

export const createBan = {
  summary:
    'Ban a client id, a username, an IP address / CIDR range or a regular expression (again: replaces reason and end). Banned clients are refused at CONNECT (v5 0x8A, 3.1.1 return code 5); connected ones are disconnected.',
  tags: ['blacklist'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'value'],
    properties: {
      kind: banKind,
      value: {
        ...mqttString,
        description:
          'The client id, username, IP address / CIDR range, or regular expression (matched against client ids and usernames).',
      },
      reason: str,
      untilMs: { type: 'integer', minimum: 1, description: 'The end, ms since the epoch (not with durationMs).' },
      durationMs: { type: 'integer', minimum: 1, description: 'The length from now (not with untilMs).' },
    },
  },
  response: { 201: banInfo, ...errors },
} as const;

export const listBans = {
  summary: 'Bans in force by kind then value, paged; ended bans are removed, not listed.',
  tags: ['blacklist'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { kind: banKind, ...paging },
  },
  response: {
    200: { type: 'object', properties: { bans: { type: 'array', items: banInfo }, nextPageToken: str, total: int } },
    ...errors,
  },
} as const;

export const deleteBan = {
  summary: "Lift a ban. The path is /blacklist/{kind}/{value}; the value may hold '/' (a CIDR range).",
  tags: ['blacklist'],
  response: { 204: { type: 'null', description: 'Lifted.' }, ...errors },
} as const;

const configEntry = {
  type: 'object',
  properties: {
    key: { type: 'string', description: 'section.key, e.g. limits.max_queued_messages.' },
    value: { description: 'The value the broker runs with (number, boolean, string or list); secrets are "***".' },
    runtime: { type: 'boolean', description: 'Whether PUT /api/v1/config/{key} can change it.' },
  },
} as const;

const configKeyParam = {
  type: 'object',
  properties: { key: { type: 'string', description: 'section.key, e.g. limits.max_connections.' } },
  required: ['key'],
} as const;

export const listConfig = {
  summary: 'The configuration the broker runs with: every key (secrets redacted as "***").',
  tags: ['config'],
  response: { 200: { type: 'object', properties: { entries: { type: 'array', items: configEntry } } }, ...errors },
} as const;

export const getConfigKey = {
  summary: 'One configuration key as the broker runs it. 400 (RMQ_ERR_CONFIG_KEY) for an unknown key.',
  tags: ['config'],
  params: configKeyParam,
  response: { 200: configEntry, ...errors },
} as const;

export const setConfigKey = {
  summary:
    'Change a runtime key in the running broker only (the configuration file is not written). 400: RMQ_ERR_CONFIG_KEY (unknown, or needs a restart) or RMQ_ERR_CONFIG_INVALID (bad value).',
  tags: ['config'],
  params: configKeyParam,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['value'],
    properties: {
      value: {
        anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
        description: "The new value; text is read as the key's type, like a ROBUSTMQ_* environment variable.",
      },
    },
  },
  response: { 200: configEntry, ...errors },
} as const;

const topicMessage = {
  type: 'object',
  properties: {
    partition: int,
    offset: int,
    timestampMs: int,
    qos: int,
    retain: { type: 'boolean' },
    clientId: str,
    payload: str,
    payloadEncoding: { type: 'string', enum: ['utf8', 'base64'] },
    payloadBytes: int,
    properties: {
      type: 'object',
      properties: {
        payloadFormatIndicator: int,
        contentType: str,
        responseTopic: str,
        correlationData: { type: 'string', description: 'Base64.' },
        expiresAtMs: { type: 'integer', description: '0: never.' },
        userProperties: {
          type: 'array',
          items: { type: 'object', properties: { key: str, value: str } },
        },
      },
    },
  },
} as const;

export const readMessages = {
  summary:
    "Messages of one partition of a created topic's log, from an offset or a time, and the offset to read from next. The name is one path segment: its slashes are sent as %2F (/api/v1/topics/sensors%2Ftemp/messages).",
  tags: ['topics'],
  params: { type: 'object', properties: { name: { type: 'string', description: 'Topic name, URL-encoded.' } } },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      partition: { type: 'integer', minimum: 0, description: 'Default 0.' },
      offset: { type: 'integer', minimum: 0, description: 'The first offset to read (default 0: the oldest kept).' },
      from_time_ms: {
        type: 'integer',
        minimum: 0,
        description: 'Instead of offset: from the first message received at or after this time (ms since the epoch).',
      },
      limit: paging.limit,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        topic: str,
        partition: int,
        messages: { type: 'array', items: topicMessage },
        nextOffset: { type: 'integer', description: 'The offset to read from next.' },
        firstOffset: { type: 'integer', description: 'The oldest offset kept.' },
        endOffset: { type: 'integer', description: 'The offset the next message published gets.' },
      },
    },
    ...errors,
  },
} as const;

export const revokeToken = {
  summary: 'Revoke an admin token: its next call is refused (401).',
  tags: ['tokens'],
  response: { 204: { type: 'null', description: 'Revoked.' }, ...errors },
} as const;

const slowSubscription = {
  type: 'object',
  properties: {
    clientId: str,
    topic: str,
    latencyMs: { type: 'integer', description: 'The latest slow delivery, ms (slow_subs.stats_type).' },
    updatedAtMs: { type: 'integer', description: 'When it was last recorded, ms since the epoch.' },
    node: str,
  },
} as const;

export const listSlowSubscriptions = {
  summary:
    'The slowest (client id, topic) deliveries above slow_subs.threshold_ms, slowest first (at most slow_subs.top_k); empty while slow_subs.enabled is false.',
  tags: ['slow-subscriptions'],
  querystring: { type: 'object', additionalProperties: false, properties: { ...paging } },
  response: {
    200: {
      type: 'object',
      properties: { slowSubscriptions: { type: 'array', items: slowSubscription }, nextPageToken: str, total: int },
    },
    ...errors,
  },
} as const;

export const clearSlowSubscriptions = {
  summary: 'Empty the slow subscriptions list.',
  tags: ['slow-subscriptions'],
  response: { 204: { type: 'null', description: 'Emptied.' }, ...errors },
} as const;

const alarmInfo = {
  type: 'object',
  properties: {
    name: str,
    message: str,
    details: {
      type: 'object',
      additionalProperties: true,
      description: 'What was measured: value, threshold and unit (or the error).',
    },
    activatedAtMs: int,
    deactivatedAtMs: { type: 'integer', description: '0 while active.' },
    activated: { type: 'boolean' },
    node: str,
  },
} as const;

export const listAlarms = {
  summary:
    'System alarms: active ones by name (state=activated, the default), the history newest first (deactivated), or both (all).',
  tags: ['alarms'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { state: { type: 'string', enum: ['activated', 'deactivated', 'all'] }, ...paging },
  },
  response: {
    200: {
      type: 'object',
      properties: { alarms: { type: 'array', items: alarmInfo }, nextPageToken: str, total: int },
    },
    ...errors,
  },
} as const;

export const clearAlarmHistory = {
  summary: 'Delete the history of deactivated alarms (active alarms stay).',
  tags: ['alarms'],
  response: { 204: { type: 'null', description: 'Deleted.' }, ...errors },
} as const;

const topicRewriteAction = { type: 'string', enum: ['publish', 'subscribe', 'all'] } as const;

const topicRewriteInfo = {
  type: 'object',
  properties: {
    id: {
      type: 'string',
      description: '"config-N" for the N-th rule of the config file; 8 hex digits for a runtime rule.',
    },
    position: {
      type: 'integer',
      description: '1-based place in the list; when several rules match, the last applies.',
    },
    action: topicRewriteAction,
    sourceTopic: { type: 'string', description: 'The topic filter a topic (or subscription filter) must match.' },
    regex: { type: 'string', description: 'JavaScript regular expression; its groups fill $1..$9 of destTopic.' },
    destTopic: { type: 'string', description: 'The new topic: text with $1..$9, ${clientid} and ${username}.' },
    source: { type: 'string', enum: ['config', 'api'] },
    createdAtMs: { type: 'integer', description: '0 for config-file rules.' },
  },
} as const;

export const createTopicRewrite = {
  summary:
    'Add a runtime topic rewrite rule (stored: it survives a restart). 400 for a bad rule (an invalid regex, a destination that cannot be a topic) or place.',
  tags: ['topic-rewrites'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['action', 'sourceTopic', 'regex', 'destTopic'],
    properties: {
      action: topicRewriteAction,
      sourceTopic: mqttString,
      regex: mqttString,
      destTopic: mqttString,
      position: {
        type: 'integer',
        minimum: 1,
        description: "1-based place in the whole list, after the config file's rules (default: at the end).",
      },
      before: { type: 'string', description: 'Instead of position: the id of a runtime rule to go just before.' },
    },
  },
  response: { 201: topicRewriteInfo, ...errors },
} as const;

export const listTopicRewrites = {
  summary: "Topic rewrite rules in list order (the config file's first), paged.",
  tags: ['topic-rewrites'],
  querystring: { type: 'object', additionalProperties: false, properties: { ...paging } },
  response: {
    200: {
      type: 'object',
      properties: { rules: { type: 'array', items: topicRewriteInfo }, nextPageToken: str, total: int },
    },
    ...errors,
  },
} as const;

export const deleteTopicRewrite = {
  summary: 'Delete a runtime topic rewrite rule (a config-file rule: 400, change the file).',
  tags: ['topic-rewrites'],
  response: { 204: { type: 'null', description: 'Deleted.' }, ...errors },
} as const;

// ---- delayed messages

const delayedInfoProperties = {
  id: { type: 'string', description: 'Sorts by due time: {dueAtMs}-{sequence}.' },
  topic: { type: 'string', description: 'The destination topic.' },
  qos: int,
  retain: { type: 'boolean' },
  payloadBytes: int,
  publishedAtMs: int,
  dueAtMs: int,
  expiresAtMs: { type: 'integer', description: 'When its Message Expiry Interval (from publication) ends; 0: never.' },
  origin: str,
} as const;

export const listDelayed = {
  summary: 'Delayed messages ($delayed/{seconds}/{topic}) held now, in due-time order, without payloads; paged.',
  tags: ['delayed'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      topic: { type: 'string', description: 'Only messages whose destination topic contains this text.' },
      ...paging,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        delayed: { type: 'array', items: { type: 'object', properties: delayedInfoProperties } },
        nextPageToken: str,
        total: int,
      },
    },
    ...errors,
  },
} as const;

export const getDelayed = {
  summary:
    'One held delayed message with its payload (text when valid UTF-8, else base64: see payloadEncoding) and MQTT 5 properties.',
  tags: ['delayed'],
  response: {
    200: {
      type: 'object',
      properties: {
        ...delayedInfoProperties,
        payload: str,
        payloadEncoding: { type: 'string', enum: ['utf8', 'base64'] },
        properties: {
          type: 'object',
          properties: {
            payloadFormatIndicator: int,
            messageExpiryIntervalS: int,
            contentType: str,
            responseTopic: str,
            correlationData: str,
            userProperties: {
              type: 'array',
              items: { type: 'object', properties: { key: str, value: str } },
            },
          },
        },
      },
    },
    ...errors,
  },
} as const;

export const deleteDelayed = {
  summary: 'Cancel a held delayed message: it is never published.',
  tags: ['delayed'],
  response: { 204: { type: 'null', description: 'Cancelled.' }, ...errors },
} as const;

// ---- auto-subscribe rules, exclusive subscriptions

const option012 = { type: 'integer', minimum: 0, maximum: 2 } as const;

const autoSubscribeRule = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'config-N for the rules of the configuration file; generated for the others.' },
    topic: { type: 'string', description: 'A topic filter; ${clientid}, ${username}, ${host} are filled per client.' },
    qos: int,
    noLocal: bool,
    retainAsPublished: bool,
    retainHandling: int,
    source: { type: 'string', enum: ['config', 'api'] },
    createdAtMs: { type: 'integer', description: 'ms since the epoch; 0 for the rules of the configuration file.' },
  },
} as const;

export const createAutoSubscribe = {
  summary:
    'Add an auto-subscribe rule: every client connecting from now on gets the subscription (ACL checked). A second rule with the same topic is 409.',
  tags: ['auto-subscribe'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['topic'],
    properties: {
      topic: { type: 'string', minLength: 1 },
      qos: option012,
      noLocal: bool,
      retainAsPublished: bool,
      retainHandling: option012,
    },
  },
  response: { 201: autoSubscribeRule, ...errors },
} as const;

export const listAutoSubscribes = {
  summary:
    'Auto-subscribe rules: those of the configuration file first (source "config"), then the runtime ones in creation order.',
  tags: ['auto-subscribe'],
  querystring: { type: 'object', additionalProperties: false, properties: { ...paging } },
  response: {
    200: {
      type: 'object',
      properties: { rules: { type: 'array', items: autoSubscribeRule }, nextPageToken: str, total: int },
    },
    ...errors,
  },
} as const;

export const deleteAutoSubscribe = {
  summary:
    "Delete a runtime auto-subscribe rule by id or by topic (the rest of the path; it may hold '/'). A rule of the configuration file is 409.",
  tags: ['auto-subscribe'],
  response: { 204: { type: 'null', description: 'Deleted.' }, ...errors },
} as const;

const exclusiveInfo = {
  type: 'object',
  properties: {
    filter: { type: 'string', description: 'The filter without $exclusive/.' },
    clientId: str,
    sinceMs: { type: 'integer', description: 'Held since, ms since the epoch.' },
  },
} as const;

export const listExclusive = {
  summary: 'Exclusive subscriptions ($exclusive/{filter}) held now, in filter order.',
  tags: ['exclusive'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      filter: { type: 'string', description: 'Filters containing this text.' },
      client_id: { type: 'string', description: "Only this client's." },
      ...paging,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: { holders: { type: 'array', items: exclusiveInfo }, nextPageToken: str, total: int },
    },
    ...errors,
  },
} as const;

export const deleteExclusive = {
  summary:
    "Remove the holder's exclusive subscription to a filter (the rest of the path; it may hold '/'), so another client may take it.",
  tags: ['exclusive'],
  response: { 204: { type: 'null', description: 'Removed.' }, ...errors },
} as const;

const schemaType = { type: 'string', enum: ['json', 'avro', 'protobuf'] } as const;

const schemaInfo = {
  type: 'object',
  properties: {
    name: str,
    type: schemaType,
    definition: str,
    messageType: { type: 'string', description: 'Protobuf: the full name of the message type; "" otherwise.' },
    description: str,
    topics: { type: 'array', items: str, description: 'The topic filters it is bound to.' },
    source: { type: 'string', enum: ['config', 'api'] },
    invalidCount: { type: 'integer', description: 'PUBLISHes whose payload it refused since the broker started.' },
    createdAtMs: int,
  },
} as const;

const schemaBinding = {
  type: 'object',
  properties: { schema: str, topic: str, source: { type: 'string', enum: ['config', 'api'] }, createdAtMs: int },
} as const;

const schemaNameParam = { type: 'object', properties: { name: str }, required: ['name'] } as const;

export const createSchema = {
  summary:
    'Create a payload schema (JSON Schema, Avro or Protobuf). The definition is compiled first: 400 with the reason when it does not compile.',
  tags: ['schemas'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'type', 'definition'],
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
      type: schemaType,
      definition: {
        type: 'string',
        minLength: 1,
        description: 'JSON Schema or Avro schema (JSON text), or .proto text.',
      },
      messageType: { type: 'string', description: 'Protobuf: the message type (may be left out with one message).' },
      description: str,
    },
  },
  response: { 201: schemaInfo, ...errors },
} as const;

export const listSchemas = {
  summary: 'Payload schemas in name order, with the filters they are bound to and their invalid-payload counts.',
  tags: ['schemas'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { name: { type: 'string', description: 'Schemas whose name contains this text.' }, ...paging },
  },
  response: {
    200: {
      type: 'object',
      properties: { schemas: { type: 'array', items: schemaInfo }, nextPageToken: str, total: int },
    },
    ...errors,
  },
} as const;

export const getSchema = {
  summary: 'One payload schema.',
  tags: ['schemas'],
  params: schemaNameParam,
  response: { 200: schemaInfo, ...errors },
} as const;

export const deleteSchema = {
  summary: 'Delete a payload schema; 409 (RMQ_ERR_SCHEMA_IN_USE) while it is bound: unbind it first.',
  tags: ['schemas'],
  params: schemaNameParam,
  response: { 204: { type: 'null', description: 'Deleted.' }, ...errors },
} as const;

export const bindSchema = {
  summary: 'Bind a schema to a topic filter: PUBLISHes to matching topics must match it (again: no change).',
  tags: ['schemas'],
  params: schemaNameParam,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['topic'],
    properties: { topic: { type: 'string', minLength: 1, description: "A topic filter ('+' and '#' allowed)." } },
  },
  response: { 201: schemaBinding, ...errors },
} as const;

export const listSchemaBindings = {
  summary: 'The topic filters a schema is bound to, paged.',
  tags: ['schemas'],
  params: schemaNameParam,
  querystring: { type: 'object', additionalProperties: false, properties: { ...paging } },
  response: {
    200: {
      type: 'object',
      properties: { bindings: { type: 'array', items: schemaBinding }, nextPageToken: str, total: int },
    },
    ...errors,
  },
} as const;

export const unbindSchema = {
  summary: 'Unbind a schema from a topic filter (the filter in the query: ?topic=a%2F%23).',
  tags: ['schemas'],
  params: schemaNameParam,
  querystring: {
    type: 'object',
    additionalProperties: false,
    required: ['topic'],
    properties: { topic: { type: 'string', minLength: 1 } },
  },
  response: { 204: { type: 'null', description: 'Unbound.' }, ...errors },
} as const;
