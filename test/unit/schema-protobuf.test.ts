// Protobuf payload validation (src/server/features/schema-protobuf.ts): unlike RobustMQ 0.2.0's,
// it decodes. Valid messages (packed and unpacked repeated fields, maps, nested messages, groups,
// well-known types) pass; malformed wire bytes, a wrong wire type for a declared field, invalid
// UTF-8 in a string, an unknown field, trailing garbage and a missing proto2 required field fail.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { compileProtobufSchema } from '../../src/server/features/schema-protobuf.js';
import { isRobustMQError } from '../../src/lib/errors.js';

const proto3 = `
syntax = "proto3";
package sensors;
import "google/protobuf/timestamp.proto";
message Inner { int32 x = 1; }
message Reading {
  string id = 1;
  double t = 2;
  repeated int32 samples = 3;
  Inner inner = 4;
  map<string, int32> tags = 5;
  google.protobuf.Timestamp at = 6;
  repeated Inner more = 7;
}`;

const proto2 = `
syntax = "proto2";
message Part { required int32 a = 1; optional string b = 2; }
message Whole { required Part part = 1; optional group Extra = 2 { optional int32 y = 3; } }`;

const root3 = protobuf.parse(proto3, { keepCase: true }).root;
root3.addJSON(
  (protobuf.common.get('google/protobuf/timestamp.proto') as { nested: protobuf.INamespace['nested'] }).nested!,
);
const Reading = root3.lookupType('sensors.Reading');
const valid = Buffer.from(
  Reading.encode(
    Reading.fromObject({
      id: 's1',
      t: 21.5,
      samples: [1, -2, 300],
      inner: { x: 5 },
      tags: { room: 3 },
      at: { seconds: 1700000000, nanos: 5 },
      more: [{ x: 1 }, {}],
    }),
  ).finish(),
);

describe('Protobuf validation', () => {
  const v = compileProtobufSchema(proto3, 'sensors.Reading');

  it('accepts messages of the type, and resolves the full name', () => {
    assert.equal(v.messageType, 'sensors.Reading');
    assert.equal(v.validate(valid), undefined);
    assert.equal(v.validate(Buffer.alloc(0)), undefined, 'proto3: every field has its default');
    assert.equal(v.validate(Buffer.from([0x18, 0x01, 0x18, 0x02])), undefined, 'repeated scalars unpacked');
    assert.equal(compileProtobufSchema(proto3, 'Reading').messageType, 'sensors.Reading');
  });

  it('refuses malformed wire bytes', () => {
    const cases: [number[], RegExp][] = [
      [[0x0a, 0x05, 0x61], /length 5 past the end/],
      [[0x0f], /invalid wire type 7/],
      [[0x0e], /invalid wire type 6/],
      [[0x0a], /truncated varint/], // tag of id, no length
      [[0x80], /truncated varint/],
      [[0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /longer than 10 bytes/],
      [[0x00, 0x01], /field number 0/],
      [[0x0c], /END_GROUP/],
      [[0x11, 0, 0, 0], /truncated field/], // t with 3 of its 8 bytes
    ];
    for (const [bytes, reason] of cases) {
      assert.match(v.validate(Buffer.from(bytes)) ?? 'accepted', reason, Buffer.from(bytes).toString('hex'));
    }
    // a message cut inside its last field (a cut between two fields is a valid shorter message)
    assert.match(v.validate(valid.subarray(0, valid.length - 1))!, /truncated|past the end|no END_GROUP/);
  });

  it('refuses a declared field sent with the wrong wire type, at any depth', () => {
    assert.match(v.validate(Buffer.from([0x10, 0x01]))!, /sensors\.Reading\.t \(field 2\) has wire type 0, not 1/);
    assert.match(v.validate(Buffer.from([0x0d, 1, 2, 3, 4]))!, /id \(field 1\) has wire type 5, not 2/);
    assert.match(v.validate(Buffer.from([0x22, 0x02, 0x0a, 0x00]))!, /sensors\.Inner\.x \(field 1\) has wire type 2/);
    assert.match(
      v.validate(Buffer.from([0x1a, 0x03, 0x01, 0x80, 0x80]))!,
      /packed samples ends inside a varint|truncated/,
    );
  });

  it('refuses invalid UTF-8 in a string field, an unknown field, and trailing garbage', () => {
    assert.match(v.validate(Buffer.from([0x0a, 0x02, 0xff, 0xfe]))!, /id is not valid UTF-8/);
    assert.match(v.validate(Buffer.from([0x2a, 0x04, 0x0a, 0x02, 0xc3, 0x28]))!, /key is not valid UTF-8/);
    assert.match(v.validate(Buffer.from([0x40, 0x01]))!, /has no field 8/);
    assert.ok(v.validate(Buffer.concat([valid, Buffer.from([0xff])])) !== undefined);
    assert.ok(v.validate(Buffer.from('{"id":"s1","t":21.5}')) !== undefined, 'JSON text is not a Reading');
  });

  it('proto2: a missing required field is refused, at every level; groups are walked', () => {
    const p = compileProtobufSchema(proto2, 'Whole');
    // part {a: 1}, then the group Extra (field 2) as START_GROUP ... END_GROUP, as protoc writes it
    // (protobufjs 7 writes groups length-delimited, which is not what the wire format says)
    const whole = Buffer.from([0x0a, 0x02, 0x08, 0x01, 0x13, 0x18, 0x02, 0x14]);
    assert.equal(p.validate(whole), undefined);
    assert.match(p.validate(Buffer.alloc(0))!, /Whole\.part \(required\) is missing/);
    assert.match(p.validate(Buffer.from([0x0a, 0x03, 0x12, 0x01, 0x61]))!, /Part\.a \(required\) is missing/);
    assert.match(p.validate(Buffer.from([0x0a, 0x02, 0x08, 0x01, 0x13, 0x18, 0x01]))!, /group 2 has no END_GROUP/);
    assert.equal(compileProtobufSchema(proto2, 'Part').validate(Buffer.from([0x08, 0x01])), undefined);
  });

  it('refuses definitions that do not compile, with a one-line reason', () => {
    for (const [definition, type, reason] of [
      ['syntax = "proto3"; message A { int32 x = 1 }', '', /invalid Protobuf schema: illegal/],
      ['syntax = "proto3"; message A { Missing m = 1; }', '', /no such Type or Enum 'Missing'/],
      ['syntax = "proto3"; import "other.proto"; message A { int32 x = 1; }', '', /import "other.proto"/],
      ['syntax = "proto3"; message A { int32 x = 1; } message B { int32 y = 1; }', '', /declares 2 messages/],
      ['syntax = "proto3"; message A { int32 x = 1; }', 'B', /no message type "B"/],
      ['syntax = "proto3"; enum E { Z = 0; }', '', /declares no message/],
    ] as const) {
      assert.throws(
        () => compileProtobufSchema(definition, type),
        (err: unknown) =>
          isRobustMQError(err) &&
          err.code === 'RMQ_ERR_INVALID_ARGUMENT' &&
          reason.test(err.message) &&
          !err.message.includes('\n'),
        definition,
      );
    }
  });
});
