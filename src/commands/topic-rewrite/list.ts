// `robustmq-cli topic-rewrite list`: the topic rewrite rules in list order, the configuration file's first.
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderTopicRewrites } from '../../lib/cli/render-topic-rewrite.js';

export default class TopicRewriteList extends AdminCommand<typeof TopicRewriteList> {
  static override summary = "List topic rewrite rules in list order (the configuration file's first).";
  static override description =
    'When several rules match a topic, the one with the highest position applies. Rules of source "config" come from the configuration file ([[topic_rewrite.rules]]) and are changed there; "api" rules were added with topic-rewrite create (or the admin API) and are stored.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];
  static override flags = { ...pagingFlags('Rules') };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const page = await fetchPages(
      (pageToken) => api.listTopicRewrites({ limit: f.limit, pageToken }),
      f['page-token'],
      f.all,
    );
    const rules = page.items;
    this.output({ rules, nextPageToken: page.nextPageToken, total: page.total }, () => {
      return `${renderTopicRewrites(rules, this.color)}\n${pageFooter(rules.length, page.total, page.nextPageToken, 'rule')}`;
    });
  }
}
