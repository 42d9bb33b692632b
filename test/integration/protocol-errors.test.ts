// Protocol violations after and before CONNECT, over raw sockets, for 3.1.1 and 5.0: packets before
// CONNECT, a second CONNECT, bad Remaining Length, reserved fixed-header flags, ill-formed UTF-8 and
// U+0000 in topics and filters, wildcards in a PUBLISH topic, QoS 3, DUP on QoS 0, packet id 0,
// empty SUBSCRIBE/UNSUBSCRIBE, bad subscription options, oversize packets, and packet types only a
// server may send. A v5 client gets DISCONNECT with the right reason code [MQTT-4.13.2-1] and is
// closed; a 3.x client is closed [MQTT-4.8.0-1] (3.1.1 4.8). Other clients are not disturbed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IConnackPacket, IDisconnectPacket, ISubackPacket, Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, uniqueId, until, type TestClient } from '../helpers/clients.js';
import { connectPacket, RawClient } from '../helpers/raw-client.js';
import { varInt } from '../helpers/bytes.js';

// --- raw packet bytes --------------------------------------------------------------------------

type Part = Buffer | number[] | string;

function bytes(p: Part): Buffer {
  return Buffer.isBuffer(p) ? p : typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
}

/** A length-prefixed string (bytes taken as given, so ill-formed UTF-8 can be sent). */
function str(s: Part): Buffer {
  const b = bytes(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

/** A whole packet: first byte, then the Remaining Length, then the body parts. */
function pkt(first: number, ...parts: Part[]): Buffer {
  const body = Buffer.concat(parts.map(bytes));
  return Buffer.concat([Buffer.from([first, ...varInt(body.length)]), body]);
}

const pid = (n: number) => [n >> 8, n & 0xff];
/** Empty v5 property list, nothing for 3.1.1. */
const noProps = (v5: boolean) => (v5 ? [0] : []);

function publish(v5: boolean, topic: Part, opts: { first?: number; packetId?: number; payload?: Part } = {}): Buffer {
  const first = opts.first ?? 0x30;
  const qos = (first >> 1) & 3;
  const parts: Part[] = [str(topic)];
  if (qos > 0) parts.push(pid(opts.packetId ?? 1));
  parts.push(noProps(v5), opts.payload ?? 'x');
  return pkt(first, ...parts);
}

function subscribe(v5: boolean, filters: Array<[Part, number]>, first = 0x82): Buffer {
  return pkt(first, pid(1), noProps(v5), ...filters.flatMap(([f, o]) => [str(f), [o]]));
}

function unsubscribe(v5: boolean, filters: Part[], first = 0xa2): Buffer {
  return pkt(first, pid(1), noProps(v5), ...filters.map((f) => str(f)));
}

// --- helpers -----------------------------------------------------------------------------------

async function connected(port: number, version: 4 | 5): Promise<RawClient> {
  const c = await RawClient.open(port, version);
  c.write(connectPacket(uniqueId('perr'), version), version);
  const ack = await c.next<IConnackPacket>('connack');
  assert.equal(version === 5 ? ack.reasonCode : ack.returnCode, 0);
  return c;
}

/**
 * v5: a DISCONNECT with the reason code, then the close [MQTT-4.13.2-1]; 3.1.1: the close alone,
 * nothing else sent (3.1.1 has no server DISCONNECT).
 */
async function expectDisconnected(c: RawClient, version: 4 | 5, code: number | number[]): Promise<void> {
  if (version === 5) {
    const d = await c.next<IDisconnectPacket>('disconnect');
    const want = ([] as number[]).concat(code);
    assert.ok(
      want.includes(d.reasonCode ?? -1),
      `DISCONNECT reason code 0x${d.reasonCode?.toString(16)}, want ${want.map((w) => '0x' + w.toString(16)).join(' or ')}`,
    );
  }
  assert.equal(await c.waitClosed(), true, 'connection closed by the broker');
  assert.deepEqual(
    c.packets.map((p) => p.cmd),
    [],
    'nothing else was sent',
  );
}

interface Violation {
  name: string;
  bytes: (v5: boolean) => Buffer;
  /** v5 DISCONNECT reason code (or the codes accepted). */
  code: number | number[];
  only?: 4 | 5;
}

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const TOPIC_NAME_INVALID = 0x90;
const PACKET_TOO_LARGE = 0x95;

const violations: Violation[] = [
  {
    name: 'a second CONNECT [MQTT-3.1.0-2]',
    bytes: (v5) => pkt(0x10, str('MQTT'), [v5 ? 5 : 4, 0x02, 0, 60], noProps(v5), str(uniqueId('second'))),
    code: PROTOCOL_ERROR,
  },
  {
    name: 'a Remaining Length with 5 bytes (continuation bit on the 4th) [MQTT-1.5.5-1] (2.1.4)',
    bytes: () => Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
    code: MALFORMED,
  },
  {
    name: 'SUBSCRIBE with fixed-header flags 0000 [MQTT-3.8.1-1] [MQTT-2.2.2-2]',
    bytes: (v5) => subscribe(v5, [['a', 0]], 0x80),
    code: MALFORMED,
  },
  {
    name: 'SUBSCRIBE with fixed-header flags 0011 [MQTT-3.8.1-1]',
    bytes: (v5) => subscribe(v5, [['a', 0]], 0x83),
    code: MALFORMED,
  },
  {
    name: 'UNSUBSCRIBE with fixed-header flags 0000 [MQTT-3.10.1-1]',
    bytes: (v5) => unsubscribe(v5, ['a'], 0xa0),
    code: MALFORMED,
  },
  { name: 'PUBREL with fixed-header flags 0000 [MQTT-3.6.1-1]', bytes: () => pkt(0x60, pid(1)), code: MALFORMED },
  { name: 'PUBACK with fixed-header flags 0010 [MQTT-2.2.2-2]', bytes: () => pkt(0x42, pid(1)), code: MALFORMED },
  { name: 'PUBCOMP with fixed-header flags 0001 [MQTT-2.2.2-2]', bytes: () => pkt(0x71, pid(1)), code: MALFORMED },
  {
    name: 'PINGREQ with fixed-header flags 0001 [MQTT-2.2.2-2]',
    bytes: () => Buffer.from([0xc1, 0x00]),
    code: MALFORMED,
  },
  { name: 'PINGREQ with a non-zero Remaining Length', bytes: () => Buffer.from([0xc0, 0x01, 0x00]), code: MALFORMED },
  {
    name: 'DISCONNECT with fixed-header flags 0001 [MQTT-3.14.1-1] [MQTT-2.2.2-2]',
    bytes: () => Buffer.from([0xe1, 0x00]),
    code: MALFORMED,
  },
  { name: 'PUBACK with packet identifier 0 [MQTT-2.2.1-3]', bytes: () => pkt(0x40, pid(0)), code: MALFORMED },
  { name: 'PUBACK too short (1 byte)', bytes: () => Buffer.from([0x40, 0x01, 0x00]), code: MALFORMED },
  {
    name: 'PUBLISH topic with ill-formed UTF-8 [MQTT-1.5.4-1]',
    bytes: (v5) => publish(v5, [0x61, 0x2f, 0xff]),
    code: MALFORMED,
  },
  {
    name: 'PUBLISH topic with a UTF-16 surrogate (ED A0 80) [MQTT-1.5.4-1]',
    bytes: (v5) => publish(v5, [0x61, 0xed, 0xa0, 0x80]),
    code: MALFORMED,
  },
  {
    name: 'PUBLISH topic with U+0000 [MQTT-1.5.4-2] [MQTT-4.7.3-2]',
    bytes: (v5) => publish(v5, 'a\u0000b'),
    code: MALFORMED,
  },
  { name: "PUBLISH topic with '+' [MQTT-3.3.2-2]", bytes: (v5) => publish(v5, 'a/+/b'), code: TOPIC_NAME_INVALID },
  { name: "PUBLISH topic with '#' [MQTT-3.3.2-2]", bytes: (v5) => publish(v5, 'a/#'), code: TOPIC_NAME_INVALID },
  {
    name: 'PUBLISH with QoS 3 (both QoS bits set) [MQTT-3.3.1-4]',
    bytes: (v5) => publish(v5, 'q3', { first: 0x36 }),
    code: MALFORMED,
  },
  {
    name: 'PUBLISH QoS 0 with DUP set [MQTT-3.3.1-2]',
    bytes: (v5) => publish(v5, 'd', { first: 0x38 }),
    code: MALFORMED,
  },
  {
    name: 'PUBLISH QoS 1 with packet identifier 0 [MQTT-2.2.1-3]',
    bytes: (v5) => publish(v5, 'p0', { first: 0x32, packetId: 0 }),
    code: MALFORMED,
  },
  {
    name: 'PUBLISH whose topic length runs past the packet',
    bytes: () => pkt(0x30, [0x00, 0x10], 'abc'),
    code: MALFORMED,
  },
  {
    name: 'PUBLISH with an empty topic name and no topic alias [MQTT-4.7.3-1]',
    bytes: (v5) => publish(v5, ''),
    code: PROTOCOL_ERROR,
    only: 5,
  },
  { name: 'PUBLISH with an empty topic name [MQTT-4.7.3-1]', bytes: (v5) => publish(v5, ''), code: MALFORMED, only: 4 },
  {
    name: 'SUBSCRIBE filter with ill-formed UTF-8 [MQTT-1.5.4-1]',
    bytes: (v5) => subscribe(v5, [[[0x61, 0xc3], 0]]),
    code: MALFORMED,
  },
  {
    name: 'SUBSCRIBE with an ill-formed filter next to a well-formed one of the same decoded text [MQTT-1.5.4-1]',
    // 'a' 0xFF decodes to "a\uFFFD", which the second filter holds, correctly encoded
    bytes: (v5) =>
      subscribe(v5, [
        [[0x61, 0xff], 0],
        ['a\ufffd', 0],
      ]),
    code: MALFORMED,
  },
  {
    name: 'SUBSCRIBE filter with U+0000 [MQTT-1.5.4-2]',
    bytes: (v5) => subscribe(v5, [['a/\u0000', 0]]),
    code: MALFORMED,
  },
  {
    name: 'UNSUBSCRIBE filter with ill-formed UTF-8 [MQTT-1.5.4-1]',
    bytes: (v5) => unsubscribe(v5, [[0x62, 0x80]]),
    code: MALFORMED,
  },
  {
    name: 'UNSUBSCRIBE filter with U+0000 [MQTT-1.5.4-2]',
    bytes: (v5) => unsubscribe(v5, ['\u0000']),
    code: MALFORMED,
  },
  {
    name: 'SUBSCRIBE with no topic filter [MQTT-3.8.3-3] (3.1.1) / [MQTT-3.8.3-2] (5.0)',
    bytes: (v5) => pkt(0x82, pid(1), noProps(v5)),
    code: PROTOCOL_ERROR,
  },
  {
    name: 'UNSUBSCRIBE with no topic filter [MQTT-3.10.3-2]',
    bytes: (v5) => pkt(0xa2, pid(1), noProps(v5)),
    code: PROTOCOL_ERROR,
  },
  {
    name: 'SUBSCRIBE requesting QoS 3 [MQTT-3.8.3-4] (3.1.1)',
    bytes: (v5) => subscribe(v5, [['a', 3]]),
    code: MALFORMED,
  },
  {
    name: 'SUBSCRIBE with reserved option bits set [MQTT-3.8.3-4] (3.1.1) / [MQTT-3.8.3-5] (5.0)',
    bytes: (v5) => subscribe(v5, [['a', 0xc0]]),
    code: MALFORMED,
  },
  {
    name: 'SUBSCRIBE with packet identifier 0 [MQTT-2.2.1-3]',
    bytes: (v5) => pkt(0x82, pid(0), noProps(v5), str('a'), [0]),
    code: MALFORMED,
  },
  {
    // 5.0 3.8.3.1 calls this a Protocol Error (0x82); mqtt-packet refuses it while parsing, so the
    // broker answers 0x81 (Malformed Packet). Either way the connection is closed.
    name: 'SUBSCRIBE with Retain Handling 3 (5.0 3.8.3.1)',
    bytes: (v5) => subscribe(v5, [['a', 0x30]]),
    code: [PROTOCOL_ERROR, MALFORMED],
    only: 5,
  },
  {
    name: 'SUBSCRIBE with No Local on a shared subscription [MQTT-3.8.3-4] (5.0)',
    bytes: (v5) => subscribe(v5, [['$share/g/a', 0x04]]),
    code: PROTOCOL_ERROR,
    only: 5,
  },
  { name: 'a CONNACK from the client (server-only packet type)', bytes: () => pkt(0x20, [0, 0]), code: PROTOCOL_ERROR },
  {
    name: 'a SUBACK from the client (server-only packet type)',
    bytes: () => pkt(0x90, pid(1), [0]),
    code: PROTOCOL_ERROR,
  },
  {
    name: 'an UNSUBACK from the client (server-only packet type)',
    bytes: () => pkt(0xb0, pid(1)),
    code: PROTOCOL_ERROR,
  },
  {
    name: 'a PINGRESP from the client (server-only packet type)',
    bytes: () => Buffer.from([0xd0, 0x00]),
    code: PROTOCOL_ERROR,
  },
  { name: 'reserved packet type 0', bytes: () => Buffer.from([0x00, 0x00]), code: MALFORMED },
  {
    name: 'AUTH (packet type 15) in MQTT 3.1.1, where it is reserved',
    bytes: () => Buffer.from([0xf0, 0x00]),
    code: 0,
    only: 4,
  },
  {
    name: 'v5 DISCONNECT with Session Expiry Interval > 0 after CONNECT with 0 [MQTT-3.14.2-2] (5.0 3.14.2.2.2)',
    bytes: () => pkt(0xe0, [0x00, 5, 0x11, 0, 0, 0, 10]),
    code: PROTOCOL_ERROR,
    only: 5,
  },
];

describe('protocol violations after CONNECT', () => {
  let b: TestBroker;
  let bystander: TestClient;
  let watcher: TestClient;
  const topic = `bystander/${uniqueId()}`;
  let sent = 0;
  before(async () => {
    b = await startBroker({ limits: { max_packet_size: 1024 } });
    // a well-behaved pair that keeps talking while the violations happen
    watcher = await connect(b.port, { protocolVersion: 5 });
    await watcher.client.subscribeAsync(topic, { qos: 1 });
    bystander = await connect(b.port);
  });
  after(async () => {
    await bystander.end();
    await watcher.end();
    await b.stop();
  });

  for (const version of [4, 5] as const) {
    for (const v of violations) {
      if (v.only && v.only !== version) continue;
      const codes = ([] as number[]).concat(v.code).map((n) => `0x${n.toString(16)}`);
      const outcome = version === 5 ? `DISCONNECT ${codes.join('/')}` : 'closed';
      it(`v${version}: ${v.name} -> ${outcome}`, async () => {
        const c = await connected(b.port, version);
        c.write(v.bytes(version === 5));
        await expectDisconnected(c, version, v.code);
        await bystander.client.publishAsync(topic, `m${sent++}`, { qos: 1 });
      });
    }

    it(`v${version}: an oversize PUBLISH (> limits.max_packet_size) -> ${version === 5 ? 'DISCONNECT 0x95' : 'closed'}`, async () => {
      const c = await connected(b.port, version);
      c.write(publish(version === 5, 'big', { payload: Buffer.alloc(2000, 1) }));
      await expectDisconnected(c, version, PACKET_TOO_LARGE);
    });

    it(`v${version}: a packet header announcing 100 MB is refused at once, before any body arrives`, async () => {
      const c = await connected(b.port, version);
      c.write(Buffer.from([0x30, ...varInt(100 * 1024 * 1024)]));
      await expectDisconnected(c, version, PACKET_TOO_LARGE);
    });

    it(`v${version}: a packet of exactly max_packet_size is accepted`, async () => {
      const c = await connected(b.port, version);
      // 1 + 2 (Remaining Length 1021) + 2 + 3 ('max') + 2 (packet id) + props + payload = 1024
      const payloadLen = 1024 - 3 - 2 - 3 - 2 - (version === 5 ? 1 : 0);
      const frame = publish(version === 5, 'max', { first: 0x32, packetId: 7, payload: Buffer.alloc(payloadLen, 2) });
      assert.equal(frame.length, 1024);
      c.write(frame);
      const ack = await c.next('puback');
      assert.equal((ack as Packet & { messageId: number }).messageId, 7);
      c.close();
    });
  }

  it('v5: the DISCONNECT carries a Reason String unless the client asked for no problem information [MQTT-3.1.2-29]', async () => {
    const c = await connected(b.port, 5);
    c.write(publish(true, 'a/#'));
    const d = await c.next<IDisconnectPacket>('disconnect');
    assert.equal(typeof d.properties?.reasonString, 'string');

    const quiet = await RawClient.open(b.port, 5);
    quiet.write(connectPacket(uniqueId(), 5, { properties: { requestProblemInformation: false } }), 5);
    await quiet.next('connack');
    quiet.write(publish(true, 'a/#'));
    const d2 = await quiet.next<IDisconnectPacket>('disconnect');
    assert.equal(d2.reasonCode, TOPIC_NAME_INVALID);
    assert.equal(d2.properties?.reasonString, undefined);
  });

  it('a violation on one connection does not disturb others: the bystander pair got every message', async () => {
    assert.ok(sent > 50);
    const got = await watcher.waitFor(sent);
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      Array.from({ length: sent }, (_, i) => `m${i}`),
    );
    await until(() => b.broker.connections.size === 2, 3000, 'only the bystander pair left');
  });
});

describe('packets before CONNECT [MQTT-3.1.0-1]', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  const first: Array<[string, Buffer]> = [
    ['PUBLISH', publish(false, 'early')],
    ['SUBSCRIBE', subscribe(false, [['#', 0]])],
    ['PINGREQ', Buffer.from([0xc0, 0x00])],
    ['DISCONNECT', Buffer.from([0xe0, 0x00])],
    ['AUTH', Buffer.from([0xf0, 0x00])],
    ['PUBREL', pkt(0x62, pid(1))],
    ['reserved type 0', Buffer.from([0x00, 0x00])],
    ['a bad Remaining Length', Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['a CONNECT header with reserved flags 0001', pkt(0x11, str('MQTT'), [4, 2, 0, 60], str('x'))],
  ];
  for (const version of [4, 5] as const) {
    for (const [name, frame] of first) {
      it(`v${version} parser: ${name} as the first packet closes the connection with no answer`, async () => {
        const c = await RawClient.open(b.port, version);
        const raw: Buffer[] = [];
        c.socket.on('data', (d: Buffer) => raw.push(d));
        c.write(frame);
        assert.equal(await c.waitClosed(), true);
        // [MQTT-3.14.0-1] no DISCONNECT before a CONNACK; nothing at all here
        assert.equal(Buffer.concat(raw).length, 0);
      });
    }
  }

  it('a CONNECT sent right after a bad first packet is not processed', async () => {
    const c = await RawClient.open(b.port, 4);
    c.write(Buffer.concat([Buffer.from([0xc0, 0x00]), Buffer.from(connectBytes())]));
    assert.equal(await c.waitClosed(), true);
    assert.equal(c.packets.length, 0, 'no CONNACK');
  });

  it('an oversize CONNECT is closed without an answer', async () => {
    const small = await startBroker({ limits: { max_packet_size: 256 } });
    try {
      for (const version of [4, 5] as const) {
        const c = await RawClient.open(small.port, version);
        c.write(connectPacket('x'.repeat(400), version), version);
        assert.equal(await c.waitClosed(), true);
        assert.equal(c.packets.length, 0);
      }
    } finally {
      await small.stop();
    }
  });

  it('no connection is left behind', async () => {
    await until(() => b.broker.connections.size === 0, 3000, 'all connections gone');
  });
});

function connectBytes(): Buffer {
  return pkt(0x10, str('MQTT'), [4, 0x02, 0, 60], str(uniqueId()));
}

describe('SUBSCRIBE failures that are not protocol errors', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  it('an invalid filter gets a failure code in SUBACK, the others are granted, the connection stays [MQTT-3.8.4-6]', async () => {
    for (const version of [4, 5] as const) {
      const c = await connected(b.port, version);
      c.write(
        subscribe(version === 5, [
          ['ok/+', 1],
          ['bad#', 1],
          ['a/+b', 0],
          ['$share//x', 0],
          ['fine/#', 2],
        ]),
      );
      const ack = await c.next<ISubackPacket>('suback');
      const fail = version === 5 ? 0x8f : 0x80;
      assert.deepEqual(ack.granted, [1, fail, fail, fail, 2]);
      c.write(Buffer.from([0xc0, 0x00]));
      await c.next('pingresp');
      c.close();
    }
  });
});
