#!/usr/bin/env -S node --max-semi-space-size=4 --no-memory-reducer
// Production entry point of robustmq-cli: runs the compiled commands from dist/.
// Two V8 flags for the broker, both read when the heap is set up, so they can only be given here
// (see docs/performance.md for the measurements):
// - the young generation is capped at 4 MB per semi-space (V8's default grows to 16): the larger
//   nursery cost about 1.5 KiB of RSS per idle connection at 15,000 connections, for no throughput
//   gain in ../shared/bench;
// - no memory reducer: meant for idle browser tabs, it runs full mark-compact GCs (3-10 ms pauses)
//   about 8 s after a quiet start, which put the p99.9 latency of the first minute at 10 ms.
// Run `node [flags] bin/run.js ...` to choose others.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
