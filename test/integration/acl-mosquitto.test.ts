// ACL rules seen by Debian's mosquitto clients (acl.no_match = "deny", a rule per username with the
// ${username} placeholder): mosquitto_sub is told "All subscription requests were denied." for a
// filter it may not read, mosquitto_pub -V mqttv5 gets "Not authorized" for a topic it may not write,
// and what is allowed flows from mosquitto_pub to mosquitto_sub on both protocol levels.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { killLeftovers, spawnChild, type Child } from '../helpers/child.js';

function mosquitto(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[]): Child {
  return spawnChild('stdbuf', ['-oL', tool, ...args], { timeoutMs: 15_000 });
}

describe('ACL rules with mosquitto_pub / mosquitto_sub', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ acl: { no_match: 'deny' } });
    await b.broker.admin.createAcl({
      principalKind: 'all',
      action: 'all',
      permission: 'allow',
      filter: 'home/${username}/#',
    });
  });
  after(async () => {
    killLeftovers();
    await b.stop();
  });

  const common = (v: string, user: string) => ['-h', '127.0.0.1', '-p', String(b.port), '-V', v, '-u', user];

  for (const v of ['mqttv311', 'mqttv5']) {
    it(`${v}: a subscription no rule allows is denied`, async () => {
      const sub = mosquitto('mosquitto_sub', [...common(v, 'alice'), '-t', 'home/bob/#', '-W', '3']);
      await sub.exited();
      assert.match(sub.stderr(), /All subscription requests were denied/);
    });

    it(`${v}: alice's own topics flow; bob's topics are not written`, async () => {
      const sub = mosquitto('mosquitto_sub', [
        ...common(v, 'alice'),
        '-t',
        'home/alice/#',
        '-C',
        '1',
        '-W',
        '10',
        '-d',
      ]);
      await sub.line((l) => l.includes('SUBACK'));
      const denied = mosquitto('mosquitto_pub', [...common(v, 'alice'), '-t', 'home/bob/x', '-m', 'no', '-q', '1']);
      await denied.exited();
      if (v === 'mqttv5') assert.match(denied.stderr(), /Not authorized/);
      else assert.equal(denied.stderr(), '', '3.1.1 has no negative PUBACK [MQTT-3.3.5-2]');
      const ok = mosquitto('mosquitto_pub', [...common(v, 'alice'), '-t', 'home/alice/x', '-m', 'yes', '-q', '1']);
      assert.equal((await ok.exited()).code, 0);
      assert.equal(ok.stderr(), '');
      await sub.line((l) => l === 'yes');
      await sub.exited();
    });
  }
});
