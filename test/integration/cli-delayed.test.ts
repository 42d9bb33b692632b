// `robustmq-cli delayed list|get|delete` as an operator runs them (the built CLI, a subprocess)
// against a broker started by the test (`server start`, sqlite storage), with delayed messages
// published by real MQTT.js clients: list in due-time order (table and --json, --topic, paging),
// get with the payload as text or base64 and the v5 properties, delete (the message is never
// delivered), delete --all, unknown ids (exit 1), the held messages after a restart, `config set
// delayed.*` at run time, and the REST routes. Worker mode: the calls answer RMQ_ERR_UNSUPPORTED.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { DelayedInfo as DelayedRow, DelayedMessage } from '../../src/lib/admin-api.js';
import { assertGrpcRefusal, json, startAdminBroker, type AdminBroker } from '../helpers/admin-broker.js';
import { killLeftovers } from '../helpers/child.js';
import { connect, delay, type TestClient } from '../helpers/clients.js';

interface DelayedPage {
  delayed: DelayedRow[];
  nextPageToken: string;
  total: number;
}

describe('robustmq-cli delayed commands', () => {
  let b: AdminBroker;
  let pub: TestClient;
  let sent = 0;

  const list = async (...args: string[]) => json<DelayedPage>(await b.cli(['delayed', 'list', '--json', ...args]));

  before(async () => {
    b = await startAdminBroker();
    pub = await connect(b.mqttPort, { clientId: 'cd-pub', protocolVersion: 5 });
    sent = Date.now();
    await pub.client.publishAsync('$delayed/900/cd/late', 'third', { qos: 1 });
    await pub.client.publishAsync('$delayed/600/cd/text', 'hello', {
      qos: 1,
      retain: true,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 3600,
        contentType: 'text/plain',
        correlationData: Buffer.from([1, 2, 3]),
        userProperties: { k: 'v' },
      },
    });
    await pub.client.publishAsync('$delayed/700/other/bin', Buffer.from([0xff, 0xfe, 0x00]), { qos: 2 });
  });

  after(async () => {
    await pub.end(true);
    await b.stop();
    killLeftovers();
  });

  it('delayed list --json: every held message in due-time order, without payloads', async () => {
    const page = await list();
    assert.equal(page.total, 3);
    assert.equal(page.nextPageToken, '');
    assert.deepEqual(
      page.delayed.map((m) => [m.topic, m.qos, m.retain, m.payloadBytes, m.origin]),
      [
        ['cd/text', 1, true, 5, 'cd-pub'],
        ['other/bin', 2, false, 3, 'cd-pub'],
        ['cd/late', 1, false, 5, 'cd-pub'],
      ],
    );
    const text = page.delayed[0]!;
    assert.ok(text.publishedAtMs >= sent - 1000 && text.publishedAtMs <= Date.now(), String(text.publishedAtMs));
    assert.equal(text.dueAtMs, text.publishedAtMs + 600_000);
    assert.equal(text.expiresAtMs, text.publishedAtMs + 3_600_000);
    assert.equal(page.delayed[1]!.expiresAtMs, 0);
    assert.match(text.id, /^\d{13}-\d{6}$/);
    assert.ok(text.id.startsWith(String(text.dueAtMs)));
  });

  it('delayed list --topic (a text in the destination), paging with --limit, the page token, --all; the table', async () => {
    assert.deepEqual(
      (await list('--topic', 'cd/')).delayed.map((m) => m.topic),
      ['cd/text', 'cd/late'],
    );
    assert.equal((await list('--topic', 'cd/')).total, 2);
    assert.deepEqual((await list('--topic', 'nothing')).delayed, []);
    const first = await list('--limit', '2');
    assert.deepEqual(
      first.delayed.map((m) => m.topic),
      ['cd/text', 'other/bin'],
    );
    assert.notEqual(first.nextPageToken, '');
    const second = await list('--limit', '2', '--page-token', first.nextPageToken);
    assert.deepEqual(
      second.delayed.map((m) => m.topic),
      ['cd/late'],
    );
    assert.equal(second.nextPageToken, '');
    assert.equal((await list('--limit', '1', '--all')).delayed.length, 3);
    const table = await b.cli(['delayed', 'list', '--limit', '2']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /│ id\s+│ topic\s+│ qos\s+│ retain\s+│ bytes\s+│ due at\s+│ expires at\s+│ publisher\s+│/,
    );
    assert.match(table.stdout, /│ \d{13}-\d{6}\s+│ cd\/text\s+│ 1\s+│ yes\s+│ 5\s+│ \d{4}-[\d-]+T[\d:.]+Z\s+│ \d{4}-/);
    assert.match(table.stdout, /│ other\/bin\s+│ 2\s+│ no\s+│ 3\s+│ \d{4}-[\d-]+T[\d:.]+Z\s+│ never\s+│ cd-pub\s+│/);
    assert.match(table.stdout, /2 of 3 delayed message\(s\); next page: --page-token \S+/);
  });

  it('delayed get: the payload as text or base64 (payloadEncoding) and the v5 properties; unknown is exit 1', async () => {
    const [text, bin] = (await list()).delayed;
    const m = json<DelayedMessage>(await b.cli(['delayed', 'get', text!.id, '--json']));
    assert.equal(m.topic, 'cd/text');
    assert.equal(m.payload, 'hello');
    assert.equal(m.payloadEncoding, 'utf8');
    assert.deepEqual(m.properties, {
      payloadFormatIndicator: 1,
      messageExpiryIntervalS: 3600,
      contentType: 'text/plain',
      responseTopic: '',
      correlationData: Buffer.from([1, 2, 3]).toString('base64'),
      userProperties: [{ key: 'k', value: 'v' }],
    });
    const b64 = json<DelayedMessage>(await b.cli(['delayed', 'get', bin!.id, '--json']));
    assert.equal(b64.payloadEncoding, 'base64');
    assert.deepEqual(Buffer.from(b64.payload, 'base64'), Buffer.from([0xff, 0xfe, 0x00]));
    const table = await b.cli(['delayed', 'get', text!.id]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /│ topic\s+│ cd\/text\s+│/);
    assert.match(table.stdout, /│ payload\s+│ hello\s+│/);
    assert.match(table.stdout, /│ retain\s+│ yes\s+│/);
    assert.match(table.stdout, /│ user property k\s+│ v\s+│/);
    assert.match((await b.cli(['delayed', 'get', bin!.id])).stdout, /│ payload \(base64\)\s+│ \/\/4A\s+│/);
    const none = await b.cli(['delayed', 'get', '0000000000000-000000']);
    assert.equal(none.code, 1);
    assert.equal(none.stdout, '');
    assert.match(
      none.stderr,
      /^Error: RMQ_ERR_DELAYED_NOT_FOUND: no delayed message "0000000000000-000000" is held\n$/,
    );
    await assertGrpcRefusal(
      b.admin,
      (api) => api.getDelayed('nope'),
      'RMQ_ERR_DELAYED_NOT_FOUND',
      grpc.status.NOT_FOUND,
    );
  });

  it('held messages survive a restart (sqlite): the same ids, topics and due times', async () => {
    const before = await list();
    await b.restart();
    assert.deepEqual(await list(), before);
  });

  it('delayed delete ID cancels the delivery; deleting it again is exit 1', async () => {
    const sub = await connect(b.mqttPort, { protocolVersion: 5 });
    try {
      await sub.client.subscribeAsync('cd/cancel/#', { qos: 1 });
      const p = await connect(b.mqttPort, { protocolVersion: 5 });
      await p.client.publishAsync('$delayed/10/cd/cancel/one', 'no', { qos: 1 });
      const [one] = (await list('--topic', 'cd/cancel/one')).delayed;
      const r = await b.cli(['delayed', 'delete', one!.id]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `cancelled delayed message ${one!.id}`);
      await p.client.publishAsync('$delayed/1/cd/cancel/two', 'yes', { qos: 1 });
      await p.end();
      await sub.waitFor(1, 6000);
      // past the cancelled one's due time: still only the other
      await delay(Math.max(0, one!.dueAtMs + 500 - Date.now()));
      assert.deepEqual(
        sub.messages.map((m) => m.topic),
        ['cd/cancel/two'],
      );
      const again = await b.cli(['delayed', 'delete', one!.id, '--json']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^Error: RMQ_ERR_DELAYED_NOT_FOUND: /);
      const usage = await b.cli(['delayed', 'delete']);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /give either an ID or --all/);
    } finally {
      await sub.end(true);
    }
  });

  it('config set delayed.max_delay_s applies to the next PUBLISH (v5 PUBACK 0x90 above it)', async () => {
    const set = await b.cli(['config', 'set', 'delayed.max_delay_s', '1000', '--json']);
    assert.equal(set.code, 0, set.stderr);
    const p = await connect(b.mqttPort, { protocolVersion: 5 });
    try {
      await assert.rejects(p.client.publishAsync('$delayed/1001/cd/x', 'x', { qos: 1 }), (err: unknown) => {
        assert.equal((err as { code?: number }).code, 0x90);
        return true;
      });
    } finally {
      await p.end(true);
    }
    assert.equal((await list()).total, 3);
  });

  it('REST: GET /api/v1/delayed (topic, paging), GET/DELETE /api/v1/delayed/{id}, 404s; delete --all', async () => {
    const res = await fetch(`${b.rest}/api/v1/delayed?topic=cd&limit=1`);
    assert.equal(res.status, 200);
    const first = (await res.json()) as DelayedPage;
    assert.deepEqual(
      first.delayed.map((m) => m.topic),
      ['cd/text'],
    );
    assert.equal(first.total, 2);
    const second = (await (
      await fetch(`${b.rest}/api/v1/delayed?topic=cd&page_token=${first.nextPageToken}`)
    ).json()) as DelayedPage;
    assert.deepEqual(
      second.delayed.map((m) => m.topic),
      ['cd/late'],
    );
    const id = second.delayed[0]!.id;
    const one = await fetch(`${b.rest}/api/v1/delayed/${id}`);
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as DelayedMessage).payload, 'third');
    assert.equal((await fetch(`${b.rest}/api/v1/delayed/${id}`, { method: 'DELETE' })).status, 204);
    const gone = await fetch(`${b.rest}/api/v1/delayed/${id}`);
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), {
      error: { code: 'RMQ_ERR_DELAYED_NOT_FOUND', message: `no delayed message "${id}" is held` },
    });
    assert.equal((await fetch(`${b.rest}/api/v1/delayed?limit=0`)).status, 400);
    const openapi = (await (await fetch(`${b.rest}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(Object.keys(openapi.paths).includes('/api/v1/delayed'));

    const all = await b.cli(['delayed', 'delete', '--all', '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(json<{ deleted: string[] }>(all).deleted.length, 2);
    assert.equal((await list()).total, 0);
    const table = await b.cli(['delayed', 'list']);
    assert.match(table.stdout, /0 of 0 delayed message\(s\)/);
  });
});

describe('robustmq-cli delayed commands with worker processes', () => {
  let b: AdminBroker;

  before(async () => {
    b = await startAdminBroker(['--workers', '2', '--storage', 'memory']);
  });

  after(async () => {
    await b.stop();
    killLeftovers();
  });

  it('delayed publish works in each worker; listing and cancelling answer RMQ_ERR_UNSUPPORTED', async () => {
    const sub = await connect(b.mqttPort, { protocolVersion: 5, clientId: 'wk-sub' });
    const p = await connect(b.mqttPort, { protocolVersion: 5, clientId: 'wk-pub-3' });
    try {
      await sub.client.subscribeAsync('wk/#', { qos: 1 });
      await p.client.publishAsync('$delayed/1/wk/x', 'w', { qos: 1 });
      const [m] = await sub.waitFor(1, 6000);
      assert.equal(m!.topic, 'wk/x');
    } finally {
      await sub.end(true);
      await p.end(true);
    }
    const r = await b.cli(['delayed', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: RMQ_ERR_UNSUPPORTED: delayed messages cannot be listed/);
  });
});
