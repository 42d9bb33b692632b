// All sessions of this node by client id: open (new, resume, takeover), end, expiry timers and
// will scheduling ([MQTT-3.1.2-4..6], [MQTT-3.1.3-9], [MQTT-3.1.4-3]).
import { parseSubscriptionFilter, topicMatches } from '../../lib/topic.js';
import { createMessage } from '../message.js';
import type { Subscription } from '../routing/subscription.js';
import type { Broker } from '../broker.js';
import type { Connection } from '../protocol/connection.js';
import { RC } from '../protocol/reason-codes.js';
import { SortedKeys } from '../sorted-keys.js';
import { NEVER_EXPIRES, Session, type SessionContext } from './session.js';

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  /** Sessions whose record has been written to storage (and must be deleted from it when they end). */
  private readonly stored = new WeakSet<Session>();
  /** The client ids of every session, in order: the admin API pages through them. Kept with `sessions`. */
  readonly ids = new SortedKeys();
  /** The client ids of the sessions that have a connection now, in order (admin client list). */
  readonly connectedIds = new SortedKeys();
  readonly ctx: SessionContext;

  constructor(private readonly broker: Broker) {
    const { config, metrics, hooks, storage } = broker;
    this.ctx = {
      storage,
      maxQueued: config.limits.max_queued_messages,
      queueQos0: config.session.queue_qos0,
      queueDrop: config.session.queue_drop,
      onDropped: (session, d, reason) => {
        metrics.drop(reason);
        if (reason === 'queue_full') metrics.limitHit('max_queued_messages');
        if (hooks.has('message.dropped')) hooks.emit('message.dropped', session, d, reason);
      },
      onDelivered: (session, d) => {
        if (hooks.has('message.delivered')) hooks.emit('message.delivered', session, d);
      },
      retainedCount: () => broker.retained.size,
      onError: (session, err) => {
        broker.log.error({ err, clientId: session.clientId }, 'error while delivering to a session');
        (session.output as Connection | null)?.disconnect(RC.IMPLEMENTATION_SPECIFIC_ERROR, 'internal error');
      },
      onAcked: (session, d) => {
        if (hooks.has('message.acked')) hooks.emit('message.acked', session, d);
      },
    };
  }

  get size(): number {
    return this.sessions.size;
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  values(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** Open the session for a CONNECT: [MQTT-3.1.2-4] clean start discards, else resume. */
  open(
    conn: Connection,
    clientId: string,
    cleanStart: boolean,
    expiry: number,
  ): { session: Session; present: boolean } {
    let existing = this.sessions.get(clientId);
    if (existing?.output) {
      // [MQTT-3.1.4-3] session takeover: the existing connection is closed (v5: 0x8E)
      const old = existing.output as Connection;
      old.log.info({ clientId }, 'session taken over by a new connection');
      old.disconnect(RC.SESSION_TAKEN_OVER, 'session taken over');
      // closing it may have ended the session (expiry 0)
      existing = this.sessions.get(clientId);
    }
    if (existing && !cleanStart) {
      this.cancelTimers(existing);
      existing.protocolVersion = conn.protocolVersion;
      existing.expiryInterval = expiry;
      this.persist(existing);
      this.broker.hooks.emit('session.resumed', existing);
      return { session: existing, present: true };
    }
    if (existing) this.end(existing, 'clean');
    const session = new Session(clientId, conn.protocolVersion, expiry, this.ctx);
    this.sessions.set(clientId, session);
    this.ids.add(clientId);
    this.persist(session);
    this.broker.hooks.emit('session.created', session);
    return { session, present: false };
  }

  /** The connection of a session has gone: will, shared redispatch, expiry. */
  disconnected(conn: Connection): void {
    const session = conn.session;
    if (!session || session.output !== conn) return;
    session.detach();
    this.connectedIds.delete(session.clientId);
    // [MQTT-3.14.4-3] normal DISCONNECT discards the will
    if (conn.normalDisconnect) session.will = undefined;
    for (const d of session.takeSharedUnacked()) this.broker.redispatchShared(session, d);
    if (session.expiryInterval === 0) {
      this.end(session, 'expired');
      return;
    }
    if (session.will) this.scheduleWill(session, 0);
    this.scheduleExpiry(session, 0);
    this.persist(session);
    this.broker.logs.pinCursors(session);
  }

  /** The session ends `expiryInterval` seconds after its disconnect, `elapsedMs` of which have passed. */
  private scheduleExpiry(session: Session, elapsedMs: number): void {
    if (session.expiryInterval === NEVER_EXPIRES) return;
    const onExpiry = () => this.end(session, 'expired');
    setLongTimeout(Math.max(0, session.expiryInterval * 1000 - elapsedMs), (t) => (session.expiryTimer = t), onExpiry);
  }

  private scheduleWill(session: Session, elapsedMs: number): void {
    const will = session.will!;
    const wait = will.delay * 1000 - elapsedMs;
    if (wait <= 0) {
      this.publishWill(session);
      return;
    }
    // [MQTT-3.1.3-9] published after the Will Delay Interval or at session end, whichever is first
    const onDelay = () => this.publishWill(session);
    setLongTimeout(wait, (t) => (session.willTimer = t), onDelay);
  }

  /**
   * Bring back the persistent sessions of storage after a (re)start: subscriptions into the router,
   * pending messages, incoming QoS 2 ids, and their clocks. Expiry and will delay count from the
   * stored disconnect time; a session whose connection was still open when the broker went away
   * counts from now (the moment it was lost is unknown), and its will is due, as for any connection
   * that ended without DISCONNECT [MQTT-3.1.2-8]. Sessions already past their expiry end now.
   */
  async restore(): Promise<void> {
    const { storage, router, log } = this.broker;
    const now = Date.now();
    const clocks: { session: Session; elapsed: number }[] = [];
    for (const r of await storage.loadSessions()) {
      const session = new Session(r.clientId, r.protocolVersion, r.expiryInterval, this.ctx);
      session.disconnectedAt = r.disconnectedAt ?? now;
      session.will = r.will;
      for (const stored of r.subscriptions) {
        const parsed = parseSubscriptionFilter(stored.rawFilter);
        if (!parsed.ok) {
          log.warn({ clientId: r.clientId, filter: stored.rawFilter }, 'stored subscription is not valid: skipped');
          continue;
        }
        const sub: Subscription = {
          clientId: r.clientId,
          filter: parsed.filter,
          group: parsed.group,
          exclusive: parsed.exclusive,
          ...stored,
        };
        session.subscriptions.set(sub.rawFilter, sub);
        router.add(sub);
      }
      const idsFor = (topic: string): number[] | undefined => {
        let ids: number[] | undefined;
        for (const sub of session.subscriptions.values()) {
          if (sub.subscriptionId !== undefined && topicMatches(sub.filter, topic))
            (ids ??= []).push(sub.subscriptionId);
        }
        return ids;
      };
      const messages = await storage.loadSessionMessages(r.clientId);
      session.restore(messages, await storage.loadIncomingQos2(r.clientId), idsFor);
      for (const c of await storage.loadCursors(r.clientId))
        session.logCursors.set(`${c.topic}\0${c.partition}`, c.offset);
      this.broker.logs.pinCursors(session);
      this.sessions.set(r.clientId, session);
      this.ids.add(r.clientId);
      this.stored.add(session);
      if (r.disconnectedAt === undefined) this.persist(session);
      clocks.push({ session, elapsed: Math.max(0, now - session.disconnectedAt) });
    }
    // wills and expiries once every session is back, so a will reaches restored subscribers
    for (const { session, elapsed } of clocks) {
      if (session.expiryInterval !== NEVER_EXPIRES && elapsed >= session.expiryInterval * 1000) {
        this.end(session, 'expired');
        continue;
      }
      if (session.will) this.scheduleWill(session, elapsed);
      this.scheduleExpiry(session, elapsed);
    }
    if (clocks.length > 0) log.info({ sessions: this.sessions.size }, 'sessions restored from storage');
  }

  private publishWill(session: Session): void {
    const will = session.will;
    if (!will) return;
    session.will = undefined;
    if (session.willTimer) clearTimeout(session.willTimer);
    session.willTimer = undefined;
    // sent once: a restart must not send it again
    if (this.sessions.get(session.clientId) === session) this.persist(session);
    const m = will.message;
    this.broker.log.debug({ clientId: session.clientId, topic: m.topic }, 'publishing will message');
    this.broker.publish(
      createMessage({
        topic: m.topic,
        payload: m.payload,
        qos: m.qos,
        retain: m.retain,
        properties: m.properties,
        origin: m.origin,
      }),
    );
  }

  private cancelTimers(session: Session): void {
    if (session.expiryTimer) clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    // a new connection before the will delay passes: the will is not sent [MQTT-3.1.3-9]
    if (session.willTimer) clearTimeout(session.willTimer);
    session.willTimer = undefined;
    session.will = undefined;
  }

  /** The session's connection is established (CONNACK sent): it counts as connected from now. */
  connected(session: Session): void {
    this.connectedIds.add(session.clientId);
  }

  /**
   * An administrator deletes the session: a client still connected is disconnected first (v5:
   * DISCONNECT 0x98), which goes the usual way (will, shared messages to other members), then the
   * session ends and leaves storage whatever its expiry, as a clean start would discard it.
   */
  discard(session: Session): void {
    const conn = session.output as Connection | null;
    conn?.disconnect(RC.ADMINISTRATIVE_ACTION, 'session deleted by an administrator');
    // the disconnect ended it already when its expiry was 0
    this.end(session, 'deleted');
  }

  /** End a session: its pending will goes out now, its subscriptions and messages are removed. */
  end(session: Session, reason: 'expired' | 'clean' | 'takeover' | 'deleted'): void {
    if (this.sessions.get(session.clientId) !== session) return;
    if (session.expiryTimer) clearTimeout(session.expiryTimer);
    if (session.will && !session.connected) this.publishWill(session);
    this.sessions.delete(session.clientId);
    this.ids.delete(session.clientId);
    this.connectedIds.delete(session.clientId);
    for (const sub of session.subscriptions.values()) this.broker.router.remove(sub);
    session.subscriptions.clear();
    session.clear();
    if (session.persistent || this.stored.has(session) || reason !== 'expired') {
      this.broker.storage.deleteSession(session.clientId);
    }
    this.stored.delete(session);
    this.broker.hooks.emit('session.terminated', session, reason);
  }

  persist(session: Session): void {
    if (!session.persistent) {
      // resumed with, or set at DISCONNECT to, expiry 0: nothing of it may survive a restart now
      if (this.stored.delete(session)) this.broker.storage.deleteSession(session.clientId);
      return;
    }
    this.stored.add(session);
    this.broker.storage.saveSession({
      clientId: session.clientId,
      protocolVersion: session.protocolVersion,
      expiryInterval: session.expiryInterval,
      disconnectedAt: session.disconnectedAt,
      subscriptions: [...session.subscriptions.values()].map((s) => ({
        rawFilter: s.rawFilter,
        qos: s.qos,
        noLocal: s.noLocal,
        retainAsPublished: s.retainAsPublished,
        retainHandling: s.retainHandling,
        subscriptionId: s.subscriptionId,
      })),
      will: session.will,
    });
  }

  /** Server shutdown: clear timers so the process can exit. */
  stopTimers(): void {
    for (const s of this.sessions.values()) {
      if (s.expiryTimer) clearTimeout(s.expiryTimer);
      if (s.willTimer) clearTimeout(s.willTimer);
    }
  }
}

/** Node fires a timer above 2^31-1 ms (about 24.8 days) at once: wait in steps, handing each to `set`. */
function setLongTimeout(ms: number, set: (t: NodeJS.Timeout) => void, fn: () => void): void {
  const step = Math.min(ms, 2_147_483_647);
  const t = setTimeout(() => (ms > step ? setLongTimeout(ms - step, set, fn) : fn()), step);
  t.unref();
  set(t);
}
