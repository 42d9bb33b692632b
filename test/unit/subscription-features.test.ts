// The parsing behind exclusive subscriptions and auto-subscribe rules: `$exclusive/{filter}` in
// parseSubscriptionFilter (and what may not be combined with it), auto-subscribe topic templates
// (placeholders, validity, filling per client) and the [auto_subscribe] / [exclusive] config keys.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { autoSubscribeTopicError, resolveAutoSubscribeTopic } from '../../src/lib/auto-subscribe-topic.js';
import { loadConfig } from '../../src/lib/config.js';
import { isRobustMQError } from '../../src/lib/errors.js';
import { parseSubscriptionFilter } from '../../src/lib/topic.js';

describe('parseSubscriptionFilter: $exclusive/', () => {
  it('strips the prefix and marks the filter exclusive', () => {
    const p = parseSubscriptionFilter('$exclusive/a/+/c');
    assert.equal(p.ok, true);
    assert.equal(p.filter, 'a/+/c');
    assert.equal(p.exclusive, true);
    assert.equal(p.group, undefined);
    assert.equal(parseSubscriptionFilter('a/b').exclusive, undefined);
  });

  it('refuses what cannot be exclusive: shared, nested, invalid, empty, too deep', () => {
    for (const raw of [
      '$exclusive/$share/g/a',
      '$exclusive/$queue/a',
      '$exclusive/$exclusive/a',
      '$share/g/$exclusive/a',
      '$queue/$exclusive/a',
      '$exclusive/a/#/b',
      '$exclusive/',
    ]) {
      assert.equal(parseSubscriptionFilter(raw).ok, false, raw);
    }
    assert.equal(parseSubscriptionFilter('$exclusive/a/b/c', 2).ok, false);
    assert.equal(parseSubscriptionFilter('$exclusive/a/b', 2).ok, true);
  });
});

describe('auto-subscribe topic templates', () => {
  it('accepts ${clientid}, ${username}, ${host} in a valid filter; refuses anything else', () => {
    assert.equal(autoSubscribeTopicError('d/${clientid}/${username}/${host}/#'), undefined);
    assert.equal(autoSubscribeTopicError('$share/g/jobs/${clientid}'), undefined);
    assert.equal(autoSubscribeTopicError('$exclusive/leader'), undefined);
    assert.match(autoSubscribeTopicError('x/${password}')!, /unknown placeholder \$\{password\}/);
    assert.match(autoSubscribeTopicError('x/#/${clientid}')!, /'#'/);
    assert.match(autoSubscribeTopicError('$share/g/x', true)!, /no_local/);
  });

  it('fills the placeholders; a missing value or a wildcard in a value skips the rule', () => {
    const values = { clientid: 'dev-1', username: 'alice', host: '10.0.0.7' };
    assert.deepEqual(resolveAutoSubscribeTopic('d/${clientid}/${username}@${host}', values), {
      filter: 'd/dev-1/alice@10.0.0.7',
    });
    assert.ok('skip' in resolveAutoSubscribeTopic('u/${username}', { ...values, username: undefined }));
    assert.ok('skip' in resolveAutoSubscribeTopic('u/${username}', { ...values, username: '' }));
    assert.ok('skip' in resolveAutoSubscribeTopic('d/${clientid}', { ...values, clientid: 'a/#' }));
    assert.ok('skip' in resolveAutoSubscribeTopic('d/${clientid}', { ...values, clientid: '+' }));
    assert.deepEqual(resolveAutoSubscribeTopic('fixed/topic', values), { filter: 'fixed/topic' });
  });
});

describe('[auto_subscribe] and [exclusive] configuration', () => {
  const file = (text: string): string => {
    const f = join(mkdtempSync(join(tmpdir(), 'rmq-autosub-')), 'c.toml');
    writeFileSync(f, text);
    return f;
  };

  it('reads [[auto_subscribe.rules]] with defaults, and exclusive.enabled', () => {
    const c = loadConfig({
      file: file('[[auto_subscribe.rules]]\ntopic = "a/${clientid}"\n\n[exclusive]\nenabled = false\n'),
    });
    assert.deepEqual(c.auto_subscribe.rules, [
      { topic: 'a/${clientid}', qos: 0, no_local: false, retain_as_published: false, retain_handling: 0 },
    ]);
    assert.equal(c.exclusive.enabled, false);
    assert.equal(loadConfig({}).exclusive.enabled, true);
  });

  it('a bad rule stops the start with a message naming the key', () => {
    for (const [text, want] of [
      ['[[auto_subscribe.rules]]\ntopic = "a/${nope}"\n', /auto_subscribe\.rules\.0\.topic.*unknown placeholder/],
      ['[[auto_subscribe.rules]]\ntopic = "a"\nqos = 3\n', /auto_subscribe\.rules\.0\.qos/],
      ['[[auto_subscribe.rules]]\ntopic = "a"\nretain = true\n', /auto_subscribe\.rules\.0/],
    ] as const) {
      assert.throws(
        () => loadConfig({ file: file(text) }),
        (err) => isRobustMQError(err) && err.code === 'RMQ_ERR_CONFIG_INVALID' && want.test(err.message),
        text,
      );
    }
  });
});
