// CONNECT and the connection lifecycle over raw sockets: protocol name/level for 3.1 (MQIsdp/3),
// 3.1.1 (MQTT/4) and 5.0 (MQTT/5) with the version-correct refusal, malformed CONNECT flags,
// ill-formed strings in CONNECT, client identifier rules per version, the v5 CONNACK properties,
// max_keepalive (v5 Server Keep Alive, v3 refused), enhanced authentication refused (v5 0x8C,
// AUTH -> DISCONNECT 0x82), the connect timeout, and keep alive expiry at 1.5 x Keep Alive.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { IConnackPacket, IDisconnectPacket, IPublishPacket } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until } from '../helpers/clients.js';
import { connectPacket, RawClient } from '../helpers/raw-client.js';
import { varInt } from '../helpers/bytes.js';

// --- raw CONNECT bytes -------------------------------------------------------------------------

function str(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

interface RawConnect {
  name?: string | Buffer;
  level?: number;
  /** Connect flags byte; default: clean session only. */
  flags?: number;
  keepalive?: number;
  /** v5 property bytes (without the length); used when level is 5. */
  props?: Buffer;
  clientId?: string | Buffer;
  /** Payload fields after the client id (will topic/payload, user name, password). */
  rest?: Buffer[];
}

function rawConnect(o: RawConnect = {}): Buffer {
  const level = o.level ?? 4;
  const ka = o.keepalive ?? 60;
  const parts: Buffer[] = [str(o.name ?? 'MQTT'), Buffer.from([level, o.flags ?? 0x02, ka >> 8, ka & 0xff])];
  if ((level & 0x7f) === 5) {
    const props = o.props ?? Buffer.alloc(0);
    parts.push(Buffer.from(varInt(props.length)), props);
  }
  parts.push(str(o.clientId ?? uniqueId('raw')));
  parts.push(...(o.rest ?? []));
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x10, ...varInt(body.length)]), body]);
}

/** Open a raw connection that records every byte the broker sends. */
async function open(port: number, version: number): Promise<RawClient & { raw: Buffer[] }> {
  const c = (await RawClient.open(port, version)) as RawClient & { raw: Buffer[] };
  c.raw = [];
  c.socket.on('data', (d: Buffer) => c.raw.push(d));
  return c;
}

async function expectConnack(c: RawClient): Promise<IConnackPacket> {
  return c.next<IConnackPacket>('connack');
}

/** The broker answers a refused CONNECT with exactly one CONNACK, then closes. */
async function expectRefused(c: RawClient, v5: boolean, code: number): Promise<IConnackPacket> {
  const ack = await expectConnack(c);
  if (v5) assert.equal(ack.reasonCode, code, `CONNACK reason code 0x${ack.reasonCode?.toString(16)}`);
  else assert.equal(ack.returnCode, code, `CONNACK return code ${ack.returnCode}`);
  assert.equal(ack.sessionPresent, false); // [MQTT-3.2.2-6] / 3.1.1 [MQTT-3.2.2-4]
  assert.equal(await c.waitClosed(), true, 'connection closed after the refusal');
  assert.equal(c.packets.length, 0, 'nothing after the CONNACK');
  return ack;
}

/** The broker closes without any answer. */
async function expectClosedSilently(c: RawClient & { raw: Buffer[] }): Promise<void> {
  assert.equal(await c.waitClosed(), true, 'connection closed');
  assert.equal(Buffer.concat(c.raw).length, 0, 'no bytes were sent back');
}

/** A connection is alive when a PINGREQ gets a PINGRESP [MQTT-3.12.4-1]. */
async function expectAlive(c: RawClient): Promise<void> {
  c.write(Buffer.from([0xc0, 0x00]));
  await c.next('pingresp');
}

describe('CONNECT: protocol name and level', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  it('accepts MQTT 3.1 (MQIsdp, level 3) with CONNACK 20 02 00 00', async () => {
    const c = await open(b.port, 3);
    c.write(rawConnect({ name: 'MQIsdp', level: 3 }));
    const ack = await expectConnack(c);
    assert.equal(ack.returnCode, 0);
    assert.deepEqual(Buffer.concat(c.raw), Buffer.from([0x20, 0x02, 0x00, 0x00]));
    await expectAlive(c);
    c.close();
  });

  it('accepts MQTT 3.1.1 (MQTT, level 4) with CONNACK 20 02 00 00', async () => {
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 4 }));
    const ack = await expectConnack(c);
    assert.equal(ack.returnCode, 0);
    assert.deepEqual(Buffer.concat(c.raw), Buffer.from([0x20, 0x02, 0x00, 0x00]));
    await expectAlive(c);
    c.close();
  });

  it('accepts MQTT 5.0 (MQTT, level 5) with a v5 CONNACK (reason code 0x00 and properties)', async () => {
    const c = await open(b.port, 5);
    c.write(rawConnect({ level: 5 }));
    const ack = await expectConnack(c);
    assert.equal(ack.reasonCode, 0);
    assert.ok(ack.properties, 'v5 CONNACK carries properties');
    await expectAlive(c);
    c.close();
  });

  it('accepts the bridge bit on the level byte (0x84, Mosquitto bridges) as 3.1.1', async () => {
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 0x84 }));
    assert.equal((await expectConnack(c)).returnCode, 0);
    await expectAlive(c);
    c.close();
  });

  for (const [name, level] of [
    ['MQTT', 3],
    ['MQIsdp', 4],
    ['MQTT', 6],
    ['MQTT', 0],
    ['MQTT', 2],
  ] as const) {
    it(`answers ${name} level ${level} with CONNACK 0x01 (unacceptable protocol level) and closes [MQTT-3.1.2-2]`, async () => {
      const c = await open(b.port, 4);
      c.write(rawConnect({ name, level }));
      await expectRefused(c, false, 0x01);
      assert.deepEqual(Buffer.concat(c.raw), Buffer.from([0x20, 0x02, 0x00, 0x01]));
    });
  }

  it('answers a level-5 CONNECT with a bad name/level combination (MQIsdp, 5) with v5 CONNACK 0x84 and closes', async () => {
    const c = await open(b.port, 5);
    c.write(rawConnect({ name: 'MQIsdp', level: 5 }));
    await expectRefused(c, true, 0x84);
  });

  for (const name of ['MQTX', 'mqtt', 'HTTP', '']) {
    it(`closes without a CONNACK on the unknown protocol name ${JSON.stringify(name)} [MQTT-3.1.2-1]`, async () => {
      const c = await open(b.port, 4);
      c.write(rawConnect({ name, level: 4 }));
      await expectClosedSilently(c);
    });
  }

  it('closes on an HTTP request sent to the MQTT port', async () => {
    const c = await open(b.port, 4);
    c.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await expectClosedSilently(c);
  });
});

describe('CONNECT: malformed flags and strings', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  for (const level of [4, 5]) {
    const v5 = level === 5;
    /** v5 may answer a malformed CONNECT with CONNACK 0x81 [MQTT-4.13.1-1]; 3.x just closes. */
    const expectMalformed = async (c: RawClient & { raw: Buffer[] }) => {
      if (v5) {
        // [MQTT-3.1.4-1] closed; a CONNACK 0x81 (malformed packet) may come first
        assert.equal(await c.waitClosed(), true, 'connection closed');
        assert.ok(c.packets.length <= 1, 'at most one packet');
        for (const p of c.packets) {
          assert.equal(p.cmd, 'connack');
          assert.equal((p as IConnackPacket).reasonCode, 0x81);
        }
      } else {
        await expectClosedSilently(c);
      }
    };

    it(`v${level}: the reserved CONNECT flag (bit 0) set closes the connection [MQTT-3.1.2-3]`, async () => {
      const c = await open(b.port, level);
      c.write(rawConnect({ level, flags: 0x03 }));
      await expectMalformed(c);
    });

    it(`v${level}: Will QoS or Will Retain without the Will Flag closes the connection [MQTT-3.1.2-11] [MQTT-3.1.2-13]`, async () => {
      for (const flags of [0x02 | 0x08, 0x02 | 0x20]) {
        const c = await open(b.port, level);
        c.write(rawConnect({ level, flags }));
        await expectMalformed(c);
      }
    });

    it(`v${level}: Will QoS 3 closes the connection [MQTT-3.1.2-12]`, async () => {
      const c = await open(b.port, level);
      const willProps = v5 ? [Buffer.from([0])] : [];
      c.write(rawConnect({ level, flags: 0x02 | 0x04 | 0x18, rest: [...willProps, str('will/t'), str('bye')] }));
      await expectMalformed(c);
    });

    it(`v${level}: a client identifier that is not well-formed UTF-8 closes the connection [MQTT-1.5.4-1]`, async () => {
      for (const id of [Buffer.from([0x61, 0xff, 0x62]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0x80])]) {
        const c = await open(b.port, level);
        c.write(rawConnect({ level, clientId: id }));
        await expectMalformed(c);
      }
    });

    it(`v${level}: a client identifier with U+0000 closes the connection [MQTT-1.5.4-2]`, async () => {
      const c = await open(b.port, level);
      c.write(rawConnect({ level, clientId: Buffer.from('ab\u0000cd') }));
      await expectMalformed(c);
    });

    it(`v${level}: a user name that is not well-formed UTF-8 closes the connection [MQTT-1.5.4-1]`, async () => {
      const c = await open(b.port, level);
      c.write(rawConnect({ level, flags: 0x82, rest: [str(Buffer.from([0x75, 0xfe]))] }));
      await expectMalformed(c);
    });

    it(`v${level}: a will topic that is not well-formed UTF-8 closes the connection [MQTT-1.5.4-1]`, async () => {
      const c = await open(b.port, level);
      const willProps = v5 ? [Buffer.from([0])] : [];
      c.write(rawConnect({ level, flags: 0x06, rest: [...willProps, str(Buffer.from([0x77, 0xc3])), str('x')] }));
      await expectMalformed(c);
    });

    it(`v${level}: an ill-formed client identifier is caught even when the user name holds the same text, well-formed`, async () => {
      // 'a' 0xFF decodes to "a\uFFFD"; the user name is "a\uFFFD" encoded correctly
      const c = await open(b.port, level);
      c.write(rawConnect({ level, flags: 0x82, clientId: Buffer.from([0x61, 0xff]), rest: [str('a\ufffd')] }));
      await expectMalformed(c);
    });

    it(`v${level}: a CONNECT cut short inside its payload closes the connection`, async () => {
      const full = rawConnect({ level, clientId: 'abcdef' });
      // keep the header consistent with the shorter body: drop the last 3 bytes of the client id
      const body = full.subarray(2, full.length - 3);
      const c = await open(b.port, level);
      c.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
      await expectMalformed(c);
    });
  }

  it('3.1.1: a Password without a User Name closes the connection [MQTT-3.1.2-22]', async () => {
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 4, flags: 0x42, rest: [str('secret')] }));
    await expectClosedSilently(c);
  });

  it('5.0: a Password without a User Name is allowed', async () => {
    const c = await open(b.port, 5);
    c.write(rawConnect({ level: 5, flags: 0x42, rest: [str('secret')] }));
    assert.equal((await expectConnack(c)).reasonCode, 0);
    c.close();
  });
});

describe('CONNECT: client identifier rules per version', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ limits: { max_client_id_length: 32 } });
  });
  after(() => b.stop());

  it('3.1: an empty client identifier is refused with 0x02 (identifier rejected) and closed', async () => {
    const c = await open(b.port, 3);
    c.write(rawConnect({ name: 'MQIsdp', level: 3, clientId: '' }));
    await expectRefused(c, false, 0x02);
  });

  it('3.1.1: an empty client identifier with CleanSession=1 is accepted and gets a unique id [MQTT-3.1.3-6]', async () => {
    const before = new Set([...b.broker.connections].map((c) => c.clientId));
    const c1 = await open(b.port, 4);
    c1.write(rawConnect({ level: 4, clientId: '' }));
    const ack = await expectConnack(c1);
    assert.equal(ack.returnCode, 0);
    assert.equal(ack.sessionPresent, false);
    const c2 = await open(b.port, 4);
    c2.write(rawConnect({ level: 4, clientId: '' }));
    assert.equal((await expectConnack(c2)).returnCode, 0);
    await expectAlive(c1);
    await expectAlive(c2);
    // two anonymous clients live side by side: neither took the other over
    const ids = [...b.broker.connections].map((c) => c.clientId).filter((id) => !before.has(id));
    assert.equal(ids.length, 2);
    assert.notEqual(ids[0], ids[1]);
    assert.ok(ids.every((id) => id.length > 0));
    c1.close();
    c2.close();
  });

  it('3.1.1: an empty client identifier with CleanSession=0 is refused with 0x02 and closed [MQTT-3.1.3-8]', async () => {
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 4, clientId: '', flags: 0x00 }));
    await expectRefused(c, false, 0x02);
  });

  it('5.0: an empty client identifier gets an Assigned Client Identifier in CONNACK [MQTT-3.2.2-16] [MQTT-3.1.3-7]', async () => {
    const assigned: string[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await RawClient.open(b.port, 5);
      c.write(connectPacket('', 5), 5);
      const ack = await expectConnack(c);
      assert.equal(ack.reasonCode, 0);
      const id = ack.properties?.assignedClientIdentifier;
      assert.equal(typeof id, 'string');
      assert.ok(id!.length > 0);
      // the assigned identifier names the session, as if the client had sent it
      assert.ok(b.broker.sessions.get(id!), 'a session exists under the assigned id');
      assigned.push(id!);
      c.close();
    }
    assert.notEqual(assigned[0], assigned[1], 'each assigned identifier is unique');
  });

  it('5.0: a client that sent a client identifier gets no Assigned Client Identifier', async () => {
    const c = await RawClient.open(b.port, 5);
    c.write(connectPacket(uniqueId(), 5), 5);
    const ack = await expectConnack(c);
    assert.equal(ack.properties?.assignedClientIdentifier, undefined);
    c.close();
  });

  it('3.1.1: a client identifier above max_client_id_length is refused with 0x02 [MQTT-3.1.3-9]', async () => {
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 4, clientId: 'x'.repeat(33) }));
    await expectRefused(c, false, 0x02);
  });

  it('5.0: a client identifier above max_client_id_length is refused with 0x85 [MQTT-3.1.3-8]', async () => {
    const c = await open(b.port, 5);
    c.write(rawConnect({ level: 5, clientId: 'x'.repeat(33) }));
    await expectRefused(c, true, 0x85);
  });

  it('accepts a client identifier of exactly max_client_id_length bytes, and non-ASCII identifiers', async () => {
    for (const id of ['y'.repeat(32), 'caf\u00e9-\u4e2d']) {
      const c = await open(b.port, 4);
      c.write(rawConnect({ level: 4, clientId: id }));
      assert.equal((await expectConnack(c)).returnCode, 0, id);
      c.close();
    }
  });
});

describe('CONNACK: MQTT 5 properties', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ limits: { receive_maximum: 20, max_packet_size: 4096, topic_alias_maximum: 7 } });
  });
  after(() => b.stop());

  it('announces receiveMaximum, maximumPacketSize, topicAliasMaximum from the config and the availability flags', async () => {
    const c = await RawClient.open(b.port, 5);
    c.write(connectPacket(uniqueId(), 5), 5);
    const ack = await expectConnack(c);
    assert.equal(ack.reasonCode, 0);
    const p = ack.properties!;
    assert.equal(p.receiveMaximum, 20);
    assert.equal(p.maximumPacketSize, 4096);
    assert.equal(p.topicAliasMaximum, 7);
    assert.equal(p.retainAvailable, true);
    assert.equal(p.wildcardSubscriptionAvailable, true);
    assert.equal(p.subscriptionIdentifiersAvailable, true);
    assert.equal(p.sharedSubscriptionAvailable, true);
    // QoS 2 is supported, so no Maximum QoS [MQTT-3.2.2-9]; no Server Keep Alive without a limit [MQTT-3.2.2-22]
    assert.equal(p.maximumQoS, undefined);
    assert.equal(p.serverKeepAlive, undefined);
    // no Authentication Method was sent, so none comes back
    assert.equal(p.authenticationMethod, undefined);
    c.close();
  });

  it('a 3.1.1 CONNACK carries no properties: exactly 20 02 00 00', async () => {
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 4 }));
    await expectConnack(c);
    assert.deepEqual(Buffer.concat(c.raw), Buffer.from([0x20, 0x02, 0x00, 0x00]));
    c.close();
  });
});

describe('CONNECT: max_keepalive', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ limits: { max_keepalive: 10 } });
  });
  after(() => b.stop());

  it('5.0: a client asking for more than max_keepalive gets Server Keep Alive = max_keepalive [MQTT-3.2.2-21]', async () => {
    const c = await RawClient.open(b.port, 5);
    c.write(connectPacket(uniqueId(), 5, { keepalive: 60 }), 5);
    const ack = await expectConnack(c);
    assert.equal(ack.reasonCode, 0);
    assert.equal(ack.properties?.serverKeepAlive, 10);
    c.close();
  });

  it('5.0: a client asking for keep alive 0 (none) also gets Server Keep Alive = max_keepalive', async () => {
    const c = await RawClient.open(b.port, 5);
    c.write(connectPacket(uniqueId(), 5, { keepalive: 0 }), 5);
    const ack = await expectConnack(c);
    assert.equal(ack.properties?.serverKeepAlive, 10);
    c.close();
  });

  it('5.0: a client asking for max_keepalive or less keeps its own value, no Server Keep Alive [MQTT-3.2.2-22]', async () => {
    for (const keepalive of [10, 5]) {
      const c = await RawClient.open(b.port, 5);
      c.write(connectPacket(uniqueId(), 5, { keepalive }), 5);
      const ack = await expectConnack(c);
      assert.equal(ack.reasonCode, 0);
      assert.equal(ack.properties?.serverKeepAlive, undefined);
      c.close();
    }
  });

  for (const [name, level] of [
    ['MQIsdp', 3],
    ['MQTT', 4],
  ] as const) {
    it(`v${level}: a client asking for more than max_keepalive is refused with 0x02 and closed`, async () => {
      const c = await open(b.port, level);
      c.write(rawConnect({ name, level, keepalive: 11 }));
      await expectRefused(c, false, 0x02);
    });

    it(`v${level}: a client asking for max_keepalive or less is accepted`, async () => {
      const c = await open(b.port, level);
      c.write(rawConnect({ name, level, keepalive: 10 }));
      assert.equal((await expectConnack(c)).returnCode, 0);
      c.close();
    });
  }
});

describe('CONNECT: long v5 intervals', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  it('a Session Expiry Interval of 30 days keeps the session, and a Will Delay of 30 days holds the will', async () => {
    // 30 days in ms is above 2^31-1, the longest delay a Node timer can wait in one go
    const days30 = 30 * 24 * 3600;
    const clientId = uniqueId('long');
    const willTopic = `long/will/${uniqueId()}`;
    const watcher = await connect(b.port, { protocolVersion: 5 });
    await watcher.client.subscribeAsync(willTopic, { qos: 1 });
    const c = await RawClient.open(b.port, 5);
    c.write(
      connectPacket(clientId, 5, {
        clean: true,
        properties: { sessionExpiryInterval: days30 },
        will: {
          topic: willTopic,
          payload: Buffer.from('late'),
          qos: 1,
          retain: false,
          properties: { willDelayInterval: days30 },
        },
      }),
      5,
    );
    assert.equal((await expectConnack(c)).reasonCode, 0);
    c.close(); // abnormal close: the will waits for its delay, the session for its expiry
    await until(() => b.broker.connections.size === 1, 2000, 'the connection to go');
    await delay(300);
    assert.ok(b.broker.sessions.get(clientId), 'the session has not expired');
    assert.equal(watcher.messages.length, 0, 'the will has not been published');
    // and the session is resumed by the next connection
    const again = await RawClient.open(b.port, 5);
    again.write(connectPacket(clientId, 5, { clean: false, properties: { sessionExpiryInterval: 0 } }), 5);
    assert.equal((await expectConnack(again)).sessionPresent, true);
    again.close();
    await watcher.end();
  });
});

describe('MQTT 5 enhanced authentication (none configured)', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ auth: { scram: { enabled: false } } }); // SCRAM is tested in auth-scram.test.ts
  });
  after(() => b.stop());

  it('a CONNECT with an Authentication Method is refused with CONNACK 0x8C (bad authentication method) and closed', async () => {
    const c = await RawClient.open(b.port, 5);
    c.write(connectPacket(uniqueId(), 5, { properties: { authenticationMethod: 'SCRAM-SHA-256' } }), 5);
    await expectRefused(c, true, 0x8c);
  });

  it('an AUTH packet from a client that sent no Authentication Method gets DISCONNECT 0x82 and is closed (5.0 3.15)', async () => {
    const c = await RawClient.open(b.port, 5);
    c.write(connectPacket(uniqueId(), 5), 5);
    assert.equal((await expectConnack(c)).reasonCode, 0);
    c.write({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256' } }, 5);
    const d = await c.next<IDisconnectPacket>('disconnect');
    assert.equal(d.reasonCode, 0x82);
    assert.equal(await c.waitClosed(), true);
  });

  it('an AUTH packet (type 15) from a 3.1.1 client closes the connection: it is a reserved type there', async () => {
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 4 }));
    await expectConnack(c);
    c.raw.length = 0;
    c.write(Buffer.from([0xf0, 0x00]));
    await expectClosedSilently(c);
  });
});

describe('connect timeout (mqtt.connect_timeout_ms)', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ mqtt: { connect_timeout_ms: 300 } });
  });
  after(() => b.stop());

  it('closes a connection that never sends CONNECT', async () => {
    const c = await open(b.port, 4);
    const t0 = Date.now();
    await until(() => b.broker.connections.size === 1, 2000, 'the broker to see the connection');
    assert.equal(await c.waitClosed(3000), true, 'closed by the broker');
    assert.ok(Date.now() - t0 >= 250, 'not before the timeout');
    assert.equal(Buffer.concat(c.raw).length, 0, 'nothing was sent');
    await until(() => b.broker.connections.size === 0, 2000, 'the connection to be forgotten');
  });

  it('closes a connection that sent only part of its CONNECT', async () => {
    const c = await open(b.port, 4);
    const full = rawConnect({ level: 4 });
    c.write(full.subarray(0, 8));
    assert.equal(await c.waitClosed(3000), true);
    assert.equal(Buffer.concat(c.raw).length, 0);
  });

  it('closes a raw TCP socket that sends nothing, and leaves a connected client alone', async () => {
    const ok = await connect(b.port, { keepalive: 0 });
    const s = net.connect({ host: '127.0.0.1', port: b.port });
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    s.on('error', () => {});
    await closed;
    await delay(400); // well past the connect timeout for the connected client too
    assert.equal(ok.client.connected, true);
    await ok.client.publishAsync('t', 'still here', { qos: 1 });
    await ok.end();
  });
});

describe('keep alive: 1.5 x Keep Alive without a packet closes the connection', { concurrency: true }, () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ limits: { max_keepalive: 65535 } });
  });
  after(() => b.stop());

  it('3.1.1: a silent client with Keep Alive 1 is closed after about 1.5 s [MQTT-3.1.2-24] (3.1.1)', async () => {
    const c = await open(b.port, 4);
    const t0 = Date.now();
    c.write(rawConnect({ level: 4, keepalive: 1 }));
    await expectConnack(c);
    c.raw.length = 0;
    assert.equal(await c.waitClosed(4000), true, 'closed by the broker');
    assert.ok(Date.now() - t0 >= 1400, `closed after ${Date.now() - t0} ms, not before 1.5 x Keep Alive`);
    assert.equal(Buffer.concat(c.raw).length, 0, 'no DISCONNECT for 3.1.1');
  });

  it('5.0: a silent client with Keep Alive 1 gets DISCONNECT 0x8D (keep alive timeout) [MQTT-3.1.2-22] (5.0)', async () => {
    const c = await RawClient.open(b.port, 5);
    const t0 = Date.now();
    c.write(connectPacket(uniqueId(), 5, { keepalive: 1 }), 5);
    await expectConnack(c);
    const d = await c.next<IDisconnectPacket>('disconnect', 4000);
    assert.equal(d.reasonCode, 0x8d);
    assert.ok(Date.now() - t0 >= 1400, `DISCONNECT after ${Date.now() - t0} ms`);
    assert.equal(await c.waitClosed(), true);
  });

  it('a client with Keep Alive 1 that sends PINGREQ every 500 ms stays connected and gets every PINGRESP [MQTT-3.12.4-1]', async () => {
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 4, keepalive: 1 }));
    await expectConnack(c);
    for (let i = 0; i < 6; i++) {
      await delay(500);
      await expectAlive(c);
    }
    assert.equal(c.closed, false);
    c.close();
  });

  it('any packet counts as activity, not only PINGREQ', async () => {
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 4, keepalive: 1 }));
    await expectConnack(c);
    for (let i = 0; i < 6; i++) {
      await delay(500);
      c.write({
        cmd: 'publish',
        topic: `ka/${i}`,
        payload: Buffer.from('x'),
        qos: 0,
        retain: false,
        dup: false,
      } as IPublishPacket);
    }
    assert.equal(c.closed, false);
    await expectAlive(c);
    c.close();
  });

  it('Keep Alive 0 turns the mechanism off: a silent client stays connected', async () => {
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 4, keepalive: 0 }));
    await expectConnack(c);
    assert.equal(await c.waitClosed(2500), false, 'still open after 2.5 s of silence');
    await expectAlive(c);
    c.close();
  });

  it('the will of a client closed for keep alive is published [MQTT-3.1.2-8]', async () => {
    const topic = `ka/will/${uniqueId()}`;
    const sub = await connect(b.port);
    await sub.client.subscribeAsync(topic, { qos: 1 });
    const c = await open(b.port, 4);
    c.write(rawConnect({ level: 4, keepalive: 1, flags: 0x02 | 0x04 | 0x08, rest: [str(topic), str('gone')] }));
    await expectConnack(c);
    const [m] = await sub.waitFor(1, 4000);
    assert.equal(m!.topic, topic);
    assert.equal(m!.payload.toString(), 'gone');
    assert.equal(await c.waitClosed(), true);
    await sub.end();
  });

  it('5.0: a Server Keep Alive lower than the client asked for is the one enforced', async () => {
    const low = await startBroker({ limits: { max_keepalive: 1 } });
    try {
      const c = await RawClient.open(low.port, 5);
      c.write(connectPacket(uniqueId(), 5, { keepalive: 60 }), 5);
      const ack = await expectConnack(c);
      assert.equal(ack.properties?.serverKeepAlive, 1);
      const d = await c.next<IDisconnectPacket>('disconnect', 4000);
      assert.equal(d.reasonCode, 0x8d);
    } finally {
      await low.stop();
    }
  });
});
