// The security tests' way to drive the product as an operator does: the built CLI as a subprocess
// (stdin a pipe, never a terminal) and `server start` on ports the OS picks, plus the row types of
// the user, ACL and ban documents the CLI prints with --json.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, spawnChild, type Child } from './child.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const RUN = join(ROOT, 'bin', 'run.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `robustmq-cli ...args` to its end, with `stdin` written to it (a pipe: never a terminal). */
export async function cli(args: string[], stdin = ''): Promise<Run> {
  const child = spawnChild(process.execPath, [RUN, ...args], { env: cleanEnv(), timeoutMs: 30_000 });
  child.proc.stdin!.end(stdin);
  const exit = await child.exited(30_000);
  return { code: exit.code, stdout: child.lines.join('\n'), stderr: child.stderr() };
}

export function json<T>(r: Run): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface Server {
  child: Child;
  admin: string;
  rest: string;
}

/** `server start` on ports the OS picks; the addresses come from its "started" log line. */
export async function startServer(dir: string, extra: string[] = []): Promise<Server> {
  const child = spawnChild(
    process.execPath,
    [
      RUN,
      'server',
      'start',
      '--mqtt-port',
      '0',
      '--admin-port',
      '0',
      '--http-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--data-dir',
      dir,
      '--log-level',
      'debug',
      ...extra,
    ],
    { env: cleanEnv(), timeoutMs: 180_000 },
  );
  const line = await child.line((l) => l.includes('RobustMQ broker started'), 30_000, 'broker started');
  const started = JSON.parse(line) as { admin: string; rest: string };
  return { child, admin: started.admin.replace('grpc://', ''), rest: started.rest };
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
