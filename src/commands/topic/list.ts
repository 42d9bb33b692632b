// `robustmq-cli topic list`: created topics, filtered and paged by the server.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderTable } from '../../lib/cli/render.js';
import { retentionText } from '../../lib/cli/render-topic.js';

export default class TopicList extends AdminCommand<typeof TopicList> {
  static override summary = 'List created topics (filtered and paged on the server).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --name sensors/',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];

  static override flags = {
    name: Flags.string({ summary: 'Only topics whose name contains this text.' }),
    ...pagingFlags('Topics'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { name: f.name, limit: f.limit };
    const page = await fetchPages((pageToken) => api.listTopics({ ...filter, pageToken }), f['page-token'], f.all);
    const topics = page.items;
    this.output({ topics, nextPageToken: page.nextPageToken, total: page.total }, () => {
      const table = renderTable(
        topics,
        [
          { header: 'name', value: (t) => t.name },
          { header: 'partitions', value: (t) => t.partitions },
          { header: 'messages', value: (t) => t.messages },
          { header: 'retention', value: (t) => retentionText(t) },
          { header: 'created at', value: (t) => new Date(t.createdAtMs).toISOString() },
        ],
        this.color,
      );
      return `${table}\n${pageFooter(topics.length, page.total, page.nextPageToken, 'topic')}`;
    });
  }
}
