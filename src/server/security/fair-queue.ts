// Runs expensive checks (scrypt password verifications: tens of ms each on the libuv threadpool)
// a few at a time, taking turns between remote addresses. Without it, a flood of wrong passwords
// from one place fills the threadpool queue, so that a legitimate client's verification (and any
// fs or dns work of the process) waits behind all of them; with it, each address has one queue and
// the queues are served round robin, so a client from another address waits for at most one check
// per busy address (the key served longest ago goes first). A check whose client went away before
// its turn is skipped.

/** Checks run at once: half the libuv threadpool (UV_THREADPOOL_SIZE, 4 by default), so fs and dns keep slots. */
export function defaultCheckConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.floor(pool / 2));
}

interface Job {
  run: () => void;
}

interface KeyState {
  jobs: Job[];
  /** When this key last had a job started (a sequence number; 0 = never): the longest-unserved key goes next. */
  lastServed: number;
}

/** Keys remembered with nothing queued, so that one that was just served does not count as new. */
const MAX_IDLE_KEYS = 1024;

export class FairQueue {
  private running = 0;
  private readonly keys = new Map<string, KeyState>();
  private served = 0;
  /** Checks skipped because their client had gone (tests and metrics). */
  skipped = 0;

  constructor(readonly concurrency = defaultCheckConcurrency()) {}

  /** Jobs waiting for their turn. */
  get waiting(): number {
    let n = 0;
    for (const k of this.keys.values()) n += k.jobs.length;
    return n;
  }

  /**
   * Runs `task` once it is `key`'s turn; resolves to undefined, without running it, when
   * `abandoned()` says so by then.
   */
  run<T>(key: string, task: () => Promise<T>, abandoned?: () => boolean): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const job: Job = {
        run: () => {
          if (abandoned?.()) {
            this.skipped++;
            resolve(undefined);
            return;
          }
          this.running++;
          task()
            .then(resolve, reject)
            .finally(() => {
              this.running--;
              this.next();
            });
        },
      };
      let state = this.keys.get(key);
      if (!state) {
        if (this.keys.size >= MAX_IDLE_KEYS) this.forgetIdle();
        this.keys.set(key, (state = { jobs: [], lastServed: 0 }));
      }
      state.jobs.push(job);
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.concurrency) {
      let pick: KeyState | undefined;
      for (const k of this.keys.values()) {
        if (k.jobs.length > 0 && (pick === undefined || k.lastServed < pick.lastServed)) pick = k;
      }
      if (pick === undefined) return;
      pick.lastServed = ++this.served;
      pick.jobs.shift()!.run(); // a skipped job leaves running as it was: the loop goes on
    }
  }

  private forgetIdle(): void {
    for (const [key, k] of this.keys) if (k.jobs.length === 0) this.keys.delete(key);
  }
}
