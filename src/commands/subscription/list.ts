// `robustmq-cli subscription list`: every subscription of the node, filtered and paged by the server.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderTable } from '../../lib/cli/render.js';
import { clientSubscriptionColumns } from '../../lib/cli/render-session.js';

export default class SubscriptionList extends AdminCommand<typeof SubscriptionList> {
  static override summary = 'List the subscriptions of every session (filtered and paged on the server).';
  static override description =
    'In client-id order, then filter order. The filter is shown as the client sent it, $share/{group}/ included. Both filters match text contained in the value (a substring), not topic wildcards.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --client-id sensor-',
    "<%= config.bin %> <%= command.id %> --filter '$share/' --json",
  ];

  static override flags = {
    'client-id': Flags.string({ summary: 'Only subscriptions of clients whose id contains this text.' }),
    filter: Flags.string({ summary: 'Only subscriptions whose topic filter contains this text.' }),
    ...pagingFlags('Subscriptions'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { clientId: f['client-id'], filter: f.filter, limit: f.limit };
    const page = await fetchPages(
      (pageToken) => api.listSubscriptions({ ...filter, pageToken }),
      f['page-token'],
      f.all,
    );
    const subscriptions = page.items;
    this.output({ subscriptions, nextPageToken: page.nextPageToken, total: page.total }, () => {
      const table = renderTable(subscriptions, clientSubscriptionColumns, this.color);
      return `${table}\n${pageFooter(subscriptions.length, page.total, page.nextPageToken, 'subscription')}`;
    });
  }
}
