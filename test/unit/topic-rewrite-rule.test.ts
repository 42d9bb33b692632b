// The checks of a topic rewrite rule (src/lib/topic-rewrite-rule.ts) and the [topic_rewrite] config
// section: what is refused and why, how a destination is split into parts, and that an environment
// variable of a section whose name holds '_' reaches that section.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configFromEnv, loadConfig } from '../../src/lib/config.js';
import { checkRewriteRule, parseDestTopic, type TopicRewriteRuleSpec } from '../../src/lib/topic-rewrite-rule.js';

const ok: TopicRewriteRuleSpec = { action: 'all', sourceTopic: 'x/#', regex: '^x/(.+)$', destTopic: 'y/$1' };

function reason(spec: Record<string, string>): string {
  try {
    checkRewriteRule({ ...ok, ...spec } as TopicRewriteRuleSpec);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('topic rewrite rule checks', () => {
  it('splits a destination into text, groups and client values', () => {
    assert.deepEqual(parseDestTopic('a/$1/${username}/$2x/${clientid}', 2), [
      'a/',
      1,
      '/',
      { client: 'username' },
      '/',
      2,
      'x/',
      { client: 'clientid' },
    ]);
    // a '$' not followed by 1-9 or '{' is text ($delayed/, $0)
    assert.deepEqual(parseDestTopic('$delayed/10/$0', 0), ['$delayed/10/$0']);
  });

  it('accepts a good rule and refuses each bad part with its reason', () => {
    assert.equal(reason({}), 'accepted');
    assert.match(reason({ action: 'both' }), /action must be one of publish, subscribe, all/);
    assert.match(reason({ sourceTopic: 'x/#/y' }), /source_topic "x\/#\/y"/);
    assert.match(reason({ sourceTopic: '$share/g/x' }), /shared filter/);
    assert.match(reason({ regex: '' }), /regex is empty/);
    assert.match(reason({ regex: '^x/(.+$' }), /not a valid regular expression/);
    assert.match(reason({ regex: '^(x+)+$' }), /exponential/);
    assert.match(reason({ regex: '^(x)\\1$' }), /back-references/);
    assert.match(reason({ regex: 'a'.repeat(513) }), /at most 512/);
    assert.match(reason({ destTopic: 'y/$2' }), /uses \$2 but the regex has 1 capture group/);
    assert.match(reason({ destTopic: 'y/${user}' }), /placeholders are/);
    assert.match(reason({ destTopic: 'y/#' }), /not a valid topic name/);
    assert.equal(reason({ action: 'subscribe', destTopic: 'y/#' }), 'accepted');
    assert.equal(reason({ action: 'subscribe', destTopic: '$share/g/y/$1' }), 'accepted');
    assert.match(reason({ action: 'subscribe', destTopic: 'y/#/z' }), /not a valid topic filter/);
  });

  it('[[topic_rewrite.rules]] in config: a bad rule names its index and reason', () => {
    assert.throws(
      () =>
        loadConfig({
          overrides: {
            topic_rewrite: {
              rules: [{ action: 'publish', source_topic: 'a/#', regex: '^a/(.+)$', dest_topic: 'b/$3' }],
            },
          },
        }),
      /topic_rewrite\.rules\.0: dest_topic "b\/\$3" uses \$3/,
    );
  });

  it('environment variables of sections named with "_" reach them; topics_ ones still reach [topics]', () => {
    assert.deepEqual(configFromEnv({ ROBUSTMQ_TOPICS_DEFAULT_PARTITIONS: '3' }), { topics: { default_partitions: 3 } });
    assert.throws(
      () => configFromEnv({ ROBUSTMQ_TOPIC_REWRITE_NOPE: '1' }),
      /topic_rewrite\.nope: unknown key \(from environment variable ROBUSTMQ_TOPIC_REWRITE_NOPE\)/,
    );
  });
});
