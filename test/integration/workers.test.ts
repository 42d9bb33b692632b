// node.workers = 2: `server start --workers 2 --storage memory` as an operator runs it (a subprocess),
// with real MQTT.js clients whose client ids are chosen to land on one worker or the other. What one
// broker process guarantees must hold across the worker processes: delivery and order of QoS 0/1/2,
// retained messages, shared groups (each message to one member), wills, takeover, assigned client
// ids, bytes sent right after CONNECT, and a worker that dies is started again.
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { RawClient, rawConnect } from '../helpers/raw-client.js';
import { cleanEnv, freePort, spawnChild, type Child } from '../helpers/child.js';
import { connect, delay, until, type TestClient } from '../helpers/clients.js';
import { ownerOf } from '../../src/server/workers/client-owner.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUN = join(ROOT, 'bin', 'run.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let seq = 0;
/** A fresh client id owned by `worker` (of 2). */
function idOn(worker: number, prefix = 'w'): string {
  for (;;) {
    const id = `${prefix}-${process.pid}-${++seq}`;
    if (ownerOf(id, 2) === worker) return id;
  }
}

describe('two worker processes behind one listener', () => {
  let server: Child;
  let port: number;
  let adminPort: number;
  let httpPort: number;
  const open: TestClient[] = [];
  const client = async (worker: number, opts: Parameters<typeof connect>[1] = {}): Promise<TestClient> => {
    const c = await connect(port, { clientId: idOn(worker), ...opts });
    open.push(c);
    return c;
  };

  before(async () => {
    port = await freePort();
    adminPort = await freePort();
    httpPort = await freePort();
    server = spawnChild(
      process.execPath,
      [RUN, 'server', 'start', '--workers', '2', '--storage', 'memory', '--bind', '127.0.0.1'].concat([
        '--mqtt-port',
        String(port),
        '--admin-port',
        String(adminPort),
        '--http-port',
        String(httpPort),
        '--log-level',
        'info',
      ]),
      { env: cleanEnv({ ROBUSTMQ_SYS_INTERVAL: '1' }), timeoutMs: 180_000 },
    );
    const started = await server.line((l) => l.includes('RobustMQ broker started'), 30_000, 'broker started');
    assert.equal((JSON.parse(started) as { workers: number }).workers, 2);
  });

  after(async () => {
    for (const c of open) await c.end(true);
    server.proc.kill('SIGTERM');
    const exit = await server.exited(15_000);
    assert.equal(exit.code, 0, server.stderr());
  });

  it('QoS 0, 1 and 2 from a client on one worker reach a subscriber on the other, in order per topic and QoS [MQTT-4.6.0-6]', async () => {
    const sub = await client(0);
    const pub = await client(1);
    await sub.client.subscribeAsync('x/#', { qos: 2 });
    for (let i = 0; i < 30; i++) await pub.client.publishAsync(`x/${i % 3}`, `m${i}`, { qos: (i % 3) as 0 | 1 | 2 });
    const got = await sub.waitFor(30);
    // MQTT.js hands a QoS 2 message over at PUBREL, so order is compared per topic (each has one QoS)
    for (let q = 0; q < 3; q++) {
      const onTopic = got.filter((m) => m.topic === `x/${q}`);
      assert.deepEqual(
        onTopic.map((m) => m.payload.toString()),
        Array.from({ length: 10 }, (_, k) => `m${k * 3 + q}`),
      );
      assert.ok(onTopic.every((m) => m.packet.qos === q));
    }
  });

  it('a subscription on the same worker and one on the other both get each message once', async () => {
    const local = await client(1);
    const remote = await client(0);
    const pub = await client(1);
    await local.client.subscribeAsync('both/t', { qos: 1 });
    await remote.client.subscribeAsync('both/+', { qos: 1 });
    for (let i = 0; i < 10; i++) await pub.client.publishAsync('both/t', `b${i}`, { qos: 1 });
    await local.waitFor(10);
    await remote.waitFor(10);
    await delay(200);
    assert.equal(local.messages.length, 10);
    assert.equal(remote.messages.length, 10);
  });

  it('a v5 PUBACK says success (not 0x10 No matching subscribers) when the only subscriber is on the other worker [MQTT-3.4.2-1]', async () => {
    const sub = await client(0);
    await sub.client.subscribeAsync('only/there', { qos: 1 });
    const { c } = await rawConnect(port, idOn(1), 5);
    c.write(
      {
        cmd: 'publish',
        topic: 'only/there',
        payload: Buffer.from('x'),
        qos: 1,
        messageId: 3,
        retain: false,
        dup: false,
      },
      5,
    );
    const puback = await c.next<mqttPacket.IPubackPacket>('puback');
    assert.equal(puback.reasonCode ?? 0, 0);
    await sub.waitFor(1);
    c.write(
      {
        cmd: 'publish',
        topic: 'nobody/here',
        payload: Buffer.from('x'),
        qos: 1,
        messageId: 4,
        retain: false,
        dup: false,
      },
      5,
    );
    const none = await c.next<mqttPacket.IPubackPacket>('puback');
    assert.equal(none.reasonCode, 0x10);
    c.close();
  });

  it('an unsubscribed filter is no longer routed to its worker [MQTT-3.10.4-6]', async () => {
    const sub = await client(0);
    const pub = await client(1);
    await sub.client.subscribeAsync('gone/t', { qos: 1 });
    await pub.client.publishAsync('gone/t', 'before', { qos: 1 });
    await sub.waitFor(1);
    await sub.client.unsubscribeAsync('gone/t');
    await pub.client.publishAsync('gone/t', 'after', { qos: 1 });
    await delay(300);
    assert.deepEqual(
      sub.messages.map((m) => m.payload.toString()),
      ['before'],
    );
  });

  it('a retained message published on one worker is sent to a later subscriber on the other [MQTT-3.3.1-5], and an empty one deletes it there [MQTT-3.3.1-10]', async () => {
    const pub = await client(0);
    await pub.client.publishAsync('ret/a', 'kept', { qos: 1, retain: true });
    await delay(100);
    const late = await client(1);
    await late.client.subscribeAsync('ret/#', { qos: 1 });
    const [m] = await late.waitFor(1);
    assert.equal(m!.payload.toString(), 'kept');
    assert.equal(m!.packet.retain, true);
    await pub.client.publishAsync('ret/a', '', { qos: 1, retain: true });
    await delay(100);
    const later = await client(1);
    await later.client.subscribeAsync('ret/#', { qos: 1 });
    await delay(300);
    assert.equal(later.messages.length, 0);
  });

  it('a shared group with members on both workers gives each message to exactly one member', async () => {
    const a = await client(0);
    const b = await client(1);
    const pub0 = await client(0);
    const pub1 = await client(1);
    await a.client.subscribeAsync('$share/g1/jobs/+', { qos: 1 });
    await b.client.subscribeAsync('$share/g1/jobs/+', { qos: 1 });
    await delay(100);
    const n = 40;
    for (let i = 0; i < n; i++) await (i % 2 ? pub1 : pub0).client.publishAsync('jobs/x', `j${i}`, { qos: 1 });
    await until(() => a.messages.length + b.messages.length >= n, 5000, 'all jobs delivered');
    await delay(300);
    const all = [...a.messages, ...b.messages].map((m) => m.payload.toString()).sort();
    assert.deepEqual(all, Array.from({ length: n }, (_, i) => `j${i}`).sort());
    assert.ok(a.messages.length > 0 && b.messages.length > 0, `${a.messages.length} / ${b.messages.length}`);
  });

  it('the will of a client on one worker reaches a subscriber on the other [MQTT-3.1.2-8]', async () => {
    const watcher = await client(1);
    await watcher.client.subscribeAsync('wills/#', { qos: 1 });
    const dying = await client(0, { will: { topic: 'wills/d', payload: Buffer.from('gone'), qos: 1, retain: false } });
    dying.client.stream.destroy(); // no DISCONNECT
    const [m] = await watcher.waitFor(1);
    assert.equal(m!.payload.toString(), 'gone');
  });

  it('a second connection with the same client id takes the session over [MQTT-3.1.4-3]', async () => {
    const id = idOn(1);
    const first = await connect(port, { clientId: id, protocolVersion: 5 });
    open.push(first);
    const closed = new Promise<number | undefined>((resolve) =>
      first.client.once('disconnect', (p) => resolve(p.reasonCode)),
    );
    const second = await connect(port, {
      clientId: id,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    open.push(second);
    assert.equal(await closed, 0x8e);
  });

  it('an assigned client id belongs to the worker that assigned it: the session is found again [MQTT-3.2.2-16]', async () => {
    // neither MQTT.js nor mqtt-packet will send an empty id with Clean Start 0, which MQTT 5 allows
    // (3.1.1 forbade it [MQTT-3.1.3-7]): the CONNECT by hand, Session Expiry Interval 60, empty id
    const first = await RawClient.open(port, 5);
    first.socket.write(
      Buffer.from([
        0x10, 18, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0x00, 0x00, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x3c, 0x00,
        0x00,
      ]),
    );
    const connack = await first.next<mqttPacket.IConnackPacket>('connack');
    const assigned = connack.properties?.assignedClientIdentifier ?? '';
    assert.match(assigned, /^robustmq-/);
    first.socket.write(
      mqttPacket.generate(
        { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'assigned/t', qos: 1 }] },
        { protocolVersion: 5 },
      ),
    );
    await first.next('suback');
    first.socket.write(mqttPacket.generate({ cmd: 'disconnect' }, { protocolVersion: 5 }));
    await until(() => first.closed, 3000, 'first connection closed');
    const pub = await client(0);
    await pub.client.publishAsync('assigned/t', 'queued', { qos: 1 });
    const again = await connect(port, {
      clientId: assigned,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    open.push(again);
    const [m] = await again.waitFor(1);
    assert.equal(m!.payload.toString(), 'queued');
  });

  it('packets written together with the CONNECT reach the worker (nothing read by the primary is lost)', async () => {
    const raw = await RawClient.open(port);
    const id = idOn(1);
    const bytes = Buffer.concat([
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: id,
        clean: true,
        keepalive: 0,
      }),
      mqttPacket.generate({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'piped/t', qos: 1 }] }),
      mqttPacket.generate({
        cmd: 'publish',
        topic: 'piped/t',
        payload: Buffer.from('self'),
        qos: 1,
        messageId: 8,
        retain: false,
        dup: false,
      }),
    ]);
    raw.socket.write(bytes);
    await raw.next('connack');
    const suback = await raw.next('suback');
    assert.equal((suback as { messageId: number }).messageId, 7);
    const publish = await raw.next('publish');
    assert.equal((publish as { payload: Buffer }).payload.toString(), 'self');
    raw.socket.destroy();
  });

  it('a first packet that is not a CONNECT closes that connection only [MQTT-3.1.0-1]', async () => {
    const raw = await RawClient.open(port);
    raw.socket.write(Buffer.from([0x30, 0x02, 0x00, 0x00]));
    await until(() => raw.closed, 3000, 'connection closed');
    const ok = await client(0);
    assert.ok(ok.client.connected);
  });

  it('the admin API sees the clients of every worker', async () => {
    const a = await client(0, { clientId: idOn(0, 'adm') });
    const b = await client(1, { clientId: idOn(1, 'adm') });
    const run = spawnChild(
      process.execPath,
      [RUN, 'client', 'list', '--json', '--client-id', 'adm-', '--server', `127.0.0.1:${adminPort}`],
      {
        env: cleanEnv(),
        timeoutMs: 30_000,
      },
    );
    run.proc.stdin!.end();
    const exit = await run.exited(30_000);
    assert.equal(exit.code, 0, run.stderr());
    const page = JSON.parse(run.lines.join('\n')) as { clients: { clientId: string }[]; total: number };
    const ids = page.clients.map((c) => c.clientId);
    assert.deepEqual(ids, [a.client.options.clientId, b.client.options.clientId].sort());
    assert.equal(page.total, 2);
  });

  it("$SYS counts the clients of every worker (worker 0 publishes the node's sums)", async () => {
    const mine = [await client(0), await client(1), await client(1)];
    let connectedNow = 0;
    for (const c of open) if (c.client.connected) connectedNow++;
    assert.ok(mine.every((c) => c.client.connected));
    await delay(1500); // one $SYS interval (1 s here) after they connected
    const watcher = await client(1);
    await watcher.client.subscribeAsync('$SYS/brokers/+/clients/connected', { qos: 0 });
    const [m] = await watcher.waitFor(1, 3000);
    // every client of this file that is still connected is counted, on whichever worker it is
    assert.ok(Number(m!.payload.toString()) >= connectedNow, `${m!.payload.toString()} < ${connectedNow}`);
  });

  it('the REST API of the primary answers for the node: ready, two workers', async () => {
    const ready = await fetch(`http://127.0.0.1:${httpPort}/health/ready`);
    assert.equal(ready.status, 200);
    const info = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/cluster/info`)).json()) as {
      nodes: { workers: number; connections: number }[];
    };
    assert.equal(info.nodes[0]!.workers, 2);
    assert.ok(info.nodes[0]!.connections > 0);
    const topic = await fetch(`http://127.0.0.1:${httpPort}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'logged' }),
    });
    assert.equal(topic.status, 409);
    assert.equal(((await topic.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_UNSUPPORTED');
  });

  it('a worker that dies is started again with the retained store; the other worker keeps its clients', async () => {
    const stays = await client(0);
    await stays.client.publishAsync('kept/across/restart', 'still here', { qos: 1, retain: true });
    const pidLine = server.lines.find((l) => l.includes('RobustMQ worker started') && l.includes('"worker":1'));
    assert.ok(pidLine, 'worker 1 start line');
    const pid = (JSON.parse(pidLine) as { pid: number }).pid;
    const starts = server.lines.filter((l) => l.includes('RobustMQ worker started')).length;
    process.kill(pid, 'SIGKILL');
    await until(
      () => server.lines.filter((l) => l.includes('RobustMQ worker started')).length > starts,
      10_000,
      'worker 1 started again',
    );
    assert.ok(stays.client.connected);
    const sub = await client(1);
    await sub.client.subscribeAsync('kept/across/restart', { qos: 1 });
    const [kept] = await sub.waitFor(1);
    assert.equal(kept!.payload.toString(), 'still here'); // sent to the new worker by the other
    assert.equal(kept!.packet.retain, true);
    await sub.client.subscribeAsync('after/restart', { qos: 1 });
    await stays.client.publishAsync('after/restart', 'hello', { qos: 1 });
    await sub.waitFor(2);
    assert.equal(sub.messages[1]!.payload.toString(), 'hello');
  });
});

describe('node.workers configuration', () => {
  it('a port in use stops the start of a multi-worker node with RMQ_ERR_LISTEN (exit 2), its workers with it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      const run = spawnChild(
        process.execPath,
        [RUN, 'server', 'start', '--workers', '2', '--storage', 'memory', '--bind', '127.0.0.1'].concat([
          '--mqtt-port',
          String(busy),
          '--admin-port',
          '0',
          '--http-port',
          '0',
        ]),
        { env: cleanEnv(), timeoutMs: 60_000 },
      );
      run.proc.stdin!.end();
      const exit = await run.exited(60_000);
      assert.equal(exit.code, 2);
      assert.match(run.stderr(), /RMQ_ERR_LISTEN: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
      // the workers it had started are gone too (they exit with the primary's IPC channel)
      const workers = run.lines
        .filter((l) => l.includes('RobustMQ worker started'))
        .map((l) => (JSON.parse(l) as { pid: number }).pid);
      assert.equal(workers.length, 2);
      await until(() => workers.every((pid) => !alive(pid)), 5000, 'workers exited');
    } finally {
      blocker.close();
    }
  });

  it('more than one worker with a storage engine the workers do not share yet stops the start (exit 2, names the key)', async () => {
    const run = spawnChild(
      process.execPath,
      [RUN, 'server', 'start', '--workers', '2', '--mqtt-port', '0', '--admin-port', '0', '--http-port', '0'],
      {
        env: cleanEnv(),
        timeoutMs: 30_000,
      },
    );
    run.proc.stdin!.end();
    const exit = await run.exited(30_000);
    assert.equal(exit.code, 2);
    assert.match(run.stderr(), /node\.workers.*storage\.engine = "memory"/);
  });
});
