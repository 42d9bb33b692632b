// Will messages against a real broker: published when the network connection closes without a
// normal DISCONNECT (socket destroyed, keep alive expiry, server-initiated close on a protocol
// error, session takeover), not after DISCONNECT 0x00, and after v5 DISCONNECT 0x04; will retain
// and will QoS; the v5 Will Delay Interval (cancelled by a reconnect, cut short by session end);
// v5 will properties forwarded as sent, checked on the wire. Clients: raw sockets for the client
// whose will is tested, MQTT.js and raw-byte subscribers, mosquitto_sub killed with SIGKILL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until, type Received, type TestClient } from '../helpers/clients.js';
import { connectPacket, RawClient } from '../helpers/raw-client.js';

type Version = 3 | 4 | 5;

interface WillSpec {
  topic: string;
  payload?: string;
  qos?: 0 | 1 | 2;
  retain?: boolean;
  properties?: Record<string, unknown>;
}

/** A raw client that connects with a will and then does exactly what the test tells it to. */
async function willClient(
  port: number,
  version: Version,
  will: WillSpec,
  extra: Record<string, unknown> = {},
): Promise<RawClient> {
  const raw = await RawClient.open(port, version);
  raw.write(
    connectPacket((extra.clientId as string | undefined) ?? uniqueId('will'), version, {
      will: { payload: Buffer.from(will.payload ?? 'gone'), qos: 0, retain: false, ...will },
      ...extra,
    }),
    version,
  );
  const connack = (await raw.next('connack')) as unknown as { returnCode?: number; reasonCode?: number };
  assert.equal(connack.reasonCode ?? connack.returnCode ?? 0, 0);
  return raw;
}

/** A subscriber on the will topic (MQTT.js, v5, QoS 2 so the will's own QoS shows). */
async function watcher(port: number, topic: string): Promise<TestClient> {
  const c = await connect(port, { protocolVersion: 5 });
  await c.client.subscribeAsync(topic, { qos: 2 });
  return c;
}

/**
 * Messages that arrived on `c` since index `from`, up to a marker published now by `c` itself on
 * `topic`: proves what did NOT arrive without sleeping for long.
 */
async function settle(c: TestClient, topic: string, from: number): Promise<Received[]> {
  const marker = `marker-${uniqueId()}`;
  await c.client.publishAsync(topic, marker, { qos: 1 });
  await until(() => c.messages.slice(from).some((m) => m.payload.toString() === marker), 5000, 'marker');
  const got = c.messages.slice(from);
  return got.slice(
    0,
    got.findIndex((m) => m.payload.toString() === marker),
  );
}

const VERSION_NAME: Record<Version, string> = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' };

describe('will messages', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  for (const version of [3, 4, 5] as const) {
    describe(VERSION_NAME[version], () => {
      it('is published when the network connection is lost without DISCONNECT [MQTT-3.1.2-8]', async () => {
        const topic = `will/${uniqueId()}`;
        const w = await watcher(b.port, topic);
        const raw = await willClient(b.port, version, { topic, payload: `bye-v${version}`, qos: 1 });
        raw.close(); // the socket is destroyed: no DISCONNECT
        const [m] = await w.waitFor(1);
        assert.equal(m!.topic, topic);
        assert.equal(m!.payload.toString(), `bye-v${version}`);
        assert.equal(m!.packet.qos, 1);
        assert.equal(m!.packet.retain, false);
        await w.end();
      });

      it('is not published after a normal DISCONNECT [MQTT-3.14.4-3]', async () => {
        const topic = `will/${uniqueId()}`;
        const w = await watcher(b.port, topic);
        const raw = await willClient(b.port, version, { topic });
        raw.write({ cmd: 'disconnect', ...(version === 5 ? { reasonCode: 0 } : {}) } as Packet, version);
        assert.equal(await raw.waitClosed(), true);
        raw.close();
        await delay(50);
        assert.deepEqual(await settle(w, topic, 0), []);
        await w.end();
      });

      it('is published when the keep alive expires (1.5 x Keep Alive without a packet; 3.1.1 [MQTT-3.1.2-24], 5.0 [MQTT-3.1.2-22]) [MQTT-3.1.2-8]', async () => {
        const topic = `will/${uniqueId()}`;
        const w = await watcher(b.port, topic);
        const raw = await willClient(b.port, version, { topic, payload: 'timed out' }, { keepalive: 1 });
        const [m] = await w.waitFor(1, 5000);
        assert.equal(m!.payload.toString(), 'timed out');
        assert.equal(await raw.waitClosed(1000), true);
        if (version === 5) {
          const d = raw.packets.find((p) => p.cmd === 'disconnect') as { reasonCode?: number } | undefined;
          assert.equal(d?.reasonCode, 0x8d); // Keep Alive timeout
        }
        raw.close();
        await w.end();
      });

      it('is published when the server closes the connection for a protocol error (a second CONNECT) [MQTT-3.1.0-2], [MQTT-3.1.2-8]', async () => {
        const topic = `will/${uniqueId()}`;
        const w = await watcher(b.port, topic);
        const raw = await willClient(b.port, version, { topic, payload: 'protocol error' });
        raw.write(connectPacket(uniqueId(), version), version);
        const [m] = await w.waitFor(1);
        assert.equal(m!.payload.toString(), 'protocol error');
        assert.equal(await raw.waitClosed(), true);
        if (version === 5) {
          const d = raw.packets.find((p) => p.cmd === 'disconnect') as { reasonCode?: number } | undefined;
          assert.equal(d?.reasonCode, 0x82); // Protocol Error
        }
        raw.close();
        await w.end();
      });

      it('with Will Retain = 1 is published as a retained message (3.1.1 [MQTT-3.1.2-17]; 5.0 [MQTT-3.1.2-15])', async () => {
        const topic = `will/${uniqueId()}`;
        const w = await watcher(b.port, topic);
        const raw = await willClient(b.port, version, { topic, payload: 'retained will', retain: true });
        raw.close();
        const [live] = await w.waitFor(1);
        assert.equal(live!.packet.retain, false); // established subscription [MQTT-3.3.1-9] / [MQTT-3.3.1-12]
        assert.equal(b.broker.retained.get(topic)?.payload.toString(), 'retained will');
        const later = await connect(b.port, { protocolVersion: version === 5 ? 5 : 4 });
        await later.client.subscribeAsync(topic, { qos: 1 });
        const [m] = await later.waitFor(1);
        assert.equal(m!.payload.toString(), 'retained will');
        assert.equal(m!.packet.retain, true);
        await Promise.all([w.end(), later.end()]);
      });

      it('with Will Retain = 0 is not stored as a retained message (3.1.1 [MQTT-3.1.2-16]; 5.0 [MQTT-3.1.2-14])', async () => {
        const topic = `will/${uniqueId()}`;
        const w = await watcher(b.port, topic);
        const raw = await willClient(b.port, version, { topic, payload: 'not retained', retain: false });
        raw.close();
        await w.waitFor(1);
        assert.equal(b.broker.retained.get(topic), undefined);
        await w.end();
      });

      it('keeps its Will QoS: delivered at min(Will QoS, granted QoS) [MQTT-3.8.4-8]', async () => {
        for (const qos of [0, 1, 2] as const) {
          const topic = `will/${uniqueId()}`;
          const w = await watcher(b.port, topic);
          const raw = await willClient(b.port, version, { topic, payload: `q${qos}`, qos });
          raw.close();
          const [m] = await w.waitFor(1);
          assert.equal(m!.packet.qos, qos);
          await w.end();
        }
      });

      it('of the old connection is published on session takeover [MQTT-3.1.4-3], [MQTT-3.1.2-8]; the new connection has its own will', async () => {
        const topic = `will/${uniqueId()}`;
        const clientId = uniqueId('takeover');
        const w = await watcher(b.port, topic);
        const first = await willClient(b.port, version, { topic, payload: 'first' }, { clientId });
        const second = await willClient(b.port, version, { topic, payload: 'second' }, { clientId });
        assert.equal(await first.waitClosed(), true);
        if (version === 5) {
          const d = first.packets.find((p) => p.cmd === 'disconnect') as { reasonCode?: number } | undefined;
          assert.equal(d?.reasonCode, 0x8e); // Session taken over
        }
        const [m] = await w.waitFor(1);
        assert.equal(m!.payload.toString(), 'first');
        second.close();
        await w.waitFor(2);
        assert.deepEqual(
          w.messages.map((x) => x.payload.toString()),
          ['first', 'second'],
        );
        first.close();
        await w.end();
      });
    });
  }

  describe('MQTT 5 only', () => {
    it('DISCONNECT with reason code 0x04 (Disconnect with Will Message) publishes the will [MQTT-3.14.4-3]', async () => {
      const topic = `will/${uniqueId()}`;
      const w = await watcher(b.port, topic);
      const raw = await willClient(b.port, 5, { topic, payload: 'asked for' });
      raw.write({ cmd: 'disconnect', reasonCode: 0x04 } as Packet, 5);
      const [m] = await w.waitFor(1);
      assert.equal(m!.payload.toString(), 'asked for');
      assert.equal(await raw.waitClosed(), true);
      raw.close();
      await w.end();
    });

    it('with a Will Delay Interval is published after the delay, not before (5.0 section 3.1.3.2.2, [MQTT-3.1.2-8])', async () => {
      const topic = `will/${uniqueId()}`;
      const w = await watcher(b.port, topic);
      const raw = await willClient(
        b.port,
        5,
        { topic, payload: 'delayed', properties: { willDelayInterval: 1 } },
        { properties: { sessionExpiryInterval: 30 } },
      );
      const closedAt = Date.now();
      raw.close();
      await delay(400);
      assert.deepEqual(await settle(w, topic, 0), []);
      const [m] = (await w.waitFor(2, 3000)).slice(1);
      assert.equal(m!.payload.toString(), 'delayed');
      assert.ok(Date.now() - closedAt >= 950, 'published before the Will Delay Interval passed');
      await w.end();
    });

    it('is not published when the client reconnects to the session within the Will Delay Interval [MQTT-3.1.3-9]', async () => {
      const topic = `will/${uniqueId()}`;
      const clientId = uniqueId('resume');
      const w = await watcher(b.port, topic);
      const opts = { clientId, clean: false, properties: { sessionExpiryInterval: 30 } };
      const raw = await willClient(
        b.port,
        5,
        { topic, payload: 'must not appear', properties: { willDelayInterval: 1 } },
        opts,
      );
      raw.close();
      await delay(200);
      const again = await RawClient.open(b.port, 5);
      again.write(connectPacket(clientId, 5, opts), 5);
      const connack = (await again.next('connack')) as unknown as { sessionPresent: boolean; reasonCode: number };
      assert.equal(connack.reasonCode, 0);
      assert.equal(connack.sessionPresent, true);
      await delay(1300); // past the Will Delay Interval
      assert.deepEqual(await settle(w, topic, 0), []);
      again.write({ cmd: 'disconnect', reasonCode: 0 } as Packet, 5);
      await again.waitClosed();
      await w.end();
    });

    it('is published when the session ends before the Will Delay Interval passes (session expiry 1 s, delay 60 s) [MQTT-3.1.2-8]', async () => {
      const topic = `will/${uniqueId()}`;
      const w = await watcher(b.port, topic);
      const raw = await willClient(
        b.port,
        5,
        { topic, payload: 'session ended', properties: { willDelayInterval: 60 } },
        { properties: { sessionExpiryInterval: 1 } },
      );
      raw.close();
      await delay(300);
      assert.deepEqual(await settle(w, topic, 0), []);
      const got = await w.waitFor(2, 3000);
      assert.equal(got[1]!.payload.toString(), 'session ended');
      await w.end();
    });

    it('is published at once when the session ends with the connection (session expiry 0, delay 60 s) [MQTT-3.1.2-8]', async () => {
      const topic = `will/${uniqueId()}`;
      const w = await watcher(b.port, topic);
      const raw = await willClient(b.port, 5, { topic, payload: 'no session', properties: { willDelayInterval: 60 } });
      raw.close();
      const [m] = await w.waitFor(1, 2000);
      assert.equal(m!.payload.toString(), 'no session');
      await w.end();
    });

    it('a reconnect with Clean Start = 1 ends the old session, so its delayed will is published then (5.0 section 3.1.2.5)', async () => {
      const topic = `will/${uniqueId()}`;
      const clientId = uniqueId('clean');
      const w = await watcher(b.port, topic);
      const raw = await willClient(
        b.port,
        5,
        { topic, payload: 'old session', properties: { willDelayInterval: 60 } },
        { clientId, properties: { sessionExpiryInterval: 60 } },
      );
      raw.close();
      await delay(100);
      assert.deepEqual(await settle(w, topic, 0), []);
      const from = w.messages.length;
      const again = await RawClient.open(b.port, 5);
      again.write(connectPacket(clientId, 5, { clean: true }), 5);
      const connack = (await again.next('connack')) as unknown as { sessionPresent: boolean };
      assert.equal(connack.sessionPresent, false);
      const got = await settle(w, topic, from);
      assert.deepEqual(
        got.map((m) => m.payload.toString()),
        ['old session'],
      );
      again.close();
      await w.end();
    });

    it('session takeover within the Will Delay Interval resumes the session: the old will is not published [MQTT-3.1.3-9]', async () => {
      const topic = `will/${uniqueId()}`;
      const clientId = uniqueId('takeover-delay');
      const w = await watcher(b.port, topic);
      const opts = { clientId, clean: false, properties: { sessionExpiryInterval: 30 } };
      const first = await willClient(
        b.port,
        5,
        { topic, payload: 'first', properties: { willDelayInterval: 1 } },
        opts,
      );
      const second = await RawClient.open(b.port, 5);
      second.write(connectPacket(clientId, 5, opts), 5);
      const connack = (await second.next('connack')) as unknown as { sessionPresent: boolean };
      assert.equal(connack.sessionPresent, true);
      assert.equal(await first.waitClosed(), true);
      await delay(1300);
      assert.deepEqual(await settle(w, topic, 0), []);
      second.write({ cmd: 'disconnect', reasonCode: 0 } as Packet, 5);
      await second.waitClosed();
      first.close();
      await w.end();
    });

    it('forwards the will properties: user properties in order [MQTT-3.1.3-10], content type, response topic, correlation data, payload format, message expiry', async () => {
      const topic = `will/${uniqueId()}`;
      const tap = await RawTap.subscribe(b.port, topic);
      // hand-built CONNECT: mqtt-packet cannot encode the user properties a, b, a in that order
      const willProps = Buffer.concat([
        prop(0x01, Buffer.from([1])), // Payload Format Indicator
        prop(0x02, u32(60)), // Message Expiry Interval
        prop(0x03, str('application/json')), // Content Type
        prop(0x08, str(`${topic}/reply`)), // Response Topic
        prop(0x09, bin(Buffer.from([0xde, 0xad, 0xbe, 0xef]))), // Correlation Data
        prop(0x26, Buffer.concat([str('a'), str('1')])),
        prop(0x26, Buffer.concat([str('b'), str('2')])),
        prop(0x26, Buffer.concat([str('a'), str('3')])),
        prop(0x26, Buffer.concat([str('a'), str('1')])), // a repeated pair is kept too
      ]);
      const raw = await RawClient.open(b.port, 5);
      raw.write(
        connectV5(uniqueId('props'), { topic, payload: Buffer.from('{"gone":true}'), qos: 1, props: willProps }),
      );
      assert.equal(((await raw.next('connack')) as unknown as { reasonCode: number }).reasonCode, 0);
      raw.close();
      const p = await tap.nextPublish();
      assert.equal(p.topic, topic);
      assert.equal(p.payload.toString(), '{"gone":true}');
      assert.deepEqual(p.userProperties, [
        ['a', '1'],
        ['b', '2'],
        ['a', '3'],
        ['a', '1'],
      ]);
      assert.equal(p.props.get(0x01), 1);
      assert.equal(p.props.get(0x03), 'application/json');
      assert.equal(p.props.get(0x08), `${topic}/reply`);
      assert.deepEqual(p.props.get(0x09), Buffer.from([0xde, 0xad, 0xbe, 0xef]));
      const expiry = p.props.get(0x02) as number;
      assert.ok(expiry >= 59 && expiry <= 60, `message expiry ${expiry}`);
      tap.close();
    });

    it('the will Message Expiry Interval counts from publication, not from CONNECT (delay 1 s, expiry 10 s)', async () => {
      const topic = `will/${uniqueId()}`;
      const w = await watcher(b.port, topic);
      const raw = await willClient(
        b.port,
        5,
        { topic, payload: 'fresh', properties: { willDelayInterval: 1, messageExpiryInterval: 10 } },
        { properties: { sessionExpiryInterval: 30 } },
      );
      raw.close();
      const [m] = await w.waitFor(1, 3000);
      assert.equal(m!.packet.properties?.messageExpiryInterval, 10);
      await w.end();
    });

    it('a will whose message expiry passed while a persistent subscriber was offline is not delivered [MQTT-3.3.2-5]', async () => {
      const topic = `will/${uniqueId()}`;
      const subId = uniqueId('offline-sub');
      const opts = {
        protocolVersion: 5 as const,
        clientId: subId,
        clean: false,
        properties: { sessionExpiryInterval: 30 },
      };
      const s1 = await connect(b.port, opts);
      await s1.client.subscribeAsync(topic, { qos: 1 });
      await s1.end();
      const raw = await willClient(b.port, 5, {
        topic,
        payload: 'short-lived',
        qos: 1,
        properties: { messageExpiryInterval: 1 },
      });
      const keep = await willClient(b.port, 5, { topic, payload: 'long-lived', qos: 1 });
      raw.close();
      keep.close();
      await until(() => (b.broker.sessions.get(subId)?.queued ?? 0) === 2, 2000, 'two queued wills');
      await delay(1100);
      const s2 = await connect(b.port, opts);
      const got = await settle(s2, topic, 0);
      assert.deepEqual(
        got.map((m) => m.payload.toString()),
        ['long-lived'],
      );
      await s2.client.unsubscribeAsync(topic);
      await s2.end();
    });
  });
});

describe('will messages with mosquitto_sub (killed with SIGKILL)', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  for (const v of ['mqttv31', 'mqttv311', 'mqttv5']) {
    it(`${v}: --will-topic is published when the client dies [MQTT-3.1.2-8]`, async () => {
      const topic = `will/${uniqueId()}`;
      const w = await watcher(b.port, topic);
      const before = b.broker.connections.size;
      const child = spawn('mosquitto_sub', [
        ...['-h', '127.0.0.1', '-p', String(b.port), '-V', v, '-t', `idle/${uniqueId()}`],
        ...['--will-topic', topic, '--will-payload', `dead ${v}`, '--will-qos', '1', '--will-retain'],
      ]);
      await until(
        () => b.broker.connections.size > before && [...b.broker.connections].every((c) => c.state === 'connected'),
        5000,
        'mosquitto_sub connected',
      );
      await delay(100);
      child.kill('SIGKILL');
      const [m] = await w.waitFor(1);
      assert.equal(m!.payload.toString(), `dead ${v}`);
      assert.equal(m!.packet.qos, 1);
      assert.equal(b.broker.retained.get(topic)?.payload.toString(), `dead ${v}`);
      await w.end();
    });
  }
});

// --- raw bytes: a hand-built v5 CONNECT, and a subscriber that decodes PUBLISH properties in order ---

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([u16(b.length), b]);
}
function bin(b: Buffer): Buffer {
  return Buffer.concat([u16(b.length), b]);
}
function prop(id: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([id]), value]);
}

function connectV5(clientId: string, will: { topic: string; payload: Buffer; qos: 0 | 1 | 2; props: Buffer }): Buffer {
  const flags = 0x02 | 0x04 | (will.qos << 3); // Clean Start, Will Flag, Will QoS
  const variable = Buffer.concat([str('MQTT'), Buffer.from([5, flags]), u16(60), varint(0)]);
  const payload = Buffer.concat([
    str(clientId),
    varint(will.props.length),
    will.props,
    str(will.topic),
    bin(will.payload),
  ]);
  const body = Buffer.concat([variable, payload]);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}

interface DecodedPublish {
  topic: string;
  payload: Buffer;
  /** Every property but User Property, by identifier. */
  props: Map<number, number | string | Buffer>;
  userProperties: Array<[string, string]>;
}

/** A v5 subscriber that reads the PUBLISH bytes itself, so the order of user properties shows. */
class RawTap {
  private buf = Buffer.alloc(0);
  private readonly publishes: DecodedPublish[] = [];

  private constructor(private readonly raw: RawClient) {
    raw.socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
    });
  }

  static async subscribe(port: number, topic: string): Promise<RawTap> {
    const raw = await RawClient.open(port, 5);
    const tap = new RawTap(raw);
    raw.write(connectPacket(uniqueId('tap'), 5), 5);
    await raw.next('connack');
    raw.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] } as Packet, 5);
    await raw.next('suback');
    return tap;
  }

  async nextPublish(ms = 3000): Promise<DecodedPublish> {
    await until(() => this.publishes.length > 0, ms, 'a PUBLISH');
    return this.publishes.shift()!;
  }

  close(): void {
    this.raw.close();
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length < 2) return;
      let remaining = 0;
      let mult = 1;
      let i = 1;
      for (;;) {
        if (i >= this.buf.length) return;
        const byte = this.buf[i++]!;
        remaining += (byte & 0x7f) * mult;
        mult *= 128;
        if (!(byte & 0x80)) break;
      }
      if (this.buf.length < i + remaining) return;
      const first = this.buf[0]!;
      const body = this.buf.subarray(i, i + remaining);
      this.buf = this.buf.subarray(i + remaining);
      if (first >> 4 === 3) this.publishes.push(decodePublishV5(first, body));
    }
  }
}

function readVarint(b: Buffer, off: number): [number, number] {
  let n = 0;
  let mult = 1;
  for (;;) {
    const byte = b[off++]!;
    n += (byte & 0x7f) * mult;
    mult *= 128;
    if (!(byte & 0x80)) return [n, off];
  }
}

function decodePublishV5(first: number, body: Buffer): DecodedPublish {
  const qos = (first >> 1) & 3;
  let off = 0;
  const readStr = (): string => {
    const len = body.readUInt16BE(off);
    const s = body.toString('utf8', off + 2, off + 2 + len);
    off += 2 + len;
    return s;
  };
  const topic = readStr();
  if (qos > 0) off += 2;
  const [propLen, start] = readVarint(body, off);
  off = start;
  const end = off + propLen;
  const props = new Map<number, number | string | Buffer>();
  const userProperties: Array<[string, string]> = [];
  while (off < end) {
    const id = body[off++]!;
    switch (id) {
      case 0x01:
        props.set(id, body[off++]!);
        break;
      case 0x02:
        props.set(id, body.readUInt32BE(off));
        off += 4;
        break;
      case 0x03:
      case 0x08:
        props.set(id, readStr());
        break;
      case 0x09: {
        const len = body.readUInt16BE(off);
        props.set(id, Buffer.from(body.subarray(off + 2, off + 2 + len)));
        off += 2 + len;
        break;
      }
      case 0x0b: {
        const [v, o] = readVarint(body, off);
        props.set(id, v);
        off = o;
        break;
      }
      case 0x23:
        props.set(id, body.readUInt16BE(off));
        off += 2;
        break;
      case 0x26: {
        const k = readStr();
        const v = readStr();
        userProperties.push([k, v]);
        break;
      }
      default:
        throw new Error(`unexpected PUBLISH property 0x${id.toString(16)}`);
    }
  }
  return { topic, payload: Buffer.from(body.subarray(end)), props, userProperties };
}
