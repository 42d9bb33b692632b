// Every storage engine the conformance suites run against, each created in a fresh temp directory.
// Suites loop over `storageEngines` so that an engine added here is held to every contract.
import { join } from 'node:path';
import { MemoryStorage } from '../../src/server/storage/memory-storage.js';
import { PostgresStorage } from '../../src/server/storage/postgres-storage.js';
import { SqliteStorage } from '../../src/server/storage/sqlite-storage.js';
import type { StorageAdapter } from '../../src/server/storage/storage-adapter.js';
import { startPostgres, type PostgresServer } from './postgres.js';

export interface StorageEngine {
  name: string;
  /** Before the engine's first use in a file (start a server); may be absent. */
  setup?(): Promise<void>;
  /** After the last use in a file (stop the server). */
  teardown?(): Promise<void>;
  /** A new, empty store. `dir` is a fresh temp directory the test removes after. */
  create(dir: string): StorageAdapter | Promise<StorageAdapter>;
}

export const storageEngines: StorageEngine[] = [
  { name: 'memory', create: () => new MemoryStorage() },
  { name: 'sqlite', create: (dir) => new SqliteStorage(join(dir, 'robustmq.db')) },
  postgresEngine(),
];

/**
 * postgres: one throwaway server per test file (setup/teardown are counted, so suites may nest them),
 * one fresh database per `dir`: create() on the same dir again opens the same database, as sqlite's file.
 */
function postgresEngine(): StorageEngine {
  let server: Promise<PostgresServer> | undefined;
  let users = 0;
  const databases = new Map<string, string>();
  return {
    name: 'postgres',
    async setup() {
      users++;
      server ??= startPostgres();
      await server;
    },
    async teardown() {
      if (--users > 0 || !server) return;
      const s = server;
      server = undefined;
      databases.clear();
      await (await s).stop();
    },
    async create(dir) {
      if (!server) throw new Error('the postgres engine needs setup() before create()');
      let url = databases.get(dir);
      if (url === undefined) databases.set(dir, (url = await (await server).createDatabase()));
      return new PostgresStorage({ url });
    },
  };
}

/** Drops keys whose value is undefined (recursively, Buffers kept), so `{a: undefined}` equals `{}`. */
export function norm<T>(v: T): T {
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(norm) as T;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = norm(x);
  return out as T;
}
