// An MQTT over TLS listener ([listeners.<name>] kind = "tls"): a tls.Server whose decrypted sockets
// go to the broker; mutual TLS and the certificate's name as username when configured; handshakes
// that do not finish within tls_handshake_timeout_ms are dropped; the certificate reloads without a
// restart (tls-reloader.ts).
import type net from 'node:net';
import tls from 'node:tls';
import type { ListenerConfig } from '../../lib/config-schema.js';
import { hostPort } from '../../lib/host-port.js';
import type { Broker } from '../broker.js';
import { certIdentity } from './cert-identity.js';
import { closeServer, listenOn, type MqttListener } from './listener.js';
import { loadTls, tlsServerOptions } from './tls-context.js';
import { TlsReloader } from './tls-reloader.js';
import { trackHandshakes, type HandshakeTracker } from './tls-handshakes.js';

export class TlsListener implements MqttListener {
  private readonly server: tls.Server;
  private readonly reloader: TlsReloader;
  private readonly handshakes: HandshakeTracker;
  port = 0;

  constructor(
    private readonly broker: Broker,
    readonly name: string,
    private readonly config: ListenerConfig,
  ) {
    const loaded = loadTls(name, config);
    const { tcp_nodelay: noDelay, tcp_keepalive_s: keepaliveS } = broker.config.mqtt;
    this.server = tls.createServer({
      ...tlsServerOptions(config, loaded),
      noDelay,
      keepAlive: keepaliveS > 0,
      keepAliveInitialDelay: keepaliveS * 1000,
    });
    this.handshakes = trackHandshakes(this.server, name, broker.log);
    this.server.on('secureConnection', (socket: tls.TLSSocket) => {
      const id = certIdentity(socket, config.tls_cert_as_username);
      broker.handleSocket(socket, {
        transport: 'tls',
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
        listener: name,
        certCommonName: id.commonName,
        certUsername: id.username,
      });
    });
    this.reloader = new TlsReloader(name, config, loaded, (l) => this.server.setSecureContext(l.options), broker.log);
  }

  async listen(): Promise<void> {
    this.port = await listenOn(
      this.server as net.Server,
      this.config.bind,
      this.config.port,
      `listeners.${this.name}.port`,
      this.broker.log,
    );
    this.reloader.start();
  }

  describe(): string {
    return `mqtts://${hostPort(this.config.bind, this.port)} (${this.name})`;
  }

  /** The SHA-256 fingerprint of the certificate new connections get. */
  get fingerprint(): string {
    return this.reloader.fingerprint;
  }

  reloadTls(reason: string): boolean {
    return this.reloader.reload(reason);
  }

  close(): Promise<void> {
    this.reloader.stop();
    const closed = closeServer(this.server);
    this.handshakes.abortAll();
    return closed;
  }
}
