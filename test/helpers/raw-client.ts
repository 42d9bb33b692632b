// A raw socket client for protocol-level tests: send exact bytes or mqtt-packet objects, read the
// packets the broker answers with, see when it closes the connection.
import assert from 'node:assert/strict';
import net from 'node:net';
import mqttPacket, { type IConnackPacket, type IPublishPacket, type ISubackPacket, type Packet } from 'mqtt-packet';

export class RawClient {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly parser;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly socket: net.Socket,
    protocolVersion: number,
  ) {
    this.parser = mqttPacket.parser({ protocolVersion });
    this.parser.on('packet', (p: Packet) => {
      this.packets.push(p);
      this.notify();
    });
    socket.on('data', (d) => this.parser.parse(d));
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => {});
  }

  static open(port: number, protocolVersion = 4): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s, protocolVersion)));
      s.once('error', reject);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  write(data: Buffer | Packet, protocolVersion = 4): void {
    const buf = Buffer.isBuffer(data) ? data : mqttPacket.generate(data, { protocolVersion });
    this.socket.write(buf);
  }

  /** Wait for the next packet of the given cmd (or any), returns it. */
  next<T extends Packet = Packet>(cmd?: string, ms = 3000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.packets.findIndex((p) => !cmd || p.cmd === cmd);
        if (i >= 0) {
          const [p] = this.packets.splice(i, 1);
          done();
          resolve(p as T);
        } else if (this.closed) {
          done();
          reject(new Error(`connection closed while waiting for ${cmd ?? 'a packet'}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${cmd ?? 'a packet'}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** Resolves true when the broker closes the connection within ms. */
  waitClosed(ms = 3000): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(true);
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(false);
      }, ms);
      const check = () => {
        if (this.closed) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve(true);
        }
      };
      this.waiters.push(check);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** CONNECT packet object for mqtt-packet. */
export function connectPacket(clientId: string, protocolVersion = 4, extra: Record<string, unknown> = {}): Packet {
  return {
    cmd: 'connect',
    protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion,
    clean: true,
    clientId,
    keepalive: 60,
    ...extra,
  } as Packet;
}

/** Open a raw connection, CONNECT, and require a successful CONNACK. */
export async function rawConnect(
  port: number,
  clientId: string,
  v: 3 | 4 | 5,
  extra: Record<string, unknown> = {},
): Promise<{ c: RawClient; connack: IConnackPacket }> {
  const c = await RawClient.open(port, v);
  c.write(connectPacket(clientId, v, extra), v);
  const connack = await c.next<IConnackPacket>('connack');
  assert.equal(v === 5 ? connack.reasonCode : connack.returnCode, 0, 'connection accepted');
  return { c, connack };
}

/** SUBSCRIBE one filter and require it granted at the requested QoS. */
export async function rawSubscribe(c: RawClient, v: 3 | 4 | 5, topic: string, qos: 0 | 1 | 2): Promise<void> {
  c.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] } as Packet, v);
  const suback = await c.next<ISubackPacket>('suback');
  assert.deepEqual(suback.granted, [qos]);
}

/** Assert that no packet of this kind arrives within ms. */
export async function nothing(c: RawClient, cmd: string, ms = 300): Promise<void> {
  await assert.rejects(c.next(cmd, ms), /timed out/, `no ${cmd} expected`);
}

/** The next n PUBLISH packets, in order. */
export async function publishes(c: RawClient, n: number): Promise<IPublishPacket[]> {
  const out: IPublishPacket[] = [];
  for (let i = 0; i < n; i++) out.push(await c.next<IPublishPacket>('publish'));
  return out;
}
