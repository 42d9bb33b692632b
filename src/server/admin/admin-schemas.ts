// The schema-validation part of the AdminApi: payload schemas and their bindings to topic filters,
// paged in name and (schema, filter) order, over the broker's SchemaValidation (features/). A change
// is durable in storage when its call resolves (as the users' and ACLs' are).
import type {
  CreateSchemaRequest,
  Page,
  SchemaBindingFilter,
  SchemaBindingInfo,
  SchemaFilter,
  SchemaInfo,
} from '../../lib/admin-api.js';
import type { SchemaValidation } from '../features/schema-validation.js';
import type { StorageAdapter } from '../storage/storage-adapter.js';
import { pageOfSorted } from './key-paging.js';

export class AdminSchemas {
  constructor(
    private readonly schemas: SchemaValidation,
    private readonly storage: Pick<StorageAdapter, 'flush'>,
  ) {}

  async createSchema(request: CreateSchemaRequest): Promise<SchemaInfo> {
    const info = this.schemas.create(request);
    await this.storage.flush();
    return info;
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
    await this.storage.flush();
  }

  async bindSchema(name: string, topic: string): Promise<SchemaBindingInfo> {
    const info = this.schemas.bind(name, topic);
    await this.storage.flush();
    return info;
  }

  async unbindSchema(name: string, topic: string): Promise<void> {
    this.schemas.unbind(name, topic);
    await this.storage.flush();
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
