// How the schema commands show payload schemas and their bindings in tables.
import type { SchemaBindingInfo, SchemaInfo } from '../admin-api.js';
import { renderRecord, renderTable } from './render.js';

/** The filters a schema is bound to, comma separated; `-` when none. */
function topicsText(s: SchemaInfo): string {
  return s.topics.length === 0 ? '-' : s.topics.join(', ');
}

export function renderSchemas(schemas: readonly SchemaInfo[], color: boolean): string {
  return renderTable(
    schemas,
    [
      { header: 'name', value: (s) => s.name },
      { header: 'type', value: (s) => s.type },
      { header: 'message type', value: (s) => s.messageType || '-' },
      { header: 'bound to', value: topicsText },
      { header: 'invalid', value: (s) => s.invalidCount },
      { header: 'source', value: (s) => s.source },
      { header: 'description', value: (s) => s.description },
    ],
    color,
  );
}

export function renderSchema(s: SchemaInfo, color: boolean): string {
  return renderRecord(
    [
      ['name', s.name],
      ['type', s.type],
      ['message type', s.messageType || '-'],
      ['bound to', topicsText(s)],
      ['invalid', s.invalidCount],
      ['source', s.source],
      ['description', s.description],
      ['created at', new Date(s.createdAtMs).toISOString()],
    ],
    color,
  );
}

export function renderSchemaBinding(b: SchemaBindingInfo, color: boolean): string {
  return renderRecord(
    [
      ['schema', b.schema],
      ['topic filter', b.topic],
      ['source', b.source],
    ],
    color,
  );
}
