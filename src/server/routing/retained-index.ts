// Retained messages indexed by topic levels, so a wildcard SUBSCRIBE walks only the branches its
// filter can reach instead of scanning every retained message.
import type { Message } from '../message.js';
import { SortedKeys } from '../sorted-keys.js';
import { ExpiryHeap } from './expiry-heap.js';

class Node {
  children = new Map<string, Node>();
  message: Message | null = null;
}

export class RetainedIndex {
  private readonly root = new Node();
  private count = 0;
  private readonly expiries = new ExpiryHeap();
  /** The topics that hold a message, in order: the admin API pages through them. Read only outside. */
  readonly topics = new SortedKeys();

  get size(): number {
    return this.count;
  }

  get(topic: string): Message | undefined {
    let node: Node | undefined = this.root;
    for (const level of topic.split('/')) {
      node = node.children.get(level);
      if (!node) return undefined;
    }
    return node.message ?? undefined;
  }

  set(msg: Message): void {
    let node = this.root;
    for (const level of msg.topic.split('/')) {
      let next = node.children.get(level);
      if (!next) {
        next = new Node();
        node.children.set(level, next);
      }
      node = next;
    }
    if (!node.message) {
      this.count++;
      this.topics.add(msg.topic);
    }
    node.message = msg;
    this.expiries.push(msg);
  }

  delete(topic: string): boolean {
    const levels = topic.split('/');
    const path: Node[] = [this.root];
    let node = this.root;
    for (const level of levels) {
      const next = node.children.get(level);
      if (!next) return false;
      node = next;
      path.push(node);
    }
    if (!node.message) return false;
    node.message = null;
    this.count--;
    this.topics.delete(topic);
    for (let i = path.length - 1; i > 0; i--) {
      const n = path[i]!;
      if (n.message || n.children.size > 0) break;
      path[i - 1]!.children.delete(levels[i - 1]!);
    }
    return true;
  }

  /** Remove the messages whose Message Expiry Interval has passed; returns their topics. */
  purgeExpired(now = Date.now()): string[] {
    const topics: string[] = [];
    for (const msg of this.expiries.popExpired(now)) {
      // skip entries of messages that were replaced or deleted since
      if (this.get(msg.topic) === msg && this.delete(msg.topic)) topics.push(msg.topic);
    }
    return topics;
  }

  /** Every retained message whose topic matches the filter. */
  match(filter: string): Message[] {
    const out: Message[] = [];
    this.visit(this.root, filter.split('/'), 0, out);
    return out;
  }

  all(): Message[] {
    const out: Message[] = [];
    this.everything(this.root, out, false, 0);
    return out;
  }

  private visit(node: Node, levels: string[], i: number, out: Message[]): void {
    if (i === levels.length) {
      if (node.message) out.push(node.message);
      return;
    }
    const level = levels[i]!;
    if (level === '#') {
      // '#' matches the parent level and everything below; not '$' topics at the root [MQTT-4.7.2-1]
      if (i > 0 && node.message) out.push(node.message);
      this.everything(node, out, i === 0, i);
      return;
    }
    if (level === '+') {
      for (const [name, child] of node.children) {
        if (i === 0 && name.startsWith('$')) continue;
        this.visit(child, levels, i + 1, out);
      }
      return;
    }
    const child = node.children.get(level);
    if (child) this.visit(child, levels, i + 1, out);
  }

  private everything(node: Node, out: Message[], skipDollar: boolean, depth: number): void {
    for (const [name, child] of node.children) {
      if (skipDollar && depth === 0 && name.startsWith('$')) continue;
      if (child.message) out.push(child.message);
      this.everything(child, out, false, depth + 1);
    }
  }
}
