// `robustmq-cli acl list`: ACL rules in evaluation order, filtered and paged by the server.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderAclRules } from '../../lib/cli/render-security.js';

export default class AclList extends AdminCommand<typeof AclList> {
  static override summary = 'List ACL rules in evaluation order (the order they were added in).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --username alice',
    '<%= config.bin %> <%= command.id %> --client-id svc-1 --all --json',
  ];
  static override flags = {
    username: Flags.string({ summary: 'Only the rules naming this username.', exclusive: ['client-id'] }),
    'client-id': Flags.string({ summary: 'Only the rules naming this client id.', exclusive: ['username'] }),
    ...pagingFlags('Rules'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { username: f.username, clientId: f['client-id'], limit: f.limit };
    const page = await fetchPages((pageToken) => api.listAcls({ ...filter, pageToken }), f['page-token'], f.all);
    const rules = page.items;
    this.output({ rules, nextPageToken: page.nextPageToken, total: page.total }, () => {
      return `${renderAclRules(rules, this.color)}\n${pageFooter(rules.length, page.total, page.nextPageToken, 'rule')}`;
    });
  }
}
