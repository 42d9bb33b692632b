// The per-connection channel: frames and parses bytes from the transport, enforces ordering rules
// (CONNECT first and once), keepalive bookkeeping, topic aliases and flow control, and writes
// packets. Packet families are handled in connect-handler, publish-handler, subscribe-handler.
import type { Duplex } from 'node:stream';
import mqtt, { type Packet } from 'mqtt-packet';
import type { Logger } from '../../lib/logger.js';
import type { Broker } from '../broker.js';
import type { Delivery, SessionOutput } from '../session/delivery.js';
import type { Session } from '../session/session.js';
import type { ConnectionAclRule } from '../security/auth-types.js';
import { handleAuthFrame, type ScramExchange } from '../security/scram-exchange.js';
import { remainingExpiry } from '../message.js';
import { FrameReader, type FrameError, type FrameSink } from './frame-reader.js';
import { parserSettingsFor, parseWholeFrame, type ParserSettings } from './packet-parser.js';
import { encodeAck, encodePublishHeader, PacketError, publishSize, type OutgoingPublish } from './publish-codec.js';
import { RC } from './reason-codes.js';
import { handleConnectFrame } from './connect-handler.js';
import { handlePublishFrame, handleAckFrame } from './publish-handler.js';
import { handleSubscribe, handleUnsubscribe } from './subscribe-handler.js';
import { handleDisconnect } from './disconnect-handler.js';
import { ClientQuota } from '../features/client-quota.js';

/** connecting: no CONNECT yet; authenticating: CONNECT read, the auth providers not answered yet. */
export type ConnectionState = 'connecting' | 'authenticating' | 'connected' | 'closed';

export interface TransportInfo {
  transport: 'tcp' | 'tls' | 'ws' | 'wss';
  remoteAddress: string;
  remotePort: number;
  /** The name of the listener that accepted the connection (listeners.<name>); undefined for mqtt.bind/port. */
  listener?: string;
  /** TLS listeners that ask for client certificates: the verified certificate's subject CN. */
  certCommonName?: string;
  /** The user the client certificate names (listeners.<name>.tls_cert_as_username), for a CONNECT without a username. */
  certUsername?: string;
}

/** Packets a client may send after CONNECT while it is being authenticated, before the rest is refused. */
const MAX_HELD_FRAMES = 1000;
/** Bytes of such packets held before reading the client stops until it is let in (or refused). */
const MAX_HELD_BYTES = 64 * 1024;

let nextConnectionId = 1;

export class Connection implements SessionOutput, FrameSink {
  readonly id = nextConnectionId++;
  readonly openedAt = Date.now();
  state: ConnectionState = 'connecting';
  clientId = '';
  username?: string;
  protocolVersion: 3 | 4 | 5 = 4;
  keepalive = 0;
  lastSeen = Date.now();
  session: Session | null = null;
  /** Authenticated as a superuser: no ACL rule applies. */
  superuser = false;
  /** ACL rules of this connection only (from its authentication, e.g. a JWT claim), evaluated first. */
  connectionAcl?: ConnectionAclRule[];
  /** The v5 Authentication Method of the CONNECT (enhanced authentication): AUTH packets are only allowed with one. */
  authMethod?: string;
  /** The SCRAM exchange waiting for the client's next AUTH (at CONNECT or a re-authentication). */
  scram: ScramExchange | null = null;
  /** Packets that came after CONNECT while the providers answered: handled once it is accepted. */
  private held: Buffer[] | null = null;
  private heldBytes = 0;
  /** Reading stopped because the held packets reached MAX_HELD_BYTES (resumed once they are handled). */
  private heldFull = false;
  /** Client's limits towards us (v5 CONNECT properties). */
  clientMaxPacketSize = 268_435_455;
  clientTopicAliasMax = 0;
  clientReceiveMax = 65535;
  requestProblemInformation = true;
  /** Set when the client sent DISCONNECT 0x00: the will is discarded [MQTT-3.14.4-3]. */
  normalDisconnect = false;
  /** The session expiry requested at CONNECT, for the DISCONNECT rule [MQTT-3.14.2-2]. */
  connectExpiry = 0;
  /** Topic aliases, made on first use (most clients use none). */
  inboundAliases?: Map<number, string>;
  private outboundAliases?: Map<string, number>;
  /** Known once the CONNECT is parsed: how the shared parser reads this connection's packets. */
  private parserSettings?: ParserSettings;
  private readonly reader: FrameReader;
  /**
   * Small packets written in this tick, sent as one buffer at the end of it: one socket write per
   * tick instead of a stream request (and a writev slot) per header, payload and ack.
   */
  private out: Buffer[] | null = null;
  private outBytes = 0;
  flushScheduled = false;
  /** Acknowledgements waiting for their writes to be durable, in order, with each one's writeMark(). */
  private heldAcks: Buffer[] | null = null;
  private heldMarks: number[] | null = null;
  private ackWaiting = false;
  /** Reading is paused while our writes to a client that does not read pile up. */
  private readPaused = false;
  /** The last SUBACK waiting for the other workers to know its routes (worker mode). */
  private routeWait: Promise<void> | null = null;
  bytesIn = 0;
  bytesOut = 0;
  /** quota.messages_per_second / bytes_per_second; undefined when neither is set (no cost per packet). */
  readonly quota?: ClientQuota;
  private childLog?: Logger;

  constructor(
    readonly broker: Broker,
    readonly socket: Duplex,
    readonly info: TransportInfo,
  ) {
    this.reader = new FrameReader(broker.config.limits.max_packet_size, this);
    if (ClientQuota.enabled(broker.config)) this.quota = new ClientQuota(this, broker.config);
    // shared listeners that find the connection on the socket: no closures per connection
    (socket as ConnectionSocket)[CONNECTION] = this;
    socket.on('data', onSocketData);
    socket.on('drain', onSocketDrain);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  /** @internal socket 'data' */
  onData(chunk: Buffer): void {
    if (this.bytesIn === 0 && chunk.length > 0 && chunk[0] !== 0x10) {
      // [MQTT-3.1.0-1] the first byte shows the first packet is not a CONNECT: close now rather
      // than buffer up to max_packet_size of it until the connect timeout
      this.broker.metrics.protocolErrors++;
      this.destroy('first packet not CONNECT');
      return;
    }
    this.bytesIn += chunk.length;
    this.lastSeen = Date.now(); // per chunk, not per packet: the keepalive needs no finer clock
    this.broker.metrics.bytesReceived += chunk.length;
    this.reader.push(chunk);
    // acknowledgements to a client that never reads would grow without bound: stop reading it
    if (!this.readPaused && this.overWriteBound()) {
      this.readPaused = true;
      this.socket.pause();
    }
    // a client over its rate quota is not read until its debt is paid
    if (this.quota !== undefined && this.state !== 'closed') this.quota.charge(chunk.length);
  }

  /** @internal socket 'drain' */
  onDrain(): void {
    if (this.readPaused) {
      this.readPaused = false;
      this.resumeReading();
    }
    this.session?.drain();
  }

  /**
   * Reading is paused for three reasons, each with its own flag: our writes piling up (readPaused),
   * a congested link to another worker (broker.ingressHeld) and a rate quota (quota.paused). Each
   * clears its own flag and calls this, which resumes only when none holds reading any more.
   */
  resumeReading(): void {
    if (!this.readPaused && !this.broker.ingressHeld && this.quota?.paused !== true) this.socket.resume();
  }

  /** The broker holds (or releases) reading from every client while a link to another worker is congested. */
  holdIngress(hold: boolean): void {
    if (hold) this.socket.pause();
    else this.resumeReading();
  }

  /** This connection's logger, made on first use: most connections never log, and a child costs memory. */
  get log(): Logger {
    return (this.childLog ??= this.broker.log.child({
      conn: this.id,
      remote: `${this.info.remoteAddress}:${this.info.remotePort}`,
    }));
  }

  /** Debug lines only make the child logger when debug is on: a child per connection costs memory. */
  debug(obj: object, msg: string): void {
    if (this.broker.log.isLevelEnabled('debug')) this.log.debug(obj, msg);
  }

  get v5(): boolean {
    return this.protocolVersion === 5;
  }

  /** Parse a whole non-PUBLISH frame with mqtt-packet. Throws PacketError on malformed input. */
  parseFrame(frame: Buffer): Packet {
    const { packet: parsed, error } = parseWholeFrame(frame, this.parserSettings);
    if (parsed?.cmd === 'connect') {
      this.parserSettings = parserSettingsFor(
        parsed.protocolVersion ?? 4,
        (parsed as { bridgeMode?: boolean }).bridgeMode,
      );
    }
    if (error) {
      // "It is a Protocol Error to set the Retain Handling to 3" (MQTT 5.0, 3.8.3.1); other codec errors are malformed
      const code = /retain handling/i.test(error.message) ? RC.PROTOCOL_ERROR : RC.MALFORMED_PACKET;
      throw new PacketError(code, error.message);
    }
    if (!parsed) throw new PacketError(RC.MALFORMED_PACKET, 'incomplete packet');
    return parsed;
  }

  /** @internal a whole packet from the frame reader */
  onFrame(frame: Buffer): void {
    if (this.state === 'closed') return;
    const type = frame[0]! >> 4;
    if (this.state === 'authenticating') {
      if (type === 15 && this.scram !== null) {
        handleAuthFrame(this, frame); // the answer to the server's AUTH, before CONNACK
        return;
      }
      const held = (this.held ??= []);
      this.heldBytes += frame.length;
      // a client may not make us buffer more than this before it is let in: stop reading it
      if (this.heldBytes >= MAX_HELD_BYTES && !this.heldFull) {
        this.heldFull = true;
        this.socket.pause();
      }
      if (held.length >= MAX_HELD_FRAMES) {
        this.broker.metrics.protocolErrors++;
        this.destroy('too many packets before CONNACK');
      } else held.push(frame);
      return;
    }
    try {
      if (this.state === 'connecting') {
        // [MQTT-3.1.0-1] the first packet must be CONNECT
        if (type !== 1) {
          this.broker.metrics.protocolErrors++;
          this.debug({ type }, 'first packet is not CONNECT');
          this.destroy('first packet not CONNECT');
          return;
        }
        handleConnectFrame(this, frame);
        return;
      }
      switch (type) {
        case 3:
          if (this.quota !== undefined) this.quota.pendingMessages++;
          handlePublishFrame(this, frame);
          break;
        case 4:
        case 5:
        case 6:
        case 7:
          handleAckFrame(this, frame, type);
          break;
        case 8:
          handleSubscribe(this, this.parseFrame(frame) as mqtt.ISubscribePacket, frame);
          break;
        case 10:
          handleUnsubscribe(this, this.parseFrame(frame) as mqtt.IUnsubscribePacket, frame);
          break;
        case 12:
          if (frame[0] !== 0xc0 || frame.length !== 2) throw new PacketError(RC.MALFORMED_PACKET, 'bad PINGREQ');
          this.write(PINGRESP);
          break;
        case 14:
          handleDisconnect(this, this.parseFrame(frame) as mqtt.IDisconnectPacket);
          break;
        case 15:
          if (!this.v5) throw new PacketError(RC.MALFORMED_PACKET, 'AUTH is not an MQTT 3 packet');
          if (this.authMethod !== undefined) {
            handleAuthFrame(this, frame); // re-authentication (MQTT 5.0, 4.12.1)
            break;
          }
          this.parseFrame(frame);
          // no enhanced authentication method was accepted at CONNECT, so AUTH is not allowed [MQTT-4.12.0-1]
          throw new PacketError(RC.PROTOCOL_ERROR, 'AUTH without an authentication method');
        case 1:
          throw new PacketError(RC.PROTOCOL_ERROR, 'second CONNECT'); // [MQTT-3.1.0-2]
        case 0:
          throw new PacketError(RC.MALFORMED_PACKET, 'reserved packet type 0');
        default:
          throw new PacketError(RC.PROTOCOL_ERROR, `packet type ${type} may only be sent by a server`);
      }
    } catch (err) {
      if (err instanceof PacketError) {
        this.broker.metrics.protocolErrors++;
        this.debug({ reason: err.message, code: err.reasonCode }, 'protocol violation');
        this.disconnect(err.reasonCode, err.message);
      } else {
        this.log.error({ err }, 'internal error while handling a packet');
        this.disconnect(RC.IMPLEMENTATION_SPECIFIC_ERROR, 'internal error');
      }
    }
  }

  /** Handles, in order, the packets held while the client was authenticated (once it is connected). */
  replayHeld(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    this.heldBytes = 0;
    for (const frame of held) this.onFrame(frame);
    if (this.heldFull) {
      this.heldFull = false;
      if (this.state !== 'closed') this.resumeReading();
    }
  }

  /** @internal an unreadable or oversize packet header from the frame reader */
  onFrameError(kind: FrameError, size?: number): void {
    this.broker.metrics.protocolErrors++;
    if (kind === 'too-large') {
      this.broker.metrics.limitHit('max_packet_size');
      this.log.info({ size, max: this.broker.config.limits.max_packet_size }, 'packet larger than max_packet_size');
      this.disconnect(RC.PACKET_TOO_LARGE, 'packet too large');
    } else {
      this.disconnect(RC.MALFORMED_PACKET, 'malformed remaining length');
    }
  }

  // --- writing -------------------------------------------------------------------------------

  write(buf: Buffer): void {
    if (this.state === 'closed' || this.socket.destroyed) return;
    this.bytesOut += buf.length;
    this.broker.metrics.bytesSent += buf.length;
    if (buf.length >= DIRECT_WRITE_MIN) {
      // a large payload is handed over as it is, not copied: first what was written before it
      this.flushOut();
      this.socket.write(buf);
      return;
    }
    if (this.out === null) this.out = [buf];
    else this.out.push(buf);
    this.outBytes += buf.length;
    if (this.outBytes >= COALESCE_MAX) this.flushOut();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(flushTick, this);
    }
  }

  /** Hand what was written in this tick to the socket, as one buffer. */
  flushOut(): void {
    const out = this.out;
    if (out === null) return;
    this.out = null;
    const n = this.outBytes;
    this.outBytes = 0;
    if (!this.socket.destroyed) this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out, n));
  }

  /**
   * Write the acknowledgement (PUBACK, PUBREC, PUBCOMP) of an inbound packet once what it acknowledges
   * is durable: it waits for the writes issued up to now (their group commit), not for later ones.
   * Acknowledgements keep their order [MQTT-4.6.0-2], so one that needs no wait still goes after those
   * held.
   */
  writeAck(buf: Buffer): void {
    const storage = this.broker.storage;
    const mark = storage.writeMark(); // covers the writes of what this acknowledges
    if (this.heldAcks === null) {
      if (storage.isDurable(mark)) {
        this.write(buf);
        return;
      }
      this.heldAcks = [];
      this.heldMarks = [];
    }
    this.heldAcks.push(buf);
    this.heldMarks!.push(mark);
    if (!this.ackWaiting) this.waitForHeldAcks();
  }

  /** Waits for the first held acknowledgement's writes; then writes every one whose writes are durable. */
  private waitForHeldAcks(): void {
    this.ackWaiting = true;
    this.broker.storage.flushTo(this.heldMarks![0]!).then(
      () => {
        this.ackWaiting = false;
        const acks = this.heldAcks;
        const marks = this.heldMarks;
        if (acks === null || marks === null) return;
        const storage = this.broker.storage;
        let k = 0;
        while (k < acks.length && storage.isDurable(marks[k]!)) this.write(acks[k++]!);
        if (k === acks.length) {
          this.heldAcks = this.heldMarks = null;
          return;
        }
        acks.splice(0, k);
        marks.splice(0, k);
        this.waitForHeldAcks();
      },
      (err: unknown) => {
        // nothing is acknowledged that is not stored: the client will send it again
        this.ackWaiting = false;
        this.heldAcks = this.heldMarks = null;
        this.log.error({ err }, 'storage failed: closing the connection without acknowledging');
        this.disconnect(RC.UNSPECIFIED_ERROR, 'storage unavailable');
      },
    );
  }

  /**
   * Runs `fn` (which sends a SUBACK) once the other workers know the routes added so far (worker
   * mode; at once otherwise), so that a PUBLISH the client sends after its SUBACK reaches the new
   * subscription wherever it lands. Calls keep their order.
   */
  afterRoutes(fn: () => void): void {
    const barrier = this.broker.routeBarrier();
    if (barrier === null && this.routeWait === null) {
      fn();
      return;
    }
    const next: Promise<void> = Promise.all([this.routeWait, barrier]).then(() => {
      if (this.routeWait === next) this.routeWait = null;
      fn(); // also when closed meanwhile: an offline persistent session still gets its retained messages
    });
    this.routeWait = next;
  }

  /** Encode and write a non-PUBLISH packet with mqtt-packet. */
  send(packet: Packet): void {
    this.write(mqtt.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  /**
   * Over max_write_buffer, and sure to get a 'drain' event: only when the stream itself needs a
   * drain (its length passed its highWaterMark: 16 KiB on Node 20, 64 KiB from Node 22) is one
   * coming, so a smaller bound must not stop reading or sending with no event to restart them.
   */
  private overWriteBound(): boolean {
    const s = this.socket;
    return s.writableNeedDrain && s.writableLength > this.broker.config.limits.max_write_buffer;
  }

  writable(): boolean {
    return this.state === 'connected' && !this.overWriteBound();
  }

  sendPublish(d: Delivery, dup: boolean): boolean {
    const msg = d.message;
    const out: OutgoingPublish = {
      topic: msg.topic,
      payload: msg.payload,
      qos: d.qos,
      retain: d.retain,
      dup,
      packetId: d.packetId ?? 0,
    };
    if (this.v5) {
      out.properties = msg.properties;
      out.messageExpiryInterval = remainingExpiry(msg);
      if (d.subscriptionIds?.length) out.subscriptionIds = d.subscriptionIds;
      if (this.clientTopicAliasMax > 0) {
        const aliases = (this.outboundAliases ??= new Map());
        const alias = aliases.get(msg.topic);
        if (alias !== undefined) {
          out.topicAlias = alias;
          out.topic = '';
        } else if (aliases.size < this.clientTopicAliasMax) {
          out.topicAlias = aliases.size + 1;
        }
      }
    }
    if (this.clientMaxPacketSize < 268_435_455 && publishSize(out, this.v5) > this.clientMaxPacketSize) {
      return false; // [MQTT-3.1.2-25]
    }
    // the alias is only bound once the PUBLISH that carries it is really sent
    if (out.topicAlias !== undefined && out.topic !== '') this.outboundAliases!.set(msg.topic, out.topicAlias);
    const { header } = encodePublishHeader(out, this.v5);
    this.write(header);
    if (msg.payload.length > 0) this.write(msg.payload);
    this.broker.metrics.messagesSent++;
    return true;
  }

  sendPubrel(packetId: number, reasonCode = 0): void {
    this.write(encodeAck(6, packetId, reasonCode, this.v5));
  }

  // --- closing -------------------------------------------------------------------------------

  /**
   * Close because of an error or a server decision. v5 clients get a DISCONNECT with the reason
   * code first [MQTT-4.13.2-1]; 3.x clients are simply closed.
   */
  disconnect(reasonCode: number, reason?: string): void {
    if (this.state === 'closed') return;
    if (this.v5 && this.state === 'connected') {
      const properties = reason && this.requestProblemInformation ? { reasonString: reason } : undefined;
      this.send({ cmd: 'disconnect', reasonCode, properties } as mqtt.IDisconnectPacket);
    }
    this.destroy(reason ?? `reason 0x${reasonCode.toString(16)}`);
  }

  /** End the socket after flushing what was written, and settle the session now. */
  destroy(reason: string): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.debug({ clientId: this.clientId, reason }, 'connection closed');
    this.flushOut();
    this.socket.end();
    // do not wait forever for a peer that does not read
    const timer = setTimeout(() => this.socket.destroy(), 2000);
    timer.unref();
    // once the socket is closed the timer must not keep this connection (and its buffers) alive
    this.socket.once('close', () => clearTimeout(timer));
    this.broker.connectionClosed(this, wasConnected);
  }

  /** @internal socket 'close' */
  onSocketClosed(): void {
    if (this.state !== 'closed') {
      const wasConnected = this.state === 'connected';
      this.state = 'closed';
      this.debug({ clientId: this.clientId }, 'socket closed by peer');
      this.broker.connectionClosed(this, wasConnected);
    }
  }
}

const PINGRESP = Buffer.from([0xd0, 0x00]);

// mqtt-packet otherwise fills a cache of 65,536 two-byte Buffers (about 6 MB) on its first generate()
mqtt.writeToStream.cacheNumbers = false;

/** Packets of at least this size are written as they are; smaller ones are copied into the tick's buffer. */
const DIRECT_WRITE_MIN = 4096;
/** The tick's buffer goes to the socket once it holds this much, so the stream's own bound applies. */
const COALESCE_MAX = 65_536;

const CONNECTION = Symbol('robustmq.connection');
type ConnectionSocket = Duplex & { [CONNECTION]: Connection };

function onSocketData(this: ConnectionSocket, chunk: Buffer): void {
  this[CONNECTION].onData(chunk);
}
function onSocketDrain(this: ConnectionSocket): void {
  this[CONNECTION].onDrain();
}
function onSocketError(this: ConnectionSocket, err: Error): void {
  this[CONNECTION].debug({ err: err.message }, 'socket error');
}
function onSocketClose(this: ConnectionSocket): void {
  this[CONNECTION].onSocketClosed();
}

function flushTick(conn: Connection): void {
  conn.flushScheduled = false;
  conn.flushOut();
}
