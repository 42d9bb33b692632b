// `robustmq-cli node list`: the nodes of the cluster, one row each.
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderTable } from '../../lib/cli/render.js';
import { nodeColumns } from '../../lib/cli/render-node.js';

export default class NodeList extends AdminCommand<typeof NodeList> {
  static override summary = 'List the nodes of the cluster: address, version, uptime, connections, workers.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<void> {
    const { nodes } = await this.adminApi().clusterStatus();
    this.output({ nodes }, () =>
      renderTable(
        nodes,
        nodeColumns(['node', 'mqtt', 'version', 'uptime', 'connections', 'sessions', 'workers', 'storage']),
        this.color,
      ),
    );
  }
}
