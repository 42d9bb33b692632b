// One worker's links to the other workers of the node: it tells them which filters its sessions
// subscribe to, keeps theirs in a trie of its own, and forwards each PUBLISH only to the workers
// with a matching subscription (all of them when it is retained: each keeps every retained
// message). A shared-subscription group spread over workers gives each message to one worker.
import { rmSync } from 'node:fs';
import net from 'node:net';
import type { Logger } from '../../lib/logger.js';
import type { Message } from '../message.js';
import { hashClientId } from './client-owner.js';
import type { ShareStrategy } from '../routing/dispatcher.js';
import type { Subscription } from '../routing/subscription.js';
import type { SharedGroup, TopicTrie } from '../routing/topic-trie.js';
import { TopicTrie as Trie } from '../routing/topic-trie.js';
import { parseSubscriptionFilter } from '../../lib/topic.js';
import {
  encodeHello,
  encodePing,
  encodeRoute,
  encodeSynced,
  FLAG_DIRECT,
  FLAG_RETAIN_UPDATE,
  FrameSplitter,
  FrameType,
  publishFrameSize,
  writePublishFrame,
  type ForwardedPublish,
  type MeshFrame,
} from './mesh-codec.js';

const NO_GROUPS: string[] = [];
const BARRIER_TIMEOUT_MS = 5_000;

/** Bytes queued on one link before this worker stops reading its clients until the link drains. */
const HIGH_WATER = 8 * 1024 * 1024;

export interface MeshHost {
  readonly log: Logger;
  /** This worker's own subscriptions (to find a local member of a shared group). */
  readonly router: TopicTrie;
  /** Every retained message this worker holds: sent to a worker that (re)starts. */
  retainedMessages(): Message[];
  /** A PUBLISH forwarded by another worker. */
  receiveForwarded(fwd: ForwardedPublish): void;
  /** Stop (true) or resume (false) reading from this worker's clients. */
  holdIngress(hold: boolean): void;
}

export function meshSocketPath(dir: string, index: number): string {
  return `${dir}/w${index}.sock`;
}

/** Bytes of the buffer that frames are written into; a new one is taken when it is full. */
const SLAB = 64 * 1024;

class Link {
  readonly splitter = new FrameSplitter();
  /** Frames of this tick are written into a slab; what the socket holds is never written again. */
  private slab: Buffer | null = null;
  private used = 0;
  private start = 0;
  private out: Buffer[] = [];
  private scheduled = false;
  congested = false;
  peer = -1;

  constructor(readonly socket: net.Socket) {}

  /** `n` bytes at the returned offset of `this.slab`, sent at the end of the tick. */
  reserve(n: number): number {
    if (this.slab === null || this.slab.length - this.used < n) {
      if (this.slab !== null && this.used > this.start) this.out.push(this.slab.subarray(this.start, this.used));
      this.slab = Buffer.allocUnsafe(Math.max(SLAB, n));
      this.used = this.start = 0;
    }
    const at = this.used;
    this.used += n;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(flushLink, this);
    }
    return at;
  }

  sendPublish(fwd: ForwardedPublish): void {
    const sizes = publishFrameSize(fwd);
    const at = this.reserve(sizes.total);
    writePublishFrame(this.slab!, at, fwd, sizes);
  }

  send(buf: Buffer): void {
    const at = this.reserve(buf.length);
    buf.copy(this.slab!, at);
  }

  /** Writes this tick's frames; true when the socket now holds more than HIGH_WATER. */
  flush(): boolean {
    this.scheduled = false;
    if (this.slab !== null && this.used > this.start) {
      this.out.push(this.slab.subarray(this.start, this.used));
      this.start = this.used;
    }
    const out = this.out;
    if (out.length === 0 || this.socket.destroyed) return false;
    this.out = [];
    if (out.length === 1) this.socket.write(out[0]!);
    else {
      this.socket.cork();
      for (const b of out) this.socket.write(b);
      this.socket.uncork();
    }
    return this.socket.writableLength > HIGH_WATER;
  }
}

function flushLink(link: Link): void {
  if (link.flush() && !link.congested) link.socket.emit('rmq-congested');
}

export class WorkerMesh {
  private readonly links: (Link | undefined)[];
  /** The other workers' subscriptions: one Subscription per worker and filter, client id "\0{index}". */
  readonly remote = new Trie();
  private server?: net.Server;
  private congestedLinks = 0;
  /** Targets of the message being forwarded, by worker index (reused: no allocation per message). */
  private readonly targetFlags: Uint8Array;
  private readonly targetGroups: (string[] | null)[];
  private readonly targeted: boolean[];

  constructor(
    private readonly host: MeshHost,
    readonly index: number,
    readonly count: number,
    private readonly dir: string,
    private readonly strategy: ShareStrategy,
  ) {
    this.links = new Array<Link | undefined>(count);
    this.targetFlags = new Uint8Array(count);
    this.targetGroups = new Array<string[] | null>(count).fill(null);
    this.targeted = new Array<boolean>(count).fill(false);
  }

  get peers(): number {
    let n = 0;
    for (const l of this.links) if (l) n++;
    return n;
  }

  /** Listen for the workers started after this one, and connect to those started before it. */
  async start(peers: number[], localFilters: () => Iterable<string>): Promise<void> {
    this.localFilters = localFilters;
    const server = net.createServer((socket) => this.adopt(socket, -1));
    // left behind by the previous process of this worker if it was killed
    rmSync(meshSocketPath(this.dir, this.index), { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(meshSocketPath(this.dir, this.index), () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    await Promise.all(
      peers.map(
        (peer) =>
          new Promise<void>((resolve, reject) => {
            const socket = net.connect(meshSocketPath(this.dir, peer));
            socket.once('error', reject);
            socket.once('connect', () => {
              socket.off('error', reject);
              // started once the peer's route table is here: no PUBLISH may miss its subscribers
              this.syncWaiters.set(peer, resolve);
              this.adopt(socket, peer);
            });
          }),
      ),
    );
  }

  private localFilters: () => Iterable<string> = () => [];

  private adopt(socket: net.Socket, peer: number): void {
    socket.setNoDelay(true);
    const link = new Link(socket);
    socket.write(encodeHello(this.index));
    // the side that connects is the worker that (re)starts: the others send it the retained store
    if (peer >= 0) this.attach(link, peer, false);
    socket.on('data', (chunk: Buffer) => {
      try {
        link.splitter.push(chunk, (frame) => this.onFrame(link, frame));
      } catch (err) {
        this.host.log.error({ err, peer: link.peer }, 'bad frame from a worker link: closing it');
        socket.destroy();
      }
    });
    socket.on('rmq-congested', () => {
      link.congested = true;
      if (this.congestedLinks++ === 0) this.host.holdIngress(true);
    });
    socket.on('drain', () => {
      if (!link.congested) return;
      link.congested = false;
      if (--this.congestedLinks === 0) this.host.holdIngress(false);
    });
    socket.on('error', (err) => this.host.log.warn({ err, peer: link.peer }, 'worker link error'));
    socket.on('close', () => {
      const waiter = this.syncWaiters.get(link.peer);
      if (waiter) {
        this.syncWaiters.delete(link.peer);
        waiter(); // that worker is gone: nothing more to wait for
      }
      if (link.congested && --this.congestedLinks === 0) this.host.holdIngress(false);
      link.congested = false;
      for (const [id, ping] of this.pings) if (ping.waiting.has(link)) this.pinged(id, link);
      if (link.peer >= 0 && this.links[link.peer] === link) {
        this.links[link.peer] = undefined;
        this.dropRoutesOf(link.peer);
        this.host.log.info({ peer: link.peer }, 'worker link closed');
      }
    });
  }

  /** The link is known to lead to `peer`: send our whole route table, then keep it current. */
  private attach(link: Link, peer: number, sendRetained: boolean): void {
    link.peer = peer;
    const old = this.links[peer];
    if (old && old !== link) {
      // a restarted worker reached us before its old link's close: forget what the old one said
      old.peer = -1;
      old.socket.destroy();
      this.dropRoutesOf(peer);
    }
    this.links[peer] = link;
    for (const raw of this.localFilters()) link.send(encodeRoute(FrameType.ROUTE_ADD, raw));
    if (sendRetained) {
      for (const message of this.host.retainedMessages()) {
        link.sendPublish({ flags: FLAG_RETAIN_UPDATE, groups: NO_GROUPS, message });
      }
    }
    link.send(encodeSynced());
  }

  /** Resolved by each peer's SYNCED: its whole route table has arrived. */
  private readonly syncWaiters = new Map<number, () => void>();

  private onFrame(link: Link, frame: MeshFrame): void {
    switch (frame.type) {
      case FrameType.HELLO:
        if (link.peer < 0) this.attach(link, frame.index, true);
        return;
      case FrameType.ROUTE_ADD:
      case FrameType.ROUTE_DEL: {
        const sub = remoteSubscription(link.peer, frame.filter);
        if (!sub) return;
        if (frame.type === FrameType.ROUTE_ADD) {
          this.remoteSubs.set(`${sub.clientId}\0${sub.rawFilter}`, sub);
          this.remote.add(sub);
        } else {
          this.remoteRemove(sub);
        }
        return;
      }
      case FrameType.SYNCED: {
        const waiter = this.syncWaiters.get(link.peer);
        this.syncWaiters.delete(link.peer);
        waiter?.();
        return;
      }
      case FrameType.PUBLISH:
        try {
          this.host.receiveForwarded(frame);
        } catch (err) {
          // a delivery that failed is not a broken link: the link and its routes stay
          this.host.log.error({ err, peer: link.peer, topic: frame.message.topic }, 'forwarded PUBLISH failed');
        }
        return;
      case FrameType.PING:
        link.send(encodePing(FrameType.PONG, frame.id));
        return;
      case FrameType.PONG:
        this.pinged(frame.id, link);
        return;
    }
  }

  private dropRoutesOf(peer: number): void {
    const key = peerKey(peer);
    for (const sub of [...this.remoteSubs.values()]) if (sub.clientId === key) this.remoteRemove(sub);
  }

  /** Remote subscriptions by "{peer}\0{raw filter}", to drop a dead worker's routes. */
  private readonly remoteSubs = new Map<string, Subscription>();

  private remoteRemove(sub: Subscription): void {
    this.remoteSubs.delete(`${sub.clientId}\0${sub.rawFilter}`);
    this.remote.remove(sub);
  }

  /** Workers the last forward() sent the message to for delivery (not for the retained store only). */
  forwarded = 0;

  /** Barriers waiting for PONGs, by id: the links that have not answered yet. */
  private readonly pings = new Map<number, { waiting: Set<Link>; done: () => void }>();
  private pingSeq = 0;
  /** A route was announced since the last barrier. */
  private announced = false;
  private barrierPending: Promise<void> | null = null;

  /**
   * Resolves once every other worker has handled the routes announced so far, or null when there is
   * nothing to wait for. A SUBACK waits for it: a PUBLISH sent to another worker after the client
   * has its SUBACK must find the new route there.
   */
  barrier(): Promise<void> | null {
    if (!this.announced) return this.barrierPending;
    this.announced = false;
    const waiting = new Set<Link>();
    for (const link of this.links) if (link) waiting.add(link);
    if (waiting.size === 0) return this.barrierPending;
    const id = (this.pingSeq = (this.pingSeq + 1) >>> 0);
    const p = new Promise<void>((resolve) => this.pings.set(id, { waiting, done: resolve }));
    // a worker that is alive but stuck must not hold every SUBACK: after a while, go on without it
    const timer = setTimeout(() => {
      const ping = this.pings.get(id);
      if (!ping) return;
      this.host.log.warn({ peers: [...ping.waiting].map((l) => l.peer) }, 'no PONG from a worker within 5 s');
      this.pings.delete(id);
      ping.done();
    }, BARRIER_TIMEOUT_MS);
    timer.unref();
    void p.then(() => clearTimeout(timer));
    for (const link of waiting) link.send(encodePing(FrameType.PING, id));
    this.barrierPending = p;
    void p.then(() => {
      if (this.barrierPending === p) this.barrierPending = null;
    });
    return p;
  }

  private pinged(id: number, link: Link): void {
    const ping = this.pings.get(id);
    if (!ping) return;
    ping.waiting.delete(link);
    if (ping.waiting.size === 0) {
      this.pings.delete(id);
      ping.done();
    }
  }

  /** A filter appeared in (true) or left (false) this worker's subscriptions. */
  announce(rawFilter: string, present: boolean): void {
    if (present) this.announced = true;
    const frame = encodeRoute(present ? FrameType.ROUTE_ADD : FrameType.ROUTE_DEL, rawFilter);
    for (const link of this.links) link?.send(frame);
  }

  /**
   * Sends the message to the workers that need it, and returns the local shared groups that another
   * worker was chosen for (this worker must not deliver to them), or null.
   */
  forward(msg: Message): Set<SharedGroup> | null {
    this.forwarded = 0;
    const { direct, shared } = this.remote.match(msg.topic);
    if (direct.length === 0 && shared.length === 0 && !msg.retain) return null;
    const flags = this.targetFlags;
    const groups = this.targetGroups;
    const targeted = this.targeted;
    let skip: Set<SharedGroup> | null = null;
    for (const sub of direct) {
      const peer = peerOf(sub.clientId);
      flags[peer]! |= FLAG_DIRECT;
      targeted[peer] = true;
    }
    for (const group of shared) {
      const local = this.host.router.getSharedGroup(group.filter, group.name);
      const n = group.order.length + (local ? 1 : 0);
      let k: number;
      if (this.strategy === 'random') k = Math.floor(Math.random() * n);
      // seeded with the group: the bare hash of a client id also decides its worker, and would
      // send every message of one worker's publishers to the same place
      else if (this.strategy === 'hash_clientid') k = hashClientId(`${group.name}\0${msg.origin}`) % n;
      else k = group.cursor++ % n;
      if (k === group.order.length) continue; // this worker's own members
      const peer = peerOf(group.order[k]!);
      (groups[peer] ??= []).push(`$share/${group.name}/${group.filter}`);
      targeted[peer] = true;
      if (local) (skip ??= new Set()).add(local);
    }
    if (msg.retain) {
      for (let i = 0; i < this.count; i++) {
        if (this.links[i]) {
          flags[i]! |= FLAG_RETAIN_UPDATE;
          targeted[i] = true;
        }
      }
    }
    for (let i = 0; i < this.count; i++) {
      if (!targeted[i]) continue;
      const link = this.links[i];
      if (link) {
        link.sendPublish({ flags: flags[i]!, groups: groups[i] ?? NO_GROUPS, message: msg });
        if (flags[i]! & FLAG_DIRECT || groups[i]) this.forwarded++;
      }
      flags[i] = 0;
      groups[i] = null;
      targeted[i] = false;
    }
    return skip;
  }

  async stop(): Promise<void> {
    for (const link of this.links) link?.socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function peerKey(peer: number): string {
  return `\0${peer}`;
}

function peerOf(clientId: string): number {
  return Number(clientId.slice(1));
}

function remoteSubscription(peer: number, rawFilter: string): Subscription | undefined {
  const parsed = parseSubscriptionFilter(rawFilter);
  if (!parsed.ok) return undefined;
  return {
    clientId: peerKey(peer),
    rawFilter,
    filter: parsed.filter,
    group: parsed.group,
    qos: 2,
    noLocal: false,
    retainAsPublished: true,
    retainHandling: 0,
  };
}
