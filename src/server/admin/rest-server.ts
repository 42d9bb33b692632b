// The REST door of the admin API: /api/v1 on admin.http_port (fastify), over the same AdminApi as
// the gRPC endpoint. Route schemas validate requests and make the OpenAPI document
// (/api/v1/openapi.json, via @fastify/swagger); /api/docs renders it for people; /health/live and
// /health/ready are for process supervisors and load balancers. With admin auth on, every other path
// (the API, its documents, unknown paths) needs `Authorization: Bearer <token>`: 401 and
// WWW-Authenticate: Bearer without it; the health checks stay open.
import swagger from '@fastify/swagger';
import { hostPort } from '../../lib/host-port.js';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type {
  AdminApi,
  BanKind,
  CreateAclRequest,
  CreateBanRequest,
  CreateTopicRewriteRequest,
  CreateAutoSubscribeRequest,
  CreateUserRequest,
  ImportUsersRequest,
  AlarmState,
  CreateSchemaRequest,
} from '../../lib/admin-api.js';
import type { TLSSocket } from 'node:tls';
import type { AdminAuth } from './admin-auth.js';
import type { AdminTls } from './admin-tls.js';

import { RobustMQError, isRobustMQError, type ErrorCode } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { VERSION } from '../../lib/version.js';
import { renderApiDocs } from './rest-docs.js';
import * as S from './rest-schemas.js';

/** The HTTP status each error code answers with; the body carries the code itself. */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  RMQ_ERR_INVALID_ARGUMENT: 400,
  RMQ_ERR_TOPIC_INVALID: 400,
  RMQ_ERR_TOPIC_NOT_FOUND: 404,
  RMQ_ERR_CLIENT_NOT_FOUND: 404,
  RMQ_ERR_SESSION_NOT_FOUND: 404,
  RMQ_ERR_RETAINED_NOT_FOUND: 404,
  RMQ_ERR_TOPIC_EXISTS: 409,
  RMQ_ERR_UNSUPPORTED: 409,
  RMQ_ERR_USER_EXISTS: 409,
  RMQ_ERR_USER_NOT_FOUND: 404,
  RMQ_ERR_ACL_NOT_FOUND: 404,
  RMQ_ERR_BAN_NOT_FOUND: 404,
  RMQ_ERR_NOT_FOUND: 404,
  RMQ_ERR_CONFIG_KEY: 400,
  RMQ_ERR_CONFIG_INVALID: 400,
  RMQ_ERR_SHUTDOWN: 503,
  RMQ_ERR_WORKER: 503,
  RMQ_ERR_UNAUTHORIZED: 401,
  RMQ_ERR_TOKEN_NOT_FOUND: 404,
  RMQ_ERR_TOPIC_REWRITE_NOT_FOUND: 404,
  RMQ_ERR_DELAYED_NOT_FOUND: 404,
  RMQ_ERR_AUTO_SUBSCRIBE_NOT_FOUND: 404,
  RMQ_ERR_AUTO_SUBSCRIBE_EXISTS: 409,
  RMQ_ERR_CONFIG_DEFINED: 409,
  RMQ_ERR_EXCLUSIVE_NOT_FOUND: 404,
  RMQ_ERR_SCHEMA_EXISTS: 409,
  RMQ_ERR_SCHEMA_NOT_FOUND: 404,
  RMQ_ERR_SCHEMA_IN_USE: 409,
  RMQ_ERR_SCHEMA_BINDING_NOT_FOUND: 404,
};

/** Paths served without a token when admin auth is on: what supervisors and load balancers poll. */
const OPEN_PATHS = new Set(['/health/live', '/health/ready']);

export class RestServer {
  private app?: FastifyInstance;
  port = 0;

  constructor(
    private readonly api: AdminApi,
    private readonly host: string,
    private readonly requestedPort: number,
    private readonly log: Logger,
    /** Whether the broker serves clients yet (/health/ready). */
    private readonly ready: () => boolean,
    /** Checks each request's token (absent: no check). */
    private readonly auth?: AdminAuth,
    /** Serve HTTPS (and with a CA, require a client certificate on every path but the health checks). */
    private readonly tls?: AdminTls,
  ) {}

  async start(): Promise<void> {
    // unknown fields are refused (400), not silently dropped: a misspelt option must not pass as a default
    const tls = this.tls;
    // requestCert without rejectUnauthorized: the handshake asks for a certificate, and the hook below
    // refuses requests without a valid one, so the health checks stay reachable without one
    const https = tls && { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: !!tls.ca, rejectUnauthorized: false };
    const app = Fastify({
      logger: false,
      ajv: { customOptions: { removeAdditional: false } },
      ...(https ? { https } : {}),
    }) as unknown as FastifyInstance;
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'RobustMQ admin API',
          version: VERSION,
          description: 'The cluster, its clients and topics. Errors answer with {"error": {"code", "message"}}.',
        },
      },
    });
    app.setErrorHandler((err: FastifyError | RobustMQError, _req, reply) => {
      if (isRobustMQError(err)) {
        if (err.code === 'RMQ_ERR_UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="robustmq-admin"');
        return reply.status(HTTP_STATUS[err.code] ?? 500).send(errorBody(err.code, err.message));
      }
      if (err.validation) {
        return reply.status(400).send(errorBody('RMQ_ERR_INVALID_ARGUMENT', err.message));
      }
      if (err.statusCode !== undefined && err.statusCode < 500) {
        return reply.status(err.statusCode).send(errorBody('RMQ_ERR_INVALID_ARGUMENT', err.message));
      }
      this.log.error({ err }, 'admin REST call failed');
      return reply.status(500).send(errorBody('RMQ_ERR_ADMIN', 'internal error (see the broker log)'));
    });
    app.setNotFoundHandler((req, reply) =>
      reply.status(404).send(errorBody('RMQ_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)),
    );
    const auth = this.auth;
    const clientCerts = tls?.ca !== undefined;
    if (auth && (auth.required || clientCerts)) {
      // before routing: an unknown path answers 401 too, so the API's shape is not probed without a token
      app.addHook('onRequest', async (req) => {
        if (OPEN_PATHS.has(req.url.split('?')[0]!)) return;
        const peer = req.socket.remoteAddress ?? '';
        if (clientCerts) auth.checkClientCertificate((req.socket as TLSSocket).authorized, peer, 'rest');
        auth.check(req.headers.authorization, peer, 'rest');
      });
    } else {
      // no credentials asked (loopback binds): a web page in a browser on this machine could still
      // reach 127.0.0.1 under a rebound DNS name of its own; only loopback Host names are served
      app.addHook('onRequest', async (req, reply) => {
        if (!isLoopbackHost(req.hostname)) {
          return reply
            .status(403)
            .send(
              errorBody(
                'RMQ_ERR_UNAUTHORIZED',
                `Host "${req.hostname}" is not a loopback name; use 127.0.0.1 or localhost`,
              ),
            );
        }
      });
    }
    this.routes(app);
    this.schemaRoutes(app);
    const address = await app
      .listen({ host: this.host, port: this.requestedPort })
      .catch((err: NodeJS.ErrnoException) => {
        throw new RobustMQError(
          'RMQ_ERR_LISTEN',
          `admin REST endpoint cannot bind ${this.host}:${this.requestedPort} (${err.code ?? err.message}); choose another port with --http-port or admin.http_port`,
          { cause: err },
        );
      });
    this.port = Number(new URL(address).port);
    this.app = app;
  }

  describe(): string {
    return `${this.tls ? 'https' : 'http'}://${hostPort(this.host, this.port)}`;
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }

  /** Users, ACL rules and bans (passwords come in bodies only and are never logged). */
  private securityRoutes(app: FastifyInstance): void {
    const api = this.api;
    app.post<{ Body: CreateUserRequest }>('/api/v1/users', { schema: S.createUser }, async (req, reply) =>
      reply.status(201).send(await api.createUser(req.body)),
    );
    app.post<{ Body: ImportUsersRequest }>('/api/v1/users/import', { schema: S.importUsers }, async (req) =>
      api.importUsers(req.body),
    );
    app.get<{ Querystring: { username?: string; limit?: number; page_token?: string } }>(
      '/api/v1/users',
      { schema: S.listUsers },
      async (req) => {
        const q = req.query;
        const page = await api.listUsers({ username: q.username, limit: q.limit, pageToken: q.page_token });
        return { users: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.delete<{ Params: { '*': string } }>('/api/v1/users/*', { schema: S.deleteUser }, async (req, reply) => {
      await api.deleteUser(req.params['*']);
      return reply.status(204).send();
    });
    app.put<{ Params: { '*': string }; Body: { password: string } }>(
      '/api/v1/users/*',
      { schema: S.setUserPassword },
      async (req, reply) => {
        await api.setUserPassword(passwordPath(req.params['*']), req.body.password);
        return reply.status(204).send();
      },
    );
    app.post<{ Body: CreateAclRequest }>('/api/v1/acls', { schema: S.createAcl }, async (req, reply) =>
      reply.status(201).send(await api.createAcl(req.body)),
    );
    app.get<{ Querystring: { username?: string; client_id?: string; limit?: number; page_token?: string } }>(
      '/api/v1/acls',
      { schema: S.listAcls },
      async (req) => {
        const q = req.query;
        const page = await api.listAcls({
          username: q.username,
          clientId: q.client_id,
          limit: q.limit,
          pageToken: q.page_token,
        });
        return { rules: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.delete<{ Params: { id: string } }>('/api/v1/acls/:id', { schema: S.deleteAcl }, async (req, reply) => {
      await api.deleteAcl(req.params.id);
      return reply.status(204).send();
    });
    app.post<{ Body: CreateBanRequest }>('/api/v1/blacklist', { schema: S.createBan }, async (req, reply) =>
      reply.status(201).send(await api.createBan(req.body)),
    );
    app.get<{ Querystring: { kind?: BanKind; limit?: number; page_token?: string } }>(
      '/api/v1/blacklist',
      { schema: S.listBans },
      async (req) => {
        const q = req.query;
        const page = await api.listBans({ kind: q.kind, limit: q.limit, pageToken: q.page_token });
        return { bans: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.delete<{ Params: { '*': string } }>('/api/v1/blacklist/*', { schema: S.deleteBan }, async (req, reply) => {
      const { kind, value } = banPath(req.params['*']);
      await api.deleteBan(kind, value);
      return reply.status(204).send();
    });
  }

  /** Payload schemas and their bindings to topic filters. */
  private schemaRoutes(app: FastifyInstance): void {
    const api = this.api;
    app.post<{ Body: CreateSchemaRequest }>('/api/v1/schemas', { schema: S.createSchema }, async (req, reply) =>
      reply.status(201).send(await api.createSchema(req.body)),
    );
    app.get<{ Querystring: { name?: string; limit?: number; page_token?: string } }>(
      '/api/v1/schemas',
      { schema: S.listSchemas },
      async (req) => {
        const q = req.query;
        const page = await api.listSchemas({ name: q.name, limit: q.limit, pageToken: q.page_token });
        return { schemas: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.get<{ Params: { name: string } }>('/api/v1/schemas/:name', { schema: S.getSchema }, (req) =>
      api.getSchema(req.params.name),
    );
    app.delete<{ Params: { name: string } }>(
      '/api/v1/schemas/:name',
      { schema: S.deleteSchema },
      async (req, reply) => {
        await api.deleteSchema(req.params.name);
        return reply.status(204).send();
      },
    );
    app.post<{ Params: { name: string }; Body: { topic: string } }>(
      '/api/v1/schemas/:name/bindings',
      { schema: S.bindSchema },
      async (req, reply) => reply.status(201).send(await api.bindSchema(req.params.name, req.body.topic)),
    );
    app.get<{ Params: { name: string }; Querystring: { limit?: number; page_token?: string } }>(
      '/api/v1/schemas/:name/bindings',
      { schema: S.listSchemaBindings },
      async (req) => {
        const q = req.query;
        const page = await api.listSchemaBindings({ schema: req.params.name, limit: q.limit, pageToken: q.page_token });
        return { bindings: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.delete<{ Params: { name: string }; Querystring: { topic: string } }>(
      '/api/v1/schemas/:name/bindings',
      { schema: S.unbindSchema },
      async (req, reply) => {
        await api.unbindSchema(req.params.name, req.query.topic);
        return reply.status(204).send();
      },
    );
  }

  private routes(app: FastifyInstance): void {
    const api = this.api;
    app.get('/health/live', { schema: S.health }, async () => ({ status: 'ok' }));
    app.get('/health/ready', { schema: S.health }, async (_req, reply) =>
      this.ready() ? { status: 'ok' } : reply.status(503).send({ status: 'starting' }),
    );
    app.get('/api/v1/cluster/info', { schema: S.clusterInfo }, () => api.clusterStatus());
    app.get('/api/v1/metrics/messages', { schema: S.messageMetrics }, async () => {
      const status = await api.clusterStatus();
      const sum = (f: (n: (typeof status.nodes)[number]) => number) => status.nodes.reduce((a, n) => a + f(n), 0);
      return {
        received: sum((n) => n.messagesReceived),
        sent: sum((n) => n.messagesSent),
        dropped: sum((n) => n.messagesDropped),
        bytesReceived: sum((n) => n.bytesReceived),
        bytesSent: sum((n) => n.bytesSent),
      };
    });
    app.get<{
      Querystring: { client_id?: string; username?: string; ip?: string; limit?: number; page_token?: string };
    }>('/api/v1/clients', { schema: S.listClients }, async (req) => {
      const q = req.query;
      const page = await api.listClients({
        clientId: q.client_id,
        username: q.username,
        ip: q.ip,
        limit: q.limit,
        pageToken: q.page_token,
      });
      return { clients: page.items, nextPageToken: page.nextPageToken, total: page.total };
    });
    // client ids may hold '/': the rest of the path is the id
    app.get<{ Params: { '*': string } }>('/api/v1/clients/*', { schema: S.describeClient }, (req) =>
      api.describeClient(req.params['*']),
    );
    app.delete<{ Params: { '*': string } }>('/api/v1/clients/*', { schema: S.kickClient }, async (req, reply) => {
      await api.kickClient(req.params['*']);
      return reply.status(204).send();
    });
    app.post<{ Body: { name: string; partitions?: number; retentionMs?: number; retentionBytes?: number } }>(
      '/api/v1/topics',
      { schema: S.createTopic },
      async (req, reply) => reply.status(201).send(await api.createTopic(req.body)),
    );
    app.get<{ Querystring: { name?: string; limit?: number; page_token?: string } }>(
      '/api/v1/topics',
      { schema: S.listTopics },
      async (req) => {
        const page = await api.listTopics({
          name: req.query.name,
          limit: req.query.limit,
          pageToken: req.query.page_token,
        });
        return { topics: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    // topic names contain '/': the rest of the path is the name
    app.get<{ Params: { '*': string } }>('/api/v1/topics/*', { schema: S.describeTopic }, (req) =>
      api.describeTopic(req.params['*']).catch((err: unknown) => {
        throw messagesHint(err, req.params['*']);
      }),
    );
    app.delete<{ Params: { '*': string } }>('/api/v1/topics/*', { schema: S.deleteTopic }, async (req, reply) => {
      await api.deleteTopic(req.params['*']);
      return reply.status(204).send();
    });
    app.get<{ Querystring: { client_id?: string; connected?: boolean; limit?: number; page_token?: string } }>(
      '/api/v1/sessions',
      { schema: S.listSessions },
      async (req) => {
        const q = req.query;
        const page = await api.listSessions({
          clientId: q.client_id,
          connected: q.connected,
          limit: q.limit,
          pageToken: q.page_token,
        });
        return { sessions: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    // client ids may hold '/': the rest of the path is the id
    app.get<{ Params: { '*': string } }>('/api/v1/sessions/*', { schema: S.describeSession }, (req) =>
      api.describeSession(req.params['*']),
    );
    app.delete<{ Params: { '*': string } }>('/api/v1/sessions/*', { schema: S.deleteSession }, async (req, reply) => {
      await api.deleteSession(req.params['*']);
      return reply.status(204).send();
    });
    app.get<{ Querystring: { client_id?: string; filter?: string; limit?: number; page_token?: string } }>(
      '/api/v1/subscriptions',
      { schema: S.listSubscriptions },
      async (req) => {
        const q = req.query;
        const page = await api.listSubscriptions({
          clientId: q.client_id,
          filter: q.filter,
          limit: q.limit,
          pageToken: q.page_token,
        });
        return { subscriptions: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.get<{ Querystring: { topic?: string; limit?: number; page_token?: string } }>(
      '/api/v1/retained',
      { schema: S.listRetained },
      async (req) => {
        const q = req.query;
        const page = await api.listRetained({ topic: q.topic, limit: q.limit, pageToken: q.page_token });
        return { retained: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    // topics hold '/': the rest of the path is the topic
    app.get<{ Params: { '*': string } }>('/api/v1/retained/*', { schema: S.getRetained }, (req) =>
      api.getRetained(req.params['*']),
    );
    app.delete<{ Params: { '*': string } }>('/api/v1/retained/*', { schema: S.deleteRetained }, async (req, reply) => {
      await api.deleteRetained(req.params['*']);
      return reply.status(204).send();
    });
    this.securityRoutes(app);
    app.get('/api/v1/config', { schema: S.listConfig }, async () => ({ entries: await api.getConfig() }));
    app.get<{ Params: { key: string } }>('/api/v1/config/:key', { schema: S.getConfigKey }, async (req) => {
      const [entry] = await api.getConfig(req.params.key);
      return entry;
    });
    app.put<{ Params: { key: string }; Body: { value: string | number | boolean } }>(
      '/api/v1/config/:key',
      { schema: S.setConfigKey },
      (req) => api.setConfig(req.params.key, String(req.body.value)),
    );
    // one path segment: the slashes of the topic name are sent as %2F (the route above takes raw ones)
    app.get<{
      Params: { name: string };
      Querystring: { partition?: number; offset?: number; from_time_ms?: number; limit?: number };
    }>('/api/v1/topics/:name/messages', { schema: S.readMessages }, (req) => {
      const q = req.query;
      return api.readMessages({
        topic: req.params.name,
        partition: q.partition,
        offset: q.offset,
        fromTimeMs: q.from_time_ms,
        limit: q.limit,
      });
    });
    app.post<{ Body: { name: string; expiresInMs?: number } }>(
      '/api/v1/tokens',
      { schema: S.createToken },
      async (req, reply) => reply.status(201).send(await api.createToken(req.body)),
    );
    app.get<{ Querystring: { limit?: number; page_token?: string } }>(
      '/api/v1/tokens',
      { schema: S.listTokens },
      async (req) => {
        const page = await api.listTokens({ limit: req.query.limit, pageToken: req.query.page_token });
        return { tokens: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', { schema: S.revokeToken }, async (req, reply) => {
      await api.revokeToken(req.params.id);
      return reply.status(204).send();
    });
    app.get<{ Querystring: { limit?: number; page_token?: string } }>(
      '/api/v1/slow-subscriptions',
      { schema: S.listSlowSubscriptions },
      async (req) => {
        const page = await api.listSlowSubscriptions({ limit: req.query.limit, pageToken: req.query.page_token });
        return { slowSubscriptions: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.delete('/api/v1/slow-subscriptions', { schema: S.clearSlowSubscriptions }, async (_req, reply) => {
      await api.clearSlowSubscriptions();
      return reply.status(204).send();
    });
    app.get<{ Querystring: { state?: AlarmState; limit?: number; page_token?: string } }>(
      '/api/v1/alarms',
      { schema: S.listAlarms },
      async (req) => {
        const q = req.query;
        const page = await api.listAlarms({ state: q.state, limit: q.limit, pageToken: q.page_token });
        return { alarms: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.delete('/api/v1/alarms/history', { schema: S.clearAlarmHistory }, async (_req, reply) => {
      await api.clearAlarmHistory();
      return reply.status(204).send();
    });
    app.post<{ Body: CreateTopicRewriteRequest }>(
      '/api/v1/topic-rewrites',
      { schema: S.createTopicRewrite },
      async (req, reply) => reply.status(201).send(await api.createTopicRewrite(req.body)),
    );
    app.get<{ Querystring: { limit?: number; page_token?: string } }>(
      '/api/v1/topic-rewrites',
      { schema: S.listTopicRewrites },
      async (req) => {
        const page = await api.listTopicRewrites({ limit: req.query.limit, pageToken: req.query.page_token });
        return { rules: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.delete<{ Params: { id: string } }>(
      '/api/v1/topic-rewrites/:id',
      { schema: S.deleteTopicRewrite },
      async (req, reply) => {
        await api.deleteTopicRewrite(req.params.id);
        return reply.status(204).send();
      },
    );
    app.get<{ Querystring: { topic?: string; limit?: number; page_token?: string } }>(
      '/api/v1/delayed',
      { schema: S.listDelayed },
      async (req) => {
        const q = req.query;
        const page = await api.listDelayed({ topic: q.topic, limit: q.limit, pageToken: q.page_token });
        return { delayed: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.get<{ Params: { id: string } }>('/api/v1/delayed/:id', { schema: S.getDelayed }, (req) =>
      api.getDelayed(req.params.id),
    );
    app.delete<{ Params: { id: string } }>('/api/v1/delayed/:id', { schema: S.deleteDelayed }, async (req, reply) => {
      await api.deleteDelayed(req.params.id);
      return reply.status(204).send();
    });
    this.subscriptionFeatureRoutes(app);
    app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
    app.get('/api/docs', { schema: { hide: true } }, (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(renderApiDocs(app.swagger() as Parameters<typeof renderApiDocs>[0])),
    );
  }

  /** Auto-subscribe rules and exclusive subscriptions (topics and filters hold '/': the rest of the path). */
  private subscriptionFeatureRoutes(app: FastifyInstance): void {
    const api = this.api;
    app.post<{ Body: CreateAutoSubscribeRequest }>(
      '/api/v1/auto-subscribes',
      { schema: S.createAutoSubscribe },
      async (req, reply) => reply.status(201).send(await api.createAutoSubscribe(req.body)),
    );
    app.get<{ Querystring: { limit?: number; page_token?: string } }>(
      '/api/v1/auto-subscribes',
      { schema: S.listAutoSubscribes },
      async (req) => {
        const page = await api.listAutoSubscribes({ limit: req.query.limit, pageToken: req.query.page_token });
        return { rules: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.delete<{ Params: { '*': string } }>(
      '/api/v1/auto-subscribes/*',
      { schema: S.deleteAutoSubscribe },
      async (req, reply) => {
        await api.deleteAutoSubscribe(req.params['*']);
        return reply.status(204).send();
      },
    );
    app.get<{ Querystring: { filter?: string; client_id?: string; limit?: number; page_token?: string } }>(
      '/api/v1/exclusive',
      { schema: S.listExclusive },
      async (req) => {
        const q = req.query;
        const page = await api.listExclusive({
          filter: q.filter,
          clientId: q.client_id,
          limit: q.limit,
          pageToken: q.page_token,
        });
        return { holders: page.items, nextPageToken: page.nextPageToken, total: page.total };
      },
    );
    app.delete<{ Params: { '*': string } }>(
      '/api/v1/exclusive/*',
      { schema: S.deleteExclusive },
      async (req, reply) => {
        await api.deleteExclusive(req.params['*']);
        return reply.status(204).send();
      },
    );
  }
}

/** `{username}/password` of PUT /api/v1/users/{username}/password (the username may hold '/'). */
function passwordPath(rest: string): string {
  const suffix = '/password';
  if (!rest.endsWith(suffix) || rest.length === suffix.length) {
    throw new RobustMQError('RMQ_ERR_NOT_FOUND', `no route PUT /api/v1/users/${rest}`);
  }
  return rest.slice(0, -suffix.length);
}

/** `{kind}/{value}` of DELETE /api/v1/blacklist/{kind}/{value} (the value may hold '/', e.g. a CIDR). */
function banPath(rest: string): { kind: BanKind; value: string } {
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) {
    throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', 'the path is /api/v1/blacklist/{clientid|username|ip}/{value}');
  }
  return { kind: rest.slice(0, slash) as BanKind, value: rest.slice(slash + 1) };
}

/** A topic ".../messages" that is not found: the caller probably meant the messages of a topic with raw slashes. */
function messagesHint(err: unknown, name: string): unknown {
  if (!isRobustMQError(err) || err.code !== 'RMQ_ERR_TOPIC_NOT_FOUND' || !name.endsWith('/messages')) return err;
  const topic = encodeURIComponent(name.slice(0, -'/messages'.length));
  return new RobustMQError(
    err.code,
    `${err.message}; to read the messages of a topic whose name holds '/', encode them: /api/v1/topics/${topic}/messages`,
  );
}

/** localhost, 127.x.x.x or ::1 (the Host header's name, with or without IPv6 brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
