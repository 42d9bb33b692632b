// JSON Schema payload validation with Ajv: draft 2020-12 (the default, and when "$schema" names it),
// draft 2019-09 or draft-07 (when "$schema" names them); formats ("date-time", "email"...) checked
// with ajv-formats. The payload must be UTF-8 JSON text: invalid UTF-8, text that is not JSON, or a
// document the schema refuses are all invalid. Unknown keywords are ignored, as the specification
// says (Ajv's strict mode off), but the schema itself must be valid against its meta-schema.
import Ajv2020 from 'ajv/dist/2020.js';
import Ajv2019 from 'ajv/dist/2019.js';
import AjvDraft7 from 'ajv';
import addFormats from 'ajv-formats';
import { isUtf8 } from 'node:buffer';
import { invalidDefinition, oneLine, type PayloadValidator } from './schema-payload.js';

type AjvLike = InstanceType<typeof Ajv2020.default>;

const DRAFTS: { match: RegExp; make: () => AjvLike }[] = [
  { match: /json-schema\.org\/draft\/2020-12\/schema/, make: () => new Ajv2020.default(options()) },
  { match: /json-schema\.org\/draft\/2019-09\/schema/, make: () => new Ajv2019.default(options()) },
  { match: /json-schema\.org\/draft-07\/schema/, make: () => new AjvDraft7.default(options()) as AjvLike },
];

function options() {
  return { strict: false, allErrors: false, validateSchema: true, validateFormats: true } as const;
}

function ajvFor(schema: unknown): AjvLike {
  const declared =
    typeof schema === 'object' && schema !== null && typeof (schema as { $schema?: unknown }).$schema === 'string'
      ? (schema as { $schema: string }).$schema
      : undefined;
  let index = 0;
  if (declared !== undefined) {
    index = DRAFTS.findIndex((d) => d.match.test(declared));
    if (index < 0) {
      throw invalidDefinition(
        'JSON',
        `"$schema" ${declared} is not supported: use draft 2020-12 (the default), 2019-09 or draft-07`,
      );
    }
  }
  // one Ajv per schema: two schemas with the same $id must not collide in one instance
  const ajv = DRAFTS[index]!.make();
  addFormats.default(ajv as unknown as Parameters<typeof addFormats.default>[0]);
  return ajv;
}

export function compileJsonSchema(definition: string): PayloadValidator {
  let schema: unknown;
  try {
    schema = JSON.parse(definition);
  } catch (err) {
    throw invalidDefinition('JSON', `the definition is not JSON: ${(err as Error).message}`);
  }
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw invalidDefinition('JSON', 'a JSON Schema is an object (or true / false)');
  }
  const ajv = ajvFor(schema);
  let check: ReturnType<AjvLike['compile']>;
  try {
    check = ajv.compile(schema as object | boolean);
  } catch (err) {
    throw invalidDefinition('JSON', err);
  }
  return {
    validate(payload: Buffer): string | undefined {
      if (!isUtf8(payload)) return 'payload is not valid UTF-8';
      let doc: unknown;
      try {
        doc = JSON.parse(payload.toString('utf8'));
      } catch {
        return 'payload is not JSON';
      }
      if (check(doc)) return undefined;
      const e = check.errors?.[0];
      return e ? oneLine(`${e.instancePath || '/'} ${e.message ?? 'is invalid'}`) : 'payload does not match';
    },
  };
}
