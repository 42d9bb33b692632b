// A binary min-heap of retained messages ordered by expiry, so expired ones are removed in
// O(log n) each from the broker's sweep instead of waiting for a SUBSCRIBE to meet them. Entries
// are not removed when a message is replaced; the sweep skips those it no longer holds.
import type { Message } from '../message.js';

export class ExpiryHeap {
  private readonly heap: Message[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(msg: Message): void {
    if (msg.expiresAt === undefined) return;
    const h = this.heap;
    h.push(msg);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.expiresAt! <= h[i]!.expiresAt!) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  /** Remove and return every message whose expiry is at or before `now`. */
  popExpired(now: number): Message[] {
    const out: Message[] = [];
    const h = this.heap;
    while (h.length > 0 && h[0]!.expiresAt! <= now) {
      out.push(h[0]!);
      const last = h.pop()!;
      if (h.length === 0) break;
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.expiresAt! < h[m]!.expiresAt!) m = l;
        if (r < h.length && h[r]!.expiresAt! < h[m]!.expiresAt!) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return out;
  }
}
