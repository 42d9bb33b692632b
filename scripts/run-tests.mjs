#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with node's test runner, prints the spec
// report, and closes with the line "N passed, N failed, N skipped". Exit 1 on any failure.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const root = new URL('../dist/test/', import.meta.url).pathname;
const filters = process.argv.slice(2);

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

let files;
try {
  files = find(root).filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)));
} catch {
  console.error('no compiled tests in dist/test: run `npm run build` first');
  process.exit(1);
}
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

let passed = 0;
let failed = 0;
let skipped = 0;
const stream = run({ files, concurrency: Number(process.env.TEST_CONCURRENCY ?? 2), timeout: 120_000 });
stream.on('test:pass', (t) => {
  if (t.details?.type === 'suite') return;
  if (t.skip || t.todo) skipped++;
  else passed++;
});
stream.on('test:fail', (t) => {
  if (t.details?.type === 'suite' && !t.details?.error?.failureType?.includes('hook')) {
    // a suite fails when a test inside fails (counted there) or when its hooks fail
    if (t.details?.error?.failureType !== 'subtestsFailed') failed++;
    return;
  }
  failed++;
});
const report = stream.compose(spec);
report.pipe(process.stdout);
report.on('end', () => {
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exitCode = failed > 0 ? 1 : 0;
});
