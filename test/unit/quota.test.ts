// The token bucket behind every quota, and the [quota] configuration checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/lib/config.js';
import { TokenBucket } from '../../src/server/features/token-bucket.js';
import { normalizeAddress } from '../../src/server/features/connection-quota.js';

describe('TokenBucket', () => {
  it('starts full, goes into debt, and is out of debt after debt / rate', () => {
    const b = new TokenBucket(10, 5, 0);
    assert.equal(b.take(3, 0), 2);
    assert.equal(b.take(7, 0), -5);
    assert.equal(b.debtMs(0), 500);
    assert.equal(b.debtMs(250), 250);
    assert.equal(b.debtMs(500), 0);
  });

  it('refills to its capacity, no further', () => {
    const b = new TokenBucket(10, 5, 0);
    b.take(5, 0);
    assert.equal(b.take(0, 10_000), 5);
  });

  it('tryTake takes whole tokens only', () => {
    const b = new TokenBucket(2, 2, 0);
    assert.equal(b.tryTake(0), true);
    assert.equal(b.tryTake(0), true);
    assert.equal(b.tryTake(0), false);
    assert.equal(b.tryTake(250), false, 'half a token');
    assert.equal(b.tryTake(500), true);
  });
});

describe('[quota] configuration', () => {
  it('is off by default', () => {
    const q = loadConfig({}).quota;
    assert.equal(q.max_connections_per_ip + q.connection_rate + q.messages_per_second + q.bytes_per_second, 0);
    assert.equal(q.abuse_disconnect_s, 0);
  });

  it('refuses a negative rate with a message naming the key', () => {
    assert.throws(
      () => loadConfig({ overrides: { quota: { messages_per_second: -1 } } }),
      (err: Error & { code?: string }) =>
        err.code === 'RMQ_ERR_CONFIG_INVALID' && /messages_per_second/.test(err.message),
    );
  });

  it('has an environment variable form', () => {
    const config = loadConfig({ env: { ROBUSTMQ_QUOTA_MAX_CONNECTIONS_PER_IP: '3' } });
    assert.equal(config.quota.max_connections_per_ip, 3);
  });
});

describe('normalizeAddress', () => {
  it('counts an IPv4 client of a dual-stack listener under its IPv4 address', () => {
    assert.equal(normalizeAddress('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(normalizeAddress('::1'), '::1');
    assert.equal(normalizeAddress('10.1.2.3'), '10.1.2.3');
  });
});
