// `robustmq-cli exclusive list`: which client holds which `$exclusive/` filter, and since when.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderExclusive } from '../../lib/cli/render-subscription-features.js';

export default class ExclusiveList extends AdminCommand<typeof ExclusiveList> {
  static override summary = 'List the exclusive subscriptions held now ($exclusive/{filter}), in filter order.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --client-id worker-1',
    '<%= config.bin %> <%= command.id %> --filter jobs/ --json',
  ];
  static override flags = {
    filter: Flags.string({ summary: 'Only filters containing this text.' }),
    'client-id': Flags.string({ summary: "Only this client's." }),
    ...pagingFlags('Exclusive subscriptions'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { filter: f.filter, clientId: f['client-id'], limit: f.limit };
    const page = await fetchPages((pageToken) => api.listExclusive({ ...filter, pageToken }), f['page-token'], f.all);
    const holders = page.items;
    this.output({ holders, nextPageToken: page.nextPageToken, total: page.total }, () => {
      return `${renderExclusive(holders, this.color)}\n${pageFooter(holders.length, page.total, page.nextPageToken, 'exclusive subscription')}`;
    });
  }
}
