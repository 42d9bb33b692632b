// The schema-validation part of the AdminApi: payload schemas and their bindings to topic filters,
// paged in name and (schema, filter) order, over the broker's SchemaValidation (features/).
import type {
  CreateSchemaRequest,
  Page,
  SchemaBindingFilter,
  SchemaBindingInfo,
  SchemaFilter,
  SchemaInfo,
} from '../../lib/admin-api.js';
import type { SchemaValidation } from '../features/schema-validation.js';
import { pageOfSorted } from './key-paging.js';

export class AdminSchemas {
  constructor(private readonly schemas: SchemaValidation) {}

  async createSchema(request: CreateSchemaRequest): Promise<SchemaInfo> {
    return this.schemas.create(request);
  }

  async listSchemas(filter: SchemaFilter = {}): Promise<Page<SchemaInfo>> {
    const all = this.schemas.list().filter((s) => !filter.name || s.name.includes(filter.name));
    return pageOfSorted(
      all,
      (s) => s.name,
      (s) => s,
      filter,
    );
  }

  async getSchema(name: string): Promise<SchemaInfo> {
    return this.schemas.get(name);
  }

  async deleteSchema(name: string): Promise<void> {
    this.schemas.delete(name);
  }

  async bindSchema(name: string, topic: string): Promise<SchemaBindingInfo> {
    return this.schemas.bind(name, topic);
  }

  async unbindSchema(name: string, topic: string): Promise<void> {
    this.schemas.unbind(name, topic);
  }

  async listSchemaBindings(filter: SchemaBindingFilter = {}): Promise<Page<SchemaBindingInfo>> {
    if (filter.schema) this.schemas.get(filter.schema); // RMQ_ERR_SCHEMA_NOT_FOUND for an unknown one
    const all = this.schemas.listBindings().filter((b) => !filter.schema || b.schema === filter.schema);
    return pageOfSorted(
      all,
      (b) => `${b.schema}\0${b.topic}`,
      (b) => b,
      filter,
    );
  }
}
