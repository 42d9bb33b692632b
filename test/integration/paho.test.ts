// Interoperability with Eclipse Paho (Debian's python3-paho-mqtt, run by /usr/bin/python3) over
// MQTT 3.1, 3.1.1 and 5.0: connect, subscribe, publish at QoS 0/1/2 and receive, sessions, wills,
// and MQTT 5 properties. The Python side is test/fixtures/paho_client.py, driven by JSON lines.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { killLeftovers, spawnChild, type Child } from '../helpers/child.js';
import { connect, uniqueId, until } from '../helpers/clients.js';

const SCRIPT = fileURLToPath(new URL('../../../test/fixtures/paho_client.py', import.meta.url));
// Debian's interpreter, where python3-paho-mqtt is installed (not whatever python3 is first on PATH)
const PYTHON = '/usr/bin/python3';

type PahoVersion = 3 | 4 | 5;
const NAMES: Record<PahoVersion, string> = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5.0' };

interface PahoEvent {
  event: string;
  [field: string]: unknown;
}

interface PahoMessage extends PahoEvent {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  properties: Record<string, unknown>;
}

/** One paho client in its own Python process. */
class Paho {
  readonly child: Child;
  constructor() {
    this.child = spawnChild(PYTHON, [SCRIPT], { timeoutMs: 30_000 });
  }

  events(name?: string): PahoEvent[] {
    return this.child.lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as PahoEvent)
      .filter((e) => name === undefined || e.event === name);
  }

  messages(): PahoMessage[] {
    return this.events('message') as PahoMessage[];
  }

  send(cmd: Record<string, unknown>): void {
    this.child.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Wait until n events of this kind have arrived; fails at once if the script reported an error. */
  async wait(name: string, n = 1, ms = 5000): Promise<PahoEvent[]> {
    await until(
      () => {
        const errors = this.events('error');
        if (errors.length) throw new Error(`paho script error: ${JSON.stringify(errors)}`);
        return this.events(name).length >= n;
      },
      ms,
      `${n} paho "${name}" event(s); got ${this.child.lines.join('\n')} ${this.child.stderr()}`,
    );
    return this.events(name);
  }

  async connect(port: number, opts: Record<string, unknown>): Promise<PahoEvent> {
    this.send({ cmd: 'connect', port, ...opts });
    const acks = await this.wait('connack', this.events('connack').length + 1);
    return acks[acks.length - 1]!;
  }

  async subscribe(topic: string, qos: number, extra: Record<string, unknown> = {}): Promise<number[]> {
    const n = this.events('suback').length + 1;
    this.send({ cmd: 'subscribe', topic, qos, ...extra });
    const acks = await this.wait('suback', n);
    return acks[n - 1]!.granted as number[];
  }

  async close(): Promise<void> {
    this.send({ cmd: 'disconnect' });
    await this.wait('closed');
    this.child.proc.stdin!.end();
    await this.child.exited();
  }
}

/** A client id that MQTT 3.1 accepts (1 to 23 characters). */
function shortId(prefix: string): string {
  return `${prefix}${Math.random().toString(36).slice(2, 12)}`.slice(0, 23);
}

describe('Eclipse Paho (python3-paho-mqtt)', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(async () => {
    killLeftovers();
    await b.stop();
  });

  it('runs with the Debian paho-mqtt package', async () => {
    const p = new Paho();
    const [ready] = await p.wait('ready');
    assert.match(String(ready!.paho), /^\d+\.\d+/);
    await p.close();
  });

  for (const version of [3, 4, 5] as const) {
    const name = NAMES[version];

    it(`${name}: connects, subscribes at QoS 2, publishes QoS 0/1/2 and receives each once at its QoS [MQTT-3.3.4-1] [MQTT-3.8.4-8]`, async () => {
      const p = new Paho();
      const ack = await p.connect(b.port, { version, client_id: shortId(`p${version}`) });
      assert.equal(ack.rc, 0);
      assert.equal(ack.session_present, false);
      const topic = `paho/v${version}/${uniqueId()}`;
      assert.deepEqual(await p.subscribe(topic, 2), [2]);
      for (const qos of [0, 1, 2]) p.send({ cmd: 'publish', topic, payload: `q${qos}`, qos });
      // on_publish fires for QoS 1 on PUBACK and for QoS 2 on PUBCOMP
      await p.wait('published', 3);
      const got = await p.wait('message', 3);
      assert.deepEqual((got as PahoMessage[]).map((m) => [m.payload, m.qos, m.retain, m.dup]).sort(), [
        ['q0', 0, false, false],
        ['q1', 1, false, false],
        ['q2', 2, false, false],
      ]);
      await p.close();
      assert.equal(p.messages().length, 3, 'a message arrived twice');
    });

    it(`${name}: paho and MQTT.js exchange QoS 1 and 2 messages both ways`, async () => {
      const topic = `paho/x/v${version}/${uniqueId()}`;
      const p = new Paho();
      await p.connect(b.port, { version, client_id: shortId(`x${version}`) });
      await p.subscribe(`${topic}/to-paho`, 2);
      const js = await connect(b.port, { protocolVersion: 5 });
      await js.client.subscribeAsync(`${topic}/to-js`, { qos: 2 });
      await js.client.publishAsync(`${topic}/to-paho`, 'hello paho', { qos: 2 });
      await js.client.publishAsync(`${topic}/to-paho`, 'hello again', { qos: 1 });
      p.send({ cmd: 'publish', topic: `${topic}/to-js`, payload: 'hello js', qos: 2 });
      const got = (await p.wait('message', 2)) as PahoMessage[];
      // paho hands an inbound QoS 2 message to on_message only at PUBREL, so the QoS 1 one may
      // overtake it in the application: compare as a set
      assert.deepEqual(got.map((m) => [m.payload, m.qos]).sort(), [
        ['hello again', 1],
        ['hello paho', 2],
      ]);
      const [j] = await js.waitFor(1);
      assert.equal(j!.payload.toString(), 'hello js');
      assert.equal(j!.packet.qos, 2);
      await p.close();
      await js.end();
    });

    it(`${name}: a retained message reaches a later paho subscriber with the RETAIN flag [MQTT-3.3.1-5] [MQTT-3.3.1-8]`, async () => {
      const topic = `paho/r/v${version}/${uniqueId()}`;
      const pub = new Paho();
      await pub.connect(b.port, { version, client_id: shortId(`r${version}`) });
      pub.send({ cmd: 'publish', topic, payload: 'stored', qos: 1, retain: true });
      await pub.wait('published');
      const sub = new Paho();
      await sub.connect(b.port, { version, client_id: shortId(`s${version}`) });
      await sub.subscribe(topic, 1);
      const [m] = (await sub.wait('message')) as PahoMessage[];
      assert.deepEqual([m!.payload, m!.qos, m!.retain], ['stored', 1, true]);
      pub.send({ cmd: 'publish', topic, payload: '', qos: 1, retain: true }); // clean up
      await pub.wait('published', 2);
      await pub.close();
      await sub.close();
    });

    it(`${name}: a persistent paho session gets the QoS 1 messages published while it was offline [MQTT-3.2.2-2] [MQTT-4.4.0-1]`, async () => {
      const topic = `paho/s/v${version}/${uniqueId()}`;
      const clientId = shortId(`q${version}`);
      // v5: Clean Start 0 and a Session Expiry Interval; 3.x: Clean Session 0
      const session = version === 5 ? { clean: false, properties: { SessionExpiryInterval: 60 } } : { clean: false };
      const p1 = new Paho();
      await p1.connect(b.port, { version, client_id: clientId, ...session });
      await p1.subscribe(topic, 1);
      await p1.close();

      const js = await connect(b.port, { protocolVersion: 4 });
      await js.client.publishAsync(topic, 'while-away', { qos: 1 });
      await js.end();

      const p2 = new Paho();
      const ack = await p2.connect(b.port, { version, client_id: clientId, ...session });
      assert.equal(ack.session_present, true);
      const [m] = (await p2.wait('message')) as PahoMessage[];
      assert.deepEqual([m!.payload, m!.qos], ['while-away', 1]);
      await p2.close();
    });

    it(`${name}: the will of a paho client killed with SIGKILL is published [MQTT-3.1.2-8]`, async () => {
      const willTopic = `paho/w/v${version}/${uniqueId()}`;
      const watcher = await connect(b.port, { protocolVersion: 5 });
      await watcher.client.subscribeAsync(willTopic, { qos: 1 });
      const p = new Paho();
      await p.connect(b.port, {
        version,
        client_id: shortId(`w${version}`),
        will: { topic: willTopic, payload: `paho-v${version}-died`, qos: 1 },
      });
      p.child.proc.kill('SIGKILL');
      const [m] = await watcher.waitFor(1);
      assert.equal(m!.payload.toString(), `paho-v${version}-died`);
      assert.equal(m!.packet.qos, 1);
      await watcher.end();
    });
  }

  describe('MQTT 5.0 only', () => {
    it('assigns a client identifier when paho connects with an empty one [MQTT-3.2.2-16], and says what the broker supports', async () => {
      const p = new Paho();
      const ack = await p.connect(b.port, { version: 5, client_id: '' });
      assert.equal(ack.rc, 0);
      const props = ack.properties as Record<string, unknown>;
      assert.equal(typeof props.AssignedClientIdentifier, 'string');
      assert.ok((props.AssignedClientIdentifier as string).length > 0);
      assert.equal(props.ReceiveMaximum, b.broker.config.limits.receive_maximum);
      assert.equal(props.MaximumPacketSize, b.broker.config.limits.max_packet_size);
      await p.close();
    });

    it('forwards paho publish properties unaltered, user properties in order, with the subscription identifier [MQTT-3.3.2-15..18] [MQTT-3.3.2-20] [MQTT-3.3.4-3]', async () => {
      const topic = `paho/v5/props/${uniqueId()}`;
      const sub = new Paho();
      await sub.connect(b.port, { version: 5, client_id: shortId('ps') });
      await sub.subscribe(topic, 2, { properties: { SubscriptionIdentifier: 77 } });
      const pub = new Paho();
      await pub.connect(b.port, { version: 5, client_id: shortId('pp') });
      const userProps = [
        ['site', 'paris'],
        ['unit', '°C'],
        ['site', 'lyon'],
      ];
      pub.send({
        cmd: 'publish',
        topic,
        payload: '21.5',
        qos: 2,
        properties: {
          UserProperty: userProps,
          ContentType: 'text/plain',
          ResponseTopic: `${topic}/reply`,
          CorrelationData: 'corr-1',
          PayloadFormatIndicator: 1,
          MessageExpiryInterval: 120,
        },
      });
      const [m] = (await sub.wait('message')) as PahoMessage[];
      assert.equal(m!.payload, '21.5');
      assert.equal(m!.qos, 2);
      const p = m!.properties;
      assert.deepEqual(p.UserProperty, userProps);
      assert.equal(p.ContentType, 'text/plain');
      assert.equal(p.ResponseTopic, `${topic}/reply`);
      assert.equal(p.CorrelationData, 'corr-1');
      assert.equal(p.PayloadFormatIndicator, 1);
      assert.ok((p.MessageExpiryInterval as number) <= 120 && (p.MessageExpiryInterval as number) > 110);
      assert.deepEqual(p.SubscriptionIdentifier, [77]);
      await pub.close();
      await sub.close();
    });

    it('honours No Local from paho subscription options [MQTT-3.8.3-3]', async () => {
      const topic = `paho/v5/nolocal/${uniqueId()}`;
      const p = new Paho();
      await p.connect(b.port, { version: 5, client_id: shortId('nl') });
      await p.subscribe(topic, 1, { options: { noLocal: true } });
      p.send({ cmd: 'publish', topic, payload: 'own', qos: 1 });
      await p.wait('published');
      const js = await connect(b.port, { protocolVersion: 5 });
      await js.client.publishAsync(topic, 'other', { qos: 1 });
      const [m] = (await p.wait('message')) as PahoMessage[];
      // its own message would have come first: PUBACK came before the other client published
      assert.equal(m!.payload, 'other');
      await js.end();
      await p.close();
      assert.deepEqual(
        p.messages().map((x) => x.payload),
        ['other'],
      );
    });

    it('honours Retain Handling 2 and Retain As Published from paho [MQTT-3.3.1-11] [MQTT-3.3.1-13]', async () => {
      const topic = `paho/v5/rh/${uniqueId()}`;
      const js = await connect(b.port, { protocolVersion: 5 });
      await js.client.publishAsync(topic, 'retained', { qos: 1, retain: true });
      const p = new Paho();
      await p.connect(b.port, { version: 5, client_id: shortId('rh') });
      await p.subscribe(topic, 1, { options: { retainHandling: 2, retainAsPublished: true } });
      await js.client.publishAsync(topic, 'live-retained', { qos: 1, retain: true });
      const [m] = (await p.wait('message')) as PahoMessage[];
      // no retained message on subscribe; the live one keeps RETAIN=1 as published
      assert.deepEqual([m!.payload, m!.retain], ['live-retained', true]);
      await js.client.publishAsync(topic, '', { qos: 1, retain: true });
      await js.end();
      await p.close();
    });
  });
});
