// Basic publish/subscribe with MQTT.js at every QoS and protocol level 4 and 5.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, uniqueId } from '../helpers/clients.js';

describe('publish / subscribe with MQTT.js', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  for (const protocolVersion of [4, 5] as const) {
    for (const qos of [0, 1, 2] as const) {
      it(`v${protocolVersion} QoS ${qos}: a subscriber gets what a publisher sends, in order`, async () => {
        const topic = `basic/${uniqueId()}`;
        const sub = await connect(b.port, { protocolVersion });
        await sub.client.subscribeAsync(topic, { qos });
        const pub = await connect(b.port, { protocolVersion });
        for (let i = 0; i < 20; i++) await pub.client.publishAsync(topic, `m${i}`, { qos });
        const got = await sub.waitFor(20);
        assert.deepEqual(
          got.map((m) => m.payload.toString()),
          Array.from({ length: 20 }, (_, i) => `m${i}`),
        );
        // [MQTT-3.8.4-8] delivered QoS is min(publish QoS, granted QoS)
        assert.ok(got.every((m) => m.packet.qos === qos));
        await pub.end();
        await sub.end();
      });
    }
  }

  it('delivers with QoS = min(published, granted) [MQTT-3.8.4-8]', async () => {
    const topic = `basic/${uniqueId()}`;
    const sub = await connect(b.port);
    await sub.client.subscribeAsync(topic, { qos: 1 });
    const pub = await connect(b.port);
    await pub.client.publishAsync(topic, 'x', { qos: 2 });
    const [m] = await sub.waitFor(1);
    assert.equal(m!.packet.qos, 1);
    await pub.end();
    await sub.end();
  });
});
