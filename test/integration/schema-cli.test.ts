// `robustmq-cli schema create|list|delete|bind|unbind` (the built CLI, a subprocess) against `server
// start` with sqlite storage in a temp dir: tables and --json, a definition that does not compile
// (exit 1, one line), a bound schema that cannot be deleted, the REST routes, and schemas and
// bindings that survive a restart of the broker on the same data dir and still refuse payloads.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import type { SchemaInfo } from '../../src/lib/admin-api.js';
import { cli, json, post, type Run } from '../helpers/admin-cli.js';
import { spawnBrokerOnFreePorts } from '../helpers/cli.js';
import type { Child } from '../helpers/child.js';

const PAYLOAD_FORMAT_INVALID = 0x99;

interface Running {
  child: Child;
  admin: string;
  rest: string;
  mqttPort: number;
}

async function start(dir: string): Promise<Running> {
  const { child, ports } = await spawnBrokerOnFreePorts(dir, ['--storage', 'sqlite']);
  return { child, admin: `127.0.0.1:${ports.admin}`, rest: `http://127.0.0.1:${ports.http}`, mqttPort: ports.mqtt };
}

async function stop(r: Running): Promise<void> {
  r.child.proc.kill('SIGTERM');
  const exit = await r.child.exited(15_000);
  assert.equal(exit.code, 0, r.child.stderr());
}

/** One v5 PUBLISH at QoS 1 from a fresh MQTT.js client: the PUBACK reason code. */
async function pubackOf(port: number, topic: string, payload: string | Buffer): Promise<number> {
  const c = await mqtt.connectAsync({ host: '127.0.0.1', port, protocolVersion: 5, reconnectPeriod: 0 });
  try {
    const ack = await c.publishAsync(topic, payload, { qos: 1 }).then(
      (p) => (p as { reasonCode?: number } | undefined)?.reasonCode ?? 0,
      (err: { code?: number }) => err.code ?? -1,
    );
    return ack;
  } finally {
    await c.endAsync(true);
  }
}

const proto = `syntax = "proto3";
package plant;
message Reading { string id = 1; double t = 2; }
message Other { int32 x = 1; }
`;

describe('robustmq-cli schema', () => {
  let dir: string;
  let r: Running;
  const run = (args: string[]): Promise<Run> => cli([...args, '--server', r.admin]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-schema-cli-'));
    r = await start(dir);
  });

  after(async () => {
    if (r.child.proc.exitCode === null) await stop(r);
    rmSync(dir, { recursive: true, force: true });
  });

  it('schema create: from --definition (table) and from --file (--json), protobuf with --message-type', async () => {
    const created = await run([
      'schema',
      'create',
      '--name',
      'reading',
      '--type',
      'json',
      '--definition',
      '{"type":"object","required":["t"]}',
      '--description',
      'sensor readings',
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created schema reading$/m);
    assert.match(created.stdout, /type\s+│ json/);
    const file = join(dir, 'reading.proto');
    writeFileSync(file, proto);
    const pb = json<SchemaInfo>(
      await run([
        'schema',
        'create',
        '--name',
        'reading-pb',
        '--type',
        'protobuf',
        '--file',
        file,
        '--message-type',
        'Reading',
        '--json',
      ]),
    );
    assert.equal(pb.messageType, 'plant.Reading');
    assert.equal(pb.definition, proto);
    assert.deepEqual(pb.topics, []);
    assert.equal(pb.source, 'api');
  });

  it('a definition that does not compile: exit 1 and one line with the reason', async () => {
    const bad = await run([
      'schema',
      'create',
      '--name',
      'bad',
      '--type',
      'protobuf',
      '--definition',
      'message A { int32 x = 1 }',
    ]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /RMQ_ERR_INVALID_ARGUMENT: invalid Protobuf schema: /);
    const twoTypes = await run(['schema', 'create', '--name', 'bad', '--type', 'protobuf', '--definition', proto]);
    assert.equal(twoTypes.code, 1);
    assert.match(twoTypes.stderr, /declares 2 messages \(plant\.Reading, plant\.Other\): name one with --message-type/);
    const badJson = await run(['schema', 'create', '--name', 'bad', '--type', 'json', '--definition', '{"type": 1}']);
    assert.equal(badJson.code, 1);
    assert.match(badJson.stderr, /invalid JSON schema/);
  });

  it('schema bind, then schema list shows the bindings and counts what was refused (table and --json)', async () => {
    const bound = await run(['schema', 'bind', 'reading', '--topic', 'sensors/+/reading']);
    assert.equal(bound.code, 0, bound.stderr);
    assert.match(bound.stdout, /^bound schema reading to sensors\/\+\/reading$/m);
    const b2 = json<{ schema: string; topic: string }>(
      await run(['schema', 'bind', 'reading-pb', '--topic', 'plant/#', '--json']),
    );
    assert.deepEqual([b2.schema, b2.topic], ['reading-pb', 'plant/#']);
    assert.equal(await pubackOf(r.mqttPort, 'sensors/s1/reading', 'nope'), PAYLOAD_FORMAT_INVALID);
    assert.ok((await pubackOf(r.mqttPort, 'sensors/s1/reading', '{"t":1}')) < 0x80, 'valid: accepted');
    const table = await run(['schema', 'list']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /name\s+│ type\s+│ message type\s+│ bound to\s+│ invalid\s+│ source\s+│ description/);
    assert.match(table.stdout, /reading\s+│ json\s+│ -\s+│ sensors\/\+\/reading\s+│ 1\s+│ api\s+│ sensor readings/);
    assert.match(table.stdout, /reading-pb\s+│ protobuf\s+│ plant\.Reading\s+│ plant\/#\s+│ 0/);
    assert.match(table.stdout, /^2 of 2 schema\(s\)$/m);
    const doc = json<{ schemas: SchemaInfo[]; total: number }>(await run(['schema', 'list', '--json']));
    assert.equal(doc.total, 2);
    assert.deepEqual(
      doc.schemas.map((s) => [s.name, s.type, s.topics, s.invalidCount]),
      [
        ['reading', 'json', ['sensors/+/reading'], 1],
        ['reading-pb', 'protobuf', ['plant/#'], 0],
      ],
    );
  });

  it('schema delete refuses a bound schema (exit 1); the REST routes answer the same', async () => {
    const refused = await run(['schema', 'delete', 'reading']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /RMQ_ERR_SCHEMA_IN_USE: schema "reading" is bound to sensors\/\+\/reading: unbind it first/,
    );
    const restBad = await post(`${r.rest}/api/v1/schemas`, { name: 'x', type: 'avro', definition: '{"type":"nope"}' });
    assert.equal(restBad.status, 400);
    assert.equal(((await restBad.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_INVALID_ARGUMENT');
    const restList = (await (await fetch(`${r.rest}/api/v1/schemas/reading/bindings`)).json()) as {
      bindings: { topic: string }[];
    };
    assert.deepEqual(
      restList.bindings.map((b) => b.topic),
      ['sensors/+/reading'],
    );
    const restDelete = await fetch(`${r.rest}/api/v1/schemas/reading`, { method: 'DELETE' });
    assert.equal(restDelete.status, 409);
  });

  it('schemas and bindings survive a restart on the same data dir, and still refuse payloads', async () => {
    await stop(r);
    r = await start(dir);
    const doc = json<{ schemas: SchemaInfo[] }>(await run(['schema', 'list', '--json']));
    assert.deepEqual(
      doc.schemas.map((s) => [s.name, s.type, s.messageType, s.topics, s.description, s.invalidCount]),
      [
        ['reading', 'json', '', ['sensors/+/reading'], 'sensor readings', 0],
        ['reading-pb', 'protobuf', 'plant.Reading', ['plant/#'], '', 0],
      ],
    );
    assert.equal(await pubackOf(r.mqttPort, 'sensors/s2/reading', '[]'), PAYLOAD_FORMAT_INVALID);
    assert.equal(await pubackOf(r.mqttPort, 'plant/a', Buffer.from([0x08, 0x01])), PAYLOAD_FORMAT_INVALID);
  });

  it('schema unbind, then schema delete; both --json', async () => {
    const unbound = json<{ unbound: { schema: string; topic: string } }>(
      await run(['schema', 'unbind', 'reading', '--topic', 'sensors/+/reading', '--json']),
    );
    assert.deepEqual(unbound.unbound, { schema: 'reading', topic: 'sensors/+/reading' });
    const again = await run(['schema', 'unbind', 'reading', '--topic', 'sensors/+/reading']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /RMQ_ERR_SCHEMA_BINDING_NOT_FOUND/);
    assert.ok((await pubackOf(r.mqttPort, 'sensors/s2/reading', '[]')) < 0x80, 'unbound: accepted');
    assert.deepEqual(json<{ deleted: string }>(await run(['schema', 'delete', 'reading', '--json'])), {
      deleted: 'reading',
    });
    const gone = await run(['schema', 'delete', 'reading']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /RMQ_ERR_SCHEMA_NOT_FOUND/);
    // after another restart the deletion holds
    await stop(r);
    r = await start(dir);
    const doc = json<{ schemas: SchemaInfo[] }>(await run(['schema', 'list', '--json']));
    assert.deepEqual(
      doc.schemas.map((s) => s.name),
      ['reading-pb'],
    );
  });
});
