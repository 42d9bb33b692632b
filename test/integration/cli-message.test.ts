// `robustmq-cli message publish` as people and scripts run it: the built CLI (a subprocess), an MQTT
// client itself, against a broker started by the test (`server start`, another subprocess) on free
// loopback ports, checked with real MQTT.js subscribers. Exit codes: 0 acknowledged, 1 the broker
// refused (reason code printed), 2 usage, 3 unreachable. `message subscribe` is in
// cli-message-subscribe.test.ts, `message read` in cli-message-read.test.ts (one broker each: a
// file has 120 s). Independent runs go in parallel: each is a Node process.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, killLeftovers } from '../helpers/child.js';
import { cli, jsonOf as json, startCliServer, type CliServer } from '../helpers/cli-server.js';
import { connect, type TestClient, subscribedClient } from '../helpers/clients.js';

interface PublishResult {
  topic: string;
  qos: number;
  retain: boolean;
  bytes: number;
  messageId: number | null;
  reasonCode: number | null;
  protocolVersion: number;
}

describe('robustmq-cli message publish against a running broker', () => {
  let srv: CliServer;
  let mqttPort: number;
  let dir: string;
  const clients: TestClient[] = [];
  /** The connection flags of the CLI's MQTT commands. */
  let mq: string[];

  before(async () => {
    // limits a test can run into: a topic deeper than 6 levels, a client id longer than 40 bytes
    srv = await startCliServer({ ROBUSTMQ_LIMITS_MAX_TOPIC_LEVELS: '6', ROBUSTMQ_LIMITS_MAX_CLIENT_ID_LENGTH: '40' });
    ({ mqttPort, dir } = srv);
    mq = ['--host', '127.0.0.1', '--port', String(mqttPort)];
  });

  after(async () => {
    for (const c of clients) await c.client.endAsync();
    killLeftovers();
    await srv.stop();
  });

  const subscriber = (filter: string, opts: Parameters<typeof connect>[1] = {}): Promise<TestClient> =>
    subscribedClient(mqttPort, filter, clients, opts);

  it('the documented example works as written (plus the port), and a real subscriber gets it', async () => {
    const sub = await subscriber('test');
    const r = await cli([
      'message',
      'publish',
      '--topic',
      'test',
      '--payload',
      'Hello RobustMQ!',
      '--port',
      String(mqttPort),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'published 15 bytes to "test" (QoS 0, sent)');
    const [m] = await sub.waitFor(1);
    assert.equal(m!.topic, 'test');
    assert.equal(m!.payload.toString(), 'Hello RobustMQ!');
    assert.equal(m!.packet.qos, 0);
  });

  it('QoS 1 exits 0 after PUBACK and QoS 2 after PUBCOMP; --json says what was acknowledged', async () => {
    const sub = await subscriber('cli/qos/+');
    for (const qos of [1, 2]) {
      const res = json<PublishResult>(
        await cli([
          'message',
          'publish',
          ...mq,
          '-t',
          `cli/qos/${qos}`,
          '-m',
          `at qos ${qos}`,
          '-q',
          String(qos),
          '--json',
        ]),
      );
      assert.equal(res.topic, `cli/qos/${qos}`);
      assert.equal(res.qos, qos);
      assert.equal(res.retain, false);
      assert.equal(res.bytes, 8);
      assert.equal(res.reasonCode, 0);
      assert.ok(typeof res.messageId === 'number' && res.messageId > 0, `messageId ${res.messageId}`);
      assert.equal(res.protocolVersion, 5);
    }
    const got = await sub.waitFor(2);
    assert.deepEqual(
      got.map((m) => [m.topic, m.payload.toString(), m.packet.qos]),
      [
        ['cli/qos/1', 'at qos 1', 1],
        ['cli/qos/2', 'at qos 2', 2],
      ],
    );
    // MQTT 3.1.1 and 3.1 as well (no reason codes there: 0)
    const v3 = await Promise.all(
      ['311', '31'].map((v) =>
        cli(['message', 'publish', ...mq, '-V', v, '-t', 'cli/qos/v3', '-m', v, '-q', '2', '--json']),
      ),
    );
    assert.deepEqual(
      v3.map((r) => [json<PublishResult>(r).protocolVersion, json<PublishResult>(r).reasonCode]),
      [
        [4, 0],
        [3, 0],
      ],
    );
    await sub.waitFor(4);
  });

  it('v5 "No matching subscribers" (0x10) is exit 0 with a note on stderr; the JSON keeps the code', async () => {
    const r = await cli(['message', 'publish', ...mq, '-t', 'cli/nobody', '-m', 'x', '-q', '1', '--json']);
    const res = json<PublishResult>(r);
    assert.equal(res.reasonCode, 0x10);
    assert.match(r.stderr, /^note: 0x10 No matching subscribers: nobody is subscribed to "cli\/nobody"/);
  });

  it('--retain: a later subscriber gets the message with RETAIN set [MQTT-3.3.1-8]; -n clears it', async () => {
    const r = await cli(['message', 'publish', ...mq, '-t', 'cli/retained', '-m', 'kept', '-r', '-q', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'published 4 bytes to "cli/retained" (QoS 1, retained, PUBACK)');
    const later = await subscriber('cli/retained');
    const [m] = await later.waitFor(1);
    assert.equal(m!.payload.toString(), 'kept');
    assert.equal(m!.packet.retain, true);
    // an empty retained message removes it [MQTT-3.3.1-10]
    assert.equal((await cli(['message', 'publish', ...mq, '-t', 'cli/retained', '-n', '-r', '-q', '1'])).code, 0);
    const afterClear = await subscriber('cli/retained');
    await new Promise((r2) => setTimeout(r2, 300));
    assert.equal(afterClear.messages.length, 0);
  });

  it('--property and the MQTT 5 flags arrive as properties on a v5 subscriber', async () => {
    const sub = await subscriber('cli/props');
    const r = await cli([
      'message',
      'publish',
      ...mq,
      '-t',
      'cli/props',
      '-m',
      'p',
      '--property',
      'region=eu',
      '--property',
      'trace=a=b',
      '--content-type',
      'text/plain',
      '--response-topic',
      'cli/replies',
      '--correlation-data',
      'req-7',
      '--message-expiry',
      '300',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [m] = await sub.waitFor(1);
    const p = m!.packet.properties!;
    assert.deepEqual({ ...p.userProperties }, { region: 'eu', trace: 'a=b' });
    assert.equal(p.contentType, 'text/plain');
    assert.equal(p.responseTopic, 'cli/replies');
    assert.equal(p.correlationData?.toString(), 'req-7');
    assert.ok(p.messageExpiryInterval! > 0 && p.messageExpiryInterval! <= 300);
    // properties need MQTT 5: refused before connecting (usage)
    const v3 = await cli(['message', 'publish', ...mq, '-V', '311', '-t', 'cli/props', '-m', 'p', '--property', 'a=b']);
    assert.equal(v3.code, 2);
    assert.match(
      v3.stderr,
      /^Error: RMQ_ERR_INVALID_ARGUMENT: MQTT 5 properties need -V 5 \(see robustmq-cli message publish --help\)\n$/,
    );
  });

  it('--file sends a binary payload byte for byte; --stdin sends all of standard input', async () => {
    const sub = await subscriber('cli/bytes/+');
    const bytes = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x0d]), randomBytes(70_000)]);
    const file = join(dir, 'payload.bin');
    writeFileSync(file, bytes);
    const piped = Buffer.from('line one\nline two\n\u00e9t\u00e9\n');
    const [r, s, missing] = await Promise.all([
      cli(['message', 'publish', ...mq, '-t', 'cli/bytes/file', '-f', file, '-q', '1', '--json']),
      cli(['message', 'publish', ...mq, '-t', 'cli/bytes/stdin', '-s', '-q', '2'], piped),
      // a file that is not there: usage error, nothing sent
      cli(['message', 'publish', ...mq, '-t', 'cli/bytes/file', '-f', join(dir, 'nope')]),
    ]);
    assert.equal(json<PublishResult>(r).bytes, bytes.length);
    assert.equal(s.code, 0, s.stderr);
    const got = await sub.waitFor(2);
    assert.ok(got.find((m) => m.topic === 'cli/bytes/file')!.payload.equals(bytes), 'the file arrives byte for byte');
    assert.ok(got.find((m) => m.topic === 'cli/bytes/stdin')!.payload.equals(piped), 'stdin arrives byte for byte');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^Error: RMQ_ERR_INVALID_ARGUMENT: cannot read --file .*nope \(ENOENT\)/);
  });

  it('exactly one payload source; a topic with a wildcard is refused (exit 2, nothing sent)', async () => {
    const [none, two, wild] = await Promise.all([
      cli(['message', 'publish', ...mq, '-t', 'cli/x']),
      cli(['message', 'publish', ...mq, '-t', 'cli/x', '-m', 'a', '-n']),
      cli(['message', 'publish', ...mq, '-t', 'cli/#', '-m', 'a']),
    ]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give exactly one payload/);
    assert.equal(two.code, 2);
    assert.equal(wild.code, 2);
    assert.match(wild.stderr, /^Error: RMQ_ERR_TOPIC_INVALID: --topic "cli\/#": /);
  });

  it('a PUBACK/PUBREC reason code >= 0x80 is exit 1 with the reason; a refused CONNACK too', async () => {
    // deeper than limits.max_topic_levels (6): PUBACK / PUBREC 0x90
    const deep = 'cli/a/b/c/d/e/f';
    const long = 'x'.repeat(41);
    const [q1, q2, c5, c3] = await Promise.all([
      cli(['message', 'publish', ...mq, '-t', deep, '-m', 'x', '-q', '1', '--json']),
      cli(['message', 'publish', ...mq, '-t', deep, '-m', 'x', '-q', '2']),
      cli(['message', 'publish', ...mq, '-i', long, '-t', 'cli/x', '-m', 'x']),
      cli(['message', 'subscribe', ...mq, '-V', '311', '-i', long, '-t', 'cli/x']),
    ]);
    assert.equal(q1.code, 1);
    assert.equal(q1.stdout, '', 'nothing on stdout in JSON mode');
    assert.equal(
      q1.stderr,
      `Error: RMQ_ERR_MQTT_REFUSED: the broker refused the PUBLISH to "${deep}": PUBACK 0x90 Topic Name invalid\n`,
    );
    assert.equal(q2.code, 1);
    assert.match(q2.stderr, /PUBREC 0x90 Topic Name invalid/);
    // a client id longer than limits.max_client_id_length (40): CONNACK 0x85 (v5), 0x02 (3.1.1)
    assert.equal(c5.code, 1);
    assert.match(
      c5.stderr,
      /^Error: RMQ_ERR_MQTT_REFUSED: 127\.0\.0\.1:\d+ refused the connection: CONNACK 0x85 Client Identifier not valid\n$/,
    );
    assert.equal(c3.code, 1);
    assert.match(c3.stderr, /CONNACK 0x02 Identifier rejected/);
  });

  it('nothing listening: exit 3 with one line, for publish and subscribe', async () => {
    const closed = String(await freePort());
    const runs = await Promise.all([
      cli(['message', 'publish', '--host', '127.0.0.1', '-p', closed, '-t', 'x', '-m', 'y', '--json']),
      cli(['message', 'subscribe', '--host', '127.0.0.1', '-p', closed, '-t', 'x', '--json']),
    ]);
    for (const r of runs) {
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `Error: RMQ_ERR_UNREACHABLE: cannot reach the MQTT broker at 127.0.0.1:${closed} (ECONNREFUSED)\n`,
      );
    }
  });
});
