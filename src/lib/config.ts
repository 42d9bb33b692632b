// Loading the broker configuration: defaults < TOML file < ROBUSTMQ_* environment < flags.
// A bad value fails fast with RMQ_ERR_CONFIG_INVALID naming the key and where it came from.
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { ConfigSchema, DEFAULT_CONFIG, type BrokerConfig, type BrokerConfigInput } from './config-schema.js';
import { RobustMQError } from './errors.js';

export { DEFAULT_CONFIG, type BrokerConfig, type BrokerConfigInput };

type Tree = Record<string, unknown>;

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: BrokerConfigInput;
}

function isObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(into: Tree, from: Tree, origin: Map<string, string>, source: string, prefix = ''): void {
  for (const [k, v] of Object.entries(from)) {
    if (v === undefined) continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (isObject(v)) {
      const target = isObject(into[k]) ? (into[k] as Tree) : {};
      into[k] = target;
      merge(target, v, origin, source, key);
    } else {
      into[k] = v;
      if (!origin.has(key) || source !== 'defaults') origin.set(key, source);
    }
  }
}

export function readConfigFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RobustMQError('RMQ_ERR_CONFIG_FILE', `cannot read config file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return parseToml(text) as Tree;
  } catch (err) {
    // smol-toml's message carries a multi-line code excerpt: keep its first line and the position
    const e = err as Error & { line?: number; column?: number };
    const where = e.line !== undefined ? ` at line ${e.line}, column ${e.column ?? 0}` : '';
    throw new RobustMQError(
      'RMQ_ERR_CONFIG_FILE',
      `config file ${file} is not valid TOML${where}: ${e.message.split('\n')[0]}`,
      { cause: err },
    );
  }
}

/** ROBUSTMQ_LIMITS_MAX_PACKET_SIZE=2048 -> { limits: { max_packet_size: 2048 } }, typed by the default. */
export function configFromEnv(env: NodeJS.ProcessEnv): Tree {
  const out: Tree = {};
  const defaults = DEFAULT_CONFIG as unknown as Record<string, Tree>;
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('ROBUSTMQ_') || raw === undefined) continue;
    const rest = name.slice('ROBUSTMQ_'.length).toLowerCase();
    // the longest section the name starts with: topic_rewrite before topics' neighbours
    let section = '';
    for (const s of Object.keys(defaults)) if (rest.startsWith(`${s}_`) && s.length > section.length) section = s;
    if (!section) section = rest.slice(0, Math.max(0, rest.indexOf('_')));
    if (!section) continue;
    const key = rest.slice(section.length + 1);
    const sectionDefaults = defaults[section];
    if (!sectionDefaults || !(key in sectionDefaults)) {
      // ROBUSTMQ_SERVER (the CLI's target) and friends are not broker keys
      if (section in defaults) {
        throw new RobustMQError(
          'RMQ_ERR_CONFIG_INVALID',
          `invalid configuration: ${section}.${key}: unknown key (from environment variable ${name})`,
        );
      }
      continue;
    }
    const def = sectionDefaults[key];
    let value: unknown = raw;
    if (typeof def === 'number') {
      value = raw.trim() === '' ? NaN : Number(raw);
      if (Number.isNaN(value)) {
        throw new RobustMQError(
          'RMQ_ERR_CONFIG_INVALID',
          `invalid configuration: ${section}.${key}: must be a number, got "${raw}" (from environment variable ${name})`,
        );
      }
    } else if (Array.isArray(def)) {
      // a list: comma-separated
      value = raw.trim() === '' ? [] : raw.split(',').map((x) => x.trim());
    } else if (typeof def === 'boolean') {
      if (/^(true|1|yes|on)$/i.test(raw)) value = true;
      else if (/^(false|0|no|off)$/i.test(raw)) value = false;
      else
        throw new RobustMQError(
          'RMQ_ERR_CONFIG_INVALID',
          `invalid configuration: ${section}.${key}: must be true or false, got "${raw}" (from environment variable ${name})`,
        );
    }
    const target = (out[section] as Tree | undefined) ?? {};
    target[key] = value;
    out[section] = target;
  }
  return out;
}

export function loadConfig(sources: ConfigSources = {}): BrokerConfig {
  const origin = new Map<string, string>();
  const tree: Tree = {};
  if (sources.file) merge(tree, readConfigFile(sources.file), origin, `config file ${sources.file}`);
  if (sources.env) {
    const fromEnv = configFromEnv(sources.env);
    merge(tree, fromEnv, origin, 'environment');
    // name the exact variable, so the message says what to change
    for (const [section, keys] of Object.entries(fromEnv))
      for (const key of Object.keys(keys as Tree))
        origin.set(`${section}.${key}`, `environment variable ROBUSTMQ_${section.toUpperCase()}_${key.toUpperCase()}`);
  }
  if (sources.overrides) merge(tree, sources.overrides as Tree, origin, 'flags');
  const result = ConfigSchema.safeParse(tree);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    let key = issue.path.join('.');
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const k = (issue as { keys: string[] }).keys[0]!;
      key = key ? `${key}.${k}` : k;
      message = 'unknown key';
    }
    // a list item (topics.log_filters.0) comes from where its key came from
    const from = origin.get(key) ?? origin.get(issue.path.slice(0, 2).join('.'));
    throw new RobustMQError(
      'RMQ_ERR_CONFIG_INVALID',
      `invalid configuration: ${key}: ${message}${from ? ` (from ${from})` : ''}`,
    );
  }
  return result.data;
}
