// Starts a real broker on a free loopback port for one test file, and stops it after.
import { Broker } from '../../src/server/broker.js';
import { loadConfig, type BrokerConfigInput } from '../../src/lib/config.js';
import { createLogger } from '../../src/lib/logger.js';

export interface TestBroker {
  broker: Broker;
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startBroker(overrides: BrokerConfigInput = {}): Promise<TestBroker> {
  const config = loadConfig({
    overrides: {
      ...overrides,
      node: { log_level: (process.env.TEST_LOG_LEVEL as 'debug' | undefined) ?? 'silent', ...overrides.node },
      mqtt: { bind: '127.0.0.1', port: 0, ...overrides.mqtt },
      sys: { enabled: false, ...overrides.sys },
    },
  });
  const broker = new Broker(config, { logger: createLogger(config.node.log_level) });
  await broker.start();
  const port = broker.mqttPort;
  return { broker, port, url: `mqtt://127.0.0.1:${port}`, stop: () => broker.stop() };
}
