#!/usr/bin/env -S node --max-semi-space-size=4
// Production entry point of robustmq-cli: runs the compiled commands from dist/.
// The young generation is capped at 4 MB per semi-space (V8's default grows to 16): a broker keeps
// many small long-lived objects per connection, and the larger nursery cost about 1.5 KiB of RSS per
// idle connection at 15,000 connections with no throughput gain in ../shared/bench (see
// docs/performance.md). The flag is read at heap setup, so it can only be given here; run
// `node --max-semi-space-size=N bin/run.js` to choose another size.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
