// The subscription index: a trie over topic levels with '+' and '#' children, so matching a topic
// costs the depth of the topic, not the number of subscriptions. Shared subscriptions hang off the
// same nodes as groups of members.
import type { Subscription } from './subscription.js';

export class SharedGroup {
  readonly members = new Map<string, Subscription>();
  /** Members in join order, for round robin. */
  order: string[] = [];
  cursor = 0;
  /** What a delivery through this group carries, made once instead of per message. */
  readonly ref: { readonly group: string; readonly filter: string };
  constructor(
    readonly name: string,
    readonly filter: string,
  ) {
    this.ref = { group: name, filter };
  }

  add(sub: Subscription): void {
    if (!this.members.has(sub.clientId)) this.order.push(sub.clientId);
    this.members.set(sub.clientId, sub);
  }

  remove(clientId: string): void {
    if (this.members.delete(clientId)) this.order = this.order.filter((c) => c !== clientId);
  }
}

class TrieNode {
  // made on first use, and one subscriber is held without a Map: most nodes are leaves with a
  // single subscription (a client's own topic), and an empty Map costs about 160 bytes
  children: Map<string, TrieNode> | null = null;
  one: Subscription | null = null;
  subs: Map<string, Subscription> | null = null;
  shared: Map<string, SharedGroup> | null = null;

  isEmpty(): boolean {
    return !this.children?.size && this.one === null && !this.subs?.size && !this.shared?.size;
  }
}

export interface MatchResult {
  readonly direct: Subscription[];
  readonly shared: SharedGroup[];
}

/** Topics whose match result is remembered; past this the cache starts over. */
const MATCH_CACHE_LIMIT = 10_000;

export class TopicTrie {
  private readonly root = new TrieNode();
  private count = 0;
  /**
   * Match results by topic, emptied on every add or remove: publishers repeat topics, and a hit
   * costs one Map lookup instead of a walk that splits the topic and visits '+' and '#' branches.
   * The results are shared, so callers must not modify them.
   */
  private readonly cache = new Map<string, MatchResult>();
  /**
   * Told when a filter gains its first subscriber or loses its last one (a shared group as
   * "$share/{group}/{filter}"): how a worker keeps the other workers' routes to it current.
   */
  onRouteChange: ((rawFilter: string, present: boolean) => void) | null = null;

  get size(): number {
    return this.count;
  }

  add(sub: Subscription): void {
    if (this.cache.size > 0) this.cache.clear();
    const node = this.walkCreate(sub.filter);
    if (sub.group !== undefined) {
      node.shared ??= new Map();
      let g = node.shared.get(sub.group);
      if (!g) {
        g = new SharedGroup(sub.group, sub.filter);
        node.shared.set(sub.group, g);
        this.onRouteChange?.(`$share/${sub.group}/${sub.filter}`, true);
      }
      if (!g.members.has(sub.clientId)) this.count++;
      g.add(sub);
    } else {
      if (this.onRouteChange !== null && node.one === null && !node.subs?.size) this.onRouteChange(sub.filter, true);
      if (node.subs !== null) {
        if (!node.subs.has(sub.clientId)) this.count++;
        node.subs.set(sub.clientId, sub);
      } else if (node.one === null || node.one.clientId === sub.clientId) {
        if (node.one === null) this.count++;
        node.one = sub;
      } else {
        node.subs = new Map([
          [node.one.clientId, node.one],
          [sub.clientId, sub],
        ]);
        node.one = null;
        this.count++;
      }
    }
  }

  remove(sub: Pick<Subscription, 'clientId' | 'filter' | 'group'>): boolean {
    if (this.cache.size > 0) this.cache.clear();
    const path: TrieNode[] = [this.root];
    const levels = sub.filter.split('/');
    let node = this.root;
    for (const level of levels) {
      const next = node.children?.get(level);
      if (!next) return false;
      node = next;
      path.push(node);
    }
    let removed = false;
    if (sub.group !== undefined) {
      const g = node.shared?.get(sub.group);
      if (g?.members.has(sub.clientId)) {
        g.remove(sub.clientId);
        removed = true;
        if (g.members.size === 0) {
          node.shared!.delete(sub.group);
          this.onRouteChange?.(`$share/${sub.group}/${sub.filter}`, false);
        }
      }
    } else if (node.one !== null && node.one.clientId === sub.clientId) {
      node.one = null;
      removed = true;
    } else if (node.subs?.delete(sub.clientId)) {
      removed = true;
    }
    if (removed) {
      this.count--;
      if (sub.group === undefined && node.one === null && !node.subs?.size) this.onRouteChange?.(sub.filter, false);
    }
    // prune empty nodes bottom-up
    for (let i = path.length - 1; i > 0; i--) {
      if (!path[i]!.isEmpty()) break;
      path[i - 1]!.children!.delete(levels[i - 1]!);
    }
    return removed;
  }

  /** Every filter with a subscriber, shared groups as "$share/{group}/{filter}" (as onRouteChange names them). */
  routes(): string[] {
    const out: string[] = [];
    const walk = (node: TrieNode, path: string | null): void => {
      if (path !== null) {
        if (node.one !== null || node.subs?.size) out.push(path);
        if (node.shared) for (const g of node.shared.keys()) out.push(`$share/${g}/${path}`);
      }
      if (node.children)
        for (const [level, child] of node.children) walk(child, path === null ? level : `${path}/${level}`);
    };
    walk(this.root, null);
    return out;
  }

  getSharedGroup(filter: string, group: string): SharedGroup | undefined {
    let node = this.root;
    for (const level of filter.split('/')) {
      const next = node.children?.get(level);
      if (!next) return undefined;
      node = next;
    }
    return node.shared?.get(group);
  }

  /** The subscriptions matching a topic; the result is shared and must not be modified. */
  match(topic: string): { readonly direct: readonly Subscription[]; readonly shared: readonly SharedGroup[] } {
    const cached = this.cache.get(topic);
    if (cached !== undefined) return cached;
    const result: MatchResult = { direct: [], shared: [] };
    const levels = topic.split('/');
    // [MQTT-4.7.2-1] a topic starting with '$' is not matched by a leading wildcard
    this.visit(this.root, levels, 0, result, topic.charCodeAt(0) === 0x24);
    if (this.cache.size >= MATCH_CACHE_LIMIT) this.cache.clear();
    this.cache.set(topic, result);
    return result;
  }

  private collect(node: TrieNode, out: MatchResult): void {
    if (node.one !== null) out.direct.push(node.one);
    if (node.subs) for (const s of node.subs.values()) out.direct.push(s);
    if (node.shared) for (const g of node.shared.values()) out.shared.push(g);
  }

  private visit(node: TrieNode, levels: string[], i: number, out: MatchResult, dollar: boolean): void {
    const children = node.children;
    if (children === null) {
      if (i === levels.length) this.collect(node, out);
      return;
    }
    const wildOk = !(dollar && i === 0);
    if (wildOk) {
      const hash = children.get('#');
      if (hash) this.collect(hash, out); // '#' also matches the parent level [MQTT-4.7.1-2]
    }
    if (i === levels.length) {
      this.collect(node, out);
      return;
    }
    const exact = children.get(levels[i]!);
    if (exact) this.visit(exact, levels, i + 1, out, dollar);
    if (wildOk) {
      const plus = children.get('+');
      if (plus) this.visit(plus, levels, i + 1, out, dollar);
    }
  }

  private walkCreate(filter: string): TrieNode {
    let node = this.root;
    for (const level of filter.split('/')) {
      let next = node.children?.get(level);
      if (!next) {
        next = new TrieNode();
        (node.children ??= new Map()).set(level, next);
      }
      node = next;
    }
    return node;
  }
}
