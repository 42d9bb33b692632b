// `robustmq-cli session list`: every session of the node, connected or not, filtered and paged by the server.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { mqttVersionText, renderTable } from '../../lib/cli/render.js';
import { expiryText, timeText } from '../../lib/cli/render-session.js';

export default class SessionList extends AdminCommand<typeof SessionList> {
  static override summary = 'List the sessions of the node, connected or not (filtered and paged on the server).';
  static override description =
    'A persistent session stays after its client disconnects, until its Session Expiry Interval passes; this lists them with the connected ones, in client-id order.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --disconnected --client-id sensor-',
    '<%= config.bin %> <%= command.id %> --connected --limit 50 --json',
  ];

  static override flags = {
    'client-id': Flags.string({ summary: 'Only sessions whose client id contains this text.' }),
    connected: Flags.boolean({ summary: 'Only sessions with a connection now.', exclusive: ['disconnected'] }),
    disconnected: Flags.boolean({ summary: 'Only sessions without a connection.', exclusive: ['connected'] }),
    ...pagingFlags('Sessions'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const connected = f.connected ? true : f.disconnected ? false : undefined;
    const filter = { clientId: f['client-id'], connected, limit: f.limit };
    const page = await fetchPages((pageToken) => api.listSessions({ ...filter, pageToken }), f['page-token'], f.all);
    const sessions = page.items;
    this.output({ sessions, nextPageToken: page.nextPageToken, total: page.total }, () => {
      const table = renderTable(
        sessions,
        [
          { header: 'client id', value: (s) => s.clientId },
          { header: 'connected', value: (s) => (s.connected ? 'yes' : 'no') },
          { header: 'mqtt', value: (s) => mqttVersionText(s.protocolVersion) },
          { header: 'expiry', value: (s) => expiryText(s.expiryIntervalS) },
          { header: 'disconnected at', value: (s) => timeText(s.disconnectedAtMs) },
          { header: 'subs', value: (s) => s.subscriptions },
          { header: 'queued', value: (s) => s.queued },
          { header: 'inflight', value: (s) => s.inflight },
        ],
        this.color,
      );
      return `${table}\n${pageFooter(sessions.length, page.total, page.nextPageToken, 'session')}`;
    });
  }
}
