// `robustmq-cli topic-rewrite create | list | delete` against `server start` (sqlite in a temp data
// dir): table and --json output, a config-file rule listed first with its source, runtime rules
// stored and applied again after a restart on the same data dir, bad rules refused before anything
// is sent (exit 2, one line), unknown ids (exit 1), and the REST routes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, json, startServer, stopServer, type Server } from '../helpers/admin-cli.js';
import { connect, type TestClient } from '../helpers/clients.js';

interface RuleRow {
  id: string;
  position: number;
  action: string;
  sourceTopic: string;
  regex: string;
  destTopic: string;
  source: string;
  createdAtMs: number;
}

const CONFIG = `[[topic_rewrite.rules]]
action = "publish"
source_topic = "cfg/#"
regex = '^cfg/(.+)$'
dest_topic = "cfg-out/$1"
`;

describe('robustmq-cli topic-rewrite', () => {
  let dir: string;
  let server: Server;
  let configFile: string;
  let port = 0;
  const mqttPort = (): number => port;

  /** `server start` with the config file and sqlite storage in `dir`. */
  async function start(): Promise<Server> {
    const s = await startServer(dir, ['--config', configFile, '--storage', 'sqlite']);
    port = s.mqttPort;
    return s;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-rewrite-cli-'));
    configFile = join(dir, 'robustmq.toml');
    writeFileSync(configFile, CONFIG);
    server = await start();
  });
  after(async () => {
    if (server.child.proc.exitCode === null) await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Publishes `topic` and returns the topic a subscriber to `#` gets it under. */
  async function deliveredAs(mqttPortNow: number, topic: string): Promise<string> {
    const clients: TestClient[] = [];
    try {
      const sub = await connect(mqttPortNow, { protocolVersion: 5 });
      clients.push(sub);
      await sub.client.subscribeAsync('#', { qos: 1 });
      const pub = await connect(mqttPortNow, { protocolVersion: 4 });
      clients.push(pub);
      await pub.client.publishAsync(topic, 'x', { qos: 1 });
      const [m] = await sub.waitFor(1);
      return m!.topic;
    } finally {
      await Promise.all(clients.map((c) => c.end(true)));
    }
  }

  it('create prints a table, list shows the config rule first (table and --json), the rule applies and survives a restart', async () => {
    const created = await cli([
      'topic-rewrite',
      'create',
      '--action',
      'publish',
      '--source',
      'dev/#',
      '--regex',
      '^dev/([^/]+)/(.+)$',
      '--dest',
      'fleet/$2/$1',
      '--server',
      server.admin,
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /added topic rewrite rule [0-9a-f]{8}/);
    assert.match(created.stdout, /fleet\/\$2\/\$1/);
    assert.match(created.stdout, /│ api /);

    const second = json<RuleRow>(
      await cli([
        'topic-rewrite',
        'create',
        '--action',
        'subscribe',
        '--source',
        'legacy/#',
        '--regex',
        '^legacy/(.+)$',
        '--dest',
        'modern/$1',
        '--position',
        '2',
        '--json',
        '--server',
        server.admin,
      ]),
    );
    assert.equal(second.position, 2);
    assert.equal(second.source, 'api');

    const list = json<{ rules: RuleRow[]; total: number }>(
      await cli(['topic-rewrite', 'list', '--json', '--server', server.admin]),
    );
    assert.equal(list.total, 3);
    assert.deepEqual(
      list.rules.map((r) => [r.position, r.source, r.sourceTopic]),
      [
        [1, 'config', 'cfg/#'],
        [2, 'api', 'legacy/#'],
        [3, 'api', 'dev/#'],
      ],
    );
    assert.equal(list.rules[0]!.id, 'config-1');

    const table = await cli(['topic-rewrite', 'list', '--server', server.admin]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split('\n');
    assert.match(
      lines.find((l) => l.includes('source topic'))!,
      /pos.*id.*action.*source topic.*regex.*dest topic.*source/,
    );
    assert.ok(lines.some((l) => l.includes('config-1') && l.includes('cfg/#') && l.includes('config')));
    assert.match(table.stdout, /3 of 3 rule\(s\)/);

    assert.equal(await deliveredAs(mqttPort(), 'dev/pump-1/temp'), 'fleet/temp/pump-1');
    assert.equal(await deliveredAs(mqttPort(), 'cfg/a'), 'cfg-out/a');

    // restart on the same data dir: the runtime rules are read back, in their order
    await stopServer(server);
    server = await start();
    const again = json<{ rules: RuleRow[] }>(await cli(['topic-rewrite', 'list', '--json', '--server', server.admin]));
    assert.deepEqual(
      again.rules.map((r) => [r.id, r.position]),
      list.rules.map((r) => [r.id, r.position]),
    );
    assert.equal(await deliveredAs(mqttPort(), 'dev/pump-2/rpm'), 'fleet/rpm/pump-2');

    // delete (--json), then the topic is no longer rewritten
    const del = json<{ deleted: string }>(
      await cli(['topic-rewrite', 'delete', list.rules[2]!.id, '--json', '--server', server.admin]),
    );
    assert.equal(del.deleted, list.rules[2]!.id);
    assert.equal(await deliveredAs(mqttPort(), 'dev/pump-3/rpm'), 'dev/pump-3/rpm');
  });

  it('an invalid regex or destination: exit 2 with a one-line reason, nothing sent', async () => {
    const base = ['topic-rewrite', 'create', '--action', 'all', '--source', 'a/#', '--server', server.admin];
    const badRegex = await cli([...base, '--regex', '^a/(.+$', '--dest', 'b/$1']);
    assert.equal(badRegex.code, 2);
    assert.equal(badRegex.stderr.trim().split('\n').length, 1, badRegex.stderr);
    assert.match(badRegex.stderr, /RMQ_ERR_INVALID_ARGUMENT: regex "\^a\/\(\.\+\$" is not a valid regular expression/);
    const nested = await cli([...base, '--regex', '^(a+)+$', '--dest', 'b']);
    assert.equal(nested.code, 2);
    assert.match(nested.stderr, /exponential/);
    const badDest = await cli([...base, '--regex', '^a/(.+)$', '--dest', 'b/$3']);
    assert.equal(badDest.code, 2);
    assert.match(badDest.stderr, /uses \$3 but the regex has 1 capture group/);
    const list = json<{ total: number }>(await cli(['topic-rewrite', 'list', '--json', '--server', server.admin]));
    assert.equal(list.total, 2, 'nothing was created');
  });

  it('delete of an unknown id or a config rule: exit 1 with the reason', async () => {
    const unknown = await cli(['topic-rewrite', 'delete', 'deadbeef', '--server', server.admin]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /RMQ_ERR_TOPIC_REWRITE_NOT_FOUND/);
    const config = await cli(['topic-rewrite', 'delete', 'config-1', '--server', server.admin]);
    assert.equal(config.code, 1);
    assert.match(config.stderr, /^Error: RMQ_ERR_CONFIG_DEFINED: .*configuration file/);
  });

  it('REST: POST 201, GET list, DELETE 204, bad regex 400 with the error body', async () => {
    const post = await fetch(`${server.rest}/api/v1/topic-rewrites`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'publish', sourceTopic: 'r/#', regex: '^r/(.+)$', destTopic: 'rr/$1' }),
    });
    assert.equal(post.status, 201);
    const rule = (await post.json()) as RuleRow;
    const list = (await (await fetch(`${server.rest}/api/v1/topic-rewrites?limit=1`)).json()) as {
      rules: RuleRow[];
      nextPageToken: string;
      total: number;
    };
    assert.equal(list.rules.length, 1);
    assert.ok(list.nextPageToken);
    assert.equal(list.total, 3);
    const bad = await fetch(`${server.rest}/api/v1/topic-rewrites`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'publish', sourceTopic: 'r/#', regex: '(', destTopic: 'x' }),
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'RMQ_ERR_INVALID_ARGUMENT');
    const del = await fetch(`${server.rest}/api/v1/topic-rewrites/${rule.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const gone = await fetch(`${server.rest}/api/v1/topic-rewrites/${rule.id}`, { method: 'DELETE' });
    assert.equal(gone.status, 404);
  });
});
