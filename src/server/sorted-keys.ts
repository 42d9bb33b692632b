// A set of strings kept in sorted order (JavaScript string order), for the admin API's paged lists
// (client ids of sessions and connections, retained topics): add and delete cost O(log n + B), and a
// page starts with a binary search and reads only its own keys. Keys live in blocks of at most
// MAX_BLOCK sorted entries, so an insert moves at most one block's worth of references, not n.

const MAX_BLOCK = 1024;
/** A block this small after a delete is merged with its right neighbour when they fit in one. */
const MIN_BLOCK = MAX_BLOCK / 4;

export class SortedKeys {
  private readonly blocks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the key; false when it was there already. */
  add(key: string): boolean {
    const blocks = this.blocks;
    if (blocks.length === 0) {
      blocks.push([key]);
      this.count = 1;
      return true;
    }
    let b = this.blockAtOrAfter(key, false);
    if (b === blocks.length) b--; // after every key: the last block takes it
    const block = blocks[b]!;
    const i = bound(block, key, false);
    if (block[i] === key) return false;
    block.splice(i, 0, key);
    this.count++;
    if (block.length > MAX_BLOCK) blocks.splice(b + 1, 0, block.splice(MAX_BLOCK / 2));
    return true;
  }

  /** Removes the key; false when it was not there. */
  delete(key: string): boolean {
    const blocks = this.blocks;
    const b = this.blockAtOrAfter(key, false);
    if (b === blocks.length) return false;
    const block = blocks[b]!;
    const i = bound(block, key, false);
    if (block[i] !== key) return false;
    block.splice(i, 1);
    this.count--;
    if (block.length === 0) blocks.splice(b, 1);
    else if (block.length < MIN_BLOCK && b + 1 < blocks.length && block.length + blocks[b + 1]!.length <= MAX_BLOCK) {
      block.push(...blocks[b + 1]!);
      blocks.splice(b + 1, 1);
    }
    return true;
  }

  has(key: string): boolean {
    const b = this.blockAtOrAfter(key, false);
    if (b === this.blocks.length) return false;
    const block = this.blocks[b]!;
    return block[bound(block, key, false)] === key;
  }

  /**
   * Calls `visit` with the keys in order, starting after `after` (exclusive), or from it (inclusive)
   * when `inclusive` is set, or from the first key when `after` is undefined, until it returns false.
   * The set must not change while the scan runs (callers read a page synchronously).
   */
  scan(visit: (key: string) => boolean | void, after?: string, inclusive = false): void {
    const blocks = this.blocks;
    let b = 0;
    let i = 0;
    if (after !== undefined) {
      b = this.blockAtOrAfter(after, !inclusive);
      if (b === blocks.length) return;
      i = bound(blocks[b]!, after, !inclusive);
    }
    for (; b < blocks.length; b++, i = 0) {
      const block = blocks[b]!;
      for (; i < block.length; i++) if (visit(block[i]!) === false) return;
    }
  }

  /** The keys scan() would visit, as an array (for tests and small sets). */
  keys(after?: string, inclusive = false): string[] {
    const out: string[] = [];
    this.scan(
      (key) => {
        out.push(key);
      },
      after,
      inclusive,
    );
    return out;
  }

  /** The first block whose last key is >= key (strict: > key); blocks.length when there is none. */
  private blockAtOrAfter(key: string, strict: boolean): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const last = blocks[mid]![blocks[mid]!.length - 1]!;
      if (strict ? last <= key : last < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The index of the first entry >= key (strict: > key). */
function bound(sorted: readonly string[], key: string, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? sorted[mid]! <= key : sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
