// The `mysql` authentication provider ([auth.mysql], MySQL and MariaDB): users in a table, looked up
// with the configured query run as a server-side prepared statement (each ${...} a ? bound to the
// client's value, never text pasted into the SQL). A pool of pool_size connections (mysql2's
// promise API) is made at start and closed at stop.
import mysql from 'mysql2/promise';
import type { AuthMysqlConfig } from '../../../lib/config-schema-auth-db.js';
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

class MysqlCredentials implements CredentialSource {
  private pool?: mysql.Pool;
  private readonly sql;

  constructor(
    private readonly config: AuthMysqlConfig,
    private readonly log: Logger,
  ) {
    this.sql = compileSql(config.query, 'mysql');
  }

  private connect(): mysql.Pool {
    if (this.pool) return this.pool;
    const c = this.config;
    const pool = mysql.createPool({
      host: c.host,
      port: c.port,
      user: c.username,
      password: c.password,
      database: c.database,
      connectionLimit: c.pool_size,
      maxIdle: c.pool_size,
      connectTimeout: c.connect_timeout_ms,
      enableKeepAlive: true,
      charset: 'utf8mb4',
    });
    // a connection the server closed (restart, outage) must not take the broker down
    pool.on('connection', (conn) => {
      conn.on('error', (err: Error) =>
        this.log.warn({ provider: 'mysql', err: err.message }, 'database connection lost'),
      );
    });
    this.pool = pool;
    return pool;
  }

  async open(): Promise<void> {
    await this.connect().query('SELECT 1');
  }

  async lookup(req: AuthRequest): Promise<CredentialRow | undefined | typeof NOTHING_TO_LOOK_UP> {
    const values = bindValues(this.sql.params, req);
    if (!values) return NOTHING_TO_LOOK_UP;
    const [rows] = await withTimeout(
      this.connect().execute<mysql.RowDataPacket[]>(
        { sql: this.sql.text, timeout: this.config.query_timeout_ms },
        values,
      ),
      this.config.connect_timeout_ms + this.config.query_timeout_ms,
      'the mysql query',
    );
    const row = rows[0];
    return row ? rowFromColumns(row) : undefined;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}

export function mysqlProvider(config: AuthMysqlConfig, log: Logger): DbAuthProvider {
  return new DbAuthProvider('mysql', new MysqlCredentials(config, log), config, config.connect_timeout_ms, log);
}
