// The REST door of the admin API: /api/v1 on admin.http_port (fastify), over the same AdminApi as
// the gRPC endpoint. Route schemas validate requests and make the OpenAPI document
// (/api/v1/openapi.json, via @fastify/swagger); /api/docs renders it for people; /health/live and
// /health/ready are for process supervisors and load balancers.
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { AdminApi } from '../../lib/admin-api.js';

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
  RMQ_ERR_SHUTDOWN: 503,
  RMQ_ERR_WORKER: 503,
};

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
  ) {}

  async start(): Promise<void> {
    // unknown fields are refused (400), not silently dropped: a misspelt option must not pass as a default
    const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false } } });
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
    this.routes(app);
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
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.close();
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
      api.describeTopic(req.params['*']),
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
    app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
    app.get('/api/docs', { schema: { hide: true } }, (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(renderApiDocs(app.swagger() as Parameters<typeof renderApiDocs>[0])),
    );
  }
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
