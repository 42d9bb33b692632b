// A throwaway database server process for tests (MariaDB, Redis): started on a port, waited for,
// stopped (the data dir kept, so it can be started again on the same port: an outage and its end)
// and finally destroyed with its temp dir. A watchdog shell kills the server and removes the dir
// when the test process dies without stopping it (a test file's timeout kills it with no hook run).
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface ServerProcess {
  proc: ChildProcess;
  /** Output of the server so far (for the error when it does not come up). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function startServerProcess(cmd: string, args: string[], dir: string): ServerProcess {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-8000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const watchdog = spawn(
    'sh',
    [
      '-c',
      'parent=$1; server=$2; dir=$3; while kill -0 "$parent" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done; ' +
        'if kill -0 "$server" 2>/dev/null; then kill -9 "$server"; rm -rf "$dir"; fi',
      'rmq-db-watchdog',
      String(process.pid),
      String(proc.pid),
      dir,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const onExit = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  process.on('exit', onExit);
  return {
    proc,
    output: () => out,
    async stop(graceMs = 10_000) {
      process.off('exit', onExit);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      watchdog.kill();
    },
  };
}

/** Retries `probe` every 100 ms until it resolves; rejects with the server's output after `ms`. */
export async function waitUntilUp(
  server: ServerProcess,
  probe: () => Promise<unknown>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (server.proc.exitCode !== null || server.proc.signalCode !== null) {
      throw new Error(`${what} exited before it answered:\n${server.output()}`);
    }
    try {
      await probe();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${what} did not answer in ${ms} ms (${String(err)}):\n${server.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
