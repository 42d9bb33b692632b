// The broker configuration as the admin API shows and changes it: every key flattened to
// section.key with secrets redacted, the keys that can change while the broker runs, and the check
// of a change (the value read from text like a ROBUSTMQ_* variable, then the same zod schema as the file).
import type { ConfigEntry, ConfigValue } from './admin-api.js';
import { ConfigSchema, DEFAULT_CONFIG, type BrokerConfig } from './config-schema.js';
import { RobustMQError } from './errors.js';

/**
 * Keys `config set` changes in a running broker, each read where it is used (or pushed to the part
 * that copied it: the logger's level, the session queue settings), so a change takes effect without
 * a restart. Keys a client was told in CONNACK (receive_maximum, topic_alias_maximum, max_qos,
 * retain_available, max_packet_size) are not here: changing them would break that promise to
 * clients already connected.
 */
export const RUNTIME_CONFIG_KEYS: Readonly<Record<string, string>> = {
  'node.log_level': 'at once, for every log line',
  'mqtt.connect_timeout_ms': 'at once, for connections still waiting for their CONNECT',
  'limits.max_connections': 'to new connections (with workers, each worker takes its share)',
  'limits.max_queued_messages': 'to the next message queued for any session',
  'limits.max_topic_levels': 'to the next PUBLISH, SUBSCRIBE or will',
  'limits.max_subscriptions_per_client': 'to the next SUBSCRIBE',
  'limits.max_client_id_length': 'to the next CONNECT',
  'limits.max_keepalive': 'to the next CONNECT',
  'limits.max_inflight': 'to the next CONNECT (the window of a connected client stays)',
  'limits.max_session_expiry_interval': 'to the next CONNECT or DISCONNECT',
  'limits.max_write_buffer': 'at once, for every connection',
  'session.queue_qos0': 'to the next message for an offline session',
  'session.queue_drop': 'to the next message for a full session queue',
  'slow_subs.enabled': 'at once (off: the list is emptied and the delivery hooks removed)',
  'slow_subs.threshold_ms': 'to the next delivery measured',
  'slow_subs.top_k': 'to the next slow delivery recorded',
  'slow_subs.expire_interval_s': 'at once',
  'slow_subs.stats_type': 'to the next delivery measured',
  'alarms.enabled': 'at once (off: the checks stop; active alarms are deactivated)',
  'alarms.check_interval_s': 'from the next check',
  'alarms.memory_high_mb': 'at the next check',
  'alarms.cpu_high_percent': 'at the next check',
  'alarms.event_loop_lag_ms': 'at the next check',
  'alarms.connections_high_percent': 'at the next check',
  'alarms.history_size': 'to the next alarm deactivated',
  'delayed.enabled': 'to the next PUBLISH to $delayed/... (messages already held are still published)',
  'delayed.max_delay_s': 'to the next PUBLISH to $delayed/...',
  'delayed.max_pending': 'to the next PUBLISH to $delayed/... (messages already held stay)',
  'schema.on_invalid': 'to the next PUBLISH whose payload does not match its schema',
};

/** Passwords, tokens, keys and connection strings (which may hold a password) are shown as "***". */
const SECRET_KEY = /(password|passwd|secret|token|credential|private_key|_url$|dsn|connection_string)/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.slice(key.lastIndexOf('.') + 1));
}

function redact(key: string, value: ConfigValue): ConfigValue {
  if (!isSecretKey(key)) return value;
  if (Array.isArray(value)) return value.map(() => '***');
  return value === '' ? '' : '***';
}

/** Every key of `config`, in schema order, as the admin API shows it (secrets redacted; an empty one stays empty). */
export function configEntries(config: BrokerConfig): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  const walk = (prefix: string, keys: Record<string, unknown>, secret: boolean): void => {
    for (const [name, value] of Object.entries(keys)) {
      const key = `${prefix}.${name}`;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        // a sub-section ([auth.jwt]) is shown key by key; every HTTP header may carry a credential
        walk(key, value as Record<string, unknown>, secret || name === 'headers');
        continue;
      }
      if (value === undefined) continue; // an optional table's unset key
      const shown = secret ? redact('secret', value as ConfigValue) : redact(key, value as ConfigValue);
      out.push({ key, value: shown, runtime: Object.hasOwn(RUNTIME_CONFIG_KEYS, key) });
    }
  };
  for (const [section, keys] of Object.entries(config as unknown as Record<string, Record<string, unknown>>)) {
    walk(section, keys, false);
  }
  return out;
}

/** One key's entry; RMQ_ERR_CONFIG_KEY when there is no such key. */
export function configEntry(config: BrokerConfig, key: string): ConfigEntry {
  const entry = configEntries(config).find((e) => e.key === key);
  if (!entry) {
    throw new RobustMQError(
      'RMQ_ERR_CONFIG_KEY',
      `unknown configuration key "${key}": keys are section.key, e.g. limits.max_connections (see robustmq-cli config get)`,
    );
  }
  return entry;
}

function settableKeys(): string {
  return Object.keys(RUNTIME_CONFIG_KEYS).join(', ');
}

/** Reads `text` as the type of the key's default: number, true/false, a comma-separated list, or text. */
function valueFromText(key: string, def: unknown, text: string): unknown {
  if (typeof def === 'number') {
    const n = text.trim() === '' ? NaN : Number(text);
    if (Number.isNaN(n)) throw invalid(`${key}: must be a number, got "${text}"`);
    return n;
  }
  if (typeof def === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(text)) return true;
    if (/^(false|0|no|off)$/i.test(text)) return false;
    throw invalid(`${key}: must be true or false, got "${text}"`);
  }
  if (Array.isArray(def)) return text.trim() === '' ? [] : text.split(',').map((x) => x.trim());
  return text;
}

function invalid(detail: string): RobustMQError {
  return new RobustMQError('RMQ_ERR_CONFIG_INVALID', `invalid configuration: ${detail}`);
}

/**
 * Checks a change of `key` to `text` against `config`: the key must be a runtime key
 * (RMQ_ERR_CONFIG_KEY, naming the keys that can be set), the value must pass the configuration
 * schema (RMQ_ERR_CONFIG_INVALID with the schema's message). Returns the value to apply.
 */
export function checkConfigChange(config: BrokerConfig, key: string, text: string): ConfigValue {
  if (!Object.hasOwn(RUNTIME_CONFIG_KEYS, key)) {
    const known = configEntries(DEFAULT_CONFIG).some((e) => e.key === key);
    throw new RobustMQError(
      'RMQ_ERR_CONFIG_KEY',
      known
        ? `${key} cannot be changed while the broker runs (set it in the configuration file and restart); keys that can be set: ${settableKeys()}`
        : `unknown configuration key "${key}"; keys that can be set: ${settableKeys()}`,
    );
  }
  const [section, name] = key.split('.') as [keyof BrokerConfig, string];
  const current = config[section] as unknown as Record<string, unknown>;
  const value = valueFromText(key, current[name], text);
  const candidate = { ...config, [section]: { ...current, [name]: value } };
  const result = ConfigSchema.safeParse(candidate);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw invalid(`${issue.path.join('.') || key}: ${issue.message}`);
  }
  return (result.data[section] as unknown as Record<string, ConfigValue>)[name]!;
}
