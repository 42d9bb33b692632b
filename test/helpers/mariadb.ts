// A throwaway MariaDB server for tests (Debian's mariadb-server): mariadb-install-db into a temp
// datadir (a few seconds: do it once per test file), mariadbd on a free 127.0.0.1 port with its unix
// socket in the temp dir (as root it needs --user=root). Root is set up over the socket; tests and
// the broker log in over TCP as USER with a password, on database DATABASE. stop() takes the server
// down and start() brings it back on the same port (an outage); destroy() removes everything.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from './child.js';
import { removeDir, startServerProcess, waitUntilUp, type ServerProcess } from './server-process.js';

const run = promisify(execFile);

export interface MariaDbServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** A connection as `user` on `database`; the caller ends it. */
  connect(): Promise<mysql.Connection>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function binary(names: string[]): string {
  for (const name of names) {
    for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
      if (existsSync(join(dir, name))) return join(dir, name);
    }
  }
  throw new Error(`${names[0]} not found: install the Debian package \`mariadb-server\` (scripts/ci.sh does)`);
}

export async function startMariaDb(): Promise<MariaDbServer> {
  const mariadbd = binary(['mariadbd', 'mysqld']);
  const installDb = binary(['mariadb-install-db', 'mysql_install_db']);
  const client = binary(['mariadb', 'mysql']);
  const dir = mkdtempSync(join(tmpdir(), 'rmq-mariadb-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  const user = 'rmq_auth';
  const password = 'maria-test-pw';
  const database = 'mqtt';
  let port = 0;
  let server: ServerProcess | undefined;

  try {
    await run(
      installDb,
      ['--no-defaults', `--datadir=${data}`, ...asRoot, '--skip-test-db', '--auth-root-authentication-method=socket'],
      { timeout: 120_000, cwd: dir },
    );
  } catch (err) {
    removeDir(dir);
    throw new Error(`mariadb-install-db failed: ${String(err)}`);
  }

  const sqlAsRoot = (sql: string) =>
    run(client, ['--no-defaults', `--socket=${socket}`, '-uroot', '-e', sql], { timeout: 30_000 });
  const launch = async () => {
    server = startServerProcess(
      mariadbd,
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${join(dir, 'mariadbd.pid')}`,
        ...asRoot,
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=16M',
        '--max-connections=100',
      ],
      dir,
    );
    await waitUntilUp(server, () => sqlAsRoot('SELECT 1'), 60_000, 'mariadbd');
  };

  try {
    // a free port can be taken by someone else before the server binds it: try a few
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await launch();
        break;
      } catch (err) {
        await server?.stop(2000);
        if (attempt >= 3) throw err;
      }
    }
    await sqlAsRoot(
      `CREATE DATABASE ${database}; CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'; ` +
        `GRANT ALL ON ${database}.* TO '${user}'@'127.0.0.1';`,
    );
  } catch (err) {
    await server?.stop(2000);
    removeDir(dir);
    throw err;
  }

  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    connect: () =>
      mysql.createConnection({ host: '127.0.0.1', port, user, password, database, multipleStatements: false }),
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
