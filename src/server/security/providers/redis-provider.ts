// The `redis` authentication provider ([auth.redis]): users in Redis hashes, read with the configured
// HGET or HMGET command (each word one argument, the client's values filled in within it, so a
// username cannot add arguments). One connection (node-redis), made at start and closed at stop;
// while it is down commands fail at once (no offline queue) and it reconnects in the background.
import { createClient } from 'redis';
import type { AuthRedisConfig } from '../../../lib/config-schema-auth-db.js';
import type { Logger } from '../../../lib/logger.js';
import type { AuthRequest } from '../auth-types.js';
import { redisArgs } from './auth-placeholders.js';
import {
  DbAuthProvider,
  NOTHING_TO_LOOK_UP,
  rowFromColumns,
  withTimeout,
  type CredentialRow,
  type CredentialSource,
} from './db-auth-provider.js';

function newClient(c: AuthRedisConfig) {
  return createClient({
    socket: {
      host: c.host,
      port: c.port,
      connectTimeout: c.connect_timeout_ms,
      // keep trying, at most every 2 s: CONNECTs are refused meanwhile
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000),
    },
    username: c.username === '' ? undefined : c.username,
    password: c.password === '' ? undefined : c.password,
    database: c.database,
    disableOfflineQueue: true,
    name: 'robustmq-auth',
  });
}

type Client = ReturnType<typeof newClient>;

class RedisCredentials implements CredentialSource {
  private client?: Client;
  private connecting?: Promise<unknown>;
  /** The field names the command reads, in reply order. */
  private readonly fields: string[];

  constructor(
    private readonly config: AuthRedisConfig,
    private readonly log: Logger,
  ) {
    this.fields = config.cmd.trim().split(/\s+/).slice(2);
  }

  private connect(): Client {
    if (this.client) return this.client;
    const client = newClient(this.config);
    let lastError = '';
    // every socket error is emitted here; without a listener it would take the broker down
    client.on('error', (err: Error) => {
      if (err.message === lastError) return;
      lastError = err.message;
      this.log.warn({ provider: 'redis', err: err.message }, 'redis connection error');
    });
    client.on('ready', () => {
      lastError = '';
    });
    this.client = client;
    this.connecting = client.connect();
    this.connecting.catch(() => {});
    return client;
  }

  async open(): Promise<void> {
    this.connect();
    await this.connecting;
    await this.client!.sendCommand(['PING']);
  }

  async lookup(req: AuthRequest): Promise<CredentialRow | undefined | typeof NOTHING_TO_LOOK_UP> {
    const args = redisArgs(this.config.cmd, req);
    if (!args) return NOTHING_TO_LOOK_UP;
    const client = this.connect();
    if (!client.isReady) throw new Error('redis is not connected');
    const reply = await withTimeout(
      client.sendCommand<unknown>(args, { timeout: this.config.query_timeout_ms }),
      this.config.query_timeout_ms,
      'the redis command',
    );
    const values = Array.isArray(reply) ? reply : [reply];
    const row: Record<string, unknown> = {};
    this.fields.forEach((f, i) => (row[f] = values[i] ?? null));
    const cred = rowFromColumns(row);
    // a hash without the password field is no user (HMGET answers nil for every field of a missing key)
    return cred.passwordHash === null ? undefined : cred;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.isReady) await client.close().catch(() => client.destroy());
    else client.destroy();
  }
}

export function redisProvider(config: AuthRedisConfig, log: Logger): DbAuthProvider {
  return new DbAuthProvider('redis', new RedisCredentials(config, log), config, config.connect_timeout_ms, log);
}
