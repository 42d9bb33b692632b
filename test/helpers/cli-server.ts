// The built CLI as tests run it: `robustmq-cli server start` as a subprocess on free loopback ports
// (MQTT, admin gRPC, REST), and other robustmq-cli commands run to their end against it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, freePort, spawnChild, type Child } from './child.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(ROOT, 'bin', 'run.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `robustmq-cli ...args`; `input` is written to its stdin, which is then closed. */
export function startCli(args: string[], input?: Buffer): Child {
  const child = spawnChild(process.execPath, [CLI, ...args], { env: cleanEnv(), timeoutMs: 60_000 });
  if (input) child.proc.stdin!.end(input);
  else child.proc.stdin!.end();
  return child;
}

export async function finished(child: Child): Promise<CliRun> {
  const exit = await child.exited(60_000);
  return { code: exit.code, stdout: child.lines.join('\n'), stderr: child.stderr() };
}

/** Runs `robustmq-cli ...args` to its end. */
export function cli(args: string[], input?: Buffer): Promise<CliRun> {
  return finished(startCli(args, input));
}

/** The JSON document a run printed; fails unless it exited 0. */
export function jsonOf<T>(r: CliRun): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface CliServer {
  mqttPort: number;
  /** The admin gRPC endpoint, host:port. */
  admin: string;
  /** The REST base URL. */
  rest: string;
  dir: string;
  stop(): Promise<void>;
}

/** `robustmq-cli server start` (sqlite in a temp dir unless `args` say otherwise); `env` adds ROBUSTMQ_* settings. */
export async function startCliServer(env: Record<string, string> = {}, args: string[] = []): Promise<CliServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rmq-cli-server-'));
  const [mqttPort, adminPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const server = spawnChild(
    process.execPath,
    [
      CLI,
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
      ...args,
    ],
    { env: cleanEnv(env), timeoutMs: 300_000 },
  );
  await server.line((l) => l.includes('RobustMQ broker started'), 30_000, 'broker started');
  return {
    mqttPort,
    admin: `127.0.0.1:${adminPort}`,
    rest: `http://127.0.0.1:${httpPort}`,
    dir,
    async stop() {
      server.proc.kill('SIGTERM');
      await server.exited(10_000).catch(() => server.proc.kill('SIGKILL'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
