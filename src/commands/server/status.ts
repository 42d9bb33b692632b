// `robustmq-cli server status`: is the broker at the target running, and how (one node as a record:
// version, uptime, pid, listeners, storage, connections). Exit 0 running, 3 not reachable.
import { AdminGrpcClient } from '../../lib/admin-grpc-client.js';
import { AdminCommand, EXIT } from '../../lib/cli/admin-command.js';
import { renderNodeRecord } from '../../lib/cli/render-node.js';
import { isRobustMQError } from '../../lib/errors.js';

export default class ServerStatus extends AdminCommand<typeof ServerStatus> {
  static override summary =
    'Show whether the broker at the target is running: version, uptime, pid, listeners, storage, connections.';
  static override description =
    'The target is --server, ROBUSTMQ_SERVER or the current context (see context list). Exit 0 when the broker answers, 3 when it cannot be reached, with the reason on one line (and, with --json, {"status": "unreachable", ...} on stdout). For the nodes of a whole cluster see cluster status.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --server 127.0.0.1:1228 --json',
    '<%= config.bin %> <%= command.id %> --context prod',
    '<%= config.bin %> <%= command.id %> >/dev/null 2>&1 && echo running',
  ];

  async run(): Promise<void> {
    const api = this.adminApi();
    const server = api instanceof AdminGrpcClient ? api.address : '';
    let status;
    try {
      status = await api.clusterStatus();
    } catch (err) {
      if (!isRobustMQError(err) || err.code !== 'RMQ_ERR_UNREACHABLE') throw err;
      if (this.format !== 'table') {
        this.output({ status: 'unreachable', server, error: { code: err.code, message: err.message } }, () => '');
      }
      process.stderr.write(`Error: ${err.code}: ${err.message}\n`);
      return this.exit(EXIT.unreachable);
    }
    // the node that answered comes first
    const node = status.nodes[0]!;
    this.output({ status: 'running', server, cluster: status.clusterName, node }, () =>
      renderNodeRecord(
        node,
        [
          ['status', 'running'],
          ['server', server],
          ['cluster', status.clusterName],
        ],
        this.color,
      ),
    );
  }
}
