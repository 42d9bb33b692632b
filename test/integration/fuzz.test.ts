// Fuzz: a seeded PRNG builds hundreds of random, truncated and mutated byte streams (valid packets
// of every type and version with flipped bits, cut, duplicated or spliced bytes, forged Remaining
// Lengths) and feeds them over their own connections, while ~2000 more sockets connect and never
// send a CONNECT (or only part of one). All the while a well-behaved MQTT.js publisher/subscriber
// pair exchanges QoS 1 messages. At the end the pair got every message in order, the idle sockets
// were closed by the connect timeout, the connection count is back to the pair, a fresh client
// can connect and pub/sub, and the broker logged no internal error (a handler that threw).
// Replay or widen a run with FUZZ_SEED=<n> and FUZZ_CONNECTIONS=<n>.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { pino } from 'pino';
import { loadConfig } from '../../src/lib/config.js';
import { Broker } from '../../src/server/broker.js';
import { connect, delay, uniqueId, until, type TestClient } from '../helpers/clients.js';
import { rng, varInt } from '../helpers/bytes.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const FUZZ_CONNECTIONS = Number(process.env.FUZZ_CONNECTIONS ?? 400);
const FUZZ_PARALLEL = 16;
const IDLE_SOCKETS = 2000;
const IDLE_BATCH = 250;
const CONNECT_TIMEOUT_MS = 400;
const MAX_PACKET_SIZE = 64 * 1024;

/** Small deterministic PRNG (mulberry32), so a failing run can be replayed with FUZZ_SEED. */
type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const randomBytes = (r: Rand, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256)));

// --- valid packets to start from ---------------------------------------------------------------

const TOPICS = ['fuzz/a', 'fuzz/b/c', 'fuzz/\u00e9', '$SYS/fuzz', 'fuzz//x', 'f'];
const FILTERS = ['fuzz/#', 'fuzz/+', '#', '+/+', '$share/g/fuzz/#', '$queue/fuzz/a', 'fuzz/a', 'bad#', ''];

function connectFor(r: Rand, version: 3 | 4 | 5, id: string): Packet {
  const p: Record<string, unknown> = {
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clean: r() < 0.8,
    clientId: r() < 0.1 && version !== 3 ? '' : id,
    keepalive: pick(r, [0, 1, 5, 60, 65535]),
  };
  if (r() < 0.3)
    p.will = { topic: pick(r, TOPICS), payload: randomBytes(r, int(r, 20)), qos: int(r, 3), retain: r() < 0.3 };
  if (r() < 0.2) p.username = 'u';
  if (version === 5 && r() < 0.5) {
    p.properties = {
      sessionExpiryInterval: pick(r, [0, 1, 10]),
      receiveMaximum: pick(r, [1, 10, 65535]),
      maximumPacketSize: pick(r, [64, 1024, 1_000_000]),
      topicAliasMaximum: pick(r, [0, 2, 10]),
      requestProblemInformation: r() < 0.5,
    };
  }
  return p as unknown as Packet;
}

function packetFor(r: Rand, version: 3 | 4 | 5, id: string): Packet {
  const v5 = version === 5;
  const messageId = r() < 0.05 ? 0 : 1 + int(r, 65535);
  switch (int(r, 13)) {
    case 0:
    case 1:
    case 2: {
      const qos = int(r, 3) as 0 | 1 | 2;
      const p: Record<string, unknown> = {
        cmd: 'publish',
        topic: pick(r, TOPICS),
        payload: randomBytes(r, r() < 0.9 ? int(r, 64) : int(r, 4000)),
        qos,
        retain: r() < 0.2,
        dup: qos > 0 && r() < 0.2,
        messageId: qos ? messageId : undefined,
      };
      if (v5 && r() < 0.5) {
        const props: Record<string, unknown> = {};
        if (r() < 0.5) props.topicAlias = 1 + int(r, 12);
        if (r() < 0.3) props.messageExpiryInterval = int(r, 5);
        if (r() < 0.3) props.userProperties = { k: 'v', z: ['1', '2'] };
        if (r() < 0.2) props.payloadFormatIndicator = true;
        if (r() < 0.2) props.responseTopic = pick(r, TOPICS);
        if (r() < 0.2) props.correlationData = randomBytes(r, 4);
        if (r() < 0.2) props.contentType = 'text/plain';
        p.properties = props;
        if (props.topicAlias && r() < 0.5) p.topic = '';
      }
      return p as unknown as Packet;
    }
    case 3: {
      const subscriptions = Array.from({ length: 1 + int(r, 3) }, () => ({
        topic: pick(r, FILTERS),
        qos: int(r, 3) as 0 | 1 | 2,
        ...(v5 ? { nl: r() < 0.2, rap: r() < 0.3, rh: int(r, 3) } : {}),
      }));
      const p: Record<string, unknown> = { cmd: 'subscribe', messageId, subscriptions };
      if (v5 && r() < 0.3) p.properties = { subscriptionIdentifier: int(r, 300) };
      return p as unknown as Packet;
    }
    case 4:
      return { cmd: 'unsubscribe', messageId, unsubscriptions: [pick(r, FILTERS)] } as Packet;
    case 5:
      return { cmd: pick(r, ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const), messageId } as Packet;
    case 6:
    case 7:
      return { cmd: 'pingreq' } as Packet;
    case 8:
      return v5
        ? ({
            cmd: 'disconnect',
            reasonCode: pick(r, [0, 4, 0x80]),
            properties: r() < 0.3 ? { sessionExpiryInterval: 5 } : undefined,
          } as Packet)
        : ({ cmd: 'disconnect' } as Packet);
    case 9:
      return v5
        ? ({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } } as Packet)
        : ({ cmd: 'pingreq' } as Packet);
    case 10:
      return connectFor(r, version, id); // a second CONNECT
    case 11:
      return {
        cmd: pick(r, ['connack', 'suback', 'unsuback', 'pingresp'] as const),
        messageId,
        granted: [0],
        returnCode: 0,
        sessionPresent: false,
      } as Packet;
    default:
      return { cmd: 'pingreq' } as Packet;
  }
}

function encode(p: Packet, version: number): Buffer {
  try {
    return mqttPacket.generate(p, { protocolVersion: version });
  } catch {
    return Buffer.from([0xc0, 0x00]); // a combination mqtt-packet will not encode
  }
}

// --- mutations ---------------------------------------------------------------------------------

function mutate(r: Rand, buf: Buffer): Buffer {
  if (buf.length === 0) return buf;
  const b = Buffer.from(buf);
  switch (int(r, 9)) {
    case 0: {
      // flip 1 to 3 bits
      for (let n = 1 + int(r, 3); n > 0; n--) b[int(r, b.length)]! ^= 1 << int(r, 8);
      return b;
    }
    case 1:
      b[int(r, b.length)] = int(r, 256);
      return b;
    case 2:
      return b.subarray(0, int(r, b.length)); // truncate
    case 3: {
      // duplicate a slice in place
      const at = int(r, b.length);
      const slice = b.subarray(at, at + 1 + int(r, 16));
      return Buffer.concat([b.subarray(0, at), slice, slice, b.subarray(at + slice.length)]);
    }
    case 4: {
      // insert random bytes
      const at = int(r, b.length);
      return Buffer.concat([b.subarray(0, at), randomBytes(r, 1 + int(r, 8)), b.subarray(at)]);
    }
    case 5: {
      // forge the Remaining Length: random, 5 bytes long, huge, or off by a little
      let len = 2;
      while (len < 5 && len < b.length && (b[len - 1]! & 0x80) !== 0) len++;
      const body = b.subarray(len);
      const forged = pick(r, [
        [0xff, 0xff, 0xff, 0xff, 0x7f],
        [0x80, 0x80, 0x80, 0x80, 0x00],
        varInt(int(r, 268_435_455)),
        varInt(Math.max(0, body.length + int(r, 7) - 3)),
        varInt(MAX_PACKET_SIZE + int(r, 1000)),
      ]);
      return Buffer.concat([b.subarray(0, 1), Buffer.from(forged), body]);
    }
    case 6:
      b[0] = int(r, 256); // random type and flags
      return b;
    case 7:
      b[0] = (b[0]! & 0xf0) | int(r, 16); // reserved flags
      return b;
    default:
      return randomBytes(r, 1 + int(r, 64));
  }
}

/** One hostile stream: maybe a valid CONNECT, then packets, some mutated; split into chunks. */
function hostileStream(r: Rand, n: number): Buffer[] {
  const version = pick(r, [3, 4, 5] as const);
  const id = `fuzz-${n}`;
  // some streams are mostly valid, so they get deep into a session before going wrong
  const mutationRate = pick(r, [0.05, 0.2, 0.5]);
  const parts: Buffer[] = [];
  if (r() < 0.8) {
    const c = encode(connectFor(r, version, id), version);
    parts.push(r() < 0.15 ? mutate(r, c) : c);
  }
  const count = 1 + int(r, 20);
  for (let i = 0; i < count; i++) {
    const p = encode(packetFor(r, version, id), version);
    parts.push(r() < mutationRate ? mutate(r, p) : p);
  }
  if (r() < 0.1) parts.push(randomBytes(r, int(r, 2000)));
  let stream = Buffer.concat(parts);
  if (r() < 0.2) stream = stream.subarray(0, int(r, stream.length + 1));
  const chunks: Buffer[] = [];
  let off = 0;
  while (off < stream.length) {
    const size = r() < 0.3 ? 1 + int(r, 4) : 1 + int(r, 512);
    chunks.push(stream.subarray(off, off + size));
    off += size;
  }
  return chunks;
}

// --- sockets -----------------------------------------------------------------------------------

function openSocket(port: number): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(null));
  });
}

function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve();
    else s.once('close', () => resolve());
  });
}

async function runFuzzConnection(port: number, r: Rand, n: number): Promise<void> {
  const chunks = hostileStream(r, n);
  const linger = 20 + int(r, 150);
  const s = await openSocket(port);
  if (!s) return;
  s.on('error', () => {});
  s.resume(); // read and drop whatever the broker answers
  const done = closed(s);
  for (const chunk of chunks) {
    if (s.destroyed || s.writableEnded) break;
    s.write(chunk);
    if (r() < 0.1) await delay(int(r, 5));
  }
  await Promise.race([done, delay(linger)]);
  if (r() < 0.5) s.destroy();
  else s.end();
  await Promise.race([done, delay(500)]);
  s.destroy();
}

describe('fuzz: hostile byte streams and idle sockets', () => {
  let broker: Broker;
  let port: number;
  const errorLogs: string[] = [];
  // e.g. TimeoutOverflowWarning: a timer above 2^31-1 ms that Node would fire at once
  const warnings: string[] = [];
  const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);

  before(async () => {
    process.on('warning', onWarning);
    const config = loadConfig({
      overrides: {
        node: { log_level: 'error' },
        mqtt: { bind: '127.0.0.1', port: 0, connect_timeout_ms: CONNECT_TIMEOUT_MS },
        limits: { max_packet_size: MAX_PACKET_SIZE },
        sys: { enabled: false },
        storage: { engine: 'memory' }, // nothing written into the working directory
      },
    });
    // keep every error-level log line: a handler that throws is logged as 'internal error'
    const logger = pino({ level: 'error' }, { write: (line: string) => void errorLogs.push(line) });
    broker = new Broker(config, { logger });
    await broker.start();
    port = broker.mqttPort;
  });
  after(async () => {
    process.off('warning', onWarning);
    await broker.stop();
  });

  it(`${FUZZ_CONNECTIONS} hostile streams and ${IDLE_SOCKETS} idle sockets do not disturb a working pair (seed ${SEED})`, async () => {
    const topic = `pair/${uniqueId()}`;
    const sub: TestClient = await connect(port, { protocolVersion: 5, clientId: uniqueId('pair-sub') });
    await sub.client.subscribeAsync(topic, { qos: 1 });
    const pub: TestClient = await connect(port, { protocolVersion: 4, clientId: uniqueId('pair-pub') });
    const baseline = broker.connections.size;
    assert.equal(baseline, 2);

    let sent = 0;
    let pumping = true;
    const pump = (async () => {
      while (pumping) {
        await pub.client.publishAsync(topic, `m${sent}`, { qos: 1 });
        sent++;
        await delay(5);
      }
    })();

    // ~2000 sockets that connect and never send a CONNECT; one in ten sends part of one
    let idleClosedByBroker = 0;
    const pending: Promise<void>[] = [];
    const idle = (async () => {
      const r = rng(SEED ^ 0x1d1e);
      for (let opened = 0; opened < IDLE_SOCKETS; opened += IDLE_BATCH) {
        const batch = await Promise.all(Array.from({ length: IDLE_BATCH }, () => openSocket(port)));
        const waits = batch.map(async (s) => {
          if (!s) return;
          s.on('error', () => {});
          s.resume();
          if (r() < 0.1) s.write(Buffer.from([0x10, 0x40, 0x00, 0x04, 0x4d]));
          await Promise.race([closed(s), delay(CONNECT_TIMEOUT_MS * 10)]);
          if (s.destroyed) idleClosedByBroker++;
          s.destroy();
        });
        // the next batch opens while this one waits for its timeout
        pending.push(...waits);
        await delay(50);
      }
      await Promise.all(pending);
    })();

    const fuzz = (async () => {
      let next = 0;
      const worker = async (w: number) => {
        const r = rng(SEED + w * 7919);
        while (next < FUZZ_CONNECTIONS) await runFuzzConnection(port, r, next++);
      };
      await Promise.all(Array.from({ length: FUZZ_PARALLEL }, (_, w) => worker(w)));
    })();

    await Promise.all([idle, fuzz]);
    pumping = false;
    await pump;

    // the pair got everything, in order, exactly once
    const got = await sub.waitFor(sent, 10_000);
    assert.ok(sent > 50, `the pair exchanged only ${sent} messages`);
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      Array.from({ length: sent }, (_, i) => `m${i}`),
    );
    assert.equal(sub.client.connected, true);
    assert.equal(pub.client.connected, true);

    // every idle socket was closed by the broker's connect timeout, and nothing is left over
    assert.ok(
      idleClosedByBroker >= IDLE_SOCKETS * 0.99,
      `only ${idleClosedByBroker} of ${IDLE_SOCKETS} idle sockets were closed by the broker`,
    );
    assert.ok((broker.metrics.limits.connect_timeout ?? 0) >= IDLE_SOCKETS * 0.99);
    await until(() => broker.connections.size === baseline, 10_000, 'connection count back to the pair');

    // the hostile streams really were hostile
    assert.ok(broker.metrics.protocolErrors > FUZZ_CONNECTIONS / 4, `protocolErrors ${broker.metrics.protocolErrors}`);

    // a fresh client of each version connects and pub/subs
    for (const protocolVersion of [4, 5] as const) {
      const t = `after/${uniqueId()}`;
      const s2 = await connect(port, { protocolVersion });
      await s2.client.subscribeAsync(t, { qos: 2 });
      const p2 = await connect(port, { protocolVersion });
      await p2.client.publishAsync(t, 'alive', { qos: 2 });
      const [m] = await s2.waitFor(1);
      assert.equal(m!.payload.toString(), 'alive');
      await p2.end();
      await s2.end();
    }

    await pub.end();
    await sub.end();
    assert.deepEqual(
      errorLogs.map((l) => JSON.parse(l).msg as string),
      [],
      `the broker logged errors: ${errorLogs.slice(0, 3).join('\n')}`,
    );
    assert.deepEqual(warnings, [], 'process warnings during the run');
  });
});
