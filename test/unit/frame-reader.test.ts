// Unit tests of the frame splitter (src/server/protocol/frame-reader.ts): whole packets out of a byte
// stream however it is chunked, the Remaining Length rules (at most 4 bytes [MQTT-1.5.5-1],
// 2.2.3 / 1.5.5), the Maximum Packet Size check made on the header alone, and nothing after an error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { FrameReader, variableHeaderOffset, type FrameError } from '../../src/server/protocol/frame-reader.js';
import { rng, varInt } from '../helpers/bytes.js';

interface Collected {
  frames: Buffer[];
  errors: Array<{ kind: FrameError; size?: number }>;
  reader: FrameReader;
}

function collect(max = 268_435_455): Collected {
  const frames: Buffer[] = [];
  const errors: Array<{ kind: FrameError; size?: number }> = [];
  const reader = new FrameReader(max, {
    // copy: a frame may be a view into a buffer the reader reuses
    onFrame: (f) => frames.push(Buffer.from(f)),
    onFrameError: (kind, size) => errors.push({ kind, size }),
  });
  return { frames, errors, reader };
}

function gen(p: Packet, protocolVersion = 4): Buffer {
  return mqttPacket.generate(p, { protocolVersion });
}

/** Small deterministic PRNG (mulberry32). */
const samples: Buffer[] = [
  gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'c1', keepalive: 30 }),
  gen({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false }),
  gen({
    cmd: 'publish',
    topic: 'big',
    payload: Buffer.alloc(200_000, 7),
    qos: 1,
    messageId: 9,
    retain: true,
    dup: false,
  }),
  gen({ cmd: 'pingreq' }),
  gen({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'x/#', qos: 1 }] }),
  gen({ cmd: 'puback', messageId: 9 }),
  gen({ cmd: 'publish', topic: 'm', payload: Buffer.alloc(127, 1), qos: 0, retain: false, dup: false }),
  gen({ cmd: 'publish', topic: 'm', payload: Buffer.alloc(16_384, 2), qos: 0, retain: false, dup: false }),
  gen({ cmd: 'disconnect' }),
];
const stream = Buffer.concat(samples);

describe('FrameReader: splitting a stream into packets', () => {
  it('emits every packet of one chunk, byte for byte', () => {
    const c = collect();
    c.reader.push(stream);
    assert.equal(c.errors.length, 0);
    assert.deepEqual(c.frames, samples);
  });

  it('emits the same packets when the stream arrives one byte at a time', () => {
    const c = collect();
    for (let i = 0; i < stream.length; i++) c.reader.push(stream.subarray(i, i + 1));
    assert.equal(c.errors.length, 0);
    assert.deepEqual(c.frames, samples);
  });

  it('emits the same packets for random chunk boundaries (200 seeded splits)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const c = collect();
      let off = 0;
      while (off < stream.length) {
        // mostly small chunks, sometimes large ones, so headers and bodies both get cut
        const n = r() < 0.8 ? 1 + Math.floor(r() * 8) : 1 + Math.floor(r() * 70_000);
        c.reader.push(stream.subarray(off, off + n));
        off += n;
      }
      assert.equal(c.errors.length, 0, `seed ${seed}`);
      assert.deepEqual(c.frames, samples, `seed ${seed}`);
    }
  });

  it('holds back a partial packet until the rest arrives', () => {
    const c = collect();
    const p = samples[1]!;
    c.reader.push(p.subarray(0, p.length - 1));
    assert.equal(c.frames.length, 0);
    c.reader.push(p.subarray(p.length - 1));
    assert.deepEqual(c.frames, [p]);
  });

  it('accepts a zero-length Remaining Length (PINGREQ, DISCONNECT)', () => {
    const c = collect();
    c.reader.push(Buffer.from([0xc0, 0x00, 0xe0, 0x00]));
    assert.deepEqual(c.frames, [Buffer.from([0xc0, 0x00]), Buffer.from([0xe0, 0x00])]);
  });

  it('decodes the largest 4-byte Remaining Length boundaries (127, 128, 16383, 16384) correctly', () => {
    for (const len of [127, 128, 16_383, 16_384, 2_097_151, 2_097_152]) {
      const c = collect();
      const body = Buffer.alloc(len, 0x41);
      const header = Buffer.from(varInt(len));
      const frame = Buffer.concat([Buffer.from([0x30]), header, body]);
      c.reader.push(frame);
      assert.equal(c.errors.length, 0, `length ${len}`);
      assert.equal(c.frames.length, 1, `length ${len}`);
      assert.equal(c.frames[0]!.length, frame.length, `length ${len}`);
    }
  });
});

describe('FrameReader: bad Remaining Length and Maximum Packet Size', () => {
  it('a Remaining Length with a 5th continuation byte is malformed [MQTT-1.5.5-1] (at most 4 bytes)', () => {
    const c = collect();
    c.reader.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
    assert.deepEqual(c.errors, [{ kind: 'malformed-length', size: undefined }]);
    assert.equal(c.frames.length, 0);
  });

  it('detects the malformed length even when its bytes arrive one at a time', () => {
    const c = collect();
    for (const b of [0x30, 0x80, 0x80, 0x80]) c.reader.push(Buffer.from([b]));
    assert.equal(c.errors.length, 0, 'four bytes so far: not yet decidable');
    c.reader.push(Buffer.from([0x80]));
    assert.equal(c.errors.length, 1);
    assert.equal(c.errors[0]!.kind, 'malformed-length');
  });

  it('the largest legal Remaining Length (268,435,455 = ff ff ff 7f) is not malformed, only too large', () => {
    const c = collect(1024);
    c.reader.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    assert.deepEqual(c.errors, [{ kind: 'too-large', size: 1 + 4 + 268_435_455 }]);
  });

  it('refuses a packet above the maximum as soon as its header is in, before the body arrives', () => {
    const c = collect(1000);
    // header announces 2000 bytes; only the header is sent
    c.reader.push(Buffer.from([0x30, ...varInt(2000)]));
    assert.deepEqual(c.errors, [{ kind: 'too-large', size: 1 + 2 + 2000 }]);
  });

  it('the maximum counts the whole packet (fixed header included): exactly max passes, max + 1 fails', () => {
    const max = 200;
    const ok = collect(max);
    // 1 (type) + 2 (remaining length 197 needs 2 bytes) + 197 = 200
    ok.reader.push(Buffer.concat([Buffer.from([0x30, ...varInt(197)]), Buffer.alloc(197)]));
    assert.equal(ok.errors.length, 0);
    assert.equal(ok.frames.length, 1);
    const tooBig = collect(max);
    tooBig.reader.push(Buffer.concat([Buffer.from([0x30, ...varInt(198)]), Buffer.alloc(198)]));
    assert.deepEqual(tooBig.errors, [{ kind: 'too-large', size: 201 }]);
    assert.equal(tooBig.frames.length, 0);
  });

  it('setMaxPacketSize changes the limit for later packets', () => {
    const c = collect(100);
    c.reader.setMaxPacketSize(50);
    c.reader.push(Buffer.concat([Buffer.from([0x30, 60]), Buffer.alloc(60)]));
    assert.equal(c.errors[0]?.kind, 'too-large');
  });

  it('emits the packets before the bad one, and nothing after an error', () => {
    const c = collect();
    const good = samples[3]!;
    c.reader.push(Buffer.concat([good, Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]), good]));
    assert.deepEqual(c.frames, [good]);
    assert.equal(c.errors.length, 1);
    c.reader.push(good);
    c.reader.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]));
    assert.equal(c.frames.length, 1, 'no frame after the error');
    assert.equal(c.errors.length, 1, 'the error is reported once');
  });

  it('never throws and never reports a frame longer than its input, on 2000 seeded random streams', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      const c = collect(4096);
      const len = Math.floor(r() * 300);
      const bytes = Buffer.alloc(len);
      for (let i = 0; i < len; i++) bytes[i] = Math.floor(r() * 256);
      let off = 0;
      while (off < len) {
        const n = 1 + Math.floor(r() * 40);
        c.reader.push(bytes.subarray(off, off + n));
        off += n;
      }
      const total = c.frames.reduce((s, f) => s + f.length, 0);
      assert.ok(total <= len, `seed ${seed}`);
      assert.ok(c.errors.length <= 1, `seed ${seed}`);
      // the frames are a prefix of the input, in order
      assert.deepEqual(Buffer.concat(c.frames), bytes.subarray(0, total), `seed ${seed}`);
      for (const f of c.frames) assert.ok(f.length <= 4096, `seed ${seed}`);
    }
  });
});

describe('variableHeaderOffset', () => {
  it('skips the type byte and a 1- to 4-byte Remaining Length', () => {
    assert.equal(variableHeaderOffset(Buffer.from([0x30, 0x05])), 2);
    assert.equal(variableHeaderOffset(Buffer.from([0x30, 0x80, 0x01])), 3);
    assert.equal(variableHeaderOffset(Buffer.from([0x30, 0x80, 0x80, 0x01])), 4);
    assert.equal(variableHeaderOffset(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])), 5);
  });
});
