// `robustmq-cli client describe CLIENT_ID`: one connected client, its session and subscriptions.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { mqttVersionText, renderRecord, renderTable } from '../../lib/cli/render.js';

export default class ClientDescribe extends AdminCommand<typeof ClientDescribe> {
  static override summary = 'Show one connected client: how it connected, its session and its subscriptions.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> sensor-42',
    '<%= config.bin %> <%= command.id %> sensor-42 --json',
  ];
  static override args = { 'client-id': Args.string({ description: 'Client identifier.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(ClientDescribe);
    const d = await this.adminApi().describeClient(args['client-id']);
    this.output(d, () => {
      const c = d.client;
      const record = renderRecord(
        [
          ['client id', c.clientId],
          ['username', c.username],
          ['address', `${c.ip}:${c.port} (${c.transport})`],
          ['mqtt', mqttVersionText(c.protocolVersion)],
          ['keepalive', `${c.keepaliveS} s`],
          ['clean start', c.cleanStart ? 'yes' : 'no'],
          ['session expiry', d.sessionExpiryS === 4_294_967_295 ? 'never' : `${d.sessionExpiryS} s`],
          ['inflight', c.inflight],
          ['queued', c.queued],
          ['connected at', new Date(c.connectedAtMs).toISOString()],
          ['node', c.node],
        ],
        this.color,
      );
      if (d.subscriptions.length === 0) return `${record}\nno subscriptions`;
      const subs = renderTable(
        d.subscriptions,
        [
          { header: 'filter', value: (s) => s.filter },
          { header: 'qos', value: (s) => s.qos },
          { header: 'no local', value: (s) => (s.noLocal ? 'yes' : 'no') },
          { header: 'retain as published', value: (s) => (s.retainAsPublished ? 'yes' : 'no') },
          { header: 'retain handling', value: (s) => s.retainHandling },
          { header: 'id', value: (s) => s.subscriptionId || '' },
        ],
        this.color,
      );
      return `${record}\n${subs}`;
    });
  }
}
