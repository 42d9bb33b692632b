// The built robustmq-cli as a test runs it: one command to its end (stdout, stderr, exit code), or
// `server start` as a subprocess on free loopback ports, with its log lines (stdout) readable.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, freePort, spawnChild, type Child } from './child.js';

export const CLI_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI_RUN = join(CLI_ROOT, 'bin', 'run.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

let isolatedConfigHome: string | undefined;

/** An empty XDG_CONFIG_HOME for this test process: the user's own CLI contexts never take part. */
function configHome(): string {
  if (!isolatedConfigHome) {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-cli-xdg-'));
    isolatedConfigHome = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return isolatedConfigHome;
}

/**
 * Runs `robustmq-cli ...args` to its end, with no ROBUSTMQ_* variables but those in `env`, and an
 * empty XDG_CONFIG_HOME unless `env` names one.
 */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const child = spawnChild(process.execPath, [CLI_RUN, ...args], {
    env: cleanEnv({ XDG_CONFIG_HOME: configHome(), ...env }),
    timeoutMs: 30_000,
  });
  child.proc.stdin!.end();
  const exit = await child.exited(30_000);
  return { code: exit.code, stdout: child.lines.join('\n'), stderr: child.stderr() };
}

/** The JSON document a successful run printed. */
export function jsonOf<T>(r: CliRun): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface CliBroker {
  child: Child;
  /** The admin gRPC endpoint, 127.0.0.1:port. */
  admin: string;
  mqttPort: number;
  /** http://127.0.0.1:port */
  rest: string;
  stop(): Promise<void>;
}

/** `robustmq-cli server start` on free loopback ports (memory storage unless `args` say otherwise). */
export async function startCliBroker(args: string[] = [], env: Record<string, string> = {}): Promise<CliBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'rmq-cli-broker-'));
  const mqttPort = await freePort();
  const adminPort = await freePort();
  const httpPort = await freePort();
  const child = spawnChild(
    process.execPath,
    [
      CLI_RUN,
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
      '--storage',
      'memory',
      ...args,
    ],
    { env: cleanEnv(env), timeoutMs: 300_000 },
  );
  try {
    // the start line is at level info: a broker started with a quieter --log-level is not waited for
    await child.line((l) => l.includes('RobustMQ broker started'), 30_000, 'broker started');
  } catch (err) {
    child.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    child,
    admin: `127.0.0.1:${adminPort}`,
    mqttPort,
    rest: `http://127.0.0.1:${httpPort}`,
    async stop() {
      if (child.proc.exitCode === null) child.proc.kill('SIGTERM');
      await child.exited(15_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Milliseconds until the broker closes a TCP connection that never sends CONNECT. */
export function closedWithoutConnect(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => resolve(Date.now() - started));
    setTimeout(() => {
      socket.destroy();
      reject(new Error('not closed within 8 s'));
    }, 8000).unref();
  });
}

/** Debug lines (pino level 20) in the broker's output that mention `text`. */
export function debugLines(b: CliBroker, text: string): string[] {
  return b.child.lines.filter((l) => l.includes('"level":20') && l.includes(text));
}
