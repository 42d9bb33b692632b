// The `postgres` authentication provider ([auth.postgres]): users in a PostgreSQL table, looked up
// with the configured query run as a parameterized statement (pg's extended protocol: the values
// travel apart from the SQL). A pool of pool_size connections is opened at start and closed at stop.
import pg from 'pg';
import type { AuthPostgresConfig } from '../../../lib/config-schema-auth-db.js';
import type { Logger } from '../../../lib/logger.js';
import type { AuthRequest } from '../auth-types.js';
import { bindValues, compileSql } from './auth-placeholders.js';
import {
  DbAuthProvider,
  NOTHING_TO_LOOK_UP,
  rowFromColumns,
  withTimeout,
  type CredentialRow,
  type CredentialSource,
} from './db-auth-provider.js';

class PostgresCredentials implements CredentialSource {
  private pool?: pg.Pool;
  private readonly sql;

  constructor(
    private readonly config: AuthPostgresConfig,
    private readonly log: Logger,
  ) {
    this.sql = compileSql(config.query, 'postgres');
  }

  private connect(): pg.Pool {
    if (this.pool) return this.pool;
    const c = this.config;
    const pool = new pg.Pool({
      host: c.host,
      port: c.port,
      user: c.username,
      password: c.password,
      database: c.database,
      max: c.pool_size,
      connectionTimeoutMillis: c.connect_timeout_ms,
      query_timeout: c.query_timeout_ms,
      statement_timeout: c.query_timeout_ms,
      application_name: 'robustmq-auth',
    });
    // an idle connection the server closed (restart, outage) must not take the broker down
    pool.on('error', (err) =>
      this.log.warn({ provider: 'postgres', err: err.message }, 'idle database connection lost'),
    );
    this.pool = pool;
    return pool;
  }

  async open(): Promise<void> {
    await this.connect().query('SELECT 1');
  }

  async lookup(req: AuthRequest): Promise<CredentialRow | undefined | typeof NOTHING_TO_LOOK_UP> {
    const values = bindValues(this.sql.params, req);
    if (!values) return NOTHING_TO_LOOK_UP;
    const result = await withTimeout(
      this.connect().query<Record<string, unknown>>({ text: this.sql.text, values }),
      this.config.connect_timeout_ms + this.config.query_timeout_ms,
      'the postgres query',
    );
    const row = result.rows[0];
    return row ? rowFromColumns(row) : undefined;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}

export function postgresProvider(config: AuthPostgresConfig, log: Logger): DbAuthProvider {
  return new DbAuthProvider('postgres', new PostgresCredentials(config, log), config, config.connect_timeout_ms, log);
}
