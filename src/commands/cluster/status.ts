// `robustmq-cli cluster status`: nodes, version, uptime, connections, message counters, storage.
import { renderRecord, renderTable } from '../../lib/cli/render.js';
import { nodeColumns } from '../../lib/cli/render-node.js';
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
          ['MQTT connections refused by authentication', sum((n) => n.mqttAuthFailures)],
        ],
        this.color,
      );
      const nodes = renderTable(
        status.nodes,
        nodeColumns([
          'node',
          'version',
          'uptime',
          'mqtt',
          'connections',
          'sessions',
          'subscriptions',
          'retained',
          'msgsIn',
          'msgsOut',
          'dropped',
          'storage',
          'workers',
        ]),
        this.color,
      );
      return `${head}\n${nodes}`;
    });
  }
}
