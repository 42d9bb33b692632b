// A throwaway PostgreSQL server for tests, from Debian's packages (/usr/lib/postgresql/<v>/bin): initdb in
// a temp dir, listen on 127.0.0.1 on a free port (unix socket in the temp dir), trust auth (but
// PASSWORD_USER must give a password), one fresh database per createDatabase(); stop() shuts it down and
// removes the dir (an exit hook does the same if a test file dies first). As root the server runs as
// the `postgres` user, which owns the temp dir. fsync stays on: the server is as durable as a real one.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './child.js';

const run = promisify(execFile);

/** The one role that must log in with a password (scram-sha-256); tests create it when they need it. */
export const PASSWORD_USER = 'rmq_pw_user';

export interface PostgresServer {
  host: string;
  port: number;
  /** The temp dir holding the data dir, the log and the unix socket. */
  dir: string;
  /** A connection URL for `database` (user postgres, no password: trust auth). */
  url(database: string): string;
  /** Creates an empty database `t_<random>` and returns its URL. */
  createDatabase(): Promise<string>;
  /** A connected client on `database`; the caller ends it. */
  connect(database: string): Promise<pg.Client>;
  /** Takes the server down, keeping its data (an outage); resume() brings it back on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** The bin dir of the newest PostgreSQL installed from Debian's packages. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb and pg_ctl): ' +
        'install the Debian package `postgresql` (scripts/ci.sh does: apt-get install postgresql)',
    );
  }
  return join(root, versions[0]!, 'bin');
}

/** As root, the command runs as the `postgres` user (PostgreSQL refuses to run as root). */
function asServerUser(): { wrap: (cmd: string, args: string[]) => [string, string[]]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args] };
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('running as root, but there is no `postgres` user to run the PostgreSQL test server as');
  }
  return {
    wrap: (cmd, args) => ['runuser', ['-u', 'postgres', '--', cmd, ...args]],
    uid: Number(uid.stdout.trim()),
    gid: Number(gid.stdout.trim()),
  };
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const user = asServerUser();
  const dir = mkdtempSync(join(tmpdir(), 'rmq-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const exec = (tool: string, args: string[], timeout = 60_000) => {
    const [cmd, argv] = user.wrap(join(bin, tool), args);
    return run(cmd, argv, { env, timeout, cwd: dir });
  };
  const pgCtlSync = (args: string[]) => {
    const [cmd, argv] = user.wrap(join(bin, 'pg_ctl'), args);
    return spawnSync(cmd, argv, { env, timeout: 30_000, stdio: 'ignore' });
  };

  // if the test process exits without stop(), the server must not outlive it: an exit hook stops it,
  // and a watchdog shell does when the process is killed (a test file's timeout) and no hook runs
  let stopped = false;
  const [ctl, ctlArgs] = user.wrap(join(bin, 'pg_ctl'), []);
  const watchdog = spawn(
    'sh',
    [
      '-c',
      'pid=$1; dir=$2; data=$3; shift 3; while kill -0 "$pid" 2>/dev/null; do sleep 1; done; ' +
        '"$@" -D "$data" -m immediate -w stop >/dev/null 2>&1; rm -rf "$dir"',
      'rmq-pg-watchdog',
      String(process.pid),
      dir,
      data,
      ctl,
      ...ctlArgs,
    ],
    { detached: true, stdio: 'ignore', env },
  );
  watchdog.unref();
  const onExit = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    watchdog.kill();
    pgCtlSync(['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  let port = 0;
  let admin: pg.Client | undefined;
  try {
    // --no-sync: only initdb's own fsyncs are skipped; the server keeps fsync on
    await exec('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    // trust for every user over 127.0.0.1 but PASSWORD_USER, who must give a password (the auth tests)
    writeFileSync(
      join(data, 'pg_hba.conf'),
      [
        'local all all trust',
        `host all ${PASSWORD_USER} 127.0.0.1/32 scram-sha-256`,
        'host all all 127.0.0.1/32 trust',
        '',
      ].join('\n'),
    );
    // a free port can be taken by someone else before the server binds it: try a few
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      appendFileSync(
        join(data, 'postgresql.conf'),
        [
          '',
          "listen_addresses = '127.0.0.1'",
          `port = ${port}`,
          `unix_socket_directories = '${dir}'`,
          'shared_buffers = 16MB',
          'max_connections = 100',
          '',
        ].join('\n'),
      );
      try {
        await exec('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start'], 90_000);
        break;
      } catch (err) {
        if (attempt >= 3) {
          const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '(no log)';
          throw new Error(`the PostgreSQL test server did not start: ${String(err)}\n${tail}`);
        }
      }
    }
    admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await admin.connect();
  } catch (err) {
    await admin?.end().catch(() => {});
    onExit();
    throw err;
  }
  let adminClient = admin;
  let paused = false;

  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    host: '127.0.0.1',
    port,
    dir,
    url,
    async createDatabase() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      await adminClient.query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    async connect(database: string) {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database });
      await c.connect();
      return c;
    },
    async pause() {
      if (paused || stopped) return;
      paused = true;
      await adminClient.end().catch(() => {});
      await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'], 90_000);
    },
    async resume() {
      if (!paused || stopped) return;
      await exec('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start'], 90_000);
      adminClient = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      await adminClient.connect();
      paused = false;
    },
    async stop() {
      if (stopped) return;
      await adminClient.end().catch(() => {});
      try {
        await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'], 90_000);
      } catch {
        pgCtlSync(['-D', data, '-m', 'immediate', '-w', 'stop']);
      }
      stopped = true;
      process.off('exit', onExit);
      watchdog.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
