// Interoperability with Debian's mosquitto-clients: mosquitto_pub / mosquitto_sub against the broker
// with -V mqttv31, mqttv311 and mqttv5: pub/sub at QoS 0/1/2, retained messages (-r), a will
// delivered when the client is killed, and MQTT 5 properties set with -D publish ....
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { killLeftovers, spawnChild, type Child } from '../helpers/child.js';
import { uniqueId } from '../helpers/clients.js';

type Version = 'mqttv31' | 'mqttv311' | 'mqttv5';
const VERSIONS: Version[] = ['mqttv31', 'mqttv311', 'mqttv5'];

/** The mosquitto tools block-buffer stdout into a pipe: stdbuf -oL makes each line arrive as printed. */
function mosquitto(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 15_000): Child {
  return spawnChild('stdbuf', ['-oL', tool, ...args], { timeoutMs });
}

/** What mosquitto_sub -F %j prints for one message. */
interface JsonMessage {
  topic: string;
  qos: number;
  retain: number;
  payload: string;
  properties?: Record<string, unknown>;
}

describe('mosquitto_pub / mosquitto_sub (Debian mosquitto-clients)', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(async () => {
    killLeftovers();
    await b.stop();
  });

  const common = (v: Version) => ['-h', '127.0.0.1', '-p', String(b.port), '-V', v];

  /** mosquitto_sub printing each message as JSON (-F %j), debug on (-d), never longer than -W s. */
  async function sub(v: Version, topic: string, extra: string[] = [], count = 1): Promise<Child> {
    const child = mosquitto('mosquitto_sub', [
      ...common(v),
      '-t',
      topic,
      '-C',
      String(count),
      '-W',
      '10',
      '-F',
      '%j',
      '-d',
      ...extra,
    ]);
    await child.line((l) => l.startsWith('Subscribed (mid'), 5000, 'SUBACK');
    return child;
  }

  /** Run mosquitto_pub to completion; returns its debug output. */
  async function pub(v: Version, topic: string, args: string[]): Promise<string[]> {
    const child = mosquitto('mosquitto_pub', [...common(v), '-t', topic, '-d', ...args], 10_000);
    const exit = await child.exited();
    assert.equal(exit.code, 0, `mosquitto_pub failed: ${child.stderr()} ${child.lines.join('\n')}`);
    return child.lines;
  }

  async function messages(child: Child): Promise<JsonMessage[]> {
    const exit = await child.exited();
    assert.equal(exit.code, 0, `mosquitto_sub failed (${JSON.stringify(exit)}): ${child.stderr()}`);
    return child.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonMessage);
  }

  for (const v of VERSIONS) {
    for (const qos of [0, 1, 2] as const) {
      it(`${v} QoS ${qos}: mosquitto_sub receives what mosquitto_pub sends, in order, at QoS ${qos} [MQTT-3.3.4-1]`, async () => {
        const topic = `mosq/${v}/q${qos}/${uniqueId()}`;
        const s = await sub(v, topic, ['-q', String(qos)], 3);
        // the broker granted the QoS asked for [MQTT-3.9.3-1]
        assert.ok(
          s.lines.some((l) => l === `Subscribed (mid: 1): ${qos}`),
          s.lines.join('\n'),
        );
        for (let i = 0; i < 3; i++) {
          const out = await pub(v, topic, ['-q', String(qos), '-m', `m${i}`]);
          // the broker acknowledged with the packets of the QoS flow [MQTT-4.3.2-2] [MQTT-4.3.3-2]
          if (qos === 1)
            assert.ok(
              out.some((l) => l.includes('received PUBACK')),
              out.join('\n'),
            );
          if (qos === 2) {
            assert.ok(
              out.some((l) => l.includes('received PUBREC')),
              out.join('\n'),
            );
            assert.ok(
              out.some((l) => l.includes('received PUBCOMP')),
              out.join('\n'),
            );
          }
        }
        const got = await messages(s);
        assert.deepEqual(
          got.map((m) => m.payload),
          ['m0', 'm1', 'm2'],
        );
        assert.ok(
          got.every((m) => m.qos === qos && m.retain === 0 && m.topic === topic),
          JSON.stringify(got),
        );
        if (qos === 2) {
          // the subscriber side of the QoS 2 flow: PUBLISH, PUBREC from it, PUBREL from the broker
          assert.ok(
            s.lines.some((l) => l.includes('received PUBREL')),
            s.lines.join('\n'),
          );
        }
      });
    }

    it(`${v}: delivered QoS is the minimum of published and granted QoS [MQTT-3.8.4-8]`, async () => {
      const topic = `mosq/${v}/min/${uniqueId()}`;
      const s = await sub(v, topic, ['-q', '1']);
      await pub(v, topic, ['-q', '2', '-m', 'x']);
      const [m] = await messages(s);
      assert.equal(m!.qos, 1);
      assert.equal(m!.payload, 'x');
    });

    it(`${v}: a retained message (-r) reaches a later subscriber with RETAIN=1, an empty one clears it [MQTT-3.3.1-5] [MQTT-3.3.1-8] [MQTT-3.3.1-10]`, async () => {
      const topic = `mosq/${v}/retained/${uniqueId()}`;
      await pub(v, topic, ['-q', '1', '-r', '-m', 'first']);
      await pub(v, topic, ['-q', '1', '-r', '-m', 'kept']); // replaces the first [MQTT-3.3.1-5]
      const s1 = await sub(v, topic, ['-q', '1']);
      const [m] = await messages(s1);
      assert.deepEqual({ payload: m!.payload, retain: m!.retain, qos: m!.qos }, { payload: 'kept', retain: 1, qos: 1 });

      await pub(v, topic, ['-q', '1', '-r', '-n']); // zero-byte retained message: delete
      const s2 = await sub(v, topic, ['-q', '1']);
      await pub(v, topic, ['-q', '1', '-m', 'live']);
      const [first] = await messages(s2);
      // nothing retained came before the live message, and a live message has RETAIN=0
      assert.deepEqual({ payload: first!.payload, retain: first!.retain }, { payload: 'live', retain: 0 });
    });

    it(`${v}: the will of a mosquitto_sub killed with SIGKILL is published [MQTT-3.1.2-8]`, async () => {
      const willTopic = `mosq/${v}/will/${uniqueId()}`;
      const watcher = await sub(v, willTopic, ['-q', '1']);
      const victim = await sub(v, `mosq/${v}/idle/${uniqueId()}`, [
        '--will-topic',
        willTopic,
        '--will-payload',
        `gone-${v}`,
        '--will-qos',
        '1',
      ]);
      victim.proc.kill('SIGKILL');
      const [m] = await messages(watcher);
      assert.deepEqual(
        { payload: m!.payload, qos: m!.qos, topic: m!.topic },
        { payload: `gone-${v}`, qos: 1, topic: willTopic },
      );
    });

    it(`${v}: no will after a normal DISCONNECT [MQTT-3.14.4-3] [MQTT-3.1.2-10]`, async () => {
      const willTopic = `mosq/${v}/nowill/${uniqueId()}`;
      const watcher = await sub(v, willTopic, ['-q', '1']);
      const ownTopic = `mosq/${v}/own/${uniqueId()}`;
      const leaver = await sub(v, ownTopic, ['--will-topic', willTopic, '--will-payload', 'should-not-arrive']);
      await pub(v, ownTopic, ['-m', 'bye']); // -C 1: it exits after this, with DISCONNECT
      assert.equal((await leaver.exited()).code, 0);
      assert.ok(
        leaver.lines.some((l) => l.includes('sending DISCONNECT')),
        leaver.lines.join('\n'),
      );
      await pub(v, willTopic, ['-q', '1', '-m', 'marker']);
      const [first] = await messages(watcher);
      assert.equal(first!.payload, 'marker');
    });
  }

  it('mqttv31 publisher to mqttv5 subscriber and mqttv5 publisher to mqttv31 subscriber', async () => {
    const topic = `mosq/cross/${uniqueId()}`;
    const s5 = await sub('mqttv5', topic, ['-q', '2']);
    await pub('mqttv31', topic, ['-q', '2', '-m', 'from-31']);
    assert.deepEqual(
      (await messages(s5)).map((m) => [m.payload, m.qos]),
      [['from-31', 2]],
    );
    const s31 = await sub('mqttv31', topic, ['-q', '2']);
    // v5 properties are simply not carried to a 3.1 client
    await pub('mqttv5', topic, ['-q', '2', '-m', 'from-5', '-D', 'publish', 'user-property', 'k', 'v']);
    assert.deepEqual(
      (await messages(s31)).map((m) => [m.payload, m.qos]),
      [['from-5', 2]],
    );
  });

  it('mqttv5: user properties set with -D publish user-property arrive unaltered and in order [MQTT-3.3.2-17] [MQTT-3.3.2-18]', async () => {
    const topic = `mosq/v5/props/${uniqueId()}`;
    const s = mosquitto('mosquitto_sub', [
      ...common('mqttv5'),
      '-t',
      topic,
      '-q',
      '1',
      '-C',
      '1',
      '-W',
      '10',
      '-d',
      '-F',
      'PROPS %P|%p',
    ]);
    await s.line((l) => l.startsWith('Subscribed (mid'), 5000, 'SUBACK');
    await pub('mqttv5', topic, [
      '-q',
      '1',
      '-m',
      'with-props',
      ...['-D', 'publish', 'user-property', 'site', 'paris'],
      ...['-D', 'publish', 'user-property', 'unit', 'C'],
      ...['-D', 'publish', 'user-property', 'site', 'lyon'],
    ]);
    assert.equal((await s.exited()).code, 0);
    const line = s.lines.find((l) => l.startsWith('PROPS '));
    // a repeated name stays, in place
    assert.equal(line, 'PROPS site:paris unit:C site:lyon|with-props');
  });

  it('mqttv5: content type, response topic, correlation data and payload format are forwarded unaltered [MQTT-3.3.2-20] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-4]', async () => {
    const topic = `mosq/v5/req/${uniqueId()}`;
    const s = await sub('mqttv5', topic, ['-q', '2']);
    await pub('mqttv5', topic, [
      '-q',
      '2',
      '-m',
      '{"ask":1}',
      ...['-D', 'publish', 'content-type', 'application/json'],
      ...['-D', 'publish', 'response-topic', `${topic}/reply`],
      ...['-D', 'publish', 'correlation-data', 'req-42'],
      ...['-D', 'publish', 'payload-format-indicator', '1'],
    ]);
    const [m] = await messages(s);
    assert.equal(m!.payload, '{"ask":1}');
    assert.deepEqual(
      {
        ct: m!.properties?.['content-type'],
        rt: m!.properties?.['response-topic'],
        cd: m!.properties?.['correlation-data'],
        pfi: m!.properties?.['payload-format-indicator'],
      },
      { ct: 'application/json', rt: `${topic}/reply`, cd: 'req-42', pfi: 1 },
    );
  });

  it('mqttv5: a retained message keeps counting down its message expiry interval [MQTT-3.3.2-6]', async () => {
    const topic = `mosq/v5/expiry/${uniqueId()}`;
    await pub('mqttv5', topic, ['-q', '1', '-r', '-m', 'exp', '-D', 'publish', 'message-expiry-interval', '100']);
    const s = await sub('mqttv5', topic, ['-q', '1']);
    const [m] = await messages(s);
    const left = m!.properties?.['message-expiry-interval'];
    assert.equal(typeof left, 'number', JSON.stringify(m));
    assert.ok((left as number) <= 100 && (left as number) >= 95, `remaining expiry ${String(left)}`);
  });

  it('mqttv5: a retained message whose expiry interval has passed is not delivered [MQTT-3.3.2-5]', async () => {
    const topic = `mosq/v5/expired/${uniqueId()}`;
    await pub('mqttv5', topic, ['-q', '1', '-r', '-m', 'old', '-D', 'publish', 'message-expiry-interval', '1']);
    await new Promise((r) => setTimeout(r, 1100));
    const s = await sub('mqttv5', topic, ['-q', '1']);
    await pub('mqttv5', topic, ['-q', '1', '-m', 'fresh']);
    const [m] = await messages(s);
    assert.equal(m!.payload, 'fresh');
  });

  it('mqttv5: a subscription identifier (-D subscribe subscription-identifier) comes back on the message [MQTT-3.3.4-3]', async () => {
    const topic = `mosq/v5/subid/${uniqueId()}`;
    const s = await sub('mqttv5', topic, ['-q', '1', '-D', 'subscribe', 'subscription-identifier', '42']);
    await pub('mqttv5', topic, ['-q', '1', '-m', 'id']);
    const [m] = await messages(s);
    const ids = m!.properties?.['subscription-identifier'];
    assert.ok(ids === 42 || (Array.isArray(ids) && ids.includes(42)), JSON.stringify(m));
  });
});
