// What every MQTT listener is to the broker (TCP, TLS, WebSocket, WebSocket over TLS), and binding a
// server to its address with one clear error when the address is taken.
import type net from 'node:net';
import { RobustMQError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

export interface MqttListener {
  /** listeners.<name>, or "default" for mqtt.bind/mqtt.port. */
  readonly name: string;
  /** The port actually bound (after listen()). */
  readonly port: number;
  listen(): Promise<void>;
  /** Stops accepting; connections already handed to the broker stay until the broker closes them. */
  close(): Promise<void>;
  /** e.g. mqtts://127.0.0.1:8883 (tls1) */
  describe(): string;
  /** TLS listeners: read the certificate files again (new connections get them). */
  reloadTls?(reason: string): boolean;
}

/** Listens on host:port; a failure is one RMQ_ERR_LISTEN saying which key to change. */
export function listenOn(
  server: net.Server,
  host: string,
  port: number,
  portKey: string,
  log: Logger,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new RobustMQError(
          'RMQ_ERR_LISTEN',
          `cannot listen on ${host}:${port} (${err.code ?? err.message}); choose another port with ${portKey}`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host, port, backlog: 1024 }, () => {
      server.off('error', onError);
      // a failed listen is reported once, by the rejection above (no logged stack trace at startup)
      server.on('error', (err) => log.error({ err, port }, 'listener error'));
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Closes a server; resolves when it has no connections left. */
export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
