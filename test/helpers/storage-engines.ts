// Every storage engine the conformance suites run against, each created in a fresh temp directory.
// Suites loop over `storageEngines` so that an engine added here is held to every contract.
import { join } from 'node:path';
import { MemoryStorage } from '../../src/server/storage/memory-storage.js';
import { SqliteStorage } from '../../src/server/storage/sqlite-storage.js';
import type { StorageAdapter } from '../../src/server/storage/storage-adapter.js';

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
];
