// Real MQTT.js clients for tests: connect with a timeout, collect messages, wait for conditions.
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

export interface TestClient {
  client: MqttClient;
  messages: Received[];
  /** Resolves when at least n messages have arrived (or rejects after ms). */
  waitFor(n: number, ms?: number): Promise<Received[]>;
  end(force?: boolean): Promise<void>;
}

let counter = 0;
export function uniqueId(prefix = 'c'): string {
  return `${prefix}-${process.pid}-${++counter}-${Math.random().toString(16).slice(2, 8)}`;
}

export async function connect(port: number, opts: IClientOptions = {}): Promise<TestClient> {
  const client = mqtt.connect({
    host: '127.0.0.1',
    port,
    clientId: uniqueId(),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
  const messages: Received[] = [];
  const waiters: Array<() => void> = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload, packet });
    for (const w of [...waiters]) w();
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
  client.removeAllListeners('error');
  client.on('error', () => {});
  return {
    client,
    messages,
    waitFor(n, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length >= n) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(check), 1);
            resolve(messages);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`timed out waiting for ${n} messages, got ${messages.length}`));
        }, ms);
        if (!check()) waiters.push(check);
      });
    },
    end(force = false) {
      return new Promise((resolve) => client.end(force, {}, () => resolve()));
    },
  };
}

/** A client (MQTT 5 unless `opts` say otherwise) subscribed to `filter` at QoS 2; kept in `into` for the after() hook. */
export async function subscribedClient(
  port: number,
  filter: string,
  into: TestClient[],
  opts: IClientOptions = {},
): Promise<TestClient> {
  const c = await connect(port, { protocolVersion: 5, ...opts });
  into.push(c);
  await c.client.subscribeAsync(filter, { qos: 2 });
  return c;
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll until fn() is truthy, or fail after ms. */
export async function until(fn: () => boolean, ms = 5000, what: string | (() => string) = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await delay(20);
  }
}
