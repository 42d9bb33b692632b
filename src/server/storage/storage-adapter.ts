// The storage engine interface. The broker keeps its live state (sessions, tries, indexes) in memory
// and writes through to a StorageAdapter, which is what survives a restart. Engines: memory (this
// file's sibling), sqlite and postgres (the storage issue). Every method may be batched by an
// engine (group commit); `flush()` resolves when everything written before it is durable.
import type { Message, QoS } from '../message.js';

export interface StoredSubscription {
  rawFilter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionId?: number;
}

export interface StoredWill {
  message: Message;
  /** v5 Will Delay Interval, seconds. */
  delay: number;
}

export interface SessionRecord {
  clientId: string;
  protocolVersion: 3 | 4 | 5;
  /** Seconds the session outlives its connection; 0xFFFFFFFF = never expires. */
  expiryInterval: number;
  /** Milliseconds since the epoch of the last disconnect; undefined while connected. */
  disconnectedAt?: number;
  subscriptions: StoredSubscription[];
  will?: StoredWill;
}

/** A message waiting for a session: queued, or in flight with a packet identifier. */
export interface SessionMessage {
  clientId: string;
  /** Storage-assigned, increasing per session: the order of delivery. */
  seq: number;
  message: Message;
  qos: QoS;
  /** Set once sent; the state of the QoS 2 exchange when it is. */
  packetId?: number;
  state?: 'publish' | 'pubrel';
}

export interface StorageAdapter {
  readonly engine: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Resolves once every write issued before this call is durable. */
  flush(): Promise<void>;

  putRetained(message: Message): void;
  deleteRetained(topic: string): void;
  loadRetained(): Promise<Message[]>;

  saveSession(record: SessionRecord): void;
  deleteSession(clientId: string): void;
  loadSessions(): Promise<SessionRecord[]>;

  /** Messages of persistent sessions: queued, then in flight, then gone when acknowledged. */
  appendSessionMessage(entry: SessionMessage): void;
  updateSessionMessage(clientId: string, seq: number, change: Pick<SessionMessage, 'packetId' | 'state'>): void;
  deleteSessionMessage(clientId: string, seq: number): void;
  loadSessionMessages(clientId: string): Promise<SessionMessage[]>;

  /** Incoming QoS 2 packet identifiers awaiting PUBREL, so exactly-once survives a restart. */
  addIncomingQos2(clientId: string, packetId: number): void;
  removeIncomingQos2(clientId: string, packetId: number): void;
  loadIncomingQos2(clientId: string): Promise<number[]>;
}
