// `robustmq-cli exclusive delete FILTER`: takes an exclusive subscription away from its holder.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class ExclusiveDelete extends AdminCommand<typeof ExclusiveDelete> {
  static override summary = "Remove the holder's exclusive subscription to a filter, so another client may take it.";
  static override description =
    "The subscription leaves the holder's session as an UNSUBSCRIBE would (persisted); the client is not told (MQTT has no way to), it just stops receiving. The filter is given with or without $exclusive/.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> jobs/queue',
    "<%= config.bin %> <%= command.id %> '$exclusive/sensors/+/temp' --json",
  ];
  static override args = {
    filter: Args.string({ description: 'The filter (exclusive list shows it).', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(ExclusiveDelete);
    await this.adminApi().deleteExclusive(args.filter);
    this.output({ deleted: args.filter }, () => `removed the exclusive subscription to ${args.filter}`);
  }
}
