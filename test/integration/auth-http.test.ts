// The http provider against a real node:http server on a free 127.0.0.1 port: the request carries
// the body template filled in (POST JSON, or GET query) and the configured headers; 200 with
// {"result": ...} allows, denies (v5 0x86 / 3.1.1 4) or passes on; 204 allows; any other status, a
// 200 that is no JSON, a timeout or a service that is down refuses (v5 0x87 / 3.1.1 5: authentication
// unavailable lets no one in); allow answers are cached for cache_ttl_ms, per password.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../src/lib/config.js';
import type { HttpProvider } from '../../src/server/security/providers/http-provider.js';
import { BAD_CREDENTIALS, NOT_AUTHORIZED, connackCode, shownCode } from '../helpers/auth-connect.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { freePort } from '../helpers/child.js';
import { connect } from '../helpers/clients.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** The auth service: `answer` decides each reply; every request is kept in `seen`. */
class AuthService {
  seen: Seen[] = [];
  answer: (req: Seen, res: ServerResponse) => void = (_req, res) => json(res, 200, { result: 'allow' });
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const seen = { method: req.method!, url: req.url!, headers: req.headers, body };
        this.seen.push(seen);
        this.answer(seen, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const pw = (s: string) => Buffer.from(s);

describe('http provider, POST, before builtin', () => {
  const service = new AuthService();
  let b: TestBroker;
  before(async () => {
    await service.start();
    b = await startBroker({
      auth: {
        providers: ['http', 'builtin'],
        allow_anonymous: false,
        http: {
          url: `http://127.0.0.1:${service.port}/mqtt/auth`,
          headers: { 'x-api-key': 'k-123' },
          timeout_ms: 500,
        },
      },
    });
    await b.broker.admin.createUser({ username: 'local', password: 'local-pw' });
  });
  after(async () => {
    await b?.stop();
    await service.stop();
  });
  beforeEach(() => {
    service.seen = [];
  });

  it('posts the body template filled in, as JSON, with the configured headers', async () => {
    service.answer = (_req, res) => json(res, 200, { result: 'allow' });
    assert.equal(await connackCode(b.port, 5, { clientId: 'dev-1', username: 'alice', password: pw('s3cret') }), 0);
    assert.equal(service.seen.length, 1);
    const req = service.seen[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/mqtt/auth');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['x-api-key'], 'k-123');
    assert.deepEqual(JSON.parse(req.body), {
      clientid: 'dev-1',
      username: 'alice',
      password: 's3cret',
      peerhost: '127.0.0.1',
    });
  });

  for (const v of [3, 4, 5] as const) {
    it(`v${v}: allow lets in, deny refuses (${shownCode(v, BAD_CREDENTIALS)}), 204 lets in`, async () => {
      service.answer = (req, res) => {
        const { password } = JSON.parse(req.body) as { password: string };
        if (password === 'good') json(res, 200, { result: 'allow', is_superuser: false });
        else if (password === 'no-content') res.writeHead(204).end();
        else json(res, 200, { result: 'deny' });
      };
      assert.equal(await connackCode(b.port, v, { username: 'alice', password: pw('good') }), 0);
      assert.equal(await connackCode(b.port, v, { username: 'alice', password: pw('bad') }), BAD_CREDENTIALS[v]);
      assert.equal(await connackCode(b.port, v, { username: 'alice', password: pw('no-content') }), 0);
    });

    it(`v${v}: an error status, an answer that is no JSON, or no result, refuses as not authorized (${shownCode(v, NOT_AUTHORIZED)})`, async () => {
      for (const answer of [
        (res: ServerResponse) => json(res, 500, { result: 'allow' }),
        (res: ServerResponse) => json(res, 403, {}),
        (res: ServerResponse) => res.writeHead(200).end('allow'),
        (res: ServerResponse) => json(res, 200, { ok: true }),
        (res: ServerResponse) => res.writeHead(302, { location: '/elsewhere' }).end(),
      ]) {
        service.answer = (_req, res) => answer(res);
        assert.equal(await connackCode(b.port, v, { username: 'alice', password: pw('good') }), NOT_AUTHORIZED[v]);
      }
    });
  }

  it('a service that does not answer within timeout_ms refuses (0x87), and the failure is counted', async () => {
    service.answer = () => {}; // never answers
    const failures = b.broker.authChain.failures;
    const started = Date.now();
    assert.equal(await connackCode(b.port, 5, { username: 'alice', password: pw('good') }), 0x87);
    assert.ok(Date.now() - started >= 450, 'refused before the timeout');
    assert.equal(b.broker.authChain.failures, failures + 1);
  });

  it('ignore passes the client on: builtin answers a user it knows; another is not authorized', async () => {
    service.answer = (_req, res) => json(res, 200, { result: 'ignore' });
    assert.equal(await connackCode(b.port, 5, { username: 'local', password: pw('local-pw') }), 0);
    assert.equal(await connackCode(b.port, 5, { username: 'local', password: pw('wrong') }), 0x86);
    assert.equal(await connackCode(b.port, 4, { username: 'stranger', password: pw('x') }), 5);
  });

  it('is_superuser and acl of the answer go to the connection', async () => {
    service.answer = (_req, res) =>
      json(res, 200, {
        result: 'allow',
        is_superuser: true,
        acl: [{ permission: 'allow', action: 'subscribe', topic: 'cmd/${clientid}' }],
      });
    const c = await connect(b.port, { clientId: 'http-su', username: 'alice', password: 'good' });
    try {
      const conn = [...b.broker.connections].find((x) => x.clientId === 'http-su');
      assert.equal(conn?.superuser, true);
      assert.deepEqual(conn?.connectionAcl, [{ permission: 'allow', action: 'subscribe', filter: 'cmd/${clientid}' }]);
    } finally {
      await c.end();
    }
  });
});

describe('http provider, GET, with a cache', () => {
  const service = new AuthService();
  let b: TestBroker;
  before(async () => {
    await service.start();
    b = await startBroker({
      auth: {
        providers: ['http'],
        allow_anonymous: false,
        http: {
          url: `http://127.0.0.1:${service.port}/auth?realm=mqtt`,
          method: 'get',
          body: { user: '${username}', pass: '${password}', id: '${clientid}' },
          cache_ttl_ms: 60_000,
        },
      },
    });
  });
  after(async () => {
    await b?.stop();
    await service.stop();
  });

  it('sends the template as query parameters', async () => {
    service.answer = (_req, res) => json(res, 200, { result: 'allow' });
    assert.equal(await connackCode(b.port, 4, { clientId: 'get-1', username: 'al ice', password: pw('p&w=1') }), 0);
    const url = new URL(service.seen.at(-1)!.url, 'http://x');
    assert.equal(service.seen.at(-1)!.method, 'GET');
    assert.equal(url.pathname, '/auth');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      realm: 'mqtt',
      user: 'al ice',
      pass: 'p&w=1',
      id: 'get-1',
    });
  });

  it('an allow answer is reused for the same credentials only; a deny is not cached', async () => {
    service.answer = (req, res) => {
      const pass = new URL(req.url, 'http://x').searchParams.get('pass');
      json(res, 200, { result: pass === 'right' ? 'allow' : 'deny' });
    };
    service.seen = [];
    const creds = { clientId: 'cached', username: 'bob', password: pw('right') };
    assert.equal(await connackCode(b.port, 4, creds), 0);
    assert.equal(await connackCode(b.port, 4, creds), 0);
    assert.equal(service.seen.length, 1, 'the second CONNECT was answered from the cache');
    assert.equal(await connackCode(b.port, 4, { ...creds, password: pw('wrong') }), 4);
    assert.equal(await connackCode(b.port, 4, { ...creds, password: pw('wrong') }), 4);
    assert.equal(service.seen.length, 3);
    const provider = b.broker.authChain.providers[0] as HttpProvider;
    assert.equal(provider.requests >= 3, true);
  });
});

describe('http provider, service down', () => {
  it('a service nobody listens on refuses every client as not authorized', async () => {
    const port = await freePort();
    const b = await startBroker({
      auth: { providers: ['http'], allow_anonymous: true, http: { url: `http://127.0.0.1:${port}/auth` } },
    });
    try {
      assert.equal(await connackCode(b.port, 5, { username: 'alice', password: pw('x') }), 0x87);
      assert.equal(await connackCode(b.port, 4, {}), 5);
    } finally {
      await b.stop();
    }
  });

  it('listing http without [auth.http] fails at load saying what to set', () => {
    assert.throws(
      () => loadConfig({ overrides: { auth: { providers: ['http'] } } }),
      /auth\.http: auth\.providers lists "http" but its settings are missing: set auth\.http\.url/,
    );
    assert.throws(
      () => loadConfig({ overrides: { auth: { providers: ['http'], http: { url: 'ftp://x' } } } }),
      /auth\.http\.url: must be an http:\/\/ or https:\/\/ URL/,
    );
  });
});
