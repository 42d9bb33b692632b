// Unit tests of the retained-message index (src/server/routing/retained-index.ts): set / replace /
// delete / size, and wildcard matching compared with the brute-force reference topicMatches()
// (src/lib/topic.ts) over random topics and filters, including '$' topics [MQTT-4.7.2-1].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topicMatches, validateTopicFilter, validateTopicName } from '../../src/lib/topic.js';
import { createMessage, type Message } from '../../src/server/message.js';
import { RetainedIndex } from '../../src/server/routing/retained-index.js';
import { rng } from '../helpers/bytes.js';

function msg(topic: string, payload = topic): Message {
  return createMessage({ topic, payload: Buffer.from(payload), qos: 0, retain: true, origin: 't' });
}

/** Small deterministic PRNG (mulberry32) so a failure can be reproduced from its seed. */
// level alphabets: '' (empty level), '$'-prefixed names (special only at the root), plain names
const TOPIC_LEVELS = ['a', 'b', 'c', '', '$SYS', '$x', 'a$'];
const FILTER_LEVELS = ['a', 'b', 'c', '', '$SYS', '$x', '+', '+', '+'];

function randomTopic(r: () => number): string {
  const n = 1 + Math.floor(r() * 4);
  const levels: string[] = [];
  for (let i = 0; i < n; i++) levels.push(TOPIC_LEVELS[Math.floor(r() * TOPIC_LEVELS.length)]!);
  const topic = levels.join('/');
  return topic === '' ? '/' : topic; // a topic name is never empty [MQTT-4.7.3-1]
}

function randomFilter(r: () => number): string {
  const n = 1 + Math.floor(r() * 4);
  const levels: string[] = [];
  for (let i = 0; i < n; i++) levels.push(FILTER_LEVELS[Math.floor(r() * FILTER_LEVELS.length)]!);
  if (levels.join('/') === '') levels.push('');
  if (r() < 0.35) {
    // '#' as the last level, sometimes as the whole filter
    if (r() < 0.2) return '#';
    levels.push('#');
  }
  return levels.join('/');
}

function topicsOf(messages: Message[]): string[] {
  return messages.map((m) => m.topic).sort();
}

describe('RetainedIndex: store, replace, delete', () => {
  it('stores one message per topic and replaces it [MQTT-3.3.1-5]', () => {
    const idx = new RetainedIndex();
    idx.set(msg('a/b', 'one'));
    idx.set(msg('a/b', 'two'));
    idx.set(msg('a', 'parent'));
    assert.equal(idx.size, 2);
    assert.equal(idx.get('a/b')?.payload.toString(), 'two');
    assert.equal(idx.get('a')?.payload.toString(), 'parent');
    assert.equal(idx.get('a/b/c'), undefined);
    assert.equal(idx.get('b'), undefined);
  });

  it('delete removes only that topic, returns whether anything was there, and keeps size', () => {
    const idx = new RetainedIndex();
    idx.set(msg('a'));
    idx.set(msg('a/b'));
    idx.set(msg('a/b/c'));
    assert.equal(idx.delete('a/b'), true);
    assert.equal(idx.delete('a/b'), false);
    assert.equal(idx.delete('x/y'), false);
    assert.equal(idx.size, 2);
    assert.deepEqual(topicsOf(idx.match('#')), ['a', 'a/b/c']);
    assert.equal(idx.get('a/b/c')?.topic, 'a/b/c');
  });

  it('deleting the last message of a branch prunes its nodes', () => {
    const idx = new RetainedIndex();
    idx.set(msg('p/q/r/s'));
    idx.set(msg('p/x'));
    idx.delete('p/q/r/s');
    const root = (idx as unknown as { root: { children: Map<string, { children: Map<string, unknown> }> } }).root;
    assert.deepEqual([...root.children.get('p')!.children.keys()], ['x']);
    idx.delete('p/x');
    assert.equal(root.children.size, 0);
    assert.equal(idx.size, 0);
    assert.deepEqual(idx.match('#'), []);
  });

  it('topics with empty levels are distinct topics', () => {
    const idx = new RetainedIndex();
    for (const t of ['/', '/a', 'a/', 'a//b', 'a/b']) idx.set(msg(t));
    assert.equal(idx.size, 5);
    assert.deepEqual(topicsOf(idx.match('+/+')), ['/', '/a', 'a/', 'a/b']);
    assert.deepEqual(topicsOf(idx.match('a/+/b')), ['a//b']);
    assert.deepEqual(topicsOf(idx.match('/#')), ['/', '/a']);
  });
});

describe('RetainedIndex: wildcard matching', () => {
  const idx = new RetainedIndex();
  for (const t of ['sport/tennis', 'sport/tennis/player1', 'sport/tennis/player1/ranking', 'sport', '/finance']) {
    idx.set(msg(t));
  }
  for (const t of ['$SYS/broker/uptime', '$SYS', '$share/x']) idx.set(msg(t));

  const cases: Array<[string, string[]]> = [
    // '#' matches the parent level too [MQTT-4.7.1-2] (spec 4.7.1.2 example: sport/tennis/player1/#)
    ['sport/tennis/player1/#', ['sport/tennis/player1', 'sport/tennis/player1/ranking']],
    ['sport/#', ['sport', 'sport/tennis', 'sport/tennis/player1', 'sport/tennis/player1/ranking']],
    ['sport/tennis/+', ['sport/tennis/player1']],
    ['sport/+', ['sport/tennis']],
    ['+', ['sport']],
    ['+/+', ['/finance', 'sport/tennis']],
    ['/+', ['/finance']],
    ['+/tennis/#', ['sport/tennis', 'sport/tennis/player1', 'sport/tennis/player1/ranking']],
    // [MQTT-4.7.2-1] filters starting with a wildcard do not match topics starting with '$'
    ['#', ['/finance', 'sport', 'sport/tennis', 'sport/tennis/player1', 'sport/tennis/player1/ranking']],
    ['+/broker/uptime', []],
    ['+/#', ['/finance', 'sport', 'sport/tennis', 'sport/tennis/player1', 'sport/tennis/player1/ranking']],
    ['$SYS/#', ['$SYS', '$SYS/broker/uptime']],
    ['$SYS/+/uptime', ['$SYS/broker/uptime']],
    ['$SYS', ['$SYS']],
    ['sport/tennis/player1/ranking/#', ['sport/tennis/player1/ranking']],
    ['nothing/#', []],
  ];
  for (const [filter, expected] of cases) {
    it(`'${filter}' matches ${expected.length ? expected.join(', ') : 'nothing'}`, () => {
      assert.deepEqual(topicsOf(idx.match(filter)), [...expected].sort());
    });
  }

  it('each matching message is returned once', () => {
    for (const [filter] of cases) {
      const got = idx.match(filter).map((m) => m.topic);
      assert.equal(new Set(got).size, got.length, filter);
    }
  });
});

describe('RetainedIndex against the brute-force reference (topicMatches) on random data', () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`seed ${seed}: match(), get(), size and all() agree with a Map + topicMatches scan`, () => {
      const r = rng(seed);
      const idx = new RetainedIndex();
      const ref = new Map<string, Message>();
      for (let round = 0; round < 40; round++) {
        // a batch of random stores, replacements and deletions
        for (let k = 0; k < 25; k++) {
          const topic = randomTopic(r);
          assert.ok(validateTopicName(topic).ok, topic);
          if (r() < 0.3) {
            assert.equal(idx.delete(topic), ref.delete(topic), `delete ${topic}`);
          } else {
            const m = msg(topic, `${topic}#${round}.${k}`);
            idx.set(m);
            ref.set(topic, m);
          }
        }
        assert.equal(idx.size, ref.size);
        assert.deepEqual(topicsOf(idx.all()), [...ref.keys()].sort());
        for (let q = 0; q < 20; q++) {
          const filter = randomFilter(r);
          assert.ok(validateTopicFilter(filter).ok, filter);
          const got = idx.match(filter);
          const expected = [...ref.values()].filter((m) => topicMatches(filter, m.topic));
          assert.deepEqual(topicsOf(got), topicsOf(expected), `filter ${JSON.stringify(filter)}`);
          // the very message stored last on each topic (replacement) is what comes back
          for (const m of got) assert.equal(m, ref.get(m.topic));
        }
        for (let q = 0; q < 10; q++) {
          const topic = randomTopic(r);
          assert.equal(idx.get(topic), ref.get(topic));
        }
      }
    });
  }
});

describe('RetainedIndex.purgeExpired', () => {
  it('removes exactly the messages whose expiry passed, skipping replaced ones', () => {
    const idx = new RetainedIndex();
    const at = (topic: string, expiresAt?: number) =>
      ({ topic, payload: Buffer.from('x'), qos: 0, retain: true, origin: '', timestamp: 0, expiresAt }) as const;
    idx.set(at('a/1', 100));
    idx.set(at('a/2', 300));
    idx.set(at('a/3'));
    idx.set(at('a/4', 200));
    const replaced = at('a/4', 1000); // a newer message on a/4 with a later expiry
    idx.set(replaced);
    assert.deepEqual(idx.purgeExpired(50), []);
    assert.deepEqual(idx.purgeExpired(250).sort(), ['a/1']);
    assert.equal(idx.get('a/4'), replaced, 'the replaced message is kept');
    assert.deepEqual(idx.purgeExpired(300), ['a/2']);
    assert.equal(idx.size, 2);
    assert.deepEqual(idx.purgeExpired(5000), ['a/4']);
    assert.deepEqual(
      idx.all().map((m) => m.topic),
      ['a/3'],
    );
  });
});
