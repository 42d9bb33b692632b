// The plain TCP listener: accepts sockets and hands each one to the broker as a byte duplex.
import net from 'node:net';
import { RobustMQError } from '../../lib/errors.js';
import type { Broker } from '../broker.js';

export class TcpListener {
  private readonly server: net.Server;
  port = 0;

  constructor(
    private readonly broker: Broker,
    private readonly host: string,
    private readonly requestedPort: number,
  ) {
    // TCP keep-alive finds peers that vanished without a FIN even when MQTT keep alive is 0; it is
    // off unless configured, as each accepted socket then needs four more socket options
    const keepaliveS = broker.config.mqtt.tcp_keepalive_s;
    const options = {
      noDelay: broker.config.mqtt.tcp_nodelay,
      keepAlive: keepaliveS > 0,
      keepAliveInitialDelay: keepaliveS * 1000,
    };
    this.server = net.createServer(options, (socket) => {
      broker.handleSocket(socket, {
        transport: 'tcp',
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          new RobustMQError(
            'RMQ_ERR_LISTEN',
            `cannot listen on ${this.host}:${this.requestedPort} (${err.code ?? err.message}); ` +
              'choose another port with --mqtt-port or mqtt.port',
            { cause: err },
          ),
        );
      };
      this.server.once('error', onError);
      this.server.listen({ host: this.host, port: this.requestedPort, backlog: 1024 }, () => {
        this.server.off('error', onError);
        // a failed listen is reported once, by the rejection above (no logged stack trace at startup)
        this.server.on('error', (err) => this.broker.log.error({ err }, 'tcp listener error'));
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  describe(): string {
    return `mqtt://${this.host}:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
