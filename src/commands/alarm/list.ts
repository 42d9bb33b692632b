// `robustmq-cli alarm list`: active system alarms, or the history of deactivated ones, or both.
import { Flags } from '@oclif/core';
import { MAX_PAGE_SIZE, type AlarmState } from '../../lib/admin-api.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter } from '../../lib/cli/paging.js';
import { renderAlarms } from '../../lib/cli/render-observe.js';

export default class AlarmList extends AdminCommand<typeof AlarmList> {
  static override summary = 'List active system alarms (--history: deactivated ones, newest first; --all: both).';
  static override description =
    'Alarms: high_memory (alarms.memory_high_mb), high_cpu (alarms.cpu_high_percent), event_loop_lag (alarms.event_loop_lag_ms), too_many_connections (alarms.connections_high_percent of limits.max_connections), storage_write_failed. Every page is fetched unless --limit or --page-token is given.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --history',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];
  static override flags = {
    history: Flags.boolean({ summary: 'Deactivated alarms (the history), newest first.', exclusive: ['all'] }),
    all: Flags.boolean({ summary: 'Active alarms, then the history.', exclusive: ['history'] }),
    limit: Flags.integer({
      summary: `Alarms per page (1-${MAX_PAGE_SIZE}); only that page is shown.`,
      min: 1,
      max: MAX_PAGE_SIZE,
    }),
    'page-token': Flags.string({ summary: 'The page after this one: the token the previous page printed.' }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const state: AlarmState = f.all ? 'all' : f.history ? 'deactivated' : 'activated';
    const onePage = f.limit !== undefined || f['page-token'] !== undefined;
    const page = await fetchPages(
      (pageToken) => api.listAlarms({ state, limit: f.limit, pageToken }),
      f['page-token'],
      !onePage,
    );
    const alarms = page.items;
    this.output({ alarms, nextPageToken: page.nextPageToken, total: page.total }, () => {
      return `${renderAlarms(alarms, this.color)}\n${pageFooter(alarms.length, page.total, page.nextPageToken, 'alarm')}`;
    });
  }
}
