// `robustmq-cli user list`: users of password authentication (never their passwords or hashes).
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderTable } from '../../lib/cli/render.js';

export default class UserList extends AdminCommand<typeof UserList> {
  static override summary = 'List users in username order (paged on the server).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --username sensor-',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];
  static override flags = {
    username: Flags.string({ summary: 'Only users whose name contains this text.' }),
    ...pagingFlags('Users'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { username: f.username, limit: f.limit };
    const page = await fetchPages((pageToken) => api.listUsers({ ...filter, pageToken }), f['page-token'], f.all);
    const users = page.items;
    this.output({ users, nextPageToken: page.nextPageToken, total: page.total }, () => {
      const table = renderTable(
        users,
        [
          { header: 'username', value: (u) => u.username },
          { header: 'superuser', value: (u) => (u.superuser ? 'yes' : 'no') },
          { header: 'created at', value: (u) => new Date(u.createdAtMs).toISOString() },
        ],
        this.color,
      );
      return `${table}\n${pageFooter(users.length, page.total, page.nextPageToken, 'user')}`;
    });
  }
}
