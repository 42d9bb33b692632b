// The composition root: builds the parts from the configuration, wires them, starts and stops
// them in order. Owns the operations that span parts (publish, subscribe, connection closed).
import { AdminAuth, loadAdminTokens } from './admin/admin-auth.js';
import { AdminService } from './admin/admin-service.js';
import { AdminEndpoints } from './admin/admin-endpoints.js';
import { AdminTokens } from './admin/admin-tokens.js';
import type { ClusterStatus } from '../lib/admin-api.js';
import type { Duplex } from 'node:stream';
import type { BrokerConfig } from '../lib/config.js';
import { adminAuthRequired, anonymousAllowed } from '../lib/config-schema.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { VERSION } from '../lib/version.js';
import { SysPublisher } from './features/sys-topics.js';
import { ConnectionQuota } from './features/connection-quota.js';
import { Hooks } from './hooks.js';
import { isExpired, type Message } from './message.js';
import { Metrics } from './metrics.js';
import { Connection, type TransportInfo } from './protocol/connection.js';
import { RC } from './protocol/reason-codes.js';
import { Dispatcher } from './routing/dispatcher.js';
import { RetainedIndex } from './routing/retained-index.js';
import type { Subscription } from './routing/subscription.js';
import { TopicLogs } from './routing/topic-logs.js';
import { TopicTrie } from './routing/topic-trie.js';
import type { Delivery } from './session/delivery.js';
import type { Session } from './session/session.js';
import { SessionManager } from './session/session-manager.js';
import { createStorage } from './storage/create-storage.js';
import type { BanRecord, StorageAdapter } from './storage/storage-adapter.js';
import { SecurityStore } from './security/security-store.js';
import { AuthChain } from './security/auth-chain.js';
import { createAuthProviders } from './security/create-auth-providers.js';
import { banCovers } from './security/ban-check.js';
import { FlappingDetector } from './features/flapping.js';
import { FeatureSlots } from './features/feature-slots.js';
import { SlowSubscriptions } from './features/slow-subscriptions.js';
import { Alarms } from './features/alarms.js';
import { TopicRewrite } from './features/topic-rewrite.js';
import { DelayedPublish } from './features/delayed-publish.js';
import { AutoSubscribe } from './features/auto-subscribe.js';
import { ExclusiveSubscriptions } from './features/exclusive-subscription.js';
import { SchemaValidation } from './features/schema-validation.js';
import { createListeners } from './transport/create-listeners.js';
import type { MqttListener } from './transport/listener.js';
import { ownerOf } from './workers/client-owner.js';
import { FLAG_DIRECT, FLAG_RETAIN_UPDATE, type ForwardedPublish } from './workers/mesh-codec.js';
import { WorkerMesh, type MeshHost } from './workers/worker-mesh.js';

/** This broker is one of `count` worker processes of a node (node.workers > 1). */
export interface WorkerRole {
  index: number;
  count: number;
  /** Directory of the workers' Unix sockets. */
  meshDir: string;
  /** The workers already running, which this one connects to. */
  peers: number[];
  /** The node's MQTT port, which the primary process listens on. */
  mqttPort: number;
}

export interface BrokerOptions {
  logger?: Logger;
  storage?: StorageAdapter;
  /** Run as a worker: sockets come from the primary process, and PUBLISHes go to the other workers. */
  worker?: WorkerRole;
  /** Worker mode: the node's figures over all workers, for $SYS (asked of the primary). */
  nodeStatus?: () => Promise<ClusterStatus | undefined>;
}

export class Broker implements MeshHost {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly hooks = new Hooks();
  readonly storage: StorageAdapter;
  /** Users, ACL rules and bans: loaded at start, written through to storage. */
  readonly security: SecurityStore;
  /** Authentication of CONNECTs: auth.providers in order, then auth.allow_anonymous. */
  readonly authChain: AuthChain;
  /** Flapping detection: bans a client id that connects too often (flapping.*). */
  readonly flapping: FlappingDetector;
  readonly router = new TopicTrie();
  readonly retained = new RetainedIndex();
  readonly logs: TopicLogs;
  readonly sessions: SessionManager;
  readonly connections = new Set<Connection>();
  /** Where the features (delayed, rewrite, schema, exclusive) step into PUBLISH and SUBSCRIBE. */
  readonly features = new FeatureSlots();
  /** Topic rewrite rules (config file, then runtime ones stored as feature records); fills features.rewrite. */
  readonly topicRewrite: TopicRewrite;
  /** Auto-subscribe rules (config and runtime), applied to every client when it connects. */
  readonly autoSubscribe: AutoSubscribe;
  /** `$exclusive/{filter}` holders (the features.exclusive slot when exclusive.enabled). */
  readonly exclusiveSubscriptions: ExclusiveSubscriptions;
  /** Payload schemas bound to topic filters ([schema], admin API); sets features.schema while bound. */
  readonly schemas: SchemaValidation = new SchemaValidation(this);
  readonly version = VERSION;
  private readonly dispatcher: Dispatcher;
  private readonly listeners: MqttListener[] = [];
  /** The in-process AdminApi (the admin gRPC endpoint serves it). */
  readonly admin: AdminService;
  private readonly adminEndpoints = new AdminEndpoints();
  /** Admin API tokens (loaded at start, unless this is a worker: the primary holds them then). */
  readonly adminTokens: AdminTokens;
  readonly adminAuth: AdminAuth;
  private readonly sys: SysPublisher;
  private sweepTimer?: NodeJS.Timeout;
  startedAt = 0;
  private stopping = false;
  readonly worker?: WorkerRole;
  private readonly mesh?: WorkerMesh;
  /** Reading from every client is held while a link to another worker is congested. */
  ingressHeld = false;
  /** quota.max_connections_per_ip and quota.connection_rate; undefined when neither is set. */
  readonly connectionQuota?: ConnectionQuota;
  /** slow_subs.*: the slowest (client id, topic) deliveries. */
  readonly slowSubs: SlowSubscriptions;
  /** alarms.*: memory, CPU, event-loop, connections and storage alarms (not in worker processes). */
  readonly alarms: Alarms;
  /** Delayed publish ($delayed/{seconds}/{topic}): the held messages; fills features.delayed. */
  readonly delayed: DelayedPublish;

  constructor(
    readonly config: BrokerConfig,
    options: BrokerOptions = {},
  ) {
    this.log = options.logger ?? createLogger(config.node.log_level);
    this.metrics = new Metrics(this.log);
    this.storage = options.storage ?? createStorage(config, this.log, (err) => this.hooks.emit('storage.failed', err));
    this.security = new SecurityStore(this.storage);
    this.topicRewrite = new TopicRewrite(this.features, this.storage, this.log, config.topic_rewrite.rules);
    this.authChain = new AuthChain(createAuthProviders(this), () => anonymousAllowed(this.config), this.log);
    this.flapping = new FlappingDetector(() => this.config.flapping, this.security, this.metrics, this.log);
    this.security.watch((change) => {
      if (change.op === 'putBan') this.disconnectBanned(change.ban);
    });
    this.admin = new AdminService(this);
    this.adminTokens = new AdminTokens(this.storage, this.log);
    this.adminAuth = new AdminAuth(adminAuthRequired(config.admin), this.adminTokens, this.log);
    this.sessions = new SessionManager(this);
    this.logs = new TopicLogs(this);
    this.dispatcher = new Dispatcher(this.router, this.sessions, config.shared.strategy);
    this.sys = new SysPublisher(this, options.nodeStatus);
    this.slowSubs = new SlowSubscriptions(this);
    this.slowSubs.attach();
    this.alarms = new Alarms(this);
    this.delayed = DelayedPublish.attach(this);
    this.autoSubscribe = new AutoSubscribe(this);
    this.autoSubscribe.attach();
    this.exclusiveSubscriptions = new ExclusiveSubscriptions(this);
    this.exclusiveSubscriptions.attach();
    const worker = (this.worker = options.worker);
    if (ConnectionQuota.enabled(config)) this.connectionQuota = new ConnectionQuota(config, worker?.count ?? 1);
    if (worker) {
      const mesh = new WorkerMesh(this, worker.index, worker.count, worker.meshDir, config.shared.strategy);
      this.mesh = mesh;
      this.router.onRouteChange = (raw, present) => mesh.announce(raw, present);
    }
  }

  get nodeName(): string {
    return this.config.node.name;
  }

  async start(): Promise<void> {
    await this.storage.open();
    await this.security.load();
    if (!this.worker) await this.alarms.load();
    await this.topicRewrite.load();
    await this.delayed.load();
    await this.autoSubscribe.load();
    await this.schemas.load();
    await this.authChain.start();
    for (const m of await this.storage.loadRetained()) this.retained.set(m);
    await this.logs.load();
    await this.sessions.restore();
    this.exclusiveSubscriptions.rebuild(); // the holders are the restored sessions' $exclusive/ subscriptions
    this.logs.start();
    if (this.worker) {
      await this.mesh!.start(this.worker.peers, () => this.router.routes());
      this.startedAt = Date.now();
      this.sweepTimer = setInterval(() => this.sweep(), 500);
      this.sweepTimer.unref();
      // one worker publishes $SYS for the node (figures of all workers: see sys-topics.ts)
      if (this.config.sys.enabled && this.worker.index === 0) this.sys.start();
      this.delayed.start();
      this.log.info({ version: VERSION, node: this.nodeName, peers: this.mesh!.peers }, 'RobustMQ worker started');
      return;
    }
    await loadAdminTokens(this.adminTokens, this.adminAuth, this.config);
    try {
      // every listener is made (certificate files read) before any listens
      for (const l of createListeners(this)) this.listeners.push(l);
      for (const l of this.listeners) await l.listen();
      await this.adminEndpoints.start(this.admin, this.config, this.log, this.adminAuth, () => !this.stopping);
    } catch (err) {
      await Promise.all(this.listeners.map((l) => l.close()));
      await this.authChain.stop(); // file watchers and database pools of the providers
      throw err;
    }
    this.startedAt = Date.now();
    this.sweepTimer = setInterval(() => this.sweep(), 500);
    this.sweepTimer.unref();
    if (this.config.sys.enabled) this.sys.start();
    this.alarms.start();
    this.delayed.start(); // overdue delayed messages are published now, with the sessions restored
    this.log.info(
      {
        version: VERSION,
        node: this.nodeName,
        listeners: this.listenerDescriptions(),
        admin: this.adminEndpoints.grpc?.describe(),
        rest: this.adminEndpoints.rest?.describe(),
        storage: this.storage.engine,
      },
      'RobustMQ broker started',
    );
  }

  /** The admin gRPC port actually bound (0 when it is off). */
  get adminPort(): number {
    return this.adminEndpoints.grpc?.port ?? 0;
  }

  /** The admin REST port actually bound (0 when it is off). */
  get restPort(): number {
    return this.adminEndpoints.rest?.port ?? 0;
  }

  /** The TCP port actually bound (useful with port 0 in tests). */
  get mqttPort(): number {
    return this.worker?.mqttPort ?? this.listeners[0]?.port ?? 0;
  }

  /** A ban added: the connected clients it covers are disconnected (v5: DISCONNECT 0x98 Administrative action). */
  private disconnectBanned(ban: BanRecord): void {
    for (const conn of [...this.connections]) {
      if (conn.state !== 'connected') continue;
      const who = { clientId: conn.clientId, username: conn.username, remoteAddress: conn.info.remoteAddress };
      if (!banCovers(ban, who)) continue;
      this.log.info({ clientId: conn.clientId, kind: ban.kind, value: ban.value }, 'banned client disconnected');
      conn.disconnect(RC.ADMINISTRATIVE_ACTION, 'banned');
    }
  }

  /** Every MQTT listener as it describes itself (the start log line and NodeStatus.listeners). */
  listenerDescriptions(): string[] {
    return this.listeners.map((l) => l.describe());
  }

  /** A listener by name: "default" (mqtt.bind/mqtt.port) or a listeners.<name>. */
  listener(name: string): MqttListener | undefined {
    return this.listeners.find((l) => l.name === name);
  }

  /** Read every TLS listener's certificate files again (SIGHUP); false when one kept its old certificate. */
  reloadTls(reason: string): boolean {
    let ok = true;
    for (const l of this.listeners) if (l.reloadTls && !l.reloadTls(reason)) ok = false;
    return ok;
  }

  /** Stop accepting, tell v5 clients 0x8B [MQTT-4.13], close every connection, flush storage. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info({ connections: this.connections.size }, 'shutting down');
    this.sys.stop();
    this.alarms.stop();
    this.logs.stop();
    this.delayed.stop();
    await this.adminEndpoints.stop();
    if (!this.worker) this.adminTokens.saveAllLastUsed();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    // a listener's close() completes only once all its connections are gone: close them first
    const listenersClosed = Promise.all(this.listeners.map((l) => l.close()));
    const open = [...this.connections];
    const closing = open.map((c) => {
      const closed = new Promise<void>((resolve) => {
        if (c.socket.destroyed) resolve();
        else c.socket.once('close', () => resolve());
      });
      // no DISCONNECT 0x00 came from the client, so its will is published [MQTT-3.1.2-8]
      c.disconnect(RC.SERVER_SHUTTING_DOWN, 'server shutting down');
      return closed;
    });
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 3000).unref())]);
    for (const c of open) c.socket.destroy();
    await listenersClosed;
    await this.mesh?.stop();
    this.sessions.stopTimers();
    await this.authChain.stop();
    await this.storage.flush();
    await this.storage.close();
    this.log.info('stopped');
  }

  handleSocket(socket: Duplex, info: TransportInfo): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const max = this.config.limits.max_connections;
    // a worker takes its share of the node's limit
    if (this.connections.size >= (this.worker ? Math.ceil(max / this.worker.count) : max)) {
      this.metrics.limitHit('max_connections');
      this.metrics.connectionsRefused++;
      socket.destroy();
      return;
    }
    const quota = this.connectionQuota;
    if (quota !== undefined) {
      const refused = quota.admit(info);
      if (refused !== null) {
        // closed before any byte is read, as Mosquitto does for max_connections
        this.metrics.limitHit(refused);
        this.metrics.connectionsRefused++;
        socket.destroy();
        return;
      }
    }
    const conn = new Connection(this, socket, info);
    this.connections.add(conn);
    if (this.ingressHeld) conn.holdIngress(true);
  }

  /** A client id for a client that sent none [MQTT-3.1.3-6]: in worker mode, one this worker owns. */
  newClientId(make: () => string): string {
    const worker = this.worker;
    let id = make();
    if (worker) while (ownerOf(id, worker.count) !== worker.index) id = make();
    return id;
  }

  /** @internal MeshHost: stop or resume reading every client while a worker link is congested. */
  holdIngress(hold: boolean): void {
    if (this.ingressHeld === hold) return;
    this.ingressHeld = hold;
    this.log.warn({ hold }, hold ? 'link to another worker congested: reading paused' : 'worker links drained');
    const now = Date.now();
    for (const c of this.connections) {
      c.holdIngress(hold);
      // time spent held is not the client's silence: keep alive counts from the release
      if (!hold) c.lastSeen = now;
    }
  }

  /** Worker mode: resolves once the other workers know the routes added so far (null: nothing to wait for). */
  routeBarrier(): Promise<void> | null {
    return this.mesh ? this.mesh.barrier() : null;
  }

  /** @internal MeshHost */
  retainedMessages(): Message[] {
    return this.retained.all();
  }

  /** @internal MeshHost: a PUBLISH another worker forwarded here. */
  receiveForwarded(fwd: ForwardedPublish): void {
    const msg = fwd.message;
    if (fwd.flags & FLAG_RETAIN_UPDATE) this.applyRetained(msg);
    this.dispatcher.dispatchForwarded(msg, (fwd.flags & FLAG_DIRECT) !== 0, fwd.groups);
  }

  connectionClosed(conn: Connection, wasConnected: boolean): void {
    if (!this.connections.delete(conn)) return;
    this.metrics.connectionsClosed++;
    this.connectionQuota?.release(conn.info);
    conn.quota?.stop();
    if (wasConnected) {
      this.sessions.disconnected(conn);
      this.hooks.emit('client.disconnected', conn);
    }
  }

  clientConnected(conn: Connection): void {
    if (conn.session) this.sessions.connected(conn.session);
    this.hooks.emit('client.connected', conn);
  }

  /** Route a message: update the retained store, hand it to matching sessions. */
  publish(msg: Message): number {
    if (this.logs.size > 0) msg = this.logs.append(msg);
    if (msg.retain) this.applyRetained(msg);
    if (this.hooks.has('message.publish')) this.hooks.emit('message.publish', msg);
    const mesh = this.mesh;
    if (!mesh) return this.dispatcher.dispatch(msg, null);
    const skip = mesh.forward(msg);
    // deliveries here, plus the workers the message went to (a v5 PUBACK says 0x10 only when none)
    return this.dispatcher.dispatch(msg, skip) + mesh.forwarded;
  }

  private applyRetained(msg: Message): void {
    if (msg.payload.length === 0) {
      // [MQTT-3.3.1-6] / [MQTT-3.3.1-10] an empty retained message deletes, and is not stored
      this.removeRetained(msg.topic);
    } else {
      // [MQTT-3.3.1-5] store it, replacing any message on the topic
      this.retained.set(msg);
      this.storage.putRetained(msg);
    }
  }

  /** Removes the retained message of a topic from the index and from storage; false when there was none. */
  removeRetained(topic: string): boolean {
    if (!this.retained.delete(topic)) return false;
    this.storage.deleteRetained(topic);
    return true;
  }

  /** Add (or replace [MQTT-3.8.4-3]) a subscription; the caller persists the session once per SUBSCRIBE. */
  subscribe(session: Session, sub: Subscription): void {
    // a subscription to the same filter replaces the old one in place: no moment without it (and no
    // route withdrawn and announced again to the other workers) [MQTT-3.8.4-3]
    session.subscriptions.set(sub.rawFilter, sub);
    this.router.add(sub);
    this.hooks.emit('session.subscribed', session, sub);
  }

  /** The retained messages a new subscription gets, after its SUBACK. */
  sendRetained(session: Session, sub: Subscription, existed: boolean): void {
    // retained messages: not for shared subscriptions [MQTT-4.8.2-?]; v5 Retain Handling [MQTT-3.3.1-9..11]
    if (sub.group !== undefined) return;
    if (sub.retainHandling === 2 || (sub.retainHandling === 1 && existed)) return;
    const now = Date.now();
    for (const m of this.retained.match(sub.filter)) {
      if (isExpired(m, now)) {
        // not delivered [MQTT-3.3.2-5], and removed now rather than at the next sweep
        this.retained.delete(m.topic);
        this.storage.deleteRetained(m.topic);
        continue;
      }
      // [MQTT-3.3.1-8] retained messages sent on subscribe have RETAIN set
      session.deliverRetained(
        m,
        Math.min(m.qos, sub.qos) as 0 | 1 | 2,
        sub.subscriptionId !== undefined ? [sub.subscriptionId] : undefined,
      );
    }
  }

  unsubscribe(session: Session, rawFilter: string): boolean {
    const sub = session.subscriptions.get(rawFilter);
    if (!sub) return false;
    session.subscriptions.delete(rawFilter);
    this.router.remove(sub);
    this.sessions.persist(session);
    this.hooks.emit('session.unsubscribed', session, rawFilter);
    return true;
  }

  /** A shared-subscription message the leaving member had not acknowledged goes to another member. */
  redispatchShared(from: Session, d: Delivery): void {
    const group = d.shared && this.router.getSharedGroup(d.shared.filter, d.shared.group);
    const member = group && this.dispatcher.pick(group, d.message.origin, from.clientId);
    // an offline persistent member may have it when this session is about to end anyway
    if (member && (member[0].connected || from.expiryInterval === 0)) {
      member[0].adopt({ ...d, qos: Math.min(d.message.qos, member[1].qos) as 0 | 1 | 2 });
    } else {
      from.adopt(d); // nobody else online: it stays with this session
    }
  }

  /** Every 500 ms: retained expiry, connect timeout and keep alive (1.5 x) [MQTT-3.1.2-24]. */
  private sweep(): void {
    const now = Date.now();
    // [MQTT-3.3.2-5] expired retained messages leave the store (and storage) without waiting for a SUBSCRIBE
    for (const topic of this.retained.purgeExpired(now)) this.storage.deleteRetained(topic);
    const connectTimeout = this.config.mqtt.connect_timeout_ms;
    for (const c of this.connections) {
      if (c.state === 'connecting' || c.state === 'authenticating') {
        if (now - c.openedAt > connectTimeout) {
          this.metrics.limitHit('connect_timeout');
          c.destroy('no CONNECT within connect_timeout_ms');
        }
      } else if (
        c.state === 'connected' &&
        c.keepalive > 0 &&
        now - c.lastSeen > c.keepalive * 1500 &&
        c.quota?.paused !== true // not read because of its quota: its packets wait in the socket
      ) {
        c.debug({ clientId: c.clientId, keepalive: c.keepalive }, 'keep alive timeout');
        c.disconnect(RC.KEEP_ALIVE_TIMEOUT, 'keep alive timeout');
      }
    }
  }
}
