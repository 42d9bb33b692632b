// The issue 7 features together, with real MQTT.js clients (v5 and 3.1.1) on one in-process broker:
// a `$delayed/` PUBLISH's destination goes through the publish rewrite rules as an immediate
// PUBLISH to it would (EMQX rewrites the message again when it is released); a will's payload is
// checked against the schemas bound to its topic at CONNECT (v5 CONNACK 0x99, 3.1.1 return code 5;
// on_invalid "drop" keeps the connection and discards the will), so a will cannot carry a payload a
// PUBLISH to the same topic could not.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions } from 'mqtt';
import type { Packet } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, subscribedClient, uniqueId, until, type TestClient } from '../helpers/clients.js';
import { rawConnect } from '../helpers/raw-client.js';

const NUMBER_SCHEMA = JSON.stringify({ type: 'object', required: ['t'], properties: { t: { type: 'number' } } });

/** The CONNACK code of a CONNECT that the broker refuses (v5 reason code, 3.1.1 return code). */
async function refusedWith(port: number, opts: IClientOptions): Promise<number> {
  try {
    const c = await connect(port, opts);
    await c.end(true);
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
  assert.fail('the CONNECT was accepted');
}

describe('feature interactions: topic rewrite and delayed publish', () => {
  let b: TestBroker;
  const clients: TestClient[] = [];

  before(async () => {
    b = await startBroker({
      delayed: { max_delay_s: 60 },
      topic_rewrite: {
        rules: [
          { action: 'publish', source_topic: 'raw/#', regex: '^raw/(.+)$', dest_topic: 'cooked/$1' },
          // a rule whose result is a delayed topic: the delay is read from the rewritten topic
          { action: 'publish', source_topic: 'later/#', regex: '^later/(.+)$', dest_topic: '$delayed/1/cooked/$1' },
        ],
      },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.end(true)));
    await b.stop();
  });

  it('the destination of $delayed/{s}/{topic} is rewritten as a PUBLISH to {topic} is (v5 and 3.1.1)', async () => {
    const cooked = await subscribedClient(b.port, 'cooked/#', clients);
    const raw = await subscribedClient(b.port, 'raw/#', clients);
    const pub5 = await connect(b.port, { protocolVersion: 5, clientId: uniqueId('fi-rw5') });
    const pub4 = await connect(b.port, { protocolVersion: 4, clientId: uniqueId('fi-rw4') });
    clients.push(pub5, pub4);
    await pub5.client.publishAsync('raw/now', 'immediate', { qos: 1 });
    await pub5.client.publishAsync('$delayed/1/raw/v5', 'held5', { qos: 1 });
    await pub4.client.publishAsync('$delayed/1/raw/v4', 'held4', { qos: 2 });
    await cooked.waitFor(3, 5000);
    assert.deepEqual(cooked.messages.map((m) => [m.topic, m.payload.toString()]).sort(), [
      ['cooked/now', 'immediate'],
      ['cooked/v4', 'held4'],
      ['cooked/v5', 'held5'],
    ]);
    await delay(200);
    assert.equal(raw.messages.length, 0, 'nothing reaches the topic before its rewrite');
  });

  it('a rule that rewrites to a $delayed/ topic holds the message (then it is not rewritten again)', async () => {
    const sub = await subscribedClient(b.port, 'cooked/late/#', clients);
    const pub = await connect(b.port, { protocolVersion: 5 });
    clients.push(pub);
    await pub.client.publishAsync('later/late/x', 'one second', { qos: 1 });
    assert.equal(b.broker.delayed.size, 1, 'held');
    const [m] = await sub.waitFor(1, 5000);
    assert.equal(m!.topic, 'cooked/late/x');
  });
  it('a QoS 2 PUBLISH to $delayed/ re-sent before its PUBREL is held once (v5 and 3.1.1) [MQTT-4.3.3-9]', async () => {
    for (const v of [5, 4] as const) {
      const sub = await subscribedClient(b.port, `plain/dup${v}`, clients);
      const { c } = await rawConnect(b.port, uniqueId('fi-dup'), v);
      const heldBefore = b.broker.delayed.size;
      const publish = { cmd: 'publish', topic: `$delayed/1/plain/dup${v}`, payload: 'once', qos: 2, messageId: 7 };
      c.write({ ...publish, dup: false } as Packet, v);
      await c.next('pubrec');
      c.write({ ...publish, dup: true } as Packet, v);
      await c.next('pubrec');
      assert.equal(b.broker.delayed.size, heldBefore + 1, 'held once');
      c.write({ cmd: 'pubrel', messageId: 7 } as Packet, v);
      await c.next('pubcomp');
      await sub.waitFor(1, 5000);
      await delay(300);
      assert.equal(sub.messages.length, 1, 'delivered once');
      c.close();
    }
  });
});

describe('feature interactions: schema validation of will messages', () => {
  for (const onInvalid of ['reject', 'drop'] as const) {
    describe(`schema.on_invalid = ${onInvalid}`, () => {
      let b: TestBroker;
      const clients: TestClient[] = [];

      before(async () => {
        b = await startBroker({
          schema: {
            on_invalid: onInvalid,
            schemas: { reading: { type: 'json', definition: NUMBER_SCHEMA, topics: ['fi/will/#'] } },
          },
        });
      });
      after(async () => {
        await Promise.all(clients.map((c) => c.end(true)));
        await b.stop();
      });

      it('a will whose payload does not match the schema of its topic is never published', async () => {
        const sub = await subscribedClient(b.port, 'fi/will/#', clients);
        const bad = { topic: 'fi/will/bad', payload: Buffer.from('not json'), qos: 1 as const, retain: false };
        if (onInvalid === 'reject') {
          // v5: CONNACK 0x99 Payload format invalid; 3.1.1: return code 5 (it has no closer one)
          assert.equal(await refusedWith(b.port, { protocolVersion: 5, will: bad }), 0x99);
          assert.equal(await refusedWith(b.port, { protocolVersion: 4, will: bad }), 5);
        } else {
          // drop: the client connects; its will is discarded
          for (const protocolVersion of [5, 4] as const) {
            const dying = await connect(b.port, { protocolVersion, will: bad });
            dying.client.stream.destroy(); // no DISCONNECT: a will it still had would be published [MQTT-3.1.2-8]
          }
        }
        // a valid will on the same topic is published
        const good = { topic: 'fi/will/good', payload: Buffer.from('{"t":1}'), qos: 1 as const, retain: false };
        const dying = await connect(b.port, { protocolVersion: 5, will: good });
        dying.client.stream.destroy();
        const [m] = await sub.waitFor(1, 5000);
        assert.equal(m!.topic, 'fi/will/good');
        await delay(300);
        assert.deepEqual(
          sub.messages.map((x) => x.topic),
          ['fi/will/good'],
        );
        await until(() => b.broker.connections.size === 1, 5000, 'the dying clients gone');
      });
    });
  }
});

describe('feature interactions: the rewrite and schema caches hold no long topics', () => {
  let b: TestBroker;
  const clients: TestClient[] = [];

  before(async () => {
    b = await startBroker({
      topic_rewrite: {
        rules: [{ action: 'publish', source_topic: 'fi/long/#', regex: '^fi/long/(.+)$', dest_topic: 'fi/lng/$1' }],
      },
      schema: { schemas: { reading: { type: 'json', definition: NUMBER_SCHEMA, topics: ['fi/+/#'] } } },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.end(true)));
    await b.stop();
  });

  it('distinct 5000-character topics are not cached (10,000 of 64 KiB would hold 655 MB)', async () => {
    const sub = await subscribedClient(b.port, 'fi/#', clients);
    const pub = await connect(b.port, { protocolVersion: 5 });
    clients.push(pub);
    await pub.client.publishAsync('fi/long/short', '{"t":1}', { qos: 1 });
    const rewriteBefore = b.broker.topicRewrite.cachedTopics;
    const schemaBefore = b.broker.schemas.cachedTopics;
    assert.ok(rewriteBefore > 0 && schemaBefore > 0, 'short topics are cached');
    for (let i = 0; i < 5; i++) {
      await pub.client.publishAsync(`fi/long/${i}/${'x'.repeat(5000)}`, '{"t":2}', { qos: 1 });
      await pub.client.publishAsync(`fi/long/${i}/${'y'.repeat(5000)}`, 'invalid', { qos: 1 }).catch(() => {});
    }
    // still checked against the schema (5 valid delivered, 5 invalid not); the long ones not rewritten
    const got = await sub.waitFor(6, 5000);
    await delay(200);
    assert.equal(got.length, 6);
    assert.equal(got.filter((m) => m.topic.startsWith('fi/long/') && m.topic.length > 5000).length, 5);
    assert.equal(b.broker.topicRewrite.cachedTopics, rewriteBefore);
    assert.equal(b.broker.schemas.cachedTopics, schemaBefore);
  });
});
