// MQTT 5 enhanced authentication with SCRAM-SHA-256 / SCRAM-SHA-512 (auth.scram) against built-in
// users made through the admin API: the CONNECT exchange (AUTH 0x18 both ways, server-final in the
// CONNACK, checked here so the server proves it knows the key), refusals (wrong password, unknown
// user, unknown or disabled method, protocol errors), re-authentication (AUTH 0x19) while the
// connection keeps working, the connect timeout mid-exchange, and credentials kept across a restart.
// The client side of SCRAM is computed here from the password, independently of the server's code.
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import type { IAuthPacket, IConnackPacket, IDisconnectPacket, Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { cli } from '../helpers/admin-cli.js';
import { spawnBrokerOnFreePorts } from '../helpers/cli.js';
import { uniqueId } from '../helpers/clients.js';
import { connectPacket, RawClient } from '../helpers/raw-client.js';

type Method = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const HASH = { 'SCRAM-SHA-256': ['sha256', 32], 'SCRAM-SHA-512': ['sha512', 64] } as const;

/** The client side of SCRAM (RFC 5802, 3), from the password. */
class ScramClient {
  readonly nonce = randomBytes(12).toString('base64');
  readonly bare: string;
  private expectedServerSignature?: string;

  constructor(
    readonly method: Method,
    readonly username: string,
    private readonly password: string,
  ) {
    this.bare = `n=${username.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.nonce}`;
  }

  first(): Buffer {
    return Buffer.from(`n,,${this.bare}`);
  }

  /** The client-final-message answering `serverFirst` (which must extend our nonce). */
  final(serverFirst: string): Buffer {
    const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
    assert.ok(attrs.r!.startsWith(this.nonce) && attrs.r!.length > this.nonce.length, 'server nonce extends ours');
    const [hash, len] = HASH[this.method];
    const salted = pbkdf2Sync(this.password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), len, hash);
    const clientKey = createHmac(hash, salted).update('Client Key').digest();
    const storedKey = createHash(hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${attrs.r}`;
    const authMessage = `${this.bare},${serverFirst},${withoutProof}`;
    const signature = createHmac(hash, storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    const serverKey = createHmac(hash, salted).update('Server Key').digest();
    this.expectedServerSignature = createHmac(hash, serverKey).update(authMessage).digest('base64');
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Whether the server-final-message proves the server holds this user's ServerKey. */
  serverFinalOk(data: Buffer | undefined): boolean {
    return data !== undefined && data.toString() === `v=${this.expectedServerSignature}`;
  }
}

const auth = (reasonCode: number, method: string, data?: Buffer): Packet =>
  ({
    cmd: 'auth',
    reasonCode,
    properties: data ? { authenticationMethod: method, authenticationData: data } : { authenticationMethod: method },
  }) as Packet;

/** CONNECT with SCRAM; returns the client, the server's AUTH (0x18) and the SCRAM client. */
async function begin(
  port: number,
  method: Method,
  username: string,
  password: string,
  extra: Record<string, unknown> = {},
): Promise<{ c: RawClient; scram: ScramClient; challenge: IAuthPacket }> {
  const scram = new ScramClient(method, username, password);
  const c = await RawClient.open(port, 5);
  c.write(
    connectPacket(uniqueId('scram'), 5, {
      properties: { authenticationMethod: method, authenticationData: scram.first() },
      ...extra,
    }),
    5,
  );
  const challenge = await c.next<IAuthPacket>('auth');
  return { c, scram, challenge };
}

/** The whole CONNECT exchange; returns the CONNACK. */
async function scramConnect(
  port: number,
  method: Method,
  username: string,
  password: string,
): Promise<{ c: RawClient; scram: ScramClient; connack: IConnackPacket }> {
  const { c, scram, challenge } = await begin(port, method, username, password);
  // [MQTT-4.12.0-2] the server's AUTH is 0x18 Continue authentication, [MQTT-4.12.0-5] with the method
  assert.equal(challenge.reasonCode, 0x18);
  assert.equal(challenge.properties?.authenticationMethod, method);
  const serverFirst = challenge.properties!.authenticationData!.toString();
  assert.match(serverFirst, /,i=4096$/);
  c.write(auth(0x18, method, scram.final(serverFirst)), 5);
  return { c, scram, connack: await c.next<IConnackPacket>('connack') };
}

describe('SCRAM enhanced authentication', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ auth: { allow_anonymous: false } });
    await b.broker.admin.createUser({ username: 'alice', password: 'wonderland' });
    await b.broker.admin.createUser({ username: 'root', password: 'toor-toor', superuser: true });
    await b.broker.admin.createUser({ username: 'co,m=ma', password: 'escaped' });
  });
  after(() => b.stop());

  for (const method of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${method}: the right password connects; the CONNACK carries the method and a server-final the client verifies`, async () => {
      const { c, scram, connack } = await scramConnect(b.port, method, 'alice', 'wonderland');
      try {
        assert.equal(connack.reasonCode, 0);
        // [MQTT-4.12.0-5] the successful CONNACK carries the Authentication Method of the CONNECT
        assert.equal(connack.properties?.authenticationMethod, method);
        assert.ok(scram.serverFinalOk(connack.properties?.authenticationData), 'server signature');
        // the connection works, as alice
        c.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'scram/t', qos: 0 }] } as Packet, 5);
        await c.next('suback');
        const conn = [...b.broker.connections].find((x) => x.username === 'alice' && x.state === 'connected');
        assert.ok(conn && !conn.superuser);
      } finally {
        c.close();
      }
    });

    it(`${method}: a wrong password is refused with CONNACK 0x86 and counted`, async () => {
      const failures = b.broker.authChain.failures;
      const { c, connack } = await scramConnect(b.port, method, 'alice', 'looking-glass');
      assert.equal(connack.reasonCode, 0x86);
      assert.equal(connack.properties?.authenticationData, undefined);
      assert.ok(await c.waitClosed());
      assert.equal(b.broker.authChain.failures, failures + 1);
    });
  }

  it('a banned username is refused (0x8A) when SCRAM names it and the CONNECT had no User Name', async () => {
    await b.broker.admin.createUser({ username: 'mallory', password: 'eve-pass' });
    await b.broker.admin.createBan({ kind: 'username', value: 'mallory', reason: 'test' });
    try {
      const { connack } = await scramConnect(b.port, 'SCRAM-SHA-256', 'mallory', 'eve-pass');
      assert.equal(connack.reasonCode, 0x8a);
    } finally {
      await b.broker.admin.deleteBan('username', 'mallory');
    }
    const { c, connack } = await scramConnect(b.port, 'SCRAM-SHA-256', 'mallory', 'eve-pass');
    assert.equal(connack.reasonCode, 0, 'let in once the ban is removed');
    c.close();
  });

  it('a superuser is connected as one; a username with "," and "=" is escaped in SCRAM', async () => {
    const root = await scramConnect(b.port, 'SCRAM-SHA-512', 'root', 'toor-toor');
    const odd = await scramConnect(b.port, 'SCRAM-SHA-256', 'co,m=ma', 'escaped');
    try {
      assert.equal(root.connack.reasonCode, 0);
      assert.equal(odd.connack.reasonCode, 0);
      const byName = new Map([...b.broker.connections].map((x) => [x.username, x]));
      assert.equal(byName.get('root')?.superuser, true);
      assert.equal(byName.get('co,m=ma')?.superuser, false);
    } finally {
      root.c.close();
      odd.c.close();
    }
  });

  it('an unknown user gets a challenge like any other, then CONNACK 0x86 (no username enumeration)', async () => {
    const { c, connack } = await scramConnect(b.port, 'SCRAM-SHA-256', 'nobody', 'whatever');
    assert.equal(connack.reasonCode, 0x86);
    c.close();
  });

  it('a user created before SCRAM credentials were kept (no scram field) is refused with 0x86', async () => {
    const user = b.broker.security.user('alice')!;
    b.broker.security.apply({ op: 'putUser', user: { ...user, username: 'legacy', scram: undefined } });
    const { c, connack } = await scramConnect(b.port, 'SCRAM-SHA-256', 'legacy', 'wonderland');
    assert.equal(connack.reasonCode, 0x86);
    c.close();
    // its password still works at CONNECT
    const plain = await RawClient.open(b.port, 5);
    plain.write(connectPacket(uniqueId('legacy'), 5, { username: 'legacy', password: Buffer.from('wonderland') }), 5);
    assert.equal((await plain.next<IConnackPacket>('connack')).reasonCode, 0);
    plain.close();
  });

  it('a new password (admin setUserPassword) replaces the SCRAM credentials', async () => {
    await b.broker.admin.createUser({ username: 'eve', password: 'first-pass' });
    await b.broker.admin.setUserPassword('eve', 'second-pass');
    const old = await scramConnect(b.port, 'SCRAM-SHA-256', 'eve', 'first-pass');
    assert.equal(old.connack.reasonCode, 0x86);
    old.c.close();
    const now = await scramConnect(b.port, 'SCRAM-SHA-256', 'eve', 'second-pass');
    assert.equal(now.connack.reasonCode, 0);
    now.c.close();
  });

  it('[MQTT-4.12.0-1] an unknown Authentication Method is refused with CONNACK 0x8C', async () => {
    const c = await RawClient.open(b.port, 5);
    c.write(
      connectPacket(uniqueId('m'), 5, {
        properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from('n,,n=alice,r=abc') },
      }),
      5,
    );
    assert.equal((await c.next<IConnackPacket>('connack')).reasonCode, 0x8c);
    assert.ok(await c.waitClosed());
  });

  it('[MQTT-4.12.0-5] an AUTH with another Authentication Method than CONNECT is a protocol error (CONNACK 0x82)', async () => {
    const { c, scram, challenge } = await begin(b.port, 'SCRAM-SHA-256', 'alice', 'wonderland');
    const final = scram.final(challenge.properties!.authenticationData!.toString());
    c.write(auth(0x18, 'SCRAM-SHA-512', final), 5);
    assert.equal((await c.next<IConnackPacket>('connack')).reasonCode, 0x82);
    assert.ok(await c.waitClosed());
  });

  it('[MQTT-4.12.0-3] an AUTH 0x19 instead of 0x18 before the CONNACK is a protocol error', async () => {
    const { c, scram, challenge } = await begin(b.port, 'SCRAM-SHA-256', 'alice', 'wonderland');
    c.write(auth(0x19, 'SCRAM-SHA-256', scram.final(challenge.properties!.authenticationData!.toString())), 5);
    assert.equal((await c.next<IConnackPacket>('connack')).reasonCode, 0x82);
  });

  it('channel binding ("p=") and a missing client-first-message are refused (0x87)', async () => {
    for (const data of [Buffer.from('p=tls-unique,,n=alice,r=abc'), undefined]) {
      const c = await RawClient.open(b.port, 5);
      const properties = data
        ? { authenticationMethod: 'SCRAM-SHA-256', authenticationData: data }
        : { authenticationMethod: 'SCRAM-SHA-256' };
      c.write(connectPacket(uniqueId('cb'), 5, { properties }), 5);
      assert.equal((await c.next<IConnackPacket>('connack')).reasonCode, 0x87);
      c.close();
    }
  });

  it('a CONNECT User Name other than the SCRAM username is refused (0x86)', async () => {
    const scram = new ScramClient('SCRAM-SHA-256', 'alice', 'wonderland');
    const c = await RawClient.open(b.port, 5);
    c.write(
      connectPacket(uniqueId('u'), 5, {
        username: 'root',
        properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: scram.first() },
      }),
      5,
    );
    assert.equal((await c.next<IConnackPacket>('connack')).reasonCode, 0x86);
    c.close();
  });

  it('packets sent before the CONNACK are held and handled once the client is in', async () => {
    const { c, scram, challenge } = await begin(b.port, 'SCRAM-SHA-256', 'alice', 'wonderland');
    try {
      c.write({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'early/t', qos: 1 }] } as Packet, 5);
      c.write(auth(0x18, 'SCRAM-SHA-256', scram.final(challenge.properties!.authenticationData!.toString())), 5);
      assert.equal((await c.next<IConnackPacket>('connack')).reasonCode, 0);
      const suback = await c.next('suback');
      assert.equal((suback as { messageId: number }).messageId, 7);
    } finally {
      c.close();
    }
  });

  it('MQTT.js with a handleAuth hook connects with SCRAM-SHA-512 and gets the server-final', async () => {
    const scram = new ScramClient('SCRAM-SHA-512', 'alice', 'wonderland');
    const client = mqtt.connect({
      host: '127.0.0.1',
      port: b.port,
      protocolVersion: 5,
      reconnectPeriod: 0,
      manualConnect: true, // the hook must be in place before CONNECT goes out
      properties: { authenticationMethod: 'SCRAM-SHA-512', authenticationData: scram.first() },
    });
    client.handleAuth = (packet, callback) => {
      const data = packet.properties!.authenticationData!.toString();
      callback(undefined, auth(0x18, 'SCRAM-SHA-512', scram.final(data)) as IAuthPacket);
    };
    try {
      const connack = await new Promise<IConnackPacket>((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
        client.connect();
      });
      assert.equal(connack.reasonCode, 0);
      assert.ok(scram.serverFinalOk(connack.properties?.authenticationData));
    } finally {
      await client.endAsync(true);
    }
  });

  describe('re-authentication (MQTT 5.0, 4.12.1)', () => {
    it('AUTH 0x19 with the same method: the exchange runs while the connection keeps working, then AUTH 0x00 with the server-final', async () => {
      const { c, connack } = await scramConnect(b.port, 'SCRAM-SHA-256', 'alice', 'wonderland');
      try {
        assert.equal(connack.reasonCode, 0);
        const again = new ScramClient('SCRAM-SHA-256', 'alice', 'wonderland');
        c.write(auth(0x19, 'SCRAM-SHA-256', again.first()), 5);
        const challenge = await c.next<IAuthPacket>('auth');
        assert.equal(challenge.reasonCode, 0x18);
        assert.equal(challenge.properties?.authenticationMethod, 'SCRAM-SHA-256');
        // in the middle of the exchange the connection still serves the client
        c.write({ cmd: 'pingreq' } as Packet, 5);
        await c.next('pingresp');
        c.write(auth(0x18, 'SCRAM-SHA-256', again.final(challenge.properties!.authenticationData!.toString())), 5);
        const done = await c.next<IAuthPacket>('auth');
        assert.equal(done.reasonCode, 0);
        assert.equal(done.properties?.authenticationMethod, 'SCRAM-SHA-256');
        assert.ok(again.serverFinalOk(done.properties?.authenticationData));
        c.write({ cmd: 'pingreq' } as Packet, 5);
        await c.next('pingresp');
      } finally {
        c.close();
      }
    });

    it('[MQTT-4.12.1-2] a failed re-authentication (wrong password) ends the connection with DISCONNECT 0x87', async () => {
      const { c } = await scramConnect(b.port, 'SCRAM-SHA-512', 'alice', 'wonderland');
      const wrong = new ScramClient('SCRAM-SHA-512', 'alice', 'not-it');
      c.write(auth(0x19, 'SCRAM-SHA-512', wrong.first()), 5);
      const challenge = await c.next<IAuthPacket>('auth');
      c.write(auth(0x18, 'SCRAM-SHA-512', wrong.final(challenge.properties!.authenticationData!.toString())), 5);
      assert.equal((await c.next<IDisconnectPacket>('disconnect')).reasonCode, 0x87);
      assert.ok(await c.waitClosed());
    });

    it('re-authentication as another user is refused with DISCONNECT 0x87', async () => {
      const { c } = await scramConnect(b.port, 'SCRAM-SHA-256', 'alice', 'wonderland');
      c.write(auth(0x19, 'SCRAM-SHA-256', new ScramClient('SCRAM-SHA-256', 'root', 'toor-toor').first()), 5);
      assert.equal((await c.next<IDisconnectPacket>('disconnect')).reasonCode, 0x87);
      assert.ok(await c.waitClosed());
    });

    it('[MQTT-4.12.1-1] re-authentication with another Authentication Method is a protocol error (DISCONNECT 0x82)', async () => {
      const { c } = await scramConnect(b.port, 'SCRAM-SHA-256', 'alice', 'wonderland');
      c.write(auth(0x19, 'SCRAM-SHA-512', new ScramClient('SCRAM-SHA-512', 'alice', 'wonderland').first()), 5);
      assert.equal((await c.next<IDisconnectPacket>('disconnect')).reasonCode, 0x82);
      assert.ok(await c.waitClosed());
    });

    it('AUTH 0x18 without a re-authentication in progress is a protocol error (DISCONNECT 0x82)', async () => {
      const { c } = await scramConnect(b.port, 'SCRAM-SHA-256', 'alice', 'wonderland');
      c.write(auth(0x18, 'SCRAM-SHA-256', Buffer.from('c=biws,r=x,p=AAAA')), 5);
      assert.equal((await c.next<IDisconnectPacket>('disconnect')).reasonCode, 0x82);
    });

    it('[MQTT-4.12.0-7] a client that did not use enhanced authentication at CONNECT may not send AUTH (DISCONNECT 0x82)', async () => {
      const c = await RawClient.open(b.port, 5);
      c.write(connectPacket(uniqueId('p'), 5, { username: 'alice', password: Buffer.from('wonderland') }), 5);
      assert.equal((await c.next<IConnackPacket>('connack')).reasonCode, 0);
      c.write(auth(0x19, 'SCRAM-SHA-256', new ScramClient('SCRAM-SHA-256', 'alice', 'wonderland').first()), 5);
      assert.equal((await c.next<IDisconnectPacket>('disconnect')).reasonCode, 0x82);
      assert.ok(await c.waitClosed());
    });
  });

  it('MQTT 3.1.1 clients are unaffected: users made with SCRAM credentials still log in with their password', async () => {
    const c = await RawClient.open(b.port, 4);
    c.write(connectPacket(uniqueId('v4'), 4, { username: 'alice', password: Buffer.from('wonderland') }), 4);
    assert.equal((await c.next<IConnackPacket>('connack')).returnCode, 0);
    c.close();
  });
});

describe('SCRAM configuration and the connect timeout', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ mqtt: { connect_timeout_ms: 600 }, auth: { scram: { algorithms: ['SCRAM-SHA-256'] } } });
    await b.broker.admin.createUser({ username: 'alice', password: 'wonderland' });
  });
  after(() => b.stop());

  it('a method left out of auth.scram.algorithms is refused with 0x8C; a listed one works', async () => {
    const c = await RawClient.open(b.port, 5);
    const scram = new ScramClient('SCRAM-SHA-512', 'alice', 'wonderland');
    c.write(
      connectPacket(uniqueId('d'), 5, {
        properties: { authenticationMethod: 'SCRAM-SHA-512', authenticationData: scram.first() },
      }),
      5,
    );
    assert.equal((await c.next<IConnackPacket>('connack')).reasonCode, 0x8c);
    const ok = await scramConnect(b.port, 'SCRAM-SHA-256', 'alice', 'wonderland');
    assert.equal(ok.connack.reasonCode, 0);
    ok.c.close();
  });

  it('a client that stops in the middle of the exchange is closed by the connect timeout, without a CONNACK', async () => {
    const { c, challenge } = await begin(b.port, 'SCRAM-SHA-256', 'alice', 'wonderland');
    assert.equal(challenge.reasonCode, 0x18);
    assert.ok(await c.waitClosed(3000), 'closed by the connect timeout');
    assert.equal(
      c.packets.find((p) => p.cmd === 'connack'),
      undefined,
    );
  });
});

describe('SCRAM disabled', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ auth: { scram: { enabled: false } } });
    await b.broker.admin.createUser({ username: 'alice', password: 'wonderland' });
  });
  after(() => b.stop());

  it('auth.scram.enabled = false refuses every Authentication Method with 0x8C', async () => {
    const c = await RawClient.open(b.port, 5);
    const scram = new ScramClient('SCRAM-SHA-256', 'alice', 'wonderland');
    c.write(
      connectPacket(uniqueId('off'), 5, {
        properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: scram.first() },
      }),
      5,
    );
    assert.equal((await c.next<IConnackPacket>('connack')).reasonCode, 0x8c);
  });
});

describe('SCRAM credentials survive a restart (sqlite)', () => {
  it('a user made through the admin API logs in with SCRAM after the broker restarts', async () => {
    const first = await startBroker({ storage: { engine: 'sqlite' } }, true);
    const dataDir = first.dataDir;
    await first.broker.admin.createUser({ username: 'kept', password: 'persisted' });
    await first.stop();
    const second = await startBroker({ storage: { engine: 'sqlite' }, node: { data_dir: dataDir } });
    try {
      const { c, scram, connack } = await scramConnect(second.port, 'SCRAM-SHA-512', 'kept', 'persisted');
      assert.equal(connack.reasonCode, 0);
      assert.ok(scram.serverFinalOk(connack.properties?.authenticationData));
      c.close();
    } finally {
      await second.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('SCRAM with --workers 2', () => {
  it('a user made with robustmq-cli user create logs in with SCRAM on the workers (credentials forwarded)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-scram-w-'));
    const { child, ports } = await spawnBrokerOnFreePorts(dir, ['--workers', '2', '--storage', 'memory']);
    try {
      const admin = `127.0.0.1:${ports.admin}`;
      const made = await cli(['user', 'create', 'wk', '--password-stdin', '--server', admin], 'Wk-Scram-1');
      assert.equal(made.code, 0, made.stderr);
      const mqttPort = ports.mqtt;
      for (let i = 0; i < 4; i++) {
        // several connections: they land on either worker
        const { c, scram, connack } = await scramConnect(mqttPort, 'SCRAM-SHA-256', 'wk', 'Wk-Scram-1');
        assert.equal(connack.reasonCode, 0);
        assert.ok(scram.serverFinalOk(connack.properties?.authenticationData));
        c.close();
      }
    } finally {
      child.proc.kill('SIGTERM');
      assert.equal((await child.exited(15_000)).code, 0, child.stderr());
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
