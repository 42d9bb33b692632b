// One message on its way to one session: the granted QoS, flags and, once sent, its packet id.
import type { Message, QoS } from '../message.js';

export interface Delivery {
  message: Message;
  qos: QoS;
  /** The RETAIN flag to send: true for retained messages sent on subscribe, or retain-as-published. */
  retain: boolean;
  subscriptionIds?: number[];
  /** Set when the message reached this session through a shared subscription group. */
  shared?: { group: string; filter: string };
  /** Per-session order, assigned when the session accepts the delivery. */
  seq: number;
  packetId?: number;
  state?: 'publish' | 'pubrel';
}

/**
 * A delivery with every field present from the start, in one order: deliveries share one hidden
 * class, so the session code that reads them stays monomorphic on the hot path.
 */
export function newDelivery(
  message: Message,
  qos: QoS,
  retain: boolean,
  seq: number,
  subscriptionIds?: number[],
  shared?: { group: string; filter: string },
): Delivery {
  return { message, qos, retain, subscriptionIds, shared, seq, packetId: undefined, state: undefined };
}

/** What a session needs from the connection it is attached to. */
export interface SessionOutput {
  /** Write a PUBLISH; false when it was dropped (e.g. larger than the client's Maximum Packet Size). */
  sendPublish(d: Delivery, dup: boolean): boolean;
  sendPubrel(packetId: number, reasonCode?: number): void;
  /** False while the socket's write buffer is over its bound: a slow consumer. */
  writable(): boolean;
}
