// `robustmq-cli server start` as a user runs it (node bin/run.js, from the built package): it starts
// a broker that real clients use, takes its port from file < environment < flags, shuts down cleanly
// on SIGTERM and SIGINT (MQTT 5 clients get DISCONNECT 0x8B, exit code 0), and refuses bad flags and
// configuration values with exit code 2 and one line naming what to change, without a stack trace.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { IDisconnectPacket } from 'mqtt';
import { freePort, killLeftovers, spawnChild, type Child } from '../helpers/child.js';
import { connect, uniqueId } from '../helpers/clients.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUN = join(ROOT, 'bin', 'run.js');
const dir = mkdtempSync(join(tmpdir(), 'rmq-cli-'));

/** The caller's environment without ROBUSTMQ_* variables, plus extra. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ROBUSTMQ_')) out[k] = v;
  return { ...out, ...extra };
}

function cli(args: string[], extraEnv: Record<string, string> = {}): Child {
  return spawnChild(process.execPath, [RUN, 'server', 'start', ...args], {
    cwd: dir,
    // any free admin port: test files run side by side
    env: env({ ROBUSTMQ_ADMIN_GRPC_PORT: '0', ROBUSTMQ_ADMIN_HTTP_PORT: '0', ...extraEnv }),
    timeoutMs: 30_000,
  });
}

interface LogLine {
  msg: string;
  level: number;
  listeners?: string[];
  signal?: string;
}

function logs(child: Child): LogLine[] {
  return child.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

async function started(child: Child): Promise<LogLine> {
  const line = await child.line((l) => l.includes('RobustMQ broker started'), 15_000, 'the "broker started" log line');
  return JSON.parse(line) as LogLine;
}

/** A CLI started with a free port on the loopback interface, after its "started" line. */
async function startCli(extraArgs: string[] = []): Promise<{ child: Child; port: number }> {
  const port = await freePort();
  const child = cli(['--mqtt-port', String(port), '--bind', '127.0.0.1', '--log-level', 'info', ...extraArgs]);
  const line = await started(child);
  assert.deepEqual(line.listeners, [`mqtt://127.0.0.1:${port}`]);
  return { child, port };
}

/** A start that must fail: exit 2, soon, one line on stderr with every fragment, no stack trace. */
async function refusedStart(child: Child, ...fragments: string[]): Promise<string> {
  const exit = await child.exited(15_000);
  const stderr = child.stderr();
  const all = `${child.lines.join('\n')}\n${stderr}`;
  assert.equal(exit.code, 2, `exit ${JSON.stringify(exit)}: ${all}`);
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
  for (const f of fragments) assert.ok(lines[0]!.includes(f), `"${lines[0]}" does not mention "${f}"`);
  // a stack trace, printed or inside a JSON log line ("stack": "...\\n    at f (file.js:1:2)")
  assert.doesNotMatch(all, /(\n|\\n)\s+at .+:\d+:\d+/, `stack trace in the output:\n${all}`);
  assert.ok(!all.includes('RobustMQ broker started'), all);
  return lines[0]!;
}

describe('robustmq-cli server start', () => {
  after(() => killLeftovers());

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: MQTT 5 clients get DISCONNECT 0x8B (Server shutting down), the process exits 0`, async () => {
      const { child, port } = await startCli();
      const v5 = await connect(port, { protocolVersion: 5 });
      const v4 = await connect(port, { protocolVersion: 4 });
      const disconnect = new Promise<IDisconnectPacket>((resolve) => v5.client.once('disconnect', resolve));
      const v4Closed = new Promise<void>((resolve) => v4.client.stream.once('close', () => resolve()));
      child.proc.kill(signal);
      const packet = await disconnect;
      assert.equal(packet.reasonCode, 0x8b);
      await v4Closed; // 3.x has no server DISCONNECT: the connection is closed
      const exit = await child.exited(10_000);
      assert.deepEqual(exit, { code: 0, signal: null }, child.stderr());
      const messages = logs(child).map((l) => l.msg);
      assert.ok(messages.includes('shutting down'), messages.join(', '));
      assert.ok(messages.includes('stopped'), messages.join(', '));
      assert.equal(logs(child).find((l) => l.msg === 'signal received')?.signal, signal);
      assert.equal(child.stderr(), '');
      await v5.end(true);
      await v4.end(true);
    });
  }

  it('starts a broker that mosquitto_pub and MQTT.js clients of every protocol version can use', async () => {
    const { child, port } = await startCli();
    const topic = `cli/${uniqueId()}`;
    const sub = await connect(port, { protocolVersion: 5 });
    await sub.client.subscribeAsync(topic, { qos: 1 });
    for (const v of ['mqttv31', 'mqttv311', 'mqttv5']) {
      const pub = spawnChild(
        'mosquitto_pub',
        ['-h', '127.0.0.1', '-p', String(port), '-V', v, '-q', '1', '-t', topic, '-m', v],
        { timeoutMs: 10_000 },
      );
      assert.equal((await pub.exited()).code, 0, pub.stderr());
    }
    const v4 = await connect(port, { protocolVersion: 4 });
    await v4.client.publishAsync(topic, 'mqttjs-v4', { qos: 1 });
    const got = await sub.waitFor(4);
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      ['mqttv31', 'mqttv311', 'mqttv5', 'mqttjs-v4'],
    );
    await v4.end();
    await sub.end();
    child.proc.kill('SIGTERM');
    assert.equal((await child.exited()).code, 0);
  });

  it('takes the port from the config file, ROBUSTMQ_MQTT_PORT over the file, --mqtt-port over both', async () => {
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    const file = join(dir, 'ports.toml');
    writeFileSync(file, `[mqtt]\nport = ${p1}\nbind = "127.0.0.1"\n\n[node]\nlog_level = "info"\n`);
    const runs: Array<[string[], Record<string, string>, number]> = [
      [['--config', file], {}, p1],
      [['--config', file], { ROBUSTMQ_MQTT_PORT: String(p2) }, p2],
      [['--config', file, '--mqtt-port', String(p3)], { ROBUSTMQ_MQTT_PORT: String(p2) }, p3],
    ];
    for (const [args, extraEnv, expected] of runs) {
      const child = cli(args, extraEnv);
      const line = await started(child);
      assert.deepEqual(
        line.listeners,
        [`mqtt://127.0.0.1:${expected}`],
        `${args.join(' ')} ${JSON.stringify(extraEnv)}`,
      );
      const c = await connect(expected, { protocolVersion: 5 });
      await c.end();
      child.proc.kill('SIGTERM');
      assert.equal((await child.exited()).code, 0);
    }
  });

  it('a store file that is not a SQLite database stops the start, names the file, and is left unchanged', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rmq-cli-corrupt-'));
    const file = join(dataDir, 'robustmq.db');
    const garbage = Buffer.from('this is not a database, but it is a file of somebody\n'.repeat(200));
    writeFileSync(file, garbage);
    const port = await freePort();
    const child = cli(['--mqtt-port', String(port), '--bind', '127.0.0.1', '--data-dir', dataDir]);
    await refusedStart(child, 'RMQ_ERR_STORAGE', file);
    assert.deepEqual(readFileSync(file), garbage);
    assert.deepEqual(readdirSync(dataDir), ['robustmq.db'], 'no -wal or -shm file created next to it');
  });

  it('--log-level warn keeps the info lines out', async () => {
    const port = await freePort();
    const child = cli(['--mqtt-port', String(port), '--bind', '127.0.0.1', '--log-level', 'warn']);
    // nothing is printed at startup; wait until the port accepts a client
    const c = await (async () => {
      for (let i = 0; i < 150; i++) {
        try {
          return await connect(port, { protocolVersion: 5, connectTimeout: 500 });
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`the CLI did not start: ${child.stderr()}`);
    })();
    await c.end();
    child.proc.kill('SIGTERM');
    assert.equal((await child.exited()).code, 0);
    assert.deepEqual(logs(child), []);
  });

  describe('refuses to start, with exit code 2 and one line naming what to change', () => {
    it('--config with an unknown key: names the key and the file', async () => {
      const file = join(dir, 'unknown-key.toml');
      writeFileSync(file, '[mqtt]\nprot = 1884\n');
      await refusedStart(cli(['--config', file]), 'RMQ_ERR_CONFIG_INVALID', 'mqtt.prot', 'unknown key', file);
    });

    it('--config with a value out of range: names the key and the file', async () => {
      const file = join(dir, 'range.toml');
      writeFileSync(file, '[limits]\nmax_packet_size = 1\n');
      await refusedStart(cli(['--config', file]), 'RMQ_ERR_CONFIG_INVALID', 'limits.max_packet_size', file);
    });

    it('--config naming a missing file: names the file', async () => {
      const file = join(dir, 'missing.toml');
      await refusedStart(cli(['--config', file]), 'RMQ_ERR_CONFIG_FILE', file);
    });

    it('--config with invalid TOML: names the file and the line', async () => {
      const file = join(dir, 'broken.toml');
      writeFileSync(file, '[mqtt]\nport = = 1\n');
      await refusedStart(cli(['--config', file]), 'RMQ_ERR_CONFIG_FILE', file, 'line 2');
    });

    it('ROBUSTMQ_MQTT_PORT=abc: names the variable and the key', async () => {
      await refusedStart(
        cli([], { ROBUSTMQ_MQTT_PORT: 'abc' }),
        'RMQ_ERR_CONFIG_INVALID',
        'ROBUSTMQ_MQTT_PORT',
        'mqtt.port',
      );
    });

    it('ROBUSTMQ_LIMITS_MAX_PACKET_SIZE=5: names the key and the environment', async () => {
      await refusedStart(
        cli(['--bind', '127.0.0.1'], { ROBUSTMQ_LIMITS_MAX_PACKET_SIZE: '5' }),
        'limits.max_packet_size',
        'environment',
      );
    });

    it('a port already in use: names the address and how to choose another port', async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const { port } = blocker.address() as net.AddressInfo;
      try {
        await refusedStart(
          cli(['--mqtt-port', String(port), '--bind', '127.0.0.1']),
          'RMQ_ERR_LISTEN',
          `127.0.0.1:${port}`,
          'EADDRINUSE',
          '--mqtt-port',
        );
      } finally {
        await new Promise((r) => blocker.close(r));
      }
    });

    it('--mqtt-port abc: names the flag', async () => {
      await refusedStart(cli(['--mqtt-port', 'abc']), '--mqtt-port', 'abc');
    });

    it('--mqtt-port 70000: names the flag and the limit', async () => {
      await refusedStart(cli(['--mqtt-port', '70000']), '--mqtt-port', '65535');
    });

    it('--log-level loud: names the flag and the accepted values', async () => {
      await refusedStart(cli(['--log-level', 'loud']), '--log-level', 'debug');
    });

    it('an unknown flag: names it', async () => {
      await refusedStart(cli(['--mqtt-prot', '1884']), '--mqtt-prot');
    });
  });
});
