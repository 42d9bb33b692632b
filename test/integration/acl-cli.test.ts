// The new ACL rule fields and the regex ban kind through the operator's doors: `robustmq-cli acl add
// --ip --qos --retain` (gRPC), the qos and retain columns of `acl list`, `blacklist add --regex`, bad
// values refused before anything is sent (exit 2), and the REST API; and the rule is enforced (a
// retained QoS 2 PUBLISH from 127.0.0.1 gets 0x87).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Packet } from 'mqtt-packet';
import { cli, json, post, startServer, stopServer, type AclRow, type Server } from '../helpers/admin-cli.js';
import { uniqueId } from '../helpers/clients.js';
import { rawConnect } from '../helpers/raw-client.js';

describe('robustmq-cli acl add --ip --qos --retain, blacklist add --regex', () => {
  let dir: string;
  let server: Server;
  let mqttPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-acl-cli-'));
    server = await startServer(dir);
    mqttPort = server.mqttPort;
  });
  after(async () => {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('acl add --ip --qos --retain stores the conditions; acl list shows them (table and --json)', async () => {
    const add = await cli([
      'acl',
      'add',
      '--permission',
      'deny',
      '--action',
      'publish',
      '--topic',
      'cond/#',
      '--ip',
      '127.0.0.0/8',
      '--qos',
      '2,1',
      '--retain',
      'true',
      '--json',
      '--server',
      server.admin,
    ]);
    assert.equal(add.code, 0, add.stderr);
    const rule = json<AclRow & { qos?: number[]; retain?: boolean }>(add);
    assert.equal(rule.principalKind, 'ip');
    assert.equal(rule.principal, '127.0.0.0/8');
    assert.deepEqual(rule.qos, [1, 2]);
    assert.equal(rule.retain, true);

    const plain = await cli([
      'acl',
      'add',
      '--permission',
      'allow',
      '--action',
      'all',
      '--topic',
      'eq t/#',
      '--all',
      '--json',
      '--server',
      server.admin,
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    const p = json<AclRow & { qos?: number[]; retain?: boolean }>(plain);
    assert.equal(p.filter, 'eq t/#');
    assert.equal('qos' in p, false, 'no condition: no field');
    assert.equal('retain' in p, false);

    const table = await cli(['acl', 'list', '--server', server.admin]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /qos\s*│\s*retain/);
    const row = table.stdout.split('\n').find((l) => l.includes(rule.id))!;
    assert.match(row, /ip 127\.0\.0\.0\/8/);
    assert.match(row, /│ 1,2\s+│ true\s+│/);
    const plainRow = table.stdout.split('\n').find((l) => l.includes(p.id))!;
    assert.match(plainRow, /│ any\s+│ any\s+│/);
  });

  it('bad --qos, --ip or --retain: exit 2, nothing sent', async () => {
    for (const args of [
      ['--qos', '3', '--all'],
      ['--qos', '0,x', '--all'],
      ['--ip', '300.1.1.1'],
      ['--retain', 'maybe', '--all'],
    ]) {
      const r = await cli([
        'acl',
        'add',
        '--permission',
        'deny',
        '--action',
        'all',
        '--topic',
        'x',
        ...args,
        '--server',
        server.admin,
      ]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    const list = json<{ total: number }>(await cli(['acl', 'list', '--json', '--server', server.admin]));
    assert.equal(list.total, 2);
  });

  it('the rule is enforced: a retained QoS 2 PUBLISH from 127.0.0.1 to cond/x gets PUBREC 0x87', async () => {
    const { c } = await rawConnect(mqttPort, uniqueId('cond'), 5);
    try {
      c.write(
        { cmd: 'publish', topic: 'cond/x', qos: 2, retain: true, messageId: 1, payload: 'x', dup: false } as Packet,
        5,
      );
      assert.equal((await c.next<Packet & { reasonCode?: number }>('pubrec')).reasonCode, 0x87);
      c.write(
        { cmd: 'publish', topic: 'cond/x', qos: 1, retain: false, messageId: 2, payload: 'x', dup: false } as Packet,
        5,
      );
      assert.notEqual(
        (await c.next<Packet & { reasonCode?: number }>('puback')).reasonCode,
        0x87,
        'not retained: the rule does not apply',
      );
    } finally {
      c.close();
    }
  });

  it('blacklist add --regex; a catastrophic pattern: exit 2', async () => {
    const ok = await cli(['blacklist', 'add', '--regex', '^bot-[0-9]+$', '--json', '--server', server.admin]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(json<{ kind: string }>(ok).kind, 'regex');
    const bad = await cli(['blacklist', 'add', '--regex', '(a+)+', '--server', server.admin]);
    assert.equal(bad.code, 2, bad.stderr);
    const list = await cli(['blacklist', 'list', '--kind', 'regex', '--json', '--server', server.admin]);
    assert.equal(json<{ bans: { value: string }[] }>(list).bans[0]!.value, '^bot-[0-9]+$');
  });

  it('REST: POST /api/v1/acls with qos and retain; a retain condition with action subscribe is 400', async () => {
    const res = await post(`${server.rest}/api/v1/acls`, {
      principalKind: 'client',
      principal: 'svc',
      filter: 'r/#',
      action: 'publish',
      permission: 'allow',
      qos: [0],
      retain: false,
    });
    assert.equal(res.status, 201);
    const body = (await res.json()) as { qos: number[]; retain: boolean };
    assert.deepEqual(body.qos, [0]);
    assert.equal(body.retain, false);
    const bad = await post(`${server.rest}/api/v1/acls`, {
      principalKind: 'all',
      filter: 'r/#',
      action: 'subscribe',
      permission: 'allow',
      retain: true,
    });
    assert.equal(bad.status, 400);
  });
});
