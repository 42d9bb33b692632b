// `robustmq-cli delayed list`: delayed messages held now, in due-time order, paged by the server.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderDelayedList } from '../../lib/cli/render-delayed.js';

export default class DelayedList extends AdminCommand<typeof DelayedList> {
  static override summary =
    'List the delayed messages ($delayed/{seconds}/{topic}) held now, in due-time order, without payloads.';
  static override description =
    'Each row is one held message: its id (for delayed get / delayed delete), the destination topic, and when it is due. --topic keeps the messages whose destination topic contains the text (not a topic filter). Not available with node.workers > 1.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --topic sensors/',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];
  static override flags = {
    topic: Flags.string({ summary: 'Only messages whose destination topic contains this text.' }),
    ...pagingFlags('Delayed messages'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { topic: f.topic, limit: f.limit };
    const page = await fetchPages((pageToken) => api.listDelayed({ ...filter, pageToken }), f['page-token'], f.all);
    const delayed = page.items;
    this.output({ delayed, nextPageToken: page.nextPageToken, total: page.total }, () => {
      const table = renderDelayedList(delayed, this.color);
      return `${table}\n${pageFooter(delayed.length, page.total, page.nextPageToken, 'delayed message')}`;
    });
  }
}
