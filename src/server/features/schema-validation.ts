// Schema validation (issue 7): payload schemas (JSON Schema, Avro, Protobuf) bound to topic filters.
// Owns the schemas and bindings (from [schema.schemas.<name>] of the configuration file, and those
// made through the admin API, kept as feature records 'schema' and 'schema-binding'), their compiled
// validators, the invalid-payload counts, and broker.features.schema: set only while at least one
// binding exists, so a broker without bindings does no work on the publish path.
//
// A PUBLISH whose topic matches bound filters must match EVERY schema bound to them (as EMQX runs
// every validation whose topics match); the first schema it fails is counted. What happens then is
// schema.on_invalid (publish-handler.ts maps the verdict to reason codes).
import { readFileSync } from 'node:fs';
import type { CreateSchemaRequest, SchemaBindingInfo, SchemaInfo, SchemaType } from '../../lib/admin-api.js';
import { SCHEMA_NAME, type SchemaEntrySchema } from '../../lib/config-schema.js';
import { RobustMQError } from '../../lib/errors.js';
import { topicMatches, validateTopicFilter } from '../../lib/topic.js';
import type { Broker } from '../broker.js';
import type { Connection } from '../protocol/connection.js';
import type { SchemaValidationSlot, SchemaVerdict } from './feature-slots.js';
import { compileAvroSchema } from './schema-avro.js';
import { compileJsonSchema } from './schema-json.js';
import type { PayloadValidator } from './schema-payload.js';
import { compileProtobufSchema } from './schema-protobuf.js';
import { loadFeatureRecords, parseRecordObject } from './feature-records.js';
import type { z } from 'zod';

export const SCHEMA_KIND = 'schema';
export const SCHEMA_BINDING_KIND = 'schema-binding';

/** Largest definition accepted (a .proto or JSON Schema of a few hundred messages fits). */
export const MAX_DEFINITION_BYTES = 1024 * 1024;

/** Topics whose list of schemas is kept; the cache starts again when full. */
const MAX_CACHED_TOPICS = 10_000;
/**
 * Longer topics (characters) are looked up in the bindings each time, not cached: the cache holds
 * at most MAX_CACHED_TOPICS x this, not 10,000 topics of 64 KiB each (655 MB from one client).
 */
export const MAX_CACHED_TOPIC_LENGTH = 1024;

/** A schema as stored (feature record 'schema', id = name). */
interface StoredSchema {
  name: string;
  type: SchemaType;
  definition: string;
  messageType: string;
  description: string;
  createdAt: number;
}

/** A binding as stored (feature record 'schema-binding', id = schema NUL topic). */
interface StoredBinding {
  schema: string;
  topic: string;
  createdAt: number;
}

interface SchemaEntry extends StoredSchema {
  source: 'config' | 'api';
  validator: PayloadValidator;
  invalid: number;
}

interface BindingEntry extends StoredBinding {
  source: 'config' | 'api';
}

type ConfigEntry = z.infer<typeof SchemaEntrySchema>;

const bindingKey = (schema: string, topic: string): string => `${schema}\0${topic}`;

function invalid(message: string): RobustMQError {
  return new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', message);
}

/** Compiles a definition: its validator, and the protobuf message type's full name. */
export function compileSchema(
  type: SchemaType,
  definition: string,
  messageType: string,
): { validator: PayloadValidator; messageType: string } {
  if (Buffer.byteLength(definition) > MAX_DEFINITION_BYTES) {
    throw invalid(`the definition is larger than ${MAX_DEFINITION_BYTES} bytes`);
  }
  switch (type) {
    case 'json':
      if (messageType !== '') throw invalid('a message type is for protobuf schemas only');
      return { validator: compileJsonSchema(definition), messageType: '' };
    case 'avro':
      if (messageType !== '') throw invalid('a message type is for protobuf schemas only');
      return { validator: compileAvroSchema(definition), messageType: '' };
    case 'protobuf': {
      const v = compileProtobufSchema(definition, messageType);
      return { validator: v, messageType: v.messageType };
    }
    default:
      throw invalid(`a schema type is json, avro or protobuf; got "${String(type)}"`);
  }
}

/** A stored schema; throws when the record is not one. */
function decodeStoredSchema(value: string): StoredSchema {
  const s = parseRecordObject(value);
  if (typeof s.name !== 'string' || typeof s.definition !== 'string') throw new Error('not a schema record');
  return s as unknown as StoredSchema;
}

/** A stored binding; throws when the record is not one. */
function decodeStoredBinding(value: string): StoredBinding {
  const b = parseRecordObject(value);
  if (typeof b.schema !== 'string' || typeof b.topic !== 'string') throw new Error('not a schema binding record');
  return b as unknown as StoredBinding;
}

export class SchemaValidation implements SchemaValidationSlot {
  private readonly schemas = new Map<string, SchemaEntry>();
  private readonly bindings = new Map<string, BindingEntry>();
  /** Topic -> the schemas it must match (none: []). Cleared on every change of schemas or bindings. */
  private readonly cache = new Map<string, SchemaEntry[]>();

  constructor(private readonly broker: Broker) {}

  /** Config-file schemas, then the stored ones; a config-file schema that does not compile stops the start. */
  async load(): Promise<void> {
    for (const [name, entry] of Object.entries(this.broker.config.schema.schemas)) this.loadConfigEntry(name, entry);
    const storage = this.broker.storage;
    const log = this.broker.log;
    for (const { value: s } of await loadFeatureRecords(storage, SCHEMA_KIND, log, decodeStoredSchema)) {
      if (this.schemas.has(s.name)) {
        this.broker.log.warn(
          { schema: s.name },
          'stored schema ignored: the configuration file defines one of that name',
        );
        continue;
      }
      try {
        const { validator } = compileSchema(s.type, s.definition, s.messageType);
        this.schemas.set(s.name, { ...s, source: 'api', validator, invalid: 0 });
      } catch (err) {
        // stored by an older version that compiled it: left out, and said, rather than refusing to start
        this.broker.log.error(
          { schema: s.name, err: (err as Error).message },
          'stored schema does not compile: not used',
        );
      }
    }
    for (const { value: b } of await loadFeatureRecords(storage, SCHEMA_BINDING_KIND, log, decodeStoredBinding)) {
      if (!this.schemas.has(b.schema)) continue;
      const key = bindingKey(b.schema, b.topic);
      if (!this.bindings.has(key)) this.bindings.set(key, { ...b, source: 'api' });
    }
    this.changed();
    if (this.schemas.size > 0) {
      this.broker.log.info({ schemas: this.schemas.size, bindings: this.bindings.size }, 'payload schemas loaded');
    }
  }

  private loadConfigEntry(name: string, entry: ConfigEntry): void {
    const where = `schema.schemas.${name}`;
    let definition = entry.definition;
    if (entry.file !== '') {
      try {
        definition = readFileSync(entry.file, 'utf8');
      } catch (err) {
        throw new RobustMQError(
          'RMQ_ERR_CONFIG_INVALID',
          `invalid configuration: ${where}.file: cannot read ${entry.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
    }
    let compiled: ReturnType<typeof compileSchema>;
    try {
      compiled = compileSchema(entry.type, definition, entry.message_type);
    } catch (err) {
      throw new RobustMQError('RMQ_ERR_CONFIG_INVALID', `invalid configuration: ${where}: ${(err as Error).message}`);
    }
    const now = Date.now();
    this.schemas.set(name, {
      name,
      type: entry.type,
      definition,
      messageType: compiled.messageType,
      description: entry.description,
      createdAt: now,
      source: 'config',
      validator: compiled.validator,
      invalid: 0,
    });
    for (const topic of entry.topics) {
      this.bindings.set(bindingKey(name, topic), { schema: name, topic, createdAt: now, source: 'config' });
    }
  }

  /** Topics whose schema list is cached now. */
  get cachedTopics(): number {
    return this.cache.size;
  }

  /** The publish-path check (only attached while a binding exists). */
  check(conn: Connection, topic: string, payload: Buffer): SchemaVerdict {
    let list = this.cache.get(topic);
    if (list === undefined) {
      list = this.schemasFor(topic);
      if (topic.length <= MAX_CACHED_TOPIC_LENGTH) {
        if (this.cache.size >= MAX_CACHED_TOPICS) this.cache.clear();
        this.cache.set(topic, list);
      }
    }
    for (const schema of list) {
      const why = schema.validator.validate(payload);
      if (why === undefined) continue;
      schema.invalid++;
      this.broker.metrics.drop('schema_invalid');
      conn.debug({ topic, schema: schema.name, reason: why }, 'payload does not match its schema');
      return this.broker.config.schema.on_invalid;
    }
    return 'ok';
  }

  /** Every schema bound to a filter matching the topic, once each, in name order. */
  private schemasFor(topic: string): SchemaEntry[] {
    const names = new Set<string>();
    for (const b of this.bindings.values()) if (topicMatches(b.topic, topic)) names.add(b.schema);
    return [...names].sort().map((n) => this.schemas.get(n)!);
  }

  /** Bindings or schemas changed: the cache starts again, and the slot is set only while a binding exists. */
  private changed(): void {
    this.cache.clear();
    this.broker.features.schema = this.bindings.size > 0 ? this : undefined;
  }

  create(request: CreateSchemaRequest): SchemaInfo {
    const name = request.name ?? '';
    if (!SCHEMA_NAME.test(name))
      throw invalid(`a schema name is 1 to 64 letters, digits, '_', '-' or '.'; got "${name}"`);
    if (this.schemas.has(name)) throw new RobustMQError('RMQ_ERR_SCHEMA_EXISTS', `schema "${name}" exists already`);
    if (typeof request.definition !== 'string' || request.definition.trim() === '') {
      throw invalid('the definition is empty');
    }
    const compiled = compileSchema(request.type, request.definition, request.messageType ?? '');
    const stored: StoredSchema = {
      name,
      type: request.type,
      definition: request.definition,
      messageType: compiled.messageType,
      description: request.description ?? '',
      createdAt: Date.now(),
    };
    this.schemas.set(name, { ...stored, source: 'api', validator: compiled.validator, invalid: 0 });
    this.broker.storage.saveFeatureRecord(SCHEMA_KIND, name, JSON.stringify(stored));
    this.broker.log.info({ schema: name, type: stored.type }, 'schema created');
    return this.info(this.schemas.get(name)!);
  }

  delete(name: string): void {
    const s = this.mustGet(name);
    if (s.source === 'config') {
      throw new RobustMQError(
        'RMQ_ERR_CONFIG_DEFINED',
        `schema "${name}" is defined in the configuration file ([schema.schemas.${name}]): remove it there`,
      );
    }
    const topics = this.topicsOf(name);
    if (topics.length > 0) {
      throw new RobustMQError(
        'RMQ_ERR_SCHEMA_IN_USE',
        `schema "${name}" is bound to ${topics.join(', ')}: unbind it first (robustmq-cli schema unbind ${name} --topic ${topics[0]})`,
      );
    }
    this.schemas.delete(name);
    this.broker.storage.deleteFeatureRecord(SCHEMA_KIND, name);
    this.changed();
    this.broker.log.info({ schema: name }, 'schema deleted');
  }

  bind(name: string, topic: string): SchemaBindingInfo {
    this.mustGet(name);
    const check = validateTopicFilter(topic ?? '');
    if (!check.ok) throw new RobustMQError('RMQ_ERR_TOPIC_INVALID', `invalid topic filter "${topic}": ${check.reason}`);
    const key = bindingKey(name, topic);
    const known = this.bindings.get(key);
    if (known) return bindingInfo(known);
    const b: BindingEntry = { schema: name, topic, createdAt: Date.now(), source: 'api' };
    this.bindings.set(key, b);
    this.broker.storage.saveFeatureRecord(
      SCHEMA_BINDING_KIND,
      key,
      JSON.stringify({ schema: name, topic, createdAt: b.createdAt } satisfies StoredBinding),
    );
    this.changed();
    this.broker.log.info({ schema: name, topic }, 'schema bound');
    return bindingInfo(b);
  }

  unbind(name: string, topic: string): void {
    this.mustGet(name);
    const key = bindingKey(name, topic);
    const b = this.bindings.get(key);
    if (!b) {
      throw new RobustMQError('RMQ_ERR_SCHEMA_BINDING_NOT_FOUND', `schema "${name}" is not bound to "${topic}"`);
    }
    if (b.source === 'config') {
      throw new RobustMQError(
        'RMQ_ERR_CONFIG_DEFINED',
        `the binding of "${name}" to "${topic}" is in the configuration file: remove it there`,
      );
    }
    this.bindings.delete(key);
    this.broker.storage.deleteFeatureRecord(SCHEMA_BINDING_KIND, key);
    this.changed();
    this.broker.log.info({ schema: name, topic }, 'schema unbound');
  }

  get(name: string): SchemaInfo {
    return this.info(this.mustGet(name));
  }

  /** Every schema in name order. */
  list(): SchemaInfo[] {
    return [...this.schemas.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((s) => this.info(s));
  }

  /** Every binding in (schema, filter) order. */
  listBindings(): SchemaBindingInfo[] {
    return [...this.bindings.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, b]) => bindingInfo(b));
  }

  private mustGet(name: string): SchemaEntry {
    const s = this.schemas.get(name);
    if (!s) throw new RobustMQError('RMQ_ERR_SCHEMA_NOT_FOUND', `no schema "${name}"`);
    return s;
  }

  private topicsOf(name: string): string[] {
    const topics: string[] = [];
    for (const b of this.bindings.values()) if (b.schema === name) topics.push(b.topic);
    return topics.sort();
  }

  private info(s: SchemaEntry): SchemaInfo {
    return {
      name: s.name,
      type: s.type,
      definition: s.definition,
      messageType: s.messageType,
      description: s.description,
      topics: this.topicsOf(s.name),
      source: s.source,
      invalidCount: s.invalid,
      createdAtMs: s.createdAt,
    };
  }
}

function bindingInfo(b: BindingEntry): SchemaBindingInfo {
  return { schema: b.schema, topic: b.topic, source: b.source, createdAtMs: b.createdAt };
}
