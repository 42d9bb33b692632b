// The jwt provider: tokens signed with jose (HS256 with a secret file, RS256 and ES256 with keys made
// by node:crypto) in the CONNECT password or username. A good token lets the client in (superuser
// claim, ACL rules of the acl claim in EMQX's two formats); a bad signature, another algorithm, an
// expired or not-yet-valid token, or a claim that differs from verify_claims is refused (v5 0x86 /
// 3.1.1 return code 4); a password that is no JWT is passed on to builtin.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, type JWTPayload } from 'jose';
import { Broker } from '../../src/server/broker.js';
import { loadConfig } from '../../src/lib/config.js';
import { isRobustMQError } from '../../src/lib/errors.js';
import { BAD_CREDENTIALS, NOT_AUTHORIZED, capturingLogger, connackCode, shownCode } from '../helpers/auth-connect.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect } from '../helpers/clients.js';

const dir = mkdtempSync(join(tmpdir(), 'rmq-jwt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'a-shared-secret-of-at-least-32-bytes!';
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, `${SECRET}\n`);
const hmacKey = new TextEncoder().encode(SECRET);

const now = () => Math.floor(Date.now() / 1000);

async function sign(
  claims: JWTPayload & Record<string, unknown>,
  key: KeyObject | Uint8Array = hmacKey,
  alg = 'HS256',
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' });
  if (claims.exp === undefined) jwt.setExpirationTime(now() + 600);
  return jwt.sign(key);
}

function pemFile(name: string, key: KeyObject): string {
  const file = join(dir, name);
  writeFileSync(file, key.export({ type: 'spki', format: 'pem' }));
  return file;
}

describe('jwt HS256 in the password, before builtin', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({
      auth: {
        providers: ['jwt', 'builtin'],
        allow_anonymous: false,
        jwt: { algorithm: 'HS256', secret_file: secretFile, verify_claims: { sub: '${clientid}' } },
      },
    });
    await b.broker.admin.createUser({ username: 'alice', password: 'wonderland' });
  });
  after(() => b?.stop());

  for (const v of [3, 4, 5] as const) {
    it(`v${v}: a good token connects; one signed with another secret is refused (${shownCode(v, BAD_CREDENTIALS)})`, async () => {
      const good = await sign({ sub: 'dev-1' });
      assert.equal(
        await connackCode(b.port, v, { clientId: 'dev-1', username: 'any', password: Buffer.from(good) }),
        0,
      );
      const forged = await sign({ sub: 'dev-1' }, new TextEncoder().encode('another-secret-another-secret-xx'));
      assert.equal(
        await connackCode(b.port, v, { clientId: 'dev-1', username: 'any', password: Buffer.from(forged) }),
        BAD_CREDENTIALS[v],
      );
    });
  }

  it('an MQTT.js client connects with a token', async () => {
    const c = await connect(b.port, {
      username: 'u',
      clientId: 'dev-mqttjs',
      password: await sign({ sub: 'dev-mqttjs' }),
    });
    await c.end();
  });

  it('exp and nbf: an expired token and one not valid yet are refused', async () => {
    const expired = await sign({ sub: 'dev-1', exp: now() - 60 });
    assert.equal(
      await connackCode(b.port, 5, { clientId: 'dev-1', username: 'u', password: Buffer.from(expired) }),
      0x86,
    );
    const early = await sign({ sub: 'dev-1', nbf: now() + 600 });
    assert.equal(
      await connackCode(b.port, 5, { clientId: 'dev-1', username: 'u', password: Buffer.from(early) }),
      0x86,
    );
    const fine = await sign({ sub: 'dev-1', nbf: now() - 10 });
    assert.equal(await connackCode(b.port, 5, { clientId: 'dev-1', username: 'u', password: Buffer.from(fine) }), 0);
  });

  it('verify_claims: a sub that is not the client id is refused', async () => {
    const token = await sign({ sub: 'dev-1' });
    assert.equal(
      await connackCode(b.port, 5, { clientId: 'dev-2', username: 'u', password: Buffer.from(token) }),
      0x86,
    );
    const none = await sign({});
    assert.equal(await connackCode(b.port, 4, { clientId: 'dev-1', username: 'u', password: Buffer.from(none) }), 4);
  });

  it('a token of another algorithm (HS512, or alg none) is refused', async () => {
    const hs512 = await sign({ sub: 'dev-1' }, hmacKey, 'HS512');
    assert.equal(
      await connackCode(b.port, 5, { clientId: 'dev-1', username: 'u', password: Buffer.from(hs512) }),
      0x86,
    );
    const body = Buffer.from(JSON.stringify({ sub: 'dev-1', exp: now() + 60 })).toString('base64url');
    const unsecured = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
    assert.equal(
      await connackCode(b.port, 5, { clientId: 'dev-1', username: 'u', password: Buffer.from(unsecured) }),
      0x86,
    );
  });

  it('a password that is no JWT is passed on: builtin answers it, and an unknown user is not authorized', async () => {
    assert.equal(await connackCode(b.port, 5, { username: 'alice', password: Buffer.from('wonderland') }), 0);
    assert.equal(await connackCode(b.port, 5, { username: 'alice', password: Buffer.from('nope') }), 0x86);
    assert.equal(await connackCode(b.port, 4, { username: 'bob', password: Buffer.from('a.b.c') }), NOT_AUTHORIZED[4]);
  });

  it('the superuser claim marks the connection superuser', async () => {
    const root = await connect(b.port, {
      username: 'u',
      clientId: 'dev-root',
      password: await sign({ sub: 'dev-root', is_superuser: true }),
    });
    const plain = await connect(b.port, {
      username: 'u',
      clientId: 'dev-plain',
      password: await sign({ sub: 'dev-plain' }),
    });
    try {
      const byId = new Map([...b.broker.connections].map((c) => [c.clientId, c]));
      assert.equal(byId.get('dev-root')?.superuser, true);
      assert.equal(byId.get('dev-plain')?.superuser, false);
    } finally {
      await root.end();
      await plain.end();
    }
  });

  it('the acl claim, list form: the rules of the connection with their qos/retain conditions; an allow rule with another condition is left out', async () => {
    const acl = [
      { permission: 'allow', action: 'publish', topic: 't/${clientid}' },
      { permission: 'allow', action: 'subscribe', topic: 't/1/#', qos: [1] },
      { permission: 'allow', action: 'subscribe', topic: 't/2/#', clientid_re: '^x' },
      { permission: 'deny', action: 'all', topic: '#', retain: true },
    ];
    const c = await connect(b.port, {
      username: 'u',
      clientId: 'dev-acl',
      password: await sign({ sub: 'dev-acl', acl }),
    });
    try {
      const conn = [...b.broker.connections].find((x) => x.clientId === 'dev-acl');
      assert.deepEqual(conn?.connectionAcl, [
        { permission: 'allow', action: 'publish', filter: 't/${clientid}' },
        { permission: 'allow', action: 'subscribe', filter: 't/1/#', qos: [1] },
        { permission: 'deny', action: 'all', filter: '#', retain: true },
      ]);
    } finally {
      await c.end();
    }
  });

  it('the acl claim, object form (pub/sub/all allow lists): everything else is denied', async () => {
    const acl = { pub: ['up/${clientid}'], sub: ['down/#'], all: ['both'] };
    const c = await connect(b.port, {
      username: 'u',
      clientId: 'dev-old',
      password: await sign({ sub: 'dev-old', acl }),
    });
    try {
      const conn = [...b.broker.connections].find((x) => x.clientId === 'dev-old');
      assert.deepEqual(conn?.connectionAcl, [
        { permission: 'allow', action: 'publish', filter: 'up/${clientid}' },
        { permission: 'allow', action: 'subscribe', filter: 'down/#' },
        { permission: 'allow', action: 'all', filter: 'both' },
        { permission: 'deny', action: 'all', filter: '#' },
        { permission: 'deny', action: 'all', filter: '$SYS/#' },
      ]);
    } finally {
      await c.end();
    }
  });

  it('the acl claim is enforced: SUBACK 0x87 and PUBACK 0x87 outside it, granted inside (v5)', async () => {
    const acl = { pub: ['up/${clientid}'], sub: ['down/#'] };
    const c = await connect(b.port, {
      protocolVersion: 5,
      username: 'u',
      clientId: 'dev-enf',
      password: await sign({ sub: 'dev-enf', acl }),
    });
    try {
      // MQTT.js rejects a SUBSCRIBE with any failure code, with the SUBACK on the error
      const err = await c.client.subscribeAsync({ 'down/x': { qos: 1 }, 'up/dev-enf': { qos: 1 } }).then(
        () => assert.fail('the SUBSCRIBE outside the claim was granted'),
        (e: { packet?: { granted?: number[] } }) => e,
      );
      assert.deepEqual(err.packet?.granted, [1, 0x87]);
      await c.client.publishAsync('up/dev-enf', 'ok', { qos: 1 });
      await assert.rejects(c.client.publishAsync('down/x', 'no', { qos: 1 }), /135|Not authorized/i);
    } finally {
      await c.end();
    }
  });

  it('an acl claim that cannot be read refuses the token', async () => {
    for (const acl of [
      'pub',
      [{ permission: 'maybe', action: 'publish', topic: 't' }],
      [{ permission: 'allow', action: 'publish', topic: 'a/#/b' }],
      { pub: ['t'], put: ['x'] },
    ]) {
      const token = await sign({ sub: 'dev-1', acl });
      assert.equal(
        await connackCode(b.port, 5, { clientId: 'dev-1', username: 'u', password: Buffer.from(token) }),
        0x86,
      );
    }
  });
});

describe('jwt RS256 and ES256 with public key files, token in the username', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const brokers: TestBroker[] = [];
  after(async () => {
    for (const b of brokers) await b.stop();
  });

  it('RS256: a token signed with the private key connects; one signed with ES256 does not', async () => {
    const b = await startBroker({
      auth: {
        providers: ['jwt'],
        allow_anonymous: false,
        jwt: { from: 'username', algorithm: 'RS256', public_key_file: pemFile('rsa.pem', rsa.publicKey) },
      },
    });
    brokers.push(b);
    const good = await sign({ sub: 'x' }, rsa.privateKey, 'RS256');
    assert.equal(await connackCode(b.port, 5, { username: good }), 0);
    assert.equal(await connackCode(b.port, 4, { username: good }), 0);
    const es = await sign({ sub: 'x' }, ec.privateKey, 'ES256');
    assert.equal(await connackCode(b.port, 5, { username: es }), 0x86);
    // the password is not looked at
    assert.equal(await connackCode(b.port, 5, { username: 'plain', password: Buffer.from(good) }), 0x87);
  });

  it('ES256: the right key connects, another key is refused', async () => {
    const b = await startBroker({
      auth: {
        providers: ['jwt'],
        allow_anonymous: false,
        jwt: { from: 'username', algorithm: 'ES256', public_key_file: pemFile('ec.pem', ec.publicKey) },
      },
    });
    brokers.push(b);
    assert.equal(await connackCode(b.port, 5, { username: await sign({}, ec.privateKey, 'ES256') }), 0);
    assert.equal(await connackCode(b.port, 5, { username: await sign({}, otherEc.privateKey, 'ES256') }), 0x86);
  });
});

describe('jwt settings', () => {
  it('listing jwt without [auth.jwt], or HS256 without a secret, fails at load saying what to set', () => {
    assert.throws(
      () => loadConfig({ overrides: { auth: { providers: ['jwt'] } } }),
      /auth\.jwt: auth\.providers lists "jwt" but its settings are missing: set auth\.jwt\.algorithm/,
    );
    assert.throws(
      () => loadConfig({ overrides: { auth: { providers: ['jwt'], jwt: { algorithm: 'HS256' } } } }),
      /auth\.jwt\.secret: HS256 needs the shared secret: set auth\.jwt\.secret or auth\.jwt\.secret_file/,
    );
    assert.throws(
      () => loadConfig({ overrides: { auth: { providers: ['jwt'], jwt: { algorithm: 'ES256' } } } }),
      /auth\.jwt\.public_key_file: ES256 needs the public key/,
    );
  });

  it('a key file that cannot be read, or is no public key, stops the start', async () => {
    const bad = join(dir, 'not-a-key.pem');
    writeFileSync(bad, 'hello');
    for (const file of [join(dir, 'missing.pem'), bad]) {
      await assert.rejects(
        startBroker({ auth: { providers: ['jwt'], jwt: { algorithm: 'RS256', public_key_file: file } } }),
        (err: unknown) =>
          isRobustMQError(err) &&
          err.code === 'RMQ_ERR_AUTH_PROVIDER' &&
          err.message.includes('auth.jwt.public_key_file'),
      );
    }
  });

  it('the config API shows the secret redacted, and the failure log has no token', async () => {
    const { log, lines } = capturingLogger();
    const config = loadConfig({
      overrides: {
        node: { data_dir: dir },
        mqtt: { port: 0 },
        sys: { enabled: false },
        admin: { grpc_enabled: false, http_enabled: false },
        storage: { engine: 'memory' },
        auth: { providers: ['jwt'], jwt: { algorithm: 'HS256', secret: SECRET } },
      },
    });
    const broker = new Broker(config, { logger: log });
    await broker.start();
    try {
      const entries = await broker.admin.getConfig();
      const secret = entries.find((e) => e.key === 'auth.jwt.secret');
      assert.equal(secret?.value, '***');
      assert.ok(!JSON.stringify(entries).includes(SECRET));
      const expired = await sign({ exp: now() - 60 });
      assert.equal(await connackCode(broker.mqttPort, 5, { username: 'u', password: Buffer.from(expired) }), 0x86);
      const failure = lines.find((l) => l.includes('authentication failed'));
      assert.ok(failure);
      assert.match(failure, /token expired/);
      assert.ok(!lines.join('').includes(expired));
    } finally {
      await broker.stop();
    }
  });
});
