// `robustmq-cli delayed get ID`: one held delayed message with its payload and MQTT 5 properties.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderDelayed } from '../../lib/cli/render-delayed.js';

export default class DelayedGet extends AdminCommand<typeof DelayedGet> {
  static override summary = 'Show a held delayed message: destination, due time, payload and MQTT 5 properties.';
  static override description =
    'The payload is printed as text when it is valid UTF-8, else as base64; in --json the field payloadEncoding says which ("utf8" or "base64").';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 1767225600000-000042',
    '<%= config.bin %> <%= command.id %> 1767225600000-000042 --json',
  ];
  static override args = {
    id: Args.string({ description: 'Id of the message, as delayed list shows it.', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(DelayedGet);
    const m = await this.adminApi().getDelayed(args.id);
    this.output(m, () => renderDelayed(m, this.color));
  }
}
