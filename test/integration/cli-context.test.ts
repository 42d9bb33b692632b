// robustmq-cli's targets: contexts kept in a temp XDG_CONFIG_HOME (add, use, list, remove; file mode
// 0600; tokens never printed), the target each admin command resolves (--server, ROBUSTMQ_SERVER,
// --context, the current context, the default) really used against a broker started by the test and
// a dead port, and the context's token sent only to its own server.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { adminServiceClient } from '../../src/lib/admin-proto.js';
import { freePort } from '../helpers/child.js';
import { jsonOf, runCli, startCliBroker, type CliBroker } from '../helpers/cli.js';
import { connect, type TestClient } from '../helpers/clients.js';

interface ContextRow {
  name: string;
  server: string;
  tokenSet: boolean;
  current: boolean;
}

describe('robustmq-cli context', () => {
  let home: string;
  let env: Record<string, string>;
  let broker: CliBroker;
  let dead: string;
  let client: TestClient;

  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra });

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'rmq-cli-home-'));
    env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config') };
    broker = await startCliBroker(['--log-level', 'info']);
    dead = `127.0.0.1:${await freePort()}`;
    client = await connect(broker.mqttPort, { clientId: 'ctx-client' });
  });

  after(async () => {
    await client?.client.endAsync();
    await broker?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('context list with no file yet: says how to add one, and --json is an empty list', async () => {
    const table = await cli(['context', 'list']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /no contexts yet: add one with robustmq-cli context add/);
    const doc = jsonOf<{ current: string | null; contexts: ContextRow[] }>(await cli(['context', 'list', '--json']));
    assert.deepEqual(doc.contexts, []);
    assert.equal(doc.current, null);
  });

  it('context add saves to $XDG_CONFIG_HOME/robustmq/contexts.json with mode 0600; list never prints the token', async () => {
    const added = await cli(['context', 'add', 'local', '--server', broker.admin, '--token', 's3cret-token', '--use']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /context local saved .*now current/);
    assert.equal((await cli(['context', 'add', 'down', '--server', dead])).code, 0);
    const file = join(env.XDG_CONFIG_HOME!, 'robustmq', 'contexts.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /s3cret-token/); // kept, for the calls

    const table = await cli(['context', 'list']);
    assert.equal(table.code, 0, table.stderr);
    assert.doesNotMatch(table.stdout + table.stderr, /s3cret/);
    const local = table.stdout.split('\n').find((l) => l.includes(' local '));
    assert.ok(local, table.stdout);
    assert.match(local, /\*/);
    assert.match(local, new RegExp(`${broker.admin}.*set`));
    const doc = await cli(['context', 'list', '--json']);
    assert.doesNotMatch(doc.stdout, /s3cret/);
    const parsed = jsonOf<{ current: string; contexts: ContextRow[] }>(doc);
    assert.equal(parsed.current, 'local');
    assert.deepEqual(parsed.contexts, [
      { name: 'down', server: dead, tokenSet: false, current: false },
      { name: 'local', server: broker.admin, tokenSet: true, current: true },
    ]);
  });

  it('the current context is the target when neither --server nor ROBUSTMQ_SERVER is given', async () => {
    const status = jsonOf<{ status: string; server: string; node: { connections: number } }>(
      await cli(['server', 'status', '--json']),
    );
    assert.equal(status.status, 'running');
    assert.equal(status.server, broker.admin);
    assert.equal(status.node.connections, 1);
  });

  it('context use switches the target: a context on a dead port exits 3 naming it', async () => {
    const used = await cli(['context', 'use', 'down']);
    assert.equal(used.code, 0, used.stderr);
    assert.match(used.stdout, /current context: down/);
    const r = await cli(['cluster', 'status']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`RMQ_ERR_UNREACHABLE: cannot reach the admin endpoint at ${dead}`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it('--server, then --context, then ROBUSTMQ_SERVER, then ROBUSTMQ_CONTEXT, then the current context', async () => {
    assert.equal((await cli(['cluster', 'status', '--server', broker.admin])).code, 0);
    assert.equal((await cli(['cluster', 'status'], { ROBUSTMQ_SERVER: broker.admin })).code, 0);
    assert.equal((await cli(['cluster', 'status', '--context', 'local'])).code, 0);
    assert.equal((await cli(['cluster', 'status'], { ROBUSTMQ_CONTEXT: 'local' })).code, 0);
    // the --server flag wins over a named context; a typed --context wins over ROBUSTMQ_SERVER (an
    // exported variable must not send a command meant for one cluster to another)
    assert.equal((await cli(['cluster', 'status', '--context', 'local', '--server', dead])).code, 3);
    assert.equal((await cli(['cluster', 'status', '--context', 'local'], { ROBUSTMQ_SERVER: dead })).code, 0);
    assert.equal((await cli(['cluster', 'status'], { ROBUSTMQ_SERVER: dead, ROBUSTMQ_CONTEXT: 'local' })).code, 3);
  });

  it('an unknown context exits 2 with a line naming context list', async () => {
    for (const args of [
      ['cluster', 'status', '--context', 'nope'],
      ['context', 'use', 'nope'],
      ['context', 'remove', 'nope'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^Error: RMQ_ERR_CONTEXT_NOT_FOUND: no context named "nope"; see robustmq-cli context list\n$/,
      );
    }
  });

  it('bad names and addresses exit 2; an existing name needs --force', async () => {
    assert.equal((await cli(['context', 'add', 'x', '--server', 'no-port'])).code, 2);
    assert.equal((await cli(['context', 'add', 'x', '--server', '127.0.0.1:70000'])).code, 2);
    assert.equal((await cli(['context', 'add', 'bad/name', '--server', dead])).code, 2);
    assert.equal((await cli(['context', 'add', 'x'])).code, 2); // --server is required
    const again = await cli(['context', 'add', 'down', '--server', broker.admin]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists; add --force/);
    assert.equal((await cli(['context', 'add', 'down', '--server', dead, '--force'])).code, 0);
  });

  it('context remove forgets it; removing the current one leaves none current (the default target)', async () => {
    const r = await cli(['context', 'remove', 'down']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /context down removed; no context is current now/);
    const doc = jsonOf<{ current: string | null; contexts: ContextRow[] }>(await cli(['context', 'list', '--json']));
    assert.equal(doc.current, null);
    assert.deepEqual(
      doc.contexts.map((c) => c.name),
      ['local'],
    );
    // no context: 127.0.0.1:1228 (the test never binds it; whatever answers there, the address is named)
    const status = await cli(['server', 'status', '--json', '--timeout', '2']);
    assert.equal(JSON.parse(status.stdout).server, '127.0.0.1:1228');
  });
});

describe('robustmq-cli sends a context token to that context server only', () => {
  let home: string;
  let env: Record<string, string>;
  let server: grpc.Server;
  let address: string;
  const seen: string[] = [];

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'rmq-cli-home-'));
    env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config') };
    // an admin endpoint that records the authorization metadata and answers UNAUTHENTICATED
    server = new grpc.Server();
    server.addService(adminServiceClient().service, {
      GetClusterStatus: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        seen.push(String(call.metadata.get('authorization')[0] ?? ''));
        cb({ code: grpc.status.UNAUTHENTICATED, details: 'recorded' });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  after(() => {
    server.forceShutdown();
    rmSync(home, { recursive: true, force: true });
  });

  it('the current context token goes with calls to its server; --token and ROBUSTMQ_TOKEN replace it', async () => {
    assert.equal(
      (await runCli(['context', 'add', 'secured', '--server', address, '--token', 'ctx-token', '--use'], env)).code,
      0,
    );
    seen.length = 0;
    await runCli(['cluster', 'status'], env);
    await runCli(['cluster', 'status', '--token', 'flag-token'], env);
    await runCli(['cluster', 'status'], { ...env, ROBUSTMQ_TOKEN: 'env-token' });
    // the same server named explicitly is still the context's server
    await runCli(['cluster', 'status', '--server', address], env);
    assert.deepEqual(seen, ['Bearer ctx-token', 'Bearer flag-token', 'Bearer env-token', 'Bearer ctx-token']);
  });

  it('a --server that is not the context server does not get the context token', async () => {
    const other = new grpc.Server();
    const otherSeen: string[] = [];
    other.addService(adminServiceClient().service, {
      GetClusterStatus: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        otherSeen.push(String(call.metadata.get('authorization')[0] ?? ''));
        cb({ code: grpc.status.UNAUTHENTICATED, details: 'recorded' });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      other.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    try {
      await runCli(['cluster', 'status', '--server', `127.0.0.1:${port}`], env);
      await runCli(['cluster', 'status'], { ...env, ROBUSTMQ_SERVER: `127.0.0.1:${port}` });
      assert.deepEqual(otherSeen, ['', '']);
    } finally {
      other.forceShutdown();
    }
  });
});

describe('robustmq-cli with a context file that is not JSON', () => {
  it('says which file, never writes over it, and still runs with --server', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rmq-cli-home-'));
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config') };
    const file = join(home, 'config', 'robustmq', 'contexts.json');
    mkdirSync(join(home, 'config', 'robustmq'), { recursive: true });
    writeFileSync(file, '{"contexts": {"prod": ');
    try {
      for (const args of [
        ['context', 'list'],
        ['context', 'add', 'x', '--server', '127.0.0.1:1'],
        ['cluster', 'status'],
      ]) {
        const r = await runCli(args, env);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        assert.match(
          r.stderr,
          new RegExp(`^Error: RMQ_ERR_CONFIG_FILE: cannot use the CLI context file ${file}: .*fix or remove`),
        );
      }
      assert.equal(readFileSync(file, 'utf8'), '{"contexts": {"prod": ');
      const dead = `127.0.0.1:${await freePort()}`;
      assert.equal((await runCli(['cluster', 'status', '--server', dead], env)).code, 3);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
