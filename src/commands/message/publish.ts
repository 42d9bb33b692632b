// `robustmq-cli message publish`: one PUBLISH from a real MQTT client (MQTT.js), acknowledged as its
// QoS requires before the command exits 0.
import { Flags } from '@oclif/core';
import type { QoS } from 'mqtt-packet';
import { RobustMQError, isRobustMQError } from '../../lib/errors.js';
import { MqttCommand, reasonText } from '../../lib/cli/mqtt-command.js';
import { publishProperties, readPayload } from '../../lib/cli/message-input.js';
import { publishAcknowledged } from '../../lib/cli/mqtt-publish.js';
import { validateTopicName } from '../../lib/topic.js';

const NO_MATCHING_SUBSCRIBERS = 0x10;

export default class MessagePublish extends MqttCommand<typeof MessagePublish> {
  static override summary = 'Publish one message as an MQTT client, and wait for its acknowledgement.';
  static override description =
    'Connects to the MQTT listener (not the admin endpoint), publishes, waits for PUBACK (QoS 1) or PUBCOMP (QoS 2) and disconnects. Exit 0 once acknowledged; 1 when the broker refuses (a CONNACK, PUBACK or PUBREC reason code >= 0x80, printed); 3 when it cannot be reached in --timeout seconds. "No matching subscribers" (0x10) is a success, noted on stderr.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --topic test --payload "Hello RobustMQ!"',
    '<%= config.bin %> <%= command.id %> -t sensors/1/temp -m 21.5 -q 1 -r',
    '<%= config.bin %> <%= command.id %> -t orders -f order.bin -q 2 --property partition-key=eu --json',
    'echo hello | <%= config.bin %> <%= command.id %> -t greetings -s --host broker.local -p 1884 -u alice -P secret',
  ];

  static override flags = {
    topic: Flags.string({ char: 't', summary: 'Topic to publish to.', required: true }),
    payload: Flags.string({ char: 'm', summary: 'The payload, as UTF-8 text.' }),
    file: Flags.string({ char: 'f', summary: 'Send the contents of this file as the payload, byte for byte.' }),
    stdin: Flags.boolean({ char: 's', summary: 'Send all of standard input as the payload.' }),
    'null-message': Flags.boolean({
      char: 'n',
      summary: 'An empty payload (with --retain it clears the retained message).',
    }),
    qos: Flags.integer({ char: 'q', summary: 'Quality of service: 0, 1 or 2.', min: 0, max: 2, default: 0 }),
    retain: Flags.boolean({ char: 'r', summary: 'Retain the message.' }),
    property: Flags.string({
      summary: 'MQTT 5 user property key=value (repeat for more).',
      multiple: true,
      helpGroup: 'MQTT 5',
    }),
    'content-type': Flags.string({ summary: 'MQTT 5 Content Type.', helpGroup: 'MQTT 5' }),
    'message-expiry': Flags.integer({
      summary: 'MQTT 5 Message Expiry Interval, seconds.',
      min: 0,
      max: 4_294_967_295,
      helpGroup: 'MQTT 5',
    }),
    'response-topic': Flags.string({ summary: 'MQTT 5 Response Topic.', helpGroup: 'MQTT 5' }),
    'correlation-data': Flags.string({ summary: 'MQTT 5 Correlation Data (UTF-8 text).', helpGroup: 'MQTT 5' }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const sources = [f.payload !== undefined, f.file !== undefined, f.stdin, f['null-message']].filter(Boolean);
    let payload: Buffer;
    let properties: ReturnType<typeof publishProperties>;
    try {
      if (sources.length !== 1) {
        throw new RobustMQError(
          'RMQ_ERR_INVALID_ARGUMENT',
          'give exactly one payload: --payload TEXT, --file PATH, --stdin or --null-message',
        );
      }
      const check = validateTopicName(f.topic);
      if (!check.ok) throw new RobustMQError('RMQ_ERR_TOPIC_INVALID', `--topic "${f.topic}": ${check.reason}`);
      properties = publishProperties(f);
      if (properties && this.protocolLevel !== 5) {
        throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', 'MQTT 5 properties need -V 5');
      }
      payload = await readPayload(f);
    } catch (err) {
      if (isRobustMQError(err)) return this.usageError(err);
      throw err;
    }
    const qos = f.qos as QoS;
    const client = await this.connect();
    const ack = await publishAcknowledged(
      client,
      f.topic,
      payload,
      { qos, retain: Boolean(f.retain), properties },
      f.timeout * 1000,
    );
    await this.disconnect();
    if (ack.reasonCode === NO_MATCHING_SUBSCRIBERS) {
      this.note(`note: ${reasonText(ack.reasonCode)}: nobody is subscribed to "${f.topic}" (the message was accepted)`);
    }
    const result = {
      topic: f.topic,
      qos,
      retain: Boolean(f.retain),
      bytes: payload.length,
      messageId: ack.messageId,
      reasonCode: ack.reasonCode,
      ...(ack.reasonString ? { reasonString: ack.reasonString } : {}),
      clientId: client.options.clientId,
      broker: `${this.address.host}:${this.address.port}`,
      protocolVersion: this.protocolLevel,
    };
    this.output(result, () => {
      const acked = ack.reasonCode === null ? 'sent' : `${qos === 1 ? 'PUBACK' : 'PUBCOMP'}`;
      return `published ${payload.length} bytes to "${f.topic}" (QoS ${qos}${f.retain ? ', retained' : ''}, ${acked})`;
    });
  }
}
