// `robustmq-cli config set KEY VALUE`: change a runtime key in the running broker (not in the file).
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { configValueText } from '../../lib/cli/render-config.js';

export default class ConfigSet extends AdminCommand<typeof ConfigSet> {
  static override summary = 'Change a configuration key in the running broker (runtime only: the file is not written).';
  static override description =
    "Only keys marked runtime in config get can be set (e.g. node.log_level, limits.max_connections, limits.max_queued_messages, mqtt.connect_timeout_ms); the value is checked like the configuration file and read as the key's type, like a ROBUSTMQ_* variable. With workers every worker gets the change. The change lasts until the broker stops: put it in the configuration file to keep it. Exit 1 with the reason for an unknown key, a key that needs a restart, or a bad value.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> node.log_level debug',
    '<%= config.bin %> <%= command.id %> limits.max_connections 5000',
    '<%= config.bin %> <%= command.id %> limits.max_queued_messages 10000 --json',
  ];
  static override args = {
    key: Args.string({ description: 'section.key, e.g. limits.max_connections.', required: true }),
    value: Args.string({ description: 'The new value.', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(ConfigSet);
    const entry = await this.adminApi().setConfig(args.key, args.value);
    this.output(
      entry,
      () =>
        `${entry.key} = ${configValueText(entry)} (runtime only: the configuration file is not written, a restart goes back to it)`,
    );
  }
}
