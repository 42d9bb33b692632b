// Starts a real broker on a free loopback port for one test file, and stops it after.
// Storage: the engine the overrides name, else TEST_STORAGE_ENGINE, else memory. A sqlite broker
// without a data_dir gets a temp dir, removed at stop() unless `keepData` is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/server/broker.js';
import { loadConfig, type BrokerConfigInput } from '../../src/lib/config.js';
import { createLogger } from '../../src/lib/logger.js';

export interface TestBroker {
  broker: Broker;
  port: number;
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

type Engine = 'memory' | 'sqlite' | 'postgres';

export async function startBroker(overrides: BrokerConfigInput = {}, keepData = false): Promise<TestBroker> {
  const engine: Engine = overrides.storage?.engine ?? (process.env.TEST_STORAGE_ENGINE as Engine) ?? 'memory';
  const tmp = overrides.node?.data_dir === undefined ? mkdtempSync(join(tmpdir(), 'rmq-broker-')) : undefined;
  const dataDir = overrides.node?.data_dir ?? tmp!;
  const config = loadConfig({
    overrides: {
      ...overrides,
      node: {
        log_level: (process.env.TEST_LOG_LEVEL as 'debug' | undefined) ?? 'silent',
        ...overrides.node,
        data_dir: dataDir,
      },
      mqtt: { bind: '127.0.0.1', port: 0, ...overrides.mqtt },
      sys: { enabled: false, ...overrides.sys },
      admin: { grpc_port: 0, http_port: 0, ...overrides.admin },
      storage: { ...overrides.storage, engine },
    },
  });
  const broker = new Broker(config, { logger: createLogger(config.node.log_level) });
  const cleanup = () => {
    if (tmp && !keepData) rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await broker.start();
  } catch (err) {
    cleanup();
    throw err;
  }
  const port = broker.mqttPort;
  return {
    broker,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dataDir,
    stop: async () => {
      await broker.stop();
      cleanup();
    },
  };
}
