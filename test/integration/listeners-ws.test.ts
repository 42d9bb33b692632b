// MQTT over WebSocket listeners (kind "ws", and "wss" over TLS): MQTT.js over ws:// and wss://,
// the subprotocol negotiation and the path checked with a raw `ws` client, MQTT packets split over
// several WebSocket messages and several packets in one message, a text message refused
// [MQTT-6.0.0-1], and a plain HTTP request answered 426.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import WebSocket from 'ws';
import type { Connection } from '../../src/server/protocol/connection.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connect, uniqueId, type TestClient } from '../helpers/clients.js';
import { makePki, type Pki } from '../helpers/tls-pki.js';

const gen = (p: Record<string, unknown>) => mqttPacket.generate(p as unknown as Packet);

/** A raw WebSocket to `url` offering `protocols`: open, or the HTTP status it was refused with. */
function rawWs(url: string, protocols?: string[]): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

/** The MQTT packets that arrive on `ws` (parsed from its binary messages as one byte stream). */
function packetsOf(ws: WebSocket): { packets: Packet[]; next(cmd: string, ms?: number): Promise<Packet> } {
  const packets: Packet[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on('packet', (p: Packet) => packets.push(p));
  ws.on('message', (data: Buffer) => parser.parse(data));
  return {
    packets,
    async next(cmd, ms = 5000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const i = packets.findIndex((p) => p.cmd === cmd);
        if (i >= 0) return packets.splice(i, 1)[0]!;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no ${cmd} within ${ms} ms`);
    },
  };
}

describe('MQTT over WebSocket listeners', () => {
  let pki: Pki;
  let b: TestBroker;
  const clients: TestClient[] = [];
  const port = (name: string) => b.broker.listener(name)!.port;
  const connOf = (clientId: string): Connection | undefined =>
    [...b.broker.connections].find((c) => c.clientId === clientId);

  before(async () => {
    pki = makePki();
    b = await startBroker({
      listeners: {
        ws1: { kind: 'ws', port: 0 },
        ws2: { kind: 'ws', port: 0, path: '/other' },
        wss1: { kind: 'wss', port: 0, tls_cert: pki.path('server.pem'), tls_key: pki.path('server.key') },
        wssm: {
          kind: 'wss',
          port: 0,
          tls_cert: pki.path('server.pem'),
          tls_key: pki.path('server.key'),
          tls_ca: pki.path('ca.pem'),
          tls_verify_peer: true,
          tls_cert_as_username: 'cn',
        },
      },
    });
  });

  after(async () => {
    for (const c of clients) await c.end(true);
    await b?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('carries MQTT.js over ws:// (3.1.1) and wss:// (5.0) to a TCP subscriber and back', async () => {
    const tcp = await connect(b.port);
    clients.push(tcp);
    await tcp.client.subscribeAsync('ws/#', { qos: 1 });
    const ws = await connect(port('ws1'), { protocol: 'ws', path: '/mqtt', clientId: uniqueId('ws') });
    clients.push(ws);
    await ws.client.subscribeAsync('back', { qos: 1 });
    const wss = await connect(port('wss1'), {
      protocol: 'wss',
      path: '/mqtt',
      ca: pki.read('ca.pem'),
      servername: 'localhost',
      protocolVersion: 5,
      clientId: uniqueId('wss'),
    });
    clients.push(wss);
    await ws.client.publishAsync('ws/a', 'from ws', { qos: 1 });
    await wss.client.publishAsync('ws/b', Buffer.alloc(200_000, 7), { qos: 1 });
    const got = await tcp.waitFor(2);
    assert.deepEqual(
      got.map((m) => [m.topic, m.payload.length]),
      [
        ['ws/a', 7],
        ['ws/b', 200_000],
      ],
    );
    await tcp.client.publishAsync('back', 'to ws', { qos: 1 });
    assert.equal((await ws.waitFor(1))[0]!.payload.toString(), 'to ws');
    const conn = connOf(ws.client.options.clientId!)!;
    assert.equal(conn.info.transport, 'ws');
    assert.equal(conn.info.listener, 'ws1');
    assert.equal(conn.info.remoteAddress.replace('::ffff:', ''), '127.0.0.1');
    assert.equal(connOf(wss.client.options.clientId!)!.info.transport, 'wss');
  });

  it('wss with client certificates: the CN names the user; no certificate, no connection', async () => {
    const base = { protocol: 'wss' as const, path: '/mqtt', ca: pki.read('ca.pem'), servername: 'localhost' };
    const c = await connect(port('wssm'), {
      ...base,
      cert: pki.read('client.pem'),
      key: pki.read('client.key'),
      clientId: uniqueId('wssm'),
    });
    clients.push(c);
    const conn = connOf(c.client.options.clientId!)!;
    assert.equal(conn.username, 'alice');
    assert.equal(conn.info.certCommonName, 'alice');
    assert.equal(conn.info.listener, 'wssm');
    await assert.rejects(connect(port('wssm'), { ...base, connectTimeout: 3000 }));
  });

  it('serves only the configured path of each listener', async () => {
    assert.equal((await rawWs(`ws://127.0.0.1:${port('ws1')}/other`, ['mqtt'])).status, 404);
    assert.equal((await rawWs(`ws://127.0.0.1:${port('ws2')}/mqtt`, ['mqtt'])).status, 404);
    const { ws } = await rawWs(`ws://127.0.0.1:${port('ws2')}/other`, ['mqtt']);
    assert.ok(ws);
    ws.terminate();
  });

  it('negotiates the subprotocol "mqtt" (or "mqttv3.1"), refuses other offers, accepts none offered', async () => {
    const chosen = async (offer?: string[]) => {
      const r = await rawWs(`ws://127.0.0.1:${port('ws1')}/mqtt`, offer);
      r.ws?.terminate();
      return r.ws ? r.ws.protocol : r.status;
    };
    assert.equal(await chosen(['mqtt']), 'mqtt');
    assert.equal(await chosen(['foo', 'mqttv3.1', 'mqtt']), 'mqtt');
    assert.equal(await chosen(['mqttv3.1']), 'mqttv3.1');
    assert.equal(await chosen(['chat']), 400);
    assert.equal(await chosen(), '');
  });

  it('reads a packet split over WebSocket messages, and several packets in one message', async () => {
    const { ws } = await rawWs(`ws://127.0.0.1:${port('ws1')}/mqtt`, ['mqtt']);
    const rx = packetsOf(ws!);
    const connectBytes = gen({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      clientId: uniqueId('raw'),
    });
    // CONNECT in three messages, the cut inside the remaining length and inside the client id
    ws!.send(connectBytes.subarray(0, 1));
    ws!.send(connectBytes.subarray(1, 9));
    ws!.send(connectBytes.subarray(9));
    assert.equal(((await rx.next('connack')) as { returnCode: number }).returnCode, 0);
    // SUBSCRIBE, PUBLISH to it and PINGREQ in one message
    ws!.send(
      Buffer.concat([
        gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'raw/t', qos: 0 }] }),
        gen({ cmd: 'publish', topic: 'raw/t', payload: Buffer.from('one message'), qos: 0 }),
        gen({ cmd: 'pingreq' }),
      ]),
    );
    await rx.next('suback');
    assert.equal(((await rx.next('publish')) as { payload: Buffer }).payload.toString(), 'one message');
    await rx.next('pingresp');
    ws!.terminate();
  });

  it('closes the connection on a text message [MQTT-6.0.0-1]', async () => {
    const { ws } = await rawWs(`ws://127.0.0.1:${port('ws1')}/mqtt`, ['mqtt']);
    const closed = new Promise<number>((resolve) => ws!.once('close', (code) => resolve(code)));
    ws!.send(
      gen({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 30,
        clientId: 'text',
      }).toString('latin1'),
    );
    assert.equal(await closed, 1003);
  });

  it('answers a plain HTTP request 426 Upgrade Required', async () => {
    const res = await fetch(`http://127.0.0.1:${port('ws1')}/mqtt`);
    assert.equal(res.status, 426);
    await res.text();
  });
});

describe('stopping a broker with a WebSocket client connected', () => {
  it('sends the v5 client DISCONNECT 0x8B (server shutting down) over the WebSocket [MQTT-4.13]', async () => {
    const b = await startBroker({ listeners: { ws: { kind: 'ws', port: 0 } } });
    const c = await connect(b.broker.listener('ws')!.port, { protocol: 'ws', path: '/mqtt', protocolVersion: 5 });
    const reason = new Promise<number | undefined>((resolve) =>
      c.client.once('disconnect', (p) => resolve(p.reasonCode)),
    );
    const started = Date.now();
    await b.stop();
    assert.equal(await reason, 0x8b);
    assert.ok(Date.now() - started < 3000, 'the stop did not wait for the WebSocket close timeout');
    await c.end(true);
  });
});
