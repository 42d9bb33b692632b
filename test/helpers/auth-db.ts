// What the PostgreSQL, MySQL/MariaDB and Redis authentication tests check alike, against a real
// database server the test file started: right and wrong passwords over MQTT 3.1.1 and 5 (raw
// CONNECT packets), a user without a password, unknown users (anonymous fallback on and off),
// the superuser flag of the connection, an injection attempt in the username, and the database
// going down (refused, the broker keeps serving) and coming back, also when it is down at start.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IConnackPacket } from 'mqtt-packet';
import { loadConfig, type BrokerConfigInput } from '../../src/lib/config.js';
import { Broker } from '../../src/server/broker.js';
import { capturingLogger } from './auth-connect.js';
import { startBroker, type TestBroker } from './broker.js';
import { connect, uniqueId } from './clients.js';
import { connectPacket, RawClient } from './raw-client.js';

export async function connack(port: number, v: 3 | 4 | 5, extra: Record<string, unknown>): Promise<IConnackPacket> {
  const c = await RawClient.open(port, v);
  c.write(connectPacket(uniqueId('dbauth'), v, extra), v);
  try {
    return await c.next<IConnackPacket>('connack');
  } finally {
    c.close();
  }
}

/** The CONNACK's v5 reason code or 3.1.1 return code. */
export const code = (ack: IConnackPacket, v: number) => (v === 5 ? ack.reasonCode : ack.returnCode);

const pw = (s: string) => Buffer.from(s);

export type DbProviderName = 'postgres' | 'mysql' | 'redis';

export interface DbAuthFixture {
  provider: DbProviderName;
  /**
   * The [auth.<provider>] table for the users the fixture seeds: alice / "wonderland" (not a
   * superuser), root / "toor-toor" (superuser), and, with `nullHashRow`, nopass (a row whose
   * password_hash is NULL).
   */
  table(): Record<string, unknown>;
  /** SQL can return a row with a NULL hash; Redis cannot tell a missing field from a missing key (no user). */
  nullHashRow: boolean;
  /** How many users are stored (the injection attempt must leave them all). */
  userCount(): Promise<number>;
  stopDatabase(): Promise<void>;
  startDatabase(): Promise<void>;
}

function brokerWith(f: DbAuthFixture, extra: BrokerConfigInput['auth'] = {}): Promise<TestBroker> {
  return startBroker({
    auth: { providers: [f.provider], [f.provider]: f.table(), ...extra } as BrokerConfigInput['auth'],
  });
}

export function describeDbAuthentication(f: DbAuthFixture): void {
  describe(`${f.provider}: passwords, anonymous fallback, superuser`, () => {
    let b: TestBroker;
    before(async () => {
      b = await brokerWith(f);
    });
    after(() => b?.stop());

    for (const v of [4, 5] as const) {
      it(`v${v}: the right password connects`, async () => {
        assert.equal(code(await connack(b.port, v, { username: 'alice', password: pw('wonderland') }), v), 0);
      });

      it(`v${v}: a wrong password is refused: ${v === 5 ? '0x86 Bad User Name or Password' : 'return code 4'}`, async () => {
        const ack = await connack(b.port, v, { username: 'alice', password: pw('wonderland!') });
        assert.equal(code(ack, v), v === 5 ? 0x86 : 4);
      });

      it(`v${v}: a known user without a password is refused the same way`, async () => {
        assert.equal(code(await connack(b.port, v, { username: 'alice' }), v), v === 5 ? 0x86 : 4);
      });

      it(`v${v}: an unknown username is left to the anonymous fallback (allowed on loopback)`, async () => {
        assert.equal(code(await connack(b.port, v, { username: 'nobody', password: pw('x') }), v), 0);
      });
    }

    it('a row without a password hash lets no password in', { skip: !f.nullHashRow }, async () => {
      assert.equal(code(await connack(b.port, 5, { username: 'nopass', password: pw('') }), 5), 0x86);
      assert.equal(code(await connack(b.port, 4, { username: 'nopass', password: pw('anything') }), 4), 4);
    });

    it('is_superuser marks the connection superuser, and only that one (v3.1.1 and v5)', async () => {
      const root = await connect(b.port, { username: 'root', password: 'toor-toor', clientId: uniqueId('root') });
      const alice = await connect(b.port, {
        username: 'alice',
        password: 'wonderland',
        clientId: uniqueId('alice'),
        protocolVersion: 5,
      });
      try {
        const byUser = new Map([...b.broker.connections].map((c) => [c.clientId, c]));
        assert.equal(byUser.get(root.client.options.clientId!)?.superuser, true);
        assert.equal(byUser.get(alice.client.options.clientId!)?.superuser, false);
      } finally {
        await root.end();
        await alice.end();
      }
    });

    it('an injection attempt in the username finds no user and changes nothing', async () => {
      const before = await f.userCount();
      const attempts = [
        "alice' OR '1'='1",
        "' OR 1=1 -- ",
        "nobody' UNION SELECT 'x', '', 1 -- ",
        "alice'; DROP TABLE mqtt_user; --",
        'alice password_hash',
        'alice FLUSHALL',
      ];
      for (const username of attempts) {
        for (const v of [4, 5] as const) {
          // the right password of alice, and a password an injected row would hold
          for (const password of ['wonderland', 'x', '']) {
            const ack = await connack(b.port, v, { username, password: pw(password) });
            // no row: the client is anonymous (allowed here); never a user's identity
            assert.equal(code(ack, v), 0, `${JSON.stringify(username)} v${v}`);
          }
        }
      }
      const conns = [...b.broker.connections].filter((c) => c.superuser);
      assert.equal(conns.length, 0);
      assert.equal(await f.userCount(), before);
    });
  });

  describe(`${f.provider}: auth.allow_anonymous = false`, () => {
    let b: TestBroker;
    before(async () => {
      b = await brokerWith(f, { allow_anonymous: false });
    });
    after(() => b?.stop());

    it('an unknown username, or none, is refused as not authorized (0x87 / return code 5)', async () => {
      assert.equal(code(await connack(b.port, 5, { username: 'nobody', password: pw('x') }), 5), 0x87);
      assert.equal(code(await connack(b.port, 4, { username: 'nobody', password: pw('x') }), 4), 5);
      assert.equal(code(await connack(b.port, 4, {}), 4), 5);
    });

    it('an injection attempt is refused too, and a user with the right password is let in', async () => {
      assert.equal(code(await connack(b.port, 4, { username: "x' OR '1'='1", password: pw('wonderland') }), 4), 5);
      assert.equal(code(await connack(b.port, 5, { username: 'alice', password: pw('wonderland') }), 5), 0);
    });
  });

  describe(`${f.provider}: the database goes down`, () => {
    let b: TestBroker;
    before(async () => {
      b = await brokerWith(f);
    });
    after(async () => {
      await f.startDatabase().catch(() => {});
      await b?.stop();
    });

    it('while it is down a user is refused as not authorized (0x87 / 5), the broker keeps serving; back up, the user gets in', async () => {
      assert.equal(code(await connack(b.port, 4, { username: 'alice', password: pw('wonderland') }), 4), 0);
      await f.stopDatabase();
      try {
        const failures = b.broker.authChain.failures;
        assert.equal(code(await connack(b.port, 5, { username: 'alice', password: pw('wonderland') }), 5), 0x87);
        assert.equal(code(await connack(b.port, 4, { username: 'alice', password: pw('wonderland') }), 4), 5);
        // an outage never lets a wrong password or an unknown user in either
        assert.equal(code(await connack(b.port, 4, { username: 'nobody', password: pw('x') }), 4), 5);
        assert.equal(b.broker.authChain.failures, failures + 3);
        // the broker itself keeps working: a client the provider is not asked about (no username) connects and publishes
        const anon = await connect(b.port, { clientId: uniqueId('anon') });
        await anon.client.subscribeAsync('outage/t', { qos: 1 });
        await anon.client.publishAsync('outage/t', 'still here', { qos: 1 });
        assert.equal(String((await anon.waitFor(1))[0]!.payload), 'still here');
        await anon.end();
      } finally {
        await f.startDatabase();
      }
      await eventually(
        async () => code(await connack(b.port, 5, { username: 'alice', password: pw('wonderland') }), 5) === 0,
      );
    });
  });

  describe(`${f.provider}: the database is down when the broker starts`, () => {
    it('the broker starts, logs the provider unavailable at error, refuses its users, and lets them in once the database is up', async () => {
      await f.stopDatabase();
      const { log, lines } = capturingLogger();
      const config = loadConfig({
        overrides: {
          node: { log_level: 'info', data_dir: '/nonexistent-unused' },
          mqtt: { port: 0 },
          sys: { enabled: false },
          admin: { grpc_enabled: false, http_enabled: false },
          storage: { engine: 'memory' },
          auth: { providers: [f.provider], [f.provider]: { ...f.table(), connect_timeout_ms: 2000 } },
        } as BrokerConfigInput,
      });
      const broker = new Broker(config, { logger: log });
      try {
        await broker.start();
        const entry = lines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.provider === f.provider && l.level === 50);
        assert.ok(entry, `no error line for the provider:\n${lines.join('')}`);
        assert.match(String(entry.msg), /authentication database unavailable/);
        assert.equal(code(await connack(broker.mqttPort, 4, { username: 'alice', password: pw('wonderland') }), 4), 5);
        await f.startDatabase();
        await eventually(
          async () =>
            code(await connack(broker.mqttPort, 4, { username: 'alice', password: pw('wonderland') }), 4) === 0,
        );
        const secret = String(f.table().password ?? '');
        if (secret) assert.ok(!lines.join('').includes(secret), 'the database password is in the log');
      } finally {
        await f.startDatabase().catch(() => {});
        await broker.stop();
      }
    });
  });
}

/** Retries `check` until it is true (a reconnecting pool needs a moment); fails after `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`not true after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts a broker whose provider uses `table`, runs `fn` with it, stops it. */
export async function withBroker<T>(
  provider: DbProviderName,
  table: Record<string, unknown>,
  fn: (b: TestBroker) => Promise<T>,
): Promise<T> {
  const b = await startBroker({ auth: { providers: [provider], [provider]: table } as BrokerConfigInput['auth'] });
  try {
    return await fn(b);
  } finally {
    await b.stop();
  }
}
