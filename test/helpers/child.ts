// Child processes for tests that drive real programs (mosquitto_pub/sub, paho, the CLI): spawn with a
// hard timeout, read stdout line by line, wait for a line or for the exit, kill what is left over.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  proc: ChildProcess;
  /** stdout, split into lines as they arrive */
  lines: string[];
  /** everything written to stderr so far */
  stderr(): string;
  /** The first stdout line (seen already or to come) for which pred is true; rejects after ms. */
  line(pred: (l: string) => boolean, ms?: number, what?: string): Promise<string>;
  /** Resolves when the process has exited and its output is read; rejects after ms. */
  exited(ms?: number): Promise<Exit>;
  write(text: string): void;
}

const live = new Set<ChildProcess>();

export function spawnChild(cmd: string, args: string[], options: SpawnOptions & { timeoutMs?: number } = {}): Child {
  const { timeoutMs = 20_000, ...spawnOptions } = options;
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, ...spawnOptions });
  live.add(proc);
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    wake();
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    err += chunk;
  });
  proc.stdin!.on('error', () => {});
  let exit: Exit | undefined;
  const exitPromise = new Promise<Exit>((resolve) => {
    proc.on('error', (e) => {
      err += `spawn error: ${e.message}\n`;
    });
    proc.on('close', (code, signal) => {
      live.delete(proc);
      if (partial) lines.push(partial);
      partial = '';
      exit = { code, signal };
      resolve(exit);
      wake();
    });
  });
  const describe = () => `${cmd} ${args.join(' ')}\n--- stdout:\n${lines.join('\n')}\n--- stderr:\n${err}`;

  return {
    proc,
    lines,
    stderr: () => err,
    line(pred, ms = 5000, what = 'a matching line') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(pred);
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (exit) {
            done();
            reject(new Error(`process exited (${JSON.stringify(exit)}) before ${what}: ${describe()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${what}: ${describe()}`));
        }, ms);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    exited(ms = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for exit: ${describe()}`)), ms);
      });
      return Promise.race([exitPromise, timeout]).finally(() => clearTimeout(timer));
    },
    write(text) {
      proc.stdin!.write(text);
    },
  };
}

/** SIGKILL every child started here that is still running (for after() hooks). */
export function killLeftovers(): void {
  for (const proc of live) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
  live.clear();
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1, drawn at random from below the kernel's
 * ephemeral range (32768-60999 on Linux): a port the OS hands out for listen(0) is in that range,
 * where any outgoing connection of a concurrent test may take it as its local port before the
 * server the test starts binds it (seen in CI as EADDRINUSE on a port picked a second earlier).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port in 20000-31999 on 127.0.0.1 after 50 tries');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** This process's environment without ROBUSTMQ_* variables (a test sets only the ones it means), plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ROBUSTMQ_')) out[k] = v;
  return { ...out, ...extra };
}
