// ACL rules and bans with --workers 2 --storage memory: a rule or ban made through the primary is
// enforced by every worker (clients land on either worker by their connection), and a ban added
// while clients are connected disconnects them wherever they are.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IConnackPacket, IDisconnectPacket, Packet } from 'mqtt-packet';
import { cli, startServer, stopServer, type Server } from '../helpers/admin-cli.js';
import { uniqueId } from '../helpers/clients.js';
import { connectPacket, rawConnect, RawClient } from '../helpers/raw-client.js';

describe('ACL rules and bans with --workers 2', () => {
  let dir: string;
  let server: Server;
  let port: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-acl-w-'));
    server = await startServer(dir, ['--workers', '2', '--storage', 'memory']);
    port = server.mqttPort;
  });
  after(async () => {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a deny rule reaches every worker: each of several clients gets PUBACK 0x87', async () => {
    const add = await cli([
      'acl',
      'add',
      '--permission',
      'deny',
      '--action',
      'publish',
      '--topic',
      'w/#',
      '--all',
      '--server',
      server.admin,
    ]);
    assert.equal(add.code, 0, add.stderr);
    for (let i = 0; i < 6; i++) {
      const { c } = await rawConnect(port, uniqueId('w'), 5);
      c.write(
        { cmd: 'publish', topic: 'w/x', qos: 1, messageId: 1, payload: 'x', retain: false, dup: false } as Packet,
        5,
      );
      assert.equal((await c.next<Packet & { reasonCode?: number }>('puback')).reasonCode, 0x87, `client ${i}`);
      c.close();
    }
  });

  it('a ban reaches every worker: connected clients are disconnected (0x98), new ones refused (0x8A)', async () => {
    const conns: RawClient[] = [];
    for (let i = 0; i < 4; i++) conns.push((await rawConnect(port, uniqueId('w'), 5, { username: 'wbanned' })).c);
    const ban = await cli(['blacklist', 'add', '--username', 'wbanned', '--server', server.admin]);
    assert.equal(ban.code, 0, ban.stderr);
    for (const c of conns) {
      assert.equal((await c.next<IDisconnectPacket>('disconnect')).reasonCode, 0x98);
      assert.ok(await c.waitClosed());
    }
    for (let i = 0; i < 4; i++) {
      const c = await RawClient.open(port, 5);
      c.write(connectPacket(uniqueId('w'), 5, { username: 'wbanned' }), 5);
      assert.equal((await c.next<IConnackPacket>('connack')).reasonCode, 0x8a);
      c.close();
    }
  });
});
