// The memory engine: everything in Maps, nothing survives a restart. Fast; for tests and caches.
import type { Message } from '../message.js';
import type { SessionMessage, SessionRecord, StorageAdapter } from './storage-adapter.js';

/** A copy of a record; messages are immutable and shared (structuredClone would turn their Buffers into Uint8Arrays). */
function cloneSession(r: SessionRecord): SessionRecord {
  const copy = { ...r, subscriptions: r.subscriptions.map((s) => ({ ...s })) };
  if (r.will) copy.will = { ...r.will };
  return copy;
}

export class MemoryStorage implements StorageAdapter {
  readonly engine = 'memory';
  private readonly retained = new Map<string, Message>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly messages = new Map<string, Map<number, SessionMessage>>();
  private readonly qos2 = new Map<string, Set<number>>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async flush(): Promise<void> {}

  putRetained(message: Message): void {
    this.retained.set(message.topic, message);
  }
  deleteRetained(topic: string): void {
    this.retained.delete(topic);
  }
  async loadRetained(): Promise<Message[]> {
    return [...this.retained.values()];
  }

  saveSession(record: SessionRecord): void {
    this.sessions.set(record.clientId, cloneSession(record));
  }
  deleteSession(clientId: string): void {
    this.sessions.delete(clientId);
    this.messages.delete(clientId);
    this.qos2.delete(clientId);
  }
  async loadSessions(): Promise<SessionRecord[]> {
    return [...this.sessions.values()].map((r) => cloneSession(r));
  }

  appendSessionMessage(entry: SessionMessage): void {
    let m = this.messages.get(entry.clientId);
    if (!m) this.messages.set(entry.clientId, (m = new Map()));
    m.set(entry.seq, { ...entry });
  }
  updateSessionMessage(clientId: string, seq: number, change: Pick<SessionMessage, 'packetId' | 'state'>): void {
    const e = this.messages.get(clientId)?.get(seq);
    if (e) Object.assign(e, change);
  }
  deleteSessionMessage(clientId: string, seq: number): void {
    this.messages.get(clientId)?.delete(seq);
  }
  async loadSessionMessages(clientId: string): Promise<SessionMessage[]> {
    return [...(this.messages.get(clientId)?.values() ?? [])].sort((a, b) => a.seq - b.seq).map((e) => ({ ...e }));
  }

  addIncomingQos2(clientId: string, packetId: number): void {
    let s = this.qos2.get(clientId);
    if (!s) this.qos2.set(clientId, (s = new Set()));
    s.add(packetId);
  }
  removeIncomingQos2(clientId: string, packetId: number): void {
    this.qos2.get(clientId)?.delete(packetId);
  }
  async loadIncomingQos2(clientId: string): Promise<number[]> {
    return [...(this.qos2.get(clientId) ?? [])];
  }
}
