// Routing one message to the sessions whose subscriptions match: overlapping subscriptions of one
// client become one delivery with the highest QoS and every subscription identifier
// [MQTT-3.3.4-3..5]; each shared group gives the message to one member.
import type { Message, QoS } from '../message.js';
import type { Session } from '../session/session.js';
import type { SessionManager } from '../session/session-manager.js';
import type { SharedGroup, TopicTrie } from './topic-trie.js';
import type { Subscription } from './subscription.js';

export type ShareStrategy = 'round_robin' | 'random' | 'hash_clientid';

interface Plan {
  qos: QoS;
  retain: boolean;
  ids?: number[];
}

export class Dispatcher {
  constructor(
    private readonly trie: TopicTrie,
    private readonly sessions: SessionManager,
    private readonly strategy: ShareStrategy,
  ) {}

  /**
   * Returns how many sessions the message was given to. `skipShared`: groups another worker was
   * chosen for (worker mode), which must not get the message here too.
   */
  dispatch(msg: Message, skipShared: ReadonlySet<SharedGroup> | null = null): number {
    const { direct, shared } = this.trie.match(msg.topic);
    let count = direct.length > 0 ? this.dispatchDirect(msg, direct) : 0;
    for (const group of shared) {
      if (skipShared !== null && skipShared.has(group)) continue;
      count += this.dispatchShared(msg, group);
    }
    return count;
  }

  /**
   * A message another worker forwarded: to the direct subscribers when `direct`, and to one member
   * of each named group ("$share/{group}/{filter}") this worker was chosen for.
   */
  dispatchForwarded(msg: Message, direct: boolean, groups: readonly string[]): number {
    let count = direct ? this.dispatchDirect(msg, this.trie.match(msg.topic).direct) : 0;
    for (const key of groups) {
      const rest = key.slice('$share/'.length);
      const slash = rest.indexOf('/');
      const group = this.trie.getSharedGroup(rest.slice(slash + 1), rest.slice(0, slash));
      if (group) count += this.dispatchShared(msg, group);
    }
    return count;
  }

  private dispatchDirect(msg: Message, direct: readonly Subscription[]): number {
    let count = 0;
    if (direct.length === 1) {
      const sub = direct[0]!;
      if (!(sub.noLocal && sub.clientId === msg.origin)) {
        const session = this.sessions.get(sub.clientId);
        if (session) {
          session.deliver(
            msg,
            Math.min(msg.qos, sub.qos) as QoS,
            sub.retainAsPublished && msg.retain,
            sub.subscriptionId !== undefined ? [sub.subscriptionId] : undefined,
          );
          count++;
        }
      }
    } else if (direct.length > 1) {
      const plans = new Map<string, Plan>();
      for (const sub of direct) {
        if (sub.noLocal && sub.clientId === msg.origin) continue; // [MQTT-3.8.3-3]
        const qos = Math.min(msg.qos, sub.qos) as QoS;
        const retain = sub.retainAsPublished && msg.retain;
        const plan = plans.get(sub.clientId);
        if (!plan) {
          plans.set(sub.clientId, {
            qos,
            retain,
            ids: sub.subscriptionId !== undefined ? [sub.subscriptionId] : undefined,
          });
        } else {
          if (qos > plan.qos) plan.qos = qos;
          plan.retain ||= retain;
          if (sub.subscriptionId !== undefined) (plan.ids ??= []).push(sub.subscriptionId);
        }
      }
      for (const [clientId, plan] of plans) {
        const session = this.sessions.get(clientId);
        if (!session) continue;
        session.deliver(msg, plan.qos, plan.retain, plan.ids);
        count++;
      }
    }
    return count;
  }

  private dispatchShared(msg: Message, group: SharedGroup): number {
    const member = this.pick(group, msg.origin);
    if (!member) return 0;
    const [session, sub] = member;
    session.deliver(
      msg,
      Math.min(msg.qos, sub.qos) as QoS,
      sub.retainAsPublished && msg.retain,
      sub.subscriptionId !== undefined ? [sub.subscriptionId] : undefined,
      group.ref,
    );
    return 1;
  }

  /** Choose a group member: connected members first; an offline persistent one if none is online. */
  pick(group: SharedGroup, publisher: string, exclude?: string): [Session, Subscription] | undefined {
    const order = group.order;
    const n = order.length;
    if (n === 0) return undefined;
    let start: number;
    if (this.strategy === 'random') start = Math.floor(Math.random() * n);
    else if (this.strategy === 'hash_clientid') start = hashString(publisher) % n;
    else start = group.cursor++ % n;
    let fallback: [Session, Subscription] | undefined;
    for (let i = 0; i < n; i++) {
      const clientId = order[(start + i) % n]!;
      if (clientId === exclude) continue;
      const session = this.sessions.get(clientId);
      if (!session) continue;
      const sub = group.members.get(clientId)!;
      if (session.connected) return [session, sub];
      fallback ??= [session, sub];
    }
    return fallback;
  }
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
