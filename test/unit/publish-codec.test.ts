// Unit tests of the PUBLISH codec (src/server/protocol/publish-codec.ts): decoding against
// mqtt-packet's encoder (v4 and v5), the refusals (QoS 3, DUP on QoS 0, packet id 0, ill-formed
// UTF-8, U+0000, truncation, bad or repeated properties) with their reason codes, and encoding
// checked by decoding it back with mqtt-packet's parser and with decodePublish itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import {
  decodePublish,
  encodeAck,
  encodePublishHeader,
  PacketError,
  publishSize,
  readVarInt,
  type OutgoingPublish,
} from '../../src/server/protocol/publish-codec.js';
import { RC } from '../../src/server/protocol/reason-codes.js';
import { rng } from '../helpers/bytes.js';

function gen(p: Partial<IPublishPacket>, protocolVersion = 4): Buffer {
  return mqttPacket.generate(
    { cmd: 'publish', qos: 0, retain: false, dup: false, payload: Buffer.alloc(0), ...p } as IPublishPacket,
    { protocolVersion },
  );
}

/** Parse one whole packet with mqtt-packet. */
function parse(buf: Buffer, protocolVersion: number): Packet {
  const parser = mqttPacket.parser({ protocolVersion });
  let out: Packet | undefined;
  let error: Error | undefined;
  parser.on('packet', (p: Packet) => (out = p));
  parser.on('error', (e: Error) => (error = e));
  parser.parse(buf);
  if (error) throw error;
  assert.ok(out, 'mqtt-packet parsed a whole packet');
  return out;
}

function expectError(fn: () => unknown, code: number, what?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PacketError, `expected a PacketError, got ${String(err)}`);
    assert.equal(err.reasonCode, code, `reason code for "${err.message}"`);
    if (what) assert.match(err.message, what);
    return true;
  });
}

/** Build a v4 PUBLISH from raw parts: first byte, topic bytes, packet id, payload. */
function rawPublish(first: number, topic: Buffer, packetId: number | null, payload = Buffer.alloc(0)): Buffer {
  const parts = [Buffer.from([topic.length >> 8, topic.length & 0xff]), topic];
  if (packetId !== null) parts.push(Buffer.from([packetId >> 8, packetId & 0xff]));
  parts.push(payload);
  const body = Buffer.concat(parts);
  assert.ok(body.length < 128);
  return Buffer.concat([Buffer.from([first, body.length]), body]);
}

/** A v5 QoS 0 PUBLISH with exactly the given property bytes. */
function rawPublishV5(topic: string, props: Buffer, payload = Buffer.alloc(0)): Buffer {
  const t = Buffer.from(topic);
  const body = Buffer.concat([
    Buffer.from([t.length >> 8, t.length & 0xff]),
    t,
    Buffer.from([props.length]),
    props,
    payload,
  ]);
  assert.ok(body.length < 128 && props.length < 128);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

describe('decodePublish (MQTT 3.1.1)', () => {
  for (const qos of [0, 1, 2] as const) {
    it(`decodes QoS ${qos} with retain/dup flags, topic, packet id and payload as mqtt-packet encoded them`, () => {
      const payload = Buffer.from('payload \u00e9\u4e2d bytes');
      const frame = gen({
        topic: 'a/b/\u00fc',
        payload,
        qos,
        retain: true,
        dup: qos > 0,
        messageId: qos ? 4242 : undefined,
      });
      const d = decodePublish(frame, false);
      assert.equal(d.topic, 'a/b/\u00fc');
      assert.equal(d.qos, qos);
      assert.equal(d.retain, true);
      assert.equal(d.dup, qos > 0);
      assert.equal(d.packetId, qos ? 4242 : 0);
      assert.deepEqual(d.payload, payload);
      assert.equal(d.properties, undefined);
    });
  }

  it('decodes an empty payload and a payload larger than 127 bytes (multi-byte Remaining Length)', () => {
    assert.equal(decodePublish(gen({ topic: 't' }), false).payload.length, 0);
    const big = Buffer.alloc(70_000, 0xab);
    assert.deepEqual(decodePublish(gen({ topic: 't', payload: big, qos: 1, messageId: 1 }), false).payload, big);
  });

  it('copies the payload, so it does not pin or alias the socket buffer', () => {
    const frame = gen({ topic: 't', payload: Buffer.from('abc') });
    const d = decodePublish(frame, false);
    frame.fill(0);
    assert.equal(d.payload.toString(), 'abc');
  });

  it('refuses QoS 3 (both QoS bits set) as malformed [MQTT-3.3.1-4]', () => {
    expectError(() => decodePublish(rawPublish(0x36, Buffer.from('t'), 1), false), RC.MALFORMED_PACKET, /QoS/);
  });

  it('refuses DUP on a QoS 0 PUBLISH [MQTT-3.3.1-2]', () => {
    expectError(() => decodePublish(rawPublish(0x38, Buffer.from('t'), null), false), RC.MALFORMED_PACKET, /DUP/);
  });

  it('refuses packet identifier 0 on QoS 1 and 2 [MQTT-2.2.1-3]', () => {
    expectError(() => decodePublish(rawPublish(0x32, Buffer.from('t'), 0), false), RC.MALFORMED_PACKET);
    expectError(() => decodePublish(rawPublish(0x34, Buffer.from('t'), 0), false), RC.MALFORMED_PACKET);
  });

  it('refuses a topic that is not well-formed UTF-8 [MQTT-1.5.4-1]', () => {
    for (const bad of [
      Buffer.from([0x61, 0xff]), // invalid byte
      Buffer.from([0xc0, 0xaf]), // overlong encoding of '/'
      Buffer.from([0xed, 0xa0, 0x80]), // UTF-16 surrogate U+D800
      Buffer.from([0xe2, 0x82]), // truncated sequence
    ]) {
      expectError(() => decodePublish(rawPublish(0x30, bad, null), false), RC.MALFORMED_PACKET, /UTF-8/);
    }
  });

  it('refuses a topic containing U+0000 as malformed [MQTT-1.5.4-2]', () => {
    expectError(() => decodePublish(rawPublish(0x30, Buffer.from('a\u0000b'), null), false), RC.MALFORMED_PACKET);
  });

  it('keeps U+FEFF (EF BB BF) in a topic, not stripped [MQTT-1.5.4-3]', () => {
    const d = decodePublish(rawPublish(0x30, Buffer.from('\ufeffa'), null), false);
    assert.equal(d.topic, '\ufeffa');
  });

  it('refuses every truncation of a valid packet (topic length, topic, packet id) as malformed', () => {
    const frame = gen({ topic: 'abc/def', payload: Buffer.alloc(0), qos: 1, messageId: 7 });
    // remaining = 2 + 7 + 2 = 11; keep the header byte and rewrite the length for each cut
    const body = frame.subarray(2);
    for (let cut = 0; cut < body.length; cut++) {
      const t = Buffer.concat([Buffer.from([0x32, cut]), body.subarray(0, cut)]);
      expectError(() => decodePublish(t, false), RC.MALFORMED_PACKET);
    }
  });
});

describe('decodePublish (MQTT 5.0 properties)', () => {
  it('decodes every PUBLISH property a client may send, user properties in order [MQTT-3.3.2-18]', () => {
    const frame = gen(
      {
        topic: 'req',
        payload: Buffer.from('{}'),
        qos: 1,
        messageId: 5,
        properties: {
          payloadFormatIndicator: true,
          messageExpiryInterval: 300,
          topicAlias: 3,
          responseTopic: 'res/1',
          correlationData: Buffer.from([1, 2, 3]),
          contentType: 'application/json',
          userProperties: { b: '1', a: ['2', '3'] },
        },
      },
      5,
    );
    const d = decodePublish(frame, true);
    assert.equal(d.topic, 'req');
    assert.equal(d.packetId, 5);
    assert.equal(d.topicAlias, 3);
    assert.deepEqual(d.payload, Buffer.from('{}'));
    assert.equal(d.properties?.payloadFormatIndicator, 1);
    assert.equal(d.properties?.messageExpiryInterval, 300);
    assert.equal(d.properties?.responseTopic, 'res/1');
    assert.deepEqual(d.properties?.correlationData, Buffer.from([1, 2, 3]));
    assert.equal(d.properties?.contentType, 'application/json');
    assert.deepEqual(d.properties?.userProperties, [
      ['b', '1'],
      ['a', '2'],
      ['a', '3'],
    ]);
  });

  it('an empty property list gives no properties', () => {
    const d = decodePublish(rawPublishV5('t', Buffer.alloc(0), Buffer.from('x')), true);
    assert.equal(d.properties, undefined);
    assert.equal(d.payload.toString(), 'x');
  });

  it('a property given twice is a Protocol Error (0x82); user property may repeat', () => {
    const twice = Buffer.from([0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 2]);
    expectError(() => decodePublish(rawPublishV5('t', twice), true), RC.PROTOCOL_ERROR);
    const users = Buffer.from([0x26, 0, 1, 0x6b, 0, 1, 0x76, 0x26, 0, 1, 0x6b, 0, 1, 0x77]);
    assert.deepEqual(decodePublish(rawPublishV5('t', users), true).properties?.userProperties, [
      ['k', 'v'],
      ['k', 'w'],
    ]);
  });

  it('a Subscription Identifier from a client is a Protocol Error [MQTT-3.3.4-6]', () => {
    expectError(() => decodePublish(rawPublishV5('t', Buffer.from([0x0b, 0x01])), true), RC.PROTOCOL_ERROR);
  });

  it('a property not allowed in PUBLISH (Session Expiry 0x11, unknown 0x7f) is malformed', () => {
    expectError(() => decodePublish(rawPublishV5('t', Buffer.from([0x11, 0, 0, 0, 1])), true), RC.MALFORMED_PACKET);
    expectError(() => decodePublish(rawPublishV5('t', Buffer.from([0x7f, 0])), true), RC.MALFORMED_PACKET);
  });

  it('a Payload Format Indicator other than 0/1 is a Protocol Error', () => {
    expectError(() => decodePublish(rawPublishV5('t', Buffer.from([0x01, 2])), true), RC.PROTOCOL_ERROR);
  });

  it('payload marked UTF-8 that is not is refused with 0x99 Payload format invalid [MQTT-3.3.2-4]', () => {
    expectError(
      () => decodePublish(rawPublishV5('t', Buffer.from([0x01, 1]), Buffer.from([0xff, 0xfe])), true),
      RC.PAYLOAD_FORMAT_INVALID,
    );
    const ok = decodePublish(rawPublishV5('t', Buffer.from([0x01, 1]), Buffer.from('\u00e9t\u00e9')), true);
    assert.equal(ok.payload.toString(), '\u00e9t\u00e9');
  });

  it('a string property with ill-formed UTF-8 or U+0000 is malformed [MQTT-1.5.4-1] [MQTT-1.5.4-2]', () => {
    expectError(() => decodePublish(rawPublishV5('t', Buffer.from([0x03, 0, 1, 0xff])), true), RC.MALFORMED_PACKET);
    expectError(() => decodePublish(rawPublishV5('t', Buffer.from([0x03, 0, 1, 0x00])), true), RC.MALFORMED_PACKET);
    expectError(
      () => decodePublish(rawPublishV5('t', Buffer.from([0x26, 0, 1, 0x6b, 0, 1, 0xc0])), true),
      RC.MALFORMED_PACKET,
    );
  });

  it('a Response Topic with a wildcard is a Protocol Error [MQTT-3.3.2-14]', () => {
    expectError(
      () => decodePublish(rawPublishV5('t', Buffer.from([0x08, 0, 3, 0x61, 0x2f, 0x23])), true),
      RC.PROTOCOL_ERROR,
    );
  });

  it('a property that runs past the property length, or a length past the packet, is malformed', () => {
    // Message Expiry needs 4 bytes, only 2 are inside the property length
    expectError(() => decodePublish(rawPublishV5('t', Buffer.from([0x02, 0, 0])), true), RC.MALFORMED_PACKET);
    // property length 9 but the packet ends after 1 byte
    const frame = Buffer.from([0x30, 5, 0, 1, 0x74, 9, 0x01]);
    expectError(() => decodePublish(frame, true), RC.MALFORMED_PACKET);
    // no room for the property length at all
    expectError(() => decodePublish(Buffer.from([0x30, 3, 0, 1, 0x74]), true), RC.MALFORMED_PACKET);
  });
});

/** Small deterministic PRNG (mulberry32). */
describe('decodePublish on mutated frames', () => {
  it('either decodes or throws a PacketError, never anything else (5000 seeded mutations, v4 and v5)', () => {
    const bases = [
      gen({ topic: 'a/b', payload: Buffer.from('p'), qos: 1, messageId: 3 }, 4),
      gen(
        {
          topic: 't',
          payload: Buffer.from('{}'),
          qos: 2,
          messageId: 9,
          properties: {
            payloadFormatIndicator: true,
            messageExpiryInterval: 5,
            topicAlias: 2,
            responseTopic: 'r',
            correlationData: Buffer.from([1]),
            contentType: 'c',
            userProperties: { k: 'v' },
          },
        },
        5,
      ),
    ];
    for (let seed = 1; seed <= 5000; seed++) {
      const r = rng(seed);
      const v5 = seed % 2 === 0;
      const frame = Buffer.from(bases[v5 ? 1 : 0]!);
      for (let n = 1 + Math.floor(r() * 4); n > 0; n--) {
        // keep the fixed header length consistent: the frame reader guarantees a whole frame
        const at = 2 + Math.floor(r() * (frame.length - 2));
        frame[at] = r() < 0.5 ? frame[at]! ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256);
      }
      const cut = r() < 0.3 ? 2 + Math.floor(r() * (frame.length - 2)) : frame.length;
      const f = Buffer.concat([Buffer.from([frame[0]!, cut - 2]), frame.subarray(2, cut)]);
      try {
        const d = decodePublish(f, v5);
        assert.equal(typeof d.topic, 'string');
      } catch (err) {
        assert.ok(err instanceof PacketError, `seed ${seed}: ${String(err)}`);
      }
    }
  });
});

describe('readVarInt', () => {
  it('reads 1- to 4-byte values and refuses a fifth byte or a cut value', () => {
    assert.deepEqual(readVarInt(Buffer.from([0x00]), 0, 1), [0, 1]);
    assert.deepEqual(readVarInt(Buffer.from([0x7f]), 0, 1), [127, 1]);
    assert.deepEqual(readVarInt(Buffer.from([0x80, 0x01]), 0, 2), [128, 2]);
    assert.deepEqual(readVarInt(Buffer.from([0xff, 0xff, 0xff, 0x7f]), 0, 4), [268_435_455, 4]);
    expectError(() => readVarInt(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]), 0, 5), RC.MALFORMED_PACKET);
    expectError(() => readVarInt(Buffer.from([0x80, 0x80]), 0, 2), RC.MALFORMED_PACKET);
  });
});

describe('encodePublishHeader / publishSize', () => {
  const payload = Buffer.from('the payload, written separately');
  const cases: Array<[string, OutgoingPublish, boolean]> = [
    ['v4 QoS 0', { topic: 'a/b', payload, qos: 0, retain: false, dup: false, packetId: 0 }, false],
    ['v4 QoS 2 retain dup', { topic: 'x/\u00e9', payload, qos: 2, retain: true, dup: true, packetId: 65535 }, false],
    [
      'v4 large payload',
      { topic: 't', payload: Buffer.alloc(300_000, 3), qos: 1, retain: false, dup: false, packetId: 1 },
      false,
    ],
    ['v5 no properties', { topic: 'a', payload, qos: 1, retain: false, dup: false, packetId: 3 }, true],
    [
      'v5 every property',
      {
        topic: 'r/s',
        payload,
        qos: 1,
        retain: true,
        dup: false,
        packetId: 77,
        properties: {
          payloadFormatIndicator: 1,
          contentType: 'text/plain',
          responseTopic: 'reply/\u00fc',
          correlationData: Buffer.from([9, 8, 7]),
          userProperties: [
            ['z', '1'],
            ['a', '2'],
            ['z', '3'],
          ],
        },
        messageExpiryInterval: 42,
        subscriptionIds: [1, 200, 268_435_455],
        topicAlias: 9,
      },
      true,
    ],
    [
      'v5 alias only (empty topic)',
      { topic: '', payload, qos: 0, retain: false, dup: false, packetId: 0, topicAlias: 2 },
      true,
    ],
  ];

  for (const [name, out, v5] of cases) {
    it(`${name}: header + payload is a packet mqtt-packet parses back to the same fields`, () => {
      const { header, total } = encodePublishHeader(out, v5);
      const wire = Buffer.concat([header, out.payload]);
      assert.equal(total, wire.length);
      assert.equal(publishSize(out, v5), wire.length);
      const p = parse(wire, v5 ? 5 : 4) as IPublishPacket;
      assert.equal(p.cmd, 'publish');
      assert.equal(p.topic, out.topic);
      assert.equal(p.qos, out.qos);
      assert.equal(p.retain, out.retain);
      assert.equal(p.dup, out.dup);
      if (out.qos > 0) assert.equal(p.messageId, out.packetId);
      assert.deepEqual(Buffer.from(p.payload as Buffer), out.payload);
      if (v5 && out.properties) {
        const props = p.properties!;
        assert.equal(props.payloadFormatIndicator, true);
        assert.equal(props.contentType, out.properties.contentType);
        assert.equal(props.responseTopic, out.properties.responseTopic);
        assert.deepEqual(Buffer.from(props.correlationData!), out.properties.correlationData);
        assert.equal(props.messageExpiryInterval, out.messageExpiryInterval);
        assert.deepEqual(props.subscriptionIdentifier, out.subscriptionIds);
        assert.equal(props.topicAlias, out.topicAlias);
        assert.deepEqual({ ...props.userProperties }, { z: ['1', '3'], a: '2' });
      }
      if (v5 && out.topicAlias !== undefined) assert.equal(p.properties?.topicAlias, out.topicAlias);
    });

    if (!out.subscriptionIds && !(v5 && out.topic === '')) {
      it(`${name}: decodePublish reads back what encodePublishHeader wrote`, () => {
        const { header } = encodePublishHeader(out, v5);
        const d = decodePublish(Buffer.concat([header, out.payload]), v5);
        assert.equal(d.topic, out.topic);
        assert.equal(d.qos, out.qos);
        assert.equal(d.retain, out.retain);
        assert.equal(d.dup, out.dup);
        assert.equal(d.packetId, out.qos ? out.packetId : 0);
        assert.deepEqual(d.payload, out.payload);
      });
    }
  }

  it('user property order is kept on the wire [MQTT-3.3.2-18]', () => {
    const out: OutgoingPublish = {
      topic: 't',
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      dup: false,
      packetId: 0,
      properties: {
        userProperties: [
          ['b', '1'],
          ['a', '2'],
          ['b', '3'],
        ],
      },
    };
    const { header } = encodePublishHeader(out, true);
    const d = decodePublish(header, true);
    assert.deepEqual(d.properties?.userProperties, [
      ['b', '1'],
      ['a', '2'],
      ['b', '3'],
    ]);
  });
});

describe('encodeAck', () => {
  it('writes PUBACK/PUBREC/PUBCOMP with flags 0000 and PUBREL with 0010 [MQTT-3.6.1-1]', () => {
    assert.deepEqual(encodeAck(4, 0x1234), Buffer.from([0x40, 2, 0x12, 0x34]));
    assert.deepEqual(encodeAck(5, 1), Buffer.from([0x50, 2, 0, 1]));
    assert.deepEqual(encodeAck(6, 1), Buffer.from([0x62, 2, 0, 1]));
    assert.deepEqual(encodeAck(7, 1), Buffer.from([0x70, 2, 0, 1]));
  });

  it('adds the reason code only for v5 and only when it is not 0', () => {
    assert.deepEqual(encodeAck(4, 1, 0x10, true), Buffer.from([0x40, 3, 0, 1, 0x10]));
    assert.deepEqual(encodeAck(4, 1, 0, true), Buffer.from([0x40, 2, 0, 1]));
    assert.deepEqual(encodeAck(4, 1, 0x10, false), Buffer.from([0x40, 2, 0, 1]));
    const p = parse(encodeAck(7, 9, RC.PACKET_IDENTIFIER_NOT_FOUND, true), 5) as Packet & { reasonCode?: number };
    assert.equal(p.cmd, 'pubcomp');
    assert.equal(p.reasonCode, RC.PACKET_IDENTIFIER_NOT_FOUND);
  });
});
