// `robustmq-cli auto-subscribe list`: the rules of the configuration file, then the runtime ones.
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderAutoSubscribes } from '../../lib/cli/render-subscription-features.js';

export default class AutoSubscribeList extends AdminCommand<typeof AutoSubscribeList> {
  static override summary =
    'List the auto-subscribe rules: those of the configuration file (source config) first, then the runtime ones.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];
  static override flags = { ...pagingFlags('Rules') };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const page = await fetchPages(
      (pageToken) => api.listAutoSubscribes({ limit: f.limit, pageToken }),
      f['page-token'],
      f.all,
    );
    const rules = page.items;
    this.output({ rules, nextPageToken: page.nextPageToken, total: page.total }, () => {
      return `${renderAutoSubscribes(rules, this.color)}\n${pageFooter(rules.length, page.total, page.nextPageToken, 'rule')}`;
    });
  }
}
