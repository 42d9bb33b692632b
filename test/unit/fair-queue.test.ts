// The queue password verifications take turns in: round robin between remote addresses, a few at
// a time, skipping clients that have gone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FairQueue } from '../../src/server/security/fair-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('FairQueue', () => {
  it('a key with one job waits behind one job of a busy key, not behind all of them', async () => {
    const q = new FairQueue(1);
    const order: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const job = (name: string) => () => {
      order.push(name);
      const d = deferred();
      gates.set(name, d);
      return d.promise;
    };
    const done: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) done.push(q.run('attacker', job(`a${i}`)));
    done.push(q.run('legit', job('legit')));
    assert.equal(q.waiting, 10);
    // finish jobs one by one, as they start
    for (let i = 0; i < 11; i++) {
      await new Promise((r) => setImmediate(r));
      gates.get(order[order.length - 1]!)!.resolve();
    }
    await Promise.all(done);
    assert.deepEqual(order.slice(0, 3), ['a0', 'legit', 'a1']);
    assert.equal(order.length, 11);
  });

  it('runs at most `concurrency` jobs at once', async () => {
    const q = new FairQueue(2);
    let running = 0;
    let most = 0;
    const job = async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => q.run(`k${i % 3}`, job)));
    assert.equal(most, 2);
  });

  it('skips a job whose client went away before its turn, and resolves it undefined', async () => {
    const q = new FairQueue(1);
    const first = deferred();
    const a = q.run('x', () => first.promise.then(() => 'a'));
    let ran = false;
    const b = q.run(
      'y',
      async () => {
        ran = true;
        return 'b';
      },
      () => true,
    );
    const c = q.run('z', async () => 'c');
    first.resolve();
    assert.deepEqual(await Promise.all([a, b, c]), ['a', undefined, 'c']);
    assert.equal(ran, false);
    assert.equal(q.skipped, 1);
  });

  it('passes a rejection on and goes on with the next job', async () => {
    const q = new FairQueue(1);
    const a = q.run('x', () => Promise.reject(new Error('boom')));
    const b = q.run('x', async () => 'ok');
    await assert.rejects(a, /boom/);
    assert.equal(await b, 'ok');
  });
});
