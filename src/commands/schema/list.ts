// `robustmq-cli schema list`: payload schemas, the topic filters each is bound to, and how many payloads each refused.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderSchemas } from '../../lib/cli/render-schema.js';

export default class SchemaList extends AdminCommand<typeof SchemaList> {
  static override summary = 'List payload schemas in name order, with their bindings and invalid-payload counts.';
  static override description =
    'The invalid column counts the PUBLISHes the schema refused since the broker started. With --json each schema carries its definition too.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name sensor',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];
  static override flags = {
    name: Flags.string({ summary: 'Only schemas whose name contains this text.' }),
    ...pagingFlags('Schemas'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { name: f.name, limit: f.limit };
    const page = await fetchPages((pageToken) => api.listSchemas({ ...filter, pageToken }), f['page-token'], f.all);
    const schemas = page.items;
    this.output({ schemas, nextPageToken: page.nextPageToken, total: page.total }, () => {
      return `${renderSchemas(schemas, this.color)}\n${pageFooter(schemas.length, page.total, page.nextPageToken, 'schema')}`;
    });
  }
}
