// Banned clients with real connections: bans by client id, username, IP address / CIDR range and
// regular expression are refused at CONNECT (v5 0x8A Banned, 3.1.1 return code 5) and counted; a ban
// that ends lets the client in again; a ban added while a client is connected disconnects it (v5
// DISCONNECT 0x98 Administrative action); flapping detection bans a client id that connects too often.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IConnackPacket, IDisconnectPacket } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId } from '../helpers/clients.js';
import { connectPacket, rawConnect, RawClient } from '../helpers/raw-client.js';

/** The CONNACK code (v5 reason code, 3.x return code) a CONNECT gets. */
async function connectCode(port: number, v: 4 | 5, clientId: string, extra: Record<string, unknown> = {}) {
  const c = await RawClient.open(port, v);
  c.write(connectPacket(clientId, v, extra), v);
  try {
    const ack = await c.next<IConnackPacket>('connack');
    return v === 5 ? ack.reasonCode : ack.returnCode;
  } finally {
    c.close();
  }
}

const BANNED = 0x8a;
const banned = (v: 4 | 5) => (v === 5 ? BANNED : 5);

describe('banned clients', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  const ban = (kind: 'clientid' | 'username' | 'ip' | 'regex', value: string, durationMs?: number) =>
    b.broker.admin.createBan({ kind, value, reason: 'test', durationMs });

  for (const v of [4, 5] as const) {
    it(`v${v}: a banned client id is refused (${v === 5 ? '0x8A' : 'return code 5'}); another one connects`, async () => {
      const id = uniqueId('banned');
      await ban('clientid', id);
      const before = b.broker.metrics.connectionsBanned;
      assert.equal(await connectCode(b.port, v, id), banned(v));
      assert.equal(b.broker.metrics.connectionsBanned, before + 1);
      assert.equal(await connectCode(b.port, v, uniqueId('free')), 0);
    });
  }

  it('a banned username is refused, whatever the client id', async () => {
    await ban('username', 'mallory');
    assert.equal(await connectCode(b.port, 5, uniqueId(), { username: 'mallory' }), BANNED);
    assert.equal(await connectCode(b.port, 4, uniqueId(), { username: 'mallory' }), 5);
    assert.equal(await connectCode(b.port, 5, uniqueId(), { username: 'alice' }), 0);
  });

  it('a banned IP range is refused; a range the client is not in is not', async () => {
    const r = await ban('ip', '10.0.0.0/8');
    assert.equal(await connectCode(b.port, 5, uniqueId()), 0, '127.0.0.1 is not in 10.0.0.0/8');
    await ban('ip', '127.0.0.0/8');
    assert.equal(await connectCode(b.port, 5, uniqueId()), BANNED);
    await b.broker.admin.deleteBan('ip', '127.0.0.0/8');
    assert.equal(await connectCode(b.port, 5, uniqueId()), 0, 'lifted');
    await b.broker.admin.deleteBan(r.kind, r.value);
  });

  it('a regex ban matches client ids and usernames', async () => {
    await ban('regex', '^scanner-[0-9]+$');
    assert.equal(await connectCode(b.port, 5, 'scanner-42'), BANNED);
    assert.equal(await connectCode(b.port, 5, uniqueId(), { username: 'scanner-7' }), BANNED);
    assert.equal(await connectCode(b.port, 5, 'scanner-x'), 0);
  });

  it('a regex that could backtrack for ever is refused when the ban is made', async () => {
    await assert.rejects(ban('regex', '^(a+)+$'), { code: 'RMQ_ERR_INVALID_ARGUMENT' });
    await assert.rejects(ban('regex', 'x'.repeat(600)), { code: 'RMQ_ERR_INVALID_ARGUMENT' });
  });

  it('a ban that ends lets the client in again', async () => {
    const id = uniqueId('short');
    await ban('clientid', id, 300);
    assert.equal(await connectCode(b.port, 5, id), BANNED);
    await delay(400);
    assert.equal(await connectCode(b.port, 5, id), 0);
  });

  it('a ban added while the client is connected disconnects it (v5: DISCONNECT 0x98; 3.1.1: closed)', async () => {
    const id5 = uniqueId('on5');
    const id4 = uniqueId('on4');
    const { c: c5 } = await rawConnect(b.port, id5, 5);
    const { c: c4 } = await rawConnect(b.port, id4, 4, { username: 'eve' });
    const bystander = await connect(b.port, { protocolVersion: 5 });
    await ban('clientid', id5);
    const d = await c5.next<IDisconnectPacket>('disconnect');
    assert.equal(d.reasonCode, 0x98);
    assert.ok(await c5.waitClosed());
    await ban('username', 'eve');
    assert.ok(await c4.waitClosed());
    assert.ok(bystander.client.connected, 'a client the ban does not cover stays');
    await bystander.end();
  });
});

describe('flapping detection', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ flapping: { enabled: true, max_count: 3, window_s: 60, ban_s: 1 } });
  });
  after(() => b.stop());

  it('max_count + 1 CONNECTs within window_s: banned 0x8A ("flapping") for ban_s, then let in', async () => {
    const id = uniqueId('flap');
    for (let i = 0; i < 3; i++) assert.equal(await connectCode(b.port, 5, id), 0, `connect ${i + 1}`);
    assert.equal(await connectCode(b.port, 5, id), BANNED, 'the fourth');
    assert.equal(b.broker.metrics.flappingBans, 1);
    const bans = (await b.broker.admin.listBans({ kind: 'clientid' })).items.filter((x) => x.value === id);
    assert.equal(bans.length, 1);
    assert.equal(bans[0]!.reason, 'flapping');
    assert.ok(bans[0]!.untilMs > Date.now() && bans[0]!.untilMs <= Date.now() + 1000);
    assert.equal(await connectCode(b.port, 4, id), 5, 'still banned (3.1.1: return code 5)');
    assert.equal(await connectCode(b.port, 5, uniqueId('other')), 0, 'other client ids are not');
    await delay(1100);
    assert.equal(await connectCode(b.port, 5, id), 0, 'the ban has ended and the count starts again');
  });

  it("refused CONNECTs do not count: wrong passwords under a victim's client id do not get it banned", async () => {
    await b.broker.admin.createUser({ username: 'victim', password: 'right-one' });
    const id = uniqueId('victim');
    for (let i = 0; i < 6; i++) {
      assert.equal(await connectCode(b.port, 5, id, { username: 'victim', password: Buffer.from('wrong') }), 0x86);
    }
    assert.equal(await connectCode(b.port, 5, id, { username: 'victim', password: Buffer.from('right-one') }), 0);
  });

  it('off by default', async () => {
    const plain = await startBroker();
    try {
      const id = uniqueId('noflap');
      for (let i = 0; i < 17; i++) assert.equal(await connectCode(plain.port, 5, id), 0);
    } finally {
      await plain.stop();
    }
  });
});
