// For tests of the admin commands: a broker started as an operator starts it (`server start`, a
// subprocess on free loopback ports) and the built CLI run to its end against it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, freePort, killLeftovers, spawnChild, type Child } from './child.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const RUN = join(ROOT, 'bin', 'run.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface AdminBroker {
  server: Child;
  mqttPort: number;
  /** host:port of the admin gRPC endpoint, for --server. */
  admin: string;
  /** http://host:port of the REST API. */
  rest: string;
  /** Runs `robustmq-cli ...args --server <admin>` to its end. */
  cli(args: string[]): Promise<Run>;
  /** SIGTERM, then `server start` again on the same ports and data directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `robustmq-cli ...args` to its end. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawnChild(process.execPath, [RUN, ...args], { env: cleanEnv(env), timeoutMs: 30_000 });
  child.proc.stdin!.end();
  const exit = await child.exited(30_000);
  return { code: exit.code, stdout: child.lines.join('\n'), stderr: child.stderr() };
}

/** The JSON document a successful run printed. */
export function json<T>(r: Run): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

let reaperInstalled = false;
/** Data directories of brokers not stopped yet. */
const dirs = new Set<string>();

function reap(): void {
  killLeftovers();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/**
 * A test file the runner stops (its 120 s timeout sends SIGTERM) runs no after() hook: its brokers
 * would outlive it. They are killed on the way out instead.
 */
function killBrokersOnExit(): void {
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', reap);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      reap();
      process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
    });
  }
}

/** `server start` with its own data directory and free ports, plus `extra` flags (e.g. --workers 2). */
export async function startAdminBroker(extra: string[] = []): Promise<AdminBroker> {
  killBrokersOnExit();
  const dir = mkdtempSync(join(tmpdir(), 'rmq-admin-'));
  dirs.add(dir);
  const mqttPort = await freePort();
  const adminPort = await freePort();
  const httpPort = await freePort();
  const admin = `127.0.0.1:${adminPort}`;
  const args = [
    RUN,
    'server',
    'start',
    '--mqtt-port',
    String(mqttPort),
    '--admin-port',
    String(adminPort),
    '--http-port',
    String(httpPort),
    '--bind',
    '127.0.0.1',
    '--data-dir',
    dir,
    '--log-level',
    'info',
    ...extra,
  ];
  const start = async (): Promise<Child> => {
    const child = spawnChild(process.execPath, args, {
      env: cleanEnv({ ROBUSTMQ_SYS_ENABLED: 'false' }),
      timeoutMs: 180_000,
    });
    await child.line((l) => l.includes('RobustMQ broker started'), 30_000, 'broker started');
    return child;
  };
  const broker: AdminBroker = {
    server: await start(),
    mqttPort,
    admin,
    rest: `http://127.0.0.1:${httpPort}`,
    cli: (cliArgs) => runCli([...cliArgs, '--server', admin]),
    async restart() {
      broker.server.proc.kill('SIGTERM');
      await broker.server.exited(15_000);
      broker.server = await start();
    },
    async stop() {
      broker.server.proc.kill('SIGTERM');
      await broker.server.exited(15_000);
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
  return broker;
}
