// The durability contract under a crash: `robustmq-cli server start` (a real process) takes QoS 1 and
// QoS 2 messages for an offline persistent session and is killed with SIGKILL mid-stream. After a
// restart on the same store, the session is back and receives every message whose PUBACK/PUBREC the
// publishers got: QoS 1 at least once, QoS 2 exactly once [MQTT-4.3.3]; retained messages are back.
// scripts/sigkill-loop.sh runs this file 20 times in a row.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { freePort, killLeftovers, spawnChild, type Child } from '../helpers/child.js';
import { connect, delay, uniqueId, until } from '../helpers/clients.js';
import { durableEngines } from '../helpers/durable-engines.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUN = join(ROOT, 'bin', 'run.js');
const N = Number(process.env.CRASH_MESSAGES ?? 5000);

function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ROBUSTMQ_')) out[k] = v;
  // the session queue must hold every message: none may be dropped by the queue bound here
  out.ROBUSTMQ_LIMITS_MAX_QUEUED_MESSAGES = String(4 * N);
  // a wider group-commit window: an acknowledgement sent before its commit would be caught more often
  out.ROBUSTMQ_STORAGE_COMMIT_INTERVAL_MS = '20';
  out.ROBUSTMQ_ADMIN_GRPC_PORT = '0'; // any free admin ports: test files run side by side
  out.ROBUSTMQ_ADMIN_HTTP_PORT = '0';
  return out;
}

async function startServer(port: number, args: string[]): Promise<Child> {
  const child = spawnChild(
    process.execPath,
    [RUN, 'server', 'start', '--mqtt-port', String(port), '--bind', '127.0.0.1', '--log-level', 'info', ...args],
    { env: env(), timeoutMs: 120_000 },
  );
  await child.line((l) => l.includes('RobustMQ broker started'), 20_000, 'the "broker started" log line');
  return child;
}

/**
 * Publishes n messages `${tag}-${i}`, 50 every 5 ms (so that a kill lands mid-stream), without
 * waiting for acknowledgements; records those acknowledged.
 */
function publishAll(port: number, tag: string, qos: 1 | 2, n: number, acked: Set<string>, onAck: () => void) {
  const client = mqtt.connect({ host: '127.0.0.1', port, clientId: uniqueId(tag), reconnectPeriod: 0 });
  client.on('error', () => {});
  let i = 0;
  const burst = () => {
    if (!client.connected) return;
    for (const end = Math.min(n, i + 50); i < end; i++) {
      const payload = `${tag}-${i}`;
      client.publish('crash/t', payload, { qos }, (err) => {
        if (err) return;
        acked.add(payload);
        onAck();
      });
    }
    if (i < n) setTimeout(burst, 5);
  };
  client.on('connect', burst);
  return client;
}

for (const engine of durableEngines) {
  describe(`SIGKILL recovery: ${engine.name}`, () => {
    before(async () => engine.setup?.());
    after(async () => {
      killLeftovers();
      await engine.teardown?.();
    });

    it('every acknowledged message reaches the offline session after SIGKILL and restart', async () => {
      const store = await engine.newStore();
      try {
        const port = await freePort();
        let server = await startServer(port, store.cliArgs);
        const subId = uniqueId('crash-sub');
        const sub = await connect(port, { clientId: subId, clean: false, protocolVersion: 4 });
        await sub.client.subscribeAsync('crash/#', { qos: 2 });
        await sub.end();
        const setup = await connect(port);
        await setup.client.publishAsync('crash-retained/x', 'kept', { qos: 1, retain: true });
        await setup.end();

        const acked1 = new Set<string>();
        const acked2 = new Set<string>();
        let killed = false;
        const kill = () => {
          // mid-stream: once both publishers have a third of their messages acknowledged
          if (!killed && acked1.size >= N / 3 && acked2.size >= N / 3) {
            killed = true;
            server.proc.kill('SIGKILL');
          }
        };
        const p1 = publishAll(port, 'q1', 1, N, acked1, kill);
        const p2 = publishAll(port, 'q2', 2, N, acked2, kill);
        const exit = await server.exited(30_000);
        assert.equal(exit.signal, 'SIGKILL', 'the broker was killed, not stopped');
        p1.end(true);
        p2.end(true);
        assert.ok(acked1.size > 0 && acked2.size > 0, 'both publishers got acknowledgements before the kill');
        assert.ok(acked1.size + acked2.size < 2 * N, 'the kill came before the end of the stream');

        server = await startServer(port, store.cliArgs);
        const counts = new Map<string, number>();
        const back = await connect(port, { clientId: subId, clean: false, protocolVersion: 4 });
        for (const m of back.messages) counts.set(m.payload.toString(), (counts.get(m.payload.toString()) ?? 0) + 1);
        back.client.on('message', (_t, payload) => {
          const k = payload.toString();
          counts.set(k, (counts.get(k) ?? 0) + 1);
        });
        // wait until every acknowledged message has arrived, then a little longer for duplicates
        await until(
          () => [...acked1, ...acked2].every((k) => counts.has(k)),
          20_000,
          () => `received ${counts.size}; acknowledged ${acked1.size} QoS 1 + ${acked2.size} QoS 2`,
        );
        await delay(300);
        const missing1 = [...acked1].filter((k) => !counts.has(k));
        const missing2 = [...acked2].filter((k) => !counts.has(k));
        assert.deepEqual(missing1, [], 'acknowledged QoS 1 messages lost');
        assert.deepEqual(missing2, [], 'acknowledged QoS 2 messages lost');
        const twice = [...counts].filter(([k, n]) => k.startsWith('q2-') && n > 1).map(([k]) => k);
        assert.deepEqual(twice, [], 'QoS 2 messages delivered more than once');
        await back.end();

        const r = await connect(port);
        await r.client.subscribeAsync('crash-retained/#', { qos: 1 });
        const [m] = await r.waitFor(1);
        assert.equal(m!.payload.toString(), 'kept');
        await r.end();
        server.proc.kill('SIGTERM');
        await server.exited();
        console.log(
          `# ${engine.name}: acknowledged before SIGKILL ${acked1.size} QoS 1 + ${acked2.size} QoS 2; ` +
            `received after restart ${counts.size} distinct`,
        );
      } finally {
        killLeftovers();
        await store.remove();
      }
    });
  });
}
