// For tests of the admin commands: a broker started as an operator starts it (`server start`, a
// subprocess on free loopback ports) and the built CLI run to its end against it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { AdminGrpcClient } from '../../src/lib/admin-grpc-client.js';
import { isRobustMQError } from '../../src/lib/errors.js';
import { killLeftovers, type Child } from './child.js';
import { jsonOf, runCli, spawnBroker, spawnBrokerOnFreePorts, type CliRun } from './cli.js';

export type Run = CliRun;
export { runCli };
export const json = jsonOf;

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
  const args = ['--log-level', 'info', ...extra];
  const env = { ROBUSTMQ_SYS_ENABLED: 'false' };
  const first = await spawnBrokerOnFreePorts(dir, args, env);
  const ports = first.ports;
  const admin = `127.0.0.1:${ports.admin}`;
  const broker: AdminBroker = {
    server: first.child,
    mqttPort: ports.mqtt,
    admin,
    rest: `http://127.0.0.1:${ports.http}`,
    cli: (cliArgs) => runCli([...cliArgs, '--server', admin]),
    async restart() {
      broker.server.proc.kill('SIGTERM');
      await broker.server.exited(15_000);
      broker.server = await spawnBroker(dir, ports, args, env);
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

/**
 * Calls the admin gRPC endpoint at `address` with a fresh client and checks that the call fails with
 * the RMQ_ERR code (from the trailing metadata) and the gRPC status given.
 */
export async function assertGrpcRefusal(
  address: string,
  call: (api: AdminGrpcClient) => Promise<unknown>,
  code: string,
  status: grpc.status,
): Promise<void> {
  const api = new AdminGrpcClient(address);
  try {
    await assert.rejects(call(api), (err: unknown) => {
      assert.ok(isRobustMQError(err), `not a RobustMQError: ${String(err)}`);
      assert.equal(err.code, code);
      assert.equal((err.cause as grpc.ServiceError).code, status);
      return true;
    });
  } finally {
    await api.close();
  }
}
