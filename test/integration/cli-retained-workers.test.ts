// `robustmq-cli retained list|get|delete` against a node of two worker processes (`server start
// --workers 2 --storage memory`, a subprocess). Every worker keeps the whole retained store: a
// delete must reach each copy, so new subscribers on either worker get nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ownerOf } from '../../src/server/workers/client-owner.js';
import { json, startAdminBroker, type AdminBroker } from '../helpers/admin-broker.js';
import { killLeftovers } from '../helpers/child.js';
import { connect, delay } from '../helpers/clients.js';

interface RetainedPage {
  retained: { topic: string }[];
}

/**
 * The topics a new subscriber to `filter` gets retained messages from: it waits for `expected` of
 * them (they come together, right after the SUBACK), then a little longer for any it should not get.
 */
async function retainedFor(port: number, filter: string, expected: number, clientId?: string): Promise<string[]> {
  const sub = await connect(port, clientId ? { clientId } : {});
  await sub.client.subscribeAsync(filter, { qos: 1 });
  if (expected > 0) await sub.waitFor(expected, 10_000).catch(() => undefined);
  await delay(300);
  await sub.end(true);
  return sub.messages.map((m) => m.topic).sort();
}

describe('retained commands with two worker processes (each keeps the whole retained store)', () => {
  let b: AdminBroker;
  const idOn = (worker: number, base: string): string => {
    for (let i = 0; ; i++) if (ownerOf(`${base}-${i}`, 2) === worker) return `${base}-${i}`;
  };

  before(async () => {
    b = await startAdminBroker(['--workers', '2', '--storage', 'memory']);
  });

  after(async () => {
    await b.stop();
    killLeftovers();
  });

  it('retained delete reaches every worker: new subscribers on either worker get nothing', async () => {
    const pub = await connect(b.mqttPort, { clientId: idOn(0, 'wr-pub') });
    await pub.client.publishAsync('wr/t', 'kept', { qos: 1, retain: true });
    await pub.client.publishAsync('wr/u', 'also', { qos: 1, retain: true });
    await pub.end();
    // the copy reaches the other worker over the mesh: both have it
    for (let i = 0; i < 3; i++) {
      if ((await retainedFor(b.mqttPort, 'wr/#', 2, idOn(1, `wr-probe${i}`))).length === 2) break;
    }
    assert.deepEqual(await retainedFor(b.mqttPort, 'wr/#', 2, idOn(0, 'wr-s0')), ['wr/t', 'wr/u']);
    assert.deepEqual(await retainedFor(b.mqttPort, 'wr/#', 2, idOn(1, 'wr-s1')), ['wr/t', 'wr/u']);
    const listed = json<RetainedPage>(await b.cli(['retained', 'list', '--json', '--topic', 'wr/#']));
    assert.deepEqual(
      listed.retained.map((m) => m.topic),
      ['wr/t', 'wr/u'],
    );
    const got = json<{ payload: string }>(await b.cli(['retained', 'get', 'wr/t', '--json']));
    assert.equal(got.payload, 'kept');
    assert.equal((await b.cli(['retained', 'delete', 'wr/t'])).code, 0);
    assert.deepEqual(await retainedFor(b.mqttPort, 'wr/#', 1, idOn(0, 'wr-s2')), ['wr/u']);
    assert.deepEqual(await retainedFor(b.mqttPort, 'wr/#', 1, idOn(1, 'wr-s3')), ['wr/u']);
    const after1 = json<RetainedPage>(await b.cli(['retained', 'list', '--json', '--topic', 'wr/#']));
    assert.deepEqual(
      after1.retained.map((m) => m.topic),
      ['wr/u'],
    );
    const again = await b.cli(['retained', 'delete', 'wr/t']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /RMQ_ERR_RETAINED_NOT_FOUND/);
  });
});
