// `robustmq-cli blacklist list`: bans in force (ended ones are removed, not listed), paged by the server.
import { Flags } from '@oclif/core';
import type { BanKind } from '../../lib/admin-api.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderBans } from '../../lib/cli/render-security.js';
import { BAN_KINDS } from '../../lib/security-rules.js';

export default class BlacklistList extends AdminCommand<typeof BlacklistList> {
  static override summary = 'List bans in force, by kind then value.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --kind ip',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];
  static override flags = {
    kind: Flags.string({ summary: 'Only bans of this kind.', options: [...BAN_KINDS] }),
    ...pagingFlags('Bans'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { kind: f.kind as BanKind | undefined, limit: f.limit };
    const page = await fetchPages((pageToken) => api.listBans({ ...filter, pageToken }), f['page-token'], f.all);
    const bans = page.items;
    this.output({ bans, nextPageToken: page.nextPageToken, total: page.total }, () => {
      return `${renderBans(bans, this.color)}\n${pageFooter(bans.length, page.total, page.nextPageToken, 'ban')}`;
    });
  }
}
