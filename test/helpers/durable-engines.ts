// The storage engines that survive a restart, as broker configuration: each test gets a fresh store
// (a temp data dir for sqlite; a new database for postgres) that several broker starts share.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerConfigInput } from '../../src/lib/config.js';
import { startPostgres, type PostgresServer } from './postgres.js';

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
  postgresEngine(),
];

/** postgres: one throwaway server per test file, a new database per store (a config file for the CLI). */
function postgresEngine(): DurableEngine {
  let server: PostgresServer | undefined;
  return {
    name: 'postgres',
    async setup() {
      server ??= await startPostgres();
    },
    async teardown() {
      await server?.stop();
      server = undefined;
    },
    async newStore() {
      if (!server) throw new Error('postgres engine used without setup()');
      const url = await server.createDatabase();
      const dir = mkdtempSync(join(tmpdir(), 'rmq-durable-pg-'));
      const file = join(dir, 'robustmq.toml');
      writeFileSync(file, `[storage]\nengine = "postgres"\npostgres_url = "${url}"\n`);
      return {
        overrides: { node: { data_dir: dir }, storage: { engine: 'postgres', postgres_url: url } },
        cliArgs: ['--config', file, '--data-dir', dir],
        remove: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  };
}
