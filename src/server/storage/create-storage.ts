// Builds the storage engine the configuration names: memory, sqlite (one file in the data dir) or
// postgres (a shared database).
import { join } from 'node:path';
import type { BrokerConfig } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import { MemoryStorage } from './memory-storage.js';
import { PostgresStorage } from './postgres-storage.js';
import { SqliteStorage } from './sqlite-storage.js';
import type { StorageAdapter } from './storage-adapter.js';

/** The sqlite engine's file in a data directory. */
export function sqliteFile(dataDir: string): string {
  return join(dataDir, 'robustmq.db');
}

/** `onFailure`: told when a write fails (after the log line), e.g. to raise the storage alarm. */
export function createStorage(config: BrokerConfig, log: Logger, onFailure?: (err: Error) => void): StorageAdapter {
  const { storage } = config;
  const onError = (err: Error) => {
    log.error({ err }, 'storage write failed: acknowledgements stop until restart');
    onFailure?.(err);
  };
  switch (storage.engine) {
    case 'memory':
      return new MemoryStorage();
    case 'sqlite':
      return new SqliteStorage(sqliteFile(config.node.data_dir), {
        commitIntervalMs: storage.commit_interval_ms,
        onError,
      });
    case 'postgres':
      return new PostgresStorage({ url: storage.postgres_url, commitIntervalMs: storage.commit_interval_ms, onError });
  }
}
