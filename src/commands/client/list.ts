// `robustmq-cli client list`: connected clients, filtered and paged by the server.
import { Flags } from '@oclif/core';
import type { ClientInfo, Page } from '../../lib/admin-api.js';
import { MAX_PAGE_SIZE } from '../../lib/admin-api.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderTable } from '../../lib/cli/render.js';

export default class ClientList extends AdminCommand<typeof ClientList> {
  static override summary = 'List connected clients (filtered and paged on the server).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --client-id sensor- --limit 50',
    '<%= config.bin %> <%= command.id %> --username alice --json',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];

  static override flags = {
    'client-id': Flags.string({ summary: 'Only clients whose id contains this text.' }),
    username: Flags.string({ summary: 'Only clients connected with this username.' }),
    ip: Flags.string({ summary: 'Only clients connected from this IP address.' }),
    limit: Flags.integer({
      summary: `Clients per page (1-${MAX_PAGE_SIZE}).`,
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
    const filter = { clientId: f['client-id'], username: f.username, ip: f.ip, limit: f.limit };
    let page: Page<ClientInfo> = await api.listClients({ ...filter, pageToken: f['page-token'] });
    const clients = [...page.items];
    while (f.all && page.nextPageToken) {
      page = await api.listClients({ ...filter, pageToken: page.nextPageToken });
      clients.push(...page.items);
    }
    this.output({ clients, nextPageToken: page.nextPageToken, total: page.total }, () => {
      const table = renderTable(
        clients,
        [
          { header: 'client id', value: (c) => c.clientId },
          { header: 'username', value: (c) => c.username },
          { header: 'address', value: (c) => `${c.ip}:${c.port}` },
          { header: 'mqtt', value: (c) => ({ 3: '3.1', 4: '3.1.1', 5: '5.0' })[c.protocolVersion] ?? '?' },
          { header: 'keepalive', value: (c) => c.keepaliveS },
          { header: 'clean', value: (c) => (c.cleanStart ? 'yes' : 'no') },
          { header: 'subs', value: (c) => c.subscriptions },
          { header: 'inflight', value: (c) => c.inflight },
          { header: 'queued', value: (c) => c.queued },
          { header: 'connected at', value: (c) => new Date(c.connectedAtMs).toISOString() },
        ],
        this.color,
      );
      const more = page.nextPageToken ? `; next page: --page-token ${page.nextPageToken}` : '';
      return `${table}\n${clients.length} of ${page.total} client(s)${more}`;
    });
  }
}
