// MQTT 5 properties end to end: topic aliases both directions, message expiry, Maximum Packet Size
// both directions, subscription identifiers, No Local, user properties (order kept), payload format
// indicator, content type, response topic, correlation data, reason strings, and the CONNACK
// capability flags (Maximum QoS, Retain Available, Topic Alias Maximum) with their enforcement.
// Exact property order needs exact bytes, so PUBLISHes are built and read here by hand.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type {
  IConnackPacket,
  IDisconnectPacket,
  IPubackPacket,
  IPublishPacket,
  ISubackPacket,
  ISubscription,
  Packet,
} from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until, type TestClient } from '../helpers/clients.js';
import { connectPacket, RawClient } from '../helpers/raw-client.js';
import { varInt as varIntBytes } from '../helpers/bytes.js';

const varInt = (n: number): Buffer => Buffer.from(varIntBytes(n));

// --- raw PUBLISH bytes -------------------------------------------------------------------------

function lenPrefixed(b: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** One encoded property each (identifier byte + value). */
const prop = {
  byte: (id: number, v: number) => Buffer.from([id, v]),
  u16: (id: number, v: number) => {
    const b = Buffer.alloc(3);
    b[0] = id;
    b.writeUInt16BE(v, 1);
    return b;
  },
  u32: (id: number, v: number) => {
    const b = Buffer.alloc(5);
    b[0] = id;
    b.writeUInt32BE(v, 1);
    return b;
  },
  str: (id: number, s: string) => Buffer.concat([Buffer.from([id]), lenPrefixed(Buffer.from(s, 'utf8'))]),
  bin: (id: number, data: Buffer) => Buffer.concat([Buffer.from([id]), lenPrefixed(data)]),
  user: (k: string, v: string) =>
    Buffer.concat([Buffer.from([0x26]), lenPrefixed(Buffer.from(k, 'utf8')), lenPrefixed(Buffer.from(v, 'utf8'))]),
  varInt: (id: number, n: number) => Buffer.concat([Buffer.from([id]), varInt(n)]),
};
const PFI = 0x01;
const EXPIRY = 0x02;
const CONTENT_TYPE = 0x03;
const RESPONSE_TOPIC = 0x08;
const CORRELATION = 0x09;
const SUB_ID = 0x0b;
const TOPIC_ALIAS = 0x23;
const USER = 0x26;

interface PublishOpts {
  qos?: 0 | 1 | 2;
  packetId?: number;
  retain?: boolean;
  props?: Buffer[];
}

/** A v5 PUBLISH with exactly the given properties, in the given order. */
function publishFrame(topic: string, payload: Buffer | string, o: PublishOpts = {}): Buffer {
  const qos = o.qos ?? 0;
  const props = Buffer.concat(o.props ?? []);
  const id = Buffer.alloc(2);
  id.writeUInt16BE(o.packetId ?? 1);
  const body = Buffer.concat([
    lenPrefixed(Buffer.from(topic, 'utf8')),
    qos > 0 ? id : Buffer.alloc(0),
    varInt(props.length),
    props,
    Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8'),
  ]);
  return Buffer.concat([Buffer.from([0x30 | (qos << 1) | (o.retain ? 1 : 0)]), varInt(body.length), body]);
}

type PropValue = number | string | Buffer | [string, string];

interface RawPublish {
  topic: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  packetId: number;
  /** Properties in wire order. */
  props: Array<[number, PropValue]>;
  payload: Buffer;
  /** Whole packet size on the wire. */
  size: number;
}

function readVarInt(buf: Buffer, off: number): [number, number] {
  let value = 0;
  let mult = 1;
  let i = off;
  for (;;) {
    const b = buf[i++]!;
    value += (b & 0x7f) * mult;
    mult *= 128;
    if ((b & 0x80) === 0) return [value, i];
  }
}

function decodePublish(frame: Buffer): RawPublish {
  const first = frame[0]!;
  const qos = (first >> 1) & 3;
  let [, off] = readVarInt(frame, 1);
  const str = (): string => {
    const l = frame.readUInt16BE(off);
    const s = frame.toString('utf8', off + 2, off + 2 + l);
    off += 2 + l;
    return s;
  };
  const topic = str();
  let packetId = 0;
  if (qos > 0) {
    packetId = frame.readUInt16BE(off);
    off += 2;
  }
  const [propLen, start] = readVarInt(frame, off);
  off = start;
  const end = start + propLen;
  const props: Array<[number, PropValue]> = [];
  while (off < end) {
    const id = frame[off++]!;
    switch (id) {
      case PFI:
        props.push([id, frame[off++]!]);
        break;
      case EXPIRY:
        props.push([id, frame.readUInt32BE(off)]);
        off += 4;
        break;
      case TOPIC_ALIAS:
        props.push([id, frame.readUInt16BE(off)]);
        off += 2;
        break;
      case CONTENT_TYPE:
      case RESPONSE_TOPIC:
        props.push([id, str()]);
        break;
      case CORRELATION: {
        const l = frame.readUInt16BE(off);
        props.push([id, Buffer.from(frame.subarray(off + 2, off + 2 + l))]);
        off += 2 + l;
        break;
      }
      case SUB_ID: {
        const [v, o] = readVarInt(frame, off);
        props.push([id, v]);
        off = o;
        break;
      }
      case USER: {
        const k = str();
        const v = str();
        props.push([id, [k, v]]);
        break;
      }
      default:
        throw new Error(`unexpected property 0x${id.toString(16)} in a PUBLISH from the broker`);
    }
  }
  return {
    topic,
    qos,
    retain: (first & 1) === 1,
    dup: (first & 8) === 8,
    packetId,
    props,
    payload: Buffer.from(frame.subarray(end)),
    size: frame.length,
  };
}

/** Collects every whole packet the broker sends on a socket, as exact bytes. */
class Tap {
  readonly frames: Buffer[] = [];
  private buf = Buffer.alloc(0);

  constructor(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        if (this.buf.length < 2) return;
        let i = 1;
        let rem = 0;
        let mult = 1;
        for (;;) {
          if (i >= this.buf.length) return;
          const b = this.buf[i++]!;
          rem += (b & 0x7f) * mult;
          mult *= 128;
          if ((b & 0x80) === 0) break;
        }
        if (this.buf.length < i + rem) return;
        this.frames.push(Buffer.from(this.buf.subarray(0, i + rem)));
        this.buf = this.buf.subarray(i + rem);
      }
    });
  }

  publishes(): RawPublish[] {
    return this.frames.filter((f) => f[0]! >> 4 === 3).map(decodePublish);
  }
}

const propsOf = (p: RawPublish, id: number): PropValue[] => p.props.filter(([i]) => i === id).map(([, v]) => v);

// --- raw v5 clients ----------------------------------------------------------------------------

interface RawV5 {
  c: RawClient;
  tap: Tap;
  connack: IConnackPacket;
  clientId: string;
}

async function rawV5(port: number, properties: Record<string, unknown> = {}, clientId = uniqueId('raw')) {
  const c = await RawClient.open(port, 5);
  const tap = new Tap(c.socket);
  c.write(connectPacket(clientId, 5, { properties }), 5);
  const connack = await c.next<IConnackPacket>('connack');
  assert.equal(connack.reasonCode, 0);
  return { c, tap, connack, clientId } satisfies RawV5;
}

let nextMessageId = 1;
async function rawSubscribe(
  c: RawClient,
  subscriptions: ISubscription[],
  properties?: Record<string, unknown>,
): Promise<ISubackPacket> {
  c.write({ cmd: 'subscribe', messageId: nextMessageId++, subscriptions, properties } as Packet, 5);
  return c.next<ISubackPacket>('suback');
}

async function expectDisconnect(c: RawClient, code: number): Promise<IDisconnectPacket> {
  const d = await c.next<IDisconnectPacket>('disconnect');
  assert.equal(
    d.reasonCode,
    code,
    `DISCONNECT reason 0x${d.reasonCode?.toString(16)}, expected 0x${code.toString(16)}`,
  );
  assert.ok(await c.waitClosed(), 'the broker closes the connection after DISCONNECT [MQTT-4.13.2-1]');
  return d;
}

const v5 = { protocolVersion: 5 } as const;

describe('MQTT 5 properties', () => {
  let b: TestBroker;
  const clients: TestClient[] = [];
  const raws: RawClient[] = [];
  const track = <T extends TestClient>(c: T): T => (clients.push(c), c);
  const trackRaw = <T extends RawV5>(r: T): T => (raws.push(r.c), r);

  before(async () => {
    b = await startBroker({ limits: { topic_alias_maximum: 10, max_packet_size: 1024 } });
  });
  after(async () => {
    for (const c of clients) await c.end(true);
    for (const r of raws) r.close();
    await b.stop();
  });

  describe('topic alias, client -> broker', () => {
    it('an alias set with a topic stands for it in later PUBLISHes with an empty topic, and can be remapped [MQTT-3.3.2-12]', async () => {
      const base = `alias/${uniqueId()}`;
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(`${base}/#`, { qos: 1 });
      const pub = trackRaw(await rawV5(b.port));
      assert.equal(pub.connack.properties?.topicAliasMaximum, 10);
      const sends: Array<[string, number, string]> = [
        [`${base}/one`, 1, 'p1'],
        ['', 1, 'p2'],
        [`${base}/two`, 1, 'p3'], // remaps alias 1
        ['', 1, 'p4'],
        [`${base}/ten`, 10, 'p5'], // the highest alias the broker advertised
        ['', 10, 'p6'],
        ['', 1, 'p7'],
      ];
      let id = 1;
      for (const [topic, alias, payload] of sends) {
        pub.c.write(publishFrame(topic, payload, { qos: 1, packetId: id++, props: [prop.u16(TOPIC_ALIAS, alias)] }));
        const ack = await pub.c.next<IPubackPacket>('puback');
        assert.ok((ack.reasonCode ?? 0) < 0x80, `PUBACK 0x${ack.reasonCode?.toString(16)} for ${payload}`);
      }
      const got = await sub.waitFor(7);
      assert.deepEqual(
        got.map((m) => [m.topic, m.payload.toString()]),
        [
          [`${base}/one`, 'p1'],
          [`${base}/one`, 'p2'],
          [`${base}/two`, 'p3'],
          [`${base}/two`, 'p4'],
          [`${base}/ten`, 'p5'],
          [`${base}/ten`, 'p6'],
          [`${base}/two`, 'p7'],
        ],
      );
      // the subscriber did not ask for aliases: it gets the whole topic and no alias [MQTT-3.1.2-27]
      assert.ok(got.every((m) => m.packet.properties?.topicAlias === undefined));
    });

    it('Topic Alias 0 gets DISCONNECT 0x94 with a reason string [MQTT-3.3.2-8]', async () => {
      const pub = trackRaw(await rawV5(b.port));
      pub.c.write(publishFrame(`alias/${uniqueId()}`, 'x', { props: [prop.u16(TOPIC_ALIAS, 0)] }));
      const d = await expectDisconnect(pub.c, 0x94);
      assert.ok(d.properties?.reasonString, 'the server DISCONNECT carries a reason string');
    });

    it('a Topic Alias above the advertised Topic Alias Maximum gets DISCONNECT 0x94 [MQTT-3.2.2-17]', async () => {
      const pub = trackRaw(await rawV5(b.port));
      pub.c.write(publishFrame(`alias/${uniqueId()}`, 'x', { qos: 1, props: [prop.u16(TOPIC_ALIAS, 11)] }));
      const d = await expectDisconnect(pub.c, 0x94);
      assert.ok(d.properties?.reasonString);
    });

    it('an empty topic with an alias that was never set is a Protocol Error (0x82)', async () => {
      const pub = trackRaw(await rawV5(b.port));
      pub.c.write(publishFrame(`alias/${uniqueId()}`, 'x', { props: [prop.u16(TOPIC_ALIAS, 1)] }));
      pub.c.write(publishFrame('', 'y', { props: [prop.u16(TOPIC_ALIAS, 2)] }));
      const d = await expectDisconnect(pub.c, 0x82);
      assert.ok(d.properties?.reasonString);
    });

    it('an empty topic without an alias is a Protocol Error (0x82)', async () => {
      const pub = trackRaw(await rawV5(b.port));
      pub.c.write(publishFrame('', 'y'));
      await expectDisconnect(pub.c, 0x82);
    });

    it('alias mappings are not carried to the next connection [MQTT-3.3.2-7]', async () => {
      const clientId = uniqueId('alias');
      const first = trackRaw(await rawV5(b.port, { sessionExpiryInterval: 30 }, clientId));
      first.c.write(publishFrame(`alias/${uniqueId()}`, 'x', { qos: 1, props: [prop.u16(TOPIC_ALIAS, 3)] }));
      await first.c.next('puback');
      first.c.close();
      await until(() => !b.broker.sessions.get(clientId)?.connected, 2000, 'the first connection to go');
      const second = trackRaw(await rawV5(b.port, { sessionExpiryInterval: 30 }, clientId));
      second.c.write(publishFrame('', 'y', { qos: 1, props: [prop.u16(TOPIC_ALIAS, 3)] }));
      await expectDisconnect(second.c, 0x82);
    });
  });

  describe('topic alias, broker -> client', () => {
    async function publishSequence(topics: string[]): Promise<void> {
      const pub = track(await connect(b.port, v5));
      for (let i = 0; i < topics.length; i++) await pub.client.publishAsync(topics[i]!, `m${i}`, { qos: 1 });
    }

    it('aliases never exceed the client Topic Alias Maximum, and a known alias is sent with an empty topic [MQTT-3.1.2-26]', async () => {
      const base = `oalias/${uniqueId()}`;
      const sub = trackRaw(await rawV5(b.port, { topicAliasMaximum: 2 }));
      const suback = await rawSubscribe(sub.c, [{ topic: `${base}/+`, qos: 0 }]);
      assert.deepEqual(suback.granted, [0]);
      const topics = ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'c'].map((t) => `${base}/${t}`);
      await publishSequence(topics);
      await until(() => sub.tap.publishes().length >= topics.length, 3000, 'all publishes');
      const got = sub.tap.publishes();
      const known = new Map<number, string>();
      const resolved: string[] = [];
      let emptyTopics = 0;
      for (const p of got) {
        const [alias] = propsOf(p, TOPIC_ALIAS) as number[];
        if (alias === undefined) {
          assert.notEqual(p.topic, '', 'an empty topic needs an alias');
          resolved.push(p.topic);
          continue;
        }
        assert.ok(alias >= 1 && alias <= 2, `alias ${alias} is within 1..2`);
        if (p.topic !== '') {
          known.set(alias, p.topic);
          resolved.push(p.topic);
        } else {
          emptyTopics++;
          assert.ok(known.has(alias), `alias ${alias} was set before it was used`);
          resolved.push(known.get(alias)!);
        }
      }
      assert.deepEqual(resolved, topics);
      assert.deepEqual(
        got.map((p) => p.payload.toString()),
        topics.map((_, i) => `m${i}`),
      );
      assert.ok(emptyTopics >= 3, `the broker used its aliases (${emptyTopics} PUBLISHes with an empty topic)`);
      // the second PUBLISH on topic a is the first that can use the alias
      assert.equal(got[3]!.topic, '');
    });

    it('no aliases for a client that did not send a Topic Alias Maximum [MQTT-3.1.2-27]', async () => {
      const topic = `oalias/${uniqueId()}`;
      const sub = trackRaw(await rawV5(b.port));
      await rawSubscribe(sub.c, [{ topic, qos: 0 }]);
      await publishSequence([topic, topic, topic]);
      await until(() => sub.tap.publishes().length >= 3, 3000, 'three publishes');
      for (const p of sub.tap.publishes()) {
        assert.equal(p.topic, topic);
        assert.deepEqual(propsOf(p, TOPIC_ALIAS), []);
      }
    });

    it('MQTT.js with topicAliasMaximum receives aliased PUBLISHes and resolves every topic', async () => {
      const base = `oalias/${uniqueId()}`;
      const sub = track(await connect(b.port, { ...v5, properties: { topicAliasMaximum: 3 } }));
      const aliases: Array<number | undefined> = [];
      sub.client.on('packetreceive', (p) => {
        if (p.cmd === 'publish') aliases.push(p.properties?.topicAlias);
      });
      await sub.client.subscribeAsync(`${base}/#`, { qos: 1 });
      const topics = ['x', 'y', 'x', 'y', 'x', 'z', 'w', 'x'].map((t) => `${base}/${t}`);
      await publishSequence(topics);
      const got = await sub.waitFor(topics.length);
      assert.deepEqual(
        got.map((m) => m.topic),
        topics,
      );
      assert.ok(aliases.some((a) => a !== undefined));
      assert.ok(aliases.every((a) => a === undefined || (a >= 1 && a <= 3)));
      assert.ok(sub.client.connected, 'MQTT.js found nothing to reject');
    });
  });

  describe('message expiry', () => {
    it('a queued message whose expiry passed is not delivered; the others carry the remaining time [MQTT-3.3.2-5] [MQTT-3.3.2-6]', async () => {
      const clientId = uniqueId('exp');
      const topic = `expiry/${clientId}`;
      const opts = { ...v5, clientId, clean: false, properties: { sessionExpiryInterval: 30 } };
      const first = await connect(b.port, opts);
      await first.client.subscribeAsync(topic, { qos: 1 });
      await first.end();
      const droppedBefore = b.broker.metrics.dropped.expired ?? 0;
      const pub = track(await connect(b.port, v5));
      await pub.client.publishAsync(topic, 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
      await pub.client.publishAsync(topic, 'long', { qos: 1, properties: { messageExpiryInterval: 30 } });
      await pub.client.publishAsync(topic, 'none', { qos: 1 });
      await delay(1300);
      const sub = track(await connect(b.port, opts));
      const got = await sub.waitFor(2);
      await delay(150);
      assert.deepEqual(
        sub.messages.map((m) => m.payload.toString()),
        ['long', 'none'],
      );
      const remaining = got[0]!.packet.properties?.messageExpiryInterval;
      assert.ok(remaining !== undefined && remaining >= 26 && remaining <= 29, `remaining expiry ${remaining}`);
      assert.equal(got[1]!.packet.properties?.messageExpiryInterval, undefined, 'no expiry was set, none is sent');
      assert.ok((b.broker.metrics.dropped.expired ?? 0) > droppedBefore, 'the expired copy is counted as dropped');
    });

    it('a message delivered at once carries its Message Expiry Interval', async () => {
      const topic = `expiry/${uniqueId()}`;
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const pub = track(await connect(b.port, v5));
      await pub.client.publishAsync(topic, 'x', { qos: 1, properties: { messageExpiryInterval: 60 } });
      const [m] = await sub.waitFor(1);
      const e = m!.packet.properties?.messageExpiryInterval;
      assert.ok(e !== undefined && e >= 58 && e <= 60, `expiry ${e}`);
    });

    it('a retained message is not sent on subscribe once it expired; before that with the remaining time', async () => {
      const base = `expiry/${uniqueId()}`;
      const pub = track(await connect(b.port, v5));
      await pub.client.publishAsync(`${base}/short`, 's', {
        qos: 1,
        retain: true,
        properties: { messageExpiryInterval: 1 },
      });
      await pub.client.publishAsync(`${base}/long`, 'l', {
        qos: 1,
        retain: true,
        properties: { messageExpiryInterval: 30 },
      });
      await delay(1300);
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(`${base}/#`, { qos: 1 });
      const [m] = await sub.waitFor(1);
      await delay(150);
      assert.equal(sub.messages.length, 1);
      assert.equal(m!.topic, `${base}/long`);
      const e = m!.packet.properties?.messageExpiryInterval;
      assert.ok(e !== undefined && e >= 26 && e <= 29, `remaining expiry ${e}`);
    });
  });

  describe('maximum packet size', () => {
    it('CONNACK advertises limits.max_packet_size; a packet of exactly that size is accepted', async () => {
      const topic = `mps/${uniqueId()}`;
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(topic, { qos: 0 });
      const pub = trackRaw(await rawV5(b.port));
      assert.equal(pub.connack.properties?.maximumPacketSize, 1024);
      // total = 1 + 2 (remaining length) + 2 + topic + 1 (property length 0) + payload
      const payload = Buffer.alloc(1024 - 3 - 2 - Buffer.byteLength(topic) - 1, 0x61);
      const frame = publishFrame(topic, payload);
      assert.equal(frame.length, 1024);
      pub.c.write(frame);
      const [m] = await sub.waitFor(1);
      assert.equal(m!.payload.length, payload.length);
    });

    it('a packet larger than limits.max_packet_size gets DISCONNECT 0x95 and is counted', async () => {
      const topic = `mps/${uniqueId()}`;
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(topic, { qos: 0 });
      const before = b.broker.metrics.limits.max_packet_size ?? 0;
      const pub = trackRaw(await rawV5(b.port));
      const payload = Buffer.alloc(1024 - 3 - 2 - Buffer.byteLength(topic) - 1 + 1, 0x61);
      pub.c.write(publishFrame(topic, payload));
      const d = await expectDisconnect(pub.c, 0x95);
      assert.ok(d.properties?.reasonString);
      assert.equal(b.broker.metrics.limits.max_packet_size, before + 1);
      await delay(100);
      assert.equal(sub.messages.length, 0, 'the oversize PUBLISH is not forwarded');
    });

    it('PUBLISHes larger than the client Maximum Packet Size are dropped for it only [MQTT-3.1.2-24] [MQTT-3.1.2-25]', async () => {
      const topic = `mps/${uniqueId()}`;
      const small = trackRaw(await rawV5(b.port, { maximumPacketSize: 200 }));
      // with a Subscription Identifier the broker must count it in the size too
      await rawSubscribe(small.c, [{ topic, qos: 1 }], { subscriptionIdentifier: 5 });
      small.c.socket.on('data', () => {
        // acknowledge every QoS 1 PUBLISH so the inflight window never fills
        for (;;) {
          const i = small.c.packets.findIndex((p) => p.cmd === 'publish');
          if (i < 0) break;
          const [p] = small.c.packets.splice(i, 1) as IPublishPacket[];
          if (p!.qos > 0) small.c.write({ cmd: 'puback', messageId: p!.messageId } as Packet, 5);
        }
      });
      const normal = track(await connect(b.port, v5));
      await normal.client.subscribeAsync(topic, { qos: 1 });
      const droppedBefore = b.broker.metrics.dropped.too_large ?? 0;

      // outgoing size = 1 + 2 + (2 + topic + 2 + 1 + 2 [sub id] + payload): 200 exactly, then 201
      const fit = 200 - 3 - 2 - Buffer.byteLength(topic) - 2 - 1 - 2;
      const payloads = [
        'a',
        'x'.repeat(fit), // exactly 200 bytes for the small client
        'y'.repeat(fit + 1), // 201: too large for it
        'z'.repeat(600),
        'b',
      ];
      const pub = track(await connect(b.port, v5));
      for (const p of payloads) await pub.client.publishAsync(topic, p, { qos: 1 });
      await pub.client.publishAsync(topic, 'big-qos0'.padEnd(400, '.'), { qos: 0 });
      await pub.client.publishAsync(topic, 'c', { qos: 0 });

      await normal.waitFor(7);
      await until(
        () => small.tap.publishes().some((p) => p.payload.toString() === 'c'),
        3000,
        "the small client's last",
      );
      const got = small.tap.publishes();
      assert.deepEqual(
        got.map((p) => p.payload.toString()),
        ['a', 'x'.repeat(fit), 'b', 'c'],
      );
      assert.ok(
        got.every((p) => p.size <= 200),
        `sizes ${got.map((p) => p.size).join(',')}`,
      );
      assert.equal(got[1]!.size, 200);
      assert.deepEqual(propsOf(got[1]!, SUB_ID), [5]);
      assert.equal(b.broker.metrics.dropped.too_large, droppedBefore + 3, 'each discarded PUBLISH is counted');
      assert.ok(!small.c.closed);
    });
  });

  describe('subscription identifiers [MQTT-3.3.4-3..5]', () => {
    it('overlapping subscriptions give one PUBLISH with every matching identifier', async () => {
      const base = `subid/${uniqueId()}`;
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(`${base}/+`, { qos: 1, properties: { subscriptionIdentifier: 1 } });
      await sub.client.subscribeAsync(`${base}/#`, { qos: 0, properties: { subscriptionIdentifier: 2 } });
      await sub.client.subscribeAsync(`${base}/x/y`, { qos: 0 }); // no identifier
      const pub = track(await connect(b.port, v5));
      await pub.client.publishAsync(`${base}/x`, 'one', { qos: 1 });
      await pub.client.publishAsync(`${base}/x/y`, 'two', { qos: 1 });
      await pub.client.publishAsync(base, 'three', { qos: 1 }); // '#' matches the parent level
      const got = await sub.waitFor(3);
      await delay(100);
      assert.equal(sub.messages.length, 3, 'one copy per message for overlapping subscriptions');
      const ids = (m: (typeof got)[number]) =>
        [m.packet.properties?.subscriptionIdentifier ?? []].flat().sort((x, y) => x - y);
      assert.deepEqual(ids(got[0]!), [1, 2]);
      assert.deepEqual(ids(got[1]!), [2]);
      assert.deepEqual(ids(got[2]!), [2]);
      // [MQTT-3.3.4-2] the highest QoS of the matching subscriptions
      assert.equal(got[0]!.packet.qos, 1);
    });

    it('a new SUBSCRIBE replaces the identifier; without one, none is sent', async () => {
      const topic = `subid/${uniqueId()}`;
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(topic, { qos: 0, properties: { subscriptionIdentifier: 7 } });
      const pub = track(await connect(b.port, v5));
      await pub.client.publishAsync(topic, 'a', { qos: 1 });
      await sub.client.subscribeAsync(topic, { qos: 0, properties: { subscriptionIdentifier: 268435455 } });
      await pub.client.publishAsync(topic, 'b', { qos: 1 });
      await sub.client.subscribeAsync(topic, { qos: 0 });
      await pub.client.publishAsync(topic, 'c', { qos: 1 });
      const got = await sub.waitFor(3);
      assert.deepEqual(
        got.map((m) => m.packet.properties?.subscriptionIdentifier),
        [7, 268435455, undefined],
      );
    });

    it('a retained message sent on subscribe carries the identifier', async () => {
      const topic = `subid/${uniqueId()}`;
      const pub = track(await connect(b.port, v5));
      await pub.client.publishAsync(topic, 'kept', { qos: 1, retain: true });
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(topic, { qos: 1, properties: { subscriptionIdentifier: 42 } });
      const [m] = await sub.waitFor(1);
      assert.equal(m!.packet.retain, true);
      assert.equal(m!.packet.properties?.subscriptionIdentifier, 42);
      await pub.client.publishAsync(topic, '', { qos: 1, retain: true });
    });

    it('a client PUBLISH with a Subscription Identifier is a Protocol Error [MQTT-3.3.4-6]', async () => {
      const pub = trackRaw(await rawV5(b.port));
      pub.c.write(publishFrame(`subid/${uniqueId()}`, 'x', { qos: 1, props: [prop.varInt(SUB_ID, 3)] }));
      await expectDisconnect(pub.c, 0x82);
    });
  });

  describe('No Local [MQTT-3.8.3-3]', () => {
    it('with No Local a client does not get its own messages; other subscribers do', async () => {
      const topic = `nolocal/${uniqueId()}`;
      const self = track(await connect(b.port, v5));
      await self.client.subscribeAsync(topic, { qos: 1, nl: true });
      const other = track(await connect(b.port, v5));
      await other.client.subscribeAsync(topic, { qos: 1 });
      await self.client.publishAsync(topic, 'mine', { qos: 1 });
      await other.client.publishAsync(topic, 'theirs', { qos: 1 });
      await other.waitFor(2);
      await self.waitFor(1);
      await delay(100);
      assert.deepEqual(
        self.messages.map((m) => m.payload.toString()),
        ['theirs'],
      );
    });

    it('an overlapping subscription without No Local still delivers the own message once', async () => {
      const base = `nolocal/${uniqueId()}`;
      const self = track(await connect(b.port, v5));
      await self.client.subscribeAsync(`${base}/#`, { qos: 1, nl: true, properties: { subscriptionIdentifier: 1 } });
      await self.client.subscribeAsync(`${base}/x`, { qos: 1, properties: { subscriptionIdentifier: 2 } });
      await self.client.publishAsync(`${base}/x`, 'mine', { qos: 1 });
      await self.client.publishAsync(`${base}/y`, 'not-for-me', { qos: 1 });
      const [m] = await self.waitFor(1);
      await delay(150);
      assert.equal(self.messages.length, 1);
      assert.equal(m!.payload.toString(), 'mine');
      assert.equal(m!.packet.properties?.subscriptionIdentifier, 2);
    });
  });

  describe('application properties are forwarded unaltered', () => {
    it('user properties keep their order, repeated keys included [MQTT-3.3.2-17] [MQTT-3.3.2-18]', async () => {
      const topic = `props/${uniqueId()}`;
      const sub = trackRaw(await rawV5(b.port));
      await rawSubscribe(sub.c, [{ topic, qos: 1 }]);
      const mqttjs = track(await connect(b.port, v5));
      await mqttjs.client.subscribeAsync(topic, { qos: 1 });
      const pairs: Array<[string, string]> = [
        ['a', '1'],
        ['b', '2'],
        ['a', '3'],
        ['ключ', 'значение ✓'],
        ['empty', ''],
        ['a', '1'],
      ];
      const pub = trackRaw(await rawV5(b.port));
      pub.c.write(publishFrame(topic, 'up', { qos: 1, props: pairs.map(([k, v]) => prop.user(k, v)) }));
      await pub.c.next('puback');
      await until(() => sub.tap.publishes().length >= 1, 3000, 'the PUBLISH');
      assert.deepEqual(propsOf(sub.tap.publishes()[0]!, USER), pairs);
      const [m] = await mqttjs.waitFor(1);
      assert.deepEqual(
        { ...m!.packet.properties?.userProperties },
        {
          a: ['1', '3', '1'],
          b: '2',
          ключ: 'значение ✓',
          empty: '',
        },
      );
    });

    it('payload format indicator, content type, response topic and correlation data [MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-20]', async () => {
      const topic = `props/${uniqueId()}`;
      const sub = trackRaw(await rawV5(b.port));
      await rawSubscribe(sub.c, [{ topic, qos: 0 }]);
      const correlation = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x00]);
      const pub = trackRaw(await rawV5(b.port));
      pub.c.write(
        publishFrame(topic, '{"ü":1}', {
          props: [
            prop.byte(PFI, 1),
            prop.str(CONTENT_TYPE, 'application/json; charset=utf-8'),
            prop.str(RESPONSE_TOPIC, `reply/${uniqueId()}/ü`),
            prop.bin(CORRELATION, correlation),
          ],
        }),
      );
      pub.c.write(publishFrame(topic, Buffer.from([0xff, 0x00]), { props: [prop.byte(PFI, 0)] }));
      pub.c.write(publishFrame(topic, 'plain'));
      await until(() => sub.tap.publishes().length >= 3, 3000, 'three publishes');
      const [first, second, third] = sub.tap.publishes();
      assert.equal(first!.payload.toString(), '{"ü":1}');
      assert.deepEqual(propsOf(first!, PFI), [1]);
      assert.deepEqual(propsOf(first!, CONTENT_TYPE), ['application/json; charset=utf-8']);
      assert.equal((propsOf(first!, RESPONSE_TOPIC)[0] as string).endsWith('/ü'), true);
      assert.deepEqual(propsOf(first!, CORRELATION), [correlation]);
      assert.deepEqual(propsOf(second!, PFI), [0], 'an explicit indicator 0 is forwarded as sent');
      assert.deepEqual(second!.payload, Buffer.from([0xff, 0x00]));
      assert.deepEqual(third!.props, [], 'a PUBLISH without properties gets none added');
    });

    it('the same properties reach an MQTT.js subscriber', async () => {
      const topic = `props/${uniqueId()}`;
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const pub = track(await connect(b.port, v5));
      const correlationData = Buffer.from('req-42');
      await pub.client.publishAsync(topic, 'hello', {
        qos: 1,
        properties: {
          payloadFormatIndicator: true,
          contentType: 'text/plain',
          responseTopic: 'reply/here',
          correlationData,
          userProperties: { k: 'v' },
        },
      });
      const [m] = await sub.waitFor(1);
      const p = m!.packet.properties!;
      assert.equal(p.payloadFormatIndicator, true);
      assert.equal(p.contentType, 'text/plain');
      assert.equal(p.responseTopic, 'reply/here');
      assert.deepEqual(p.correlationData, correlationData);
      assert.deepEqual({ ...p.userProperties }, { k: 'v' });
    });

    it('payload format indicator 1 with a payload that is not UTF-8 gets 0x99 and is not forwarded', async () => {
      // 3.3.2.3.2: the receiver MAY validate and answer PUBACK or DISCONNECT with 0x99
      const topic = `props/${uniqueId()}`;
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const pub = trackRaw(await rawV5(b.port));
      pub.c.write(publishFrame(topic, Buffer.from([0xc3, 0x28, 0xff]), { qos: 1, props: [prop.byte(PFI, 1)] }));
      const answer = await pub.c.next();
      assert.ok(answer.cmd === 'puback' || answer.cmd === 'disconnect', `got ${answer.cmd}`);
      assert.equal((answer as IPubackPacket | IDisconnectPacket).reasonCode, 0x99);
      const marker = track(await connect(b.port, v5));
      await marker.client.publishAsync(topic, 'marker', { qos: 1 });
      const [m] = await sub.waitFor(1);
      assert.equal(m!.payload.toString(), 'marker');
    });

    it('a Response Topic with wildcards is refused and not forwarded [MQTT-3.3.2-14]', async () => {
      const topic = `props/${uniqueId()}`;
      const sub = track(await connect(b.port, v5));
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const pub = trackRaw(await rawV5(b.port));
      pub.c.write(publishFrame(topic, 'x', { qos: 1, props: [prop.str(RESPONSE_TOPIC, 'reply/+/x')] }));
      const answer = await pub.c.next();
      assert.ok(answer.cmd === 'puback' || answer.cmd === 'disconnect', `got ${answer.cmd}`);
      const code = (answer as IPubackPacket | IDisconnectPacket).reasonCode ?? 0;
      assert.ok(code >= 0x80, `refused, reason 0x${code.toString(16)}`);
      const marker = track(await connect(b.port, v5));
      await marker.client.publishAsync(topic, 'marker', { qos: 1 });
      const [m] = await sub.waitFor(1);
      assert.equal(m!.payload.toString(), 'marker');
    });
  });

  describe('CONNACK capabilities', () => {
    it('advertises the configured limits and the available features', async () => {
      const r = trackRaw(await rawV5(b.port));
      const p = r.connack.properties ?? {};
      assert.equal(p.maximumQoS, undefined, 'Maximum QoS absent means 2');
      assert.notEqual(p.retainAvailable, false);
      assert.equal(p.topicAliasMaximum, 10);
      assert.equal(p.maximumPacketSize, 1024);
      assert.ok((p.receiveMaximum ?? 65535) >= 1);
      assert.notEqual(p.wildcardSubscriptionAvailable, false);
      assert.notEqual(p.subscriptionIdentifiersAvailable, false);
      assert.notEqual(p.sharedSubscriptionAvailable, false);
    });
  });
});

describe('MQTT 5 capabilities turned off (max_qos 1, retain unavailable, no topic aliases)', () => {
  let b: TestBroker;
  const raws: RawClient[] = [];
  const open = async (props: Record<string, unknown> = {}) => {
    const r = await rawV5(b.port, props);
    raws.push(r.c);
    return r;
  };
  before(async () => {
    b = await startBroker({ limits: { max_qos: 1, retain_available: false, topic_alias_maximum: 0 } });
  });
  after(async () => {
    for (const r of raws) r.close();
    await b.stop();
  });

  it('CONNACK says Maximum QoS 1, Retain Available 0, no Topic Alias Maximum [MQTT-3.2.2-9]', async () => {
    const { connack } = await open();
    assert.equal(connack.properties?.maximumQoS, 1);
    assert.equal(connack.properties?.retainAvailable, false);
    assert.ok(!connack.properties?.topicAliasMaximum, 'absent or 0: the client must not send aliases');
  });

  it('a retained PUBLISH gets DISCONNECT 0x9A and is neither stored nor forwarded', async () => {
    const topic = `noretain/${uniqueId()}`;
    const sub = await connect(b.port, v5);
    await sub.client.subscribeAsync(topic, { qos: 1 });
    const retainedBefore = b.broker.retained.size;
    const { c } = await open();
    c.write(publishFrame(topic, 'keep me', { qos: 1, retain: true }));
    const d = await expectDisconnect(c, 0x9a);
    assert.ok(d.properties?.reasonString);
    assert.equal(b.broker.retained.size, retainedBefore);
    const pub = await connect(b.port, v5);
    await pub.client.publishAsync(topic, 'marker', { qos: 1 });
    const [m] = await sub.waitFor(1);
    assert.equal(m!.payload.toString(), 'marker');
    await pub.end();
    await sub.end();
  });

  it('a QoS 2 PUBLISH above Maximum QoS gets DISCONNECT 0x9B', async () => {
    const { c } = await open();
    c.write(publishFrame(`noqos2/${uniqueId()}`, 'x', { qos: 2 }));
    await expectDisconnect(c, 0x9b);
  });

  it('any Topic Alias gets DISCONNECT 0x94 when the Topic Alias Maximum is 0 [MQTT-3.2.2-18]', async () => {
    const { c } = await open();
    c.write(publishFrame(`noalias/${uniqueId()}`, 'x', { props: [prop.u16(TOPIC_ALIAS, 1)] }));
    await expectDisconnect(c, 0x94);
  });

  it('a will with RETAIN is refused with CONNACK 0x9A [MQTT-3.2.2-13]', async () => {
    const c = await RawClient.open(b.port, 5);
    raws.push(c);
    c.write(
      connectPacket(uniqueId(), 5, { will: { topic: 'w/t', payload: Buffer.from('x'), qos: 0, retain: true } }),
      5,
    );
    const connack = await c.next<IConnackPacket>('connack');
    assert.equal(connack.reasonCode, 0x9a);
    assert.ok(await c.waitClosed());
  });

  it('a will with QoS 2 is refused with CONNACK 0x9B [MQTT-3.2.2-12]', async () => {
    const c = await RawClient.open(b.port, 5);
    raws.push(c);
    c.write(
      connectPacket(uniqueId(), 5, { will: { topic: 'w/t', payload: Buffer.from('x'), qos: 2, retain: false } }),
      5,
    );
    const connack = await c.next<IConnackPacket>('connack');
    assert.equal(connack.reasonCode, 0x9b);
    assert.ok(await c.waitClosed());
  });
});
