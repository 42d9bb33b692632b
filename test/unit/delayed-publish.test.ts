// The parts of delayed publish that need no broker: reading `$delayed/{seconds}/{topic}`, the ids
// (their order is due-time order), the heap that hands out the earliest, and the stored record
// (payload, properties and the original timestamp, so the expiry still counts from publication).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMessage } from '../../src/server/message.js';
import { DelayedHeap } from '../../src/server/features/delayed-heap.js';
import { parseDelayedTopic } from '../../src/server/features/delayed-publish.js';
import { decodeDelayed, delayedId, encodeDelayed, sequenceOf } from '../../src/server/features/delayed-record.js';

describe('delayed publish', () => {
  it('parseDelayedTopic: the delay and the destination (no leading-slash quirk)', () => {
    assert.deepEqual(parseDelayedTopic('$delayed/10/a/b', 100), { delaySeconds: 10, topic: 'a/b' });
    assert.deepEqual(parseDelayedTopic('$delayed/0/a', 100), { delaySeconds: 0, topic: 'a' });
    assert.deepEqual(parseDelayedTopic('$delayed/100//a', 100), { delaySeconds: 100, topic: '/a' });
    assert.deepEqual(parseDelayedTopic('$delayed/5/$SYS/x', 100), { delaySeconds: 5, topic: '$SYS/x' });
  });

  it('parseDelayedTopic: refusals say why', () => {
    const why = (t: string) => {
      const r = parseDelayedTopic(t, 100);
      assert.ok('error' in r, `${t} accepted`);
      return r.error;
    };
    assert.match(why('$delayed/abc/a'), /not a whole, non-negative number/);
    assert.match(why('$delayed/-1/a'), /not a whole/);
    assert.match(why('$delayed/1e2/a'), /not a whole/);
    assert.match(why('$delayed//a'), /not a whole/);
    assert.match(why('$delayed/10'), /destination topic is missing/);
    assert.match(why('$delayed/10/'), /empty/);
    assert.match(why('$delayed/101/a'), /above delayed.max_delay_s \(100 s\)/);
    assert.match(why('$delayed/1/a/+'), /wildcard/);
    assert.match(why('$delayed/1/$delayed/2/a'), /is a delayed topic/);
  });

  it('ids sort by due time, then sequence; the heap gives the earliest first', () => {
    assert.equal(delayedId(1767225600000, 42), '1767225600000-000042');
    assert.equal(sequenceOf('1767225600000-000042'), 42);
    assert.ok(delayedId(999, 5) < delayedId(1000, 0));
    const heap = new DelayedHeap<{ id: string }>();
    const ids = [5, 1, 9, 3, 3, 7, 0, 2].map((due, i) => delayedId(due * 1000, i));
    for (const id of ids) heap.push({ id });
    const out: string[] = [];
    for (let e = heap.pop(); e; e = heap.pop()) out.push(e.id);
    assert.deepEqual(out, [...ids].sort());
    heap.reset(ids.slice(0, 3).map((id) => ({ id })));
    assert.equal(heap.peek()!.id, ids[1]);
  });

  it('a record keeps payload, QoS, retain, properties, origin and the original timestamp', () => {
    const message = createMessage({
      topic: 'a/b',
      payload: Buffer.from([0, 0xff, 1]),
      qos: 2,
      retain: true,
      properties: {
        messageExpiryInterval: 60,
        correlationData: Buffer.from('cd'),
        userProperties: [['k', 'v']],
        contentType: 'x',
      },
      origin: 'pub-1',
      timestamp: 1_000_000,
    });
    const entry = { id: delayedId(1_010_000, 0), dueAt: 1_010_000, message };
    const back = decodeDelayed(entry.id, encodeDelayed(entry));
    assert.equal(back.dueAt, 1_010_000);
    assert.deepEqual(back.message, message);
    assert.equal(back.message.expiresAt, 1_060_000, 'the expiry counts from publication');
    assert.throws(() => decodeDelayed('x', '{"nope":1}'));
  });
});
