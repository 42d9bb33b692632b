// `robustmq-cli topic list`: created topics, filtered and paged by the server.
import { Flags } from '@oclif/core';
import { MAX_PAGE_SIZE, type Page, type TopicInfo } from '../../lib/admin-api.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
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
    limit: Flags.integer({
      summary: `Topics per page (1-${MAX_PAGE_SIZE}).`,
      default: 100,
      min: 1,
      max: MAX_PAGE_SIZE,
    }),
    'page-token': Flags.string({ summary: 'The page after this one: the token the previous page printed.' }),
    all: Flags.boolean({ summary: 'Every page, one after the other.', exclusive: ['page-token'] }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { name: f.name, limit: f.limit };
    let page: Page<TopicInfo> = await api.listTopics({ ...filter, pageToken: f['page-token'] });
    const topics = [...page.items];
    while (f.all && page.nextPageToken) {
      page = await api.listTopics({ ...filter, pageToken: page.nextPageToken });
      topics.push(...page.items);
    }
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
      const more = page.nextPageToken ? `; next page: --page-token ${page.nextPageToken}` : '';
      return `${table}\n${topics.length} of ${page.total} topic(s)${more}`;
    });
  }
}
