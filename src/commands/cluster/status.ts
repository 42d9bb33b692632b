// `robustmq-cli cluster status`: nodes, version, uptime, connections, message counters, storage.
import { renderRecord, renderTable, formatDuration } from '../../lib/cli/render.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import type { NodeStatus } from '../../lib/admin-api.js';

export default class ClusterStatus extends AdminCommand<typeof ClusterStatus> {
  static override summary = 'Show the cluster: its nodes, version, uptime, connections, messages and storage.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --server 10.0.0.5:1228 --json',
    '<%= config.bin %> <%= command.id %> --json | node -e \'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).nodes.length))\'',
  ];

  async run(): Promise<void> {
    const status = await this.adminApi().clusterStatus();
    this.output(status, () => {
      const sum = (f: (n: NodeStatus) => number) => status.nodes.reduce((a, n) => a + f(n), 0);
      const head = renderRecord(
        [
          ['cluster', status.clusterName],
          ['nodes', status.nodes.length],
          ['connections', sum((n) => n.connections)],
          ['sessions', sum((n) => n.sessions)],
          ['messages received', sum((n) => n.messagesReceived)],
          ['messages sent', sum((n) => n.messagesSent)],
          ['admin calls refused (no valid token)', sum((n) => n.adminAuthFailures)],
        ],
        this.color,
      );
      const nodes = renderTable(
        status.nodes,
        [
          { header: 'node', value: (n) => n.name },
          { header: 'version', value: (n) => n.version },
          { header: 'uptime', value: (n) => formatDuration(n.uptimeMs) },
          { header: 'mqtt', value: (n) => n.mqttAddress },
          { header: 'connections', value: (n) => n.connections },
          { header: 'sessions', value: (n) => n.sessions },
          { header: 'subscriptions', value: (n) => n.subscriptions },
          { header: 'retained', value: (n) => n.retained },
          { header: 'msgs in', value: (n) => n.messagesReceived },
          { header: 'msgs out', value: (n) => n.messagesSent },
          { header: 'dropped', value: (n) => n.messagesDropped },
          { header: 'storage', value: (n) => n.storageEngine },
          { header: 'workers', value: (n) => n.workers },
        ],
        this.color,
      );
      return `${head}\n${nodes}`;
    });
  }
}
