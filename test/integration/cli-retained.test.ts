// `robustmq-cli retained list|get|delete` as an operator runs them (the built CLI, a subprocess)
// against a broker started by the test (`server start`, sqlite storage), with retained messages
// published by real MQTT.js clients: topic-filter listing and paging, payloads as text or base64
// with their v5 properties, delete (a new subscriber gets nothing, and it stays deleted after a
// restart), unknown topics (exit 1), and the REST routes. Worker mode: cli-retained-workers.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { RetainedInfo as RetainedRow, RetainedMessage } from '../../src/lib/admin-api.js';
import { assertGrpcRefusal, json, startAdminBroker, type AdminBroker } from '../helpers/admin-broker.js';
import { killLeftovers } from '../helpers/child.js';
import { connect, delay } from '../helpers/clients.js';

interface RetainedPage {
  retained: RetainedRow[];
  nextPageToken: string;
  total: number;
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

describe('robustmq-cli retained commands', () => {
  let b: AdminBroker;
  let before0 = 0;

  before(async () => {
    b = await startAdminBroker();
    before0 = Date.now();
    const pub = await connect(b.mqttPort, { clientId: 'rt-pub', protocolVersion: 5 });
    await pub.client.publishAsync('rt/a', 'hello', {
      qos: 1,
      retain: true,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 3600,
        contentType: 'text/plain',
        responseTopic: 'rt/reply',
        correlationData: Buffer.from([1, 2, 3]),
        userProperties: { k: 'v' },
      },
    });
    await pub.client.publishAsync('rt/b/c', Buffer.from([0xff, 0xfe, 0x00]), { qos: 0, retain: true });
    await pub.client.publishAsync('rt/b/d', 'x', { qos: 1, retain: true });
    await pub.client.publishAsync('other/x', 'yy', { qos: 1, retain: true });
    await pub.client.publishAsync('rt/not-retained', 'no', { qos: 1 });
    await pub.end();
  });

  after(async () => {
    await b.stop();
    killLeftovers();
  });

  it('retained list --json: every retained message in topic order, without payloads', async () => {
    const page = json<RetainedPage>(await b.cli(['retained', 'list', '--json']));
    assert.equal(page.total, 4);
    assert.equal(page.nextPageToken, '');
    assert.deepEqual(
      page.retained.map((m) => [m.topic, m.qos, m.payloadBytes, m.origin]),
      [
        ['other/x', 1, 2, 'rt-pub'],
        ['rt/a', 1, 5, 'rt-pub'],
        ['rt/b/c', 0, 3, 'rt-pub'],
        ['rt/b/d', 1, 1, 'rt-pub'],
      ],
    );
    const a = page.retained[1]!;
    assert.ok(a.storedAtMs >= before0 - 1000 && a.storedAtMs <= Date.now(), String(a.storedAtMs));
    assert.equal(a.expiresAtMs, a.storedAtMs + 3_600_000);
    assert.equal(page.retained[0]!.expiresAtMs, 0);
  });

  it('retained list --topic is an MQTT topic filter; a bad filter is exit 1 with the code', async () => {
    const topics = async (filter: string) =>
      json<RetainedPage>(await b.cli(['retained', 'list', '--json', '--topic', filter])).retained.map((m) => m.topic);
    assert.deepEqual(await topics('rt/#'), ['rt/a', 'rt/b/c', 'rt/b/d']);
    assert.deepEqual(await topics('rt/+/c'), ['rt/b/c']);
    const rest = async (filter: string) =>
      (await (await fetch(`${b.rest}/api/v1/retained?topic=${encodeURIComponent(filter)}`)).json()) as RetainedPage;
    const restTopics = async (filter: string) => (await rest(filter)).retained.map((m) => m.topic);
    assert.deepEqual(await restTopics('+/x'), ['other/x']);
    assert.deepEqual(await restTopics('rt/a'), ['rt/a']);
    assert.deepEqual(await restTopics('rt'), []);
    assert.deepEqual(await restTopics('#'), ['other/x', 'rt/a', 'rt/b/c', 'rt/b/d']);
    assert.equal((await rest('rt/b/+')).total, 2);
    const bad = await b.cli(['retained', 'list', '--topic', 'rt/#/x']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error: RMQ_ERR_INVALID_ARGUMENT: topic filter "rt\/#\/x" is not valid/);
  });

  it('retained list pages by topic: --limit, the page token, --all; a table with a footer', async () => {
    const first = json<RetainedPage>(await b.cli(['retained', 'list', '--json', '--topic', 'rt/#', '--limit', '2']));
    assert.deepEqual(
      first.retained.map((m) => m.topic),
      ['rt/a', 'rt/b/c'],
    );
    assert.equal(first.total, 3);
    const second = json<RetainedPage>(
      await b.cli([
        'retained',
        'list',
        '--json',
        '--topic',
        'rt/#',
        '--limit',
        '2',
        '--page-token',
        first.nextPageToken,
      ]),
    );
    assert.deepEqual(
      second.retained.map((m) => m.topic),
      ['rt/b/d'],
    );
    assert.equal(second.nextPageToken, '');
    const all = json<RetainedPage>(await b.cli(['retained', 'list', '--json', '--limit', '1', '--all']));
    assert.equal(all.retained.length, 4);
    const table = await b.cli(['retained', 'list', '--limit', '3']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /│ topic\s+│ qos\s+│ bytes\s+│ stored at\s+│ expires at\s+│/);
    assert.match(table.stdout, /│ rt\/b\/c\s+│ 0\s+│ 3\s+│ \d{4}-[\d-]+T[\d:.]+Z\s+│ never\s+│/);
    assert.match(table.stdout, /3 of 4 retained message\(s\); next page: --page-token \S+/);
  });

  it('retained get: the payload as text or base64 (payloadEncoding), and the v5 properties; unknown is exit 1', async () => {
    const a = json<RetainedMessage>(await b.cli(['retained', 'get', 'rt/a', '--json']));
    assert.equal(a.payload, 'hello');
    assert.equal(a.payloadEncoding, 'utf8');
    assert.deepEqual(a.properties, {
      payloadFormatIndicator: 1,
      messageExpiryIntervalS: 3600,
      contentType: 'text/plain',
      responseTopic: 'rt/reply',
      correlationData: Buffer.from([1, 2, 3]).toString('base64'),
      userProperties: [{ key: 'k', value: 'v' }],
    });
    const bin = json<RetainedMessage>(await b.cli(['retained', 'get', 'rt/b/c', '--json']));
    assert.equal(bin.payloadEncoding, 'base64');
    assert.deepEqual(Buffer.from(bin.payload, 'base64'), Buffer.from([0xff, 0xfe, 0x00]));
    const table = await b.cli(['retained', 'get', 'rt/a']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /│ payload\s+│ hello\s+│/);
    assert.match(table.stdout, /│ content type\s+│ text\/plain\s+│/);
    assert.match(table.stdout, /│ user property k\s+│ v\s+│/);
    const binTable = await b.cli(['retained', 'get', 'rt/b/c']);
    assert.match(binTable.stdout, /│ payload \(base64\)\s+│ \/\/4A\s+│/);
    const none = await b.cli(['retained', 'get', 'rt/none']);
    assert.equal(none.code, 1);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /^Error: RMQ_ERR_RETAINED_NOT_FOUND: no message is retained on topic "rt\/none"\n$/);
    await assertGrpcRefusal(
      b.admin,
      (api) => api.getRetained('rt/none'),
      'RMQ_ERR_RETAINED_NOT_FOUND',
      grpc.status.NOT_FOUND,
    );
  });

  it('retained delete: a new subscriber gets nothing for the topic [MQTT-3.3.1-6]; still gone after a restart', async () => {
    assert.deepEqual(await retainedFor(b.mqttPort, 'rt/b/+', 2), ['rt/b/c', 'rt/b/d']);
    // a subscriber already there is not sent anything by the delete
    const watcher = await connect(b.mqttPort, { clientId: 'rt-watch', protocolVersion: 5 });
    await watcher.client.subscribeAsync('rt/b/d', { qos: 1, rh: 2 });
    const r = await b.cli(['retained', 'delete', 'rt/b/d']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deleted the retained message of rt/b/d');
    assert.deepEqual(await retainedFor(b.mqttPort, 'rt/b/+', 1), ['rt/b/c']);
    assert.equal(watcher.messages.length, 0);
    await watcher.end(true);
    const again = await b.cli(['retained', 'delete', 'rt/b/d', '--json']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Error: RMQ_ERR_RETAINED_NOT_FOUND: /);
    await b.restart();
    const page = json<RetainedPage>(await b.cli(['retained', 'list', '--json', '--topic', 'rt/#']));
    assert.deepEqual(
      page.retained.map((m) => m.topic),
      ['rt/a', 'rt/b/c'],
    );
  });

  it('REST: GET /api/v1/retained (topic filter), GET/DELETE /api/v1/retained/{topic with slashes}, 404s', async () => {
    const res = await fetch(`${b.rest}/api/v1/retained?topic=${encodeURIComponent('rt/#')}&limit=1`);
    assert.equal(res.status, 200);
    const first = (await res.json()) as RetainedPage;
    assert.deepEqual(
      first.retained.map((m) => m.topic),
      ['rt/a'],
    );
    assert.equal(first.total, 2);
    const second = (await (
      await fetch(`${b.rest}/api/v1/retained?topic=${encodeURIComponent('rt/#')}&page_token=${first.nextPageToken}`)
    ).json()) as RetainedPage;
    assert.deepEqual(
      second.retained.map((m) => m.topic),
      ['rt/b/c'],
    );
    const one = await fetch(`${b.rest}/api/v1/retained/rt/b/c`);
    assert.equal(one.status, 200);
    const m = (await one.json()) as RetainedMessage;
    assert.equal(m.topic, 'rt/b/c');
    assert.equal(m.payloadEncoding, 'base64');
    assert.equal((await fetch(`${b.rest}/api/v1/retained?topic=a/%23/b`)).status, 400);
    assert.equal((await fetch(`${b.rest}/api/v1/retained/rt/b/c`, { method: 'DELETE' })).status, 204);
    const gone = await fetch(`${b.rest}/api/v1/retained/rt/b/c`);
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), {
      error: { code: 'RMQ_ERR_RETAINED_NOT_FOUND', message: 'no message is retained on topic "rt/b/c"' },
    });
    assert.equal((await fetch(`${b.rest}/api/v1/retained/rt/b/c`, { method: 'DELETE' })).status, 404);
    const openapi = (await (await fetch(`${b.rest}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    const paths = Object.keys(openapi.paths);
    assert.ok(paths.includes('/api/v1/retained'), paths.join(' '));
    assert.ok(
      paths.some((p) => p.startsWith('/api/v1/retained/')),
      paths.join(' '),
    );
  });
});
