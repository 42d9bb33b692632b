// Session state of one client id: subscriptions, the outgoing inflight window and queue, incoming
// QoS 2 packet ids awaiting PUBREL, will and expiry. Survives its connection when persistent.
import { createMessage, isExpired, type Message, type QoS } from '../message.js';
import type { Subscription } from '../routing/subscription.js';
import type { SessionMessage, StorageAdapter, StoredWill } from '../storage/storage-adapter.js';
import { newDelivery, type Delivery, type SessionOutput } from './delivery.js';
import { Deque } from './deque.js';

export const NEVER_EXPIRES = 0xffffffff;

export type DropReason = 'queue_full' | 'expired' | 'too_large' | 'offline_qos0';

export interface SessionContext {
  storage: StorageAdapter;
  maxQueued: number;
  queueQos0: boolean;
  queueDrop: 'oldest' | 'newest';
  onDropped(session: Session, d: Delivery, reason: DropReason): void;
  onDelivered(session: Session, d: Delivery): void;
  onAcked(session: Session, d: Delivery): void;
  /** How many retained messages the broker holds: the bound of one session's retained queue. */
  retainedCount(): number;
  /** An unexpected error while delivering to this session: the session's connection is closed. */
  onError(session: Session, err: unknown): void;
}

export class Session {
  readonly subscriptions = new Map<string, Subscription>();
  private inflightMap?: Map<number, Delivery>;
  private incomingQos2Set?: Set<number>;
  /** Live messages waiting for the window or the socket; bounded by limits.max_queued_messages. */
  private readonly queue = new Deque<Delivery>();
  /**
   * Retained messages sent on SUBSCRIBE, waiting for the window or the socket. Sent before the live
   * queue; bounded by the retained store itself, so a wide filter over many retained messages is
   * delivered whole instead of being cut at max_queued_messages.
   */
  private retainedQueue?: Deque<Delivery>;
  /** In-flight PUBLISHes not yet re-sent after a resume, because the new window is smaller. */
  private unsent?: Set<number>;
  /** Topic-log cursors: `${topic}\0${partition}` → the next offset this session is to receive. */
  private cursors?: Map<string, number>;
  /** Partitions being replayed from their log: their live messages are left to the replay. */
  private replayingKeys?: Set<string>;
  private nextPacketId = 1;
  private seq = 0;
  output: SessionOutput | null = null;
  /** Outgoing window: min(client Receive Maximum, server max_inflight). */
  window = 65535;
  will?: StoredWill;
  willTimer?: NodeJS.Timeout;
  expiryTimer?: NodeJS.Timeout;
  disconnectedAt?: number;
  readonly createdAt = Date.now();

  constructor(
    readonly clientId: string,
    public protocolVersion: 3 | 4 | 5,
    /** Seconds; 0 = ends with the connection; NEVER_EXPIRES = never. */
    public expiryInterval: number,
    private readonly ctx: SessionContext,
  ) {}

  // the collections below are made on first use: most sessions never need them, and an empty Map or
  // Set still costs memory per connection

  /** Outgoing QoS 1/2 messages sent and not yet fully acknowledged, in send order. */
  get inflight(): Map<number, Delivery> {
    return (this.inflightMap ??= new Map());
  }

  /** How many are in flight, without making the map (for the admin API). */
  get inflightCount(): number {
    return this.inflightMap?.size ?? 0;
  }

  /** Incoming QoS 2 packet ids that got PUBREC and wait for PUBREL. */
  get incomingQos2(): Set<number> {
    return (this.incomingQos2Set ??= new Set());
  }

  /** How many incoming QoS 2 ids wait for PUBREL, without making the set (for the admin API). */
  get incomingQos2Count(): number {
    return this.incomingQos2Set?.size ?? 0;
  }

  /** Topic-log cursors: `${topic}\0${partition}` → the next offset this session is to receive. */
  get logCursors(): Map<string, number> {
    return (this.cursors ??= new Map());
  }

  /** Partitions being replayed from their log: their live messages are left to the replay. */
  get replaying(): Set<string> {
    return (this.replayingKeys ??= new Set());
  }

  get persistent(): boolean {
    return this.expiryInterval > 0;
  }

  get connected(): boolean {
    return this.output !== null;
  }

  get queued(): number {
    return this.queue.length + (this.retainedQueue?.length ?? 0);
  }

  /** Accept a message for this session: send it now, or queue it. */
  deliver(
    message: Message,
    qos: QoS,
    retain: boolean,
    subscriptionIds?: number[],
    shared?: { group: string; filter: string },
  ): void {
    if (message.log !== undefined && shared === undefined && !this.takeLogged(message)) return;
    const d = newDelivery(message, qos, retain, ++this.seq, subscriptionIds, shared);
    try {
      this.accept(d);
    } catch (err) {
      // a fault while delivering to this session must not fail the publisher or other sessions
      this.ctx.onError(this, err);
    }
  }

  /**
   * A live message of a topic log. False when the log delivers it instead: the session is offline
   * (persistent: it is replayed at the next connection) or is replaying that partition. Else the
   * session's cursor moves past it, stored with the delivery in the same commit.
   */
  private takeLogged(message: Message): boolean {
    const { partition, offset } = message.log!;
    const key = `${message.topic}\0${partition}`;
    if (this.replayingKeys?.has(key)) return false;
    if (!this.persistent) return true;
    if (!this.output) return false;
    this.logCursors.set(key, offset + 1);
    this.ctx.storage.saveCursor({ clientId: this.clientId, topic: message.topic, partition, offset: offset + 1 });
    return true;
  }

  /** A message read from a topic log by a replay (its cursor is moved by the replay). */
  deliverFromLog(message: Message, qos: QoS, retain: boolean, subscriptionIds?: number[]): void {
    const d = newDelivery(message, qos, retain, ++this.seq, subscriptionIds);
    try {
      this.accept(d);
    } catch (err) {
      this.ctx.onError(this, err);
    }
  }

  /** A retained message sent because of a SUBSCRIBE [MQTT-3.3.1-8]: never cut by the queue bound. */
  deliverRetained(message: Message, qos: QoS, subscriptionIds?: number[]): void {
    const d = newDelivery(message, qos, true, ++this.seq, subscriptionIds);
    try {
      if (this.output && this.queued === 0 && this.trySend(d)) return;
    } catch (err) {
      this.ctx.onError(this, err);
      return;
    }
    // repeated SUBSCRIBEs must not multiply the retained store in memory
    const retainedQueue = (this.retainedQueue ??= new Deque());
    if (retainedQueue.length >= Math.max(this.ctx.maxQueued, this.ctx.retainedCount())) {
      this.ctx.onDropped(this, d, 'queue_full');
      return;
    }
    retainedQueue.push(d);
    if (this.persistent && d.qos > 0) this.ctx.storage.appendSessionMessage(this.toStored(d));
  }

  /** Take a delivery that was in another session (shared subscription redispatch). */
  adopt(d: Delivery): void {
    this.accept(newDelivery(d.message, d.qos, d.retain, ++this.seq, d.subscriptionIds, d.shared));
  }

  private accept(d: Delivery): void {
    if (!this.output && d.qos === 0 && !this.ctx.queueQos0) {
      this.ctx.onDropped(this, d, 'offline_qos0');
      return;
    }
    if (this.output && this.queued === 0 && this.trySend(d)) return;
    if (this.queue.length >= this.ctx.maxQueued) {
      if (this.ctx.queueDrop === 'newest') {
        this.ctx.onDropped(this, d, 'queue_full');
        return;
      }
      const oldest = this.queue.shift()!;
      this.forget(oldest);
      this.ctx.onDropped(this, oldest, 'queue_full');
    }
    this.queue.push(d);
    if (this.persistent && d.qos > 0) this.ctx.storage.appendSessionMessage(this.toStored(d));
  }

  /** Send immediately if the window and the socket allow. True when the delivery is handled. */
  private trySend(d: Delivery, stored = false): boolean {
    const out = this.output!;
    if (!out.writable()) return false;
    if (d.qos === 0) {
      if (out.sendPublish(d, false)) this.ctx.onDelivered(this, d);
      else this.ctx.onDropped(this, d, 'too_large');
      return true;
    }
    if (this.inflight.size >= this.window) return false;
    const id = this.allocatePacketId();
    d.packetId = id;
    d.state = 'publish';
    if (!out.sendPublish(d, false)) {
      // [MQTT-3.1.2-25] too large for the client: discarded as if delivered
      d.packetId = undefined;
      if (stored) this.forget(d);
      this.ctx.onDropped(this, d, 'too_large');
      return true;
    }
    this.inflight.set(id, d);
    if (this.persistent) {
      if (stored) this.ctx.storage.updateSessionMessage(this.clientId, d.seq, { packetId: id, state: 'publish' });
      else this.ctx.storage.appendSessionMessage(this.toStored(d));
    }
    this.ctx.onDelivered(this, d);
    return true;
  }

  /** Send what the window and socket allow: retained-on-subscribe first, then the live queue. */
  drain(): void {
    if (!this.output || (this.unsent !== undefined && this.unsent.size > 0)) return;
    try {
      if (!this.retainedQueue || this.drainQueue(this.retainedQueue)) this.drainQueue(this.queue);
    } catch (err) {
      this.ctx.onError(this, err);
    }
  }

  /** True when the queue was emptied. */
  private drainQueue(queue: Deque<Delivery>): boolean {
    const now = Date.now();
    for (let d = queue.peek(); d !== undefined; d = queue.peek()) {
      if (isExpired(d.message, now)) {
        // [MQTT-3.3.2-5] not yet on its way: delete the copy
        queue.shift();
        this.forget(d);
        this.ctx.onDropped(this, d, 'expired');
        continue;
      }
      if (d.qos > 0 && this.inflight.size >= this.window) return false;
      if (!this.output!.writable()) return false;
      queue.shift();
      this.trySend(d, true);
    }
    return true;
  }

  private forget(d: Delivery): void {
    if (this.persistent && d.qos > 0) this.ctx.storage.deleteSessionMessage(this.clientId, d.seq);
  }

  private allocatePacketId(): number {
    // never hand out an id that is still in use [MQTT-2.2.1-3]
    for (let i = 0; i < 65535; i++) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 65535 ? 1 : id + 1;
      if (!this.inflight.has(id)) return id;
    }
    throw new Error('no free packet identifier');
  }

  onPuback(packetId: number): void {
    const d = this.inflight.get(packetId);
    if (!d || d.qos !== 1) return;
    this.complete(packetId, d);
  }

  /** PUBREC: move to the PUBREL stage, or give up the message on an error reason code (v5). */
  onPubrec(packetId: number, reasonCode: number): void {
    const d = this.inflight.get(packetId);
    if (!d || d.qos !== 2) {
      this.output?.sendPubrel(packetId, 0x92); // Packet Identifier not found
      return;
    }
    if (reasonCode >= 0x80) {
      this.complete(packetId, d);
      return;
    }
    d.state = 'pubrel';
    if (this.persistent) this.ctx.storage.updateSessionMessage(this.clientId, d.seq, { packetId, state: 'pubrel' });
    this.output?.sendPubrel(packetId);
  }

  onPubcomp(packetId: number): void {
    const d = this.inflight.get(packetId);
    if (!d || d.qos !== 2 || d.state !== 'pubrel') return;
    this.complete(packetId, d);
  }

  private complete(packetId: number, d: Delivery): void {
    this.inflight.delete(packetId);
    this.unsent?.delete(packetId);
    if (this.persistent) this.ctx.storage.deleteSessionMessage(this.clientId, d.seq);
    this.ctx.onAcked(this, d);
    this.resendUnsent();
    this.drain();
  }

  /** An in-flight message the client can never receive: give up its slot [MQTT-3.1.2-25]. */
  private dropInflight(id: number, d: Delivery): void {
    this.inflight.delete(id);
    this.unsent?.delete(id);
    this.forget(d);
    this.ctx.onDropped(this, d, 'too_large');
  }

  /** Re-send in-flight PUBLISHes held back at resume, as the window frees [MQTT-3.3.4-9]. */
  private resendUnsent(): void {
    const out = this.output;
    const unsent = this.unsent;
    if (!out || !unsent) return;
    for (const id of unsent) {
      if (this.inflight.size - unsent.size >= this.window) return;
      unsent.delete(id);
      const d = this.inflight.get(id);
      if (d && !out.sendPublish(d, true)) this.dropInflight(id, d);
    }
  }

  attach(output: SessionOutput, window: number): void {
    this.output = output;
    this.window = window;
    this.disconnectedAt = undefined;
  }

  /**
   * Re-send what was in flight when the previous connection went away, with DUP set on PUBLISH
   * [MQTT-4.4.0-1], [MQTT-3.3.1-1]; then send the queue.
   */
  resume(): void {
    const out = this.output;
    if (!out) return;
    this.unsent?.clear();
    let outstanding = 0;
    if (this.inflightMap)
      for (const [id, d] of this.inflightMap) {
        if (d.state === 'pubrel') out.sendPubrel(id);
        else if (outstanding >= this.window) {
          // the client's new Receive Maximum is smaller: the rest keep their ids and wait [MQTT-3.3.4-9]
          (this.unsent ??= new Set()).add(id);
          continue;
        } else if (!out.sendPublish(d, true)) {
          this.dropInflight(id, d); // too large for the new connection's Maximum Packet Size
          continue;
        }
        outstanding++;
      }
    this.drain();
  }

  detach(): void {
    this.output = null;
    this.disconnectedAt = Date.now();
  }

  /**
   * Remove and return the messages that came through shared subscriptions and that the client has
   * not acknowledged yet, so another group member can have them: QoS 1 in flight and everything
   * queued. A QoS 2 PUBLISH already sent stays: its delivery is completed with this session only
   * [MQTT-4.8.2-4], and is not given to another member if the session ends [MQTT-4.8.2-5].
   */
  takeSharedUnacked(): Delivery[] {
    const out: Delivery[] = [];
    if (this.inflightMap)
      for (const [id, d] of this.inflightMap) {
        if (d.shared && d.state === 'publish' && d.qos === 1) {
          this.inflight.delete(id);
          this.unsent?.delete(id);
          this.forget(d);
          out.push(d);
        }
      }
    for (const d of this.queue.extract((q) => q.shared !== undefined)) {
      this.forget(d);
      out.push(d);
    }
    return out;
  }

  /** Drop everything pending (session end or clean start). */
  clear(): void {
    this.cursors?.clear();
    this.inflightMap?.clear();
    this.unsent?.clear();
    this.queue.clear();
    this.retainedQueue?.clear();
    this.incomingQos2Set?.clear();
  }

  /**
   * Rebuild what was pending from storage after a restart, in seq order: messages with a packet id
   * were in flight (re-sent with DUP at the next connection), the others wait in the queue. Nothing
   * is dropped here even beyond max_queued_messages: these were accepted before the restart.
   */
  restore(
    entries: readonly SessionMessage[],
    incomingQos2: readonly number[],
    subscriptionIdsFor?: (topic: string) => number[] | undefined,
  ): void {
    for (const e of entries) {
      // [MQTT-3.3.4-3] the identifiers of the subscriptions that match, as at the first delivery
      const d = newDelivery(e.message, e.qos, e.message.retain, e.seq, subscriptionIdsFor?.(e.message.topic));
      if (e.seq > this.seq) this.seq = e.seq;
      if (e.packetId !== undefined && !this.inflight.has(e.packetId)) {
        d.packetId = e.packetId;
        d.state = e.state ?? 'publish';
        this.inflight.set(e.packetId, d);
        this.nextPacketId = e.packetId === 65535 ? 1 : e.packetId + 1;
      } else {
        this.queue.push(d);
      }
    }
    for (const id of incomingQos2) this.incomingQos2.add(id);
  }

  private toStored(d: Delivery): SessionMessage {
    return {
      clientId: this.clientId,
      seq: d.seq,
      // the RETAIN flag to send is kept in the stored message's own flag
      message: d.retain === d.message.retain ? d.message : createMessage({ ...d.message, retain: d.retain }),
      qos: d.qos,
      packetId: d.packetId,
      state: d.state,
    };
  }
}
