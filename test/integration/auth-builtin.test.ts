// Authentication with the built-in users (robustmq-cli user create): right and wrong passwords on
// every protocol level, superusers, auth.allow_anonymous, the packets a client pipelines after its
// CONNECT while it is being authenticated, and the failure counter and log line (no password).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqttPacket, { type IConnackPacket, type IPublishPacket, type ISubackPacket, type Packet } from 'mqtt-packet';
import { Broker } from '../../src/server/broker.js';
import { loadConfig } from '../../src/lib/config.js';
import { capturingLogger } from '../helpers/auth-connect.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, uniqueId } from '../helpers/clients.js';
import { connectPacket, RawClient } from '../helpers/raw-client.js';

async function connack(port: number, v: 3 | 4 | 5, extra: Record<string, unknown>): Promise<IConnackPacket> {
  const c = await RawClient.open(port, v);
  c.write(connectPacket(uniqueId('auth'), v, extra), v);
  try {
    return await c.next<IConnackPacket>('connack');
  } finally {
    c.close();
  }
}

const code = (ack: IConnackPacket, v: number) => (v === 5 ? ack.reasonCode : ack.returnCode);

describe('built-in users, anonymous clients allowed (the loopback default)', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
    await b.broker.admin.createUser({ username: 'alice', password: 'wonderland' });
    await b.broker.admin.createUser({ username: 'root', password: 'toor-toor', superuser: true });
  });
  after(() => b.stop());

  for (const v of [3, 4, 5] as const) {
    it(`v${v}: the right password connects`, async () => {
      const ack = await connack(b.port, v, { username: 'alice', password: Buffer.from('wonderland') });
      assert.equal(code(ack, v), 0);
    });

    it(`v${v}: a known username with a wrong password is refused (${v === 5 ? '0x86' : 'return code 4'}) though anonymous clients are allowed`, async () => {
      const ack = await connack(b.port, v, { username: 'alice', password: Buffer.from('looking-glass') });
      assert.equal(code(ack, v), v === 5 ? 0x86 : 4);
    });

    it(`v${v}: a known username with no password is refused too`, async () => {
      const ack = await connack(b.port, v, { username: 'alice' });
      assert.equal(code(ack, v), v === 5 ? 0x86 : 4);
    });
  }

  it('an unknown username, and no username at all, connect as anonymous clients', async () => {
    assert.equal((await connack(b.port, 4, { username: 'nobody', password: Buffer.from('x') })).returnCode, 0);
    assert.equal((await connack(b.port, 5, {})).reasonCode, 0);
  });

  it('an authenticated connection is marked superuser only for a superuser', async () => {
    const root = await connect(b.port, { username: 'root', password: 'toor-toor', clientId: 'root-client' });
    const alice = await connect(b.port, { username: 'alice', password: 'wonderland', clientId: 'alice-client' });
    try {
      const byId = new Map([...b.broker.connections].map((c) => [c.clientId, c]));
      assert.equal(byId.get('root-client')?.superuser, true);
      assert.equal(byId.get('alice-client')?.superuser, false);
    } finally {
      await root.end();
      await alice.end();
    }
  });

  it('packets sent right after CONNECT, before the CONNACK, are handled in order once the client is in', async () => {
    const c = await RawClient.open(b.port, 4);
    try {
      // one write: CONNECT (scrypt takes a while), SUBSCRIBE, PUBLISH to itself
      const bytes = Buffer.concat(
        [
          connectPacket(uniqueId('pipe'), 4, { username: 'alice', password: Buffer.from('wonderland') }),
          { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'pipe/t', qos: 1 }] },
          { cmd: 'publish', topic: 'pipe/t', payload: Buffer.from('early'), qos: 1, messageId: 2 },
        ].map((p) => generate(p as Packet)),
      );
      c.socket.write(bytes);
      assert.equal((await c.next<IConnackPacket>('connack')).returnCode, 0);
      assert.deepEqual((await c.next<ISubackPacket>('suback')).granted, [1]);
      const pub = await c.next<IPublishPacket>('publish');
      assert.equal(String(pub.payload), 'early');
    } finally {
      c.close();
    }
  });

  it('counts each refusal', async () => {
    const before = b.broker.authChain.failures;
    await connack(b.port, 4, { username: 'alice', password: Buffer.from('nope') });
    assert.equal(b.broker.authChain.failures, before + 1);
    // and the admin API shows it (cluster status, GET /api/v1/cluster/info)
    const status = await b.broker.admin.clusterStatus();
    assert.equal(status.nodes[0]!.mqttAuthFailures, before + 1);
  });
});

function generate(p: Packet): Buffer {
  return mqttPacket.generate(p, { protocolVersion: 4 });
}

describe('auth.allow_anonymous = false', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ auth: { allow_anonymous: false } });
    await b.broker.admin.createUser({ username: 'alice', password: 'wonderland' });
  });
  after(() => b.stop());

  it('a client without a username is refused: not authorized (v5 0x87, 3.1.1 return code 5)', async () => {
    assert.equal((await connack(b.port, 5, {})).reasonCode, 0x87);
    assert.equal((await connack(b.port, 4, {})).returnCode, 5);
  });

  it('an unknown username is refused as not authorized', async () => {
    assert.equal((await connack(b.port, 4, { username: 'mallory', password: Buffer.from('x') })).returnCode, 5);
  });

  it('a user with the right password is let in', async () => {
    assert.equal((await connack(b.port, 5, { username: 'alice', password: Buffer.from('wonderland') })).reasonCode, 0);
  });
});

describe('the failure log line', () => {
  it('names the client id and address, never the password', async () => {
    const { log, lines } = capturingLogger();
    const config = loadConfig({
      overrides: {
        node: { log_level: 'info', data_dir: '/nonexistent-unused' },
        mqtt: { port: 0 },
        sys: { enabled: false },
        admin: { grpc_enabled: false, http_enabled: false },
        storage: { engine: 'memory' },
      },
    });
    const broker = new Broker(config, { logger: log });
    await broker.start();
    try {
      await broker.admin.createUser({ username: 'alice', password: 'wonderland' });
      await connack(broker.mqttPort, 4, { clientId: 'x', username: 'alice', password: Buffer.from('s3cret-guess') });
      const failure = lines.find((l) => l.includes('authentication failed'));
      assert.ok(failure, lines.join(''));
      const rec = JSON.parse(failure) as Record<string, unknown>;
      assert.equal(rec.clientId, 'x');
      assert.match(String(rec.remote), /^127\.0\.0\.1:\d+$/);
      assert.equal(rec.username, 'alice');
      assert.ok(!lines.join('').includes('s3cret-guess'), 'the password is in the log');
    } finally {
      await broker.stop();
    }
  });
});

describe('secure by default', () => {
  it('binding a non-loopback address with auth.allow_anonymous unset fails with what to set', () => {
    assert.throws(
      () => loadConfig({ overrides: { mqtt: { bind: '0.0.0.0' } } }),
      /auth\.allow_anonymous: must be set when an MQTT listener binds a non-loopback address \(0\.0\.0\.0\): set auth\.allow_anonymous = false/,
    );
  });

  it('an explicit choice either way is accepted, and the default binds 127.0.0.1', () => {
    assert.equal(
      loadConfig({ overrides: { mqtt: { bind: '0.0.0.0' }, auth: { allow_anonymous: true } } }).auth.allow_anonymous,
      true,
    );
    assert.equal(
      loadConfig({ env: { ROBUSTMQ_MQTT_BIND: '0.0.0.0', ROBUSTMQ_AUTH_ALLOW_ANONYMOUS: 'false' } }).auth
        .allow_anonymous,
      false,
    );
    assert.equal(loadConfig({}).mqtt.bind, '127.0.0.1');
  });
});
