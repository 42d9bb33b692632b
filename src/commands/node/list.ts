// `robustmq-cli node list`: the nodes of the cluster, one row each.
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { formatDuration, renderTable } from '../../lib/cli/render.js';

export default class NodeList extends AdminCommand<typeof NodeList> {
  static override summary = 'List the nodes of the cluster: address, version, uptime, connections, workers.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<void> {
    const { nodes } = await this.adminApi().clusterStatus();
    this.output({ nodes }, () =>
      renderTable(
        nodes,
        [
          { header: 'node', value: (n) => n.name },
          { header: 'mqtt', value: (n) => n.mqttAddress },
          { header: 'version', value: (n) => n.version },
          { header: 'uptime', value: (n) => formatDuration(n.uptimeMs) },
          { header: 'connections', value: (n) => n.connections },
          { header: 'sessions', value: (n) => n.sessions },
          { header: 'workers', value: (n) => n.workers },
          { header: 'storage', value: (n) => n.storageEngine },
        ],
        this.color,
      ),
    );
  }
}
