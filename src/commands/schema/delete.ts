// `robustmq-cli schema delete NAME`: removes a payload schema that is bound to no topic filter.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class SchemaDelete extends AdminCommand<typeof SchemaDelete> {
  static override summary = 'Delete a payload schema.';
  static override description =
    'A schema still bound to topic filters is not deleted (exit 1, RMQ_ERR_SCHEMA_IN_USE): unbind it first, so that no topic loses its validation by accident. Schemas of the configuration file are removed there.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> reading',
    '<%= config.bin %> <%= command.id %> reading --json',
  ];
  static override args = { name: Args.string({ description: 'Schema name.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(SchemaDelete);
    await this.adminApi().deleteSchema(args.name);
    this.output({ deleted: args.name }, () => `deleted schema ${args.name}`);
  }
}
