// $SYS/brokers/{node}/... statistics (src/server/features/sys-topics.ts): every value is published,
// retained, again each sys.interval, with plausible values that follow what clients do; topic
// filters starting with a wildcard do not match $SYS topics [MQTT-4.7.2-1]; sys.enabled=false.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, delay, uniqueId, until, type Received, type TestClient } from '../helpers/clients.js';

const NODE = 'sys-test-node';
const PREFIX = `$SYS/brokers/${NODE}/`;
const SUFFIXES = [
  'version',
  'uptime',
  'datetime',
  'clients/connected',
  'clients/total',
  'subscriptions/count',
  'retained/count',
  'messages/received',
  'messages/sent',
  'messages/dropped',
  'bytes/received',
  'bytes/sent',
];

/** The values a $SYS subscriber has seen for one suffix, oldest first. */
function values(c: TestClient, suffix: string, from = 0): string[] {
  return c.messages
    .slice(from)
    .filter((m) => m.topic === PREFIX + suffix)
    .map((m) => m.payload.toString());
}

/** Wait until a publication of `suffix` newer than message index `from` satisfies `ok`. */
async function waitValue(c: TestClient, suffix: string, ok: (v: string) => boolean, from = 0): Promise<string> {
  let found: string | undefined;
  await until(
    () => {
      found = values(c, suffix, from).find(ok);
      return found !== undefined;
    },
    10_000,
    `a ${suffix} value that fits`,
  );
  return found!;
}

const isCount = (v: string): boolean => /^\d+$/.test(v);

describe('$SYS topics', () => {
  let b: TestBroker;
  let sys: TestClient;
  const extra: TestClient[] = [];

  before(async () => {
    b = await startBroker({ node: { name: NODE }, sys: { enabled: true, interval: 1 } });
    sys = await connect(b.port);
    await sys.client.subscribeAsync(`${PREFIX}#`, { qos: 0 });
  });
  after(async () => {
    for (const c of extra) await c.end(true);
    await sys.end(true);
    await b.stop();
  });

  it('every statistic is there at once, retained, under $SYS/brokers/{node}/', async () => {
    await until(() => SUFFIXES.every((s) => values(sys, s).length > 0), 3000, 'all $SYS topics');
    const first = new Map<string, Received>();
    for (const m of sys.messages) if (!first.has(m.topic)) first.set(m.topic, m);
    for (const s of SUFFIXES) {
      const m = first.get(PREFIX + s)!;
      assert.equal(m.packet.retain, true, `${s} was published retained and sent on subscribe`);
    }
    assert.equal(values(sys, 'version')[0], b.broker.version);
    assert.ok(isCount(values(sys, 'uptime')[0]!));
    const dt = Date.parse(values(sys, 'datetime')[0]!);
    assert.ok(Number.isFinite(dt) && Math.abs(dt - Date.now()) < 60_000, 'datetime is a current ISO date');
    for (const s of SUFFIXES.slice(3)) assert.ok(isCount(values(sys, s)[0]!), `${s} is a count`);
  });

  it('is published again every sys.interval, with uptime and datetime moving on', async () => {
    const from = sys.messages.length;
    await until(() => values(sys, 'datetime', from).length >= 2, 10_000, 'two more publications');
    const [d1, d2] = values(sys, 'datetime', from).map(Date.parse);
    assert.ok(d2! > d1!, 'datetime increases');
    const gap = d2! - d1!;
    assert.ok(gap >= 500, `not faster than the interval (${gap} ms apart)`);
    const live = sys.messages.slice(from).filter((m) => m.topic === `${PREFIX}uptime`);
    assert.ok(
      live.every((m) => m.packet.retain === false),
      'live publications are not flagged retained',
    );
    const uptimes = values(sys, 'uptime', from).map(Number);
    assert.ok(uptimes[uptimes.length - 1]! >= 1);
  });

  it('clients/connected counts the connected clients and follows them', async () => {
    // the $SYS subscriber is the only client now
    let from = sys.messages.length;
    await waitValue(sys, 'clients/connected', (v) => v === '1', from);
    for (let i = 0; i < 3; i++) extra.push(await connect(b.port, { protocolVersion: i === 0 ? 5 : 4 }));
    from = sys.messages.length;
    await waitValue(sys, 'clients/connected', (v) => v === '4', from);
    const total = Number(await waitValue(sys, 'clients/total', isCount, from));
    assert.ok(total >= 4, `clients/total ${total}`);
    await extra.pop()!.end();
    await extra.pop()!.end();
    from = sys.messages.length;
    await waitValue(sys, 'clients/connected', (v) => v === '2', from);
  });

  it('messages/received and bytes/received grow with what clients publish', async () => {
    const from = sys.messages.length;
    const received0 = Number(await waitValue(sys, 'messages/received', isCount, from));
    const bytes0 = Number(values(sys, 'bytes/received', from).at(-1) ?? '0');
    const pub = await connect(b.port);
    extra.push(pub);
    for (let i = 0; i < 5; i++) await pub.client.publishAsync(`sys/${uniqueId()}`, 'x'.repeat(100), { qos: 1 });
    const next = sys.messages.length;
    const received1 = Number(await waitValue(sys, 'messages/received', (v) => Number(v) >= received0 + 5, next));
    assert.ok(received1 >= received0 + 5);
    const bytes1 = Number(await waitValue(sys, 'bytes/received', (v) => Number(v) >= bytes0 + 500, next));
    assert.ok(bytes1 >= bytes0 + 500);
    // the $SYS subscriber itself is getting messages all along
    const sent = values(sys, 'messages/sent', next).map(Number);
    assert.ok(sent.length > 0 && sent.at(-1)! > 0);
  });

  it('subscriptions/count and retained/count follow subscribe and retain', async () => {
    let from = sys.messages.length;
    const subs0 = Number(await waitValue(sys, 'subscriptions/count', isCount, from));
    const retained0 = Number(await waitValue(sys, 'retained/count', isCount, from));
    // the $SYS values are retained messages themselves
    assert.ok(retained0 >= SUFFIXES.length, `retained/count ${retained0}`);
    const c = await connect(b.port);
    extra.push(c);
    const t = `sys/${uniqueId()}`;
    await c.client.subscribeAsync([`${t}/a`, `${t}/b`], { qos: 0 });
    await c.client.publishAsync(`${t}/kept`, 'r', { qos: 1, retain: true });
    from = sys.messages.length;
    await waitValue(sys, 'subscriptions/count', (v) => Number(v) === subs0 + 2, from);
    await waitValue(sys, 'retained/count', (v) => Number(v) === retained0 + 1, from);
    await c.client.publishAsync(`${t}/kept`, '', { qos: 1, retain: true });
  });

  it("filters starting with '#' or '+' do not match $SYS topics [MQTT-4.7.2-1]", async () => {
    const wild = await connect(b.port, { protocolVersion: 5 });
    extra.push(wild);
    await wild.client.subscribeAsync(['#', '+/brokers/#', `+/brokers/${NODE}/uptime`], { qos: 0 });
    const dollar = await connect(b.port);
    extra.push(dollar);
    await dollar.client.subscribeAsync(['$SYS/#'], { qos: 0 });
    const from = sys.messages.length;
    // the wait is long for a loaded machine (publications come every second): what is checked is what matches
    await until(() => values(sys, 'uptime', from).length >= 2, 10_000, 'two $SYS publications');
    const marker = `sys/${uniqueId()}`;
    await wild.client.publishAsync(marker, 'visible', { qos: 1 });
    await wild.waitFor(1);
    assert.deepEqual(
      wild.messages.map((m) => m.topic),
      [marker],
      'only the normal topic matched the wildcards',
    );
    assert.ok(
      dollar.messages.some((m) => m.topic === `${PREFIX}uptime`),
      "'$SYS/#' does match them",
    );
    await delay(50);
  });
});

describe('$SYS topics disabled', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({ sys: { enabled: false, interval: 1 } });
  });
  after(() => b.stop());

  it('sys.enabled=false publishes nothing under $SYS', async () => {
    const c = await connect(b.port);
    await c.client.subscribeAsync('$SYS/#', { qos: 0 });
    await delay(1300);
    assert.equal(c.messages.length, 0);
    assert.equal(b.broker.retained.size, 0);
    await c.end();
  });
});
