// $SYS/brokers/{node}/... : broker statistics published (retained) every sys.interval seconds.
import { createMessage } from '../message.js';
import type { Broker } from '../broker.js';

export class SysPublisher {
  private timer?: NodeJS.Timeout;

  constructor(private readonly broker: Broker) {}

  start(): void {
    this.publishAll();
    this.timer = setInterval(() => this.publishAll(), this.broker.config.sys.interval * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The values, by topic suffix. */
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

  publishAll(): void {
    const prefix = `$SYS/brokers/${this.broker.nodeName}/`;
    for (const [suffix, value] of Object.entries(this.snapshot())) {
      this.broker.publish(
        createMessage({ topic: prefix + suffix, payload: Buffer.from(value), qos: 0, retain: true, origin: '' }),
      );
    }
  }
}
