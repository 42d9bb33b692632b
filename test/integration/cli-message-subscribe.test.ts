// `robustmq-cli message subscribe` as people and scripts run it: the built CLI (a subprocess), an
// MQTT client itself, against a broker started by the test (`server start`, another subprocess) on
// free loopback ports, fed by real publishers (mosquitto_pub, MQTT.js, the CLI's own publish).
// Payload lines, -v, NDJSON with --json, -C, -W (exit 27 when what it waited for did not come), a
// clean DISCONNECT on SIGINT/SIGTERM, a kick (exit 1), and a persistent session with -c -i.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, spawnChild } from '../helpers/child.js';
import { cli, finished, startCli as start, startCliServer, type CliServer } from '../helpers/cli-server.js';
import { connect, type TestClient, subscribedClient } from '../helpers/clients.js';

interface Received {
  topic: string;
  qos: number;
  retain: boolean;
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  payloadBytes: number;
  properties: { userProperties: { key: string; value: string }[]; contentType?: string };
}

describe('robustmq-cli message subscribe against a running broker', () => {
  let srv: CliServer;
  let mqttPort: number;
  let rest: string;
  let dir: string;
  const clients: TestClient[] = [];
  /** The connection flags of the CLI's MQTT commands. */
  let mq: string[];

  before(async () => {
    srv = await startCliServer();
    ({ mqttPort, rest, dir } = srv);
    mq = ['--host', '127.0.0.1', '--port', String(mqttPort)];
  });

  after(async () => {
    for (const c of clients) await c.client.endAsync();
    killLeftovers();
    await srv.stop();
  });

  const subscriber = (filter: string, opts: Parameters<typeof connect>[1] = {}): Promise<TestClient> =>
    subscribedClient(mqttPort, filter, clients, opts);

  async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Until the broker has `filter` among the subscriptions of client `id` (REST describe). */
  async function subscribed(id: string, filter: string): Promise<void> {
    let last = '';
    const deadline = Date.now() + 30_000; // a CLI process starts in about 1 s; much more on a loaded machine
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

  it('-W: exit 27 when what it waited for did not come, 0 when it did (mosquitto_sub exits 27 either way)', async () => {
    const [empty, retained] = await Promise.all([
      cli(['message', 'subscribe', ...mq, '-t', 'cli/silent', '-W', '1']),
      cli(['message', 'publish', ...mq, '-t', 'cli/wait', '-m', 'here', '-r', '-q', '1']),
    ]);
    assert.equal(empty.code, 27);
    assert.equal(empty.stdout, '');
    assert.equal(empty.stderr, 'timed out after 1 s with 0 of 1 message(s)\n');
    assert.equal(retained.code, 0);
    // the retained message arrives: without -C one is what it waited for; with -C 2 one is not enough
    const [one, short] = await Promise.all([
      // -W 5: room for the retained message to come on a loaded machine (the two run side by side)
      cli(['message', 'subscribe', ...mq, '-t', 'cli/wait', '-W', '5']),
      cli(['message', 'subscribe', ...mq, '-t', 'cli/wait', '-W', '5', '-C', '2', '--json']),
    ]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, 'here');
    assert.equal(short.code, 27);
    assert.equal((JSON.parse(short.stdout) as Received).payload, 'here');
    assert.match(short.stderr, /with 1 of 2 message\(s\)/);
  });

  it('SIGTERM and SIGINT end subscribe with DISCONNECT (exit 0, no will); a kick by an administrator is exit 1', async () => {
    // the will tells: a connection closed without DISCONNECT publishes it [MQTT-3.1.2-8], a
    // DISCONNECT (0x00) discards it [MQTT-3.14.4-3]
    const wills = await subscriber('cli/will/+');
    const will = (id: string) => ['--will-topic', `cli/will/${id}`, '--will-payload', `${id} is gone`];
    const ended = async (signal: 'SIGTERM' | 'SIGINT' | 'SIGKILL') => {
      const id = `cli-sub-${signal.toLowerCase()}`;
      const sub = start(['message', 'subscribe', ...mq, '-i', id, '-t', 'cli/term', ...will(id)]);
      await subscribed(id, 'cli/term');
      sub.proc.kill(signal);
      const r = await finished(sub);
      if (signal !== 'SIGKILL') assert.equal(r.code, 0, r.stderr);
      await until(async () => (await fetch(`${rest}/api/v1/clients/${id}`)).status === 404, 5000, `${id} gone`);
    };
    await Promise.all([ended('SIGTERM'), ended('SIGINT'), ended('SIGKILL')]);
    await until(() => wills.messages.length > 0, 5000, 'the will of the killed client');
    await new Promise((r) => setTimeout(r, 300)); // a will published by mistake would be here by now
    assert.deepEqual(
      wills.messages.map((m) => [m.topic, m.payload.toString()]),
      [['cli/will/cli-sub-sigkill', 'cli-sub-sigkill is gone']],
    );

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
});
