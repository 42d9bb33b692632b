// A WebSocket as the byte duplex the broker reads MQTT from: each binary message's bytes are pushed
// in order (an MQTT packet may span messages, a message may hold several packets: the frame reader
// sees one byte stream), each write goes out as one binary message. A text message breaks the rule
// that MQTT goes in binary frames [MQTT-6.0.0-1] and closes the connection.
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** WebSocket close code 1003: the endpoint received a data type it cannot accept (RFC 6455 7.4.1). */
const UNSUPPORTED_DATA = 1003;
/** How long a closing WebSocket waits for the peer's close frame before its socket is destroyed. */
const CLOSE_WAIT_MS = 1000;

export class WebSocketDuplex extends Duplex {
  constructor(private readonly ws: WebSocket) {
    super({ allowHalfOpen: false });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        // [MQTT-6.0.0-1] data that is not in a binary frame closes the network connection
        ws.close(UNSUPPORTED_DATA, 'MQTT needs binary frames');
        this.destroy();
        return;
      }
      if (!this.push(data)) ws.pause();
    });
    ws.once('close', () => {
      this.push(null);
      this.destroy();
    });
    ws.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    // the callback runs once ws has written the frame to the socket: the broker's write buffer
    // limit (writableLength, 'drain') sees a slow WebSocket client as it sees a slow TCP one
    this.ws.send(chunk, { binary: true }, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.ws.close(1000);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // a close handshake when it can still be had; ws ends the socket after it (or terminate below)
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(err ? 1011 : 1000);
    // a peer that does not answer the close frame is not waited for (ws would wait 30 s)
    if (this.ws.readyState !== this.ws.CLOSED) setTimeout(() => this.ws.terminate(), CLOSE_WAIT_MS).unref();
    callback(err);
  }

  /** Terminates the socket at once (no close handshake). */
  terminate(): void {
    this.ws.terminate();
  }
}
