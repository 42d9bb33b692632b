// The subscription trie (src/server/routing/topic-trie.ts) checked against the reference matcher
// topicMatches (src/lib/topic.ts): fixed cases for the matching rules ([MQTT-4.7.1-2],
// [MQTT-4.7.1-3], '$' topics [MQTT-4.7.2-1]), then random filters and topics, shared groups,
// replacement, removal and pruning, with a seeded generator so a failure can be replayed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topicMatches, validateTopicFilter } from '../../src/lib/topic.js';
import type { Subscription } from '../../src/server/routing/subscription.js';
import { TopicTrie } from '../../src/server/routing/topic-trie.js';
import { rng } from '../helpers/bytes.js';

function sub(clientId: string, filter: string, group?: string): Subscription {
  return {
    clientId,
    rawFilter: group === undefined ? filter : `$share/${group}/${filter}`,
    filter,
    group,
    qos: 0,
    noLocal: false,
    retainAsPublished: false,
    retainHandling: 0,
  };
}

/** What the trie matches, as sorted keys: direct "clientId|filter", shared "group|filter". */
function trieMatch(trie: TopicTrie, topic: string): { direct: string[]; shared: string[] } {
  const r = trie.match(topic);
  return {
    direct: r.direct.map((s) => `${s.clientId}|${s.filter}`).sort(),
    shared: r.shared.map((g) => `${g.name}|${g.filter}`).sort(),
  };
}

function referenceMatch(subs: Iterable<Subscription>, topic: string): { direct: string[]; shared: string[] } {
  const direct = new Set<string>();
  const shared = new Set<string>();
  for (const s of subs) {
    if (!topicMatches(s.filter, topic)) continue;
    if (s.group === undefined) direct.add(`${s.clientId}|${s.filter}`);
    else shared.add(`${s.group}|${s.filter}`);
  }
  return { direct: [...direct].sort(), shared: [...shared].sort() };
}

/** mulberry32: small, seeded, good enough to pick levels. */
const LEVELS = ['a', 'b', 'c', '', '$SYS', '$x', 'a$', 'ü', ' '];

function randomTopic(r: () => number): string {
  for (;;) {
    const n = 1 + Math.floor(r() * 5);
    const t = Array.from({ length: n }, () => LEVELS[Math.floor(r() * LEVELS.length)]!).join('/');
    if (t !== '') return t; // a topic name is at least one character [MQTT-4.7.3-1]
  }
}

function randomFilter(r: () => number): string {
  for (;;) {
    const n = 1 + Math.floor(r() * 5);
    const levels: string[] = [];
    for (let i = 0; i < n; i++) {
      const x = r();
      if (i === n - 1 && x < 0.2) levels.push('#');
      else if (x < 0.45) levels.push('+');
      else levels.push(LEVELS[Math.floor(r() * LEVELS.length)]!);
    }
    const f = levels.join('/');
    if (validateTopicFilter(f).ok) return f;
  }
}

describe('TopicTrie', () => {
  const cases: Array<[filter: string, topic: string, matches: boolean]> = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a', false],
    ['a/+', 'a/', true], // an empty level is a level
    ['a/+/c', 'a//c', true],
    ['+', 'a', true],
    ['+', '/a', false],
    ['+/+', '/a', true],
    ['/+', '/a', true],
    ['#', 'a/b/c', true],
    ['#', '/', true],
    ['a/#', 'a', true], // '#' includes the parent level [MQTT-4.7.1-2]
    ['a/#', 'a/', true],
    ['a/#', 'ab', false],
    ['a/+/#', 'a', false],
    ['a/+/#', 'a/b', true],
    // [MQTT-4.7.2-1] a leading wildcard does not match a topic starting with '$'
    ['#', '$SYS/x', false],
    ['#', '$', false],
    ['+/x', '$SYS/x', false],
    ['+/#', '$SYS/x', false],
    ['$SYS/#', '$SYS', true],
    ['$SYS/#', '$SYS/x/y', true],
    ['$SYS/+', '$SYS/x', true],
    ['$SYS/x', '$SYS/x', true],
    ['+/$x', 'a/$x', true], // only the first level is special
    ['#', 'a/$x', true],
    ['a$/+', 'a$/b', true],
    ['A/b', 'a/b', false], // case sensitive, no normalisation [MQTT-4.7.3-4]
    ['ü/+', 'ü/ü', true],
  ];

  it('agrees with the matching rules on fixed cases', () => {
    for (const [filter, topic, expected] of cases) {
      assert.equal(topicMatches(filter, topic), expected, `topicMatches(${filter}, ${topic})`);
      const trie = new TopicTrie();
      trie.add(sub('c', filter));
      trie.add(sub('m', filter, 'g'));
      const got = trie.match(topic);
      assert.equal(got.direct.length, expected ? 1 : 0, `trie direct: ${filter} vs ${topic}`);
      assert.equal(got.shared.length, expected ? 1 : 0, `trie shared: ${filter} vs ${topic}`);
    }
  });

  for (const seed of [1, 2, 3, 20240601, 987654321]) {
    it(`matches exactly what topicMatches matches, random filters and topics (seed ${seed})`, () => {
      const r = rng(seed);
      const trie = new TopicTrie();
      const subs = new Map<string, Subscription>();
      for (let i = 0; i < 400; i++) {
        const clientId = `c${Math.floor(r() * 60)}`;
        const filter = randomFilter(r);
        const group = r() < 0.25 ? `g${Math.floor(r() * 3)}` : undefined;
        const s = sub(clientId, filter, group);
        // one entry per client and filter (and group): a second add replaces it
        subs.set(`${clientId}|${s.rawFilter}`, s);
        trie.add(s);
      }
      assert.equal(trie.size, subs.size, 'size counts each client/filter once');
      const check = (what: string) => {
        for (let i = 0; i < 1500; i++) {
          const topic = randomTopic(r);
          assert.deepEqual(trieMatch(trie, topic), referenceMatch(subs.values(), topic), `${what}: topic ${topic}`);
        }
      };
      check('after adding');
      // remove about half, with some removals of things that are not there
      for (const [key, s] of [...subs]) {
        if (r() < 0.5) {
          assert.equal(trie.remove(s), true, `remove ${key}`);
          assert.equal(trie.remove(s), false, `second remove ${key}`);
          subs.delete(key);
        }
      }
      assert.equal(trie.remove(sub('nobody', 'a/b/c')), false);
      assert.equal(trie.size, subs.size);
      check('after removing half');
      for (const s of subs.values()) trie.remove(s);
      subs.clear();
      assert.equal(trie.size, 0);
      check('after removing all');
    });
  }

  it('a shared group collects its members and is removed with its last member', () => {
    const trie = new TopicTrie();
    trie.add(sub('m1', 's/+', 'g'));
    trie.add(sub('m2', 's/+', 'g'));
    trie.add(sub('m1', 's/+', 'g')); // again: no second membership
    trie.add(sub('m3', 's/+', 'h'));
    trie.add(sub('m1', 's/+'));
    const r = trie.match('s/x');
    assert.deepEqual(
      r.direct.map((s) => s.clientId),
      ['m1'],
    );
    assert.deepEqual(r.shared.map((g) => g.name).sort(), ['g', 'h']);
    const g = trie.getSharedGroup('s/+', 'g')!;
    assert.deepEqual(g.order, ['m1', 'm2'], 'join order, for round robin');
    assert.equal(trie.size, 4);
    trie.remove(sub('m1', 's/+', 'g'));
    assert.deepEqual(trie.getSharedGroup('s/+', 'g')!.order, ['m2']);
    trie.remove(sub('m2', 's/+', 'g'));
    assert.equal(trie.getSharedGroup('s/+', 'g'), undefined);
    assert.deepEqual(
      trie.match('s/x').shared.map((g) => g.name),
      ['h'],
    );
    assert.equal(trie.size, 2);
  });

  it('removing a deep filter keeps the shorter filters on its path', () => {
    const trie = new TopicTrie();
    trie.add(sub('c', 'a'));
    trie.add(sub('c', 'a/b/c/d'));
    trie.add(sub('d', 'a/b'));
    trie.remove(sub('c', 'a/b/c/d'));
    assert.equal(trie.match('a').direct.length, 1);
    assert.equal(trie.match('a/b').direct.length, 1);
    assert.equal(trie.match('a/b/c/d').direct.length, 0);
    trie.remove(sub('d', 'a/b'));
    trie.add(sub('e', 'a/b/#'));
    assert.deepEqual(
      trie.match('a/b').direct.map((s) => s.clientId),
      ['e'],
    );
  });
});
