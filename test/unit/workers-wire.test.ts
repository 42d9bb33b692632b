// The pieces of worker mode that need no processes: reading the client id from the first bytes of a
// connection (whole, split, v5 properties, not a CONNECT), the frames workers exchange (a PUBLISH
// with every field, split across reads), and the trie's route announcements.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { createMessage } from '../../src/server/message.js';
import { TopicTrie } from '../../src/server/routing/topic-trie.js';
import type { Subscription } from '../../src/server/routing/subscription.js';
import { ownerOf, peekConnect } from '../../src/server/workers/client-owner.js';
import {
  encodePublish,
  encodeRoute,
  FLAG_DIRECT,
  FrameSplitter,
  FrameType,
  type MeshFrame,
} from '../../src/server/workers/mesh-codec.js';

function connectBytes(clientId: string, protocolVersion: 3 | 4 | 5): Buffer {
  return mqttPacket.generate(
    {
      cmd: 'connect',
      protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion,
      clientId,
      clean: true,
      keepalive: 30,
      username: 'u',
      password: Buffer.from('p'),
      will: { topic: 'w', payload: Buffer.from('x'), qos: 1, retain: false },
      properties: protocolVersion === 5 ? { sessionExpiryInterval: 10, userProperties: { a: 'b' } } : undefined,
    },
    { protocolVersion },
  );
}

describe('peekConnect', () => {
  for (const v of [3, 4, 5] as const) {
    it(`reads the client id of a v${v} CONNECT as soon as its bytes are there, not waiting for the rest`, () => {
      const bytes = connectBytes('clé-42', v);
      assert.deepEqual(peekConnect(bytes), { kind: 'connect', clientId: 'clé-42' });
      const idEnd = bytes.indexOf(Buffer.from('clé-42')) + Buffer.byteLength('clé-42');
      for (let cut = 0; cut <= bytes.length; cut++) {
        const expected = cut < idEnd ? { kind: 'partial' } : { kind: 'connect', clientId: 'clé-42' };
        assert.deepEqual(peekConnect(bytes.subarray(0, cut)), expected, `cut ${cut}`);
      }
    });
  }

  it('a CONNECT that declares a large body is read up to its id, without the rest', () => {
    const head = connectBytes('big-one', 4);
    // Remaining Length 1,000,000 (3 bytes), then the same variable header and id
    const body = head.subarray(2);
    const declared = Buffer.from([0x10, 0xc0, 0x84, 0x3d]);
    assert.deepEqual(peekConnect(Buffer.concat([declared, body])), { kind: 'connect', clientId: 'big-one' });
  });

  it('an empty client id is read as empty (the server assigns one)', () => {
    assert.deepEqual(peekConnect(connectBytes('', 5)), { kind: 'connect', clientId: '' });
  });

  it('a first packet that is not a CONNECT, or a CONNECT too short for its fields, is "other"', () => {
    assert.deepEqual(peekConnect(Buffer.from([0x30, 0x02, 0x00, 0x00])), { kind: 'other' });
    assert.deepEqual(peekConnect(Buffer.from([0x10, 0x02, 0x00, 0x04])), { kind: 'other' });
    assert.deepEqual(peekConnect(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])), { kind: 'other' });
  });

  it('ownerOf spreads ids over the workers and is stable', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[ownerOf(`client-${i}`, 3)]!++;
    for (const c of counts) assert.ok(c > 800 && c < 1200, `${counts.join(',')}`);
    assert.equal(ownerOf('abc', 4), ownerOf('abc', 4));
  });
});

describe('mesh frames', () => {
  it('a forwarded PUBLISH keeps every field, split over reads at every byte', () => {
    const message = createMessage({
      topic: 'a/b/ü',
      payload: Buffer.from('payload bytes'),
      qos: 2,
      retain: true,
      properties: {
        contentType: 'text/plain',
        messageExpiryInterval: 30,
        correlationData: Buffer.from([1, 2, 3]),
        userProperties: [
          ['k', 'v1'],
          ['k', 'v2'],
        ],
        payloadFormatIndicator: 1,
        responseTopic: 'r/t',
      },
      origin: 'publisher-1',
    });
    const header = encodePublish({ flags: FLAG_DIRECT, groups: ['$share/g/a/+', '$share/h/#'], message });
    const bytes = Buffer.concat([header, encodeRoute(FrameType.ROUTE_ADD, 'x/#')]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const frames: MeshFrame[] = [];
      const splitter = new FrameSplitter();
      splitter.push(bytes.subarray(0, cut), (f) => frames.push(f));
      splitter.push(bytes.subarray(cut), (f) => frames.push(f));
      assert.equal(frames.length, 2);
      const f = frames[0]!;
      assert.equal(f.type, FrameType.PUBLISH);
      if (f.type !== FrameType.PUBLISH) return;
      assert.equal(f.flags, FLAG_DIRECT);
      assert.deepEqual(f.groups, ['$share/g/a/+', '$share/h/#']);
      assert.deepEqual(f.message, message);
      assert.deepEqual(frames[1], { type: FrameType.ROUTE_ADD, filter: 'x/#' });
    }
  });

  it('frames fed one byte at a time, and a large frame over many reads, come out whole and in order', () => {
    const big = createMessage({ topic: 'big', payload: Buffer.alloc(300_000, 7), qos: 1, retain: false, origin: 'o' });
    const small = createMessage({ topic: 's', payload: Buffer.from('tiny'), qos: 0, retain: false, origin: 'p' });
    const bytes = Buffer.concat([
      encodePublish({ flags: 0, groups: [], message: small }),
      encodePublish({ flags: FLAG_DIRECT, groups: [], message: big }),
      encodeRoute(FrameType.ROUTE_DEL, 'gone/#'),
      encodePublish({ flags: 0, groups: [], message: small }),
    ]);
    for (const step of [1, 3, 65_536]) {
      const frames: MeshFrame[] = [];
      const splitter = new FrameSplitter();
      // one byte at a time only over the first and last frames: the large one would take too long
      for (let p = 0; p < bytes.length;) {
        const n = step === 1 && p > 60 && p < bytes.length - 80 ? 4096 : step;
        splitter.push(bytes.subarray(p, p + n), (f) => frames.push(f));
        p += n;
      }
      assert.deepEqual(
        frames.map((f) => (f.type === FrameType.PUBLISH ? f.message.topic : f.type)),
        ['s', 'big', FrameType.ROUTE_DEL, 's'],
      );
      const bigFrame = frames[1]!;
      assert.ok(bigFrame.type === FrameType.PUBLISH && bigFrame.message.payload.equals(big.payload));
    }
  });

  it('a message without properties or expiry, and with an empty payload, comes back the same', () => {
    const message = createMessage({ topic: 't', payload: Buffer.alloc(0), qos: 0, retain: false, origin: '' });
    const frames: MeshFrame[] = [];
    new FrameSplitter().push(encodePublish({ flags: 0, groups: [], message }), (f) => frames.push(f));
    assert.deepEqual(frames, [{ type: FrameType.PUBLISH, flags: 0, groups: [], message }]);
  });
});

describe('TopicTrie route announcements', () => {
  const sub = (clientId: string, raw: string, filter: string, group?: string): Subscription => ({
    clientId,
    rawFilter: raw,
    filter,
    group,
    qos: 1,
    noLocal: false,
    retainAsPublished: false,
    retainHandling: 0,
  });

  it('tells when a filter gets its first subscriber and loses its last, and lists what is present', () => {
    const trie = new TopicTrie();
    const seen: string[] = [];
    trie.onRouteChange = (raw, present) => seen.push(`${present ? '+' : '-'}${raw}`);
    trie.add(sub('a', 'x/+', 'x/+'));
    trie.add(sub('b', 'x/+', 'x/+'));
    trie.add(sub('c', 'x/+', 'x/+'));
    trie.add(sub('a', '$share/g/x/+', 'x/+', 'g'));
    trie.add(sub('b', '$share/g/x/+', 'x/+', 'g'));
    trie.add(sub('a', 'y/#', 'y/#'));
    assert.deepEqual(trie.routes().sort(), ['$share/g/x/+', 'x/+', 'y/#']);
    trie.remove(sub('a', 'x/+', 'x/+'));
    trie.remove(sub('b', 'x/+', 'x/+'));
    trie.remove(sub('a', '$share/g/x/+', 'x/+', 'g'));
    assert.deepEqual(seen, ['+x/+', '+$share/g/x/+', '+y/#']);
    trie.remove(sub('c', 'x/+', 'x/+'));
    trie.remove(sub('b', '$share/g/x/+', 'x/+', 'g'));
    trie.remove(sub('a', 'y/#', 'y/#'));
    assert.deepEqual(seen, ['+x/+', '+$share/g/x/+', '+y/#', '-x/+', '-$share/g/x/+', '-y/#']);
    assert.deepEqual(trie.routes(), []);
  });
});
