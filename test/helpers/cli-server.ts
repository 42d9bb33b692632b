// The message tests' CLI helpers: robustmq-cli commands started (to talk to while they run) or run to
// their end, and `server start` on sqlite in a temp dir with ROBUSTMQ_* settings; over helpers/cli.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Child } from './child.js';
import { finished, jsonOf, runCli, spawnBrokerOnFreePorts, spawnCli, type CliRun } from './cli.js';

export { finished, jsonOf, type CliRun };

/** Starts `robustmq-cli ...args`; `input` is written to its stdin, which is then closed. */
export function startCli(args: string[], input?: Buffer): Child {
  return spawnCli(args, {}, input);
}

/** Runs `robustmq-cli ...args` to its end. */
export function cli(args: string[], input?: Buffer): Promise<CliRun> {
  return runCli(args, {}, input);
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
  const { child: server, ports } = await spawnBrokerOnFreePorts(dir, ['--log-level', 'info', ...args], env);
  return {
    mqttPort: ports.mqtt,
    admin: `127.0.0.1:${ports.admin}`,
    rest: `http://127.0.0.1:${ports.http}`,
    dir,
    async stop() {
      server.proc.kill('SIGTERM');
      await server.exited(10_000).catch(() => server.proc.kill('SIGKILL'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
