#!/usr/bin/env node
// The performance goals of the project, checked against one compare.mjs run: for every scenario the
// per-repetition ratio of RobustMQ to the best other broker of the same repetition, then the median
// over repetitions (runs adjacent in time, so a noisy minute hits both sides). Prints a Markdown table.
// Usage: node bench/goals.mjs <results.jsonl> [--self robustmq]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { self: { type: 'string', default: 'robustmq' } },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/goals.mjs <results.jsonl> [--self robustmq]');
  process.exit(2);
}
const self = values.self;
const rows = readFileSync(positionals[0], 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));

// compare.mjs runs every broker once per repetition, in order: group consecutive runs of a scenario
// into repetitions by counting how often each broker has been seen
const reps = new Map(); // scenario -> [{ label -> row }]
const seen = new Map();
for (const r of rows) {
  const key = `${r.scenario}\0${r.label}`;
  const i = seen.get(key) ?? 0;
  seen.set(key, i + 1);
  const list = reps.get(r.scenario) ?? [];
  reps.set(r.scenario, list);
  (list[i] ??= {})[r.label] = r;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d }) : 'n/a');

/**
 * One goal: metric, whether higher is better, the threshold on the ratio self ÷ best other, and which
 * other brokers count (all by default).
 */
const goals = [
  { scenario: 'fanin-qos0', metric: 'msgs_per_s', what: 'fan-in QoS 0, msg/s', higher: true, ratio: 1.2 },
  { scenario: 'fanin-qos1', metric: 'msgs_per_s', what: 'fan-in QoS 1, msg/s', higher: true, ratio: 1.2 },
  { scenario: 'fanout', metric: 'msgs_per_s', what: 'fan-out 1→100 QoS 0, msg/s', higher: true, ratio: 1.2 },
  { scenario: 'qos2', metric: 'msgs_per_s', what: 'QoS 2 1→1, msg/s', higher: true, ratio: 1.2 },
  {
    scenario: 'p2p',
    metric: 'e2e_p99_ms',
    what: 'p2p QoS 1 at 1k msg/s, e2e p99 ms',
    higher: false,
    ratio: 1,
    only: /^mosquitto/,
  },
  {
    scenario: 'connections',
    metric: 'conn_per_s',
    what: 'connect rate, conn/s',
    higher: true,
    ratio: 1,
    only: /^mosquitto/,
  },
  { scenario: 'connections', metric: 'kb_per_conn', what: 'RSS per idle connection, KiB', higher: false, absolute: 4 },
];

const lines = [
  `| goal | ${self} | best other (which) | ${self} ÷ best | target | met | lost (${self}) |`,
  '|---|---:|---:|---:|---:|:-:|---:|',
];
let allMet = true;
for (const g of goals) {
  const list = reps.get(g.scenario) ?? [];
  const mine = [];
  const best = [];
  const ratios = [];
  const bestNames = new Map();
  let lost = 0;
  for (const rep of list) {
    const r = rep[self];
    if (!r || !r.ok) continue;
    lost += r.metrics.lost ?? 0;
    const v = r.metrics[g.metric];
    mine.push(v);
    const others = Object.values(rep).filter(
      (o) => o.label !== self && o.ok && (!g.only || g.only.test(o.label)) && Number.isFinite(o.metrics[g.metric]),
    );
    if (others.length === 0) continue;
    const b = others.reduce((a, o) =>
      (g.higher ? o.metrics[g.metric] > a.metrics[g.metric] : o.metrics[g.metric] < a.metrics[g.metric]) ? o : a,
    );
    best.push(b.metrics[g.metric]);
    bestNames.set(b.label, (bestNames.get(b.label) ?? 0) + 1);
    ratios.push(v / b.metrics[g.metric]);
  }
  const m = median(mine);
  const ratio = median(ratios);
  let met;
  let target;
  if (g.absolute !== undefined) {
    met = m < g.absolute;
    target = `< ${g.absolute}`;
  } else {
    met = g.higher ? ratio >= g.ratio : ratio <= g.ratio;
    target = `${g.higher ? '≥' : '≤'} ${g.ratio}×`;
  }
  if (mine.length === 0) met = false;
  allMet &&= met;
  const n = list.find((rep) => rep[self])?.[self]?.params?.connections;
  const what = g.scenario === 'connections' && n ? `${g.what} (${n.toLocaleString('en-US')} clients)` : g.what;
  const which = [...bestNames].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  lines.push(
    `| ${what} | ${fmt(m, 3)} | ${fmt(median(best), 3)} (${which}) | ${g.absolute !== undefined ? '' : fmt(ratio) + '×'} | ${target} | ${met ? 'yes' : '**no**'} | ${lost} |`,
  );
}
console.log(lines.join('\n'));
console.log(
  `\n${allMet ? 'every goal met' : 'some goals not met'} (medians over ${Math.max(...[...reps.values()].map((l) => l.length))} repetitions)`,
);
