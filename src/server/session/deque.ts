// A FIFO queue with O(1) push and shift (an array with a moving head, compacted now and then).

export class Deque<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.length > 0 ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Remove the items for which take() is true, in order; returns them. */
  extract(take: (item: T) => boolean): T[] {
    const out: T[] = [];
    const keep: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      (take(item) ? out : keep).push(item);
    }
    this.items = keep;
    this.head = 0;
    return out;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
