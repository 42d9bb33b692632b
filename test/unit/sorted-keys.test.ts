// Unit tests of SortedKeys (src/server/sorted-keys.ts), the sorted index the admin API pages
// through: random adds and deletes (enough to split and merge blocks) checked against a sorted
// array, iteration after a key and from a key, and the retained list's literal-prefix rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topicMatches } from '../../src/lib/topic.js';
import { literalPrefix } from '../../src/server/admin/admin-retained.js';
import { readPage } from '../../src/server/admin/key-paging.js';
import { SortedKeys } from '../../src/server/sorted-keys.js';
import { rng } from '../helpers/bytes.js';

function reference(set: Set<string>): string[] {
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

describe('SortedKeys', () => {
  it('keeps keys in order through random adds and deletes (blocks split and merge)', () => {
    const r = rng(7);
    const keys = new SortedKeys();
    const ref = new Set<string>();
    for (let step = 0; step < 30_000; step++) {
      const k = `k${Math.floor(r() * 8000)}`;
      if (r() < 0.6) {
        const had = ref.has(k);
        ref.add(k);
        assert.equal(keys.add(k), !had);
      } else assert.equal(keys.delete(k), ref.delete(k));
      if (step % 5000 === 0) assert.deepEqual([...keys.keys()], reference(ref));
    }
    assert.equal(keys.size, ref.size);
    assert.deepEqual([...keys.keys()], reference(ref));
    // empty it entirely, then use it again
    for (const k of reference(ref)) assert.equal(keys.delete(k), true);
    assert.equal(keys.size, 0);
    assert.deepEqual([...keys.keys()], []);
    assert.equal(keys.add('again'), true);
    assert.deepEqual([...keys.keys()], ['again']);
  });

  it('starts after a key (exclusive) or from a key (inclusive), present or not', () => {
    const keys = new SortedKeys();
    const all: string[] = [];
    for (let i = 0; i < 5000; i += 2) {
      const k = `id-${String(i).padStart(5, '0')}`;
      all.push(k);
      keys.add(k);
    }
    for (const probe of ['id-00000', 'id-00001', 'id-02500', 'id-02501', 'id-04998', 'id-09999', '', 'a', 'z']) {
      assert.deepEqual(
        [...keys.keys(probe)],
        all.filter((k) => k > probe),
        `after ${probe}`,
      );
      assert.deepEqual(
        [...keys.keys(probe, true)],
        all.filter((k) => k >= probe),
        `from ${probe}`,
      );
    }
    // scan(): the same starts as keys(), and it stops when the callback says so
    for (const probe of [undefined, 'id-00000', 'id-02501', 'id-09999']) {
      for (const inclusive of [false, true]) {
        const seen: string[] = [];
        keys.scan((k) => void seen.push(k), probe, inclusive);
        assert.deepEqual(seen, [...keys.keys(probe, inclusive)], `scan from ${probe} ${inclusive}`);
      }
    }
    const firstThree: string[] = [];
    keys.scan((k) => firstThree.push(k) < 3, 'id-01000');
    assert.deepEqual(firstThree, ['id-01002', 'id-01004', 'id-01006']);
    assert.equal(keys.has('id-02500'), true);
    assert.equal(keys.has('id-02501'), false);
  });

  it('orders as JavaScript compares strings (UTF-16 code units), the order page tokens use', () => {
    const keys = new SortedKeys();
    const words = ['b', 'a', 'B', 'ä', 'a/b', 'a0', '', '€', '😀', 'a b'];
    for (const w of words) keys.add(w);
    assert.deepEqual([...keys.keys()], [...words].sort());
  });

  it('readPage: a page of matches after the token, and the last key only when more matches follow', () => {
    const keys = new SortedKeys();
    for (let i = 0; i < 100; i++) keys.add(`c${String(i).padStart(3, '0')}`);
    const even = (k: string) => (Number(k.slice(1)) % 2 === 0 ? k : undefined);
    const p1 = readPage(
      (visit) => keys.scan(visit),
      10,
      even,
      (k) => k,
    );
    assert.deepEqual(p1.items, ['c000', 'c002', 'c004', 'c006', 'c008', 'c010', 'c012', 'c014', 'c016', 'c018']);
    assert.equal(p1.lastKey, 'c018');
    const last = readPage(
      (visit) => keys.scan(visit, 'c079'),
      10,
      even,
      (k) => k,
    );
    assert.equal(last.items.length, 10);
    assert.equal(last.lastKey, undefined, 'c080..c098 are the last ten matches: no next page');
  });
});

describe('retained list: a topic filter only matches topics that begin with its literal prefix', () => {
  it('literalPrefix', () => {
    assert.equal(literalPrefix('a/b/#'), 'a/b');
    assert.equal(literalPrefix('a/+/c'), 'a');
    assert.equal(literalPrefix('+/x'), '');
    assert.equal(literalPrefix('#'), '');
    assert.equal(literalPrefix('a/b'), 'a/b');
    assert.equal(literalPrefix('/+'), '');
  });

  it('every topic a random filter matches starts with the prefix', () => {
    const r = rng(3);
    const levels = ['a', 'b', 'ab', '', '$x'];
    const pick = (alphabet: string[]) => alphabet[Math.floor(r() * alphabet.length)]!;
    for (let i = 0; i < 5000; i++) {
      const topic = Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(levels)).join('/');
      const filterLevels = Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick([...levels, '+', '+']));
      if (r() < 0.3) filterLevels.push('#');
      const filter = filterLevels.join('/');
      if (topic === '' || filter === '') continue;
      if (topicMatches(filter, topic)) assert.ok(topic.startsWith(literalPrefix(filter)), `${filter} ~ ${topic}`);
    }
  });
});
