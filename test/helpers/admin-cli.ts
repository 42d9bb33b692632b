// The security tests' way to drive the product as an operator does: the built CLI as a subprocess
// (stdin a pipe, never a terminal) and `server start` on ports the OS picks, plus the row types of
// the user, ACL and ban documents the CLI prints with --json.
import assert from 'node:assert/strict';
import type { Child } from './child.js';
import { CLI_RUN, jsonOf, runCli, spawnBrokerOnFreePorts, type CliRun } from './cli.js';

export const RUN = CLI_RUN;
export type Run = CliRun;
export const json = jsonOf;

/** Runs `robustmq-cli ...args` to its end, with `stdin` written to it (a pipe: never a terminal). */
export function cli(args: string[], stdin = ''): Promise<Run> {
  return runCli(args, {}, stdin);
}

export interface Server {
  child: Child;
  admin: string;
  rest: string;
  /** The MQTT port (127.0.0.1). */
  mqttPort: number;
}

/** `server start` on free ports with `dir` as its data directory, logging at debug level. */
export async function startServer(dir: string, extra: string[] = []): Promise<Server> {
  const { child, ports } = await spawnBrokerOnFreePorts(dir, ['--log-level', 'debug', ...extra]);
  return { child, admin: `127.0.0.1:${ports.admin}`, rest: `http://127.0.0.1:${ports.http}`, mqttPort: ports.mqtt };
}

export async function stopServer(s: Server): Promise<void> {
  s.child.proc.kill('SIGTERM');
  const exit = await s.child.exited(15_000);
  assert.equal(exit.code, 0, s.child.stderr());
}

export interface UserRow {
  username: string;
  superuser: boolean;
  createdAtMs: number;
}
export interface AclRow {
  id: string;
  principalKind: string;
  principal: string;
  filter: string;
  action: string;
  permission: string;
  createdAtMs: number;
}
export interface BanRow {
  kind: string;
  value: string;
  reason: string;
  untilMs: number;
  createdAtMs: number;
}

export async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
