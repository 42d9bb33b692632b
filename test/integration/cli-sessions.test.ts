// `robustmq-cli session list|describe|delete` and `subscription list` as an operator runs them (the
// built CLI, a subprocess) against a broker started by the test (`server start`, sqlite storage),
// with real MQTT.js clients: tables and --json, server-side
// filters and paging across pages, unknown ids (exit 1 with the code), deleting the session of a
// connected persistent client, what survives a restart, and the REST routes over real HTTP. Checks
// that need no CLI of their own go over REST or gRPC (each CLI run starts a Node process).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { assertGrpcRefusal, json, startAdminBroker, type AdminBroker } from '../helpers/admin-broker.js';
import { killLeftovers } from '../helpers/child.js';
import { connect, type TestClient } from '../helpers/clients.js';

interface SessionRow {
  clientId: string;
  connected: boolean;
  protocolVersion: number;
  expiryIntervalS: number;
  disconnectedAtMs: number;
  expiresAtMs: number;
  subscriptions: number;
  queued: number;
  inflight: number;
}

interface SessionPage {
  sessions: SessionRow[];
  nextPageToken: string;
  total: number;
}

interface SubscriptionRow {
  clientId: string;
  filter: string;
  qos: number;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: number;
  subscriptionId: number;
}

interface SubscriptionPage {
  subscriptions: SubscriptionRow[];
  nextPageToken: string;
  total: number;
}

interface SessionDetail {
  session: SessionRow;
  subscriptions: Omit<SubscriptionRow, 'clientId'>[];
  awaitingRelease: number;
  willPending: boolean;
}

const v5persistent = (clientId: string) => ({
  clientId,
  protocolVersion: 5 as const,
  clean: false,
  properties: { sessionExpiryInterval: 300 },
});

describe('robustmq-cli session and subscription commands', () => {
  let b: AdminBroker;
  const open: TestClient[] = [];
  let sesBGoneAt = 0;

  before(async () => {
    b = await startAdminBroker();
    const a = await connect(b.mqttPort, { clientId: 'ses-a' });
    await a.client.subscribeAsync('a/+', { qos: 1 });
    await a.client.subscribeAsync('$share/g/jobs/#', { qos: 0 });
    open.push(a);
    const sb = await connect(b.mqttPort, v5persistent('ses-b'));
    await sb.client.subscribeAsync('b/t', {
      qos: 2,
      nl: true,
      rap: true,
      rh: 1,
      properties: { subscriptionIdentifier: 7 },
    });
    await sb.end();
    sesBGoneAt = Date.now();
    const c = await connect(b.mqttPort, { clientId: 'ses-c', clean: false });
    await c.client.subscribeAsync('c/#', { qos: 1 });
    open.push(c);
    open.push(await connect(b.mqttPort, { clientId: 'other-d', protocolVersion: 5 }));
  });

  after(async () => {
    for (const c of open) await c.end(true);
    await b.stop();
    killLeftovers();
  });

  it('session list --json: every session, connected or not, in client-id order', async () => {
    const page = json<SessionPage>(await b.cli(['session', 'list', '--json']));
    assert.equal(page.total, 4);
    assert.equal(page.nextPageToken, '');
    assert.deepEqual(
      page.sessions.map((s) => [s.clientId, s.connected, s.protocolVersion, s.expiryIntervalS, s.subscriptions]),
      [
        ['other-d', true, 5, 0, 0],
        ['ses-a', true, 4, 0, 2],
        ['ses-b', false, 5, 300, 1],
        ['ses-c', true, 4, 4_294_967_295, 1],
      ],
    );
    const sesB = page.sessions[2]!;
    assert.ok(Math.abs(sesB.disconnectedAtMs - sesBGoneAt) < 2000, `disconnected at ${sesB.disconnectedAtMs}`);
    assert.equal(sesB.expiresAtMs, sesB.disconnectedAtMs + 300_000);
    assert.equal(page.sessions[1]!.disconnectedAtMs, 0);
    assert.equal(page.sessions[1]!.expiresAtMs, 0);
  });

  it('session list filters on the server: --client-id (contains), --connected, --disconnected', async () => {
    const ids = async (...flags: string[]) =>
      json<SessionPage>(await b.cli(['session', 'list', '--json', ...flags])).sessions.map((s) => s.clientId);
    assert.deepEqual(await ids('--client-id', 'ses-'), ['ses-a', 'ses-b', 'ses-c']);
    assert.deepEqual(await ids('--connected'), ['other-d', 'ses-a', 'ses-c']);
    assert.deepEqual(await ids('--disconnected'), ['ses-b']);
    const rest = async (query: string) =>
      (await (await fetch(`${b.rest}/api/v1/sessions?${query}`)).json()) as SessionPage;
    assert.deepEqual((await rest('connected=false&client_id=other')).sessions, []);
    const counted = await rest('connected=true&client_id=es-');
    assert.deepEqual(
      counted.sessions.map((s) => s.clientId),
      ['ses-a', 'ses-c'],
    );
    assert.equal(counted.total, 2);
    const both = await b.cli(['session', 'list', '--connected', '--disconnected']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--disconnected|--connected/);
  });

  it('session list pages: --limit, then the page token of the previous page; --all walks them', async () => {
    const first = json<SessionPage>(await b.cli(['session', 'list', '--json', '--limit', '3']));
    assert.deepEqual(
      first.sessions.map((s) => s.clientId),
      ['other-d', 'ses-a', 'ses-b'],
    );
    assert.equal(first.total, 4);
    assert.notEqual(first.nextPageToken, '');
    const second = json<SessionPage>(
      await b.cli(['session', 'list', '--json', '--limit', '3', '--page-token', first.nextPageToken]),
    );
    assert.deepEqual(
      second.sessions.map((s) => s.clientId),
      ['ses-c'],
    );
    assert.equal(second.nextPageToken, '');
    // a filter that skips keys: the token still lands after the last one shown
    const f1 = (await (await fetch(`${b.rest}/api/v1/sessions?connected=true&limit=2`)).json()) as SessionPage;
    assert.deepEqual(
      f1.sessions.map((s) => s.clientId),
      ['other-d', 'ses-a'],
    );
    const f2 = (await (
      await fetch(`${b.rest}/api/v1/sessions?connected=true&limit=2&page_token=${f1.nextPageToken}`)
    ).json()) as SessionPage;
    assert.deepEqual(
      f2.sessions.map((s) => s.clientId),
      ['ses-c'],
    );
    assert.equal(f2.nextPageToken, '');
    const all = json<SessionPage>(await b.cli(['session', 'list', '--json', '--limit', '1', '--all']));
    assert.deepEqual(
      all.sessions.map((s) => s.clientId),
      ['other-d', 'ses-a', 'ses-b', 'ses-c'],
    );
  });

  it('session list as a table, with a footer naming the next page', async () => {
    const r = await b.cli(['session', 'list', '--limit', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /│ client id\s+│ connected\s+│ mqtt\s+│ expiry\s+│ disconnected at\s+│ subs\s+│ queued\s+│ inflight\s+│/,
    );
    assert.match(r.stdout, /│ ses-b\s+│ no\s+│ 5\.0\s+│ 300 s\s+│ \d{4}-\d\d-\d\dT[\d:.]+Z\s+│ 1\s+│ 0\s+│ 0\s+│/);
    assert.match(r.stdout, /│ ses-a\s+│ yes\s+│ 3\.1\.1\s+│ 0 s\s+│\s+│ 2\s+│/);
    assert.match(r.stdout, /3 of 4 session\(s\); next page: --page-token \S+/);
    assert.doesNotMatch(r.stdout, /ses-c/);
  });

  it('session describe: the subscription options as the client gave them; a table; an unknown id is exit 1', async () => {
    const d = json<SessionDetail>(await b.cli(['session', 'describe', 'ses-b', '--json']));
    assert.equal(d.session.clientId, 'ses-b');
    assert.equal(d.session.connected, false);
    assert.deepEqual(d.subscriptions, [
      { filter: 'b/t', qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 1, subscriptionId: 7 },
    ]);
    assert.equal(d.awaitingRelease, 0);
    assert.equal(d.willPending, false);
    const table = await b.cli(['session', 'describe', 'ses-b']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /│ connected\s+│ no\s+│/);
    assert.match(table.stdout, /│ session expiry\s+│ 300 s\s+│/);
    assert.match(table.stdout, /│ b\/t\s+│ 2\s+│ yes\s+│ yes\s+│ 1\s+│ 7\s+│/);
    const none = await b.cli(['session', 'describe', 'nobody']);
    assert.equal(none.code, 1);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /^Error: RMQ_ERR_SESSION_NOT_FOUND: no session of client "nobody" on this node\n$/);
    // over gRPC itself: status NOT_FOUND, the code in the trailing metadata
    await assertGrpcRefusal(
      b.admin,
      (api) => api.describeSession('nobody'),
      'RMQ_ERR_SESSION_NOT_FOUND',
      grpc.status.NOT_FOUND,
    );
    const gone = await b.cli(['session', 'delete', 'nobody', '--json']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^Error: RMQ_ERR_SESSION_NOT_FOUND: /);
  });

  it('subscription list: every subscription in (client id, filter) order, $share/ as sent; filters; pages within one client', async () => {
    const page = json<SubscriptionPage>(await b.cli(['subscription', 'list', '--json']));
    assert.equal(page.total, 4);
    assert.deepEqual(
      page.subscriptions.map((s) => [s.clientId, s.filter, s.qos]),
      [
        ['ses-a', '$share/g/jobs/#', 0],
        ['ses-a', 'a/+', 1],
        ['ses-b', 'b/t', 2],
        ['ses-c', 'c/#', 1],
      ],
    );
    assert.deepEqual(page.subscriptions[2], {
      clientId: 'ses-b',
      filter: 'b/t',
      qos: 2,
      noLocal: true,
      retainAsPublished: true,
      retainHandling: 1,
      subscriptionId: 7,
    });
    const filters = async (...flags: string[]) =>
      json<SubscriptionPage>(await b.cli(['subscription', 'list', '--json', ...flags])).subscriptions.map(
        (s) => `${s.clientId} ${s.filter}`,
      );
    assert.deepEqual(await filters('--filter', '$share/'), ['ses-a $share/g/jobs/#']);
    assert.deepEqual(await filters('--client-id', 'ses-a'), ['ses-a $share/g/jobs/#', 'ses-a a/+']);
    const rest = async (query: string) =>
      (await (await fetch(`${b.rest}/api/v1/subscriptions?${query}`)).json()) as SubscriptionPage;
    const restFilters = async (query: string) =>
      (await rest(query)).subscriptions.map((s) => `${s.clientId} ${s.filter}`);
    assert.deepEqual(await restFilters('filter=/'), ['ses-a $share/g/jobs/#', 'ses-a a/+', 'ses-b b/t', 'ses-c c/#']);
    assert.deepEqual(await restFilters(`filter=${encodeURIComponent('c/#')}&client_id=ses-`), ['ses-c c/#']);
    assert.equal((await rest('client_id=ses-a')).total, 2);
    // one per page: the second page starts inside ses-a's subscriptions
    const walked: string[] = [];
    let token = '';
    for (let i = 0; i < 10; i++) {
      const p = await rest(`limit=1${token ? `&page_token=${token}` : ''}`);
      walked.push(...p.subscriptions.map((s) => `${s.clientId} ${s.filter}`));
      token = p.nextPageToken;
      if (!token) break;
    }
    assert.deepEqual(walked, ['ses-a $share/g/jobs/#', 'ses-a a/+', 'ses-b b/t', 'ses-c c/#']);
    const viaCli = json<SubscriptionPage>(await b.cli(['subscription', 'list', '--json', '--limit', '1', '--all']));
    assert.deepEqual(
      viaCli.subscriptions.map((s) => `${s.clientId} ${s.filter}`),
      walked,
    );
    const table = await b.cli(['subscription', 'list', '--limit', '2']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /│ ses-a\s+│ \$share\/g\/jobs\/#\s+│ 0\s+│ no\s+│ no\s+│ 0\s+│\s+│/);
    assert.match(table.stdout, /2 of 4 subscription\(s\); next page: --page-token \S+/);
  });

  it('session delete of a connected persistent client: DISCONNECT 0x98, then a reconnect finds no session [MQTT-3.2.2-3]', async () => {
    const victim = await connect(b.mqttPort, v5persistent('del-me'));
    await victim.client.subscribeAsync('del/t', { qos: 1 });
    const reason = new Promise<number | undefined>((resolve) =>
      victim.client.once('disconnect', (p) => resolve(p.reasonCode)),
    );
    const r = await b.cli(['session', 'delete', 'del-me']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deleted the session of client del-me');
    assert.equal(await reason, 0x98);
    await victim.end(true);
    const listed = json<SessionPage>(await b.cli(['session', 'list', '--json', '--client-id', 'del-me']));
    assert.deepEqual(listed.sessions, []);
    // nothing is kept for it while it is away: its subscription went with the session
    const pub = await connect(b.mqttPort, { clientId: 'del-pub' });
    await pub.client.publishAsync('del/t', 'while away', { qos: 1 });
    await pub.end();
    const back = await connect(b.mqttPort, v5persistent('del-me'));
    open.push(back);
    const connack = await new Promise<boolean>((resolve) => {
      // mqtt.js keeps the CONNACK it connected with
      resolve(
        (back.client as unknown as { connackPacket?: { sessionPresent: boolean } }).connackPacket!.sessionPresent,
      );
    });
    assert.equal(connack, false);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(back.messages.length, 0);
  });

  it('session delete of an offline persistent session removes it from storage: gone after a restart, the others back', async () => {
    const r = await b.cli(['session', 'delete', 'ses-b', '--json']);
    assert.deepEqual(json(r), { deleted: 'ses-b' });
    for (const c of open.splice(0)) await c.end(true);
    await b.restart();
    const page = json<SessionPage>(await b.cli(['session', 'list', '--json']));
    // ses-c (v3.1.1, clean session 0) and del-me (v5, expiry 300) were persistent and are restored
    assert.deepEqual(
      page.sessions.map((s) => [s.clientId, s.connected]),
      [
        ['del-me', false],
        ['ses-c', false],
      ],
    );
    const subs = json<SubscriptionPage>(await b.cli(['subscription', 'list', '--json']));
    assert.deepEqual(
      subs.subscriptions.map((s) => `${s.clientId} ${s.filter}`),
      ['ses-c c/#'],
    );
  });

  it('REST: GET /api/v1/sessions (and filters), GET/DELETE /api/v1/sessions/{id} with 404s, GET /api/v1/subscriptions', async () => {
    const res = await fetch(`${b.rest}/api/v1/sessions?limit=1`);
    assert.equal(res.status, 200);
    const first = (await res.json()) as SessionPage;
    assert.deepEqual(
      first.sessions.map((s) => s.clientId),
      ['del-me'],
    );
    assert.equal(first.total, 2);
    const second = (await (
      await fetch(`${b.rest}/api/v1/sessions?limit=1&page_token=${first.nextPageToken}`)
    ).json()) as SessionPage;
    assert.deepEqual(
      second.sessions.map((s) => s.clientId),
      ['ses-c'],
    );
    const connected = (await (await fetch(`${b.rest}/api/v1/sessions?connected=true`)).json()) as SessionPage;
    assert.equal(connected.total, 0);
    assert.equal((await fetch(`${b.rest}/api/v1/sessions?connected=maybe`)).status, 400);
    const one = await fetch(`${b.rest}/api/v1/sessions/ses-c`);
    assert.equal(one.status, 200);
    const d = (await one.json()) as SessionDetail;
    assert.deepEqual(
      d.subscriptions.map((s) => s.filter),
      ['c/#'],
    );
    const subs = (await (await fetch(`${b.rest}/api/v1/subscriptions?client_id=ses-c`)).json()) as SubscriptionPage;
    assert.deepEqual(
      subs.subscriptions.map((s) => s.filter),
      ['c/#'],
    );
    const filtered = (await (
      await fetch(`${b.rest}/api/v1/subscriptions?filter=${encodeURIComponent('c/#')}`)
    ).json()) as SubscriptionPage;
    assert.equal(filtered.total, 1);
    assert.equal((await fetch(`${b.rest}/api/v1/sessions/ses-c`, { method: 'DELETE' })).status, 204);
    const gone = await fetch(`${b.rest}/api/v1/sessions/ses-c`);
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), {
      error: { code: 'RMQ_ERR_SESSION_NOT_FOUND', message: 'no session of client "ses-c" on this node' },
    });
    assert.equal((await fetch(`${b.rest}/api/v1/sessions/ses-c`, { method: 'DELETE' })).status, 404);
    // a will waiting for its Will Delay Interval goes out when the session ends [MQTT-3.1.3-9]
    const watcher = await connect(b.mqttPort, { clientId: 'will-watch' });
    await watcher.client.subscribeAsync('wills/#', { qos: 1 });
    const willing = await connect(b.mqttPort, {
      ...v5persistent('will-me'),
      will: {
        topic: 'wills/me',
        payload: Buffer.from('gone'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 600 },
      },
    });
    await willing.client.subscribeAsync('will/t', { qos: 1 });
    assert.equal((await fetch(`${b.rest}/api/v1/sessions/will-me`, { method: 'DELETE' })).status, 204);
    const [will] = await watcher.waitFor(1, 5000);
    assert.equal(will!.topic, 'wills/me');
    assert.equal(will!.payload.toString(), 'gone');
    await willing.end(true);
    await watcher.end(true);
    const openapi = (await (await fetch(`${b.rest}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    const paths = Object.keys(openapi.paths);
    assert.ok(paths.includes('/api/v1/sessions') && paths.includes('/api/v1/subscriptions'), paths.join(' '));
    assert.ok(
      paths.some((p) => p.startsWith('/api/v1/sessions/')),
      paths.join(' '),
    );
  });
});
