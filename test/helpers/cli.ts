// The built robustmq-cli as tests run it: one command to its end (stdout, stderr, exit code), or
// `server start` as a subprocess on free loopback ports, with its log lines (stdout) readable. The
// other CLI helpers (admin-cli, admin-broker, cli-server) are shapes over these.
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
 * Starts `robustmq-cli ...args` with no ROBUSTMQ_* variables but those in `env`, and an empty
 * XDG_CONFIG_HOME unless `env` names one; `stdin` is written to it (a pipe, never a terminal), then closed.
 */
export function spawnCli(args: string[], env: Record<string, string> = {}, stdin?: string | Buffer): Child {
  const child = spawnChild(process.execPath, [CLI_RUN, ...args], {
    env: cleanEnv({ XDG_CONFIG_HOME: configHome(), ...env }),
    timeoutMs: 60_000,
  });
  child.proc.stdin!.end(stdin);
  return child;
}

/** What a CLI run printed, once it has ended. */
export async function finished(child: Child): Promise<CliRun> {
  const exit = await child.exited(60_000);
  return { code: exit.code, stdout: child.lines.join('\n'), stderr: child.stderr() };
}

/** Runs `robustmq-cli ...args` to its end (see spawnCli). */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string | Buffer): Promise<CliRun> {
  return finished(spawnCli(args, env, stdin));
}

/** The JSON document a successful run printed. */
export function jsonOf<T>(r: CliRun): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface BrokerPorts {
  mqtt: number;
  admin: number;
  http: number;
}

/** Free loopback ports for a broker's MQTT listener, admin gRPC and REST endpoints. */
export async function freeBrokerPorts(): Promise<BrokerPorts> {
  return { mqtt: await freePort(), admin: await freePort(), http: await freePort() };
}

/**
 * `robustmq-cli server start --bind 127.0.0.1` on `ports` with `dir` as its data directory, plus
 * `args`, not waited for (a test that expects the start to fail reads its exit).
 */
export function startBrokerProcess(
  dir: string,
  ports: BrokerPorts,
  args: string[] = [],
  env: Record<string, string> = {},
): Child {
  return spawnChild(
    process.execPath,
    [
      CLI_RUN,
      'server',
      'start',
      '--mqtt-port',
      String(ports.mqtt),
      '--admin-port',
      String(ports.admin),
      '--http-port',
      String(ports.http),
      '--bind',
      '127.0.0.1',
      '--data-dir',
      dir,
      ...args,
    ],
    { env: cleanEnv(env), timeoutMs: 300_000 },
  );
}

/** startBrokerProcess, resolved once it logs that it started (a broker that does not is killed, and it rejects). */
export async function spawnBroker(
  dir: string,
  ports: BrokerPorts,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Child> {
  const child = startBrokerProcess(dir, ports, args, env);
  try {
    // the start line is at level info: a broker started with a quieter --log-level is not waited for
    await child.line((l) => l.includes('RobustMQ broker started'), 30_000, 'broker started');
  } catch (err) {
    child.proc.kill('SIGKILL');
    throw err;
  }
  return child;
}

/**
 * spawnBroker on free ports, chosen again (up to three times) when a port was taken between the
 * choice and the broker's bind by some other test's server: that is the test set-up failing, not
 * the broker.
 */
export async function spawnBrokerOnFreePorts(
  dir: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<{ child: Child; ports: BrokerPorts }> {
  for (let attempt = 1; ; attempt++) {
    const ports = await freeBrokerPorts();
    try {
      return { child: await spawnBroker(dir, ports, args, env), ports };
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
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
  let child: Child;
  let ports: BrokerPorts;
  try {
    ({ child, ports } = await spawnBrokerOnFreePorts(dir, ['--storage', 'memory', ...args], env));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    child,
    admin: `127.0.0.1:${ports.admin}`,
    mqttPort: ports.mqtt,
    rest: `http://127.0.0.1:${ports.http}`,
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
