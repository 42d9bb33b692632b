// Reading a feature's stored records (FeatureStorage) back at start, the one way every feature does
// it: each JSON value is decoded by the feature; a record that cannot be read (not JSON, not an
// object, or refused by the feature's decoder) is skipped and logged as an error, and left in
// storage for someone to look at. It never stops the broker from starting.
import type { Logger } from '../../lib/logger.js';
import type { FeatureStorage } from '../storage/storage-adapter.js';

/** The JSON object of a stored record; throws when the text is not JSON or not an object. */
export function parseRecordObject(value: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(value);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('the stored value is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** The records of `kind` that `decode` accepts, in id order; the others are logged (error) and skipped. */
export async function loadFeatureRecords<T>(
  storage: FeatureStorage,
  kind: string,
  log: Logger,
  decode: (value: string, id: string) => T,
): Promise<{ id: string; value: T }[]> {
  const out: { id: string; value: T }[] = [];
  for (const r of await storage.loadFeatureRecords(kind)) {
    try {
      out.push({ id: r.id, value: decode(r.value, r.id) });
    } catch (err) {
      log.error({ kind, id: r.id, err: (err as Error).message }, 'stored feature record cannot be read: skipped');
    }
  }
  return out;
}
