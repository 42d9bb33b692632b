// ACL rule matching (src/server/security/acl-match.ts) and the checks of the new rule fields and ban
// kinds (src/lib/security-rules.ts): filter coverage for SUBSCRIBE, topic matching for PUBLISH,
// placeholders, the literal `eq` form, principals, QoS and retain conditions, regex ban patterns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  conditionsMatch,
  expandFilter,
  filterCovers,
  filtersOverlap,
  ruleApplies,
  principalMatches,
  topicApplies,
  type AclRequest,
} from '../../src/server/security/acl-match.js';
import { checkAclFilter, checkBanRegex, parseAclQos } from '../../src/lib/security-rules.js';
import type { AclRecord } from '../../src/server/storage/storage-adapter.js';

const who = { clientId: 'dev-1', username: 'alice', remoteAddress: '127.0.0.1' };
const pub = (topic: string, qos = 0, retain = false): AclRequest => ({ action: 'publish', topic, qos, retain });
const sub = (topic: string, qos = 0): AclRequest => ({ action: 'subscribe', topic, qos, retain: false });

describe('filtersOverlap: a deny rule applies to a subscription that could bring one of its topics', () => {
  const cases: [string, string, boolean][] = [
    ['secret/#', '#', true],
    ['secret/#', '+/x', true],
    ['secret/#', 'secret', true],
    ['a/+', 'a/b', true],
    ['a/+', 'b/#', false],
    ['a/b', 'a/b/c', false],
    ['a/b/#', 'a/+', true],
    ['#', '$SYS/#', false],
    ['$SYS/#', '+/x', false],
    ['$SYS/#', '$SYS/+', true],
  ];
  for (const [a, b, overlap] of cases) {
    it(`'${a}' and '${b}' ${overlap ? 'overlap' : 'do not overlap'}`, () => {
      assert.equal(filtersOverlap(a, b), overlap);
      assert.equal(filtersOverlap(b, a), overlap);
    });
  }

  it('deny rules use it for SUBSCRIBE, allow rules keep needing to cover the whole filter', () => {
    const deny = { permission: 'deny', action: 'subscribe', filter: 'secret/#' } as const;
    const allow = { permission: 'allow', action: 'subscribe', filter: 'secret/#' } as const;
    assert.equal(ruleApplies(deny, who, sub('#')), true);
    assert.equal(ruleApplies(allow, who, sub('#')), false);
    assert.equal(ruleApplies(deny, who, sub('public/#')), false);
  });
});

describe('filterCovers: the subscription filter must be covered by the rule filter', () => {
  const cases: [string, string, boolean][] = [
    ['a/#', 'a/b/+', true],
    ['a/#', 'a', true],
    ['a/#', 'a/#', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/+', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/#', false],
    ['a/b', 'a/+', false],
    ['a/+', 'a/#', false],
    ['a/+', 'a/b/c', false],
    ['a/+/c', 'a/b', false],
    ['#', 'x/y', true],
    ['#', '$SYS/#', false], // [MQTT-4.7.2-1] a leading wildcard matches no $ topic
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/broker/+', true],
    ['a/#', 'b/#', false],
  ];
  for (const [rule, filter, covered] of cases) {
    it(`${rule} ${covered ? 'covers' : 'does not cover'} ${filter}`, () => {
      assert.equal(filterCovers(rule, filter), covered);
    });
  }
});

describe('topicApplies', () => {
  it('publish: MQTT wildcard matching of the topic name', () => {
    assert.equal(topicApplies('a/+/c', who, pub('a/b/c')), true);
    assert.equal(topicApplies('a/+/c', who, pub('a/b/d')), false);
    assert.equal(topicApplies('#', who, pub('$SYS/x')), false);
  });

  it('placeholders are put in; a rule naming ${username} does not apply to a client without one', () => {
    assert.equal(topicApplies('users/${username}/#', who, pub('users/alice/x')), true);
    assert.equal(topicApplies('users/${username}/#', who, pub('users/bob/x')), false);
    assert.equal(topicApplies('d/${clientid}', who, pub('d/dev-1')), true);
    assert.equal(topicApplies('users/${username}/#', { ...who, username: undefined }, pub('users/x')), false);
  });

  it('a value with / + or # never widens a filter (the rule does not apply)', () => {
    for (const clientId of ['a/b', 'a+', '#', '']) {
      assert.equal(expandFilter('d/${clientid}/#', { ...who, clientId }), undefined, clientId);
    }
  });

  it('eq <filter> matches that filter string only: no wildcard matching, no placeholders', () => {
    assert.equal(topicApplies('eq t/#', who, sub('t/#')), true);
    assert.equal(topicApplies('eq t/#', who, sub('t/a')), false);
    assert.equal(topicApplies('eq t/#', who, pub('t/a')), false);
    assert.equal(topicApplies('eq u/${username}', who, sub('u/alice')), false);
    assert.equal(topicApplies('eq u/${username}', who, sub('u/${username}')), true);
  });
});

describe('conditions and principals', () => {
  it('action, QoS list and retain flag; a retain condition never matches a SUBSCRIBE', () => {
    const r = { filter: '#', permission: 'deny' as const };
    assert.equal(conditionsMatch({ ...r, action: 'publish' }, sub('x')), false);
    assert.equal(conditionsMatch({ ...r, action: 'all' }, sub('x')), true);
    assert.equal(conditionsMatch({ ...r, action: 'all', qos: [1, 2] }, pub('x', 0)), false);
    assert.equal(conditionsMatch({ ...r, action: 'all', qos: [1, 2] }, pub('x', 2)), true);
    assert.equal(conditionsMatch({ ...r, action: 'all', retain: true }, pub('x', 0, true)), true);
    assert.equal(conditionsMatch({ ...r, action: 'all', retain: true }, pub('x', 0, false)), false);
    assert.equal(conditionsMatch({ ...r, action: 'all', retain: false }, sub('x')), false);
  });

  it('user, client, ip (address, CIDR, IPv4-mapped IPv6) and all', () => {
    const rule = (principalKind: AclRecord['principalKind'], principal: string): AclRecord => ({
      id: 'x',
      principalKind,
      principal,
      filter: '#',
      action: 'all',
      permission: 'deny',
      createdAt: 1,
    });
    assert.equal(principalMatches(rule('user', 'alice'), who), true);
    assert.equal(principalMatches(rule('user', 'alice'), { ...who, username: undefined }), false);
    assert.equal(principalMatches(rule('client', 'dev-1'), who), true);
    assert.equal(principalMatches(rule('client', 'dev-2'), who), false);
    assert.equal(principalMatches(rule('ip', '127.0.0.0/8'), who), true);
    assert.equal(principalMatches(rule('ip', '127.0.0.1'), { ...who, remoteAddress: '::ffff:127.0.0.1' }), true);
    assert.equal(principalMatches(rule('ip', '10.0.0.0/8'), who), false);
    assert.equal(principalMatches(rule('ip', 'fd00::/8'), { ...who, remoteAddress: 'fd12::1' }), true);
    assert.equal(principalMatches(rule('all', ''), who), true);
  });
});

describe('rule and ban checks', () => {
  it('eq filters are checked as plain topic filters', () => {
    checkAclFilter('eq t/#');
    checkAclFilter('eq a/${anything}');
    assert.throws(() => checkAclFilter('eq a/#/b'), { code: 'RMQ_ERR_TOPIC_INVALID' });
    assert.throws(() => checkAclFilter('a/${nobody}'), { code: 'RMQ_ERR_TOPIC_INVALID' });
  });

  it('QoS lists: 0, 1, 2, separated by commas', () => {
    assert.deepEqual(parseAclQos('2,0,0'), [0, 2]);
    assert.throws(() => parseAclQos('3'), { code: 'RMQ_ERR_INVALID_ARGUMENT' });
    assert.throws(() => parseAclQos(''), { code: 'RMQ_ERR_INVALID_ARGUMENT' });
  });

  it('regex bans: compiled, length-limited, nested repetition and back-references refused', () => {
    assert.ok(checkBanRegex('^bot-[0-9]+$').test('bot-12'));
    assert.ok(checkBanRegex('^(ab)+$').test('abab'));
    for (const bad of ['(a+)+$', '(a|b*)*', '((x+)y)+', '(a{1,})+', '(a)\\1', '[', 'x'.repeat(513)]) {
      assert.throws(() => checkBanRegex(bad), { code: 'RMQ_ERR_INVALID_ARGUMENT' }, bad);
    }
  });
});
