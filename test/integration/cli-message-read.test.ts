// `robustmq-cli message read` and its REST twin, GET /api/v1/topics/{name}/messages: a created
// topic's log read a page at a time over the admin API, from a broker started by the test (`server
// start`, a subprocess) into which the CLI's own `message publish` wrote. JSON and table output,
// offsets and the next page, a time to start from, and the errors with their exit codes / statuses.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/child.js';
import { cli, jsonOf as json, startCliServer, type CliServer } from '../helpers/cli-server.js';

interface MessagePage {
  topic: string;
  partition: number;
  messages: {
    partition: number;
    offset: number;
    timestampMs: number;
    qos: number;
    clientId: string;
    payload: string;
    payloadEncoding: string;
    payloadBytes: number;
    properties: { userProperties: { key: string; value: string }[] };
  }[];
  nextOffset: number;
  firstOffset: number;
  endOffset: number;
}

describe('robustmq-cli message read and GET /api/v1/topics/{name}/messages', () => {
  let srv: CliServer;
  let admin: string;
  let rest: string;
  let dir: string;
  let mq: string[];

  before(async () => {
    srv = await startCliServer();
    ({ admin, rest, dir } = srv);
    mq = ['--host', '127.0.0.1', '--port', String(srv.mqttPort)];
  });

  after(() => srv.stop());

  it('message read: a created topic log as JSON and a table, offsets, the next page, a time, errors', async () => {
    const created = await cli(['topic', 'create', '--name', 'cli/log', '--partitions', '1', '--server', admin]);
    assert.equal(created.code, 0, created.stderr);
    const before = Date.now();
    for (const m of ['one', 'two', 'three']) {
      const r = await cli(['message', 'publish', ...mq, '-t', 'cli/log', '-m', m, '-q', '1', '--property', 'n=' + m]);
      assert.equal(r.code, 0, r.stderr);
    }
    const binFile = join(dir, 'log.bin');
    writeFileSync(binFile, Buffer.from([0xff, 0x00]));
    assert.equal((await cli(['message', 'publish', ...mq, '-t', 'cli/log', '-f', binFile, '-q', '1'])).code, 0);

    const all = json<MessagePage>(await cli(['message', 'read', '--topic', 'cli/log', '--json', '--server', admin]));
    assert.equal(all.topic, 'cli/log');
    assert.equal(all.partition, 0);
    assert.deepEqual(
      all.messages.map((m) => [m.offset, m.payload, m.payloadEncoding, m.payloadBytes, m.qos]),
      [
        [0, 'one', 'utf8', 3, 1],
        [1, 'two', 'utf8', 3, 1],
        [2, 'three', 'utf8', 5, 1],
        [3, '/wA=', 'base64', 2, 1],
      ],
    );
    assert.deepEqual(all.messages[0]!.properties.userProperties, [{ key: 'n', value: 'one' }]);
    assert.match(all.messages[0]!.clientId, /^robustmq-cli-/);
    assert.ok(all.messages[0]!.timestampMs >= before - 1000);
    assert.deepEqual([all.nextOffset, all.firstOffset, all.endOffset], [4, 0, 4]);

    // pages: two, then the rest from the next offset; from a time: the second message on; a table
    const t = new Date(all.messages[1]!.timestampMs).toISOString();
    const [first, fromTimeRun, table] = await Promise.all([
      cli(['message', 'read', '-t', 'cli/log', '--limit', '2', '--json', '--server', admin]),
      cli(['message', 'read', '-t', 'cli/log', '--from-time', t, '--json', '--server', admin]),
      cli(['message', 'read', '-t', 'cli/log', '--limit', '3', '--server', admin]),
    ]);
    const p1 = json<MessagePage>(first);
    assert.deepEqual(
      p1.messages.map((m) => m.offset),
      [0, 1],
    );
    assert.equal(p1.nextOffset, 2);
    const p2 = json<MessagePage>(
      await cli(['message', 'read', '-t', 'cli/log', '--offset', String(p1.nextOffset), '--json', '--server', admin]),
    );
    assert.deepEqual(
      p2.messages.map((m) => m.payload),
      ['three', '/wA='],
    );
    assert.equal(p2.nextOffset, 4);
    assert.equal(json<MessagePage>(fromTimeRun).messages[0]!.offset, 1);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /│ offset │ received at +│ qos │ client +│ bytes │ payload +│ properties │/);
    assert.match(table.stdout, /│ 2 +│ \S+Z │ 1 +│ robustmq-cli-\w+ │ 5 +│ three +│ n=three +│/);
    assert.match(
      table.stdout,
      /\n3 message\(s\); partition 0 of "cli\/log" keeps offsets 0 to 3; next page: --offset 3$/,
    );

    const [unknown, badPartition, past, badTime, unreachable] = await Promise.all([
      cli(['message', 'read', '-t', 'cli/none', '--server', admin]),
      cli(['message', 'read', '-t', 'cli/log', '--partition', '3', '--server', admin]),
      cli(['message', 'read', '-t', 'cli/log', '--offset', '9', '--server', admin]),
      cli(['message', 'read', '-t', 'cli/log', '--from-time', 'soon', '--server', admin]),
      freePort().then((port) => cli(['message', 'read', '-t', 'cli/log', '--server', `127.0.0.1:${port}`])),
    ]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'Error: RMQ_ERR_TOPIC_NOT_FOUND: topic "cli/none" has not been created\n');
    assert.equal(badPartition.code, 1);
    assert.match(badPartition.stderr, /^Error: RMQ_ERR_INVALID_ARGUMENT: partition must be from 0 to 0/);
    assert.equal(past.code, 1);
    assert.match(
      past.stderr,
      /offset 9 is past the end of partition 0 of "cli\/log" \(the next message gets offset 4\)/,
    );
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--from-time must be an ISO 8601 date/);
    assert.equal(unreachable.code, 3);

    // REST: the same page; the name is one path segment, its slashes encoded
    const res = await fetch(`${rest}/api/v1/topics/cli%2Flog/messages?offset=1&limit=2`);
    assert.equal(res.status, 200);
    const page = (await res.json()) as MessagePage;
    assert.deepEqual(
      page.messages.map((m) => [m.offset, m.payload]),
      [
        [1, 'two'],
        [2, 'three'],
      ],
    );
    assert.deepEqual([page.nextOffset, page.firstOffset, page.endOffset], [3, 0, 4]);
    const raw = await fetch(`${rest}/api/v1/topics/cli/log/messages`);
    assert.equal(raw.status, 404);
    assert.match(
      ((await raw.json()) as { error: { message: string } }).error.message,
      /encode them: \/api\/v1\/topics\/cli%2Flog\/messages$/,
    );
    const missing = await fetch(`${rest}/api/v1/topics/cli%2Fnone/messages`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_TOPIC_NOT_FOUND');
    assert.equal((await fetch(`${rest}/api/v1/topics/cli%2Flog/messages?partition=7`)).status, 400);
    assert.equal((await fetch(`${rest}/api/v1/topics/cli%2Flog/messages?offset=-1`)).status, 400);
    const openapi = (await (await fetch(`${rest}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok('/api/v1/topics/{name}/messages' in openapi.paths);
  });

  it('with worker processes: RMQ_ERR_UNSUPPORTED (exit 1, REST 409), topic logs live in one process', async () => {
    const workers = await startCliServer({}, ['--workers', '2', '--storage', 'memory']);
    try {
      const r = await cli(['message', 'read', '-t', 'orders', '--server', workers.admin]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^Error: RMQ_ERR_UNSUPPORTED: topics with a log are not available with node.workers > 1/);
      const res = await fetch(`${workers.rest}/api/v1/topics/orders/messages`);
      assert.equal(res.status, 409);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_UNSUPPORTED');
    } finally {
      await workers.stop();
    }
  });
});
