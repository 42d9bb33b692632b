// The configuration operations of the admin API over one process (a broker, or the primary of a
// node with workers): show the configuration it runs with, and apply a runtime change to it and to
// the parts that copied a value at construction (the logger's level, the session queue settings).
import type { ConfigEntry, ConfigValue } from '../../lib/admin-api.js';
import type { BrokerConfig } from '../../lib/config.js';
import { checkConfigChange, configEntries, configEntry } from '../../lib/config-runtime.js';
import type { Logger } from '../../lib/logger.js';
import type { SessionContext } from '../session/session.js';

/** What a runtime change reaches in one process. */
export interface ConfigHolder {
  /** The configuration object the process reads its values from. */
  readonly config: BrokerConfig;
  readonly log: Logger;
  /** The session settings copied from the configuration (absent in the primary, which has no sessions). */
  readonly sessionContext?: SessionContext;
  /** Told of every change once applied (the features that act on one: slow subscriptions, alarms). */
  readonly onChange?: (key: string, value: ConfigValue) => void;
}

export function getConfig(holder: ConfigHolder, key?: string): ConfigEntry[] {
  return key ? [configEntry(holder.config, key)] : configEntries(holder.config);
}

/** Checks and applies `key = text` (see checkConfigChange); returns the key's new entry. */
export function setConfig(holder: ConfigHolder, key: string, text: string): ConfigEntry {
  const value = checkConfigChange(holder.config, key, text);
  const [section, name] = key.split('.') as [keyof BrokerConfig, string];
  const values = holder.config[section] as unknown as Record<string, unknown>;
  const previous = values[name];
  values[name] = value;
  const ctx = holder.sessionContext;
  if (key === 'node.log_level') holder.log.level = value as string;
  else if (ctx && key === 'limits.max_queued_messages') ctx.maxQueued = value as number;
  else if (ctx && key === 'session.queue_qos0') ctx.queueQos0 = value as boolean;
  else if (ctx && key === 'session.queue_drop') ctx.queueDrop = value as 'oldest' | 'newest';
  holder.onChange?.(key, value);
  holder.log.info(
    { key, value, previous },
    'configuration changed at run time (the configuration file is not written)',
  );
  return configEntry(holder.config, key);
}
