// `robustmq-cli retained delete TOPIC`: remove the message retained on a topic.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class RetainedDelete extends AdminCommand<typeof RetainedDelete> {
  static override summary = 'Remove the message retained on a topic, as an empty retained PUBLISH would.';
  static override description =
    'New subscribers no longer get it; nothing is sent to the current subscribers. With worker processes every worker drops its copy. There is no prompt.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> sensors/eu/temperature',
    '<%= config.bin %> <%= command.id %> sensors/eu/temperature --json',
  ];
  static override args = { topic: Args.string({ description: 'Topic name.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(RetainedDelete);
    await this.adminApi().deleteRetained(args.topic);
    this.output({ deleted: args.topic }, () => `deleted the retained message of ${args.topic}`);
  }
}
