// `robustmq-cli config get [KEY]`: the configuration the broker runs with (every key, or one).
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderRecord, renderTable } from '../../lib/cli/render.js';
import { configValueText } from '../../lib/cli/render-config.js';

export default class ConfigGet extends AdminCommand<typeof ConfigGet> {
  static override summary = 'Show the configuration the broker runs with: every key, or one (secrets as ***).';
  static override description =
    'Values are the effective ones: the file, ROBUSTMQ_* variables and flags the broker started with, plus any config set since. Passwords, tokens and connection strings are shown as "***". The runtime column marks the keys config set can change without a restart.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> limits.max_queued_messages',
    '<%= config.bin %> <%= command.id %> --json',
    '<%= config.bin %> <%= command.id %> node.log_level --output yaml',
  ];
  static override args = {
    key: Args.string({ description: 'section.key, e.g. limits.max_connections (default: every key).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(ConfigGet);
    const entries = await this.adminApi().getConfig(args.key);
    if (args.key) {
      const e = entries[0]!;
      this.output(e, () =>
        renderRecord(
          [
            ['key', e.key],
            ['value', configValueText(e)],
            ['runtime', e.runtime ? 'yes: config set changes it' : 'no: set it in the file and restart'],
          ],
          this.color,
        ),
      );
      return;
    }
    this.output({ entries }, () =>
      renderTable(
        entries,
        [
          { header: 'key', value: (e) => e.key },
          { header: 'value', value: configValueText },
          { header: 'runtime', value: (e) => (e.runtime ? 'yes' : '') },
        ],
        this.color,
      ),
    );
  }
}
