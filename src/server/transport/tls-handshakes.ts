// The TLS handshakes a server has not finished: counted; a failed or timed-out one
// (tls_handshake_timeout_ms) logged at debug level (a scanner or a client with the wrong CA is not an
// error of the broker) and closed; all dropped when the listener closes (else close() would wait
// for each to time out).
import type net from 'node:net';
import type tls from 'node:tls';
import type { Logger } from '../../lib/logger.js';

export interface HandshakeTracker {
  /** Handshakes in progress. */
  readonly pending: number;
  abortAll(): void;
}

export function trackHandshakes(server: tls.Server, listener: string, log: Logger): HandshakeTracker {
  const pending = new Set<net.Socket>();
  server.on('connection', (raw: net.Socket) => {
    pending.add(raw);
    raw.once('close', () => pending.delete(raw));
  });
  // a TLSSocket's _parent is the TCP socket it was made on (Node's tls server)
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    const raw = (socket as unknown as { _parent?: net.Socket })._parent;
    if (raw) pending.delete(raw);
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    log.debug(
      { listener, remoteAddress: socket.remoteAddress, error: err.code ?? err.message },
      'TLS handshake failed',
    );
    // with a listener for this event Node leaves the socket open (a handshake timeout included)
    socket.destroy();
  });
  return {
    get pending() {
      return pending.size;
    },
    abortAll() {
      for (const raw of pending) raw.destroy();
      pending.clear();
    },
  };
}
