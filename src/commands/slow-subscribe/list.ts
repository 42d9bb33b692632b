// `robustmq-cli slow-subscribe list`: the slowest (client id, topic) deliveries, slowest first.
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderSlowSubscriptions } from '../../lib/cli/render-observe.js';

export default class SlowSubscribeList extends AdminCommand<typeof SlowSubscribeList> {
  static override summary = 'List the slowest subscriptions (client id, topic, latency), slowest first.';
  static override description =
    'Deliveries that took longer than slow_subs.threshold_ms (by slow_subs.stats_type: whole = from the arrival at the broker to the end of delivery: QoS 0 written, QoS 1 PUBACK, QoS 2 PUBCOMP). At most slow_subs.top_k entries; an entry not slow again for slow_subs.expire_interval_s is removed. Empty while slow_subs.enabled is false: turn it on with `config set slow_subs.enabled true`.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = { ...pagingFlags('Entries') };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const page = await fetchPages(
      (pageToken) => api.listSlowSubscriptions({ limit: f.limit, pageToken }),
      f['page-token'],
      f.all,
    );
    const rows = page.items;
    this.output({ slowSubscriptions: rows, nextPageToken: page.nextPageToken, total: page.total }, () => {
      return `${renderSlowSubscriptions(rows, this.color)}\n${pageFooter(rows.length, page.total, page.nextPageToken, 'slow subscription')}`;
    });
  }
}
