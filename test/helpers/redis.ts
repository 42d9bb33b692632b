// A throwaway Redis server for tests (Debian's redis-server): 127.0.0.1 on a free port, a password
// (requirepass), nothing saved to disk (--save '' --appendonly no). stop() takes it down and start()
// brings it back on the same port (an outage); destroy() stops it and removes its temp dir.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { freePort } from './child.js';
import { removeDir, startServerProcess, waitUntilUp, type ServerProcess } from './server-process.js';

export const REDIS_PASSWORD = 'redis-test-pw';

export interface RedisServer {
  host: string;
  port: number;
  password: string;
  /** Runs one command on a fresh connection (HSET, DEL ...) and returns its reply. */
  command(args: string[]): Promise<unknown>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function redisServerBinary(): string {
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  if (!bin) throw new Error('redis-server not found: install the Debian package `redis-server` (scripts/ci.sh does)');
  return bin;
}

export async function startRedis(): Promise<RedisServer> {
  const bin = redisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'rmq-redis-'));
  let port = 0;
  let server: ServerProcess | undefined;

  const command = async (args: string[]) => {
    const c = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false }, password: REDIS_PASSWORD });
    c.on('error', () => {});
    await c.connect();
    try {
      return await c.sendCommand(args);
    } finally {
      c.destroy();
    }
  };

  const launch = async () => {
    server = startServerProcess(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--requirepass',
        REDIS_PASSWORD,
        '--protected-mode',
        'no',
      ],
      dir,
    );
    await waitUntilUp(server, () => command(['PING']), 20_000, 'redis-server');
  };

  // a free port can be taken by someone else before the server binds it: try a few
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      await server?.stop(1000);
      if (attempt >= 3) {
        removeDir(dir);
        throw err;
      }
    }
  }

  return {
    host: '127.0.0.1',
    port,
    password: REDIS_PASSWORD,
    command,
    stop: async () => {
      await server?.stop();
      server = undefined;
    },
    start: async () => {
      if (!server) await launch();
    },
    destroy: async () => {
      await server?.stop();
      removeDir(dir);
    },
  };
}
