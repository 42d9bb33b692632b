// The storage engines that survive a restart, as broker configuration: each test gets a fresh store
// (a temp data dir for sqlite; a new database for postgres) that several broker starts share.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerConfigInput } from '../../src/lib/config.js';

export interface DurableStore {
  /** Broker config overrides that point at this store. */
  overrides: BrokerConfigInput;
  /** CLI arguments that point at this store (a config file is written when needed). */
  cliArgs: string[];
  remove(): Promise<void>;
}

export interface DurableEngine {
  name: 'sqlite' | 'postgres';
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  newStore(): Promise<DurableStore>;
}

export const durableEngines: DurableEngine[] = [
  {
    name: 'sqlite',
    async newStore() {
      const dir = mkdtempSync(join(tmpdir(), 'rmq-durable-'));
      return {
        overrides: { node: { data_dir: dir }, storage: { engine: 'sqlite' } },
        cliArgs: ['--data-dir', dir],
        remove: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];
