// A binary min-heap of held delayed messages ordered by id: a delayed message's id starts with its
// zero-padded due time, so id order is due order (ties broken by the sequence number after it).
// Cancelled entries are not searched for: the owner skips entries it no longer holds when they
// come to the top, and rebuilds the heap when they are many (see DelayedPublish).

export interface HeapEntry {
  readonly id: string;
}

export class DelayedHeap<T extends HeapEntry> {
  private heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): T | undefined {
    return this.heap[0];
  }

  push(entry: T): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.id <= h[i]!.id) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.id < h[m]!.id) m = l;
      if (r < h.length && h[r]!.id < h[m]!.id) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
    return top;
  }

  /** Replaces the content with `entries` (sorted by id: a sorted array is a valid heap). */
  reset(entries: T[]): void {
    this.heap = entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
