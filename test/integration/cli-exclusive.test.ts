// `robustmq-cli exclusive list|delete` (the built CLI, a subprocess) and the REST routes against a
// broker started by the test, with real MQTT.js clients holding `$exclusive/` filters: the table and
// --json, filtering, taking a filter away so another client gets it, and the not-found error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cli, json } from '../helpers/admin-cli.js';
import { startCliBroker, type CliBroker } from '../helpers/cli.js';
import { connect, uniqueId, type TestClient } from '../helpers/clients.js';

interface HolderRow {
  filter: string;
  clientId: string;
  sinceMs: number;
}

async function suback(c: TestClient, filter: string): Promise<number> {
  try {
    return (await c.client.subscribeAsync(filter, { qos: 1 }))[0]!.qos;
  } catch (err) {
    const packet = (err as { packet?: { granted: number[] } }).packet;
    if (packet === undefined) throw err;
    return packet.granted[0]!;
  }
}

describe('robustmq-cli exclusive', () => {
  let b: CliBroker;
  const clients: TestClient[] = [];
  const idA = uniqueId('worker-a');
  const idB = uniqueId('worker-b');

  before(async () => {
    b = await startCliBroker();
    const a = await connect(b.mqttPort, { protocolVersion: 5, clientId: idA });
    const c = await connect(b.mqttPort, { protocolVersion: 4, clientId: idB });
    clients.push(a, c);
    assert.equal(await suback(a, '$exclusive/jobs/build'), 1);
    assert.equal(await suback(c, '$exclusive/sensors/+/temp'), 1);
    assert.equal(await suback(c, '$exclusive/jobs/build'), 0x80);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.end(true)));
    await b.stop();
  });

  it('list: a table in filter order, and --json', async () => {
    const r = await cli(['exclusive', 'list', '--server', b.admin]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => l.includes(idA) || l.includes(idB));
    assert.equal(rows.length, 2, r.stdout);
    assert.match(rows[0]!, new RegExp(`jobs/build\\s+│ ${idA}\\s+│ \\d{4}-`));
    assert.match(rows[1]!, new RegExp(`sensors/\\+/temp\\s+│ ${idB}`));
    assert.match(r.stdout, /2 of 2 exclusive subscription\(s\)/);

    const doc = json<{ holders: HolderRow[]; total: number }>(
      await cli(['exclusive', 'list', '--json', '--server', b.admin]),
    );
    assert.equal(doc.total, 2);
    assert.deepEqual(
      doc.holders.map((h) => [h.filter, h.clientId]),
      [
        ['jobs/build', idA],
        ['sensors/+/temp', idB],
      ],
    );
    assert.ok(Math.abs(doc.holders[0]!.sinceMs - Date.now()) < 120_000);
    const mine = json<{ holders: HolderRow[] }>(
      await cli(['exclusive', 'list', '--client-id', idB, '--json', '--server', b.admin]),
    );
    assert.deepEqual(
      mine.holders.map((h) => h.filter),
      ['sensors/+/temp'],
    );
    const rest = (await (await fetch(`${b.rest}/api/v1/exclusive?filter=jobs`)).json()) as { holders: HolderRow[] };
    assert.deepEqual(
      rest.holders.map((h) => h.clientId),
      [idA],
    );
  });

  it('delete takes the filter away: another client may take it; unknown: exit 1 RMQ_ERR_EXCLUSIVE_NOT_FOUND', async () => {
    const r = await cli(['exclusive', 'delete', 'jobs/build', '--server', b.admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /removed the exclusive subscription to jobs\/build/);
    assert.equal(await suback(clients[1]!, '$exclusive/jobs/build'), 1);

    const none = await cli(['exclusive', 'delete', 'jobs/build/none', '--json', '--server', b.admin]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^Error: RMQ_ERR_EXCLUSIVE_NOT_FOUND: /);

    // REST: the filter with its slashes is the rest of the path
    const del = await fetch(`${b.rest}/api/v1/exclusive/sensors/+/temp`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const again = await fetch(`${b.rest}/api/v1/exclusive/sensors/+/temp`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    const doc = json<{ holders: HolderRow[] }>(await cli(['exclusive', 'list', '--json', '--server', b.admin]));
    assert.deepEqual(
      doc.holders.map((h) => [h.filter, h.clientId]),
      [['jobs/build', idB]],
    );
  });
});
