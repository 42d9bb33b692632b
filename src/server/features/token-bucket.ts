// A token bucket: `rate` tokens a second flow in, up to `capacity` (the burst). Taking may leave the
// bucket in debt (below zero), which is how a quota knows how long to wait before the next take.
export class TokenBucket {
  private level: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly capacity: number,
    now = Date.now(),
  ) {
    this.level = capacity;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.level = Math.min(this.capacity, this.level + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
  }

  /** Takes `n` tokens whether or not there are that many; returns the level after (negative: in debt). */
  take(n: number, now = Date.now()): number {
    this.refill(now);
    this.level -= n;
    return this.level;
  }

  /** Takes one token if there is one (a whole one); false otherwise, and nothing is taken. */
  tryTake(now = Date.now()): boolean {
    this.refill(now);
    if (this.level < 1) return false;
    this.level -= 1;
    return true;
  }

  /** Milliseconds until the bucket is out of debt (0 when it is not in debt). */
  debtMs(now = Date.now()): number {
    this.refill(now);
    return this.level >= 0 ? 0 : Math.ceil((-this.level * 1000) / this.rate);
  }
}
