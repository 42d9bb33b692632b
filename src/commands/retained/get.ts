// `robustmq-cli retained get TOPIC`: one retained message with its payload and MQTT 5 properties.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderRetained } from '../../lib/cli/render-session.js';

export default class RetainedGet extends AdminCommand<typeof RetainedGet> {
  static override summary = 'Show the message retained on a topic: payload, QoS, expiry and MQTT 5 properties.';
  static override description =
    'The payload is printed as text when it is valid UTF-8, else as base64; in --json the field payloadEncoding says which ("utf8" or "base64").';
  static override examples = [
    '<%= config.bin %> <%= command.id %> sensors/eu/temperature',
    '<%= config.bin %> <%= command.id %> sensors/eu/temperature --json',
  ];
  static override args = { topic: Args.string({ description: 'Topic name.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(RetainedGet);
    const m = await this.adminApi().getRetained(args.topic);
    this.output(m, () => renderRetained(m, this.color));
  }
}
