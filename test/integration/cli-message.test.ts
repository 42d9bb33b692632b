// `robustmq-cli message publish | subscribe | read` as people and scripts run them: the built CLI (a
// subprocess) against a broker started by the test (`server start`, another subprocess) on free
// loopback ports. publish and subscribe are MQTT clients themselves, checked against real clients
// (MQTT.js, mosquitto_pub); read goes over the admin API (gRPC), and its REST twin is fetched.
// Exit codes: 0 done, 1 the broker refused (reason code printed), 2 usage, 3 unreachable, 4 -W ran out.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, freePort, killLeftovers, spawnChild, type Child } from '../helpers/child.js';
import { connect, until, type TestClient } from '../helpers/clients.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUN = join(ROOT, 'bin', 'run.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `robustmq-cli ...args`; stdin is left open for `input`, then closed. */
function start(args: string[], input?: Buffer): Child {
  const child = spawnChild(process.execPath, [RUN, ...args], { env: cleanEnv(), timeoutMs: 30_000 });
  if (input) child.proc.stdin!.end(input);
  else child.proc.stdin!.end();
  return child;
}

async function finished(child: Child): Promise<Run> {
  const exit = await child.exited(30_000);
  return { code: exit.code, stdout: child.lines.join('\n'), stderr: child.stderr() };
}

function cli(args: string[], input?: Buffer): Promise<Run> {
  return finished(start(args, input));
}

function json<T>(r: Run): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface PublishResult {
  topic: string;
  qos: number;
  retain: boolean;
  bytes: number;
  messageId: number | null;
  reasonCode: number | null;
  protocolVersion: number;
}

interface Received {
  topic: string;
  qos: number;
  retain: boolean;
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  payloadBytes: number;
  properties: { userProperties: { key: string; value: string }[]; contentType?: string };
}

interface MessagePage {
  topic: string;
  partition: number;
  messages: {
    partition: number;
    offset: number;
    timestampMs: number;
    qos: number;
    clientId: string;
    payload: string;
    payloadEncoding: string;
    payloadBytes: number;
    properties: { userProperties: { key: string; value: string }[] };
  }[];
  nextOffset: number;
  firstOffset: number;
  endOffset: number;
}

describe('robustmq-cli message publish / subscribe / read against a running broker', () => {
  let server: Child;
  let dir: string;
  let mqttPort: number;
  let admin: string;
  let rest: string;
  const clients: TestClient[] = [];
  /** The connection flags of the CLI's MQTT commands. */
  let mq: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-cli-message-'));
    mqttPort = await freePort();
    const adminPort = await freePort();
    const httpPort = await freePort();
    admin = `127.0.0.1:${adminPort}`;
    rest = `http://127.0.0.1:${httpPort}`;
    mq = ['--host', '127.0.0.1', '--port', String(mqttPort)];
    server = spawnChild(
      process.execPath,
      [
        RUN,
        'server',
        'start',
        '--mqtt-port',
        String(mqttPort),
        '--admin-port',
        String(adminPort),
        '--http-port',
        String(httpPort),
        '--bind',
        '127.0.0.1',
        '--data-dir',
        dir,
        '--log-level',
        'info',
      ],
      {
        // limits a test can run into: a topic deeper than 6 levels, a client id longer than 40 bytes
        env: cleanEnv({ ROBUSTMQ_LIMITS_MAX_TOPIC_LEVELS: '6', ROBUSTMQ_LIMITS_MAX_CLIENT_ID_LENGTH: '40' }),
        timeoutMs: 180_000,
      },
    );
    await server.line((l) => l.includes('RobustMQ broker started'), 20_000, 'broker started');
  });

  after(async () => {
    for (const c of clients) await c.client.endAsync();
    killLeftovers();
    server.proc.kill('SIGTERM');
    await server.exited(10_000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  async function subscriber(filter: string, opts: Parameters<typeof connect>[1] = {}): Promise<TestClient> {
    const c = await connect(mqttPort, { protocolVersion: 5, ...opts });
    clients.push(c);
    await c.client.subscribeAsync(filter, { qos: 2 });
    return c;
  }

  /** Until the broker has `filter` among the subscriptions of client `id` (REST describe). */
  async function subscribed(id: string, filter: string): Promise<void> {
    let last = '';
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await fetch(`${rest}/api/v1/clients/${id}`);
      last = await res.text();
      if (res.status === 200) {
        const d = JSON.parse(last) as { subscriptions: { filter: string }[] };
        if (d.subscriptions.some((s) => s.filter === filter)) return;
      }
      if (Date.now() > deadline) throw new Error(`${id} never subscribed to ${filter}: ${last}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

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
    for (const v of ['311', '31']) {
      const res = json<PublishResult>(
        await cli(['message', 'publish', ...mq, '-V', v, '-t', 'cli/qos/v3', '-m', v, '-q', '2', '--json']),
      );
      assert.equal(res.protocolVersion, v === '311' ? 4 : 3);
      assert.equal(res.reasonCode, 0);
    }
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
    const r = await cli(['message', 'publish', ...mq, '-t', 'cli/bytes/file', '-f', file, '-q', '1', '--json']);
    assert.equal(json<PublishResult>(r).bytes, bytes.length);
    const piped = Buffer.from('line one\nline two\n\u00e9t\u00e9\n');
    const s = await cli(['message', 'publish', ...mq, '-t', 'cli/bytes/stdin', '-s', '-q', '2'], piped);
    assert.equal(s.code, 0, s.stderr);
    const got = await sub.waitFor(2);
    assert.ok(got[0]!.payload.equals(bytes), 'the file arrives byte for byte');
    assert.ok(got[1]!.payload.equals(piped), 'stdin arrives byte for byte');
    // a file that is not there: usage error, nothing sent
    const missing = await cli(['message', 'publish', ...mq, '-t', 'cli/bytes/file', '-f', join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^Error: RMQ_ERR_INVALID_ARGUMENT: cannot read --file .*nope \(ENOENT\)/);
  });

  it('exactly one payload source; a topic with a wildcard is refused (exit 2, nothing sent)', async () => {
    const none = await cli(['message', 'publish', ...mq, '-t', 'cli/x']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give exactly one payload/);
    const two = await cli(['message', 'publish', ...mq, '-t', 'cli/x', '-m', 'a', '-n']);
    assert.equal(two.code, 2);
    const wild = await cli(['message', 'publish', ...mq, '-t', 'cli/#', '-m', 'a']);
    assert.equal(wild.code, 2);
    assert.match(wild.stderr, /^Error: RMQ_ERR_TOPIC_INVALID: --topic "cli\/#": /);
  });

  it('a PUBACK/PUBREC reason code >= 0x80 is exit 1 with the reason; a refused CONNACK too', async () => {
    // deeper than limits.max_topic_levels (6): PUBACK / PUBREC 0x90
    const deep = 'cli/a/b/c/d/e/f';
    const q1 = await cli(['message', 'publish', ...mq, '-t', deep, '-m', 'x', '-q', '1', '--json']);
    assert.equal(q1.code, 1);
    assert.equal(q1.stdout, '', 'nothing on stdout in JSON mode');
    assert.equal(
      q1.stderr,
      `Error: RMQ_ERR_MQTT_REFUSED: the broker refused the PUBLISH to "${deep}": PUBACK 0x90 Topic Name invalid\n`,
    );
    const q2 = await cli(['message', 'publish', ...mq, '-t', deep, '-m', 'x', '-q', '2']);
    assert.equal(q2.code, 1);
    assert.match(q2.stderr, /PUBREC 0x90 Topic Name invalid/);
    // a client id longer than limits.max_client_id_length (40): CONNACK 0x85 (v5), 0x02 (3.1.1)
    const long = 'x'.repeat(41);
    const c5 = await cli(['message', 'publish', ...mq, '-i', long, '-t', 'cli/x', '-m', 'x']);
    assert.equal(c5.code, 1);
    assert.match(
      c5.stderr,
      /^Error: RMQ_ERR_MQTT_REFUSED: 127\.0\.0\.1:\d+ refused the connection: CONNACK 0x85 Client Identifier not valid\n$/,
    );
    const c3 = await cli(['message', 'subscribe', ...mq, '-V', '311', '-i', long, '-t', 'cli/x']);
    assert.equal(c3.code, 1);
    assert.match(c3.stderr, /CONNACK 0x02 Identifier rejected/);
  });

  it('nothing listening: exit 3 with one line, for publish and subscribe', async () => {
    const closed = String(await freePort());
    for (const cmd of ['publish', 'subscribe']) {
      const args = cmd === 'publish' ? ['-t', 'x', '-m', 'y'] : ['-t', 'x'];
      const r = await cli(['message', cmd, '--host', '127.0.0.1', '-p', closed, ...args, '--json']);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `Error: RMQ_ERR_UNREACHABLE: cannot reach the MQTT broker at 127.0.0.1:${closed} (ECONNREFUSED)\n`,
      );
    }
  });

  it('subscribe -C 2 --json prints one JSON object per message (NDJSON) from mosquitto_pub, then exits 0', async () => {
    const id = 'cli-sub-json';
    const sub = start(['message', 'subscribe', ...mq, '-i', id, '-t', 'cli/nd/#', '-q', '1', '-C', '2', '--json']);
    await subscribed(id, 'cli/nd/#');
    const bin = join(dir, 'nd.bin');
    writeFileSync(bin, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    const pubs = [
      ['-t', 'cli/nd/a', '-m', 'first', '-q', '1', '-V', 'mqttv5', '-D', 'publish', 'user-property', 'k', 'v'],
      ['-t', 'cli/nd/b', '-f', bin, '-q', '0'],
    ];
    for (const args of pubs) {
      const p = spawnChild('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), ...args]);
      assert.equal((await p.exited()).code, 0, p.stderr());
    }
    const r = await finished(sub);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines.length, 2, r.stdout);
    const [a, b] = lines.map((l) => JSON.parse(l) as Received);
    assert.deepEqual(
      [a!.topic, a!.qos, a!.retain, a!.payload, a!.payloadEncoding, a!.payloadBytes],
      ['cli/nd/a', 1, false, 'first', 'utf8', 5],
    );
    assert.deepEqual(a!.properties.userProperties, [{ key: 'k', value: 'v' }]);
    assert.deepEqual([b!.topic, b!.qos, b!.payload, b!.payloadEncoding], ['cli/nd/b', 0, '3q2+7w==', 'base64']);
  });

  it('subscribe prints payloads (-v: "topic payload"), several -t filters, a retained message first', async () => {
    assert.equal((await cli(['message', 'publish', ...mq, '-t', 'cli/v/ret', '-m', 'old', '-r'])).code, 0);
    const id = 'cli-sub-v';
    const sub = start(['message', 'subscribe', ...mq, '-i', id, '-t', 'cli/v/#', '-t', 'cli/w', '-v', '-C', '3']);
    await subscribed(id, 'cli/w');
    const pub = await connect(mqttPort);
    clients.push(pub);
    await pub.client.publishAsync('cli/w', 'two words', { qos: 1 });
    await pub.client.publishAsync('cli/v/x', 'third', { qos: 0 });
    const r = await finished(sub);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'cli/v/ret old\ncli/w two words\ncli/v/x third');
  });

  it('-W: exit 4 when what it waited for did not come, 0 when it did (mosquitto_sub exits 27 either way)', async () => {
    const empty = await cli(['message', 'subscribe', ...mq, '-t', 'cli/silent', '-W', '1']);
    assert.equal(empty.code, 4);
    assert.equal(empty.stdout, '');
    assert.equal(empty.stderr, 'timed out after 1 s with 0 of 1 message(s)\n');
    // a retained message arrives: without -C one is what it waited for
    assert.equal((await cli(['message', 'publish', ...mq, '-t', 'cli/wait', '-m', 'here', '-r'])).code, 0);
    const one = await cli(['message', 'subscribe', ...mq, '-t', 'cli/wait', '-W', '1']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, 'here');
    // with -C 2 one is not enough
    const short = await cli(['message', 'subscribe', ...mq, '-t', 'cli/wait', '-W', '1', '-C', '2', '--json']);
    assert.equal(short.code, 4);
    assert.equal((JSON.parse(short.stdout) as Received).payload, 'here');
    assert.match(short.stderr, /with 1 of 2 message\(s\)/);
  });

  it('SIGTERM ends subscribe cleanly (exit 0, the client is gone); a kick by an administrator is exit 1', async () => {
    const id = 'cli-sub-term';
    const sub = start(['message', 'subscribe', ...mq, '-i', id, '-t', 'cli/term']);
    await subscribed(id, 'cli/term');
    sub.proc.kill('SIGTERM');
    const r = await finished(sub);
    assert.equal(r.code, 0, r.stderr);
    await until(() => true);
    assert.equal((await fetch(`${rest}/api/v1/clients/${id}`)).status, 404);

    const kicked = 'cli-sub-kicked';
    const sub2 = start(['message', 'subscribe', ...mq, '-i', kicked, '-t', 'cli/term']);
    await subscribed(kicked, 'cli/term');
    assert.equal((await fetch(`${rest}/api/v1/clients/${kicked}`, { method: 'DELETE' })).status, 204);
    const k = await finished(sub2);
    assert.equal(k.code, 1);
    assert.equal(
      k.stderr,
      'Error: RMQ_ERR_MQTT_REFUSED: the broker closed the connection: DISCONNECT 0x98 Administrative action\n',
    );
  });

  it('subscribe -c -i keeps the session: what is published while away arrives at the next run', async () => {
    const id = 'cli-sub-persistent';
    const first = start(['message', 'subscribe', ...mq, '-i', id, '-c', '-q', '1', '-t', 'cli/persist']);
    await subscribed(id, 'cli/persist');
    first.proc.kill('SIGINT');
    assert.equal((await finished(first)).code, 0);
    assert.equal(
      (await cli(['message', 'publish', ...mq, '-t', 'cli/persist', '-m', 'while away', '-q', '1'])).code,
      0,
    );
    const back = await cli(['message', 'subscribe', ...mq, '-i', id, '-c', '-q', '1', '-t', 'cli/persist', '-C', '1']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout, 'while away');
    const noId = await cli(['message', 'subscribe', ...mq, '-c', '-t', 'cli/persist']);
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /-c \(keep the session\) needs a client id/);
  });

  it('message read: a created topic log as JSON and a table, offsets, the next page, a time, errors', async () => {
    const created = await cli(['topic', 'create', '--name', 'cli/log', '--partitions', '1', '--server', admin]);
    assert.equal(created.code, 0, created.stderr);
    const before = Date.now();
    for (const m of ['one', 'two', 'three']) {
      const r = await cli(['message', 'publish', ...mq, '-t', 'cli/log', '-m', m, '-q', '1', '--property', 'n=' + m]);
      assert.equal(r.code, 0, r.stderr);
    }
    const binFile = join(dir, 'log.bin');
    writeFileSync(binFile, Buffer.from([0xff, 0x00]));
    assert.equal((await cli(['message', 'publish', ...mq, '-t', 'cli/log', '-f', binFile, '-q', '1'])).code, 0);

    const all = json<MessagePage>(await cli(['message', 'read', '--topic', 'cli/log', '--json', '--server', admin]));
    assert.equal(all.topic, 'cli/log');
    assert.equal(all.partition, 0);
    assert.deepEqual(
      all.messages.map((m) => [m.offset, m.payload, m.payloadEncoding, m.payloadBytes, m.qos]),
      [
        [0, 'one', 'utf8', 3, 1],
        [1, 'two', 'utf8', 3, 1],
        [2, 'three', 'utf8', 5, 1],
        [3, '/wA=', 'base64', 2, 1],
      ],
    );
    assert.deepEqual(all.messages[0]!.properties.userProperties, [{ key: 'n', value: 'one' }]);
    assert.match(all.messages[0]!.clientId, /^robustmq-cli-/);
    assert.ok(all.messages[0]!.timestampMs >= before - 1000);
    assert.deepEqual([all.nextOffset, all.firstOffset, all.endOffset], [4, 0, 4]);

    // pages: two, then the rest from the next offset
    const p1 = json<MessagePage>(
      await cli(['message', 'read', '-t', 'cli/log', '--limit', '2', '--json', '--server', admin]),
    );
    assert.deepEqual(
      p1.messages.map((m) => m.offset),
      [0, 1],
    );
    assert.equal(p1.nextOffset, 2);
    const p2 = json<MessagePage>(
      await cli(['message', 'read', '-t', 'cli/log', '--offset', String(p1.nextOffset), '--json', '--server', admin]),
    );
    assert.deepEqual(
      p2.messages.map((m) => m.payload),
      ['three', '/wA='],
    );
    assert.equal(p2.nextOffset, 4);
    // from a time: after the second message was received
    const t = new Date(all.messages[1]!.timestampMs).toISOString();
    const fromTime = json<MessagePage>(
      await cli(['message', 'read', '-t', 'cli/log', '--from-time', t, '--json', '--server', admin]),
    );
    assert.equal(fromTime.messages[0]!.offset, 1);

    const table = await cli(['message', 'read', '-t', 'cli/log', '--limit', '3', '--server', admin]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /│ offset │ received at +│ qos │ client +│ bytes │ payload +│ properties │/);
    assert.match(table.stdout, /│ 2 +│ \S+Z │ 1 +│ robustmq-cli-\w+ │ 5 +│ three +│ n=three +│/);
    assert.match(
      table.stdout,
      /\n3 message\(s\); partition 0 of "cli\/log" keeps offsets 0 to 3; next page: --offset 3$/,
    );

    const unknown = await cli(['message', 'read', '-t', 'cli/none', '--server', admin]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'Error: RMQ_ERR_TOPIC_NOT_FOUND: topic "cli/none" has not been created\n');
    const badPartition = await cli(['message', 'read', '-t', 'cli/log', '--partition', '3', '--server', admin]);
    assert.equal(badPartition.code, 1);
    assert.match(badPartition.stderr, /^Error: RMQ_ERR_INVALID_ARGUMENT: partition must be from 0 to 0/);
    const past = await cli(['message', 'read', '-t', 'cli/log', '--offset', '9', '--server', admin]);
    assert.equal(past.code, 1);
    assert.match(
      past.stderr,
      /offset 9 is past the end of partition 0 of "cli\/log" \(the next message gets offset 4\)/,
    );
    const badTime = await cli(['message', 'read', '-t', 'cli/log', '--from-time', 'soon', '--server', admin]);
    assert.equal(badTime.code, 2);
    const unreachable = await cli(['message', 'read', '-t', 'cli/log', '--server', `127.0.0.1:${await freePort()}`]);
    assert.equal(unreachable.code, 3);

    // REST: the same page; the name is one path segment, its slashes encoded
    const res = await fetch(`${rest}/api/v1/topics/cli%2Flog/messages?offset=1&limit=2`);
    assert.equal(res.status, 200);
    const page = (await res.json()) as MessagePage;
    assert.deepEqual(
      page.messages.map((m) => [m.offset, m.payload]),
      [
        [1, 'two'],
        [2, 'three'],
      ],
    );
    assert.deepEqual([page.nextOffset, page.firstOffset, page.endOffset], [3, 0, 4]);
    const raw = await fetch(`${rest}/api/v1/topics/cli/log/messages`);
    assert.equal(raw.status, 404);
    assert.match(
      ((await raw.json()) as { error: { message: string } }).error.message,
      /encode them: \/api\/v1\/topics\/cli%2Flog\/messages$/,
    );
    const missing = await fetch(`${rest}/api/v1/topics/cli%2Fnone/messages`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_TOPIC_NOT_FOUND');
    assert.equal((await fetch(`${rest}/api/v1/topics/cli%2Flog/messages?partition=7`)).status, 400);
    assert.equal((await fetch(`${rest}/api/v1/topics/cli%2Flog/messages?offset=-1`)).status, 400);
    const openapi = (await (await fetch(`${rest}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok('/api/v1/topics/{name}/messages' in openapi.paths);
  });
});
