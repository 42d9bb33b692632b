// `robustmq-cli session list|describe|delete` and `subscription list` against a node of two worker
// processes (`server start --workers 2 --storage memory`, a subprocess): the primary merges the
// workers' pages in client-id order, and describe/delete reach the worker that owns the client id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ownerOf } from '../../src/server/workers/client-owner.js';
import { json, startAdminBroker, type AdminBroker } from '../helpers/admin-broker.js';
import { killLeftovers } from '../helpers/child.js';
import { connect, until, type TestClient } from '../helpers/clients.js';

interface SessionPage {
  sessions: { clientId: string }[];
  nextPageToken: string;
  total: number;
}

interface SubscriptionPage {
  subscriptions: { clientId: string; filter: string }[];
  total: number;
}

const v5persistent = (clientId: string) => ({
  clientId,
  protocolVersion: 5 as const,
  clean: false,
  properties: { sessionExpiryInterval: 300 },
});

describe('session and subscription commands with two worker processes', () => {
  let b: AdminBroker;
  const open: TestClient[] = [];
  /** A client id that the primary hands to `worker`. */
  const idOn = (worker: number, base: string): string => {
    for (let i = 0; ; i++) if (ownerOf(`${base}-${i}`, 2) === worker) return `${base}-${i}`;
  };

  before(async () => {
    b = await startAdminBroker(['--workers', '2', '--storage', 'memory']);
  });

  after(async () => {
    for (const c of open) await c.end(true);
    await b.stop();
    killLeftovers();
  });

  it('session list merges both workers in client-id order, page by page; describe and delete reach the owning worker', async () => {
    const ids = [idOn(0, 'w-a'), idOn(1, 'w-b'), idOn(0, 'w-c'), idOn(1, 'w-d'), idOn(1, 'w-e')].sort();
    for (const id of ids) {
      const c = await connect(b.mqttPort, v5persistent(id));
      await c.client.subscribeAsync(`w/${id}`, { qos: 1 });
      if (id.startsWith('w-b') || id.startsWith('w-c')) await c.end();
      else open.push(c);
    }
    const all = json<SessionPage>(await b.cli(['session', 'list', '--json']));
    assert.deepEqual(
      all.sessions.map((s) => s.clientId),
      ids,
    );
    assert.equal(all.total, 5);
    const walked: string[] = [];
    let token = '';
    for (let i = 0; i < 10; i++) {
      const p = json<SessionPage>(
        await b.cli(['session', 'list', '--json', '--limit', '2', ...(token ? ['--page-token', token] : [])]),
      );
      walked.push(...p.sessions.map((s) => s.clientId));
      token = p.nextPageToken;
      if (!token) break;
    }
    assert.deepEqual(walked, ids);
    const offline = json<SessionPage>(await b.cli(['session', 'list', '--json', '--disconnected']));
    assert.deepEqual(
      offline.sessions.map((s) => s.clientId),
      ids.filter((id) => id.startsWith('w-b') || id.startsWith('w-c')),
    );
    const subs = json<SubscriptionPage>(await b.cli(['subscription', 'list', '--json', '--limit', '3']));
    assert.deepEqual(
      subs.subscriptions.map((s) => s.filter),
      ids.slice(0, 3).map((id) => `w/${id}`),
    );
    assert.equal(subs.total, 5);
    // describe and delete on each worker
    for (const id of ids.filter((x) => x.startsWith('w-b') || x.startsWith('w-c'))) {
      const d = json<{ session: { clientId: string } }>(await b.cli(['session', 'describe', id, '--json']));
      assert.equal(d.session.clientId, id);
      assert.equal((await b.cli(['session', 'delete', id])).code, 0);
      assert.equal((await b.cli(['session', 'describe', id])).code, 1);
    }
    const connectedOne = ids.find((x) => x.startsWith('w-d'))!;
    const victim = open.find((c) => c.client.options.clientId === connectedOne)!;
    const reason = new Promise<number | undefined>((resolve) =>
      victim.client.once('disconnect', (p) => resolve(p.reasonCode)),
    );
    assert.equal((await b.cli(['session', 'delete', connectedOne])).code, 0);
    assert.equal(await reason, 0x98);
    await until(() => !victim.client.connected, 5000, 'victim closed');
    const left = json<SessionPage>(await b.cli(['session', 'list', '--json']));
    assert.deepEqual(
      left.sessions.map((s) => s.clientId),
      ids.filter((id) => id.startsWith('w-a') || id.startsWith('w-e')),
    );
  });
});
