// $SYS/brokers/{node}/... : broker statistics published (retained) every sys.interval seconds.
// With several worker processes, worker 0 publishes the node's figures, summed over all workers.
import type { ClusterStatus, NodeStatus } from '../../lib/admin-api.js';
import { createMessage } from '../message.js';
import type { Broker } from '../broker.js';

export class SysPublisher {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly broker: Broker,
    /** Worker mode: where the node's figures come from (this process has only its own). */
    private readonly nodeStatus?: () => Promise<ClusterStatus | undefined>,
  ) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.broker.config.sys.interval * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (!this.nodeStatus) {
      this.publishAll(this.snapshot());
      return;
    }
    this.nodeStatus().then(
      (status) => {
        const node = status?.nodes[0];
        if (node && this.timer !== undefined) this.publishAll(fromNodeStatus(node));
      },
      (err: unknown) => this.broker.log.warn({ err }, '$SYS figures not available'),
    );
  }

  /** The values of this process, by topic suffix. */
  snapshot(): Record<string, string> {
    const b = this.broker;
    const m = b.metrics;
    let connected = 0;
    for (const c of b.connections) if (c.state === 'connected') connected++;
    return {
      version: b.version,
      uptime: String(Math.floor((Date.now() - b.startedAt) / 1000)),
      datetime: new Date().toISOString(),
      'clients/connected': String(connected),
      'clients/total': String(b.sessions.size),
      'subscriptions/count': String(b.router.size),
      'retained/count': String(b.retained.size),
      'messages/received': String(m.messagesReceived),
      'messages/sent': String(m.messagesSent),
      'messages/dropped': String(m.messagesDropped),
      'bytes/received': String(m.bytesReceived),
      'bytes/sent': String(m.bytesSent),
    };
  }

  publishAll(values: Record<string, string> = this.snapshot()): void {
    const prefix = `$SYS/brokers/${this.broker.nodeName}/`;
    for (const [suffix, value] of Object.entries(values)) {
      this.broker.publish(
        createMessage({ topic: prefix + suffix, payload: Buffer.from(value), qos: 0, retain: true, origin: '' }),
      );
    }
  }
}

function fromNodeStatus(n: NodeStatus): Record<string, string> {
  return {
    version: n.version,
    uptime: String(Math.floor(n.uptimeMs / 1000)),
    datetime: new Date().toISOString(),
    'clients/connected': String(n.connections),
    'clients/total': String(n.sessions),
    'subscriptions/count': String(n.subscriptions),
    'retained/count': String(n.retained),
    'messages/received': String(n.messagesReceived),
    'messages/sent': String(n.messagesSent),
    'messages/dropped': String(n.messagesDropped),
    'bytes/received': String(n.bytesReceived),
    'bytes/sent': String(n.bytesSent),
  };
}
