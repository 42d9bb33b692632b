// Schema validation end to end with real MQTT.js clients (v5 and 3.1.1) against an in-process
// broker: JSON Schema, Avro and Protobuf schemas bound to topic filters through the admin API and
// the configuration file. A valid payload is delivered; an invalid one gets v5 PUBACK/PUBREC 0x99
// (Payload format invalid) and is not delivered; a 3.1.1 client gets its normal acknowledgement
// [MQTT-3.3.5-2] and nothing is delivered; schema.on_invalid "drop" and "disconnect"; every schema
// bound to a matching filter must pass; unbound topics are untouched; counts; delete refused while bound.
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import avro from 'avsc';
import type { IDisconnectPacket } from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { isRobustMQError } from '../../src/lib/errors.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, until, type TestClient } from '../helpers/clients.js';

const PAYLOAD_FORMAT_INVALID = 0x99;

const readingSchema = JSON.stringify({
  type: 'object',
  required: ['t'],
  properties: { t: { type: 'number' } },
});

const avroSchema = {
  type: 'record',
  name: 'Reading',
  fields: [
    { name: 'id', type: 'string' },
    { name: 't', type: 'double' },
  ],
};
const avroType = avro.Type.forSchema(avroSchema as avro.Schema);

const proto = `
syntax = "proto2";
package plant;
message Reading {
  required string id = 1;
  optional double t = 2;
}`;

/** PUBLISH with MQTT.js; the reason code of its PUBACK / PUBREC (0 for QoS 0 and 3.1.1 acknowledgements). */
function publish(c: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1 | 2 = 1): Promise<number> {
  return new Promise((resolve, reject) => {
    c.publish(topic, payload, { qos }, (err, packet) => {
      if (err) {
        const code = (err as { code?: number }).code;
        if (typeof code === 'number') resolve(code);
        else reject(err);
      } else resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0);
    });
  });
}

/**
 * What the subscriber received up to a marker published after the payloads under test (one
 * publisher's messages arrive in order, so anything not received before the marker never will be).
 */
async function receivedBefore(pub: MqttClient, sub: TestClient, markerTopic: string): Promise<string[]> {
  const marker = `marker-${Math.random()}`;
  await publish(pub, markerTopic, marker);
  await until(() => sub.messages.some((m) => m.payload.toString() === marker), 5000, 'the marker');
  const i = sub.messages.findIndex((m) => m.payload.toString() === marker);
  const got = sub.messages.slice(0, i).map((m) => `${m.topic} ${m.payload.toString('hex')}`);
  sub.messages.length = 0;
  return got;
}

const hex = (topic: string, payload: string | Buffer) =>
  `${topic} ${(Buffer.isBuffer(payload) ? payload : Buffer.from(payload)).toString('hex')}`;

describe('schema validation, schema.on_invalid = "reject" (the default)', () => {
  let b: TestBroker;
  let sub: TestClient;
  let v5: TestClient;
  let v4: TestClient;

  before(async () => {
    b = await startBroker();
    const admin = b.broker.admin;
    assert.equal(b.broker.features.schema, undefined, 'no binding: nothing on the publish path');
    await admin.createSchema({ name: 'reading', type: 'json', definition: readingSchema, description: 'a reading' });
    await admin.bindSchema('reading', 'sensors/+/reading');
    await admin.createSchema({ name: 'reading-avro', type: 'avro', definition: JSON.stringify(avroSchema) });
    await admin.bindSchema('reading-avro', 'avro/#');
    await admin.createSchema({ name: 'reading-pb', type: 'protobuf', definition: proto, messageType: 'plant.Reading' });
    await admin.bindSchema('reading-pb', 'pb/#');
    assert.ok(b.broker.features.schema, 'bound: the slot is set');
    sub = await connect(b.port, { protocolVersion: 5 });
    await sub.client.subscribeAsync('#', { qos: 1 });
    v5 = await connect(b.port, { protocolVersion: 5 });
    v4 = await connect(b.port, { protocolVersion: 4 });
  });

  after(async () => {
    await Promise.all([sub.end(true), v5.end(true), v4.end(true)]);
    await b.stop();
  });

  it('v5: a valid JSON payload is delivered; an invalid one gets PUBACK / PUBREC 0x99 and is not delivered', async () => {
    assert.equal(await publish(v5.client, 'sensors/s1/reading', '{"t": 21.5}'), 0);
    assert.equal(await publish(v5.client, 'sensors/s1/reading', '{"t": "warm"}'), PAYLOAD_FORMAT_INVALID);
    assert.equal(await publish(v5.client, 'sensors/s1/reading', 'not json', 2), PAYLOAD_FORMAT_INVALID);
    assert.equal(await publish(v5.client, 'sensors/s1/reading', '{}', 0), 0);
    assert.deepEqual(await receivedBefore(v5.client, sub, 'marker/v5'), [hex('sensors/s1/reading', '{"t": 21.5}')]);
  });

  it('3.1.1: an invalid payload gets the normal PUBACK and is not delivered [MQTT-3.3.5-2]', async () => {
    assert.equal(await publish(v4.client, 'sensors/s2/reading', '{"t": "warm"}'), 0);
    assert.equal(await publish(v4.client, 'sensors/s2/reading', '{"t": 3}', 2), 0);
    assert.deepEqual(await receivedBefore(v4.client, sub, 'marker/v4'), [hex('sensors/s2/reading', '{"t": 3}')]);
    assert.equal(v4.client.connected, true);
  });

  it('topics no bound filter matches are not checked', async () => {
    assert.equal(await publish(v5.client, 'sensors/s1/other', 'anything'), 0);
    assert.equal(await publish(v5.client, 'sensors/s1/reading/raw', 'anything'), 0);
    assert.deepEqual(await receivedBefore(v5.client, sub, 'marker/unbound'), [
      hex('sensors/s1/other', 'anything'),
      hex('sensors/s1/reading/raw', 'anything'),
    ]);
  });

  it('Avro: a binary datum is delivered; a wrong, truncated or longer one is refused', async () => {
    const good = avroType.toBuffer({ id: 's1', t: 1.5 });
    assert.equal(await publish(v5.client, 'avro/r', good), 0);
    assert.equal(await publish(v5.client, 'avro/r', good.subarray(0, good.length - 3)), PAYLOAD_FORMAT_INVALID);
    assert.equal(await publish(v5.client, 'avro/r', Buffer.concat([good, Buffer.from([1])])), PAYLOAD_FORMAT_INVALID);
    assert.equal(await publish(v5.client, 'avro/r', '{"id":"s1","t":1.5}'), PAYLOAD_FORMAT_INVALID);
    assert.deepEqual(await receivedBefore(v5.client, sub, 'marker/avro'), [hex('avro/r', good)]);
  });

  it('Protobuf: a message is delivered; malformed bytes, a wrong wire type and a missing required field are refused', async () => {
    const good = Buffer.from([0x0a, 0x02, 0x73, 0x31, 0x11, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]); // id "s1", t 1.5
    assert.equal(await publish(v5.client, 'pb/r', good), 0);
    assert.equal(await publish(v5.client, 'pb/r', Buffer.from([0x0a, 0x09, 0x73])), PAYLOAD_FORMAT_INVALID);
    // t (a double: wire type 1) sent as a varint
    assert.equal(await publish(v5.client, 'pb/r', Buffer.from([0x0a, 0x01, 0x73, 0x10, 0x01])), PAYLOAD_FORMAT_INVALID);
    // only t: the required id is missing
    assert.equal(await publish(v5.client, 'pb/r', good.subarray(4)), PAYLOAD_FORMAT_INVALID);
    assert.deepEqual(await receivedBefore(v5.client, sub, 'marker/pb'), [hex('pb/r', good)]);
  });

  it('a payload must match every schema bound to a matching filter', async () => {
    const admin = b.broker.admin;
    await admin.createSchema({
      name: 'with-unit',
      type: 'json',
      definition: JSON.stringify({ required: ['unit'] }),
    });
    await admin.bindSchema('with-unit', 'sensors/#');
    assert.equal(await publish(v5.client, 'sensors/s3/reading', '{"t": 1}'), PAYLOAD_FORMAT_INVALID);
    assert.equal(await publish(v5.client, 'sensors/s3/reading', '{"unit": "C"}'), PAYLOAD_FORMAT_INVALID);
    assert.equal(await publish(v5.client, 'sensors/s3/reading', '{"t": 1, "unit": "C"}'), 0);
    assert.equal(await publish(v5.client, 'sensors/s3/other', '{"unit": "C"}'), 0);
    assert.deepEqual(await receivedBefore(v5.client, sub, 'marker/all'), [
      hex('sensors/s3/reading', '{"t": 1, "unit": "C"}'),
      hex('sensors/s3/other', '{"unit": "C"}'),
    ]);
    await admin.unbindSchema('with-unit', 'sensors/#');
    await admin.deleteSchema('with-unit');
  });

  it('counts invalid payloads per schema and as dropped messages', async () => {
    const list = (await b.broker.admin.listSchemas()).items;
    const count = Object.fromEntries(list.map((s) => [s.name, s.invalidCount]));
    // reading: 2 from v5, 1 from 3.1.1 and 1 (QoS 0 "{}"), plus the one of "a payload must match every schema"
    assert.deepEqual(count, { reading: 5, 'reading-avro': 3, 'reading-pb': 3 });
    assert.equal(b.broker.metrics.dropped.schema_invalid, 11 + 1);
    const reading = await b.broker.admin.getSchema('reading');
    assert.deepEqual(reading.topics, ['sensors/+/reading']);
    assert.equal(reading.source, 'api');
    assert.equal(reading.description, 'a reading');
  });

  it('a bound schema is not deleted; unbound, it is; without bindings the slot is empty again', async () => {
    const admin = b.broker.admin;
    await assert.rejects(
      admin.deleteSchema('reading'),
      (e: unknown) => isRobustMQError(e) && e.code === 'RMQ_ERR_SCHEMA_IN_USE',
    );
    await assert.rejects(
      admin.unbindSchema('reading', 'sensors/#'),
      (e: unknown) => isRobustMQError(e) && e.code === 'RMQ_ERR_SCHEMA_BINDING_NOT_FOUND',
    );
    for (const [name, topic] of [
      ['reading', 'sensors/+/reading'],
      ['reading-avro', 'avro/#'],
      ['reading-pb', 'pb/#'],
    ] as const) {
      await admin.unbindSchema(name, topic);
    }
    assert.equal(b.broker.features.schema, undefined);
    await admin.deleteSchema('reading');
    assert.equal(await publish(v5.client, 'sensors/s1/reading', 'not json'), 0);
    await assert.rejects(
      admin.getSchema('reading'),
      (e: unknown) => isRobustMQError(e) && e.code === 'RMQ_ERR_SCHEMA_NOT_FOUND',
    );
  });

  it('refuses a definition that does not compile, a bad name, a taken name and a bad filter', async () => {
    const admin = b.broker.admin;
    const code = (c: string) => (e: unknown) => isRobustMQError(e) && e.code === c;
    await assert.rejects(
      admin.createSchema({ name: 'bad', type: 'json', definition: '{"type": 5}' }),
      code('RMQ_ERR_INVALID_ARGUMENT'),
    );
    await assert.rejects(
      admin.createSchema({ name: 'bad', type: 'protobuf', definition: 'message {' }),
      code('RMQ_ERR_INVALID_ARGUMENT'),
    );
    await assert.rejects(
      admin.createSchema({ name: 'a/b', type: 'json', definition: '{}' }),
      code('RMQ_ERR_INVALID_ARGUMENT'),
    );
    await assert.rejects(
      admin.createSchema({ name: 'reading-avro', type: 'json', definition: '{}' }),
      code('RMQ_ERR_SCHEMA_EXISTS'),
    );
    await assert.rejects(admin.bindSchema('reading-avro', 'a/#/b'), code('RMQ_ERR_TOPIC_INVALID'));
    await assert.rejects(admin.bindSchema('nope', 'a/b'), code('RMQ_ERR_SCHEMA_NOT_FOUND'));
  });
});

describe('schema.on_invalid = "drop" and "disconnect"', () => {
  it('drop: the normal acknowledgement, not delivered', async () => {
    const b = await startBroker({ schema: { on_invalid: 'drop' } });
    try {
      await b.broker.admin.createSchema({ name: 'r', type: 'json', definition: readingSchema });
      await b.broker.admin.bindSchema('r', 'd/#');
      const sub = await connect(b.port, { protocolVersion: 5 });
      await sub.client.subscribeAsync('#', { qos: 1 });
      const pub = await connect(b.port, { protocolVersion: 5 });
      assert.equal(await publish(pub.client, 'd/x', 'bad'), 0);
      assert.equal(await publish(pub.client, 'd/x', 'bad', 2), 0);
      assert.equal(await publish(pub.client, 'd/x', '{"t":1}'), 0);
      assert.deepEqual(await receivedBefore(pub.client, sub, 'marker'), [hex('d/x', '{"t":1}')]);
      assert.equal(pub.client.connected, true);
      assert.equal((await b.broker.admin.getSchema('r')).invalidCount, 2);
      await Promise.all([sub.end(true), pub.end(true)]);
    } finally {
      await b.stop();
    }
  });

  it('disconnect: v5 gets DISCONNECT 0x99 and is closed; 3.1.1 is closed; nothing is delivered', async () => {
    const b = await startBroker({ schema: { on_invalid: 'disconnect' } });
    try {
      await b.broker.admin.createSchema({ name: 'r', type: 'json', definition: readingSchema });
      await b.broker.admin.bindSchema('r', 'd/#');
      const sub = await connect(b.port, { protocolVersion: 5 });
      await sub.client.subscribeAsync('#', { qos: 1 });
      const v5 = await connect(b.port, { protocolVersion: 5 });
      const disconnect = new Promise<IDisconnectPacket>((resolve) => v5.client.once('disconnect', resolve));
      const closed5 = new Promise<void>((resolve) => v5.client.once('close', () => resolve()));
      v5.client.publish('d/x', 'bad', { qos: 1 });
      assert.equal((await disconnect).reasonCode, PAYLOAD_FORMAT_INVALID);
      await closed5;
      const v4 = await connect(b.port, { protocolVersion: 4 });
      const closed4 = new Promise<void>((resolve) => v4.client.once('close', () => resolve()));
      v4.client.publish('d/y', 'bad', { qos: 0 });
      await closed4;
      const pub = await connect(b.port, { protocolVersion: 5 });
      assert.deepEqual(await receivedBefore(pub.client, sub, 'marker'), []);
      await Promise.all([sub.end(true), pub.end(true), v5.end(true), v4.end(true)]);
    } finally {
      await b.stop();
    }
  });
});

describe('[schema.schemas.<name>] in the configuration file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-schema-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('applies schemas of the file (definition or file), and they cannot be deleted or unbound at runtime', async () => {
    const protoFile = join(dir, 'reading.proto');
    writeFileSync(protoFile, proto);
    const b = await startBroker({
      schema: {
        schemas: {
          cfg: { type: 'json', definition: readingSchema, topics: ['cfg/#'], description: 'from the file' },
          pb: { type: 'protobuf', file: protoFile, topics: ['cfgpb/+'] },
        },
      },
    });
    try {
      const pub = await connect(b.port, { protocolVersion: 5 });
      assert.equal(await publish(pub.client, 'cfg/a', 'bad'), PAYLOAD_FORMAT_INVALID);
      assert.equal(await publish(pub.client, 'cfgpb/a', Buffer.from([0x10, 0x01])), PAYLOAD_FORMAT_INVALID);
      const cfg = await b.broker.admin.getSchema('cfg');
      assert.equal(cfg.source, 'config');
      assert.equal((await b.broker.admin.getSchema('pb')).messageType, 'plant.Reading');
      assert.deepEqual(cfg.topics, ['cfg/#']);
      const configDefined = (e: unknown) =>
        (e as { code?: string }).code === 'RMQ_ERR_CONFIG_DEFINED' && /configuration file/.test((e as Error).message);
      await assert.rejects(b.broker.admin.deleteSchema('cfg'), configDefined);
      await assert.rejects(b.broker.admin.unbindSchema('cfg', 'cfg/#'), configDefined);
      // bound at runtime as well: that binding can go
      await b.broker.admin.bindSchema('cfg', 'more/#');
      assert.equal(await publish(pub.client, 'more/a', 'bad'), PAYLOAD_FORMAT_INVALID);
      await b.broker.admin.unbindSchema('cfg', 'more/#');
      await pub.end(true);
    } finally {
      await b.stop();
    }
  });

  it('a definition of the file that does not compile stops the start with the key to change', async () => {
    await assert.rejects(
      startBroker({ schema: { schemas: { broken: { type: 'avro', definition: '{"type": "nope"}', topics: ['x'] } } } }),
      (e: unknown) =>
        isRobustMQError(e) &&
        e.code === 'RMQ_ERR_CONFIG_INVALID' &&
        /schema\.schemas\.broken: invalid Avro schema/.test(e.message),
    );
  });
});
