// The MQTT-client commands take their default --host from --server / ROBUSTMQ_SERVER (the admin
// endpoint, host:port): the host part of each form it may have.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostOf } from '../../src/lib/cli/mqtt-command.js';

describe('hostOf (the default --host of message publish/subscribe)', () => {
  it('takes the host of host:port, [v6]:port, a bare host or a bare IPv6 address', () => {
    assert.equal(hostOf('broker.example:1228'), 'broker.example');
    assert.equal(hostOf('10.0.0.7:1228'), '10.0.0.7');
    assert.equal(hostOf('[::1]:1228'), '::1');
    assert.equal(hostOf('[fe80::1]'), 'fe80::1');
    assert.equal(hostOf('broker.example'), 'broker.example');
    assert.equal(hostOf('::1'), '::1');
  });
});
