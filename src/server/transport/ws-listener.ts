// MQTT over WebSocket ([listeners.<name>] kind = "ws", or "wss": the same over an HTTPS server). Only
// the configured path upgrades; the subprotocol is "mqtt" (MQTT 5.0 section 6 / 3.1.1 section 6),
// or "mqttv3.1" for old clients. A handshake that offers subprotocols but neither of these is refused
// (400): the client asked for something else. One that offers none is accepted, as Mosquitto and
// EMQX (fail_if_no_subprotocol = false) accept it, since the MUST is on the client. Each WebSocket
// goes to the broker as a byte duplex (ws-duplex.ts) with the TCP peer's address.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { WebSocketServer } from 'ws';
import type { ListenerConfig } from '../../lib/config-schema.js';
import { hostPort } from '../../lib/host-port.js';
import type { Broker } from '../broker.js';
import { certIdentity } from './cert-identity.js';
import { closeServer, listenOn, type MqttListener } from './listener.js';
import { loadTls, tlsServerOptions } from './tls-context.js';
import { TlsReloader } from './tls-reloader.js';
import { trackHandshakes, type HandshakeTracker } from './tls-handshakes.js';
import { WebSocketDuplex } from './ws-duplex.js';

/** The WebSocket subprotocols of MQTT, the preferred first. */
export const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'] as const;

export class WsListener implements MqttListener {
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly reloader?: TlsReloader;
  private readonly handshakes?: HandshakeTracker;
  port = 0;

  constructor(
    private readonly broker: Broker,
    readonly name: string,
    private readonly config: ListenerConfig,
  ) {
    const secure = config.kind === 'wss';
    // an HTTP request that is not finished (headers, upgrade) within the CONNECT time is dropped
    const timeout = broker.config.mqtt.connect_timeout_ms;
    const httpOptions: http.ServerOptions = {
      requestTimeout: timeout,
      headersTimeout: timeout,
      connectionsCheckingInterval: Math.min(timeout, 30_000),
      noDelay: broker.config.mqtt.tcp_nodelay,
    };
    const onRequest = (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket', Connection: 'close' });
      res.end(`MQTT over WebSocket: connect with a WebSocket client to ${config.path} (subprotocol "mqtt")\n`);
    };
    if (secure) {
      const loaded = loadTls(name, config);
      const server = https.createServer({ ...httpOptions, ...tlsServerOptions(config, loaded) }, onRequest);
      this.server = server;
      this.handshakes = trackHandshakes(server, name, broker.log);
      this.reloader = new TlsReloader(name, config, loaded, (l) => server.setSecureContext(l.options), broker.log);
    } else {
      this.server = http.createServer(httpOptions, onRequest);
    }
    const maxPacket = broker.config.limits.max_packet_size;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // a message holds one packet or a few: bounded by the packet size limit with room for batching
      maxPayload: Math.max(2 * maxPacket, 65_536),
      handleProtocols: (offered: Set<string>) => MQTT_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
  }

  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://host').pathname;
    if (path !== this.config.path) {
      refuse(socket, 404, 'Not Found', `MQTT over WebSocket is served at ${this.config.path}`);
      return;
    }
    const header = req.headers['sec-websocket-protocol'];
    const offered = header ? header.split(',').map((p) => p.trim()) : [];
    if (offered.length > 0 && !offered.some((p) => (MQTT_SUBPROTOCOLS as readonly string[]).includes(p))) {
      refuse(socket, 400, 'Bad Request', 'MQTT over WebSocket needs the subprotocol "mqtt"');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const id =
        this.config.kind === 'wss' ? certIdentity(socket as tls.TLSSocket, this.config.tls_cert_as_username) : {};
      this.broker.handleSocket(new WebSocketDuplex(ws), {
        transport: this.config.kind === 'wss' ? 'wss' : 'ws',
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
        listener: this.name,
        certCommonName: id.commonName,
        certUsername: id.username,
      });
    });
  }

  async listen(): Promise<void> {
    const key = `listeners.${this.name}.port`;
    this.port = await listenOn(this.server, this.config.bind, this.config.port, key, this.broker.log);
    this.reloader?.start();
  }

  describe(): string {
    return `${this.config.kind}://${hostPort(this.config.bind, this.port)}${this.config.path} (${this.name})`;
  }

  get fingerprint(): string | undefined {
    return this.reloader?.fingerprint;
  }

  reloadTls(reason: string): boolean {
    return this.reloader ? this.reloader.reload(reason) : true;
  }

  close(): Promise<void> {
    this.reloader?.stop();
    const closed = closeServer(this.server);
    this.handshakes?.abortAll();
    // requests that never upgraded (the upgraded sockets belong to their connections)
    this.server.closeIdleConnections();
    this.wss.close();
    return closed;
  }
}

/** An HTTP error answer to an upgrade request, then the socket closes. */
function refuse(socket: net.Socket, status: number, text: string, body: string): void {
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body) + 1}\r\n\r\n${body}\n`,
    );
  }
  setTimeout(() => socket.destroy(), 1000).unref();
}
