// The base of the commands that are MQTT clients themselves (`message publish`, `message subscribe`):
// connection flags in mosquitto_pub's spirit (--host, -p, -u, -P, -i, -V), the output flags of the
// admin commands, one MQTT.js connection, and the same error convention (command-errors.ts):
// exit 1 when the broker refused (a CONNACK/PUBACK/PUBREC/SUBACK reason code), 3 when it cannot be reached.
import { randomBytes } from 'node:crypto';
import { Command, Flags, type Interfaces } from '@oclif/core';
import mqtt, { ReasonCodes, type IClientOptions, type MqttClient } from 'mqtt';
import { RobustMQError } from '../errors.js';
import { hostPort } from '../host-port.js';
import { OutputCommand } from './output-command.js';
import { outputFlags } from './render.js';

export type MqttFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof MqttCommand)['baseFlags'] & T['flags']
>;

/** `-V` values as mosquitto_pub takes them, and the protocol levels they mean. */
const PROTOCOL_LEVELS = { '5': 5, '311': 4, '31': 3 } as const;

/** A reason code as people read it: `0x87 Not authorized`. */
export function reasonText(code: number): string {
  const name = (ReasonCodes as Record<number, string>)[code];
  return `0x${code.toString(16).padStart(2, '0')}${name ? ` ${name}` : ''}`;
}

/** The host of ROBUSTMQ_SERVER / --server (host:port, [v6]:port or a bare host). */
export function hostOf(server: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(server);
  if (v6) return v6[1]!;
  const colon = server.lastIndexOf(':');
  return colon > 0 && server.indexOf(':') === colon ? server.slice(0, colon) : server;
}

export abstract class MqttCommand<T extends typeof Command> extends OutputCommand {
  static override baseFlags = {
    host: Flags.string({
      summary: 'MQTT broker host (default: the host of --server / ROBUSTMQ_SERVER, else 127.0.0.1).',
      helpGroup: 'CONNECTION',
    }),
    port: Flags.integer({
      char: 'p',
      summary: 'MQTT port.',
      default: 1883,
      min: 1,
      max: 65535,
      helpGroup: 'CONNECTION',
    }),
    username: Flags.string({ char: 'u', summary: 'MQTT user name.', helpGroup: 'CONNECTION' }),
    password: Flags.string({ char: 'P', summary: 'MQTT password.', helpGroup: 'CONNECTION' }),
    id: Flags.string({
      char: 'i',
      summary: 'Client identifier (default: robustmq-cli- and random hex; "" leaves it to the broker).',
      helpGroup: 'CONNECTION',
    }),
    'protocol-version': Flags.string({
      char: 'V',
      summary: 'MQTT version: 5, 311 (3.1.1) or 31 (3.1).',
      options: Object.keys(PROTOCOL_LEVELS),
      default: '5',
      helpGroup: 'CONNECTION',
    }),
    'will-topic': Flags.string({
      summary: 'Will: published by the broker if the connection ends without DISCONNECT.',
      helpGroup: 'WILL',
    }),
    'will-payload': Flags.string({
      summary: 'Will payload (UTF-8 text).',
      dependsOn: ['will-topic'],
      helpGroup: 'WILL',
    }),
    'will-qos': Flags.integer({ summary: 'Will QoS.', min: 0, max: 2, dependsOn: ['will-topic'], helpGroup: 'WILL' }),
    'will-retain': Flags.boolean({ summary: 'Retain the will.', dependsOn: ['will-topic'], helpGroup: 'WILL' }),
    server: Flags.string({
      summary: 'Admin endpoint host:port of the broker: only its host is used, as the default of --host.',
      env: 'ROBUSTMQ_SERVER',
      helpGroup: 'GLOBAL',
    }),
    ...outputFlags,
    timeout: Flags.integer({
      summary: 'Seconds to wait for the broker to accept the connection and acknowledge.',
      default: 10,
      min: 1,
      max: 3600,
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: MqttFlags<T>;
  protected client?: MqttClient;

  public override async init(): Promise<void> {
    await super.init();
    const { flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as unknown as typeof MqttCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as MqttFlags<T>;
    await this.useOutputFlags(flags);
  }

  protected get protocolLevel(): 3 | 4 | 5 {
    return PROTOCOL_LEVELS[this.flags['protocol-version'] as keyof typeof PROTOCOL_LEVELS];
  }

  protected get address(): { host: string; port: number } {
    const f = this.flags;
    return { host: f.host ?? (f.server ? hostOf(f.server) : '127.0.0.1'), port: f.port };
  }

  /**
   * Connects and resolves once the broker accepted (CONNACK 0). A refusal is RMQ_ERR_MQTT_REFUSED
   * with its reason code; nothing listening, or no CONNACK within --timeout, RMQ_ERR_UNREACHABLE.
   * `listen` attaches listeners to the client before anything can arrive.
   */
  protected connect(options: IClientOptions = {}, listen?: (client: MqttClient) => void): Promise<MqttClient> {
    const f = this.flags;
    if (this.protocolLevel === 3 && f.id === '') {
      this.usageError(new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', 'MQTT 3.1 (-V 31) needs a client identifier'));
    }
    const { host, port } = this.address;
    const where = hostPort(host, port);
    const client = mqtt.connect({
      host,
      port,
      protocol: 'mqtt',
      protocolVersion: this.protocolLevel,
      protocolId: this.protocolLevel === 3 ? 'MQIsdp' : 'MQTT', // 3.1 has its own protocol name
      clientId: f.id ?? `robustmq-cli-${randomBytes(4).toString('hex')}`,
      username: f.username,
      password: f.password,
      reconnectPeriod: 0,
      connectTimeout: f.timeout * 1000,
      ...(f['will-topic'] !== undefined
        ? {
            will: {
              topic: f['will-topic'],
              payload: Buffer.from(f['will-payload'] ?? '', 'utf8'),
              qos: (f['will-qos'] ?? 0) as 0 | 1 | 2,
              retain: Boolean(f['will-retain']),
            },
          }
        : {}),
      ...options,
    });
    this.client = client;
    listen?.(client); // before CONNACK: a resumed session's messages may come in the same read
    return new Promise<MqttClient>((resolve, reject) => {
      const fail = (err: RobustMQError) => {
        client.removeAllListeners('connect');
        client.end(true);
        reject(err);
      };
      const closed = () =>
        fail(
          new RobustMQError('RMQ_ERR_UNREACHABLE', `the MQTT broker at ${where} closed the connection before CONNACK`),
        );
      client.once('connect', () => {
        client.removeListener('close', closed);
        client.removeAllListeners('error');
        client.on('error', () => undefined); // later errors surface as the close that follows
        resolve(client);
      });
      client.on('error', (err: Error & { code?: string | number }) => {
        if (typeof err.code === 'number') {
          fail(
            new RobustMQError(
              'RMQ_ERR_MQTT_REFUSED',
              `${where} refused the connection: CONNACK ${reasonText(err.code)}`,
            ),
          );
        } else {
          const why =
            err.message === 'connack timeout' ? `no CONNACK within ${f.timeout} s` : (err.code ?? err.message);
          fail(new RobustMQError('RMQ_ERR_UNREACHABLE', `cannot reach the MQTT broker at ${where} (${why})`));
        }
      });
      client.once('close', closed);
    });
  }

  /** Sends DISCONNECT and waits until it is written (and the socket closed). */
  protected disconnect(): Promise<void> {
    const client = this.client;
    if (!client || client.disconnected) return Promise.resolve();
    return new Promise((resolve) => client.end(false, {}, () => resolve()));
  }

  /** A line for people that is not the result (notes, warnings): stderr, so stdout stays the document. */
  protected note(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    this.client?.end(true);
    return super.finally(err);
  }
}
