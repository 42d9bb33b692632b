// The primary process of a node started with node.workers > 1: it forks the workers, owns the MQTT
// listener, reads each connection's CONNECT just far enough to know its Client Identifier, and hands
// the socket to the worker that owns that id (so a session, its takeover and its will live in one
// process). It restarts a worker that dies, and serves the admin API by asking every worker. The admin
// tokens live here only (memory storage, as the workers'): the primary is the one admin endpoint.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  AclFilter,
  AclRule,
  BanFilter,
  BanInfo,
  BanKind,
  CreateAclRequest,
  CreateBanRequest,
  CreateUserRequest,
  ImportUsersRequest,
  ImportUsersResult,
  UserFilter,
  UserInfo,
  AdminTokenInfo,
  CreatedToken,
  CreateTokenRequest,
  TokenFilter,
  TopicRewriteInfo,
  ClientDetail,
  ClientFilter,
  ClientInfo,
  ClientSubscriptionInfo,
  ClusterStatus,
  ConfigEntry,
  MessagePage,
  NodeStatus,
  Page,
  DelayedFilter,
  DelayedInfo,
  DelayedMessage,
  RetainedFilter,
  RetainedInfo,
  RetainedMessage,
  SessionDetail,
  SessionFilter,
  SessionInfo,
  SubscriptionListFilter,
  TopicInfo,
  AutoSubscribeRule,
  ExclusiveInfo,
} from '../../lib/admin-api.js';
import type { AdminApi } from '../../lib/admin-api.js';
import type { SchemaBindingInfo, SchemaInfo } from '../../lib/admin-api.js';
import type { BrokerConfig } from '../../lib/config.js';
import { RobustMQError, type ErrorCode } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { adminAuthRequired } from '../../lib/config-schema.js';
import { AdminAuth, loadAdminTokens } from '../admin/admin-auth.js';
import { AdminEndpoints } from '../admin/admin-endpoints.js';
import { AdminTokens } from '../admin/admin-tokens.js';
import { AdminSecurity } from '../admin/admin-security.js';
import { SecurityStore } from '../security/security-store.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { pageSize } from '../admin/admin-service.js';
import {
  MAX_PAGE_SIZE,
  type AlarmInfo,
  type SlowSubscriptionFilter,
  type SlowSubscriptionInfo,
} from '../../lib/admin-api.js';
import { pageSlowSubscriptions, slowSubscriptionKey } from '../features/slow-subscriptions.js';
import { hostPort } from '../../lib/host-port.js';
import { getConfig, setConfig } from '../admin/admin-config.js';
import { ownerOf, peekConnect } from './client-owner.js';
import type { AdminCall, AdminResult, FromWorker, ToWorker } from './ipc.js';
import { mergePages } from './merge-pages.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** How long a worker may take to start before the node gives up on it. */
const START_TIMEOUT_MS = 30_000;
/** A worker that dies is started again after this long. */
const RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** How long an admin call waits for a worker's answer. */
const ADMIN_TIMEOUT_MS = 10_000;
/** Bytes the primary reads from a connection to find its client id before it hands it over anyway. */
const MAX_PEEK_BYTES = 64 * 1024;

interface WorkerSlot {
  index: number;
  child: ChildProcess | null;
  ready: boolean;
}

/** A socket whose CONNECT has not arrived whole yet. */
interface Pending {
  socket: net.Socket;
  chunks: Buffer[];
  bytes: number;
  openedAt: number;
}

export class WorkerPrimary implements AdminApi {
  private readonly slots: WorkerSlot[];
  private readonly meshDir: string;
  private server?: net.Server;
  private readonly adminEndpoints = new AdminEndpoints();
  private readonly adminTokens: AdminTokens;
  private readonly adminAuth: AdminAuth;
  private readonly pending = new Set<Pending>();
  private sweepTimer?: NodeJS.Timeout;
  private stopping = false;
  private nextCall = 1;
  private readonly calls = new Map<number, { slot: WorkerSlot; done: (reply: FromWorker & { t: 'admin' }) => void }>();
  private restarts: Promise<void> = Promise.resolve();
  /** Round robin for clients that leave the id to the server (the worker assigns one it owns). */
  private nextAnonymous = 0;
  port = 0;
  startedAt = 0;
  /**
   * Users, ACL rules and bans: the primary holds the node's copy (worker mode has memory storage
   * only) and makes every change on it (ids, hashes and times are made once); each change is sent to
   * every running worker, and a worker that becomes ready gets the whole copy first, so each worker's
   * copy equals this one. Lists are read from a worker's copy.
   */
  private readonly securityStore = new SecurityStore(new MemoryStorage());
  private readonly security = new AdminSecurity(this.securityStore);

  constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
  ) {
    const n = config.node.workers;
    this.slots = Array.from({ length: n }, (_, index) => ({ index, child: null, ready: false }));
    this.meshDir = mkdtempSync(path.join(os.tmpdir(), 'robustmq-mesh-'));
    this.securityStore.onChange = (change) => {
      for (const slot of this.slots) if (slot.ready) this.sendTo(slot, { t: 'security', change });
    };
    this.adminTokens = new AdminTokens(new MemoryStorage(), log);
    this.adminAuth = new AdminAuth(adminAuthRequired(config.admin), this.adminTokens, log);
  }

  get adminPort(): number {
    return this.adminEndpoints.grpc?.port ?? 0;
  }

  async start(): Promise<void> {
    try {
      const server = net.createServer({ pauseOnConnect: true, noDelay: this.config.mqtt.tcp_nodelay }, (s) =>
        this.accept(s),
      );
      // workers first: a client that can connect must find its worker running
      for (const slot of this.slots) await this.spawn(slot);
      await this.listen(server);
      await loadAdminTokens(this.adminTokens, this.adminAuth, this.config);
      await this.adminEndpoints.start(this, this.config, this.log, this.adminAuth, () => this.allReady);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.startedAt = Date.now();
    this.sweepTimer = setInterval(() => this.sweep(), 500);
    this.sweepTimer.unref();
    this.log.info(
      {
        listeners: [`mqtt://${this.config.mqtt.bind}:${this.port}`],
        admin: this.adminEndpoints.grpc?.describe(),
        rest: this.adminEndpoints.rest?.describe(),
        workers: this.slots.length,
        storage: this.config.storage.engine,
      },
      'RobustMQ broker started',
    );
  }

  private listen(server: net.Server): Promise<void> {
    const { bind, port } = this.config.mqtt;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new RobustMQError(
            'RMQ_ERR_LISTEN',
            `cannot listen on ${bind}:${port} (${err.code ?? err.message}); choose another port with --mqtt-port or mqtt.port`,
            { cause: err },
          ),
        ),
      );
      server.listen({ host: bind, port, backlog: 1024 }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.log.error({ err }, 'tcp listener error'));
        this.port = (server.address() as net.AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  private spawn(slot: WorkerSlot): Promise<void> {
    const peers = this.slots.filter((s) => s.ready).map((s) => s.index);
    const child = fork(WORKER_MAIN, [], {
      execArgv: process.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.child = child;
    slot.ready = false;
    // the port is 0 until the listener is bound (after the first workers start): it is for display only
    const role = { index: slot.index, count: this.slots.length, meshDir: this.meshDir, peers, mqttPort: this.port };
    child.send({ t: 'init', config: this.config, role } satisfies ToWorker);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new RobustMQError('RMQ_ERR_WORKER', `worker ${slot.index} did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      child.on('message', (msg: FromWorker) => {
        switch (msg.t) {
          case 'ready':
            clearTimeout(timer);
            // before any client socket: IPC keeps the order of what the primary sends
            this.sendTo(slot, { t: 'security-sync', snapshot: this.securityStore.snapshot() });
            slot.ready = true;
            resolve();
            return;
          case 'failed':
            clearTimeout(timer);
            reject(new RobustMQError((msg.code as ErrorCode | undefined) ?? 'RMQ_ERR_WORKER', msg.message));
            return;
          case 'admin': {
            const call = this.calls.get(msg.id);
            this.calls.delete(msg.id);
            call?.done(msg);
            return;
          }
          case 'node-status?':
            this.clusterStatus().then(
              (status) => this.sendTo(slot, { t: 'node-status', id: msg.id, status }),
              (err: unknown) => this.sendTo(slot, { t: 'node-status', id: msg.id, error: String(err) }),
            );
            return;
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        const wasReady = slot.ready;
        if (slot.child === child) {
          slot.child = null;
          slot.ready = false;
        }
        if (!wasReady)
          reject(
            new RobustMQError(
              'RMQ_ERR_WORKER',
              `worker ${slot.index} exited while starting (code ${code}, signal ${signal})`,
            ),
          );
        // admin calls it will not answer now
        for (const [id, call] of this.calls) {
          if (call.slot !== slot) continue;
          this.calls.delete(id);
          call.done({ t: 'admin', id, error: { code: 'RMQ_ERR_WORKER', message: `worker ${slot.index} exited` } });
        }
        if (this.stopping || !wasReady) return;
        // its clients lost their connections (and, with memory storage, their sessions): they reconnect
        this.log.error({ worker: slot.index, code, signal }, 'worker exited: starting it again');
        this.restart(slot, RESTART_DELAY_MS);
      });
      // a send to a worker that has just died fails here, not as an exception that ends the node
      child.on('error', (err) => this.log.warn({ err, worker: slot.index }, 'worker IPC error'));
    });
  }

  /**
   * Restarts go one at a time, each after `delay`: a worker connects to those already running, so
   * two started together would not connect to each other. A failed start is tried again, later.
   */
  private restart(slot: WorkerSlot, delay: number): void {
    this.restarts = this.restarts.then(async () => {
      await new Promise((r) => setTimeout(r, delay).unref());
      if (this.stopping || slot.child) return;
      try {
        await this.spawn(slot);
      } catch (err) {
        const next = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
        this.log.error({ err, worker: slot.index, retryInMs: next }, 'worker restart failed');
        this.restart(slot, next);
      }
    });
  }

  private sendTo(slot: WorkerSlot, msg: ToWorker, handle?: net.Socket): boolean {
    const child = slot.child;
    if (!child?.connected) return false;
    child.send(msg, handle as net.Socket, (err) => {
      if (!err) return;
      this.log.warn({ err, worker: slot.index, message: msg.t }, 'could not send to a worker');
      handle?.destroy();
    });
    return true;
  }

  private accept(socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const p: Pending = { socket, chunks: [], bytes: 0, openedAt: Date.now() };
    this.pending.add(p);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.pending.delete(p));
    socket.on('data', (chunk: Buffer) => this.onData(p, chunk));
    socket.resume();
  }

  private onData(p: Pending, chunk: Buffer): void {
    p.chunks.push(chunk);
    p.bytes += chunk.length;
    const head = p.chunks.length === 1 ? chunk : Buffer.concat(p.chunks);
    p.chunks = [head];
    const peek = peekConnect(head);
    if (peek.kind === 'partial') {
      // the client id comes in the first bytes of a CONNECT: a client still short of it after
      // this many is handed to a worker, whose parser deals with it
      if (p.bytes > MAX_PEEK_BYTES) this.handOff(p, head, 0);
      return;
    }
    let index: number;
    if (peek.kind === 'other')
      index = 0; // a worker answers it with the right reason code
    else if (peek.clientId === '') index = this.nextAnonymous++ % this.slots.length;
    else index = ownerOf(peek.clientId, this.slots.length);
    this.handOff(p, head, index);
  }

  private handOff(p: Pending, head: Buffer, index: number): void {
    const socket = p.socket;
    this.pending.delete(p);
    // stop reading in the kernel: what arrives next stays in the socket for the worker to read
    (socket as unknown as { _handle?: { readStop(): number } })._handle?.readStop();
    socket.pause();
    socket.removeAllListeners('data');
    socket.removeAllListeners('close');
    const slot = this.slots[index]!;
    const msg: ToWorker = {
      t: 'conn',
      head,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
    };
    if (!slot.ready || !this.sendTo(slot, msg, socket)) {
      this.log.warn({ worker: index }, 'worker not running: connection closed');
      socket.destroy();
    }
  }

  /** Every 500 ms: sockets that have not sent their CONNECT within connect_timeout_ms are closed. */
  private sweep(): void {
    const limit = Date.now() - this.config.mqtt.connect_timeout_ms;
    for (const p of this.pending) {
      if (p.openedAt < limit) {
        this.pending.delete(p);
        p.socket.destroy();
      }
    }
  }

  // ---- AdminApi over all workers ----

  private ask(slot: WorkerSlot, call: AdminCall): Promise<AdminResult> {
    return new Promise((resolve, reject) => {
      const id = this.nextCall++;
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(
          new RobustMQError('RMQ_ERR_WORKER', `worker ${slot.index} did not answer within ${ADMIN_TIMEOUT_MS} ms`),
        );
      }, ADMIN_TIMEOUT_MS);
      this.calls.set(id, {
        slot,
        done: (reply) => {
          clearTimeout(timer);
          if (reply.error) reject(new RobustMQError(reply.error.code as ErrorCode, reply.error.message));
          else resolve(reply.result!);
        },
      });
      if (!this.sendTo(slot, { t: 'admin', id, call })) {
        clearTimeout(timer);
        this.calls.delete(id);
        reject(new RobustMQError('RMQ_ERR_WORKER', `worker ${slot.index} is not running`));
      }
    });
  }

  /** Every worker runs (what /health/ready reports). */
  get allReady(): boolean {
    return !this.stopping && this.slots.every((s) => s.ready);
  }

  private askAll(call: AdminCall): Promise<AdminResult[]> {
    return Promise.all(this.slots.filter((s) => s.ready).map((s) => this.ask(s, call)));
  }

  /** One node: the workers' figures summed (retained messages are in every worker: counted once). */
  async clusterStatus(): Promise<ClusterStatus> {
    const nodes = ((await this.askAll({ method: 'clusterStatus', args: [] })) as ClusterStatus[]).map(
      (s) => s.nodes[0]!,
    );
    const now = Date.now();
    const sum = (f: (n: NodeStatus) => number): number => nodes.reduce((a, n) => a + f(n), 0);
    return {
      clusterName: this.config.node.name,
      nodes: [
        {
          name: this.config.node.name,
          version: nodes[0]?.version ?? '',
          startedAtMs: this.startedAt,
          uptimeMs: this.startedAt === 0 ? 0 : now - this.startedAt,
          connections: sum((n) => n.connections),
          sessions: sum((n) => n.sessions),
          subscriptions: sum((n) => n.subscriptions),
          retained: Math.max(0, ...nodes.map((n) => n.retained)),
          messagesReceived: sum((n) => n.messagesReceived),
          messagesSent: sum((n) => n.messagesSent),
          messagesDropped: sum((n) => n.messagesDropped),
          bytesReceived: sum((n) => n.bytesReceived),
          bytesSent: sum((n) => n.bytesSent),
          storageEngine: this.config.storage.engine,
          mqttAddress: hostPort(this.config.mqtt.bind, this.port),
          workers: this.slots.length,
          pid: process.pid,
          adminGrpcAddress: this.adminEndpoints.grpc
            ? hostPort(this.config.admin.grpc_bind, this.adminEndpoints.grpc.port)
            : '',
          restAddress: this.adminEndpoints.rest
            ? hostPort(this.config.admin.http_bind, this.adminEndpoints.rest.port)
            : '',
          adminAuthFailures: this.adminAuth.failures,
          mqttAuthFailures: sum((n) => n.mqttAuthFailures),
          // with workers the node listens on mqtt.bind/mqtt.port only (named listeners are refused)
          listeners: [`mqtt://${hostPort(this.config.mqtt.bind, this.port)}`],
        },
      ],
    };
  }

  /** Each worker's page after the token, merged in client-id order and cut to the page size. */
  async listClients(filter: ClientFilter = {}): Promise<Page<ClientInfo>> {
    const limit = pageSize(filter.limit);
    const pages = (await this.askAll({ method: 'listClients', args: [{ ...filter, limit }] })) as Page<ClientInfo>[];
    return mergePages(pages, limit, (c) => c.clientId);
  }

  /** The worker that owns the client id answers. */
  async describeClient(clientId: string): Promise<ClientDetail> {
    return (await this.ask(this.slots[ownerOf(clientId, this.slots.length)]!, {
      method: 'describeClient',
      args: [clientId],
    })) as ClientDetail;
  }

  async kickClient(clientId: string): Promise<void> {
    await this.ask(this.slots[ownerOf(clientId, this.slots.length)]!, { method: 'kickClient', args: [clientId] });
  }

  createTopic(): Promise<TopicInfo> {
    return Promise.reject(noTopics());
  }

  /** No topic can exist with workers (refused at start): an empty list. */
  async listTopics(): Promise<Page<TopicInfo>> {
    return { items: [], nextPageToken: '', total: 0 };
  }

  describeTopic(name: string): Promise<TopicInfo> {
    return Promise.reject(new RobustMQError('RMQ_ERR_TOPIC_NOT_FOUND', `topic "${name}" has not been created`));
  }

  deleteTopic(name: string): Promise<void> {
    return this.describeTopic(name).then(() => undefined);
  }

  // users, ACL rules, bans: changes are made on the primary's copy and forwarded to the workers;
  // lists are read from the first running worker's copy (IPC keeps order: it has every earlier change)

  private askFirstReady(call: AdminCall): Promise<AdminResult> {
    const slot = this.slots.find((s) => s.ready);
    if (!slot) return Promise.reject(new RobustMQError('RMQ_ERR_WORKER', 'no worker is running'));
    return this.ask(slot, call);
  }

  createUser(request: CreateUserRequest): Promise<UserInfo> {
    return this.security.createUser(request);
  }
  async listUsers(filter: UserFilter = {}): Promise<Page<UserInfo>> {
    return (await this.askFirstReady({ method: 'listUsers', args: [filter] })) as Page<UserInfo>;
  }
  deleteUser(username: string): Promise<void> {
    return this.security.deleteUser(username);
  }
  setUserPassword(username: string, password: string): Promise<void> {
    return this.security.setUserPassword(username, password);
  }

  importUsers(request: ImportUsersRequest): Promise<ImportUsersResult> {
    return this.security.importUsers(request);
  }
  createAcl(request: CreateAclRequest): Promise<AclRule> {
    return this.security.createAcl(request);
  }
  async listAcls(filter: AclFilter = {}): Promise<Page<AclRule>> {
    return (await this.askFirstReady({ method: 'listAcls', args: [filter] })) as Page<AclRule>;
  }
  deleteAcl(id: string): Promise<void> {
    return this.security.deleteAcl(id);
  }
  createBan(request: CreateBanRequest): Promise<BanInfo> {
    return this.security.createBan(request);
  }
  async listBans(filter: BanFilter = {}): Promise<Page<BanInfo>> {
    // ended bans leave the primary's copy (and so every worker's) before the list is read
    await this.security.listBans({ kind: filter.kind });
    return (await this.askFirstReady({ method: 'listBans', args: [filter] })) as Page<BanInfo>;
  }
  deleteBan(kind: BanKind, value: string): Promise<void> {
    return this.security.deleteBan(kind, value);
  }

  /** The primary's copy: the configuration every worker started with, and every change since. */
  async getConfig(key?: string): Promise<ConfigEntry[]> {
    return getConfig(this, key);
  }

  /**
   * Checked and applied here first (the primary's log level and connect timeout; a bad value reaches
   * no worker, and a worker started again later gets the changed config), then in every running worker.
   */
  async setConfig(key: string, value: string): Promise<ConfigEntry> {
    const entry = setConfig(this, key, value);
    await this.askAll({ method: 'setConfig', args: [key, value] });
    return entry;
  }

  readMessages(): Promise<MessagePage> {
    return Promise.reject(noTopics());
  }

  /** Tokens live in the primary (it serves the admin endpoints): no worker is asked. */
  createToken(request: CreateTokenRequest): Promise<CreatedToken> {
    return this.adminTokens.create(request);
  }

  async listTokens(filter: TokenFilter = {}): Promise<Page<AdminTokenInfo>> {
    return this.adminTokens.list(filter);
  }

  revokeToken(id: string): Promise<void> {
    return this.adminTokens.revoke(id);
  }

  /** Runtime topic rewrite rules are not kept per worker (each applies the config file's rules). */
  createTopicRewrite(): Promise<TopicRewriteInfo> {
    return Promise.reject(noRuntimeFeature('topic rewrite rules'));
  }

  listTopicRewrites(): Promise<Page<TopicRewriteInfo>> {
    return Promise.reject(noRuntimeFeature('topic rewrite rules'));
  }

  deleteTopicRewrite(): Promise<void> {
    return Promise.reject(noRuntimeFeature('topic rewrite rules'));
  }

  /** Each worker's page of its own sessions, merged in client-id order. */
  async listSessions(filter: SessionFilter = {}): Promise<Page<SessionInfo>> {
    const limit = pageSize(filter.limit);
    const pages = (await this.askAll({ method: 'listSessions', args: [{ ...filter, limit }] })) as Page<SessionInfo>[];
    return mergePages(pages, limit, (s) => s.clientId);
  }

  /** The worker that owns the client id holds its session. */
  async describeSession(clientId: string): Promise<SessionDetail> {
    return (await this.ask(this.owner(clientId), { method: 'describeSession', args: [clientId] })) as SessionDetail;
  }

  async deleteSession(clientId: string): Promise<void> {
    await this.ask(this.owner(clientId), { method: 'deleteSession', args: [clientId] });
  }

  /** Each worker's page of its sessions' subscriptions, merged in (client id, filter) order. */
  async listSubscriptions(filter: SubscriptionListFilter = {}): Promise<Page<ClientSubscriptionInfo>> {
    const limit = pageSize(filter.limit);
    const pages = (await this.askAll({
      method: 'listSubscriptions',
      args: [{ ...filter, limit }],
    })) as Page<ClientSubscriptionInfo>[];
    return mergePages(pages, limit, (s) => `${s.clientId}\0${s.filter}`);
  }

  /** Every worker keeps the whole retained store: the first running one answers. */
  async listRetained(filter: RetainedFilter = {}): Promise<Page<RetainedInfo>> {
    return (await this.ask(this.anyWorker(), { method: 'listRetained', args: [filter] })) as Page<RetainedInfo>;
  }

  async getRetained(topic: string): Promise<RetainedMessage> {
    return (await this.ask(this.anyWorker(), { method: 'getRetained', args: [topic] })) as RetainedMessage;
  }

  /**
   * Every worker keeps the whole retained store, so each one removes its copy (not an empty retained
   * PUBLISH through one worker: that would reach the subscribers). Not found only when no worker had it.
   */
  async deleteRetained(topic: string): Promise<void> {
    const results = await Promise.allSettled(
      this.slots.filter((s) => s.ready).map((s) => this.ask(s, { method: 'deleteRetained', args: [topic] })),
    );
    if (results.some((r) => r.status === 'fulfilled')) {
      const failed = results.find((r) => r.status === 'rejected' && !isRetainedNotFound(r.reason));
      if (failed) throw (failed as PromiseRejectedResult).reason;
      return;
    }
    if (results.length === 0) throw new RobustMQError('RMQ_ERR_WORKER', 'no worker is running');
    throw (results[0] as PromiseRejectedResult).reason;
  }

  private owner(clientId: string): WorkerSlot {
    return this.slots[ownerOf(clientId, this.slots.length)]!;
  }

  private anyWorker(): WorkerSlot {
    return this.slots.find((s) => s.ready) ?? this.slots[0]!;
  }

  /** Each worker holds the delayed messages its clients published: not listed across workers yet. */
  async listDelayed(_filter?: DelayedFilter): Promise<Page<DelayedInfo>> {
    throw noDelayedAdmin();
  }

  async getDelayed(_id: string): Promise<DelayedMessage> {
    throw noDelayedAdmin();
  }

  async deleteDelayed(_id: string): Promise<void> {
    throw noDelayedAdmin();
  }

  createAutoSubscribe(): Promise<AutoSubscribeRule> {
    return Promise.reject(noRuntimeFeature('auto-subscribe rules'));
  }

  listAutoSubscribes(): Promise<Page<AutoSubscribeRule>> {
    return Promise.reject(noRuntimeFeature('auto-subscribe rules'));
  }

  deleteAutoSubscribe(): Promise<void> {
    return Promise.reject(noRuntimeFeature('auto-subscribe rules'));
  }

  listExclusive(): Promise<Page<ExclusiveInfo>> {
    return Promise.reject(noRuntimeFeature('exclusive subscriptions'));
  }

  deleteExclusive(): Promise<void> {
    return Promise.reject(noRuntimeFeature('exclusive subscriptions'));
  }

  async close(): Promise<void> {}

  /** Every worker's slow list (at most top_k each), merged slowest first and cut to top_k. */
  async listSlowSubscriptions(filter: SlowSubscriptionFilter = {}): Promise<Page<SlowSubscriptionInfo>> {
    pageSize(filter.limit); // an invalid limit is refused before any worker is asked
    const pages = (await this.askAll({
      method: 'listSlowSubscriptions',
      args: [{ limit: MAX_PAGE_SIZE }],
    })) as Page<SlowSubscriptionInfo>[];
    const all = pages.flatMap((p) => p.items).map((e) => [slowSubscriptionKey(e), e] as const);
    all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const top = all.slice(0, this.config.slow_subs.top_k).map(([, e]) => e);
    return pageSlowSubscriptions(top, filter);
  }

  async clearSlowSubscriptions(): Promise<void> {
    await this.askAll({ method: 'clearSlowSubscriptions', args: [] });
  }

  listAlarms(): Promise<Page<AlarmInfo>> {
    return Promise.reject(noAlarms());
  }

  clearAlarmHistory(): Promise<void> {
    return Promise.reject(noAlarms());
  }

  // payload schemas: each worker validates with the [schema] of the configuration file; runtime
  // changes would have to reach every worker and are not supported yet
  async createSchema(): Promise<SchemaInfo> {
    throw noRuntimeSchemas();
  }
  async listSchemas(): Promise<Page<SchemaInfo>> {
    throw noRuntimeSchemas();
  }
  async getSchema(): Promise<SchemaInfo> {
    throw noRuntimeSchemas();
  }
  async deleteSchema(): Promise<void> {
    throw noRuntimeSchemas();
  }
  async bindSchema(): Promise<SchemaBindingInfo> {
    throw noRuntimeSchemas();
  }
  async unbindSchema(): Promise<void> {
    throw noRuntimeSchemas();
  }
  async listSchemaBindings(): Promise<Page<SchemaBindingInfo>> {
    throw noRuntimeSchemas();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const p of this.pending) p.socket.destroy();
    this.pending.clear();
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.adminEndpoints.stop();
    const exits = this.slots.map((slot) => {
      const child = slot.child;
      if (!child || child.exitCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        if (!this.sendTo(slot, { t: 'stop' })) child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      });
    });
    await Promise.all(exits);
    await closed;
    rmSync(this.meshDir, { recursive: true, force: true });
    this.log.info('stopped');
  }
}

function isRetainedNotFound(err: unknown): boolean {
  return err instanceof RobustMQError && err.code === 'RMQ_ERR_RETAINED_NOT_FOUND';
}

function noAlarms(): RobustMQError {
  return new RobustMQError(
    'RMQ_ERR_UNSUPPORTED',
    'system alarms are not available with node.workers > 1 yet: each worker is its own process',
  );
}

function noTopics(): RobustMQError {
  return new RobustMQError(
    'RMQ_ERR_UNSUPPORTED',
    'topics with a log are not available with node.workers > 1 yet: a topic log lives in one process',
  );
}

/** A feature's runtime admin (issue 7) with workers: the config file's settings apply in each worker. */
function noRuntimeFeature(what: string): RobustMQError {
  return new RobustMQError(
    'RMQ_ERR_UNSUPPORTED',
    `${what} cannot be managed at run time with node.workers > 1 yet (each worker applies the configuration file's); set them in the configuration file, or run with node.workers = 1`,
  );
}

function noDelayedAdmin(): RobustMQError {
  return new RobustMQError(
    'RMQ_ERR_UNSUPPORTED',
    'delayed messages cannot be listed or cancelled with node.workers > 1 yet: each worker holds those its clients published',
  );
}

function noRuntimeSchemas(): RobustMQError {
  return new RobustMQError(
    'RMQ_ERR_UNSUPPORTED',
    'payload schemas cannot be managed at runtime with node.workers > 1 yet: define them in [schema.schemas.<name>] of the configuration file',
  );
}
