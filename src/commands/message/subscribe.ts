// `robustmq-cli message subscribe`: a real MQTT client (MQTT.js) that prints what it receives, like
// mosquitto_sub: one payload per line (-v: "topic payload"), or one JSON object per line (--json).
import { Flags } from '@oclif/core';
import type { IPublishPacket, ISubscriptionMap } from 'mqtt';
import type { QoS } from 'mqtt-packet';
import { RobustMQError } from '../../lib/errors.js';
import { EXIT } from '../../lib/cli/command-errors.js';
import { MqttCommand, reasonText } from '../../lib/cli/mqtt-command.js';
import { renderYaml } from '../../lib/cli/render.js';
import { receivedMessage } from '../../lib/cli/render-message.js';
import { validateTopicFilter } from '../../lib/topic.js';

const NEVER_EXPIRES = 4_294_967_295;

export default class MessageSubscribe extends MqttCommand<typeof MessageSubscribe> {
  static override summary = 'Subscribe as an MQTT client and print the messages that arrive.';
  static override description = `Prints each payload on a line (-v: "topic payload"); with --json one JSON object per message and line (NDJSON: topic, qos, retain, payload with payloadEncoding utf8 or base64, properties). Runs until Ctrl-C or SIGTERM (then it sends DISCONNECT and exits 0), until -C messages have arrived (exit 0), or for -W seconds: exit 0 if what it waited for arrived (the -C count, or without -C at least one message), else exit ${EXIT.timeout}. Exit 1 when the broker refuses the connection or a subscription, or disconnects it; 3 when it cannot be reached.`;
  static override examples = [
    "<%= config.bin %> <%= command.id %> -t 'sensors/#' -v",
    '<%= config.bin %> <%= command.id %> -t test -C 1',
    "<%= config.bin %> <%= command.id %> -t 'orders/+' -t alerts -q 1 -C 10 -W 30 --json",
    '<%= config.bin %> <%= command.id %> -t jobs -q 1 -i worker-1 -c',
  ];

  static override flags = {
    topic: Flags.string({
      char: 't',
      summary: 'Topic filter to subscribe to (repeat for more).',
      required: true,
      multiple: true,
    }),
    qos: Flags.integer({
      char: 'q',
      summary: 'Maximum QoS of the subscriptions: 0, 1 or 2.',
      min: 0,
      max: 2,
      default: 0,
    }),
    verbose: Flags.boolean({ char: 'v', summary: 'Print "topic payload" instead of the payload alone.' }),
    count: Flags.integer({ char: 'C', summary: 'Exit after this many messages.', min: 1 }),
    'timeout-wait': Flags.integer({
      char: 'W',
      summary: `Exit after this many seconds from the connection (exit ${EXIT.timeout} if what it waited for has not arrived).`,
      min: 1,
    }),
    'no-newline': Flags.boolean({ char: 'N', summary: 'No newline after each payload.' }),
    'no-clean': Flags.boolean({
      char: 'c',
      summary: 'Keep the session after disconnecting (Clean Start 0); needs -i.',
    }),
    'session-expiry': Flags.integer({
      char: 'x',
      summary: 'With -c on MQTT 5: seconds the session outlives the connection (default: never expires).',
      min: 0,
      max: NEVER_EXPIRES,
    }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    for (const filter of f.topic) {
      const check = validateTopicFilter(filter);
      if (!check.ok)
        this.usageError(new RobustMQError('RMQ_ERR_TOPIC_INVALID', `--topic "${filter}": ${check.reason}`));
    }
    if (f['no-clean'] && !f.id) {
      this.usageError(new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', '-c (keep the session) needs a client id: -i ID'));
    }
    const keep = Boolean(f['no-clean']);
    const v5 = this.protocolLevel === 5;
    // messages are taken from the start: a resumed session's come with the CONNACK, retained ones
    // with the SUBACK, possibly in the same read
    const early: IPublishPacket[] = [];
    await this.connect(
      {
        clean: !keep,
        ...(v5 && keep ? { properties: { sessionExpiryInterval: f['session-expiry'] ?? NEVER_EXPIRES } } : {}),
      },
      (client) =>
        client.on('message', (_topic, _payload, packet) => {
          if (this.onMessage) this.onMessage(packet);
          else early.push(packet);
        }),
    );
    const ended = this.receive(early);
    await this.subscribe(f.topic, f.qos as QoS);
    const { code, error } = await ended;
    if (error) throw error;
    await this.disconnect();
    if (code !== EXIT.ok) this.exit(code);
  }

  /** SUBSCRIBE to every filter; a refused one (SUBACK >= 0x80) is RMQ_ERR_MQTT_REFUSED. */
  private subscribe(filters: string[], qos: QoS): Promise<void> {
    const map: ISubscriptionMap = {};
    for (const filter of filters) map[filter] = { qos };
    return new Promise((resolve, reject) => {
      this.client!.subscribe(map, (err, granted) => {
        const refused = (granted ?? []).filter((g) => g.qos >= 0x80);
        if (refused.length > 0) {
          const which = refused.map((g) => `"${g.topic}": SUBACK ${reasonText(g.qos)}`).join(', ');
          reject(new RobustMQError('RMQ_ERR_MQTT_REFUSED', `the broker refused the subscription to ${which}`));
        } else if (err) {
          reject(new RobustMQError('RMQ_ERR_MQTT_REFUSED', `the subscription failed: ${err.message}`));
        } else resolve();
      });
    });
  }

  private onMessage?: (packet: IPublishPacket) => void;

  /**
   * Prints the `early` messages and those that follow until the count, the wait, a signal or the
   * broker ends it; resolves to the exit code (and the error, when the broker ended it).
   */
  private receive(early: IPublishPacket[]): Promise<{ code: number; error?: RobustMQError }> {
    const f = this.flags;
    const client = this.client!;
    const wanted = f.count ?? 1;
    let received = 0;
    let disconnectReason: number | undefined;
    return new Promise((resolve) => {
      let over = false;
      const finish = (code: number, err?: RobustMQError) => {
        if (over) return;
        over = true;
        clearTimeout(timer);
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        client.removeListener('close', onClose);
        // after this tick: the PUBACK/PUBREC of the last message is written before the DISCONNECT
        setImmediate(() => resolve({ code, error: err }));
      };
      const onSignal = () => finish(EXIT.ok);
      const onClose = () => {
        const why = disconnectReason === undefined ? '' : `: DISCONNECT ${reasonText(disconnectReason)}`;
        finish(EXIT.server, new RobustMQError('RMQ_ERR_MQTT_REFUSED', `the broker closed the connection${why}`));
      };
      const wait = f['timeout-wait'];
      const timer = wait
        ? setTimeout(() => {
            if (received >= wanted) return finish(EXIT.ok);
            this.note(`timed out after ${wait} s with ${received} of ${wanted} message(s)`);
            finish(EXIT.timeout);
          }, wait * 1000)
        : undefined;
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      client.on('disconnect', (packet) => {
        disconnectReason = packet.reasonCode ?? 0;
      });
      client.once('close', onClose);
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') finish(EXIT.ok); // the reader went away (| head)
      });
      this.onMessage = (packet) => {
        if (over) return;
        received++;
        this.print(packet);
        if (f.count !== undefined && received >= f.count) finish(EXIT.ok);
      };
      for (const packet of early.splice(0)) this.onMessage(packet);
    });
  }

  private print(packet: IPublishPacket): void {
    const f = this.flags;
    if (this.format === 'json') {
      process.stdout.write(`${JSON.stringify(receivedMessage(packet))}\n`);
      return;
    }
    if (this.format === 'yaml') {
      process.stdout.write(`---\n${renderYaml(receivedMessage(packet))}\n`);
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const parts = f.verbose ? [Buffer.from(`${packet.topic} `), payload] : [payload];
    if (!f['no-newline']) parts.push(Buffer.from('\n'));
    process.stdout.write(Buffer.concat(parts));
  }
}
