// Unit tests of the topic rules (src/lib/topic.ts): topic name and topic filter validation
// (MQTT 5.0 section 4.7), shared subscription parsing (section 4.8.2, plus $queue/), level counting
// and the reference matcher, with the spec's own examples from 4.7.1 and 4.7.2.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  countLevels,
  hasWildcard,
  MAX_TOPIC_BYTES,
  parseSubscriptionFilter,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
} from '../../src/lib/topic.js';

describe('validateTopicName', () => {
  it('accepts ordinary names, empty levels, spaces, $-names and any UTF-8 (4.7.3)', () => {
    for (const t of [
      'a',
      'a/b/c',
      '/',
      '/a',
      'a/',
      'a//b',
      'with space',
      '$SYS/x',
      'caf\u00e9/\u4e2d/\ud83d\ude00',
      'a$b',
    ]) {
      assert.deepEqual(validateTopicName(t), { ok: true }, t);
    }
  });

  it('refuses an empty name [MQTT-4.7.3-1]', () => {
    assert.equal(validateTopicName('').ok, false);
  });

  it('refuses a name with a wildcard character anywhere [MQTT-3.3.2-2]', () => {
    for (const t of ['#', '+', 'a/#', 'a/+/b', 'a+', 'sport/tennis#', '#a']) {
      const r = validateTopicName(t);
      assert.equal(r.ok, false, t);
      assert.match(r.reason!, /wildcard/);
    }
  });

  it('refuses U+0000 [MQTT-4.7.3-2]', () => {
    assert.equal(validateTopicName('a\u0000b').ok, false);
  });

  it('refuses a name longer than 65,535 bytes (counting UTF-8 bytes, not characters) [MQTT-4.7.3-3]', () => {
    assert.equal(validateTopicName('a'.repeat(MAX_TOPIC_BYTES)).ok, true);
    assert.equal(validateTopicName('a'.repeat(MAX_TOPIC_BYTES + 1)).ok, false);
    // 32,768 two-byte characters = 65,536 bytes
    assert.equal(validateTopicName('\u00e9'.repeat(32_768)).ok, false);
  });

  it('applies max_topic_levels when given (0 = no limit)', () => {
    assert.equal(validateTopicName('a/b/c', 3).ok, true);
    assert.equal(validateTopicName('a/b/c/d', 3).ok, false);
    assert.equal(validateTopicName('/a/b', 3).ok, true);
    assert.equal(validateTopicName('a/'.repeat(500), 0).ok, true);
  });
});

describe('validateTopicFilter', () => {
  it('accepts the valid filters of the spec examples (4.7.1.2, 4.7.1.3)', () => {
    for (const f of [
      '#',
      'sport/tennis/#',
      'sport/#',
      '+',
      '+/tennis/#',
      'sport/+/player1',
      '/+',
      '+/+',
      'a//b',
      '$SYS/#',
      'a/+/#',
    ]) {
      assert.deepEqual(validateTopicFilter(f), { ok: true }, f);
    }
  });

  it("refuses '#' that is not alone in the last level [MQTT-4.7.1-2]", () => {
    for (const f of ['sport/tennis#', 'sport/tennis/#/ranking', '#/a', 'a/#b', '##']) {
      assert.equal(validateTopicFilter(f).ok, false, f);
    }
  });

  it("refuses '+' that does not occupy a whole level [MQTT-4.7.1-3]", () => {
    for (const f of ['sport+', 'sport/+tennis', 'a/++', '+a/b']) {
      assert.equal(validateTopicFilter(f).ok, false, f);
    }
  });

  it('refuses an empty filter [MQTT-4.7.3-1] and U+0000 [MQTT-4.7.3-2]', () => {
    assert.equal(validateTopicFilter('').ok, false);
    assert.equal(validateTopicFilter('a/\u0000').ok, false);
  });

  it('refuses a filter longer than 65,535 bytes and applies max_topic_levels', () => {
    assert.equal(validateTopicFilter('a'.repeat(MAX_TOPIC_BYTES + 1)).ok, false);
    assert.equal(validateTopicFilter('a/+/#', 3).ok, true);
    assert.equal(validateTopicFilter('a/+/b/#', 3).ok, false);
  });
});

describe('parseSubscriptionFilter', () => {
  it('a plain filter has no group', () => {
    assert.deepEqual(parseSubscriptionFilter('a/+'), { ok: true, filter: 'a/+' });
  });

  it('splits $share/{ShareName}/{filter} (4.8.2)', () => {
    const r = parseSubscriptionFilter('$share/g1/sport/#');
    assert.equal(r.ok, true);
    assert.equal(r.group, 'g1');
    assert.equal(r.filter, 'sport/#');
    // the filter part may itself start with '/' or be a single wildcard
    assert.deepEqual(parseSubscriptionFilter('$share/g//x'), { ok: true, filter: '/x', group: 'g' });
    assert.deepEqual(parseSubscriptionFilter('$share/g/#'), { ok: true, filter: '#', group: 'g' });
  });

  it('maps $queue/{filter} to the group $queue', () => {
    assert.deepEqual(parseSubscriptionFilter('$queue/a/b'), { ok: true, filter: 'a/b', group: '$queue' });
  });

  it('refuses a share name that is empty or has wildcards [MQTT-4.8.2-1] [MQTT-4.8.2-2]', () => {
    for (const f of ['$share//a', '$share/+/a', '$share/#/a', '$share/g+/a', '$share/g#/a']) {
      assert.equal(parseSubscriptionFilter(f).ok, false, f);
    }
  });

  it('refuses $share/{ShareName} without a filter, or with an invalid one', () => {
    for (const f of ['$share/g', '$share/g/', '$share/', '$share/g/a#', '$queue/', '$queue/a+']) {
      assert.equal(parseSubscriptionFilter(f).ok, false, f);
    }
  });

  it('applies max_topic_levels to the filter part only', () => {
    assert.equal(parseSubscriptionFilter('$share/g/a/b', 2).ok, true);
    assert.equal(parseSubscriptionFilter('$share/g/a/b/c', 2).ok, false);
  });

  it('a name that only resembles a share prefix is an ordinary filter', () => {
    assert.deepEqual(parseSubscriptionFilter('$sharex/g/a'), { ok: true, filter: '$sharex/g/a' });
    assert.deepEqual(parseSubscriptionFilter('$SHARE/g/a'), { ok: true, filter: '$SHARE/g/a' });
  });
});

describe('countLevels / hasWildcard', () => {
  it('counts levels as separators + 1, empty levels included', () => {
    assert.equal(countLevels('a'), 1);
    assert.equal(countLevels('/'), 2);
    assert.equal(countLevels('a//b/'), 4);
  });

  it('detects + and #', () => {
    assert.equal(hasWildcard('a/b'), false);
    assert.equal(hasWildcard('a/+'), true);
    assert.equal(hasWildcard('#'), true);
  });
});

describe('topicMatches (spec examples, 4.7.1 and 4.7.2)', () => {
  const yes: Array<[string, string]> = [
    ['sport/tennis/player1/#', 'sport/tennis/player1'],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking'],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon'],
    ['sport/#', 'sport'], // '#' includes the parent level
    ['#', 'sport/tennis'],
    ['sport/tennis/+', 'sport/tennis/player1'],
    ['sport/+', 'sport/'],
    ['+/+', '/finance'],
    ['/+', '/finance'],
    ['+', 'finance'],
    ['$SYS/#', '$SYS/monitor/Clients'],
    ['$SYS/monitor/+', '$SYS/monitor/Clients'],
    ['a//b', 'a//b'],
    ['+/+/+', 'a//b'],
  ];
  const no: Array<[string, string]> = [
    ['sport/tennis/+', 'sport/tennis/player1/ranking'],
    ['sport/+', 'sport'],
    ['+', '/finance'],
    ['a/b', 'a/b/c'],
    ['a/b/c', 'a/b'],
    ['A/b', 'a/b'], // case sensitive
    // [MQTT-4.7.2-1] leading wildcards do not match '$' topics
    ['#', '$SYS/monitor/Clients'],
    ['+/monitor/Clients', '$SYS/monitor/Clients'],
    ['+', '$SYS'],
  ];
  for (const [f, t] of yes) it(`'${f}' matches '${t}'`, () => assert.equal(topicMatches(f, t), true));
  for (const [f, t] of no) it(`'${f}' does not match '${t}'`, () => assert.equal(topicMatches(f, t), false));
});
