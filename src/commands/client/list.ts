// `robustmq-cli client list`: connected clients, filtered and paged by the server.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { mqttVersionText, renderTable } from '../../lib/cli/render.js';

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
    ...pagingFlags('Clients'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { clientId: f['client-id'], username: f.username, ip: f.ip, limit: f.limit };
    const page = await fetchPages((pageToken) => api.listClients({ ...filter, pageToken }), f['page-token'], f.all);
    const clients = page.items;
    this.output({ clients, nextPageToken: page.nextPageToken, total: page.total }, () => {
      const table = renderTable(
        clients,
        [
          { header: 'client id', value: (c) => c.clientId },
          { header: 'username', value: (c) => c.username },
          { header: 'address', value: (c) => `${c.ip}:${c.port}` },
          { header: 'mqtt', value: (c) => mqttVersionText(c.protocolVersion) },
          { header: 'keepalive', value: (c) => c.keepaliveS },
          { header: 'clean', value: (c) => (c.cleanStart ? 'yes' : 'no') },
          { header: 'subs', value: (c) => c.subscriptions },
          { header: 'inflight', value: (c) => c.inflight },
          { header: 'queued', value: (c) => c.queued },
          { header: 'connected at', value: (c) => new Date(c.connectedAtMs).toISOString() },
        ],
        this.color,
      );
      return `${table}\n${pageFooter(clients.length, page.total, page.nextPageToken, 'client')}`;
    });
  }
}
