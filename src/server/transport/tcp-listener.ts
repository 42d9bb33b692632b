// The plain TCP listener: accepts sockets and hands each one to the broker as a byte duplex.
import net from 'node:net';
import { hostPort } from '../../lib/host-port.js';
import type { Broker } from '../broker.js';
import { closeServer, listenOn, type MqttListener } from './listener.js';

export class TcpListener implements MqttListener {
  private readonly server: net.Server;
  port = 0;

  /** `name` undefined: the default listener of mqtt.bind/mqtt.port. */
  constructor(
    private readonly broker: Broker,
    private readonly host: string,
    private readonly requestedPort: number,
    private readonly listenerName?: string,
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
        listener: listenerName,
      });
    });
  }

  get name(): string {
    return this.listenerName ?? 'default';
  }

  async listen(): Promise<void> {
    const key = this.listenerName ? `listeners.${this.listenerName}.port` : '--mqtt-port or mqtt.port';
    this.port = await listenOn(this.server, this.host, this.requestedPort, key, this.broker.log);
  }

  describe(): string {
    const url = `mqtt://${hostPort(this.host, this.port)}`;
    return this.listenerName ? `${url} (${this.listenerName})` : url;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}
