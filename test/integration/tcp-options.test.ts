// Socket options of accepted client connections: mqtt.tcp_keepalive_s turns the kernel's TCP
// keep-alive on (SO_KEEPALIVE with that idle time) and leaves it off at 0, the default. Read back
// from the kernel with `ss` (iproute2), which shows a keepalive timer on sockets that have one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, until, type TestClient } from '../helpers/clients.js';

/** The broker side of established connections on the port, as `ss` prints them with timers. */
function serverSockets(port: number): string[] {
  const out = execFileSync('ss', ['-tnoH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '');
}

describe('mqtt.tcp_keepalive_s', () => {
  let b: TestBroker | undefined;
  let c: TestClient | undefined;
  afterEach(async () => {
    await c?.end();
    await b?.stop();
    c = undefined;
    b = undefined;
  });

  it('is off by default: no keepalive timer on the accepted socket', async () => {
    b = await startBroker();
    c = await connect(b.port);
    await until(() => b!.broker.connections.size === 1);
    const lines = serverSockets(b.port);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.doesNotMatch(lines[0]!, /keepalive/);
  });

  it('set to 45 s: the kernel probes after 45 s of silence', async () => {
    b = await startBroker({ mqtt: { tcp_keepalive_s: 45 } });
    c = await connect(b.port);
    await until(() => b!.broker.connections.size === 1);
    const lines = serverSockets(b.port);
    assert.equal(lines.length, 1, lines.join('\n'));
    // e.g. timer:(keepalive,44sec,0)
    const m = /timer:\(keepalive,(\d+)(?:min(\d+))?sec/.exec(lines[0]!);
    assert.ok(m, lines[0]);
    const seconds = m[2] !== undefined ? Number(m[1]) * 60 + Number(m[2]) : Number(m[1]);
    assert.ok(seconds > 30 && seconds <= 45, `keepalive timer ${seconds}s`);
  });

  it('refuses a value outside 0..7200 with the key named', async () => {
    await assert.rejects(startBroker({ mqtt: { tcp_keepalive_s: -1 } }), /tcp_keepalive_s/);
  });
});
