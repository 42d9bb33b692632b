// Malformed-input edge cases the codec alone lets through: bytes after the last CONNECT field,
// ill-formed UTF-8 inside v5 property strings, and Retain Handling 3.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqttPacket, { type IConnackPacket, type IDisconnectPacket } from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { uniqueId } from '../helpers/clients.js';
import { RawClient, connectPacket, rawConnect } from '../helpers/raw-client.js';

/** A whole packet from its type byte and body (remaining length < 128 here). */
function packet(first: number, body: number[]): Buffer {
  assert.ok(body.length < 128);
  return Buffer.from([first, body.length, ...body]);
}

const str = (s: string): number[] => [0, Buffer.byteLength(s), ...Buffer.from(s)];
const BAD_UTF8 = [0, 2, 0xc3, 0x28]; // a 2-byte sequence cut short

describe('bad input edge cases', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker();
  });
  after(() => b.stop());

  it('3.1.1: bytes after the last CONNECT field close the connection without CONNACK', async () => {
    const c = await RawClient.open(b.port, 4);
    const good = mqttPacket.generate(connectPacket(uniqueId(), 4), { protocolVersion: 4 });
    const bad = Buffer.concat([good, Buffer.from([1, 2, 3])]);
    bad[1] = bad[1]! + 3;
    c.write(bad);
    assert.equal(await c.waitClosed(), true);
    assert.equal(c.packets.length, 0);
  });

  it('5.0: bytes after the last CONNECT field get CONNACK 0x81 [MQTT-4.13.1-1]', async () => {
    const c = await RawClient.open(b.port, 5);
    const good = mqttPacket.generate(connectPacket(uniqueId(), 5), { protocolVersion: 5 });
    const bad = Buffer.concat([good, Buffer.from([9])]);
    bad[1] = bad[1]! + 1;
    c.write(bad);
    const connack = await c.next<IConnackPacket>('connack');
    assert.equal(connack.reasonCode, 0x81);
    assert.equal(await c.waitClosed(), true);
  });

  it('5.0: ill-formed UTF-8 in a CONNECT user property is malformed [MQTT-1.5.4-1]', async () => {
    const c = await RawClient.open(b.port, 5);
    const props = [0x26, ...str('k'), ...BAD_UTF8];
    c.write(packet(0x10, [...str('MQTT'), 5, 0x02, 0, 60, props.length, ...props, ...str(uniqueId())]));
    const connack = await c.next<IConnackPacket>('connack');
    assert.equal(connack.reasonCode, 0x81);
    assert.equal(await c.waitClosed(), true);
  });

  it('5.0: ill-formed UTF-8 in a SUBSCRIBE user property gets DISCONNECT 0x81 [MQTT-1.5.4-1]', async () => {
    const { c } = await rawConnect(b.port, uniqueId(), 5);
    const props = [0x26, ...str('k'), ...BAD_UTF8];
    c.write(packet(0x82, [0, 1, props.length, ...props, ...str('a/b'), 0x01]));
    const d = await c.next<IDisconnectPacket>('disconnect');
    assert.equal(d.reasonCode, 0x81);
    assert.equal(await c.waitClosed(), true);
  });

  it('5.0: a well-formed SUBSCRIBE user property is accepted', async () => {
    const { c } = await rawConnect(b.port, uniqueId(), 5);
    const props = [0x26, ...str('k'), ...str('v\u00e9')];
    c.write(packet(0x82, [0, 1, props.length, ...props, ...str('a/b'), 0x01]));
    const suback = await c.next<{ cmd: 'suback'; granted: number[] }>('suback');
    assert.deepEqual(suback.granted, [1]);
    c.close();
  });

  it('5.0: Retain Handling 3 is a Protocol Error: DISCONNECT 0x82 (MQTT 5.0 3.8.3.1)', async () => {
    const { c } = await rawConnect(b.port, uniqueId(), 5);
    c.write(packet(0x82, [0, 1, 0, ...str('a/b'), 0x31]));
    const d = await c.next<IDisconnectPacket>('disconnect');
    assert.equal(d.reasonCode, 0x82);
    assert.equal(await c.waitClosed(), true);
  });
});
