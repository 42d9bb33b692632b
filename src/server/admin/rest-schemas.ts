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

const errors = { 400: errorResponse, 404: errorResponse, 409: errorResponse, 500: errorResponse } as const;

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
