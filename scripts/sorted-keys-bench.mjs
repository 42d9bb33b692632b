#!/usr/bin/env node
// SortedKeys (src/server/sorted-keys.ts) at 100,000 keys (a micro-benchmark, not a test): add and
// delete in random order, a page of 100 after a key, a substring scan of every key; and, for
// comparison, the same adds into one plain sorted array with binary search + splice.
// Usage: npm run build && node scripts/sorted-keys-bench.mjs [--keys 100000]
import { performance } from 'node:perf_hooks';
import { SortedKeys } from '../dist/src/server/sorted-keys.js';

const i = process.argv.indexOf('--keys');
const N = i > 0 ? Number(process.argv[i + 1]) : 100_000;
const ids = Array.from({ length: N }, (_, k) => `bench-s-${String(k).padStart(6, '0')}`);
for (let k = N - 1; k > 0; k--) {
  const j = Math.floor(Math.random() * (k + 1));
  [ids[k], ids[j]] = [ids[j], ids[k]];
}

for (let run = 1; run <= 3; run++) {
  const keys = new SortedKeys();
  let t = performance.now();
  for (const id of ids) keys.add(id);
  const add = ((performance.now() - t) * 1000) / N;
  t = performance.now();
  for (let r = 0; r < 1000; r++) {
    let n = 0;
    keys.scan(() => ++n < 100, ids[r]);
  }
  const page = performance.now() - t; // ms for 1000 pages = µs per page
  t = performance.now();
  let matches = 0;
  keys.scan((k) => {
    if (k.includes('-s-07')) matches++;
  });
  const scan = performance.now() - t;
  const plain = [];
  t = performance.now();
  for (const id of ids) {
    let lo = 0;
    let hi = plain.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (plain[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    plain.splice(lo, 0, id);
  }
  const plainAdd = ((performance.now() - t) * 1000) / N;
  t = performance.now();
  for (const id of ids) keys.delete(id);
  const del = ((performance.now() - t) * 1000) / N;
  console.log(
    `run ${run}: add ${add.toFixed(2)} µs, delete ${del.toFixed(2)} µs, page of 100 ${page.toFixed(1)} µs, ` +
      `scan of ${N} keys ${scan.toFixed(1)} ms (${matches} matches); plain sorted array add ${plainAdd.toFixed(2)} µs`,
  );
}
